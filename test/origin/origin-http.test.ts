// Integration over real HTTP on 127.0.0.1 with small fixture files in a temporary data directory:
// traversal safety (raw request lines, not normalised by a client), half-written and planted files,
// policy files, CORS, /api/streams, /healthz, the player files and the request log.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startOrigin, type OriginHandle } from '../../src/origin/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { formatDir, HDS_FILES, HLS_FILES, STREAM_INFO_FILE, streamDir } from '../../src/timeline/output-layout.js';
import { rawRequest } from './raw-http.js';
import { liveStream } from '../helpers/live-stream.js';

const SECRET = 'TOP-SECRET-7f3a9c';
const demo = { app: 'live', name: 'demo' };
const PLAYLIST =
  '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:2.0,\nseg_00001.ts\n#EXTINF:2.0,\nseg_00002.ts\n';

let root: string;
let origin: OriginHandle;
let base: string;
const logLines: string[] = [];
const registry = new LiveRegistry();

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-origin-http-'));
  const dataDir = path.join(root, 'data');
  await fs.writeFile(path.join(root, 'secret.txt'), SECRET);
  const hls = formatDir(dataDir, demo, 'hls');
  const hds = formatDir(dataDir, demo, 'hds');
  await fs.mkdir(hls, { recursive: true });
  await fs.mkdir(hds, { recursive: true });
  await fs.writeFile(
    path.join(streamDir(dataDir, demo), STREAM_INFO_FILE),
    JSON.stringify({ app: 'live', name: 'demo', startedAt: new Date().toISOString() }),
  );
  await fs.writeFile(path.join(hls, HLS_FILES.playlist), PLAYLIST);
  await fs.writeFile(path.join(hls, HLS_FILES.segment(1)), Buffer.alloc(1880, 0x47));
  // On disk but not yet in the playlist: still being written as far as the origin can tell.
  await fs.writeFile(path.join(hls, HLS_FILES.segment(3)), Buffer.alloc(100, 0x47));
  // Listed, but a symlink planted to a file outside the data directory: never followed.
  await fs.symlink(path.join(root, 'secret.txt'), path.join(hls, HLS_FILES.segment(2)));
  // ffmpeg interrupted by SIGINT leaves a 0-byte manifest (FIELD-NOTES §4b): never served.
  await fs.writeFile(path.join(hds, HDS_FILES.manifest), '');
  registry.add(liveStream(demo.app, demo.name, { video: { codec: 'h264' }, audio: { codec: 'aac' } }));
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const config = defaultConfig({ host: '127.0.0.1', originPort: 0, dataDir });
  origin = await startOrigin({ config, registry, log: pino({ level: 'debug' }, sink), rtmpPort: 19999 });
  base = `http://127.0.0.1:${origin.port}`;
});

