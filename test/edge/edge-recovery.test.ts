// Regression: the edge after an origin outage (stale only while the origin fails, short error
// TTLs with the default configuration, no cached 504 for a held response, one timeout before a
// stale copy on a frozen origin), collapsed fetches that survive a viewer hanging up, HEAD misses
// without a body, and the cap on multipart ranges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';
import { freePort } from '../helpers/ports.js';

/** A live HLS origin like streamfront's: playlist max-age=2, segments max-age=60, 404 max-age=1. */
function liveOrigin(state: { seq: number; requests: string[] }): http.Server {
  return http.createServer((req, res) => {
    state.requests.push(req.url!);
    const url = req.url!.split('?')[0]!;
    if (url === '/live/talk/playlist.m3u8') {
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${state.seq}`];
      for (let i = state.seq; i < state.seq + 3; i++) lines.push('#EXTINF:2.0,', `seg_${String(i).padStart(5, '0')}.ts`);
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'max-age=2' });
      return void res.end(`${lines.join('\n')}\n`);
    }
    const seg = /^\/live\/talk\/seg_(\d{5})\.ts$/.exec(url);
    if (seg && Number(seg[1]) < state.seq + 3) {
      res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Cache-Control': 'max-age=60' });
      return void res.end(`segment ${seg[1]}`);
    }
    if (url === '/player.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'max-age=60' });
      return void res.end('player');
    }
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=1' });
    res.end('not yet');
  });
}

const listen = (s: http.Server, port: number) => new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
const stop = (s: http.Server) =>
  new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });

/** Polls until `ok` holds; returns the milliseconds it took (or Infinity after `limitMs`). */
async function within(limitMs: number, ok: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    if (await ok()) return Date.now() - t0;
    await sleep(50);
  }
  return Infinity;
}

describe('origin outage with the default configuration (npm start)', () => {
  it('stale while down, then the fresh playlist and every newly listed segment within 2 s of the return', async () => {
    const port = await freePort();
    const state = { seq: 10, requests: [] as string[] };
    let server = liveOrigin(state);
    await listen(server, port);
    const edge = await startTestEdge(`http://127.0.0.1:${port}`);
    try {
      expect((await get(edge.port, '/live/talk/playlist.m3u8')).body.toString()).toContain('MEDIA-SEQUENCE:10');
      await get(edge.port, '/live/talk/seg_00010.ts');
      await stop(server);
      await sleep(2200); // the playlist expires while the origin is gone
      const stale = await get(edge.port, '/live/talk/playlist.m3u8');
      expect(stale.status).toBe(200);
      expect(stale.body.toString()).toContain('MEDIA-SEQUENCE:10');
      expect(stale.headers.warning).toContain('110');
      // Objects first asked for during the outage: errors, briefly.
      expect((await get(edge.port, '/player.js')).status).toBe(502);
      expect((await get(edge.port, '/live/talk/seg_00099.ts')).status).toBe(502);
      await sleep(1500);
      state.seq = 99; // the stream moved on while the origin was away
      server = liveOrigin(state);
      await listen(server, port);
      const back = Date.now();
      const freshPlaylist = await within(3000, async () =>
        (await get(edge.port, '/live/talk/playlist.m3u8')).body.toString().includes('MEDIA-SEQUENCE:99'),
      );
      const newSegment = await within(3000, async () => (await get(edge.port, '/live/talk/seg_00099.ts')).status === 200);
      const player = await within(3000, async () => (await get(edge.port, '/player.js')).status === 200);
      const total = Date.now() - back;
      expect(freshPlaylist, 'fresh playlist after the origin returned (ms)').toBeLessThan(2000);
      expect(newSegment, 'newly listed segment after the origin returned (ms)').toBeLessThan(2000);
      expect(player).toBeLessThan(2000);
      expect(total).toBeLessThan(2500);
      // Once fetched fresh, the playlist is no longer served stale.
      const after = await get(edge.port, '/live/talk/playlist.m3u8');
      expect(after.headers.warning).toBeUndefined();
    } finally {
      await edge.close();
      await stop(server).catch(() => {});
    }
  });
});

