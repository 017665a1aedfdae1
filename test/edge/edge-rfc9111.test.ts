// Integration: RFC 9111 where CloudFront's guide is silent, one test per rule, against a real edge
// in front of a scripted origin (and a raw TCP origin for interim responses).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';

let origin: TestOrigin;
let edge: EdgeInternals;
let raw: net.Server;
let rawEdge: EdgeInternals;
/** What the raw origin answers, by request path (the whole response bytes). */
const rawAnswers = new Map<string, string>();

function object(headers: Record<string, string | string[]>, body = 'body'): http.RequestListener {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
}

/** Answers 200 first, then `later` (a status and headers) on every following request. */
function thenAnswer(
  first: Record<string, string>,
  later: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): http.RequestListener {
  let n = 0;
  return (req, res) => {
    if (n++ === 0) return object(first, 'first')(req, res);
    later(req, res);
  };
}

beforeAll(async () => {
  origin = await startTestOrigin();
  edge = await startTestEdge(origin.url, {
    distributions: [
      {
        behaviors: [
          { pathPattern: '/wl/*', headers: { forward: 'whitelist', whitelist: ['X-Variant'] } },
          { pathPattern: '/auth/*', headers: { forward: 'whitelist', whitelist: ['Authorization'] } },
          { pathPattern: '/min/*', minTtl: 300 },
          { pathPattern: '/min1/*', minTtl: 1 },
          { pathPattern: '/all/*', headers: { forward: 'all' } },
        ],
        errorCachingMinTtl: { '503': 0, '502': 0, '504': 0 },
      },
    ],
  });
  raw = net.createServer((socket) => {
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const path = buf.split(' ')[1]!;
      buf = '';
      socket.write(rawAnswers.get(path) ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  rawEdge = await startTestEdge(`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`, {
    distributions: [{ errorCachingMinTtl: { '502': 0 } }],
  });
});

afterAll(async () => {
  await edge?.close();
  await rawEdge?.close();
  await origin?.close();
  await new Promise<void>((r) => raw.close(() => r()));
});

describe('Expires that is not one HTTP-date counts as already stale', () => {
  it.each([
    ['extra space', ['Sat, 30 Jun 2099  23:59:59 GMT']],
    ['two-digit hour', ['Sat, 30 Jun 2099 3:59:59 GMT']],
    ['wrong format', ['2099-06-30T23:59:59Z']],
    ['several lines', ['Sat, 30 Jun 2099 23:59:59 GMT', 'Sun, 01 Jul 2099 23:59:59 GMT']],
  ])('%s: every request goes to the origin (revalidated with the ETag)', async (name, expires) => {
    const path = `/expires/${name.replace(/ /g, '-')}`;
    origin.route(path, object({ Expires: expires, ETag: '"e1"' }));
    expect((await get(edge.port, path)).headers['x-cache']).toBe('Miss from cloudfront');
    const second = await get(edge.port, path);
    expect(second.body.toString()).toBe('body');
    expect(origin.count(path)).toBe(2);
    expect(origin.requests.filter((r) => r.url === path)[1]!.headers['if-none-match']).toBe('"e1"');
  });
  it('a valid Expires in the future is a hit', async () => {
    origin.route('/expires/valid', object({ Expires: 'Sat, 30 Jun 2099 23:59:59 GMT' }));
    await get(edge.port, '/expires/valid');
    expect((await get(edge.port, '/expires/valid')).headers['x-cache']).toBe('Hit from cloudfront');
  });
});

describe('Cache-Control directive names are case-insensitive', () => {
  it.each([
    ['No-Store', 2],
    ['NO-CACHE', 2],
    ['Private', 2],
    ['Max-Age=0', 2],
    ['Max-Age=60', 1],
    ['S-MaxAge=60, max-age=0', 1],
  ])('Cache-Control: %s → %i origin requests for two viewer requests', async (cc, want) => {
    const path = `/cc/${cc.replace(/[^A-Za-z0-9-]/g, '_')}`;
    origin.route(path, object({ 'Cache-Control': cc }));
    await get(edge.port, path);
    await get(edge.port, path);
    expect(origin.count(path)).toBe(want);
  });
});

describe('fields named in Connection are neither forwarded nor stored', () => {
  it('a viewer field named in Connection does not reach the origin', async () => {
    origin.route('/conn/req', object({ 'Cache-Control': 'max-age=60' }));
    await get(edge.port, '/conn/req', { Connection: 'keep-alive, X-Secret', 'X-Secret': 'token', 'X-Plain': 'p' });
    const seen = origin.requests.find((r) => r.url === '/conn/req')!.headers;
    expect(seen['x-secret']).toBeUndefined();
    expect(seen['x-plain']).toBe('p');
  });
  it('Connection cannot take away the body framing: a POST body still reaches the origin', async () => {
    origin.route('/conn/post', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => object({}, `got ${Buffer.concat(chunks).toString()}`)(req, res));
    });
    const e = await startTestEdge(origin.url, {
      distributions: [{ defaultBehavior: { allowedMethods: 'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE' } }],
    });
    try {
      const r = await get(e.port, '/conn/post', { Connection: 'Content-Length, Host', 'Content-Type': 'text/plain' }, 'POST', 'hello');
      expect(r.body.toString()).toBe('got hello');
    } finally {
      await e.close();
    }
  });

  it('a whitelisted field named in Connection is neither forwarded nor keyed: it cannot plant a variant', async () => {
    origin.route('/wl/v', (req, res) =>
      object({ 'Cache-Control': 'max-age=60' }, `variant=${req.headers['x-variant'] ?? 'none'}`)(req, res),
    );
    const planted = await get(edge.port, '/wl/v', { Connection: 'X-Variant', 'X-Variant': 'blue' });
    expect(planted.body.toString()).toBe('variant=none');
    const honest = await get(edge.port, '/wl/v', { 'X-Variant': 'blue' });
    expect(honest.body.toString()).toBe('variant=blue');
  });
  it('an origin field named in Connection reaches neither the viewer nor the cache', async () => {
    origin.route('/conn/res', object({ 'Cache-Control': 'max-age=60', Connection: 'X-Hop', 'X-Hop': 'secret', 'X-End': 'e' }));
    for (const expected of ['Miss from cloudfront', 'Hit from cloudfront']) {
      const r = await get(edge.port, '/conn/res');
      expect(r.headers['x-cache']).toBe(expected);
      expect(r.headers['x-hop']).toBeUndefined();
      expect(r.headers['x-end']).toBe('e');
    }
  });
});

describe('variants: Connection lines in any case and number, hop-by-hop fields, both directions', () => {
  it('with every header forwarded, the viewer’s hop-by-hop and Connection-named fields still do not reach the origin', async () => {
    origin.route('/all/conn', object({ 'Cache-Control': 'no-store' }));
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(edge.port, '127.0.0.1', () =>
        s.write(
          'GET /all/conn HTTP/1.1\r\nHost: a\r\nconnection: X-A\r\nCONNECTION: x-b, keep-alive\r\nX-A: 1\r\nx-B: 2\r\n' +
            'Keep-Alive: 5\r\nTE: trailers\r\nTrailer: X-T\r\nProxy-Authorization: Basic cHJveHk6cHc=\r\nProxy-Connection: close\r\nX-Kept: k\r\n\r\n',
        ),
      );
      s.on('data', () => s.destroy());
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const seen = origin.requests.filter((r) => r.url === '/all/conn').at(-1)!.headers;
    for (const n of ['x-a', 'x-b', 'keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection'])
      expect(seen[n], n).toBeUndefined();
    expect(seen['x-kept']).toBe('k');
  });
  it('the origin’s Connection lines, hop-by-hop and proxy challenge fields reach neither the viewer nor the cache', async () => {
    rawAnswers.set(
      '/conn/raw',
      'HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nconnection: X-A\r\nCONNECTION: x-b, keep-alive\r\nX-A: 1\r\nx-B: 2\r\n' +
        'Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authenticate: Basic realm="p"\r\nX-End: e\r\nContent-Length: 4\r\n\r\nbody',
    );
    for (const expected of ['Miss from cloudfront', 'Hit from cloudfront']) {
      const r = await get(rawEdge.port, '/conn/raw');
      expect(r.headers['x-cache']).toBe(expected);
      for (const n of ['x-a', 'x-b', 'keep-alive', 'te', 'proxy-authenticate']) expect(r.headers[n], n).toBeUndefined();
      expect(r.headers['x-end']).toBe('e');
      expect(r.body.toString()).toBe('body');
    }
  });
});

describe('fields named by private="…" or no-cache="…" are not stored (RFC 9111 §3.1)', () => {
  it('the viewer of the miss gets them, viewers of hits do not; the rest of the object is a hit', async () => {
    origin.route(
      '/named',
      object({ 'Cache-Control': 'max-age=60, private="X-User", No-Cache="X-Token"', 'X-User': 'alice', 'X-Token': 't', 'X-Public': 'p' }),
    );
    const miss = await get(edge.port, '/named');
    expect([miss.headers['x-user'], miss.headers['x-token']]).toEqual(['alice', 't']);
    const hit = await get(edge.port, '/named');
    expect(hit.headers['x-cache']).toBe('Hit from cloudfront');
    expect([hit.headers['x-user'], hit.headers['x-token'], hit.headers['x-public']]).toEqual([undefined, undefined, 'p']);
  });
});

describe('a 304 updates the stored headers (RFC 9111 §3.2)', () => {
  it('any field the 304 carries replaces the stored one; fields it does not carry stay; Content-Type and length of the body stay', async () => {
    origin.route(
      '/refresh',
      thenAnswer({ 'Cache-Control': 'max-age=1', ETag: '"r1"', 'X-Version': '1', 'X-Stays': 's' }, (_req, res) => {
        res.writeHead(304, {
          'Cache-Control': 'max-age=60',
          ETag: '"r1"',
          'X-Version': '2',
          'X-New': 'n',
          Connection: 'X-Hop',
          'X-Hop': 'h',
        });
        res.end();
      }),
    );
    await get(edge.port, '/refresh');
    await sleep(1100);
    const refreshed = await get(edge.port, '/refresh');
    expect(refreshed.headers['x-cache']).toBe('RefreshHit from cloudfront');
    for (const r of [refreshed, await get(edge.port, '/refresh')]) {
      expect(r.headers['x-version']).toBe('2');
      expect(r.headers['x-new']).toBe('n');
      expect(r.headers['x-stays']).toBe('s');
      expect(r.headers['x-hop']).toBeUndefined();
      expect(r.headers['content-type']).toBe('text/plain');
      expect(r.headers['content-length']).toBe('5');
      expect(r.body.toString()).toBe('first');
    }
    expect((await get(edge.port, '/refresh')).headers['x-cache']).toBe('Hit from cloudfront'); // the 304's max-age=60 now rules
    expect(origin.count('/refresh')).toBe(2);
  });
  it.each([
    ['another strong ETag', { ETag: '"v2"' }],
    ['a weak ETag that is not the stored one', { ETag: 'W/"v2"' }],
  ])('a 304 with %s does not refresh the copy: the object is fetched whole (RFC 9111 §4.3.4)', async (_what, validators) => {
    const path = `/refresh-mismatch/${validators.ETag.replace(/\W/g, '')}`;
    let n = 0;
    origin.route(path, (req, res) => {
      n++;
      if (n === 1) return object({ 'Cache-Control': 'max-age=1', ETag: '"v1"' }, 'first')(req, res);
      if (req.headers['if-none-match'] !== undefined) {
        res.writeHead(304, { 'Cache-Control': 'max-age=60', ...validators });
        return void res.end();
      }
      object({ 'Cache-Control': 'max-age=60', ETag: '"v2"' }, 'second')(req, res);
    });
    await get(edge.port, path);
    await sleep(1100);
    const r = await get(edge.port, path);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('second');
    expect(r.headers.etag).toBe('"v2"');
    const again = await get(edge.port, path);
    expect([again.headers['x-cache'], again.body.toString(), again.headers.etag]).toEqual(['Hit from cloudfront', 'second', '"v2"']);
    expect(origin.count(path)).toBe(3);
  });
});

describe('no stale copy on an origin error for must-revalidate, proxy-revalidate, s-maxage', () => {
  const failWith503 = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(503, { 'Content-Type': 'text/plain', 'Content-Length': '4' });
    res.end('down');
  };
  it('plain max-age: the stale copy is served (ERR-04, CloudFront)', async () => {
    origin.route('/soe/plain', thenAnswer({ 'Cache-Control': 'max-age=1' }, failWith503));
    await get(edge.port, '/soe/plain');
    await sleep(1100);
    const r = await get(edge.port, '/soe/plain');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('first');
  });
  it.each(['max-age=1, must-revalidate', 'max-age=1, Proxy-Revalidate', 's-maxage=1'])(
    '%s: the origin’s 503 goes to the viewer',
    async (cc) => {
      const path = `/soe/${cc.replace(/[^A-Za-z0-9-]/g, '_')}`;
      origin.route(path, thenAnswer({ 'Cache-Control': cc }, failWith503));
      expect((await get(edge.port, path)).status).toBe(200);
      await sleep(1100);
      const r = await get(edge.port, path);
      expect(r.status).toBe(503);
      expect(r.body.toString()).toBe('down');
    },
  );
  it.each(['no-cache', 'No-Store', 'private', 'no-cache="X-A", no-cache'])(
    '%s kept for a Minimum TTL (TTL-04): not served stale past it, the origin’s 503 goes to the viewer',
    async (cc) => {
      const path = `/min1/${cc.replace(/[^A-Za-z0-9-]/g, '_')}`;
      origin.route(path, thenAnswer({ 'Cache-Control': cc }, failWith503));
      expect((await get(edge.port, path)).status).toBe(200);
      expect((await get(edge.port, path)).headers['x-cache']).toBe('Hit from cloudfront');
      await sleep(1100);
      const r = await get(edge.port, path);
      expect(r.status).toBe(503);
      expect(r.body.toString()).toBe('down');
    },
  );
  it('max-age with a Minimum TTL is still served stale on a 503 (ERR-04)', async () => {
    origin.route('/min1/plain', thenAnswer({ 'Cache-Control': 'max-age=1' }, failWith503));
    await get(edge.port, '/min1/plain');
    await sleep(1100);
    expect((await get(edge.port, '/min1/plain')).body.toString()).toBe('first');
  });
  it('must-revalidate and an origin that cannot be reached: 502, not the stale copy', async () => {
    origin.route(
      '/soe/gone',
      thenAnswer({ 'Cache-Control': 'max-age=1, must-revalidate' }, (req) => req.socket.destroy()),
    );
    await get(edge.port, '/soe/gone');
    await sleep(1100);
    expect((await get(edge.port, '/soe/gone')).status).toBe(502);
  });
});

