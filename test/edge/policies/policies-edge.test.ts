// Integration: a real edge in front of real HTTP origins — cache and origin request policies
// (what the origin receives, what shares a cached object), origin custom headers, response headers
// policies on every kind of answer, and origin groups failing over from a primary that answers
// 503, refuses connections or hangs.
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, startTestEdge, startTestOrigin, type TestOrigin } from '../test-origin.js';

let origin: TestOrigin;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-policies-'));
  origin = await startTestOrigin();
  const echo = (cc: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': cc, Server: 'test-origin' });
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  };
  origin.route('/live/a.m3u8', echo('max-age=1'));
  origin.route('/seg.ts', echo('max-age=60'));
  origin.route('/cors-origin.ts', (_req, res) => {
    res.writeHead(200, { 'Access-Control-Allow-Origin': 'https://origin-says.example', 'Cache-Control': 'max-age=60' });
    res.end('x');
  });
});
afterAll(async () => {
  await origin.close();
  rmSync(dir, { recursive: true, force: true });
});

const seen = (body: Buffer) => JSON.parse(body.toString()) as { url: string; headers: Record<string, string> };

describe('cache and origin request policies through the edge', () => {
  it('CachingOptimized + AllViewer: viewer headers and query reach the origin, but one object serves them all', async () => {
    const edge = await startTestEdge(origin.url, {
      distributions: [{ defaultBehavior: { cachePolicyId: 'CachingOptimized', originRequestPolicyId: 'AllViewer' } }],
    });
    try {
      const a = await get(edge.port, '/seg.ts?token=1', { 'X-Player': 'p1', Cookie: 'c=1', 'Accept-Encoding': 'gzip' });
      expect(a.headers['x-cache']).toBe('Miss from cloudfront');
      const o = seen(a.body);
      expect(o.url).toBe('/seg.ts?token=1');
      expect(o.headers['x-player']).toBe('p1');
      expect(o.headers.cookie).toBe('c=1');
      expect(o.headers['accept-encoding']).toBe('gzip');
      const b = await get(edge.port, '/seg.ts?token=2', { 'X-Player': 'p2', Cookie: 'c=2', 'Accept-Encoding': 'gzip' });
      expect(b.headers['x-cache']).toBe('Hit from cloudfront'); // forwarded, not keyed
      const c = await get(edge.port, '/seg.ts', { 'Accept-Encoding': 'br, gzip' });
      expect(c.headers['x-cache']).toBe('Miss from cloudfront'); // br,gzip is another normalised coding
      expect(seen(c.body).headers['accept-encoding']).toBe('br,gzip');
    } finally {
      await edge.close();
    }
  });

  it('UseOriginCacheControlHeaders-QueryStrings keys LL-HLS and DVR parameters; CachingOptimized forwards none', async () => {
    const edge = await startTestEdge(origin.url, {
      distributions: [
        {
          behaviors: [{ pathPattern: '*.m3u8', cachePolicyId: 'UseOriginCacheControlHeaders-QueryStrings' }],
          defaultBehavior: { cachePolicyId: 'CachingOptimized' },
        },
      ],
    });
    try {
      const one = await get(edge.port, '/live/a.m3u8?_HLS_msn=5&_HLS_part=1');
      expect(seen(one.body).url).toBe('/live/a.m3u8?_HLS_msn=5&_HLS_part=1');
      expect((await get(edge.port, '/live/a.m3u8?_HLS_msn=5&_HLS_part=1')).headers['x-cache']).toBe('Hit from cloudfront');
      expect((await get(edge.port, '/live/a.m3u8?_HLS_msn=5&_HLS_part=2')).headers['x-cache']).toBe('Miss from cloudfront');
      expect((await get(edge.port, '/live/a.m3u8?start=10')).headers['x-cache']).toBe('Miss from cloudfront');
      const seg = await get(edge.port, '/seg.ts?start=10', { 'X-Player': 'p' });
      expect(seen(seg.body).url).toBe('/seg.ts');
      expect(seen(seg.body).headers).not.toHaveProperty('x-player');
    } finally {
      await edge.close();
    }
  });
});

describe('CachingDisabled', () => {
  it('relays every request with its conditionals and stores nothing', async () => {
    const edge = await startTestEdge(origin.url, {
      distributions: [{ defaultBehavior: { cachePolicyId: 'CachingDisabled', originRequestPolicyId: 'AllViewer' } }],
    });
    try {
      const before = origin.count('/seg.ts');
      expect((await get(edge.port, '/seg.ts?nc')).headers['x-cache']).toBe('Miss from cloudfront');
      const again = await get(edge.port, '/seg.ts?nc', { 'If-None-Match': '"v1"' });
      expect(again.headers['x-cache']).toBe('Miss from cloudfront');
      expect(seen(again.body).headers['if-none-match']).toBe('"v1"');
      expect(origin.count('/seg.ts') - before).toBe(2);
      expect(edge.server.store.size).toBe(0);
    } finally {
      await edge.close();
    }
  });
});

