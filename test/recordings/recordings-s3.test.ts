// Live-to-VOD with an S3 bucket as the store (s3rver, path-style on an IP endpoint): the
// recording's files and index go to the bucket, nothing to the data directory; an outage while
// the stream is live does not stop it and the upload is retried until the bucket is back; the
// origin serves /vod/ from the bucket (ranges included); and an edge whose origin is the bucket
// itself (an S3 origin) serves the recording's playlist, segments and MP4.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { startEdge, type EdgeInternals } from '../../src/edge/index.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { s3StorageConfig, s3StoreFor, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { startPublisher } from '../helpers/publisher.js';
import { playlistWithSegments, readText, waitFor } from '../packager/stack.js';
import { formatDir, HLS_FILES } from '../../src/timeline/output-layout.js';
import { expectPlayableRecording, get, waitForRecording } from './recording-flow.js';
import { loopbackConfig } from '../helpers/server-process.js';

const PREFIX = 'origin-1';
const log = () => (process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger());
let s3: TestS3;
let server: RunningServer;
let edge: EdgeInternals;
let dataDir: string;
let config: Config;
let origin: string;

beforeAll(async () => {
  s3 = await startS3rver('media');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-rec-s3-'));
  config = await loopbackConfig(dataDir, {
    storage: s3StorageConfig(s3, PREFIX),
  });
  server = await startServer({ config, log: log(), roles: { ingest: true, origin: true, edge: false } });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  // An S3 origin: the bucket and prefix are the origin path, as in a CloudFront distribution.
  edge = await startEdge({ config, log: log(), originUrl: `${s3.endpoint}/${s3.bucket}/${PREFIX}` });
});

afterAll(async () => {
  await edge?.close();
  await server?.close();
  await s3?.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const liveSegments = (hlsDir: string) => (readText(path.join(hlsDir, HLS_FILES.playlist))?.match(/#EXTINF/g) ?? []).length;

describe('live-to-VOD recordings in an S3 bucket', () => {
  it('an outage while live does not stop the stream; the upload is retried; origin and edge serve the recording from the bucket', async () => {
    const hlsDir = formatDir(dataDir, { app: 'live', name: 'cloud' }, 'hls');
    const pub = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/cloud?record=1`);
    await playlistWithSegments(hlsDir, 2);
    await s3.stop();
    // The live stream goes on while the bucket is unreachable.
    const before = fs.readFileSync(path.join(hlsDir, HLS_FILES.playlist), 'utf8');
    await waitFor(
      'the live playlist to advance during the outage',
      () => readText(path.join(hlsDir, HLS_FILES.playlist)) !== before && liveSegments(hlsDir) >= 3,
      15_000,
    );
    const live = await get(`${origin}/live/cloud/playlist.m3u8`);
    expect(live.status).toBe(200);
    await pub.stop();
    // The build's uploads fail and are retried while the bucket is down.
    await new Promise((r) => setTimeout(r, 3000));
    const down = await get(`${origin}/api/recordings`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    await s3.start();
    const rec = await waitForRecording(origin, 'live/cloud', 60_000);
    await expectPlayableRecording(rec);
    // Stored in the bucket under the prefix; nothing of it in the data directory.
    expect(fs.existsSync(path.join(dataDir, 'vod'))).toBe(false);
    const bucket = s3StoreFor(s3, PREFIX);
    const keys: string[] = [];
    for await (const o of bucket.list(`vod/live/cloud/${rec.id}/`)) keys.push(o.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        `vod/live/cloud/${rec.id}/index.m3u8`,
        `vod/live/cloud/${rec.id}/recording.mp4`,
        `vod/live/cloud/${rec.id}/manifest.mpd`,
      ]),
    );
    expect(await bucket.head(`recordings/${rec.id}.json`)).toBeDefined();
    bucket.close();

    // The edge in front of the bucket: the same URLs, the bucket's stored types and cache headers.
    const edgeBase = `http://127.0.0.1:${edge.port}`;
    await expectPlayableRecording(rec, edgeBase);
    const again = await get(edgeBase + new URL(rec.urls.hls).pathname);
    expect(again.headers.get('x-cache')).toMatch(/Hit/i);
  }, 150_000);
});
