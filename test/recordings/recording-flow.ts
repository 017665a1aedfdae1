// The live-to-VOD flow shared by the data-directory and S3 tests: a stream published with
// `?record=1` becomes a recording once its publisher leaves, listed by /api/recordings, whose
// VOD playlist, static MPD and faststart MP4 (with ranges) play to the end with ffmpeg.
import { execFile } from 'node:child_process';
import { expect } from 'vitest';
import { waitFor } from '../packager/stack.js';

export interface ListedRecording {
  id: string;
  app: string;
  stream: string;
  start: string;
  end: string;
  duration: number;
  size: number;
  urls: { hls: string; dash: string; mp4: string };
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export async function listRecordings(origin: string): Promise<ListedRecording[]> {
  const r = await get(`${origin}/api/recordings`);
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString('utf8')) as { recordings: ListedRecording[] }).recordings;
}

export function waitForRecording(origin: string, stream: string, timeoutMs = 60_000): Promise<ListedRecording> {
  return waitFor(
    `a recording of ${stream}`,
    async () => (await listRecordings(origin)).find((r) => `${r.app}/${r.stream}` === stream),
    timeoutMs,
    250,
  );
}

/** Top-level MP4 box types in order. */
export function topLevelBoxes(mp4: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at + 8 <= mp4.length) {
    let size = mp4.readUInt32BE(at);
    const type = mp4.toString('latin1', at + 4, at + 8);
    if (size === 1) size = Number(mp4.readBigUInt64BE(at + 8));
    if (size < 8) break;
    out.push(type);
    at += size;
  }
  return out;
}

/** ffmpeg decodes the whole input; resolves with the decoded duration in seconds (from its last `time=`). */
export function decodeToEnd(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.env.FFMPEG_PATH || 'ffmpeg',
      ['-hide_banner', '-nostdin', '-v', 'error', '-stats', '-i', url, '-f', 'null', '-'],
      { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err) return reject(new Error(`ffmpeg could not play ${url}: ${stderr.slice(-600)}`));
        const times = [...stderr.matchAll(/time=(\d+):(\d+):(\d+\.\d+)/g)];
        const last = times[times.length - 1];
        if (!last) return reject(new Error(`no progress from ffmpeg for ${url}: ${stderr.slice(-300)}`));
        resolve(Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]));
      },
    );
  });
}

/** Everything a finished recording must be, checked over HTTP at `base` (the origin, or the edge in front of the bucket). */
export async function expectPlayableRecording(rec: ListedRecording, base = ''): Promise<void> {
  const url = (u: string) => (base ? base + new URL(u).pathname : u);
  expect(rec.id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  expect(rec.duration).toBeGreaterThan(3);
  expect(rec.size).toBeGreaterThan(1000);

  const hls = await get(url(rec.urls.hls));
  expect(hls.status).toBe(200);
  expect(hls.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
  const playlist = hls.body.toString('utf8');
  expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
  expect(playlist).toMatch(/#EXT-X-ENDLIST\s*$/);
  const firstSegment = playlist
    .split('\n')
    .find((l) => l.trim() && !l.startsWith('#'))!
    .trim();
  const seg = await get(url(rec.urls.hls.replace(/index\.m3u8$/, firstSegment)));
  expect(seg.status).toBe(200);
  expect(seg.headers.get('content-type')).toBe('video/MP2T');
  expect(seg.headers.get('cache-control')).toBe('max-age=86400');

  const mpd = await get(url(rec.urls.dash));
  expect(mpd.status).toBe(200);
  expect(mpd.headers.get('content-type')).toBe('application/dash+xml');
  expect(mpd.body.toString('utf8')).toMatch(/type="static"/);

  const mp4 = await get(url(rec.urls.mp4));
  expect(mp4.status).toBe(200);
  expect(mp4.headers.get('content-type')).toBe('video/mp4');
  expect(mp4.body.length).toBe(rec.size);
  const boxes = topLevelBoxes(mp4.body);
  expect(boxes).toContain('moov');
  expect(boxes.indexOf('moov'), `boxes ${boxes.join(',')}`).toBeLessThan(boxes.indexOf('mdat'));
  // SPEC VOD-02: progressive download relies on ranges.
  const part = await get(url(rec.urls.mp4), { range: 'bytes=100-1123' });
  expect(part.status).toBe(206);
  expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${rec.size}`);
  expect(part.body.equals(mp4.body.subarray(100, 1124))).toBe(true);
  const tail = await get(url(rec.urls.mp4), { range: 'bytes=-500' });
  expect(tail.status).toBe(206);
  expect(tail.body.equals(mp4.body.subarray(-500))).toBe(true);

  // ffmpeg plays each form to the end: all of the recorded media, not a prefix of it.
  for (const u of [rec.urls.mp4, rec.urls.hls, rec.urls.dash]) {
    const decoded = await decodeToEnd(url(u));
    expect(decoded, u).toBeGreaterThan(rec.duration - 1.5);
    expect(decoded, u).toBeLessThan(rec.duration + 1.5);
  }
}