describe('origin custom headers', () => {
  it('are sent on every origin request and replace the viewer’s header of the same name, which is not keyed', async () => {
    const edge = await startTestEdge(origin.url, {
      distributions: [
        {
          origins: [{ id: 'o', url: origin.url, customHeaders: { Authorization: 'Bearer cdn-secret', 'X-Origin-Verify': 'v1' } }],
          defaultBehavior: { cachePolicyId: 'CachingOptimized', originRequestPolicyId: 'AllViewer' },
        },
      ],
    });
    try {
      const a = await get(edge.port, '/seg.ts?k=custom', { 'X-Origin-Verify': 'forged', Authorization: 'Bearer viewer' });
      const h = seen(a.body).headers;
      expect(h.authorization).toBe('Bearer cdn-secret');
      expect(h['x-origin-verify']).toBe('v1');
      const b = await get(edge.port, '/seg.ts?k=custom', { 'X-Origin-Verify': 'other' });
      expect(b.headers['x-cache']).toBe('Hit from cloudfront');
    } finally {
      await edge.close();
    }
  });

  it('are sent with the 2014 settings too, and on requests that are not cached', async () => {
    const edge = await startTestEdge(origin.url, {
      distributions: [
        {
          origins: [{ id: 'o', url: origin.url, customHeaders: { 'X-Origin-Verify': 'v2' } }],
          defaultBehavior: {
            allowedMethods: 'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE',
            headers: { forward: 'whitelist', whitelist: ['X-Origin-Verify'] },
          },
        },
      ],
    });
    try {
      expect(seen((await get(edge.port, '/seg.ts', { 'X-Origin-Verify': 'forged' })).body).headers['x-origin-verify']).toBe('v2');
      const before = origin.requests.length;
      await get(edge.port, '/seg.ts', { 'X-Origin-Verify': 'forged' }, 'POST', 'body');
      expect(origin.requests[before]!.headers['x-origin-verify']).toBe('v2');
    } finally {
      await edge.close();
    }
  });
});

