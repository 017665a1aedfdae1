// The origin's CMAF routes over real HTTP, with a timeline the test feeds fragment by fragment
// (real ffmpeg fMP4 bytes), so every held request is checked against exactly when its part
// appears: blocking reloads, the hinted part streamed as its bytes arrive, a growing segment,
// the hold bound and the cap on held requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { createOriginApp } from '../../src/origin/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { TimelineStore, type StreamTimeline } from '../../src/timeline/stream-timeline.js';
import { ffmpegCmafTrack } from '../timeline/ffmpeg-cmaf.js';

let init: Buffer;
let frags: Buffer[];

beforeAll(() => {
  // 30 fps, 1 s GOP, 6 s: fragments of 0.467/0.467/0.067 s.
  const video = ffmpegCmafTrack('video', { seconds: 6 });
  init = video.init;
  frags = video.frags.map((f) => f.bytes);
});

interface Origin {
  base: string;
  stream: StreamTimeline;
  /** Feeds the next `n` fragments (or part of one: `bytes`). */
  feed(n?: number): void;
  feedBytes(b: Buffer): void;
  next: number;
  close(): Promise<void>;
}

const open: Origin[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function startOrigin(overrides: Record<string, unknown> = {}): Promise<Origin> {
  const config = defaultConfig({ host: '127.0.0.1', originPort: 0, packager: { segmentSeconds: 1 }, ...overrides });
  const timelines = new TimelineStore();
  const stream = timelines.open('live/t', { segmentSeconds: 1, partTargetSeconds: 0.5, keepSegments: 9 });
  const sink = stream.input('video');
  sink(init);
  const app = createOriginApp({ config, registry: new LiveRegistry(), log: silentLogger(), timelines });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const o: Origin = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/live/t`,
    stream,
    next: 0,
    feed(n = 1) {
      for (let i = 0; i < n; i++) sink(frags[o.next++]!);
    },
    feedBytes: (b) => void sink(b),
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  open.push(o);
  return o;
}

function settled<T>(p: Promise<T>): () => boolean {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CMAF routes on a timeline fed by the test', () => {
  it('holds a blocking reload until the asked-for part exists, then answers at once', async () => {
    const o = await startOrigin();
    o.feed(4); // segment 0 complete, segment 1 open with one part
    const open = o.stream.track('video')!.openSegment!;
    const req = fetch(`${o.base}/chunklist_sfm4s_video.m3u8?_HLS_msn=${open.msn}&_HLS_part=1`);
    const done = settled(req);
    await sleep(300);
    expect(done()).toBe(false);
    const t0 = Date.now();
    o.feed();
    const res = await req;
    expect(Date.now() - t0).toBeLessThan(200);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('max-age=1');
    expect((await res.text()).match(/#EXT-X-PART:/g)).toHaveLength(5);
  });

  it('holds a first playlist request until the stream has a complete segment', async () => {
    const o = await startOrigin();
    o.feed(2);
    const req = fetch(`${o.base}/chunklist_sfm4s_video.m3u8`);
    const done = settled(req);
    await sleep(300);
    expect(done()).toBe(false);
    o.feed(2);
    const text = await (await req).text();
    expect(text).toContain('#EXTINF');
  });

  it('streams the preload-hinted part as its bytes arrive, ending with the complete part', async () => {
    const o = await startOrigin();
    o.feed(4);
    const playlist = await (await fetch(`${o.base}/chunklist_sfm4s_video.m3u8`)).text();
    const hint = /PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(playlist)![1];
    const res = fetch(`${o.base}/${hint}`);
    const headers = settled(res);
    await sleep(200);
    expect(headers()).toBe(false);
    const frag = frags[o.next++]!;
    const t0 = Date.now();
    o.feedBytes(frag.subarray(0, 100)); // the moof header and a little more: bytes start flowing
    const r = await res;
    expect(Date.now() - t0).toBeLessThan(200);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBeNull(); // streamed
    const reader = r.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).equals(frag.subarray(0, 100))).toBe(true);
    o.feedBytes(frag.subarray(100));
    const rest: Buffer[] = [Buffer.from(first.value!)];
    for (;;) {
      const c = await reader.read();
      if (c.done) break;
      rest.push(Buffer.from(c.value));
    }
    expect(Buffer.concat(rest).equals(frag)).toBe(true);
    // Afterwards the same name is an ordinary complete entity.
    const again = await fetch(`${o.base}/${hint}`);
    expect(again.headers.get('content-length')).toBe(String(frag.length));
  });

  it('a segment being produced is streamed part by part until it completes', async () => {
    const o = await startOrigin();
    o.feed(4);
    const msn = o.stream.track('video')!.openSegment!.msn;
    const res = await fetch(`${o.base}/seg_sfm4s_video_${msn}.m4s`);
    expect(res.status).toBe(200);
    const body = res.arrayBuffer();
    const done = settled(body);
    o.feed(2); // the rest of the 1 s GOP
    await sleep(150);
    expect(done()).toBe(false);
    o.feed(1); // the next key frame closes the segment
    expect(Buffer.from(await body).equals(Buffer.concat(frags.slice(3, 6)))).toBe(true);
  });

  it('a held request that cannot be answered within three target durations is a 503 no-store', async () => {
    const o = await startOrigin();
    o.feed(4);
    const t0 = Date.now();
    const res = await fetch(`${o.base}/chunklist_sfm4s_video.m3u8?_HLS_msn=${o.stream.track('video')!.nextMsn}&_HLS_part=0`);
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('retry-after')).toBe('1');
  }, 10_000);

  it('caps the requests held open at once', async () => {
    const o = await startOrigin({ origin: { maxHeldRequests: 2 } });
    o.feed(4);
    const msn = o.stream.track('video')!.openSegment!.msn;
    const url = `${o.base}/chunklist_sfm4s_video.m3u8?_HLS_msn=${msn}`;
    const a = fetch(url);
    const b = fetch(url);
    await sleep(100);
    const c = await fetch(url);
    expect(c.status).toBe(503);
    o.feed(3);
    expect((await a).status).toBe(200);
    expect((await b).status).toBe(200);
  });

  it('answers every waiter at once when the publisher leaves: ENDLIST, the hinted part 503', async () => {
    const o = await startOrigin();
    o.feed(2);
    const track = o.stream.track('video')!;
    const blocked = fetch(`${o.base}/chunklist_sfm4s_video.m3u8?_HLS_msn=${track.nextMsn}`);
    const hinted = fetch(`${o.base}/part_sfm4s_video_${track.nextPartSeq}.m4s`);
    await sleep(100);
    o.stream.end();
    const text = await (await blocked).text();
    expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect((await hinted).status).toBe(503);
    expect((await fetch(`${o.base}/manifest_sfm4s.mpd`)).status).toBe(200);
  });

  it('404 with a short max-age for parts not held (future beyond the hint, or unknown track)', async () => {
    const o = await startOrigin();
    o.feed(1);
    const next = o.stream.track('video')!.nextPartSeq;
    for (const uri of [
      `part_sfm4s_video_${next + 1}.m4s`,
      `part_sfm4s_audio_${next}.m4s`,
      'seg_sfm4s_video_1.m4s',
      'init_sfm4s_video_7.mp4',
    ]) {
      const r = await fetch(`${o.base}/${uri}`);
      expect(r.status, uri).toBe(404);
      expect(r.headers.get('cache-control'), uri).toBe('max-age=1');
    }
  });
});
