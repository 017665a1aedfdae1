// Integration: ffmpeg supervision — graceful stop with #EXT-X-ENDLIST, restart with back-off and a
// discontinuity after a SIGKILL, republish continuation, record-mode restart (SPEC ING-01),
// cleanup after the delay, and close() reaping every child (checked through /proc).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobe, syntheticFlv } from '../helpers/media.js';
import { parseMediaPlaylist } from '../helpers/hls-live.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { HDS_FILES, HLS_FILES, SMOOTH_FILES, STREAM_INFO_FILE } from '../../src/timeline/output-layout.js';
import {
  mediaSequence,
  packagerPids,
  playlistWithSegments,
  procInfo,
  readText,
  segmentNames,
  startStack,
  waitFor,
  type Stack,
} from './stack.js';

const CLEANUP_S = 6;
let stack: Stack;
const publishers: Publisher[] = [];

async function publish(p: string): Promise<Publisher> {
  const pub = await startPublisher(stack.rtmpUrl(p));
  publishers.push(pub);
  return pub;
}

function pidFor(name: string): number | undefined {
  return packagerPids(stack.ingest.port).find((pid) => (readText(`/proc/${pid}/cmdline`) ?? '').includes(`/${name}\u0000`));
}

/** Segment numbers listed in a playlist: seg_00007.ts → 7. */
function segNumbers(playlist: string): number[] {
  return segmentNames(playlist).map((n) => Number(/seg_(\d+)\.ts/.exec(n)![1]));
}

/** Segments listed after a discontinuity: those of an ffmpeg that continued the playlist. */
function afterDiscontinuity(playlist: string): string[] {
  const segments = parseMediaPlaylist(playlist).segments;
  const first = segments.findIndex((s) => s.discontinuity);
  return first < 0 ? [] : segments.slice(first).map((s) => s.uri);
}

beforeAll(async () => {
  await Promise.all([syntheticFlv(), syntheticFlv({ videoCodec: 'flv1', audioCodec: 'mp3' })]);
  stack = await startStack({
    packager: { segmentSeconds: 1, windowSegments: 5, extraWindowSegments: 2, cleanupDelaySeconds: CLEANUP_S, restartMinSeconds: 0.5 },
  });
});

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.stop()));
  await stack?.close();
});

describe('ffmpeg SIGKILLed while the publisher is live', () => {
  const key = { app: 'live', name: 'crash' };
  it('restarts within 3 s; the playlist continues with a discontinuity and a continuous sequence', async () => {
    await publish('live/crash');
    const hls = stack.dir(key, 'hls');
    const before = await playlistWithSegments(hls, 3);
    const pid = await waitFor('packager pid', () => pidFor('crash'));
    // What the killed ffmpeg had listed: the restarted one's segments come after a discontinuity.
    const atKill = readText(path.join(hls, HLS_FILES.playlist))!;
    expect(afterDiscontinuity(atKill)).toEqual([]);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const newPid = await waitFor(
      'restarted packager',
      () => {
        const p = pidFor('crash');
        return p && p !== pid ? p : null;
      },
      10_000,
    );
    const restartedMs = Date.now() - killedAt;
    expect(procInfo(pid)).toBeNull();
    const after = await waitFor(
      "the restarted packager's first segment",
      () => {
        const t = readText(path.join(hls, HLS_FILES.playlist));
        return t && afterDiscontinuity(t).length > 0 ? t : null;
      },
      10_000,
    );
    const listedMs = Date.now() - killedAt;
    expect(newPid).not.toBe(pid);
    // Target: a new ffmpeg within 3 s, and its output resumes within 3 s. A segment is listed once
    // it is complete, one segment duration (1 s here) after its first frame was written.
    expect(restartedMs).toBeLessThan(3000);
    expect(listedMs - stack.config.packager.segmentSeconds * 1000).toBeLessThan(3000);
    // Continuous numbering: the listed segments are consecutive and the sequence did not restart.
    const nums = segNumbers(after);
    expect(nums).toEqual(nums.map((_, i) => nums[0]! + i));
    expect(Math.max(...nums)).toBeGreaterThan(Math.max(...segNumbers(atKill)));
    expect(mediaSequence(after)).toBe(nums[0]);
    expect(mediaSequence(after)).toBeGreaterThanOrEqual(mediaSequence(before));
    expect(after).not.toContain('#EXT-X-ENDLIST');
    // Every listed segment is on disk (no 404 for a listed segment): one that is missing must have
    // left the window by the time it was looked for (ffmpeg deletes what the window no longer lists).
    const missing = segmentNames(after).filter((s) => !fs.existsSync(path.join(hls, s)));
    const now = readText(path.join(hls, HLS_FILES.playlist)) ?? '';
    expect(missing.filter((s) => segmentNames(now).includes(s))).toEqual([]);
    expect(stack.registry.get(key)?.packaging).toBe('running');
  });
});