describe('response headers policies on every answer', () => {
  const policy = {
    id: 'rh1',
    name: 'PlayerCors',
    corsConfig: {
      accessControlAllowOrigins: ['https://player.example'],
      accessControlAllowMethods: ['GET', 'HEAD', 'OPTIONS'],
      accessControlAllowHeaders: ['Range'],
      accessControlMaxAgeSec: 300,
      accessControlExposeHeaders: ['Age'],
      originOverride: false,
    },
    securityHeadersConfig: { contentTypeOptions: { override: true }, frameOptions: { frameOption: 'DENY', override: true } },
    customHeadersConfig: { items: [{ header: 'X-Stream-Edge', value: 'streamfront', override: false }] },
    removeHeadersConfig: { items: [{ header: 'Server' }] },
    serverTimingHeadersConfig: { enabled: true, samplingRate: 100 },
  };
  it('miss, hit, cached error, edge error and preflight (answered without the origin)', async () => {
    const edge = await startTestEdge(origin.url, {
      responseHeadersPolicies: [policy],
      distributions: [{ defaultBehavior: { allowedMethods: 'GET,HEAD,OPTIONS', responseHeadersPolicyId: 'PlayerCors' } }],
    });
    try {
      const o = { Origin: 'https://player.example' };
      const check = (h: http.IncomingHttpHeaders, timing: RegExp) => {
        expect(h['access-control-allow-origin']).toBe('https://player.example');
        expect(h['x-content-type-options']).toBe('nosniff');
        expect(h['x-frame-options']).toBe('DENY');
        expect(h['x-stream-edge']).toBe('streamfront');
        expect(h['server-timing']).toMatch(timing);
      };
      const miss = await get(edge.port, '/seg.ts?rh', o);
      check(miss.headers, /^cdn-cache-miss,cdn-pop;desc="LOC1",cdn-rid;desc="[^"]+",cdn-downstream-fbl;dur=\d+$/);
      expect(miss.headers.server).toBeUndefined();
      expect(miss.headers['access-control-expose-headers']).toBe('Age');
      const hit = await get(edge.port, '/seg.ts?rh', o);
      expect(hit.headers['x-cache']).toBe('Hit from cloudfront');
      check(hit.headers, /^cdn-cache-hit,.*cdn-hit-layer;desc="EDGE"/);
      const notFound = await get(edge.port, '/missing.ts', o);
      expect(notFound.status).toBe(404);
      check(notFound.headers, /cdn-pop/);
      const refused = await get(edge.port, '/seg.ts', o, 'DELETE');
      expect(refused.status).toBe(403);
      check(refused.headers, /cdn-pop/);
      expect(
        (await get(edge.port, '/seg.ts?rh', { Origin: 'https://other.example' })).headers['access-control-allow-origin'],
      ).toBeUndefined();
      const before = origin.requests.length;
      const pre = await get(
        edge.port,
        '/seg.ts',
        { ...o, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
        'OPTIONS',
      );
      expect(pre.status).toBe(200);
      expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
      expect(pre.headers['access-control-allow-headers']).toBe('Range');
      expect(pre.headers['access-control-max-age']).toBe('300');
      expect(origin.requests.length).toBe(before);
    } finally {
      await edge.close();
    }
  });
  it('originOverride off keeps the origin’s own CORS answer', async () => {
    const edge = await startTestEdge(origin.url, {
      responseHeadersPolicies: [policy],
      distributions: [{ defaultBehavior: { responseHeadersPolicyId: 'rh1' } }],
    });
    try {
      const r = await get(edge.port, '/cors-origin.ts', { Origin: 'https://player.example' });
      expect(r.headers['access-control-allow-origin']).toBe('https://origin-says.example');
    } finally {
      await edge.close();
    }
  });
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('origin groups', () => {
  let secondary: TestOrigin;
  let failing: http.Server;
  let failingUrl: string;
  let hanging: http.Server;
  let hangingUrl: string;
  beforeAll(async () => {
    secondary = await startTestOrigin();
    secondary.route('*', (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60' });
      res.end(`secondary ${req.url} host=${req.headers.host} verify=${req.headers['x-origin-verify']}`);
    });
    failing = http.createServer((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('primary down');
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    failingUrl = `http://127.0.0.1:${(failing.address() as net.AddressInfo).port}`;
    hanging = http.createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    await secondary.close();
    failing.closeAllConnections();
    hanging.closeAllConnections();
    await new Promise((r) => failing.close(r));
    await new Promise((r) => hanging.close(r));
  });

  const groupEdge = (primaryUrl: string, extra: Record<string, unknown> = {}, rt?: string) =>
    startTestEdge(secondary.url, {
      ...(rt
        ? {
            realtimeLog: {
              enabled: true,
              output: rt,
              format: 'json',
              fields: ['cs-uri-stem', 'x-edge-result-type', 'x-edge-detailed-result-type'],
            },
          }
        : {}),
      distributions: [
        {
          origins: [
            { id: 'primary', url: primaryUrl, retries: 0, responseTimeoutSeconds: 1 },
            { id: 'secondary', url: secondary.url, retries: 0, customHeaders: { 'X-Origin-Verify': 'second' } },
          ],
          originGroups: [{ id: 'live-group', members: ['primary', 'secondary'], failoverStatusCodes: [500, 502, 503, 504] }],
          defaultBehavior: { targetOriginId: 'live-group', allowedMethods: 'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE', ...extra },
        },
      ],
    });

  it('a 503 from the primary: the secondary answers (its own Host and custom headers), the log and the stats say so', async () => {
    const rt = join(dir, 'rt-failover.json');
    const edge = await groupEdge(failingUrl, {}, rt);
    try {
      const r = await get(edge.port, '/live/x.ts');
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(`secondary /live/x.ts host=127.0.0.1:${secondary.port} verify=second`);
      expect(r.headers['x-cache']).toBe('Miss from cloudfront');
      expect((await get(edge.port, '/live/x.ts')).headers['x-cache']).toBe('Hit from cloudfront');
      const stats = JSON.parse((await get(edge.port, '/_edge/stats')).body.toString());
      expect(stats.distributions[0].originFailovers).toBe(1);
      expect(stats.distributions[0].originRequests).toBe(2); // primary + secondary
      const prom = (await get(edge.port, '/_edge/stats?format=prometheus')).body.toString();
      expect(prom).toContain('streamfront_edge_origin_failovers_total{distribution="EDFDVBD6EXAMPLE"} 1');
    } finally {
      await edge.close();
    }
    const lines = readFileSync(rt, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      'cs-uri-stem': '/live/x.ts',
      'x-edge-result-type': 'Miss',
      'x-edge-detailed-result-type': 'OriginFailover',
    });
    expect(lines[1]).toMatchObject({ 'x-edge-result-type': 'Hit', 'x-edge-detailed-result-type': 'Hit' });
  });

  it('a refused connection and a hanging primary fail over too', async () => {
    for (const url of [`http://127.0.0.1:${await closedPort()}`, hangingUrl]) {
      const edge = await groupEdge(url);
      try {
        const t0 = Date.now();
        const r = await get(edge.port, '/live/y.ts');
        expect(r.status, url).toBe(200);
        expect(r.body.toString()).toMatch(/^secondary \/live\/y\.ts/);
        expect(Date.now() - t0).toBeLessThan(5000);
      } finally {
        await edge.close();
      }
    }
  });

  it('only GET, HEAD and OPTIONS fail over; a status not listed does not', async () => {
    const edge = await groupEdge(failingUrl);
    try {
      const post = await get(edge.port, '/live/z', {}, 'POST', 'data');
      expect(post.status).toBe(503);
      expect((await get(edge.port, '/live/h.ts', {}, 'HEAD')).status).toBe(200);
    } finally {
      await edge.close();
    }
    const strict = await startTestEdge(secondary.url, {
      distributions: [
        {
          origins: [
            { id: 'p', url: failingUrl, retries: 0 },
            { id: 's', url: secondary.url },
          ],
          originGroups: [{ id: 'g', members: ['p', 's'], failoverStatusCodes: [404] }],
          defaultBehavior: { targetOriginId: 'g' },
        },
      ],
    });
    try {
      expect((await get(strict.port, '/live/w.ts')).status).toBe(503);
    } finally {
      await strict.close();
    }
  });
});
