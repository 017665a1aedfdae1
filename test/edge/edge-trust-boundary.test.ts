// Regression: the edge's trust boundary. One canonical request at intake (percent-encoding
// variants cannot dodge a behaviour, split the cache or escape an invalidation), signed-URL
// resources built from the distribution's own names (never the raw Host), strict URL-safe base64
// (SIG-04), viewer limits answered before any origin contact (ORG-03), and no viewer header that
// changes a cached response unless it is keyed. The origin here misbehaves on purpose whenever a
// header or query string leaks to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { startTestOrigin, startTestEdge, get, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';

const KEY_ID = 'APKATESTKEY00001';
const DOMAIN = 'd111111abcdef8.cloudfront.net';
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let origin: TestOrigin;
let edge: EdgeInternals;

const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
const inOneHour = () => new Date(Date.now() + 3600_000);

/** Raw HTTP/1.1 exchange: the request bytes exactly as given; resolves with the status (0 = closed without one). */
function raw(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    });
    s.write(request);
    setTimeout(() => s.end(), 300);
  });
}

beforeAll(async () => {
  origin = await startTestOrigin();
  // An origin that misbehaves if anything a single viewer controls leaks to it: it honours
  // X-Original-URL / X-Forwarded-Host / a query string, and (like Node) answers 400 without Host.
  origin.route('*', (req, res) => {
    if (!req.headers.host) {
      res.writeHead(400, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=300' });
      return void res.end('no host');
    }
    const poison =
      req.headers['x-original-url'] ?? req.headers['x-forwarded-host'] ?? req.headers['x-rewrite-url'] ?? req.headers['forwarded'];
    const q = req.url!.indexOf('?');
    const query = q < 0 ? '' : req.url!.slice(q);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=300' });
    res.end(
      poison ? `POISONED by ${String(poison)}` : `origin saw ${req.url}${query && !req.url!.includes('/qs/') ? ' (query leaked)' : ''}`,
    );
  });
  edge = await startTestEdge(origin.url, {
    keyPairs: [{ id: KEY_ID, publicKey: keys.publicKey, signer: 'self' }],
    distributions: [
      {
        aliases: ['media.example.com'],
        behaviors: [
          { pathPattern: '/private/*', trustedSigners: ['self'] },
          { pathPattern: '/qs/*', forwardQueryString: true },
          { pathPattern: '*.m3u8', minTtl: 1 },
          { pathPattern: '/static/*' },
        ],
      },
    ],
    adminToken: 'secret-token-123',
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

/** Every way to write `path` that canonicalPath() folds into it: each unreserved character escaped, lower and upper case. */
function encodingVariants(path: string): string[] {
  const out = new Set<string>();
  const chars = [...path];
  chars.forEach((ch, i) => {
    if (!/[A-Za-z0-9\-._~]/.test(ch)) return;
    const hex = ch.charCodeAt(0).toString(16).padStart(2, '0');
    for (const h of [hex.toLowerCase(), hex.toUpperCase()]) out.add(chars.map((c, j) => (j === i ? `%${h}` : c)).join(''));
  });
  // And everything escaped at once.
  out.add(chars.map((c) => (/[A-Za-z0-9\-._~]/.test(c) ? `%${c.charCodeAt(0).toString(16)}` : c)).join(''));
  return [...out];
}

describe('one canonical request: every behaviour × encoding variant', () => {
  it('a signed behaviour cannot be reached unsigned through any encoding of its path', async () => {
    const target = '/private/talk/playlist.m3u8';
    const variants = encodingVariants(target);
    expect(variants.length).toBeGreaterThan(25);
    const leaks: string[] = [];
    for (const v of variants) {
      const r = await get(edge.port, v);
      if (r.status !== 403) leaks.push(`${v} → ${r.status}`);
    }
    expect(leaks).toEqual([]);
    expect(origin.requests.filter((q) => q.url.includes('rivate'))).toEqual([]);
  });

  it('every variant of a public path is one cache key and reaches the origin in canonical form', async () => {
    for (const target of ['/static/player.js', '/live/talk/playlist.m3u8', '/qs/obj']) {
      const before = origin.count(target);
      const variants = encodingVariants(target);
      const first = await get(edge.port, target);
      expect(first.status).toBe(200);
      for (const v of variants) {
        const r = await get(edge.port, v);
        expect(r.headers['x-cache'], v).toBe('Hit from cloudfront');
        expect(r.body.toString()).toBe(first.body.toString());
      }
      expect(origin.count(target) - before).toBe(1);
      expect(origin.requests.some((q) => q.url.includes('%'))).toBe(false);
    }
  });

  it('percent-escapes that stay escaped are upper-cased: one key for %c3%a9 and %C3%A9', async () => {
    const a = await get(edge.port, '/static/caf%c3%a9.js');
    const b = await get(edge.port, '/static/caf%C3%A9.js');
    expect(a.status).toBe(200);
    expect(b.headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.requests.at(-1)!.url).toBe('/static/caf%C3%A9.js');
  });

  it('invalidating /static/player2.js removes what /static/pla%79er2.js and %2F-free variants cached', async () => {
    await get(edge.port, '/static/pla%79er2.js');
    expect((await get(edge.port, '/static/player2.js')).headers['x-cache']).toBe('Hit from cloudfront');
    const batch = `<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/static/player2.js</Path></Items></Paths><CallerReference>c1</CallerReference></InvalidationBatch>`;
    const r = await get(
      edge.port,
      '/2014-10-21/distribution/EDFDVBD6EXAMPLE/invalidation',
      { Authorization: 'Bearer secret-token-123' },
      'POST',
      batch,
    );
    expect(r.status).toBe(201);
    expect((await get(edge.port, '/static/pla%79er2.js')).headers['x-cache']).toBe('Miss from cloudfront');
    // An invalidation path written with escapes matches the canonical object as well.
    const batch2 = batch.replace('/static/player2.js', '/static/pl%61yer2.js').replace('c1', 'c2');
    await get(
      edge.port,
      '/2014-10-21/distribution/EDFDVBD6EXAMPLE/invalidation',
      { Authorization: 'Bearer secret-token-123' },
      'POST',
      batch2,
    );
    expect((await get(edge.port, '/static/player2.js')).headers['x-cache']).toBe('Miss from cloudfront');
  });

  it('a malformed escape in an invalidation path is a 400, not an internal error', async () => {
    const batch = `<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/static/%zz.js</Path></Items></Paths><CallerReference>c3</CallerReference></InvalidationBatch>`;
    const r = await get(
      edge.port,
      '/2014-10-21/distribution/EDFDVBD6EXAMPLE/invalidation',
      { Authorization: 'Bearer secret-token-123' },
      'POST',
      batch,
    );
    expect(r.status).toBe(400);
  });

  const refused = [
    '/static/%zz.js',
    '/static/a%2fb.js',
    '/static/a%2Fb.js',
    '/static/a%5cb.js',
    '/static/a%00.js',
    '/static/../private/x',
    '/static/%2e%2e/private/x',
    '/static/.%2E/private/x',
    '/static/./x',
    '//private/x',
    '/static/x.js?a=%zz',
    '/static/x.js?a=%00',
  ];
  it.each(refused)('%s is a 400 before any rule runs, and never reaches the origin', async (p) => {
    const before = origin.requests.length;
    const r = await raw(edge.port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(400);
    expect(origin.requests.length).toBe(before);
  });
});

describe('signed URLs: the resource comes from the distribution, not from the Host header', () => {
  const policyFor = (resource: string) =>
    JSON.stringify({
      Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 3600 } } }],
    });
  const talkOnly = () =>
    pathOf(
      getSignedUrl({
        url: `http://${DOMAIN}/private/talk/a.ts`,
        keyPairId: KEY_ID,
        privateKey: keys.privateKey,
        policy: policyFor(`http://${DOMAIN}/private/talk/*`),
      }),
    );

  it('a policy for /private/talk/* does not open /private/other/ through any Host value', async () => {
    const q = talkOnly().split('?')[1]!;
    expect((await get(edge.port, `/private/talk/a.ts?${q}`, { Host: DOMAIN })).status).toBe(200);
    const hosts = [
      `${DOMAIN}/private/talk/x`,
      `${DOMAIN}/private/talk/`,
      `${DOMAIN}:80/private/talk/x`,
      `${DOMAIN}?/private/talk/`,
      `${DOMAIN}#/private/talk/`,
      `user@${DOMAIN}`,
      `${DOMAIN} x`,
      `${DOMAIN}:99999`,
      '',
    ];
    for (const host of hosts) {
      const r = await raw(edge.port, `GET /private/other/b.ts?${q} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(r.status, `Host: ${host}`).toBe(host === '' ? 400 : 400);
    }
    // Valid hosts: the domain (any port), an alias, an unknown name: all 403 for another folder.
    for (const host of [DOMAIN, `${DOMAIN}:8000`, 'media.example.com', 'unknown.example', `127.0.0.1:${edge.port}`]) {
      expect((await get(edge.port, `/private/other/b.ts?${q}`, { Host: host })).status, host).toBe(403);
    }
  });

  it('an unknown Host maps to the default distribution and signs against its domain name only', async () => {
    const forEvil = pathOf(
      getSignedUrl({
        url: `http://evil.example/private/talk/c.ts`,
        keyPairId: KEY_ID,
        privateKey: keys.privateKey,
        dateLessThan: inOneHour(),
      }),
    );
    expect((await get(edge.port, forEvil, { Host: 'evil.example' })).status).toBe(403);
    const forDomain = pathOf(
      getSignedUrl({
        url: `http://${DOMAIN}/private/talk/c.ts`,
        keyPairId: KEY_ID,
        privateKey: keys.privateKey,
        dateLessThan: inOneHour(),
      }),
    );
    expect((await get(edge.port, forDomain, { Host: 'evil.example' })).status).toBe(200);
    const forAlias = pathOf(
      getSignedUrl({
        url: `http://media.example.com/private/talk/d.ts`,
        keyPairId: KEY_ID,
        privateKey: keys.privateKey,
        dateLessThan: inOneHour(),
      }),
    );
    expect((await get(edge.port, forAlias, { Host: 'MEDIA.example.com:8000' })).status).toBe(200);
    expect((await get(edge.port, forAlias, { Host: 'evil.example' })).status).toBe(403);
  });

  it('the signed resource is the canonical path: an encoded variant of a signed URL still verifies, but only for its own object', async () => {
    const u = pathOf(
      getSignedUrl({
        url: `http://${DOMAIN}/private/talk/e.ts`,
        keyPairId: KEY_ID,
        privateKey: keys.privateKey,
        dateLessThan: inOneHour(),
      }),
    );
    expect((await get(edge.port, u.replace('/talk/', '/t%61lk/'))).status).toBe(200);
    expect((await get(edge.port, u.replace('/e.ts', '/f.ts'))).status).toBe(403);
  });

  it('SIG-04: a Signature or Policy with trailing junk or characters outside -_~ base64 is refused', async () => {
    const canned = pathOf(
      getSignedUrl({
        url: `http://${DOMAIN}/private/talk/g.ts`,
        keyPairId: KEY_ID,
        privateKey: keys.privateKey,
        dateLessThan: inOneHour(),
      }),
    );
    const custom = talkOnly();
    expect((await get(edge.port, canned)).status).toBe(200);
    const sig = /Signature=([^&]+)/.exec(canned)![1]!;
    const pol = /Policy=([^&]+)/.exec(custom)![1]!;
    const bad = [
      canned.replace(`Signature=${sig}`, `Signature=${sig}!!`),
      canned.replace(`Signature=${sig}`, `Signature=${sig}AAAA`),
      canned.replace(`Signature=${sig}`, `Signature=${sig.replace(/-/g, '+')}`),
      canned.replace(`Signature=${sig}`, `Signature=${sig.replace(/~/g, '/')}`),
      canned.replace(`Signature=${sig}`, `Signature=${sig.replace(/_+$/, '')}`),
      canned.replace(`Signature=${sig}`, `Signature=${sig}%20`),
      `${canned}&Signature=${sig}`,
      custom.replace(`Policy=${pol}`, `Policy=${pol}!!`),
      custom.replace(`Policy=${pol}`, `Policy=${pol}%3D`),
      custom.replace(`Policy=${pol}`, `Policy=${pol.replace(/-/g, '+')}`),
    ];
    for (const p of bad) {
      if (p === canned || p === custom) continue;
      expect((await get(edge.port, p)).status, p).toBe(403);
    }
  });
});

describe('viewer limits and cache poisoning (ORG-03)', () => {
  it('a flood of 1,000 headers is a 431, never forwarded, and the object stays right for everyone', async () => {
    const before = origin.requests.length;
    let flood = '';
    for (let i = 0; i < 1000; i++) flood += `X-F${i}: y\r\n`;
    const r = await raw(edge.port, `GET /live/flood/playlist.m3u8 HTTP/1.1\r\n${flood}Host: ${DOMAIN}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(origin.requests.length).toBe(before);
    const ok = await get(edge.port, '/live/flood/playlist.m3u8');
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('origin saw /live/flood/playlist.m3u8');
  });

  it('headers over 20,480 bytes in few lines are a 413 and never forwarded', async () => {
    const before = origin.requests.length;
    const r = await raw(
      edge.port,
      `GET /live/big/playlist.m3u8 HTTP/1.1\r\nHost: ${DOMAIN}\r\nX-Big: ${'a'.repeat(21000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(r.status).toBe(413);
    expect(origin.requests.length).toBe(before);
  });

  it('the edge writes Host first: up to the limit of viewer headers, the origin still sees its Host', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 90; i++) headers[`X-Many-${i}`] = 'v';
    const r = await get(edge.port, '/static/many.js', headers);
    expect(r.status).toBe(200);
    const seen = origin.requests.at(-1)!;
    expect(Object.keys(seen.headers)[0]).toBe('host');
  });

  it('two Host headers are a 400 and never forwarded', async () => {
    const before = origin.requests.length;
    const r = await raw(edge.port, `GET /static/dup.js HTTP/1.1\r\nHost: ${DOMAIN}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(400);
    expect(origin.requests.length).toBe(before);
  });

  const poisoners: [string, string][] = [
    ['X-Forwarded-Host', 'evil.example'],
    ['X-Original-URL', '/private/talk/secret.ts'],
    ['X-Rewrite-URL', '/private/talk/secret.ts'],
    ['Forwarded', 'host=evil.example'],
  ];
  it.each(poisoners)('%s from one viewer never changes what the next viewer gets', async (name, value) => {
    const p = `/static/poison-${name.toLowerCase()}.js`;
    const attacker = await get(edge.port, p, { [name]: value });
    const victim = await get(edge.port, p);
    expect(victim.status).toBe(200);
    expect(victim.body.toString()).toBe(`origin saw ${p}`);
    // And the other order: the victim's copy is not served to, nor replaced by, the attacker's variant.
    expect(attacker.body.toString()).not.toBe('');
    expect((await get(edge.port, p)).body.toString()).toBe(`origin saw ${p}`);
  });

  it('a customer-defined header is forwarded (HDR-03) but keyed: its variant is cached apart', async () => {
    const p = '/static/custom-header.js';
    const a = await get(edge.port, p, { 'X-Debug': '1' });
    expect(a.headers['x-cache']).toBe('Miss from cloudfront');
    expect(origin.requests.at(-1)!.headers['x-debug']).toBe('1');
    expect((await get(edge.port, p)).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await get(edge.port, p, { 'X-Debug': '1' })).headers['x-cache']).toBe('Hit from cloudfront');
  });

  it('query strings on behaviours that do not forward them never reach the origin nor the key', async () => {
    const p = '/static/query.js';
    const a = await get(edge.port, `${p}?evil=1&_HLS_msn=9`);
    expect(a.body.toString()).toBe(`origin saw ${p}`);
    const b = await get(edge.port, p);
    expect(b.headers['x-cache']).toBe('Hit from cloudfront');
    expect(b.body.toString()).toBe(`origin saw ${p}`);
  });
});