describe('Vary: * is never served from cache', () => {
  it('every request goes to the origin, even with a Minimum TTL', async () => {
    for (const path of ['/vary/star', '/min/vary-star']) {
      origin.route(path, object({ 'Cache-Control': 'max-age=60', Vary: 'Accept-Encoding, *' }));
      for (let i = 0; i < 3; i++) expect((await get(edge.port, path)).headers['x-cache']).toBe('Miss from cloudfront');
      expect(origin.count(path)).toBe(3);
    }
  });
  it('Vary naming other fields is ignored, as CloudFront does (RSP-01)', async () => {
    origin.route('/vary/ua', object({ 'Cache-Control': 'max-age=60', Vary: 'User-Agent' }));
    await get(edge.port, '/vary/ua', { 'User-Agent': 'a' });
    expect((await get(edge.port, '/vary/ua', { 'User-Agent': 'b' })).headers['x-cache']).toBe('Hit from cloudfront');
  });
});

describe('interim 1xx responses are never cached', () => {
  it('103 Early Hints and 100 Continue before the 200: the 200 is cached, the interim fields are not', async () => {
    for (const [path, interim] of [
      ['/hints', 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n'],
      ['/continue', 'HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n'],
    ] as const) {
      rawAnswers.set(
        path,
        `${interim}HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n\r\nfinal`,
      );
      const miss = await get(rawEdge.port, path);
      expect(miss.status).toBe(200);
      expect(miss.body.toString()).toBe('final');
      const hit = await get(rawEdge.port, path);
      expect(hit.headers['x-cache']).toBe('Hit from cloudfront');
      expect(hit.status).toBe(200);
      expect(hit.headers['link']).toBeUndefined();
      expect(hit.headers['x-interim']).toBeUndefined();
      expect(hit.body.toString()).toBe('final');
    }
  });
  it.each([
    [
      'several 103s, one with Set-Cookie and Cache-Control',
      '/hints/many',
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'.repeat(5) +
        'HTTP/1.1 103 Early Hints\r\nSet-Cookie: s=1\r\nCache-Control: no-store\r\n\r\n',
    ],
    ['a 102 then a 103', '/hints/102', 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </b.css>; rel=preload\r\n\r\n'],
  ])('%s before the 200: the 200 alone is cached, with its own freshness', async (_what, path, interim) => {
    rawAnswers.set(
      path,
      `${interim}HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n\r\nfinal`,
    );
    const miss = await get(rawEdge.port, path);
    expect([miss.status, miss.body.toString()]).toEqual([200, 'final']);
    const hit = await get(rawEdge.port, path);
    expect([hit.status, hit.headers['x-cache'], hit.body.toString()]).toEqual([200, 'Hit from cloudfront', 'final']);
    for (const n of ['link', 'set-cookie']) expect(hit.headers[n], n).toBeUndefined();
    expect(hit.headers['cache-control']).toBe('max-age=60');
  });
  it('a 103 before a 304 revalidation: the copy is refreshed', async () => {
    const path = '/hints/reval';
    rawAnswers.set(path, 'HTTP/1.1 200 OK\r\nCache-Control: max-age=1\r\nETag: "h1"\r\nContent-Length: 5\r\n\r\nfirst');
    expect((await get(rawEdge.port, path)).body.toString()).toBe('first');
    rawAnswers.set(
      path,
      'HTTP/1.1 103 Early Hints\r\nLink: </c.css>; rel=preload\r\n\r\nHTTP/1.1 304 Not Modified\r\nCache-Control: max-age=60\r\nETag: "h1"\r\n\r\n',
    );
    await sleep(1100);
    const r = await get(rawEdge.port, path);
    expect([r.status, r.headers['x-cache'], r.body.toString()]).toEqual([200, 'RefreshHit from cloudfront', 'first']);
    expect(r.headers['link']).toBeUndefined();
  });
  it('a 101 the viewer did not ask for is an origin failure, not a cached answer', async () => {
    rawAnswers.set('/switch', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
    const r = await get(rawEdge.port, '/switch');
    expect(r.status).toBe(502);
    expect(r.headers['x-cache']).toBe('Error from cloudfront');
    rawAnswers.set('/switch', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCache-Control: max-age=60\r\n\r\nok');
    const after = await get(rawEdge.port, '/switch');
    expect(after.status).toBe(200);
  });
});

describe('a response to a request with Authorization is reused only as RFC 9111 §3.5 allows', () => {
  it('whitelisted Authorization, max-age only: never reused, each request asks the origin', async () => {
    origin.route('/auth/private', object({ 'Cache-Control': 'max-age=60' }));
    for (let i = 0; i < 2; i++)
      expect((await get(edge.port, '/auth/private', { Authorization: 'Basic dTpw' })).headers['x-cache']).toBe('Miss from cloudfront');
    expect(origin.count('/auth/private')).toBe(2);
    expect(origin.requests.find((r) => r.url === '/auth/private')!.headers.authorization).toBe('Basic dTpw');
  });
  it.each(['public, max-age=60', 'max-age=60, must-revalidate', 's-maxage=60'])('whitelisted Authorization, %s: reused', async (cc) => {
    const path = `/auth/${cc.replace(/[^A-Za-z0-9-]/g, '_')}`;
    origin.route(path, object({ 'Cache-Control': cc }));
    await get(edge.port, path, { Authorization: 'Basic dTpw' });
    expect((await get(edge.port, path, { Authorization: 'Basic dTpw' })).headers['x-cache']).toBe('Hit from cloudfront');
  });
  it('not whitelisted: Authorization is removed from GET (HDR-03), so the response is an anonymous one and cached', async () => {
    origin.route('/anon', object({ 'Cache-Control': 'max-age=60' }));
    await get(edge.port, '/anon', { Authorization: 'Basic dTpw' });
    expect(origin.requests.find((r) => r.url === '/anon')!.headers.authorization).toBeUndefined();
    expect((await get(edge.port, '/anon', { Authorization: 'Basic dTpw' })).headers['x-cache']).toBe('Hit from cloudfront');
  });
});
