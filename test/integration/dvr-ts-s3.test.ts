// The TS HLS DVR window with an S3 bucket as the store (s3rver, path-style on an IP endpoint): over
// a run several windows long, finished TS segments older than the live edge go to the bucket and
// leave the disk, so the disk holds the live edge and not the window; the playlist keeps listing
// the whole window and the origin serves the old segments from the bucket (same type, cache policy,
// validators, ranges); segments leaving the window leave the bucket; an edge whose origin is the
// bucket serves a DVR segment straight from it; and an outage of the bucket longer than the window
// keeps the stream live, its segments on disk (bounded), then catches up. The stream is recorded
// meanwhile: the recording, hard-linked from the live segments before they move, is the whole run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type EdgeInternals } from '../../src/edge/index.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { S3Store } from '../../src/storage/s3-store.js';
import { HLS_FILES, isHlsSegmentName } from '../../src/timeline/output-layout.js';
import { ffprobe } from '../helpers/media.js';
import { waitForRecording } from '../recordings/recording-flow.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { s3StorageConfig, s3StoreFor, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { loopbackConfig } from '../helpers/server-process.js';

const PREFIX = 'origin-ts';
const WINDOW = 12;
const SEGMENT = 2;
const LIVE_EDGE = 3;
const MARGIN = 2;
const LISTED = WINDOW / SEGMENT;
const BASE = '/live/tsd';
const DVR_PREFIX = 'streams/live/tsd/dvr/';

let s3: TestS3;
let bucket: S3Store;
let server: RunningServer;
let edge: EdgeInternals;
let publisher: Publisher;
let dataDir: string;
let hlsDir: string;
let origin: string;
let publishedAt: number;

