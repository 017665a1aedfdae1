// Recordings of an ABR event keep every rung (packager.ladder "default", the data directory as the
// store): real ffmpeg publishes 480p over RTMP with ?record=1; a plain republish at the same size
// continues the recording with every rung in step; a plain republish at 360p (another source
// height, so other rungs) starts a new recording with its own rungs. Each plays to the end as an
// HLS master, per rung, as a static MPD and as one faststart MP4 per rung.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { formatDir, HLS_FILES } from '../../src/timeline/output-layout.js';
import { startPublisher } from '../helpers/publisher.js';
import { readText, waitFor } from '../packager/stack.js';
import { get } from './recording-flow.js';
import { expectPlayableLadderRecording, type LadderRecording } from './ladder-flow.js';
import { loopbackConfig } from '../helpers/server-process.js';

let server: RunningServer;
let dataDir: string;
let origin: string;
let rtmp: string;
const hlsDir = () => formatDir(dataDir, { app: 'live', name: 'abr' }, 'hls');

const AT_480 = [
  { name: 'source', width: 854, height: 480 },
  { name: '360p', width: 640, height: 360 },
  // Even widths from the source's aspect ratio (abr-ladder.ts evenWidth): 427 rounds to 428.
  { name: '240p', width: 428, height: 240 },
];
const AT_360 = [
  { name: 'source', width: 640, height: 360 },
  { name: '240p', width: 426, height: 240 },
];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-rec-abr-'));
  const config = await loopbackConfig(dataDir, {
    packager: { ladder: 'default' },
  });
  server = await startServer({
    config,
    log: process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger(),
    roles: { ingest: true, origin: true, edge: false },
  });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function recordings(query = ''): Promise<LadderRecording[]> {
  const r = await get(`${origin}/api/recordings${query}`);
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString('utf8')) as { recordings: LadderRecording[] }).recordings;
}

const listed = (rung: string) => (readText(path.join(hlsDir(), HLS_FILES.rungPlaylist(rung)))?.match(/#EXTINF/g) ?? []).length;

/** Publishes at `height` until the top rung's live playlist has `segments` more segments, then leaves. */
async function publishFor(query: string, width: number, height: number, segments: number): Promise<void> {
  const from = listed('source');
  const pub = await startPublisher(`${rtmp}/live/abr${query}`, {
    fixture: { width, height, fps: 25, gopSeconds: 1, seconds: 10, videoKbps: 800, audioKbps: 96, sampleRate: 48000 },
  });
  try {
    await waitFor(`${segments} more segments`, async () => (listed('source') >= from + segments ? true : undefined), 60_000, 200);
  } finally {
    await pub.stop();
  }
}

describe('recordings of an ABR ladder', () => {
  it('keep every rung in step across a plain republish; a republish with another source height starts a new recording', async () => {
    await publishFor('?record=1', 854, 480, 3);
    const first = await waitFor('the first recording', async () => (await recordings())[0], 60_000, 250);
    await publishFor('?record=1', 854, 480, 2);
    // The same id, longer: the republish continued the recording (every rung of it).
    const continued = await waitFor(
      'the continued recording',
      async () => (await recordings()).find((r) => r.id === first.id && r.segments > first.segments),
      60_000,
      250,
    );
    expect(continued.rungs.map((r) => r.name)).toEqual(AT_480.map((r) => r.name));
    await expectPlayableLadderRecording(continued, AT_480);

    await publishFor('?record=1', 640, 360, 3);
    const both = await waitFor(
      'a second recording',
      async () => {
        const all = await recordings();
        return all.length === 2 ? all : undefined;
      },
      60_000,
      250,
    );
    const [second, again] = both as [LadderRecording, LadderRecording];
    expect(again.id).toBe(first.id);
    expect(again.segments).toBe(continued.segments); // the 360p run added nothing to it
    expect(second.id).not.toBe(first.id);
    expect(Date.parse(second.start)).toBeGreaterThan(Date.parse(again.end) - 1000);
    await expectPlayableLadderRecording(second, AT_360);
    // /api/recordings/<id> describes one the same way.
    const one = JSON.parse((await get(`${origin}/api/recordings/${second.id}`)).body.toString('utf8')) as LadderRecording;
    expect(one.rungs.map((r) => r.urls)).toEqual(second.rungs.map((r) => r.urls));
  }, 300_000);
});
