// Integration: signed URLs made by an independent signer (@aws-sdk/cloudfront-signer) against the
// edge (SPEC 4.12 SIG-01..06, QS-02, EDGE-06).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { startTestOrigin, startTestEdge, get, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';

const KEY_ID = 'APKATESTKEY00001';
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const otherKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let origin: TestOrigin;
let edge: EdgeInternals;
let base: string;

/** Path + query of a full signed URL (the request line the viewer sends). */
const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
const inOneHour = () => new Date(Date.now() + 3600_000);

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60' });
    res.end(`origin saw ${req.url}`);
  });
  edge = await startTestEdge(origin.url, {
    keyPairs: [
      { id: KEY_ID, publicKey: keys.publicKey, signer: 'self' },
      { id: 'APKAINACTIVE0001', publicKey: otherKeys.publicKey, signer: 'self', active: false },
      { id: 'APKAOTHERSIGNER1', publicKey: otherKeys.publicKey, signer: 'partner' },
    ],
    distributions: [
      {
        behaviors: [
          { pathPattern: '/private/*', trustedSigners: ['self'], forwardQueryString: true },
          // EDGE-06: the public behaviour comes first and shadows the signed one below it.
          { pathPattern: '/media/*' },
          { pathPattern: '/media/secret/*', trustedSigners: ['self'] },
        ],
      },
    ],
  });
  base = `http://127.0.0.1:${edge.port}`;
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('signed URLs (SIG-02..05) from @aws-sdk/cloudfront-signer', () => {
  it('canned policy: 200; the signing parameters never reach the origin nor the cache key (QS-02)', async () => {
    const url = getSignedUrl({
      url: `${base}/private/movie.mp4?size=large`,
      keyPairId: KEY_ID,
      privateKey: keys.privateKey,
      dateLessThan: inOneHour(),
    });
    expect(url).toContain('Expires=');
    const r = await get(edge.port, pathOf(url));
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('origin saw /private/movie.mp4?size=large');
    // A second URL with another expiry is the same object in the cache.
    const url2 = getSignedUrl({
      url: `${base}/private/movie.mp4?size=large`,
      keyPairId: KEY_ID,
      privateKey: keys.privateKey,
      dateLessThan: new Date(Date.now() + 7200_000),
    });
    const r2 = await get(edge.port, pathOf(url2));
    expect(r2.headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.requests.every((q) => !/Signature|Key-Pair-Id|Expires|Policy/.test(q.url))).toBe(true);
  });

  it('custom policy with a time window and the viewer IP: 200', async () => {
    const url = getSignedUrl({
      url: `${base}/private/custom.mp4`,
      keyPairId: KEY_ID,
      privateKey: keys.privateKey,
      dateLessThan: inOneHour(),
      dateGreaterThan: new Date(Date.now() - 60_000),
      ipAddress: '127.0.0.1/32',
    });
    expect(url).toContain('Policy=');
    expect((await get(edge.port, pathOf(url))).status).toBe(200);
  });

  it('custom policy with a wildcard Resource covers other objects', async () => {
    const policy = JSON.stringify({
      Statement: [
        {
          Resource: `http://127.0.0.1:${edge.port}/private/dir/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 } },
        },
      ],
    });
    const url = getSignedUrl({ url: `${base}/private/dir/a.ts`, keyPairId: KEY_ID, privateKey: keys.privateKey, policy });
    const q = new URL(url).search;
    expect((await get(edge.port, `/private/dir/a.ts${q}`)).status).toBe(200);
    expect((await get(edge.port, `/private/dir/sub/b.ts${q}`)).status).toBe(200);
    expect((await get(edge.port, `/private/other.ts${q}`)).status).toBe(403); // wrong resource
  });

  it('SHA256 signatures (Hash-Algorithm=SHA256) are accepted too', async () => {
    const url = getSignedUrl({
      url: `${base}/private/sha256.mp4`,
      keyPairId: KEY_ID,
      privateKey: keys.privateKey,
      dateLessThan: inOneHour(),
      algorithm: 'SHA256',
    });
    expect((await get(edge.port, pathOf(url))).status).toBe(200);
  });

  it('unsigned, expired, tampered, wrong-IP, wrong-key and wrong-resource requests get 403', async () => {
    const good = getSignedUrl({ url: `${base}/private/a.mp4`, keyPairId: KEY_ID, privateKey: keys.privateKey, dateLessThan: inOneHour() });
    const cases: Record<string, string> = {
      unsigned: '/private/a.mp4',
      expired: pathOf(
        getSignedUrl({
          url: `${base}/private/a.mp4`,
          keyPairId: KEY_ID,
          privateKey: keys.privateKey,
          dateLessThan: new Date(Date.now() - 1000),
        }),
      ),
      'tampered path': pathOf(good).replace('/private/a.mp4', '/private/b.mp4'),
      'tampered expiry': pathOf(good).replace(/Expires=(\d+)/, (_m, e: string) => `Expires=${Number(e) + 1}`),
      'tampered signature': pathOf(good).replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === 'A' ? 'B' : 'A'}`),
      'wrong IP': pathOf(
        getSignedUrl({
          url: `${base}/private/a.mp4`,
          keyPairId: KEY_ID,
          privateKey: keys.privateKey,
          dateLessThan: inOneHour(),
          ipAddress: '10.0.0.0/8',
        }),
      ),
      'not yet valid': pathOf(
        getSignedUrl({
          url: `${base}/private/a.mp4`,
          keyPairId: KEY_ID,
          privateKey: keys.privateKey,
          dateLessThan: inOneHour(),
          dateGreaterThan: new Date(Date.now() + 600_000),
        }),
      ),
      'wrong resource': pathOf(
        getSignedUrl({ url: `${base}/private/other.mp4`, keyPairId: KEY_ID, privateKey: keys.privateKey, dateLessThan: inOneHour() }),
      ).replace('/private/other.mp4', '/private/a.mp4'),
      'key signed by someone else': pathOf(
        getSignedUrl({ url: `${base}/private/a.mp4`, keyPairId: KEY_ID, privateKey: otherKeys.privateKey, dateLessThan: inOneHour() }),
      ),
      'inactive key pair': pathOf(
        getSignedUrl({
          url: `${base}/private/a.mp4`,
          keyPairId: 'APKAINACTIVE0001',
          privateKey: otherKeys.privateKey,
          dateLessThan: inOneHour(),
        }),
      ),
      'untrusted signer': pathOf(
        getSignedUrl({
          url: `${base}/private/a.mp4`,
          keyPairId: 'APKAOTHERSIGNER1',
          privateKey: otherKeys.privateKey,
          dateLessThan: inOneHour(),
        }),
      ),
      'unknown key id': pathOf(good).replace(KEY_ID, 'APKAUNKNOWN00001'),
    };
    const statuses = Object.fromEntries(
      await Promise.all(Object.entries(cases).map(async ([name, p]) => [name, (await get(edge.port, p)).status])),
    );
    expect(statuses).toEqual(Object.fromEntries(Object.keys(cases).map((k) => [k, 403])));
    expect((await get(edge.port, pathOf(good))).status).toBe(200);
  });

  it('a URL signed for the distribution domain also plays through localhost (PROJECT)', async () => {
    const url = getSignedUrl({
      url: 'http://d111111abcdef8.cloudfront.net/private/cdn.mp4',
      keyPairId: KEY_ID,
      privateKey: keys.privateKey,
      dateLessThan: inOneHour(),
    });
    expect((await get(edge.port, pathOf(url))).status).toBe(200);
  });
});

describe('EDGE-06', () => {
  it('a public behaviour listed before a signed one exposes the content', async () => {
    const r = await get(edge.port, '/media/secret/plans.mp4');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('origin saw /media/secret/plans.mp4');
  });
});
