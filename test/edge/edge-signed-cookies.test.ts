// Integration: today's CloudFront signing through a real edge. Signed cookies and signed URLs made
// by @aws-sdk/cloudfront-signer (getSignedCookies, getSignedUrl) with keys of trusted key groups;
// CloudFront's precedence (a request carrying signed-URL parameters is judged by its URL alone);
// the resource built from the distribution's own names, never from the Host text; XML refusals;
// signing cookies neither forwarded to the origin nor keyed.
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { CloudFrontClient, GetDistributionCommand, GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOrigin, startTestEdge, get, type Got, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';

const rsa = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const live = rsa(); // K2LIVE in key group kg-live
const other = rsa(); // K2OTHER in key group kg-other, trusted nowhere on /live/
const DIST2 = 'd222222abcdef8.cloudfront.net';

let origin: TestOrigin;
let edge: EdgeInternals;
let v6: EdgeInternals;
let base: string;
const soon = () => new Date(Date.now() + 3600_000);

/** The Cookie header a browser would send for getSignedCookies' output (plus its own cookies). */
const cookieHeader = (cookies: object, extra = '') =>
  [
    extra,
    ...Object.entries(cookies)
      .filter(([, v]) => v !== undefined)
      .map(([n, v]) => `${n}=${String(v)}`),
  ]
    .filter(Boolean)
    .join('; ');
const policyFor = (resource: string, extra: object = {}) =>
  JSON.stringify({
    Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 3600 }, ...extra } }],
  });
const liveCookies = (resource = `${base}/live/*`, extra: object = {}, key = live.privateKey, keyPairId = 'K2LIVE') =>
  getSignedCookies({ keyPairId, privateKey: key, policy: policyFor(resource, extra) });
const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;

function expectRefusal(r: Got, code: 'MissingKey' | 'AccessDenied'): void {
  expect(r.status).toBe(403);
  expect(r.headers['content-type']).toBe('text/xml');
  expect(r.headers['x-cache']).toBe('Error from cloudfront');
  expect(r.body.toString()).toMatch(
    new RegExp(`^<\\?xml version="1\\.0" encoding="UTF-8"\\?><Error><Code>${code}</Code><Message>[^<]+</Message></Error>$`),
  );
}

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60' });
    res.end(`origin saw ${req.url} cookie=${req.headers.cookie ?? '-'}`);
  });
  const signing = {
    publicKeys: [
      { id: 'K2LIVE', name: 'live', encodedKey: live.publicKey },
      { id: 'K2OTHER', name: 'other', encodedKey: other.publicKey },
    ],
    keyGroups: [
      { id: 'kg-live', name: 'live players', items: ['K2LIVE'] },
      { id: 'kg-other', items: ['K2OTHER'] },
    ],
  };
  const protectedLive = { pathPattern: '/live/*', trustedKeyGroups: ['kg-live'], forwardQueryString: true, cookies: { forward: 'all' } };
  edge = await startTestEdge(origin.url, {
    ...signing,
    accessKeys: [{ accessKeyId: 'AKIASIGNINGTEST1', secretAccessKey: 'signing-test-secret' }],
    distributions: [
      {
        aliases: ['video.example.com'],
        behaviors: [
          protectedLive,
          { pathPattern: '/other/*', trustedKeyGroups: ['kg-other'] },
          { pathPattern: '/open/*', cookies: { forward: 'all' } },
        ],
      },
      { id: 'EDIST2', domainName: DIST2, behaviors: [protectedLive] },
    ],
  });
  base = `http://127.0.0.1:${edge.port}`;
  v6 = await startTestEdge(origin.url, { ...signing, distributions: [{ behaviors: [protectedLive] }] }, undefined, { host: '::1' });
});

afterAll(async () => {
  await edge?.close();
  await v6?.close();
  await origin?.close();
});

