// Integration: Host routing (CN-01), geo restriction (GEO-01), disabled distributions, viewer
// protocol policy (TLS-01), HEAD, and gzip variants (GZ-01/02).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOrigin, startTestEdge, get, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';

let a: TestOrigin;
let b: TestOrigin;
let edge: EdgeInternals;

beforeAll(async () => {
  a = await startTestOrigin();
  b = await startTestOrigin();
  for (const [o, name] of [
    [a, 'A'],
    [b, 'B'],
  ] as const) {
    o.route('*', (req, res) => {
      const gz = req.headers['accept-encoding'] === 'gzip';
      res.writeHead(200, { 'Cache-Control': 'max-age=60', ...(gz ? { 'Content-Encoding': 'gzip' } : {}), Vary: 'Accept-Encoding' });
      res.end(`${name}:${gz ? 'gzip' : 'identity'}:${req.method}`);
    });
  }
  edge = await startTestEdge(a.url, {
    ipCountries: [{ cidr: '127.0.0.0/8', country: 'NZ' }],
    distributions: [
      {
        id: 'EFIRST',
        domainName: 'd111.cloudfront.net',
        behaviors: [
          { pathPattern: '/secure/*', viewerProtocolPolicy: 'redirect-to-https' },
          { pathPattern: '/https/*', viewerProtocolPolicy: 'https-only' },
        ],
      },
      {
        id: 'ESECOND',
        domainName: 'd222.cloudfront.net',
        aliases: ['video.example.com', '*.cdn.example.com'],
        origins: [{ id: 'b', url: b.url }],
      },
      {
        id: 'EGEO',
        domainName: 'd333.cloudfront.net',
        aliases: ['geo.example.com'],
        geoRestriction: { type: 'whitelist', countries: ['US'] },
      },
      {
        id: 'EGEOBL',
        domainName: 'd444.cloudfront.net',
        aliases: ['geobl.example.com'],
        geoRestriction: { type: 'blacklist', countries: ['FR'] },
      },
      { id: 'EOFF', domainName: 'd555.cloudfront.net', aliases: ['off.example.com'], enabled: false },
    ],
  });
});

afterAll(async () => {
  await edge?.close();
  await a?.close();
  await b?.close();
});

describe('CN-01 Host routing', () => {
  it('the CloudFront name, an alias and a wildcard alias reach their distribution; anything else the first', async () => {
    expect((await get(edge.port, '/x', { Host: 'd222.cloudfront.net' })).body.toString()).toMatch(/^B:/);
    expect((await get(edge.port, '/x', { Host: 'video.example.com:8000' })).body.toString()).toMatch(/^B:/);
    expect((await get(edge.port, '/x', { Host: 'eu.cdn.example.com' })).body.toString()).toMatch(/^B:/);
    expect((await get(edge.port, '/x', { Host: 'localhost:8000' })).body.toString()).toMatch(/^A:/);
  });
});

describe('GEO-01 and disabled distributions', () => {
  it('a viewer outside a whitelist gets 403 (X-Cache Error); a blacklist not naming its country lets it in', async () => {
    const r = await get(edge.port, '/x', { Host: 'geo.example.com' });
    expect(r.status).toBe(403);
    expect(r.headers['x-cache']).toBe('Error from cloudfront');
    expect((await get(edge.port, '/x', { Host: 'geobl.example.com' })).status).toBe(200);
  });
  it('a disabled distribution rejects every request', async () => {
    expect((await get(edge.port, '/x', { Host: 'off.example.com' })).status).toBe(403);
  });
});

describe('TLS-01 viewer protocol policy (HTTP-only emulator)', () => {
  it('redirect-to-https answers 301 to the https URL; https-only answers 403', async () => {
    const r = await get(edge.port, '/secure/a?b=1', { Host: 'd111.cloudfront.net' });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://d111.cloudfront.net/secure/a?b=1');
    expect((await get(edge.port, '/https/a')).status).toBe(403);
  });
});

describe('HEAD and gzip variants', () => {
  it('HEAD on a hit answers headers only from the cache; a HEAD miss is sent to the origin as HEAD', async () => {
    const miss = await get(edge.port, '/head-miss', {}, 'HEAD');
    expect(miss.status).toBe(200);
    expect(a.requests.find((q) => q.url === '/head-miss')!.method).toBe('HEAD');
    await get(edge.port, '/head-hit');
    const hit = await get(edge.port, '/head-hit', {}, 'HEAD');
    expect(hit.headers['x-cache']).toBe('Hit from cloudfront');
    expect(hit.headers['content-length']).toBe(String('A:identity:GET'.length));
    expect(hit.body.length).toBe(0);
  });
  it('GZ-02: gzip and identity copies are cached separately; other encodings count as identity', async () => {
    expect((await get(edge.port, '/gz', { 'Accept-Encoding': 'gzip, deflate' })).body.toString()).toBe('A:gzip:GET');
    expect((await get(edge.port, '/gz', { 'Accept-Encoding': 'deflate, br' })).body.toString()).toBe('A:identity:GET');
    const g = await get(edge.port, '/gz', { 'Accept-Encoding': 'gzip' });
    expect([g.headers['x-cache'], g.body.toString(), g.headers['content-encoding']]).toEqual(['Hit from cloudfront', 'A:gzip:GET', 'gzip']);
    const i = await get(edge.port, '/gz');
    expect([i.headers['x-cache'], i.body.toString()]).toEqual(['Hit from cloudfront', 'A:identity:GET']);
    expect(a.count('/gz')).toBe(2);
  });
});
