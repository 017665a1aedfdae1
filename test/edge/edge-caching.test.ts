// Integration: the edge in front of a scripted origin on 127.0.0.1 (SPEC §4.2, 4.7–4.9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';
import { freePort } from '../helpers/ports.js';

let origin: TestOrigin;
let edge: EdgeInternals;

/** The stored copy of a path under the default behaviour (identity encoding). */
function stored(path: string, behaviourIndex = -1) {
  return edge.server.store.get(`EDFDVBD6EXAMPLE\u0001${behaviourIndex}\u0001id\u0001${path}`);
}

function object(headers: Record<string, string>, body = 'x'.repeat(100)): http.RequestListener {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
}

beforeAll(async () => {
  origin = await startTestOrigin();
  edge = await startTestEdge(origin.url, {
    distributions: [
      {
        behaviors: [
          { pathPattern: '/min/*', minTtl: 2 },
          { pathPattern: '/err/*', minTtl: 0 },
          { pathPattern: '/qs/*', forwardQueryString: true },
          { pathPattern: '/ck/*', cookies: { forward: 'whitelist', whitelist: ['user_*'] } },
          {
            pathPattern: '/hdr/*',
            headers: { forward: 'whitelist', whitelist: ['X-Variant', 'CloudFront-Viewer-Country', 'Accept-Language'] },
          },
          { pathPattern: '/all/*', headers: { forward: 'all' } },
          { pathPattern: '/post/*', allowedMethods: 'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE' },
          { pathPattern: '/opt/*', allowedMethods: 'GET,HEAD,OPTIONS', cacheOptions: true },
        ],
        errorCachingMinTtl: { '404': 1, '500': 1, '502': 1, '503': 2, '504': 1 },
        customErrorResponses: [{ errorCode: 403, responsePagePath: '/errors/403.html', responseCode: 200 }],
      },
    ],
    ipCountries: [{ cidr: '127.0.0.0/8', country: 'NZ' }],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('TTL-04 rows, MinTTL = 0 (default behaviour)', () => {
  it('max-age: edge TTL = max-age; Miss → Hit → (expired) revalidation', async () => {
    origin.route('/t/max-age', object({ 'Cache-Control': 'max-age=1' }));
    expect((await get(edge.port, '/t/max-age')).headers['x-cache']).toBe('Miss from cloudfront');
    const hit = await get(edge.port, '/t/max-age');
    expect(hit.headers['x-cache']).toBe('Hit from cloudfront');
    expect(hit.headers['cache-control']).toBe('max-age=1'); // browser: max-age, passed through
    expect(stored('/t/max-age')!.ttl).toBe(1);
    await sleep(1100);
    expect((await get(edge.port, '/t/max-age')).headers['x-cache']).toBe('Miss from cloudfront');
    expect(origin.count('/t/max-age')).toBe(2);
  });

  it('no caching headers: edge TTL = 24 h (DefaultTTL)', async () => {
    origin.route('/t/none', object({}));
    await get(edge.port, '/t/none');
    expect((await get(edge.port, '/t/none')).headers['x-cache']).toBe('Hit from cloudfront');
    expect(stored('/t/none')!.ttl).toBe(86400);
  });

  it('s-maxage + max-age: edge TTL = s-maxage, browser keeps max-age', async () => {
    origin.route('/t/smax', object({ 'Cache-Control': 'max-age=5, s-maxage=300' }));
    await get(edge.port, '/t/smax');
    const hit = await get(edge.port, '/t/smax');
    expect(hit.headers['x-cache']).toBe('Hit from cloudfront');
    expect(hit.headers['cache-control']).toBe('max-age=5, s-maxage=300');
    expect(stored('/t/smax')!.ttl).toBe(300);
  });

  it('max-age wins over Expires (TTL-02)', async () => {
    origin.route('/t/max-expires', object({ 'Cache-Control': 'max-age=7', Expires: new Date(Date.now() + 3600_000).toUTCString() }));
    await get(edge.port, '/t/max-expires');
    expect(stored('/t/max-expires')!.ttl).toBe(7);
  });

  it('Expires: cached until the date, then every request goes to the origin', async () => {
    const expires = new Date(Date.now() + 2000).toUTCString();
    origin.route('/t/expires', (_req, res) => {
      res.writeHead(200, { Date: new Date().toUTCString(), Expires: expires, ETag: '"e1"' });
      res.end('expiring');
    });
    await get(edge.port, '/t/expires');
    expect((await get(edge.port, '/t/expires')).headers['x-cache']).toBe('Hit from cloudfront');
    const ttl = stored('/t/expires')!.ttl;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2);
    await sleep(2100);
    await get(edge.port, '/t/expires');
    await get(edge.port, '/t/expires');
    expect(origin.count('/t/expires')).toBe(3); // date passed: each request went to the origin
  });

  it.each(['no-cache', 'no-store', 'private'])('%s: not cached', async (cc) => {
    const path = `/t/${cc}`;
    origin.route(path, object({ 'Cache-Control': cc }));
    await get(edge.port, path);
    expect((await get(edge.port, path)).headers['x-cache']).toBe('Miss from cloudfront');
    expect(origin.count(path)).toBe(2);
    expect(stored(path)).toBeUndefined();
  });

  it('TTL-06: viewer Cache-Control and Pragma do not force a refetch', async () => {
    origin.route('/t/viewer-cc', object({ 'Cache-Control': 'max-age=60' }));
    await get(edge.port, '/t/viewer-cc');
    const r = await get(edge.port, '/t/viewer-cc', { 'Cache-Control': 'no-cache', Pragma: 'no-cache' });
    expect(r.headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.count('/t/viewer-cc')).toBe(1);
  });
});

describe('TTL-04 rows, MinTTL = 2 (/min/*)', () => {
  it('max-age below MinTTL: edge max(max-age, MinTTL), browser max-age', async () => {
    origin.route('/min/max-age', object({ 'Cache-Control': 'max-age=1' }));
    await get(edge.port, '/min/max-age');
    expect(stored('/min/max-age', 0)!.ttl).toBe(2);
    await sleep(1200);
    const r = await get(edge.port, '/min/max-age');
    expect(r.headers['x-cache']).toBe('Hit from cloudfront'); // past max-age, inside MinTTL
    expect(r.headers['cache-control']).toBe('max-age=1');
  });

  it('max-age above MinTTL: max-age', async () => {
    origin.route('/min/long', object({ 'Cache-Control': 'max-age=100' }));
    await get(edge.port, '/min/long');
    expect(stored('/min/long', 0)!.ttl).toBe(100);
  });

  it('no max-age: max(24 h, MinTTL)', async () => {
    origin.route('/min/none', object({}));
    await get(edge.port, '/min/none');
    expect(stored('/min/none', 0)!.ttl).toBe(86400);
  });

  it('s-maxage: max(s-maxage, MinTTL)', async () => {
    origin.route('/min/smax', object({ 'Cache-Control': 'max-age=100, s-maxage=1' }));
    await get(edge.port, '/min/smax');
    expect(stored('/min/smax', 0)!.ttl).toBe(2);
  });

  it('Expires in the past: edge keeps it for MinTTL', async () => {
    origin.route('/min/expires', object({ Expires: new Date(Date.now() - 60_000).toUTCString() }));
    await get(edge.port, '/min/expires');
    expect((await get(edge.port, '/min/expires')).headers['x-cache']).toBe('Hit from cloudfront');
    expect(stored('/min/expires', 0)!.ttl).toBe(2);
  });

  it.each(['no-cache', 'no-store', 'private'])('%s: edge caches for MinTTL, browser header passed on', async (cc) => {
    const path = `/min/${cc}`;
    origin.route(path, object({ 'Cache-Control': cc }));
    await get(edge.port, path);
    const r = await get(edge.port, path);
    expect(r.headers['x-cache']).toBe('Hit from cloudfront');
    expect(r.headers['cache-control']).toBe(cc);
    expect(stored(path, 0)!.ttl).toBe(2);
    expect(origin.count(path)).toBe(1);
  });
});

describe('revalidation (TTL-07, CND-01)', () => {
  it('Miss → Hit → RefreshHit on 304, and a changed object replaces the copy', async () => {
    let version = 'v1';
    origin.route('/t/reval', (req, res) => {
      const etag = `"${version}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag, 'Cache-Control': 'max-age=1' });
        return void res.end();
      }
      res.writeHead(200, { ETag: etag, 'Cache-Control': 'max-age=1', 'Content-Type': 'text/plain' });
      res.end(`body ${version}`);
    });
    const seq: string[] = [];
    for (const wait of [0, 0, 1100, 0]) {
      await sleep(wait);
      const r = await get(edge.port, '/t/reval');
      seq.push(`${r.headers['x-cache']}:${r.body}`);
    }
    expect(seq).toEqual([
      'Miss from cloudfront:body v1',
      'Hit from cloudfront:body v1',
      'RefreshHit from cloudfront:body v1',
      'Hit from cloudfront:body v1',
    ]);
    expect(origin.requests.filter((q) => q.url === '/t/reval').map((q) => q.headers['if-none-match'])).toEqual([undefined, '"v1"']);
    version = 'v2';
    await sleep(1100);
    const changed = await get(edge.port, '/t/reval');
    expect(changed.headers['x-cache']).toBe('Miss from cloudfront');
    expect(changed.body.toString()).toBe('body v2');
  });

  it('If-Modified-Since is used when there is only Last-Modified', async () => {
    const lm = new Date(Date.now() - 3600_000).toUTCString();
    origin.route('/t/lm', (req, res) => {
      if (req.headers['if-modified-since'] === lm) {
        res.writeHead(304, { 'Last-Modified': lm, 'Cache-Control': 'max-age=1' });
        return void res.end();
      }
      res.writeHead(200, { 'Last-Modified': lm, 'Cache-Control': 'max-age=1' });
      res.end('lm body');
    });
    await get(edge.port, '/t/lm');
    await sleep(1100);
    expect((await get(edge.port, '/t/lm')).headers['x-cache']).toBe('RefreshHit from cloudfront');
  });
});

describe('request collapsing', () => {
  it('N concurrent cold requests make exactly one origin request, all get the bytes', async () => {
    const body = Buffer.alloc(300_000, 7);
    origin.route('/t/collapse', (_req, res) => {
      res.writeHead(200, { 'Content-Length': String(body.length), 'Cache-Control': 'max-age=60' });
      // Sent in two halves with a pause, so later viewers join mid-stream.
      res.write(body.subarray(0, 150_000));
      setTimeout(() => res.end(body.subarray(150_000)), 150);
    });
    const all = await Promise.all(Array.from({ length: 40 }, () => get(edge.port, '/t/collapse')));
    expect(origin.count('/t/collapse')).toBe(1);
    for (const r of all) expect(r.body.equals(body)).toBe(true);
    // Viewers that joined the fetch see Miss; any that arrived after it completed see Hit.
    for (const r of all) expect(['Miss from cloudfront', 'Hit from cloudfront']).toContain(r.headers['x-cache']);
    expect(all.some((r) => r.headers['x-cache'] === 'Miss from cloudfront' && r !== all[0])).toBe(true);
  });

  it('the first viewer gets bytes before the origin has finished (no whole-object buffering)', async () => {
    let finish!: () => void;
    origin.route('/t/trickle', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '10', 'Cache-Control': 'max-age=60' });
      res.write('hello');
      finish = () => res.end('world');
    });
    const firstBytes = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: edge.port, path: '/t/trickle', agent: false }, (res) => {
        res.once('data', (c: Buffer) => resolve(c.toString()));
      });
    });
    expect(firstBytes).toBe('hello');
    finish();
  });
});

describe('errors (ERR-01..05)', () => {
  it('a 5xx for an expired cached object serves the stale copy for the error TTL', async () => {
    let fail = false;
    origin.route('/err/stale', (_req, res) => {
      if (fail) {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        return void res.end('down');
      }
      res.writeHead(200, { 'Cache-Control': 'max-age=1' });
      res.end('good copy');
    });
    await get(edge.port, '/err/stale');
    fail = true;
    await sleep(1100);
    const r = await get(edge.port, '/err/stale');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('good copy');
    expect(r.headers.warning).toContain('110');
    const again = await get(edge.port, '/err/stale');
    expect(again.body.toString()).toBe('good copy');
    expect(origin.count('/err/stale')).toBe(2); // within the 503 error TTL (2 s) the origin is not asked
  });

  it('a dead origin (connection refused) also gets the stale copy; without one the viewer gets 502', async () => {
    const deadPort = await freePort();
    const dead = await startTestEdge(`http://127.0.0.1:${deadPort}`);
    const live = http.createServer((_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=1' });
      res.end('cached before the crash');
    });
    await new Promise<void>((r) => live.listen(deadPort, '127.0.0.1', r));
    try {
      expect((await get(dead.port, '/x')).body.toString()).toBe('cached before the crash');
      await new Promise<void>((r) => {
        live.close(() => r());
        live.closeAllConnections();
      });
      await sleep(1100);
      const stale = await get(dead.port, '/x');
      expect(stale.status).toBe(200);
      expect(stale.body.toString()).toBe('cached before the crash');
      const none = await get(dead.port, '/never-cached');
      expect(none.status).toBe(502);
      expect(none.headers['x-cache']).toBe('Error from cloudfront');
    } finally {
      await dead.close();
    }
  });

  it('ERR-03/02: a 404 is cached for max(header, error min TTL) and served as Error', async () => {
    origin.route('/err/404', (_req, res) => {
      res.writeHead(404, { 'Cache-Control': 'max-age=1' });
      res.end('nope');
    });
    expect((await get(edge.port, '/err/404')).status).toBe(404);
    const cached = await get(edge.port, '/err/404');
    expect(cached.status).toBe(404);
    expect(cached.headers['x-cache']).toBe('Error from cloudfront');
    expect(origin.count('/err/404')).toBe(1);
    await sleep(1100);
    await get(edge.port, '/err/404');
    expect(origin.count('/err/404')).toBe(2);
  });

  it('ERR-02: an error without caching headers is cached for exactly the min TTL; a longer header wins', async () => {
    origin.route('/err/500', (_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    origin.route('/err/500-long', (_req, res) => {
      res.writeHead(500, { 'Cache-Control': 'max-age=30' });
      res.end('boom');
    });
    await get(edge.port, '/err/500');
    await get(edge.port, '/err/500-long');
    expect(stored('/err/500', 1)!.ttl).toBe(1);
    expect(stored('/err/500-long', 1)!.ttl).toBe(30);
  });

  it('ERR-05: a custom error page replaces the status and body (edge-made 403: method not allowed)', async () => {
    origin.route('/errors/403.html', object({ 'Content-Type': 'text/html' }, '<h1>custom forbidden</h1>'));
    const r = await get(edge.port, '/t/none', {}, 'DELETE');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('<h1>custom forbidden</h1>');
    expect(r.headers['x-cache']).toBe('Error from cloudfront');
  });

  it('ORG-06: redirects are cached and returned, not followed', async () => {
    origin.route('/t/redirect', (_req, res) => {
      res.writeHead(301, { Location: '/t/none', 'Cache-Control': 'max-age=60' });
      res.end();
    });
    const r = await get(edge.port, '/t/redirect');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/t/none');
    expect((await get(edge.port, '/t/redirect')).headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.count('/t/redirect')).toBe(1);
  });
});

describe('origin timeouts and transfers (ORG-02, ORG-03, ORG-07)', () => {
  it('ORG-02: no response within the timeout, 3 attempts, then 504', async () => {
    const slow = await startTestOrigin();
    slow.route('/slow', () => {
      /* never answers */
    });
    const e = await startTestEdge(slow.url, {
      distributions: [{ origins: [{ id: 'slow', url: slow.url, responseTimeoutSeconds: 0.2, retries: 2 }] }],
    });
    try {
      const t0 = Date.now();
      const r = await get(e.port, '/slow');
      expect(r.status).toBe(504);
      expect(r.headers['x-cache']).toBe('Error from cloudfront');
      expect(slow.count('/slow')).toBe(3);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    } finally {
      await e.close();
      await slow.close();
    }
  });

  it('ORG-03: request headers over 20480 bytes → 413, URL over 8192 → 414', async () => {
    const big = await get(edge.port, '/t/none', { 'X-Pad': 'a'.repeat(21000) });
    expect(big.status).toBe(413);
    const long = await get(edge.port, `/t/${'b'.repeat(8200)}`);
    expect(long.status).toBe(414);
  });

  it('ORG-07: a body shorter than Content-Length is relayed but not cached', async () => {
    origin.route('/t/short', (req, res) => {
      res.writeHead(200, { 'Content-Length': '1000', 'Cache-Control': 'max-age=60' });
      res.write('only part');
      setTimeout(() => req.socket.destroy(), 50);
    });
    await expect(get(edge.port, '/t/short')).rejects.toThrow();
    expect(stored('/t/short')).toBeUndefined();
    await expect(get(edge.port, '/t/short')).rejects.toThrow();
    expect(origin.count('/t/short')).toBe(2);
  });

  it('ORG-07: a chunked body cut off is not cached; a close-delimited one is cached as received', async () => {
    origin.route('/t/chunked-cut', (req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=60' });
      res.write('part');
      setTimeout(() => req.socket.destroy(), 50);
    });
    await expect(get(edge.port, '/t/chunked-cut')).rejects.toThrow();
    expect(stored('/t/chunked-cut')).toBeUndefined();
    // Close-delimited: a raw origin that sends no length and closes.
    const raw = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nConnection: close\r\n\r\ntruncated?'));
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const e = await startTestEdge(`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`);
    try {
      expect((await get(e.port, '/eof')).body.toString()).toBe('truncated?');
      expect((await get(e.port, '/eof')).headers['x-cache']).toBe('Hit from cloudfront');
    } finally {
      await e.close();
      raw.close();
    }
  });

  it('ORG-07: a viewer that aborts the only transfer of a miss leaves nothing cached', async () => {
    origin.route('/t/abort', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '20', 'Cache-Control': 'max-age=60' });
      res.write('0123456789');
      setTimeout(() => res.end('0123456789'), 300);
    });
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: edge.port, path: '/t/abort', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
    });
    await sleep(400);
    expect(stored('/t/abort')).toBeUndefined();
  });
});

describe('ranges and conditionals (RNG-01/02, CND-02)', () => {
  const body = Buffer.from('0123456789abcdefghij');
  beforeAll(() => {
    origin.route('/t/range', (req, res) => {
      res.writeHead(200, {
        'Content-Length': String(body.length),
        ETag: '"r1"',
        'Last-Modified': 'Mon, 01 Jan 2024 00:00:00 GMT',
        'Cache-Control': 'max-age=60',
      });
      res.end(body);
    });
  });

  it('a range on a miss is answered 206 as bytes arrive; the origin is asked for the whole object', async () => {
    const r = await get(edge.port, '/t/range', { Range: 'bytes=2-5' });
    expect(r.status).toBe(206);
    expect(r.body.toString()).toBe('2345');
    expect(r.headers['content-range']).toBe('bytes 2-5/20');
    expect(origin.requests.find((q) => q.url === '/t/range')!.headers.range).toBeUndefined();
  });

  it('ranges from the cached object: single, suffix, open-ended, multipart', async () => {
    const a = await get(edge.port, '/t/range', { Range: 'bytes=-3' });
    expect([a.status, a.body.toString(), a.headers['x-cache']]).toEqual([206, 'hij', 'Hit from cloudfront']);
    const b = await get(edge.port, '/t/range', { Range: 'bytes=15-' });
    expect(b.body.toString()).toBe('fghij');
    const m = await get(edge.port, '/t/range', { Range: 'bytes=0-1,5-6' });
    expect(m.status).toBe(206);
    expect(m.headers['content-type']).toMatch(/^multipart\/byteranges; boundary=/);
    expect(m.body.toString()).toContain('Content-Range: bytes 0-1/20\r\n\r\n01');
    expect(m.body.toString()).toContain('Content-Range: bytes 5-6/20\r\n\r\n56');
    expect(origin.count('/t/range')).toBe(1);
  });

  it('RNG-02: out-of-order, overlapping or invalid ranges get 200 with the full object', async () => {
    for (const range of ['bytes=10-12,2-4', 'bytes=1-5,3-8', 'bytes=5-2', 'bytes=-']) {
      const r = await get(edge.port, '/t/range', { Range: range });
      expect([range, r.status, r.body.toString()]).toEqual([range, 200, body.toString()]);
    }
    expect((await get(edge.port, '/t/range', { Range: 'bytes=50-60' })).status).toBe(416);
  });

  it('CND-02: matching If-None-Match / If-Modified-Since get 304 from the cache', async () => {
    const a = await get(edge.port, '/t/range', { 'If-None-Match': '"r1"' });
    expect(a.status).toBe(304);
    expect(a.headers.etag).toBe('"r1"');
    expect(a.body.length).toBe(0);
    const b = await get(edge.port, '/t/range', { 'If-Modified-Since': 'Tue, 02 Jan 2024 00:00:00 GMT' });
    expect(b.status).toBe(304);
    const c = await get(edge.port, '/t/range', { 'If-None-Match': '"other"' });
    expect(c.status).toBe(200);
    expect(origin.count('/t/range')).toBe(1);
  });
});

describe('forwarding (HDR-03/04/05, QS-01, CK-01..04, RSP-01)', () => {
  it('rewrites Host, User-Agent, X-Forwarded-For, Accept-Encoding; removes Accept, Referer, Cookie, Authorization; adds X-Amz-Cf-Id', async () => {
    origin.route('/t/headers', (_req, res) => {
      // Chunked, so Node lets the origin announce a Trailer (RSP-01 removes it).
      res.writeHead(200, { 'Cache-Control': 'no-store', 'Set-Cookie': 'a=1', Trailer: 'X-T', Via: '1.1 origin' });
      res.addTrailers({ 'X-T': '1' });
      res.end('headers');
    });
    const r = await get(edge.port, '/t/headers?cb=1', {
      Host: 'viewer.example',
      'User-Agent': 'TestPlayer/1',
      'X-Forwarded-For': '203.0.113.9',
      'Accept-Encoding': 'gzip, deflate, br',
      Accept: 'text/html',
      Referer: 'http://ref/',
      Cookie: 'session=1',
      Authorization: 'Basic eDp5',
      'If-None-Match': '"viewer"',
      'X-Custom': 'kept',
    });
    const seen = origin.requests.filter((q) => q.url.startsWith('/t/headers')).pop()!;
    expect(seen.url).toBe('/t/headers'); // QS-01: query not forwarded
    expect(seen.headers.host).toBe(`127.0.0.1:${origin.port}`);
    expect(seen.headers['user-agent']).toBe('Amazon CloudFront');
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen.headers['accept-encoding']).toBe('gzip');
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers['x-amz-cf-id']).toBe(r.headers['x-amz-cf-id']);
    for (const gone of ['accept', 'referer', 'cookie', 'authorization', 'if-none-match']) expect(seen.headers[gone]).toBeUndefined();
    expect(r.headers['set-cookie']).toBeUndefined(); // CK-01
    expect(r.headers.trailer).toBeUndefined();
    expect(r.headers.via).toMatch(/^1\.1 [a-z0-9]+\.cloudfront\.net \(CloudFront\)$/);
  });

  it('QS-01: with query forwarding the query is forwarded and keyed, order and case matter', async () => {
    origin.route('/qs/obj', (req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=60' });
      res.end(req.url);
    });
    expect((await get(edge.port, '/qs/obj?a=1&b=2')).body.toString()).toBe('/qs/obj?a=1&b=2');
    expect((await get(edge.port, '/qs/obj?b=2&a=1')).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await get(edge.port, '/qs/obj?a=1&b=2')).headers['x-cache']).toBe('Hit from cloudfront');
    expect((await get(edge.port, '/qs/obj?a=1&b=2&c=A')).headers['x-cache']).toBe('Miss from cloudfront');
  });

  it('CK-03/04: whitelisted cookies forwarded sorted, keyed; others dropped; Set-Cookie passed but only whitelisted cached', async () => {
    origin.route('/ck/obj', (req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=60', 'Set-Cookie': ['user_id=9; Path=/', 'tracker=1'] });
      res.end(`cookie:${req.headers.cookie ?? ''}`);
    });
    const a = await get(edge.port, '/ck/obj', { Cookie: 'user_z=2; other=x; user_a=1; $Path=/' });
    expect(a.body.toString()).toBe('cookie:user_a=1; user_z=2');
    expect(a.headers['set-cookie']).toEqual(['user_id=9; Path=/', 'tracker=1']);
    const b = await get(edge.port, '/ck/obj', { Cookie: 'user_a=1; user_z=2; other=changed' });
    expect(b.headers['x-cache']).toBe('Hit from cloudfront');
    expect(b.headers['set-cookie']).toEqual(['user_id=9; Path=/']);
    expect((await get(edge.port, '/ck/obj', { Cookie: 'user_a=2; user_z=2' })).headers['x-cache']).toBe('Miss from cloudfront');
  });

  it('HDR-01 whitelist: listed headers forwarded and keyed (name case-insensitive), CloudFront-Viewer-Country added', async () => {
    origin.route('/hdr/obj', (req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=60' });
      res.end(`${req.headers['x-variant']}|${req.headers['cloudfront-viewer-country']}|${req.headers['accept-language']}`);
    });
    const a = await get(edge.port, '/hdr/obj', { 'X-Variant': 'A', 'Accept-Language': 'en' });
    expect(a.body.toString()).toBe('A|NZ|en');
    expect((await get(edge.port, '/hdr/obj', { 'x-variant': 'A', 'accept-language': 'en' })).headers['x-cache']).toBe(
      'Hit from cloudfront',
    );
    expect((await get(edge.port, '/hdr/obj', { 'X-Variant': 'a', 'Accept-Language': 'en' })).headers['x-cache']).toBe(
      'Miss from cloudfront',
    );
  });

  it('TTL-05: with all headers forwarded nothing is cached and the viewer Host reaches the origin', async () => {
    origin.route('/all/obj', (req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=60' });
      res.end(`${req.headers.host}|${req.headers['user-agent']}`);
    });
    const a = await get(edge.port, '/all/obj', { Host: 'viewer.example', 'User-Agent': 'UA/1' });
    expect(a.body.toString()).toBe('viewer.example|UA/1');
    expect((await get(edge.port, '/all/obj')).headers['x-cache']).toBe('Miss from cloudfront');
    expect(origin.count('/all/obj')).toBe(2);
  });

  it('ORG-05: POST is proxied with its body and Authorization, never cached', async () => {
    origin.route('/post/echo', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { 'Cache-Control': 'max-age=60' });
        res.end(`${req.method}:${req.headers.authorization}:${Buffer.concat(chunks)}`);
      });
    });
    const r = await get(edge.port, '/post/echo', { Authorization: 'Bearer t', 'Content-Type': 'text/plain' }, 'POST', 'payload');
    expect(r.body.toString()).toBe('POST:Bearer t:payload');
    await get(edge.port, '/post/echo', { 'Content-Type': 'text/plain' }, 'POST', 'again');
    expect(origin.count('/post/echo')).toBe(2);
  });

  it('ORG-05: cached OPTIONS are fetched with OPTIONS and kept apart from GET', async () => {
    origin.route('/opt/cors', (req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=60', 'Access-Control-Allow-Methods': 'GET' });
      res.end(req.method);
    });
    expect((await get(edge.port, '/opt/cors', {}, 'OPTIONS')).body.toString()).toBe('OPTIONS');
    expect((await get(edge.port, '/opt/cors', {}, 'OPTIONS')).headers['x-cache']).toBe('Hit from cloudfront');
    expect((await get(edge.port, '/opt/cors')).body.toString()).toBe('GET');
    expect(origin.requests.filter((q) => q.url === '/opt/cors').map((q) => q.method)).toEqual(['OPTIONS', 'GET']);
    // Not an allowed method on the default behaviour: 403 (shown through the custom 403 page set up above).
    expect((await get(edge.port, '/t/none', {}, 'OPTIONS')).headers['x-cache']).toBe('Error from cloudfront');
    expect(origin.requests.some((q) => q.url === '/t/none' && q.method === 'OPTIONS')).toBe(false);
  });

  it('DRO-01: / is rewritten to /index.html, /dir/ is not', async () => {
    origin.route('/index.html', object({ 'Content-Type': 'text/html' }, 'root page'));
    expect((await get(edge.port, '/')).body.toString()).toBe('root page');
    expect(origin.requests.some((q) => q.url === '/index.html')).toBe(true);
    expect((await get(edge.port, '/dir/')).status).toBe(404);
    expect(origin.requests.some((q) => q.url === '/dir/')).toBe(true);
  });
});
