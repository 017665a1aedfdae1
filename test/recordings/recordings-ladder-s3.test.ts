// Recordings of an ABR ladder with an S3 bucket as the store (s3rver, path-style on an IP
// endpoint): every rung's VOD files, the master, the MPD and the MP4s go to the bucket, the
// origin serves them from it (ranges included) and lists the rungs; the list pages through the
// bucket's pointer keys (S3 StartAfter) and a DELETE removes every object of the recording.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { S3Store } from '../../src/storage/s3-store.js';
import { s3StorageConfig, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { startPublisher } from '../helpers/publisher.js';
import { readText, waitFor } from '../packager/stack.js';
import { putRecordingIndex } from '../../src/recordings/catalogue.js';
import { formatDir, HLS_FILES, recordingId } from '../../src/timeline/output-layout.js';
import { get } from './recording-flow.js';
import { expectPlayableLadderRecording, type LadderRecording } from './ladder-flow.js';
import { loopbackConfig } from '../helpers/server-process.js';

const PREFIX = 'origin-abr';
const TOKEN = 'an-s3-ladder-admin-token';
let s3: TestS3;
let server: RunningServer;
let dataDir: string;
let origin: string;

beforeAll(async () => {
  s3 = await startS3rver('media');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-rec-abr-s3-'));
  const config = await loopbackConfig(dataDir, {
    packager: { ladder: 'default' },
    origin: { adminToken: TOKEN },
    storage: s3StorageConfig(s3, PREFIX),
  });
  server = await startServer({
    config,
    log: process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger(),
    roles: { ingest: true, origin: true, edge: false },
  });
  origin = `http://127.0.0.1:${server.ports.origin}`;
});

afterAll(async () => {
  await server?.close();
  await s3?.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function bucketStore(): S3Store {
  return new S3Store({
    bucket: s3.bucket,
    prefix: PREFIX,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
}

async function keys(prefix: string): Promise<string[]> {
  const store = bucketStore();
  const out: string[] = [];
  try {
    for await (const o of store.list(prefix)) out.push(o.key);
  } finally {
    store.close();
  }
  return out;
}

describe('ladder recordings in an S3 bucket', () => {
  it('store every rung in the bucket, play from it, page and delete', async () => {
    const pub = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/abrs3?record=1`, {
      fixture: { width: 640, height: 360, fps: 25, gopSeconds: 1, seconds: 10, videoKbps: 600, audioKbps: 96, sampleRate: 48000 },
    });
    // Four live segments of the top rung (about what 9 s gave an idle machine), not a fixed time:
    // on a loaded one the ladder's encoder may not have cut any in that time.
    const sourcePlaylist = path.join(formatDir(dataDir, { app: 'live', name: 'abrs3' }, 'hls'), HLS_FILES.rungPlaylist('source'));
    try {
      await waitFor('4 live segments of the top rung', () => (readText(sourcePlaylist)?.match(/#EXTINF/g)?.length ?? 0) >= 4, 60_000, 200);
    } finally {
      await pub.stop();
    }
    const rec = await waitFor(
      'the recording in the bucket',
      async () => {
        const r = await get(`${origin}/api/recordings?app=live&stream=abrs3&limit=1`);
        return (JSON.parse(r.body.toString('utf8')) as { recordings: LadderRecording[] }).recordings[0];
      },
      60_000,
      250,
    );
    await expectPlayableLadderRecording(rec, [
      { name: 'source', width: 640, height: 360 },
      { name: '240p', width: 426, height: 240 },
    ]);
    const files = await keys(`vod/live/abrs3/${rec.id}/`);
    for (const f of ['index.m3u8', 'index_source.m3u8', 'index_240p.m3u8', 'manifest.mpd', 'recording.mp4', 'recording_240p.mp4'])
      expect(files).toContain(`vod/live/abrs3/${rec.id}/${f}`);
    expect(files.some((k) => /seg_240p_\d{5}\.ts$/.test(k))).toBe(true);
    expect((await keys('recording-list/')).filter((k) => k.endsWith(rec.id))).toHaveLength(3);
    // Nothing of it stays in the data directory once stored.
    expect(fs.existsSync(path.join(dataDir, 'vod'))).toBe(false);

    const del = await fetch(`${origin}/api/recordings/${rec.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(del.status).toBe(204);
    expect(await keys(`vod/live/abrs3/${rec.id}/`)).toEqual([]);
    expect((await keys('recording-list/')).filter((k) => k.endsWith(rec.id))).toEqual([]);
    const after = JSON.parse((await get(`${origin}/api/recordings`)).body.toString('utf8')) as { recordings: unknown[] };
    expect(after.recordings).toEqual([]);
  }, 240_000);

  it('pages through the bucket’s list pointers (StartAfter), newest first', async () => {
    const store = bucketStore();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 25; i++) {
        const start = new Date(Date.parse('2026-10-01T00:00:00Z') + i * 3_600_000);
        const id = recordingId(start, `0000ab${i.toString(16).padStart(2, '0')}`);
        ids.unshift(id);
        await putRecordingIndex(store, {
          id,
          app: 'live',
          stream: i % 2 ? 'odd' : 'even',
          start: start.toISOString(),
          end: start.toISOString(),
          duration: 1,
          size: 1,
          totalBytes: 1,
          segments: 1,
        });
      }
    } finally {
      store.close();
    }
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const r = await get(`${origin}/api/recordings?limit=7${next ? `&next=${next}` : ''}`);
      expect(r.status).toBe(200);
      const body = JSON.parse(r.body.toString('utf8')) as { recordings: Array<{ id: string }>; next?: string };
      expect(body.recordings.length).toBeLessThanOrEqual(7);
      seen.push(...body.recordings.map((x) => x.id));
      next = body.next;
    } while (next !== undefined && seen.length < 100);
    expect(seen).toEqual(ids);
    const odd = JSON.parse((await get(`${origin}/api/recordings?app=live&stream=odd&limit=200`)).body.toString('utf8')) as {
      recordings: Array<{ id: string }>;
    };
    expect(odd.recordings.map((x) => x.id)).toEqual(ids.filter((_, i) => (24 - i) % 2 === 1));
  }, 60_000);
});