describe('publisher leaves and comes back', () => {
  const key = { app: 'live', name: 'rep' };
  let firstEnd: string;

  it('stops ffmpeg gracefully: the child is gone, HLS ends with #EXT-X-ENDLIST, stream.json has endedAt', async () => {
    const pub = await publish('live/rep');
    const hls = stack.dir(key, 'hls');
    await playlistWithSegments(hls, 2);
    const pid = await waitFor('packager pid', () => pidFor('rep'));
    await pub.stop();
    await waitFor('packager exit', () => procInfo(pid) === null, 10_000);
    firstEnd = await waitFor('ENDLIST', () => {
      const t = readText(path.join(hls, HLS_FILES.playlist));
      return t?.includes('#EXT-X-ENDLIST') ? t : null;
    });
    const info = await waitFor('endedAt', () => JSON.parse(readText(path.join(stack.dir(key), STREAM_INFO_FILE)) ?? '{}').endedAt);
    expect(Date.parse(info)).toBeGreaterThan(0);
    // Final HDS and Smooth manifests are complete files (FIELD-NOTES §4b: `q`, not SIGINT).
    expect(fs.statSync(path.join(stack.dir(key, 'hds'), HDS_FILES.manifest)).size).toBeGreaterThan(100);
    expect(fs.statSync(path.join(stack.dir(key, 'hds'), HDS_FILES.bootstrap('stream0'))).size).toBeGreaterThan(20);
    expect(readText(path.join(stack.dir(key, 'mss'), SMOOTH_FILES.manifest))).toContain('<SmoothStreamingMedia');
  });

  it('a plain republish within the cleanup delay continues the same playlist with a discontinuity', async () => {
    const lastBefore = Math.max(...segNumbers(firstEnd));
    await publish('live/rep');
    const hls = stack.dir(key, 'hls');
    const cont = await waitFor(
      'continued playlist',
      () => {
        const t = readText(path.join(hls, HLS_FILES.playlist));
        return t && !t.includes('#EXT-X-ENDLIST') && Math.max(...segNumbers(t)) > lastBefore ? t : null;
      },
      15_000,
    );
    expect(cont).toContain('#EXT-X-DISCONTINUITY');
    const nums = segNumbers(cont);
    expect(nums).toEqual(nums.map((_, i) => nums[0]! + i));
    expect(mediaSequence(cont)).toBeGreaterThanOrEqual(mediaSequence(firstEnd));
  });
});

describe('record mode (SPEC ING-01)', () => {
  const key = { app: 'livepkgr', name: 'recm' };
  const url = 'livepkgr/recm?adbe-live-event=ev&adbe-record-mode=record';
  it('a record-mode republish discards the earlier segments and starts a new stream', async () => {
    const pub = await publish(url);
    const hls = stack.dir(key, 'hls');
    // Five segments: the new stream's first playlist, however late a loaded machine reads it, is still
    // well short of the old numbers, so "the old later segments are gone" has something to check.
    await playlistWithSegments(hls, 5);
    await pub.stop();
    await waitFor('ENDLIST', () => readText(path.join(hls, HLS_FILES.playlist))?.includes('#EXT-X-ENDLIST'));
    const old = fs.readdirSync(hls).filter((n) => n.endsWith('.ts'));
    expect(old.length).toBeGreaterThanOrEqual(3);
    await publish(url);
    const fresh = await waitFor(
      'new playlist',
      () => {
        const t = readText(path.join(hls, HLS_FILES.playlist));
        return t && !t.includes('#EXT-X-ENDLIST') && t.includes('#EXTINF') ? t : null;
      },
      15_000,
    );
    expect(mediaSequence(fresh)).toBe(0);
    expect(fresh).not.toContain('#EXT-X-DISCONTINUITY');
    expect(segNumbers(fresh)[0]).toBe(0);
    // The earlier stream's later segments are gone from disk, not just from the playlist.
    const newest = Math.max(...segNumbers(fresh));
    const maxOld = Math.max(...old.map((n) => Number(/(\d+)/.exec(n)![1])));
    expect(maxOld).toBeGreaterThan(newest + 1);
    const onDisk = fs
      .readdirSync(hls)
      .filter((n) => n.endsWith('.ts'))
      .map((n) => Number(/(\d+)/.exec(n)![1]));
    expect(Math.max(...onDisk)).toBeLessThanOrEqual(newest + 1);
  });
});