afterAll(async () => {
  await origin?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('traversal and bad requests never reach a file outside the data directory', () => {
  const vectors = [
    '/../secret.txt',
    '/../../secret.txt',
    '/live/demo/../../../../secret.txt',
    '/live/demo/..%2f..%2f..%2f..%2fsecret.txt',
    '/live/demo/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt',
    '/live/demo/%2E%2E%2F%2E%2E%2Fsecret.txt',
    '/live/demo/%252e%252e%252f%252e%252e%252fsecret.txt',
    '/live/demo/..%5c..%5csecret.txt',
    '/live/demo/..\\..\\secret.txt',
    '/live/demo/seg_00001.ts%00',
    '/live/demo/seg_00001.ts%00.m3u8',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    '/index.html/../../secret.txt',
    '/vendor/..%2f..%2fpackage.json',
    '/player.js%2f..%2f..%2fpackage.json',
    '/hls-live/live/_definst_/..%2f..%2f/demo.m3u8',
    '/demo.isml/..%2f..%2fsecret.txt',
    '//secret.txt',
    '/live/demo/seg_00002.ts', // the planted symlink (listed in the playlist)
    `/live/demo/${'a'.repeat(3000)}`,
    'http://127.0.0.1/../secret.txt',
  ];

  it.each(vectors.map((v) => [v.length > 80 ? `${v.slice(0, 60)}… (${v.length} chars)` : v, v]))('%s', async (_label, target) => {
    const res = await rawRequest(origin.port, target);
    expect([400, 404]).toContain(res.status);
    expect(res.body.toString('latin1')).not.toContain(SECRET);
  });

  it('answers traversal with 400 and a short max-age', async () => {
    for (const t of ['/live/demo/..%2f..%2fsecret.txt', '/live/demo/%252e%252e/x', '/live/demo/x%00', `/${'a'.repeat(3000)}`]) {
      const res = await rawRequest(origin.port, t);
      expect(res.status, t).toBe(400);
      expect(res.headers['cache-control']).toBe('max-age=1');
    }
  });

  it('serves a listed segment but not one still being written, nor a 0-byte manifest', async () => {
    expect((await fetch(`${base}/live/demo/seg_00001.ts`)).status).toBe(200);
    const writing = await fetch(`${base}/live/demo/seg_00003.ts`);
    expect(writing.status).toBe(404);
    expect(writing.headers.get('cache-control')).toBe('max-age=1');
    const empty = await fetch(`${base}/live/demo/manifest.f4m`);
    expect(empty.status).toBe(404);
    expect(empty.headers.get('cache-control')).toBe('max-age=1');
  });

  it('unknown paths → 404 JSON with max-age=1; other methods → 405', async () => {
    const res = await fetch(`${base}/nothing/here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('max-age=1');
    expect(await res.json()).toEqual({ error: 'not found' });
    const post = await fetch(`${base}/live/demo/playlist.m3u8`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});

describe('policy files and CORS', () => {
  it.each(['/crossdomain.xml', '/crossdomainpolicy.xml'])('%s allows all domains (SPEC RTMP-40, 9.20)', async (p) => {
    const res = await fetch(base + p);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const text = await res.text();
    expect(text).toContain('<cross-domain-policy>');
    expect(text).toContain('<allow-access-from domain="*"');
  });

  it.each(['/clientaccesspolicy.xml', '/ClientAccessPolicy.xml'])('%s allows all (Silverlight, SPEC 2.2, VOD-01)', async (p) => {
    const res = await fetch(base + p);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('<access-policy>');
    expect(text).toContain('<domain uri="*"/>');
    expect(text).toContain('<resource path="/" include-subpaths="true"/>');
  });

  it('sends CORS headers on manifests and media', async () => {
    for (const p of ['/live/demo/playlist.m3u8', '/live/demo/seg_00001.ts']) {
      const res = await fetch(base + p, { headers: { origin: 'http://player.example' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
      for (const h of ['Content-Length', 'Content-Range', 'ETag', 'Age', 'X-Cache']) expect(exposed).toContain(h);
    }
  });

  it('answers an OPTIONS preflight', async () => {
    const res = await fetch(`${base}/live/demo/seg_00001.ts`, {
      method: 'OPTIONS',
      headers: { origin: 'http://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('range');
  });
});

describe('API, health and player', () => {
  it('/api/streams uses the Host the client sent and the given RTMP port', async () => {
    const res = await rawRequest(origin.port, '/api/streams', 'GET', {});
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('max-age=1');
    const body = JSON.parse(res.body.toString()) as { streams: Array<Record<string, any>> };
    expect(body.streams).toHaveLength(1);
    const s = body.streams[0];
    expect(s).toMatchObject({ id: 'live/demo', app: 'live', name: 'demo', event: null, codecs: { video: 'h264', audio: 'aac' } });
    expect(s.paths).toEqual({
      wowza: { hls: '/live/demo/playlist.m3u8', hds: '/live/demo/manifest.f4m', smooth: '/live/demo/Manifest' },
      iis: { smooth: '/demo.isml/manifest', hls: '/demo.isml/manifest(format=m3u8-aapl).m3u8' },
    });
    expect(s.urls.wowza.hls).toBe('http://127.0.0.1/live/demo/playlist.m3u8'); // rawRequest sends `Host: 127.0.0.1`
    expect(s.rtmp).toEqual(['rtmp://127.0.0.1:19999/live/demo', 'rtmp://127.0.0.1:19999/cfx/st/demo']);
    const viaFetch = (await (await fetch(`${base}/api/streams`)).json()) as { streams: Array<Record<string, any>> };
    expect(viaFetch.streams[0].urls.iis.smooth).toBe(`${base}/demo.isml/manifest`);
  });

  it('/healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', streams: 1, uptimeSeconds: expect.any(Number) });
    expect((await fetch(`${base}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  it('serves the demo player and hls.js with a short max-age', async () => {
    const playerDir = path.resolve('player');
    const hasPlayer = await fs.stat(path.join(playerDir, 'index.html')).then(
      () => true,
      () => false,
    );
    for (const p of ['/', '/index.html']) {
      const res = await fetch(base + p);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('max-age=60');
      const text = await res.text();
      if (hasPlayer) expect(text).toBe(await fs.readFile(path.join(playerDir, 'index.html'), 'utf8'));
      else expect(text).toContain('/api/streams');
    }
    const hls = await fetch(`${base}/vendor/hls.min.js`);
    expect(hls.status).toBe(200);
    expect(hls.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await hls.text()).length).toBeGreaterThan(100_000);
    if (hasPlayer) {
      for (const f of (await fs.readdir(playerDir)).filter((n) => /^[A-Za-z0-9_-]+\.(js|css)$/.test(n))) {
        const res = await fetch(`${base}/${f}`);
        expect(res.status, f).toBe(200);
        expect(res.headers.get('content-type'), f).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      }
      // Only plain player files: nothing else from the folder or the repository.
      expect((await fetch(`${base}/streams.d.ts`)).status).toBe(404);
    }
    expect((await fetch(`${base}/package.json`)).status).toBe(404);
  });

  it('logs requests at debug level with the origin role', async () => {
    await fetch(`${base}/healthz?probe=log`);
    await new Promise((r) => setTimeout(r, 50));
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.url === '/healthz?probe=log');
    expect(line).toMatchObject({ level: 20, role: 'origin', method: 'GET', status: 200, msg: 'request' });
  });
});