beforeAll(async () => {
  s3 = await startS3rver('media');
  bucket = s3StoreFor(s3, PREFIX);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-dvr-ts-s3-'));
  hlsDir = path.join(dataDir, 'streams', 'live', 'tsd', 'hls');
  const config = await loopbackConfig(dataDir, {
    packager: {
      cleanupDelaySeconds: 3,
      segmentSeconds: SEGMENT,
      dvrWindowSeconds: WINDOW,
      dvrMemorySegments: LIVE_EDGE,
      extraWindowSegments: MARGIN,
      cmaf: { enabled: false },
      record: true,
    },
    storage: s3StorageConfig(s3, PREFIX),
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: false } });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  // An S3 origin: the bucket and prefix are the origin path, as in a CloudFront distribution.
  edge = await startEdge({ config, log: silentLogger(), originUrl: `${s3.endpoint}/${s3.bucket}/${PREFIX}` });
  publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/tsd`);
  publishedAt = Date.now();
}, 60_000);

afterAll(async () => {
  await publisher?.stop();
  await edge?.close();
  await server?.close();
  bucket?.close();
  await s3?.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: body.toString(), body };
}

async function dvrKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of bucket.list(DVR_PREFIX)) if (o.key.endsWith('.ts')) keys.push(o.key);
  return keys;
}

const localSegments = () => fs.readdirSync(hlsDir).filter(isHlsSegmentName);
const listed = (text: string) => text.split('\n').filter((l) => isHlsSegmentName(l.trim()));
const playlist = async () => listed((await get(`${origin}${BASE}/playlist.m3u8`)).text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the TS DVR window in an S3 bucket', () => {
  it('the disk keeps the live edge, the bucket the window; old segments are served from the bucket', async () => {
    const t0 = Date.now();
    let maxLocal = 0;
    let maxKeys = 0;
    let firstSeen: string[] = [];
    // A segment fetched while it is at the live edge (on disk), to fetch again once it is in the bucket.
    let early: { name: string; etag: string | null; lastModified: string | null } | undefined;
    // Three windows long: segments go to the bucket, leave the disk, then leave the bucket.
    while (Date.now() - t0 < 3 * WINDOW * 1000) {
      await sleep(500);
      if (!fs.existsSync(hlsDir)) continue;
      if (!early && Date.now() - t0 > 3 * WINDOW * 1000 - 11_000) {
        const name = (await playlist()).at(-1)!;
        const r = await get(`${origin}${BASE}/${name}`);
        expect(r.status).toBe(200);
        early = { name, etag: r.headers.get('etag'), lastModified: r.headers.get('last-modified') };
      }
      maxLocal = Math.max(maxLocal, localSegments().length);
      const keys = await dvrKeys();
      if (keys.length && firstSeen.length === 0) firstSeen = keys;
      maxKeys = Math.max(maxKeys, keys.length);
    }
    const names = await playlist();
    expect(names.length, 'the playlist lists the whole window').toBeGreaterThanOrEqual(LISTED);
    // Live edge, plus one segment between its upload and its deletion: never the window.
    expect(maxLocal).toBeLessThanOrEqual(LIVE_EDGE + 2);
    expect(maxLocal).toBeLessThan(LISTED);
    const keys = await dvrKeys();
    expect(keys.length, 'TS segments are in the bucket').toBeGreaterThanOrEqual(LISTED - LIVE_EDGE);
    expect(maxKeys, 'the bucket holds the window and its margin, not the run').toBeLessThanOrEqual(LISTED + MARGIN + 1);
    expect(
      firstSeen.some((k) => !keys.includes(k)),
      'segments that left the window left the bucket',
    ).toBe(true);

    // The oldest listed segment is no longer on disk: the origin answers it from the bucket.
    const oldest = names[0]!;
    expect(localSegments()).not.toContain(oldest);
    const key = keys.find((k) => k.endsWith(`/${oldest}`));
    expect(key, `${oldest} is in the bucket`).toBeDefined();
    const fromStore = await get(`${origin}${BASE}/${oldest}`);
    expect(fromStore.status).toBe(200);
    const newest = names.at(-1)!;
    const fromDisk = await get(`${origin}${BASE}/${newest}`);
    expect(fromDisk.status).toBe(200);
    for (const h of ['content-type', 'cache-control']) expect(fromStore.headers.get(h), h).toBe(fromDisk.headers.get(h));
    expect(fromStore.headers.get('etag')).toBeTruthy();
    expect(fromStore.headers.get('last-modified')).toBeTruthy();
    const again = await get(`${origin}${BASE}/${oldest}`, { 'if-none-match': fromStore.headers.get('etag')! });
    expect(again.status).toBe(304);
    const part = await get(`${origin}${BASE}/${oldest}`, { range: 'bytes=188-375' });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(fromStore.body.subarray(188, 376));
    const file = path.join(dataDir, 'oldest.ts');
    fs.writeFileSync(file, fromStore.body);
    const probe = await ffprobe(file, ['-count_frames']);
    const video = probe.streams.find((s) => (s as { codec_type?: string }).codec_type === 'video') as { nb_read_frames?: string };
    expect(Number(video.nb_read_frames)).toBeGreaterThan(0);

    // The validators a segment had on disk are the ones it has from the bucket: a cache revalidates it with a 304.
    expect(localSegments()).not.toContain(early!.name);
    expect(keys.some((k) => k.endsWith(`/${early!.name}`))).toBe(true);
    const moved = await get(`${origin}${BASE}/${early!.name}`);
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).toBe(early!.etag);
    expect(moved.headers.get('last-modified')).toBe(early!.lastModified);
    expect((await get(`${origin}${BASE}/${early!.name}`, { 'if-none-match': early!.etag! })).status).toBe(304);

    // A segment that left the window is gone from both places.
    const behind = firstSeen
      .find((k) => !keys.includes(k))!
      .split('/')
      .pop()!;
    expect((await get(`${origin}${BASE}/${behind}`)).status).toBe(404);

    // The edge in front of the bucket serves the DVR segment under its key.
    const viaEdge = await get(`http://127.0.0.1:${edge.port}/${key!}`);
    expect(viaEdge.status).toBe(200);
    expect(viaEdge.body).toEqual(fromStore.body);
  }, 90_000);

  it('an outage longer than the window: the stream stays live, its segments stay on disk (bounded), then go to the bucket', async () => {
    const before = (await playlist()).at(-1);
    await s3.stop();
    let maxLocal = 0;
    try {
      const t0 = Date.now();
      while (Date.now() - t0 < (WINDOW + 3 * SEGMENT) * 1000) {
        await sleep(1000);
        maxLocal = Math.max(maxLocal, localSegments().length);
      }
      const names = await playlist();
      expect(names.at(-1), 'the live playlist goes on').not.toBe(before);
      // Served from disk while the bucket is away: the newest and a segment older than the live edge.
      expect((await get(`${origin}${BASE}/${names.at(-1)!}`)).status).toBe(200);
      expect((await get(`${origin}${BASE}/${names.at(-LIVE_EDGE - 1)!}`)).status).toBe(200);
      // The window and its margin at most: what left the window unstored was dropped.
      expect(maxLocal).toBeGreaterThan(LIVE_EDGE + 2);
      expect(maxLocal).toBeLessThanOrEqual(LISTED + MARGIN + 2);
    } finally {
      await s3.start();
    }
    // Back: the retried uploads land and the disk shrinks to the live edge again.
    const caughtUp = async () => localSegments().length <= LIVE_EDGE + 2 && !localSegments().includes((await playlist())[0]!);
    const t1 = Date.now();
    while (!(await caughtUp()) && Date.now() - t1 < 20_000) await sleep(500);
    expect(localSegments().length).toBeLessThanOrEqual(LIVE_EDGE + 2);
    const names = await playlist();
    const oldest = names[0]!;
    expect(localSegments()).not.toContain(oldest);
    expect((await get(`${origin}${BASE}/${oldest}`)).status).toBe(200);
    // The objects that left the window during the outage were deleted once the bucket was back.
    const t2 = Date.now();
    while ((await dvrKeys()).length > LISTED + MARGIN + 1 && Date.now() - t2 < 10_000) await sleep(500);
    expect((await dvrKeys()).length).toBeLessThanOrEqual(LISTED + MARGIN + 1);
    expect(fs.readdirSync(hlsDir)).toContain(HLS_FILES.playlist);
  }, 90_000);

  it('the recording of the run is whole: every segment was linked into it before it left the disk', async () => {
    const ranSeconds = (Date.now() - publishedAt) / 1000;
    await publisher.stop();
    const rec = await waitForRecording(origin, 'live/tsd', 60_000);
    // The run less ffmpeg's start and the last, unfinished segment.
    expect(rec.duration).toBeGreaterThan(ranSeconds - 4 * SEGMENT);
    expect(rec.duration).toBeLessThan(ranSeconds + SEGMENT);
  }, 90_000);

  it('once the finished stream is cleaned up, its TS DVR run leaves the bucket', async () => {
    const t0 = Date.now();
    while ((await dvrKeys()).length > 0 && Date.now() - t0 < 20_000) await sleep(500);
    expect(await dvrKeys()).toEqual([]);
    expect(fs.existsSync(hlsDir)).toBe(false);
  }, 30_000);
});
