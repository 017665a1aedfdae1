// The origin's /vod/ and /api/recordings over real HTTP, against a store holding one recording:
// conditionals and ranges on the MP4 (SPEC VOD-02), content types (SPEC VOD-04), the admin API off
// without a token, and no way out of the store through a planted symlink.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { startOrigin, type OriginHandle } from '../../src/origin/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { LocalStore } from '../../src/storage/local-store.js';
import { vodKey } from '../../src/timeline/output-layout.js';
import { putRecordingIndex } from '../../src/recordings/catalogue.js';

const ID = '20261201T133000Z-0123abcd';
const KEY = { app: 'live', name: 'talk' };
const MP4 = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
let dir: string;
let origin: OriginHandle;
let base: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamfront-vod-routes-'));
  const store = new LocalStore(dir);
  await store.put(vodKey(KEY, ID, 'recording.mp4'), MP4, 'video/mp4');
  await store.put(
    vodKey(KEY, ID, 'index.m3u8'),
    Buffer.from('#EXTM3U\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-ENDLIST\n'),
    'application/vnd.apple.mpegurl',
  );
  const info = {
    id: ID,
    app: 'live',
    stream: 'talk',
    start: '2026-12-01T13:30:00.000Z',
    end: '2026-12-01T13:31:00.000Z',
    duration: 60,
    size: MP4.length,
    totalBytes: MP4.length,
    segments: 30,
  };
  await putRecordingIndex(store, info);
  // A link planted where a stream's recordings would be: never followed.
  await fs.mkdir(path.join(dir, 'outside'));
  await fs.writeFile(path.join(dir, 'outside', 'recording.mp4'), 'secret');
  await fs.mkdir(path.join(dir, 'vod', 'live', 'evil'), { recursive: true });
  await fs.symlink(path.join(dir, 'outside'), path.join(dir, 'vod', 'live', 'evil', ID));
  const config = defaultConfig({ host: '127.0.0.1', originPort: 0, dataDir: dir, logLevel: 'silent' });
  origin = await startOrigin({ config, registry: new LiveRegistry(), log: silentLogger() });
  base = `http://127.0.0.1:${origin.port}`;
});

afterAll(async () => {
  await origin?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const mp4Url = () => `${base}/vod/live/talk/${ID}/recording.mp4`;

describe('origin /vod/ and /api/recordings', () => {
  it('lists the recording with its URLs', async () => {
    const body = (await (await fetch(`${base}/api/recordings`)).json()) as { recordings: Array<{ id: string; urls: { mp4: string } }> };
    expect(body.recordings.map((r) => r.id)).toEqual([ID]);
    expect(body.recordings[0]!.urls.mp4).toBe(mp4Url());
    expect((await fetch(`${base}/api/recordings/${ID}`)).status).toBe(200);
    expect((await fetch(`${base}/api/recordings/nope`)).status).toBe(400);
  });

  it('serves the MP4 whole, by range, HEAD, 304 and 416', async () => {
    const whole = await fetch(mp4Url());
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(MP4)).toBe(true);
    const etag = whole.headers.get('etag')!;
    const part = await fetch(mp4Url(), { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${MP4.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(MP4.subarray(10, 20))).toBe(true);
    expect((await fetch(mp4Url(), { headers: { 'if-none-match': etag } })).status).toBe(304);
    const beyond = await fetch(mp4Url(), { headers: { range: 'bytes=999999-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${MP4.length}`);
    const head = await fetch(mp4Url(), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(MP4.length));
    const playlist = await fetch(`${base}/vod/live/talk/${ID}/index.m3u8`);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(playlist.headers.get('cache-control')).toBe('max-age=60');
  });

  it('answers 403 to DELETE while no admin token is configured, and keeps the recording', async () => {
    const res = await fetch(`${base}/api/recordings/${ID}`, { method: 'DELETE', headers: { authorization: 'Bearer anything-anything' } });
    expect(res.status).toBe(403);
    expect((await fetch(mp4Url())).status).toBe(200);
  });

  it('never serves through a symlink in the store, nor a path outside /vod/ file names', async () => {
    expect((await fetch(`${base}/vod/live/evil/${ID}/recording.mp4`)).status).toBe(404);
    expect((await fetch(`${base}/vod/live/talk/${ID}/..%2F..%2F..%2Frecordings%2F${ID}.json`)).status).toBe(400);
    expect((await fetch(`${base}/vod/live/talk/${ID}/recording.mp4.tmp`)).status).toBe(404);
  });
});