describe('signed cookies from getSignedCookies, keys of a trusted key group', () => {
  it('one custom-policy cookie set plays the playlist and every segment; the origin never sees the signing cookies', async () => {
    const cookie = cookieHeader(liveCookies(), 'session=abc');
    for (const p of ['/live/talk/playlist.m3u8', '/live/talk/seg1.ts', '/live/talk/seg2.ts', '/live/talk/sub/chunk.m4s?_HLS_msn=3']) {
      const r = await get(edge.port, p, { cookie });
      expect(r.status, p).toBe(200);
      expect(r.body.toString()).toBe(`origin saw ${p} cookie=session=abc`);
    }
    expect(origin.requests.some((q) => /CloudFront-/.test(q.headers.cookie ?? ''))).toBe(false);
  });

  it('signing cookies are not part of the cache key: another viewer with its own signature gets the cached copy', async () => {
    const first = await get(edge.port, '/live/talk/keyed.ts', { cookie: cookieHeader(liveCookies(), 'session=abc') });
    expect(first.headers['x-cache']).toBe('Miss from cloudfront');
    const second = await get(edge.port, '/live/talk/keyed.ts', { cookie: cookieHeader(liveCookies(`${base}/live/talk/*`), 'session=abc') });
    expect(second.status).toBe(200);
    expect(second.headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.count('/live/talk/keyed.ts')).toBe(1);
  });

  it('a canned cookie is good for its one URL only', async () => {
    const cookies = getSignedCookies({
      url: `${base}/live/talk/canned.ts`,
      keyPairId: 'K2LIVE',
      privateKey: live.privateKey,
      dateLessThan: soon(),
    });
    expect(cookies['CloudFront-Expires']).toBeDefined();
    expect((await get(edge.port, '/live/talk/canned.ts', { cookie: cookieHeader(cookies) })).status).toBe(200);
    expectRefusal(await get(edge.port, '/live/talk/other.ts', { cookie: cookieHeader(cookies) }), 'AccessDenied');
  });

  it('SHA256 cookies (CloudFront-Hash-Algorithm)', async () => {
    const cookies = getSignedCookies({
      keyPairId: 'K2LIVE',
      privateKey: live.privateKey,
      policy: policyFor(`${base}/live/*`),
      algorithm: 'SHA256',
    });
    expect((await get(edge.port, '/live/talk/sha256.ts', { cookie: cookieHeader(cookies) })).status).toBe(200);
  });

  it('the signed resource is the distribution domain or alias the Host named, never the Host text', async () => {
    const forDist1 = cookieHeader(liveCookies('http://d111111abcdef8.cloudfront.net/live/*'));
    const forAlias = cookieHeader(liveCookies('http://video.example.com/live/*'));
    const forDist2 = cookieHeader(liveCookies(`http://${DIST2}/live/*`));
    const forEvil = cookieHeader(liveCookies('http://evil.example/live/*'));
    const at = (host: string, cookie: string) => get(edge.port, '/live/talk/host.ts', { host, cookie });
    expect((await at('d111111abcdef8.cloudfront.net', forDist1)).status).toBe(200);
    expect((await at('video.example.com', forAlias)).status).toBe(200);
    // An alias names its distribution's domain too.
    expect((await at('video.example.com', forDist1)).status).toBe(200);
    expect((await at(DIST2, forDist2)).status).toBe(200);
    // A cookie for another distribution.
    expectRefusal(await at(DIST2, forDist1), 'AccessDenied');
    expectRefusal(await at('d111111abcdef8.cloudfront.net', forDist2), 'AccessDenied');
    // An unknown Host goes to the first distribution but signs nothing of its own.
    expectRefusal(await at('evil.example', forEvil), 'AccessDenied');
    expect((await at('evil.example', forDist1)).status).toBe(200);
  });
});