describe('held and frozen origins', () => {
  let origin: TestOrigin;
  let edge: EdgeInternals;
  let frozen = false;
  let holdFirst = true;
  beforeAll(async () => {
    origin = await startTestOrigin();
    origin.route('/frozen', (_req, res) => {
      if (frozen) return; // accepts, never answers
      res.writeHead(200, { 'Cache-Control': 'max-age=1', 'Content-Type': 'text/plain' });
      res.end('copy before the freeze');
    });
    origin.route('/held', (_req, res) => {
      if (holdFirst) {
        holdFirst = false;
        return; // the first request is held past the timeout
      }
      res.writeHead(200, { 'Cache-Control': 'max-age=60' });
      res.end('answered');
    });
    origin.route('/slow-miss', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '10', 'Cache-Control': 'max-age=60' });
      setTimeout(() => res.write('01234'), 150);
      setTimeout(() => res.end('56789'), 400);
    });
    origin.route('/obj', (_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=60', 'Content-Type': 'text/plain', ETag: '"o1"' });
      res.end(Buffer.alloc(19_000, 'x'));
    });
    origin.route('*', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        res.writeHead(200, { 'Cache-Control': 'max-age=60', 'X-Body-Bytes': String(n) });
        res.end();
      });
    });
    edge = await startTestEdge(origin.url, {
      distributions: [{ origins: [{ id: 'o', url: origin.url, responseTimeoutSeconds: 0.5, retries: 2 }] }],
    });
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  it('a revalidation that hangs on a frozen origin serves the stale copy after one response timeout, not three', async () => {
    expect((await get(edge.port, '/frozen')).body.toString()).toBe('copy before the freeze');
    frozen = true;
    await sleep(1100);
    const t0 = Date.now();
    const r = await get(edge.port, '/frozen');
    const waited = Date.now() - t0;
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('copy before the freeze');
    expect(r.headers.warning).toContain('110');
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(1200); // three attempts would be ≥ 1500 ms
  });

  it('a held response that runs into the origin timeout is a 504 that is not cached', async () => {
    const e = await startTestEdge(origin.url, {
      distributions: [{ origins: [{ id: 'o', url: origin.url, responseTimeoutSeconds: 0.3, retries: 0 }] }],
    });
    try {
      expect((await get(e.port, '/held')).status).toBe(504);
      const next = await get(e.port, '/held');
      expect(next.status).toBe(200);
      expect(next.body.toString()).toBe('answered');
    } finally {
      await e.close();
    }
  });

  it('the first viewer hanging up right away does not make the collapsed fetch uncacheable for the others', async () => {
    const quitter = http.get({ host: '127.0.0.1', port: edge.port, path: '/slow-miss', agent: false });
    quitter.on('error', () => {});
    await sleep(50);
    quitter.destroy();
    await sleep(30);
    const other = await get(edge.port, '/slow-miss');
    expect(other.status).toBe(200);
    expect(other.body.toString()).toBe('0123456789');
    expect((await get(edge.port, '/slow-miss')).headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.count('/slow-miss')).toBe(1);
  });

  it('a HEAD miss forwards no body to the origin', async () => {
    const status = await new Promise<string>((resolve) => {
      const s = net.connect(edge.port, '127.0.0.1');
      let text = '';
      s.on('data', (c) => (text += c.toString('latin1')));
      s.on('close', () => resolve(text));
      s.write('HEAD /head-body HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world');
      setTimeout(() => s.end(), 300);
    });
    expect(status).toMatch(/^HTTP\/1\.1 200/);
    const seen = origin.requests.find((q) => q.url === '/head-body')!;
    expect(seen.method).toBe('HEAD');
    expect(seen.headers['content-length']).toBeUndefined();
    expect(seen.headers['transfer-encoding']).toBeUndefined();
  });

  it('2,000 one-byte ranges get the whole object (200), not a multipart answer larger than the object', async () => {
    await get(edge.port, '/obj');
    const range = `bytes=${Array.from({ length: 2000 }, (_, i) => `${i * 3}-${i * 3}`).join(',')}`;
    const r = await get(edge.port, '/obj', { Range: range });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(19_000);
    const few = await get(edge.port, '/obj', { Range: 'bytes=0-0,10-10,20-20' });
    expect(few.status).toBe(206);
    expect(few.headers['content-type']).toMatch(/^multipart\/byteranges/);
  });
});
