// A recording follows the live stream's republish rules: a plain republish continues the current
// recording (same id, longer), a record-mode republish (adbe-record-mode=record) starts a new one.
// With packager.record on every stream records, unless it publishes with ?record=0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { formatDir, hlsSegmentNumber, HLS_FILES } from '../../src/timeline/output-layout.js';
import { startPublisher } from '../helpers/publisher.js';
import { readText, waitFor } from '../packager/stack.js';
import { decodeToEnd, listRecordings, type ListedRecording } from './recording-flow.js';
import { loopbackConfig } from '../helpers/server-process.js';

const TOKEN = 'republish-admin-token';
let server: RunningServer;
let dataDir: string;
let origin: string;
let rtmp: string;
const hlsDir = () => formatDir(dataDir, { app: 'live', name: 'rp' }, 'hls');

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-rec-rp-'));
  const config = await loopbackConfig(dataDir, {
    packager: { record: true },
    origin: { adminToken: TOKEN },
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

/** Highest segment number the live playlist lists, -1 for none. */
function lastSegment(): number {
  const text = readText(path.join(hlsDir(), HLS_FILES.playlist)) ?? '';
  return Math.max(-1, ...text.split('\n').map((l) => hlsSegmentNumber(l.trim()) ?? -1));
}

/** Publishes `query` until the live playlist has `segments` more segments, then leaves. */
async function publishFor(query: string, segments: number, whileLive?: () => Promise<void>): Promise<void> {
  const from = lastSegment();
  const pub = await startPublisher(`${rtmp}/live/rp${query}`);
  // A record-mode republish restarts the numbering at 0.
  await waitFor(
    `${segments} new segments`,
    () => {
      const n = lastSegment();
      return query.includes('adbe-record-mode') ? n >= segments - 1 && n < from : n >= from + segments;
    },
    30_000,
  );
  await whileLive?.();
  await pub.stop();
}

const ofRp = async (): Promise<ListedRecording[]> => (await listRecordings(origin)).filter((r) => r.stream === 'rp');

describe('recordings across republishes', () => {
  it('plain republish continues the recording, record-mode republish starts a new one, ?record=0 records nothing', async () => {
    const norec = await startPublisher(`${rtmp}/live/norec?record=0`);
    await publishFor('', 3);
    const [first] = await waitFor(
      'the first recording',
      async () => {
        const l = await ofRp();
        return l.length === 1 ? l : undefined;
      },
      60_000,
    );
    await norec.stop();

    await publishFor('', 3, async () => {
      // Being continued now: a delete would be undone by its next end.
      const del = await fetch(`${origin}/api/recordings/${first!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(del.status).toBe(409);
    });
    const [continued] = await waitFor(
      'the recording to grow',
      async () => {
        const l = await ofRp();
        return l.length === 1 && l[0]!.duration > first!.duration + 3 ? l : undefined;
      },
      60_000,
    );
    expect(continued!.id).toBe(first!.id);
    expect(continued!.start).toBe(first!.start);

    await publishFor('?adbe-record-mode=record', 3);
    const both = await waitFor(
      'a second recording',
      async () => {
        const l = await ofRp();
        return l.length === 2 ? l : undefined;
      },
      60_000,
    );
    const fresh = both.find((r) => r.id !== first!.id)!;
    expect(fresh.duration).toBeLessThan(continued!.duration);
    expect(both.find((r) => r.id === first!.id)!.duration).toBe(continued!.duration);
    // The continued recording plays to its (new) end.
    const decoded = await decodeToEnd(continued!.urls.mp4);
    expect(decoded).toBeGreaterThan(continued!.duration - 1.5);
    expect((await listRecordings(origin)).some((r) => r.stream === 'norec')).toBe(false);
  }, 180_000);
});