describe('signing cookies on a public behaviour', () => {
  it('are not forwarded there either, nor keyed', async () => {
    const a = await get(edge.port, '/open/page.html', { cookie: cookieHeader(liveCookies(), 'theme=dark') });
    expect(a.body.toString()).toBe('origin saw /open/page.html cookie=theme=dark');
    const b = await get(edge.port, '/open/page.html', { cookie: 'theme=dark; CloudFront-Policy=other' });
    expect(b.headers['x-cache']).toBe('Hit from cloudfront');
  });
});

describe('refusals: CloudFront XML, 403', () => {
  it.each<[string, () => Record<string, string>, string, 'MissingKey' | 'AccessDenied']>([
    ['no credentials', () => ({}), '/live/talk/a.ts', 'MissingKey'],
    [
      'cookies without CloudFront-Key-Pair-Id',
      () => ({ cookie: cookieHeader({ ...liveCookies(), 'CloudFront-Key-Pair-Id': undefined }) }),
      '/live/talk/a.ts',
      'MissingKey',
    ],
    [
      'cookies without CloudFront-Signature',
      () => ({ cookie: cookieHeader({ ...liveCookies(), 'CloudFront-Signature': undefined }) }),
      '/live/talk/a.ts',
      'MissingKey',
    ],
    [
      'expired cookie',
      () => ({
        cookie: cookieHeader(
          getSignedCookies({
            url: `${base}/live/talk/a.ts`,
            keyPairId: 'K2LIVE',
            privateKey: live.privateKey,
            dateLessThan: new Date(Date.now() - 1000),
          }),
        ),
      }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    [
      'not valid yet',
      () => ({
        cookie: cookieHeader(liveCookies(`${base}/live/*`, { DateGreaterThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 } })),
      }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    [
      'forged: signed with another private key',
      () => ({ cookie: cookieHeader(liveCookies(`${base}/live/*`, {}, other.privateKey)) }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    [
      'a key of another key group',
      () => ({ cookie: cookieHeader(liveCookies(`${base}/live/*`, {}, other.privateKey, 'K2OTHER')) }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    [
      'an unknown key id',
      () => ({ cookie: cookieHeader({ ...liveCookies(), 'CloudFront-Key-Pair-Id': 'K2NOBODY' }) }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    ['wrong resource', () => ({ cookie: cookieHeader(liveCookies(`${base}/vod/*`)) }), '/live/talk/a.ts', 'AccessDenied'],
    [
      'wrong IP',
      () => ({ cookie: cookieHeader(liveCookies(`${base}/live/*`, { IpAddress: { 'AWS:SourceIp': '10.0.0.0/8' } })) }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    [
      'malformed base64 policy',
      () => ({ cookie: cookieHeader({ ...liveCookies(), 'CloudFront-Policy': 'not base64!' }) }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    [
      'two different key ids',
      () => ({ cookie: cookieHeader(liveCookies(), 'CloudFront-Key-Pair-Id=K2OTHER') }),
      '/live/talk/a.ts',
      'AccessDenied',
    ],
    // A key trusted on /live/ is not trusted where another key group is.
    [
      'a good /live/ cookie on a behaviour trusting another group',
      () => ({ cookie: cookieHeader(liveCookies(`${base}/*`)) }),
      '/other/a.ts',
      'AccessDenied',
    ],
  ])('%s → %s', async (_name, headers, p, code) => {
    expectRefusal(await get(edge.port, p, headers()), code);
  });

  it('HEAD gets the status and headers without the body', async () => {
    const r = await get(edge.port, '/live/talk/a.ts', {}, 'HEAD');
    expect(r.status).toBe(403);
    expect(r.headers['content-type']).toBe('text/xml');
    expect(r.body.length).toBe(0);
  });
});

describe("CloudFront's precedence: a request with signed-URL parameters is judged by its URL alone", () => {
  const goodUrl = () =>
    getSignedUrl({ url: `${base}/live/talk/p.ts`, keyPairId: 'K2LIVE', privateKey: live.privateKey, dateLessThan: soon() });
  it('a good signed URL passes whatever the cookies say', async () => {
    const r = await get(edge.port, pathOf(goodUrl()), { cookie: cookieHeader({ ...liveCookies(), 'CloudFront-Signature': 'AAAA' }) });
    expect(r.status).toBe(200);
  });
  it('a broken signed URL is refused even with good cookies', async () => {
    const tampered = pathOf(goodUrl()).replace(/Expires=(\d+)/, (_m, e: string) => `Expires=${Number(e) + 1}`);
    expectRefusal(await get(edge.port, tampered, { cookie: cookieHeader(liveCookies()) }), 'AccessDenied');
  });
  it('one stray signing parameter (Expires) makes it a signed URL without a key: MissingKey, cookies unread', async () => {
    expectRefusal(await get(edge.port, '/live/talk/p.ts?Expires=2000000000', { cookie: cookieHeader(liveCookies()) }), 'MissingKey');
  });
  it('signed URLs with a key group key, and the signing parameters stay out of the origin request', async () => {
    const r = await get(
      edge.port,
      pathOf(getSignedUrl({ url: `${base}/live/talk/u.ts?x=1`, keyPairId: 'K2LIVE', privateKey: live.privateKey, dateLessThan: soon() })),
    );
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('origin saw /live/talk/u.ts?x=1 cookie=-');
  });
});

describe('IPv6 viewers (AWS:SourceIp through the one CIDR matcher)', () => {
  const get6 = (p: string, cookie: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host: '::1', port: v6.port, path: p, headers: { cookie }, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
  it('an IPv6 CIDR admits the viewer inside it and refuses one outside', async () => {
    const resource = `http://[::1]:${v6.port}/live/*`;
    expect(await get6('/live/v6/a.ts', cookieHeader(liveCookies(resource, { IpAddress: { 'AWS:SourceIp': '::1/128' } })))).toBe(200);
    expect(await get6('/live/v6/a.ts', cookieHeader(liveCookies(resource, { IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } })))).toBe(403);
    expect(await get6('/live/v6/a.ts', cookieHeader(liveCookies(resource, { IpAddress: { 'AWS:SourceIp': '127.0.0.1/32' } })))).toBe(403);
  });
});

describe('GetDistributionConfig and GetDistribution (2020-05-31) through @aws-sdk/client-cloudfront', () => {
  it('list the key groups each behaviour trusts, and their keys', async () => {
    const client = new CloudFrontClient({
      endpoint: base,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIASIGNINGTEST1', secretAccessKey: 'signing-test-secret' },
      maxAttempts: 1,
    });
    const got = await client.send(new GetDistributionConfigCommand({ Id: 'EDFDVBD6EXAMPLE' }));
    const behaviours = got.DistributionConfig!.CacheBehaviors!.Items!;
    expect(behaviours.map((b) => [b.PathPattern, b.TrustedKeyGroups])).toEqual([
      ['/live/*', { Enabled: true, Quantity: 1, Items: ['kg-live'] }],
      ['/other/*', { Enabled: true, Quantity: 1, Items: ['kg-other'] }],
      ['/open/*', { Enabled: false, Quantity: 0 }],
    ]);
    expect(got.DistributionConfig!.DefaultCacheBehavior!.TrustedKeyGroups).toEqual({ Enabled: false, Quantity: 0 });
    // GetDistribution: the active key groups with the Key-Pair-Ids viewers may sign with.
    const dist = await client.send(new GetDistributionCommand({ Id: 'EDFDVBD6EXAMPLE' }));
    expect(dist.Distribution!.ActiveTrustedKeyGroups).toEqual({
      Enabled: true,
      Quantity: 2,
      Items: [
        { KeyGroupId: 'kg-live', KeyPairIds: { Quantity: 1, Items: ['K2LIVE'] } },
        { KeyGroupId: 'kg-other', KeyPairIds: { Quantity: 1, Items: ['K2OTHER'] } },
      ],
    });
    client.destroy();
  });
});
