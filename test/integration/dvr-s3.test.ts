// The DVR window with an S3 bucket as the store (s3rver, path-style on an IP endpoint): CMAF
// segments older than the live edge go to the bucket under the configured prefix, not to the data
// directory; the origin reads them back from there for a player seeking into the window; old
// objects leave the bucket as the window moves; and an outage of the bucket does not stop the live
// stream.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { S3Store } from '../../src/storage/s3-store.js';
import { ffprobe } from '../helpers/media.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { s3StorageConfig, s3StoreFor, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { loopbackConfig } from '../helpers/server-process.js';

const PREFIX = 'origin-a';
const WINDOW = 8;
const SEGMENT = 2;
const MEMORY = 3;
const BASE = '/live/ds';
const DVR_PREFIX = 'streams/live/ds/dvr/';

let s3: TestS3;
let bucket: S3Store;
let server: RunningServer;
let publisher: Publisher;
let dataDir: string;
let origin: string;

beforeAll(async () => {
  s3 = await startS3rver('media');
  bucket = s3StoreFor(s3, PREFIX);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-dvr-s3-'));
  const config = await loopbackConfig(dataDir, {
    packager: { cleanupDelaySeconds: 300, segmentSeconds: SEGMENT, dvrWindowSeconds: WINDOW, dvrMemorySegments: MEMORY },
    storage: s3StorageConfig(s3, PREFIX),
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: false } });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/ds`);
}, 60_000);

afterAll(async () => {
  await publisher?.stop();
  await server?.close();
  bucket?.close();
  await s3?.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; text: string; body: Buffer }> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, text: body.toString(), body };
}

async function dvrKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of bucket.list(DVR_PREFIX)) keys.push(o.key);
  return keys;
}

const segmentsOf = (text: string) => text.split('\n').filter((l) => l.startsWith('seg_sfm4s_video_'));

describe('the DVR window in an S3 bucket', () => {
  it('old segments go to the bucket and come back from it; the bucket stays bounded by the window', async () => {
    const t0 = Date.now();
    let maxKeys = 0;
    let firstSeen: string[] = [];
    // Three windows long: the archive writes, then deletes as the window moves.
    while (Date.now() - t0 < 3 * WINDOW * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const keys = await dvrKeys();
      if (keys.length && firstSeen.length === 0) firstSeen = keys;
      maxKeys = Math.max(maxKeys, keys.length);
    }
    const keys = await dvrKeys();
    expect(keys.length, 'DVR segments are in the bucket').toBeGreaterThanOrEqual(2);
    // Window + margin per track (video and audio), never the whole run.
    expect(maxKeys).toBeLessThanOrEqual(2 * (WINDOW / SEGMENT + 3));
    expect(
      firstSeen.some((k) => !keys.includes(k)),
      'old DVR objects were deleted from the bucket',
    ).toBe(true);
    // Nothing of the DVR window in the data directory.
    expect(fs.existsSync(path.join(dataDir, 'streams', 'live', 'ds', 'dvr'))).toBe(false);

    // The oldest listed segment is one the bucket holds; the origin serves it from there and it decodes.
    const ll = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).text;
    const oldest = segmentsOf(ll)[0]!;
    expect(keys.some((k) => k.endsWith(`/${oldest}`))).toBe(true);
    const init = (await get(`${origin}${BASE}/${/#EXT-X-MAP:URI="([^"]+)"/.exec(ll)![1]}`)).body;
    const seg = await get(`${origin}${BASE}/${oldest}`);
    expect(seg.status).toBe(200);
    const file = path.join(dataDir, 'oldest.mp4');
    fs.writeFileSync(file, Buffer.concat([init, seg.body]));
    const probe = await ffprobe(file, ['-count_frames']);
    const s = probe.streams[0] as { codec_name: string; nb_read_frames?: string };
    expect(s.codec_name).toBe('h264');
    expect(Number(s.nb_read_frames)).toBeGreaterThan(0);
  }, 60_000);

  it('an outage of the bucket does not stop the live stream', async () => {
    const before = segmentsOf((await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).text).at(-1);
    await s3.stop();
    try {
      await new Promise((r) => setTimeout(r, 3 * SEGMENT * 1000));
      const during = await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`);
      expect(during.status).toBe(200);
      expect(segmentsOf(during.text).at(-1)).not.toBe(before);
    } finally {
      await s3.start();
    }
  }, 30_000);
});