describe('bounded disk: a finished stream is removed after cleanupDelaySeconds', () => {
  it('removes the stream directory after the delay', async () => {
    const key = { app: 'live', name: 'gone' };
    const pub = await publish('live/gone');
    await playlistWithSegments(stack.dir(key, 'hls'), 1);
    await pub.stop();
    await waitFor('ENDLIST', () => readText(path.join(stack.dir(key, 'hls'), HLS_FILES.playlist))?.includes('#EXT-X-ENDLIST'));
    expect(fs.existsSync(stack.dir(key))).toBe(true);
    await waitFor('directory removed', () => !fs.existsSync(stack.dir(key)), (CLEANUP_S + 5) * 1000, 200);
  });
});

describe('codecs other than H.264/AAC (Sorenson Spark + MP3)', () => {
  it('are transcoded to H.264/AAC rather than refused', async () => {
    const key = { app: 'live', name: 'spark' };
    const pub = await startPublisher(stack.rtmpUrl('live/spark'), { fixture: { videoCodec: 'flv1', audioCodec: 'mp3' } });
    publishers.push(pub);
    const live = await waitFor('transcoding flag', () => stack.registry.get(key)?.transcoding === true && stack.registry.get(key));
    expect(live.video?.codec).toBe('flv1');
    expect(live.audio?.codec).toBe('mp3');
    const playlist = await playlistWithSegments(stack.dir(key, 'hls'), 2);
    const second = path.join(stack.dir(key, 'hls'), segmentNames(playlist)[1]!);
    const probe = await ffprobe(second);
    expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:aac', 'video:h264']);
    // A segment after the first decodes on its own: the one encode (tee) repeats SPS/PPS at key frames.
    const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', second, '-f', 'null', '-'], { encoding: 'utf8' });
    expect(decode.status, decode.stderr).toBe(0);
    expect(decode.stderr).not.toMatch(/non-existing PPS|no frame|decode_slice/);
    // HDS and Smooth get the codec headers too.
    const manifest = await waitFor('Smooth manifest', () => readText(path.join(stack.dir(key, 'mss'), SMOOTH_FILES.manifest)));
    expect(manifest).toMatch(/FourCC="H264"[^>]*CodecPrivateData="0000000167/);
    expect(manifest).toMatch(/FourCC="AACL"[^>]*CodecPrivateData="[0-9A-F]+"/i);
    await waitFor('HDS manifest', () => readText(path.join(stack.dir(key, 'hds'), HDS_FILES.manifest))?.includes('<media'));
    await pub.stop();
  });
});

describe('close()', () => {
  it('stops every ffmpeg gracefully and reaps it (checked through /proc), leaving final manifests', async () => {
    await publish('live/c1');
    await publish('cfx/st/c2');
    await playlistWithSegments(stack.dir({ app: 'live', name: 'c1' }, 'hls'), 1);
    await playlistWithSegments(stack.dir({ app: 'cfx/st', name: 'c2' }, 'hls'), 1);
    const pids = packagerPids(stack.ingest.port);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await stack.packager!.close();
    for (const pid of pids) expect(procInfo(pid), `ffmpeg ${pid}`).toBeNull();
    expect(packagerPids(stack.ingest.port)).toEqual([]);
    for (const key of [
      { app: 'live', name: 'c1' },
      { app: 'cfx/st', name: 'c2' },
    ]) {
      expect(readText(path.join(stack.dir(key, 'hls'), HLS_FILES.playlist))).toContain('#EXT-X-ENDLIST');
      expect(fs.statSync(path.join(stack.dir(key, 'hds'), HDS_FILES.manifest)).size).toBeGreaterThan(100);
    }
  });
});
