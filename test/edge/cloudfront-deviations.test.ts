// The intentional deviations from RFC 9111, one test each: where CloudFront's guide documents a
// behaviour, the edge keeps it (the README's deviation table names each row's rule and this file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';

let origin: TestOrigin;
let edge: EdgeInternals;

function answer(status: number, headers: Record<string, string | string[]>, body = 'body'): http.RequestListener {
  return (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
}

const twice = async (path: string, headers: Record<string, string> = {}, later: Record<string, string> = headers) => {
  await get(edge.port, path, headers);
  return get(edge.port, path, later);
};

beforeAll(async () => {
  origin = await startTestOrigin();
  edge = await startTestEdge(origin.url, {
    distributions: [
      {
        behaviors: [
          { pathPattern: '/min/*', minTtl: 300 },
          { pathPattern: '/qs/*', forwardQueryString: false },
        ],
        errorCachingMinTtl: { '503': 300, '404': 300 },
      },
    ],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('CloudFront rules kept where RFC 9111 says otherwise', () => {
  it('TTL-04: a Minimum TTL caches no-store / no-cache / private responses and raises a short max-age', async () => {
    for (const cc of ['no-store', 'no-cache', 'private', 'max-age=0']) {
      const path = `/min/${cc.replace(/[^a-z0-9]/g, '_')}`;
      origin.route(path, answer(200, { 'Cache-Control': cc }));
      expect((await twice(path)).headers['x-cache']).toBe('Hit from cloudfront');
    }
  });

  it('TTL-01: a response with no freshness information is fresh for the Default TTL (24 h), not heuristically', async () => {
    origin.route('/plain', answer(200, {}));
    expect((await twice('/plain')).headers['x-cache']).toBe('Hit from cloudfront');
    expect(edge.server.store.get('EDFDVBD6EXAMPLE\u0001-1\u0001id\u0001/plain')!.ttl).toBe(86400);
  });

  it('ORG-06: 302 and 307 redirects are cached like objects (RFC: not without explicit freshness)', async () => {
    for (const status of [302, 307]) {
      origin.route(`/redirect/${status}`, answer(status, { Location: '/elsewhere' }, ''));
      const r = await twice(`/redirect/${status}`);
      expect(r.status).toBe(status);
      expect(r.headers['x-cache']).toBe('Hit from cloudfront');
    }
  });

  it('ERR-01/02: a 503 without caching headers is cached for the Error Caching Minimum TTL', async () => {
    origin.route('/error', answer(503, {}));
    const r = await twice('/error');
    expect(r.status).toBe(503);
    expect(r.headers['x-cache']).toBe('Error from cloudfront');
    expect(origin.count('/error')).toBe(1);
  });

  it('ERR-04: an expired copy is served when the origin answers 5xx (RFC: only when disconnected or with stale-if-error)', async () => {
    let n = 0;
    origin.route('/stale', (req, res) =>
      n++ === 0 ? answer(200, { 'Cache-Control': 'max-age=1' }, 'old')(req, res) : answer(500, {}, 'err')(req, res),
    );
    await get(edge.port, '/stale');
    await sleep(1100);
    const r = await get(edge.port, '/stale');
    expect([r.status, r.body.toString()]).toEqual([200, 'old']);
  });

  it('TTL-06: the viewer’s Cache-Control and Pragma cannot force a refetch (RFC 9111 §5.2.1 request directives)', async () => {
    origin.route('/viewer-cc', answer(200, { 'Cache-Control': 'max-age=60' }));
    const r = await twice('/viewer-cc', {}, { 'Cache-Control': 'no-cache, max-age=0', Pragma: 'no-cache' });
    expect(r.headers['x-cache']).toBe('Hit from cloudfront');
  });

  it('RSP-01: Vary is honoured only for Accept-Encoding; Vary: User-Agent does not split the cache', async () => {
    origin.route('/vary', answer(200, { 'Cache-Control': 'max-age=60', Vary: 'User-Agent' }));
    expect((await twice('/vary', { 'User-Agent': 'one' }, { 'User-Agent': 'two' })).headers['x-cache']).toBe('Hit from cloudfront');
  });

  it('CK-01: with cookies not forwarded, Set-Cookie is removed and the object is still cached (RFC 9111 §3.1 stores every field)', async () => {
    origin.route('/cookie', answer(200, { 'Cache-Control': 'max-age=60', 'Set-Cookie': 'session=1' }));
    const first = await get(edge.port, '/cookie');
    expect(first.headers['set-cookie']).toBeUndefined();
    expect((await get(edge.port, '/cookie')).headers['x-cache']).toBe('Hit from cloudfront');
  });

  it('HDR-03: Authorization is removed from GET, so the response is shared (RFC 9111 §3.5 would forbid reuse)', async () => {
    origin.route('/authz', answer(200, { 'Cache-Control': 'max-age=60' }));
    const r = await twice('/authz', { Authorization: 'Bearer a' }, { Authorization: 'Bearer b' });
    expect(r.headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.requests.find((q) => q.url === '/authz')!.headers.authorization).toBeUndefined();
  });

  it('QS-01: with query forwarding off, the query string is not part of the key (RFC 9111 §2: the key is the whole URI)', async () => {
    origin.route('/qs/a', answer(200, { 'Cache-Control': 'max-age=60' }));
    expect((await get(edge.port, '/qs/a?v=1')).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await get(edge.port, '/qs/a?v=2')).headers['x-cache']).toBe('Hit from cloudfront');
  });
});
