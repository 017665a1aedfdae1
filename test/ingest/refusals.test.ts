// Integration: publish authorisation, name validation, duplicate publishers (FIELD-NOTES §7 N1),
// and RTMP play at the published path including cfx/st and FMS play names (SPEC RTMP-10, RTMP-21/22).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishKey } from '../../src/ingest/publish-auth.js';
import { ffprobe, syntheticFlv } from '../helpers/media.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { packagerPids, playlistWithSegments, startStack, waitFor, type Stack } from '../packager/stack.js';
import type { StreamKey } from '../../src/streams/stream-key.js';
import { HLS_FILES, streamsRoot } from '../../src/timeline/output-layout.js';

const SECRET = 'test-secret';
let stack: Stack;
const started: Publisher[] = [];
const keyed = (key: StreamKey, extra = '') => `${key.app}/${key.name}?${extra}key=${publishKey(SECRET, key)}`;

async function publish(path: string, fixture?: Parameters<typeof startPublisher>[1]): Promise<Publisher> {
  const p = await startPublisher(stack.rtmpUrl(path), { ...fixture });
  started.push(p);
  return p;
}

beforeAll(async () => {
  await Promise.all([syntheticFlv(), syntheticFlv({ width: 640, height: 360, sampleRate: 48000 })]);
  stack = await startStack({ ingest: { publishSecret: SECRET } });
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await stack?.close();
});

/** A refused publisher: ffmpeg fails quickly, nothing in the registry, no file on disk. */
async function expectRefused(path: string, key: StreamKey | null) {
  const seen: string[] = [];
  const onPublish = (s: { key: StreamKey }) => seen.push(`${s.key.app}/${s.key.name}`);
  stack.registry.on('publish', onPublish);
  const p = await publish(path);
  const code = await Promise.race([p.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
  stack.registry.off('publish', onPublish);
  expect(code).not.toBe('timeout');
  expect(code).not.toBe(0);
  expect(seen).toEqual([]);
  if (key) expect(fs.existsSync(stack.dir(key))).toBe(false);
  expect(fs.existsSync(streamsRoot(stack.dataDir)) ? fs.readdirSync(streamsRoot(stack.dataDir)).filter((a) => a !== 'live') : []).toEqual(
    [],
  );
}

describe('publish authorisation (SPEC 2.1 "authentication")', () => {
  it('refuses a publish without a key and writes nothing', async () => {
    await expectRefused('live/nokey', { app: 'live', name: 'nokey' });
  });

  it('refuses a wrong key (a key for another stream) and writes nothing', async () => {
    await expectRefused(`live/wrong?key=${publishKey(SECRET, { app: 'live', name: 'other' })}`, { app: 'live', name: 'wrong' });
  });

  it('refuses invalid names before anything is written', async () => {
    await expectRefused(`live/bad.name?key=x`, null);
    await expectRefused(`api/talk?key=${publishKey(SECRET, { app: 'api', name: 'talk' })}`, null);
    await expectRefused(`cfx_st/talk?key=${publishKey(SECRET, { app: 'cfx_st', name: 'talk' })}`, null);
  });

  it('accepts the right key', async () => {
    const key = { app: 'live', name: 'good' };
    await publish(keyed(key));
    await playlistWithSegments(stack.dir(key, 'hls'), 1);
    expect(stack.registry.get(key)).toBeDefined();
  });
});

describe('one publisher per stream (FIELD-NOTES §7 N1)', () => {
  const key = { app: 'live', name: 'dup' };
  let first: Publisher;

  it('refuses a second publisher (other resolution and sample rate) while the first keeps going', async () => {
    first = await publish(keyed(key));
    await playlistWithSegments(stack.dir(key, 'hls'), 1);
    const firstSession = stack.registry.get(key)!.sessionId;
    const second = await publish(keyed(key), { fixture: { width: 640, height: 360, sampleRate: 48000 } });
    const code = await Promise.race([second.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(code).not.toBe('timeout');
    expect(code).not.toBe(0);
    expect(first.proc.exitCode).toBeNull();
    expect(stack.registry.get(key)?.sessionId).toBe(firstSession);
  });

  it('a new RTMP viewer still decodes the original stream (320x180, 44.1 kHz)', async () => {
    const probe = await ffprobe(stack.rtmpUrl('live/dup'), ['-rw_timeout', '8000000']);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    expect(probe.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', sample_rate: '44100' });
  });

  it('the packager keeps producing the original stream', async () => {
    const before = fs.readFileSync(`${stack.dir(key, 'hls')}/${HLS_FILES.playlist}`, 'utf8');
    const n = (before.match(/#EXTINF/g) ?? []).length;
    const after = await playlistWithSegments(stack.dir(key, 'hls'), n + 1);
    const last = after.trim().split('\n').at(-1)!;
    const probe = await ffprobe(`${stack.dir(key, 'hls')}/${last}`);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320, height: 180 });
  });
});

describe('RTMP play at the published path', () => {
  it('plays rtmp://host/cfx/st/<stream>, also with mp4: and .flv play names (SPEC RTMP-10, RTMP-21/22)', async () => {
    const key = { app: 'cfx/st', name: 'cfplay' };
    await publish(keyed(key));
    await waitFor('live', () => stack.registry.get(key)?.video);
    for (const name of ['cfplay', 'mp4:cfplay', 'cfplay.flv', 'mp4:cfplay.mp4']) {
      const probe = await ffprobe(stack.rtmpUrl(`cfx/st/${name}`), ['-rw_timeout', '8000000']);
      expect(
        probe.streams.find((s) => s.codec_type === 'video'),
        name,
      ).toMatchObject({ width: 320, height: 180 });
    }
  });

  it('one packager per accepted stream, none for refused ones', () => {
    expect(packagerPids(stack.ingest.port).length).toBe(stack.registry.list().length);
  });
});
