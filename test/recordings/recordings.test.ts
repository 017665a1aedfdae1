// Live-to-VOD with the data directory as the store: real ffmpeg publishes over RTMP with
// `?record=1`, the recording appears once the publisher leaves and plays to the end; a stream
// published without it records nothing; the admin token guards DELETE; recordings survive a restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { formatDir } from '../../src/timeline/output-layout.js';
import { startPublisher } from '../helpers/publisher.js';
import { playlistWithSegments, waitFor } from '../packager/stack.js';
import { expectPlayableRecording, get, listRecordings, waitForRecording } from './recording-flow.js';
import { loopbackConfig } from '../helpers/server-process.js';

const TOKEN = 'a-very-secret-admin-token';
let server: RunningServer;
let dataDir: string;
let config: Config;
let origin: string;

async function start(): Promise<void> {
  server = await startServer({
    config,
    log: process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger(),
    roles: { ingest: true, origin: true, edge: false },
  });
  origin = `http://127.0.0.1:${server.ports.origin}`;
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-rec-'));
  config = await loopbackConfig(dataDir, {
    origin: { adminToken: TOKEN },
  });
  await start();
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('live-to-VOD recordings in the data directory', () => {
  it('a stream published with ?record=1 is listed once its publisher leaves and plays to the end', async () => {
    const rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
    const plain = await startPublisher(`${rtmp}/live/plain`);
    const pub = await startPublisher(`${rtmp}/live/rec?record=1`);
    await playlistWithSegments(formatDir(dataDir, { app: 'live', name: 'rec' }, 'hls'), 4);
    expect(await listRecordings(origin)).toEqual([]); // nothing while it is live
    // /api/streams names the recording-to-be, where the player links it once the stream has ended.
    const streams = JSON.parse((await get(`${origin}/api/streams`)).body.toString('utf8')) as {
      streams: Array<{ id: string; recording?: { id: string; url: string } }>;
    };
    const announced = streams.streams.find((s) => s.id === 'live/rec')?.recording;
    expect(announced?.url).toMatch(/^\/vod\/live\/rec\/\d{8}T\d{6}Z-[0-9a-f]{8}\/recording\.mp4$/);
    expect(streams.streams.find((s) => s.id === 'live/plain')?.recording).toBeUndefined();
    await Promise.all([pub.stop(), plain.stop()]);
    const rec = await waitForRecording(origin, 'live/rec');
    expect(rec).toMatchObject({ app: 'live', stream: 'rec' });
    expect(Date.parse(rec.end)).toBeGreaterThan(Date.parse(rec.start));
    expect(rec.id).toBe(announced!.id);
    expect(new URL(rec.urls.mp4).pathname).toBe(announced!.url);
    await expectPlayableRecording(rec);
    // The stream published without ?record=1 (and packager.record off) left no recording.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await listRecordings(origin)).map((r) => r.stream)).toEqual(['rec']);
  }, 120_000);

  it('recordings survive a restart', async () => {
    const before = await listRecordings(origin);
    expect(before).toHaveLength(1);
    await server.close();
    await start();
    expect(await listRecordings(origin)).toEqual(before.map((r) => ({ ...r, urls: expect.any(Object) })));
    const mp4 = await get(before[0]!.urls.mp4.replace(/^http:\/\/[^/]+/, origin));
    expect(mp4.status).toBe(200);
  }, 60_000);

  it('refuses bad ids and paths, and DELETE needs the admin token', async () => {
    const [rec] = await listRecordings(origin);
    const del = (id: string, auth?: string) =>
      fetch(`${origin}/api/recordings/${id}`, { method: 'DELETE', headers: auth ? { authorization: auth } : {} });
    expect((await del(rec!.id)).status).toBe(401);
    expect((await del(rec!.id, 'Bearer wrong-token-wrong-token')).status).toBe(401);
    expect((await del('..%2F..%2Fetc', `Bearer ${TOKEN}`)).status).toBe(400);
    expect((await del('not-an-id', `Bearer ${TOKEN}`)).status).toBe(400);
    expect((await del('20991231T000000Z-00000000', `Bearer ${TOKEN}`)).status).toBe(404);
    for (const p of [
      `/vod/live/rec/${rec!.id}/../../../stream.json`,
      `/vod/live/rec/${rec!.id}/capture.json`,
      `/vod/live/rec/x/recording.mp4`,
      `/vod/live/rec/${rec!.id}/%2e%2e%2frecording.mp4`,
      `/vod/recordings/${rec!.id}.json`,
    ]) {
      expect((await get(origin + p)).status, p).toBeGreaterThanOrEqual(400);
    }
    expect((await del(rec!.id, `Bearer ${TOKEN}`)).status).toBe(204);
    expect(await listRecordings(origin)).toEqual([]);
    expect((await get(rec!.urls.mp4.replace(/^http:\/\/[^/]+/, origin))).status).toBe(404);
    await waitFor('the recording folder to go', () => !fs.existsSync(path.join(dataDir, 'vod', 'live', 'rec', rec!.id)), 5000);
  }, 60_000);

  it('a server stopped mid-event stores what it recorded at its next start', async () => {
    const pub = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/cut?record=1`);
    await playlistWithSegments(formatDir(dataDir, { app: 'live', name: 'cut' }, 'hls'), 3);
    await server.close(); // shutdown while live: no build now, the capture stays
    await pub.stop();
    const captures = path.join(dataDir, 'streams', 'live', 'cut', 'recordings');
    const [id] = fs.readdirSync(captures);
    expect(fs.existsSync(path.join(captures, id!, 'capture.json'))).toBe(true);
    expect(await listRecordings(origin).catch(() => 'origin stopped')).toBe('origin stopped');
    await start();
    const rec = await waitForRecording(origin, 'live/cut');
    expect(rec.id).toBe(id);
    await expectPlayableRecording(rec);
    await waitFor('the capture folder to go', () => !fs.existsSync(path.join(captures, id!)), 10_000);
  }, 120_000);
});
