// SPEC SIG-02..05 and today's key groups: every way a signed URL or signed cookie can be right or
// wrong, from one table, against verifySignedRequest. Signatures are made here with node:crypto
// (openssl's `sha1 -sign`), and by @aws-sdk/cloudfront-signer as an independent implementation.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { describe, expect, it } from 'vitest';
import { presentedCredentials, type Credentials } from '../../../src/edge/signing/credentials.js';
import { signingKeysOf } from '../../../src/edge/signing/keys.js';
import { cannedPolicy, toUrlSafeBase64 } from '../../../src/edge/signing/policy.js';
import { signingErrorBody, verifySignedRequest } from '../../../src/edge/signing/verify.js';
import { VerifiedSignatures } from '../../../src/edge/signing/verified-signatures.js';

const rsa = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const groupA = rsa(); // public key KA1, in key group kg-a (trusted)
const groupB = rsa(); // public key KB1, in key group kg-b (not trusted by the behaviour)
const pair = rsa(); // 2014 key pair APKASELF0001 of signer self
const stranger = rsa(); // nobody's

const keys = signingKeysOf({
  keyPairs: [
    { id: 'APKASELF0001', publicKey: pair.publicKey, signer: 'self', active: true },
    { id: 'APKAOLD00001', publicKey: pair.publicKey, signer: 'self', active: false },
  ],
  publicKeys: [
    { id: 'KA1', encodedKey: groupA.publicKey },
    { id: 'KB1', encodedKey: groupB.publicKey },
  ],
  keyGroups: [
    { id: 'kg-a', items: ['KA1'] },
    { id: 'kg-b', items: ['KB1'] },
  ],
});
const trust = { trustedSigners: ['self'], trustedKeyGroups: ['kg-a'] };

const NOW = 1_800_000_000;
const HOST = 'd111111abcdef8.cloudfront.net';
const RESOURCE = `http://${HOST}/live/talk/seg7.ts`;

const sign = (text: string | Buffer, privateKey: string, algorithm = 'RSA-SHA1') =>
  toUrlSafeBase64(createSign(algorithm).update(text).sign(privateKey));
const b64 = (text: string) => toUrlSafeBase64(Buffer.from(text));

type Fields = Credentials['fields'];
const canned = (keyId: string, privateKey: string, expires = NOW + 60, resource = RESOURCE): Fields => ({
  Expires: String(expires),
  Signature: sign(cannedPolicy(resource, expires), privateKey),
  'Key-Pair-Id': keyId,
});
const customText = (keyId: string, privateKey: string, text: string): Fields => ({
  Policy: b64(text),
  Signature: sign(text, privateKey),
  'Key-Pair-Id': keyId,
});
const custom = (keyId: string, privateKey: string, condition: object, resource: string | undefined = `http://${HOST}/live/*`) =>
  customText(
    keyId,
    privateKey,
    JSON.stringify({ Statement: [{ ...(resource === undefined ? {} : { Resource: resource }), Condition: condition }] }),
  );
const until = (t = NOW + 60) => ({ DateLessThan: { 'AWS:EpochTime': t } });

type Row = [name: string, fields: Fields | undefined, expected: 'ok' | 'MissingKey' | 'AccessDenied', viewerIp?: string];
const A = groupA.privateKey;
const rows: Row[] = [
  ['canned policy, key group key', canned('KA1', A), 'ok'],
  ['canned policy, 2014 key pair of a trusted signer', canned('APKASELF0001', pair.privateKey), 'ok'],
  ['custom policy, wildcard resource', custom('KA1', A, until()), 'ok'],
  ['custom policy, http*:// and ? wildcards', custom('KA1', A, until(), `http*://${HOST}/live/talk/seg?.ts`), 'ok'],
  ['custom policy, Resource "http://*"', custom('KA1', A, until(), 'http://*'), 'ok'],
  ['custom policy, no Resource (everything the key may sign)', custom('KA1', A, until(), undefined), 'ok'],
  [
    'custom policy, second statement matches',
    customText(
      'KA1',
      A,
      JSON.stringify({
        Statement: [
          { Resource: 'http://other/*', Condition: until() },
          { Resource: `http://${HOST}/*`, Condition: until() },
        ],
      }),
    ),
    'ok',
  ],
  [
    'Hash-Algorithm=SHA256',
    { ...canned('KA1', A), Signature: sign(cannedPolicy(RESOURCE, NOW + 60), A, 'RSA-SHA256'), 'Hash-Algorithm': 'SHA256' },
    'ok',
  ],
  // MissingKey: no key id or no signature.
  ['nothing presented', undefined, 'MissingKey'],
  ['no Key-Pair-Id', { ...canned('KA1', A), 'Key-Pair-Id': undefined }, 'MissingKey'],
  ['no Signature', { ...canned('KA1', A), Signature: undefined }, 'MissingKey'],
  ['empty Key-Pair-Id', { ...canned('KA1', A), 'Key-Pair-Id': '' }, 'MissingKey'],
  ['Hash-Algorithm alone', { 'Hash-Algorithm': 'SHA1' }, 'MissingKey'],
  // Expired or not yet valid.
  ['canned policy expired', canned('KA1', A, NOW), 'AccessDenied'],
  ['custom policy expired', custom('KA1', A, until(NOW - 1)), 'AccessDenied'],
  ['DateGreaterThan in the future', custom('KA1', A, { ...until(), DateGreaterThan: { 'AWS:EpochTime': NOW + 10 } }), 'AccessDenied'],
  ['DateGreaterThan in the past', custom('KA1', A, { ...until(), DateGreaterThan: { 'AWS:EpochTime': NOW - 10 } }), 'ok'],
  // Forged or tampered.
  ['signed by a key nobody trusts', canned('KA1', stranger.privateKey), 'AccessDenied'],
  ['Expires changed after signing', { ...canned('KA1', A), Expires: String(NOW + 61) }, 'AccessDenied'],
  ['signature for another resource', canned('KA1', A, NOW + 60, `http://${HOST}/live/talk/seg8.ts`), 'AccessDenied'],
  [
    'policy changed after signing',
    { ...custom('KA1', A, until()), Policy: b64(JSON.stringify({ Statement: [{ Resource: 'http://*', Condition: until(NOW + 9999) }] })) },
    'AccessDenied',
  ],
  // Untrusted keys.
  ['key of a key group the behaviour does not trust', canned('KB1', groupB.privateKey), 'AccessDenied'],
  ['inactive key pair', canned('APKAOLD00001', pair.privateKey), 'AccessDenied'],
  ['unknown key id', canned('KZZZ', A), 'AccessDenied'],
  // SIG-04 alphabet.
  [
    'signature in standard base64 (+/=)',
    (() => {
      const f = canned('KA1', A);
      return { ...f, Signature: f.Signature!.replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '=') };
    })(),
    'AccessDenied',
  ],
  [
    'signature with trailing junk',
    (() => {
      const f = canned('KA1', A);
      return { ...f, Signature: `${f.Signature!}!!` };
    })(),
    'AccessDenied',
  ],
  [
    'signature with a space inside',
    (() => {
      const f = canned('KA1', A);
      return { ...f, Signature: `${f.Signature!.slice(0, 10)} ${f.Signature!.slice(10)}` };
    })(),
    'AccessDenied',
  ],
  ['signature not base64 at all', { ...canned('KA1', A), Signature: 'not-a-signature' }, 'AccessDenied'],
  ['Policy not base64', { ...custom('KA1', A, until()), Policy: 'e30=' }, 'AccessDenied'],
  // Malformed or over-rich policies (signed, so only the shape is wrong).
  ['policy is not JSON', customText('KA1', A, '{"Statement":'), 'AccessDenied'],
  [
    'policy with an extra top-level field',
    customText('KA1', A, JSON.stringify({ Statement: [{ Condition: until() }], Version: '2012-10-17' })),
    'AccessDenied',
  ],
  [
    'statement with an extra field',
    customText('KA1', A, JSON.stringify({ Statement: [{ Condition: until(), Effect: 'Allow' }] })),
    'AccessDenied',
  ],
  ['unknown condition', custom('KA1', A, { ...until(), StringEquals: { 'aws:Referer': 'x' } }), 'AccessDenied'],
  ['DateLessThan missing', custom('KA1', A, { DateGreaterThan: { 'AWS:EpochTime': NOW - 10 } }), 'AccessDenied'],
  ['DateLessThan as a string', custom('KA1', A, { DateLessThan: { 'AWS:EpochTime': String(NOW + 60) } }), 'AccessDenied'],
  ['DateLessThan with an extra field', custom('KA1', A, { DateLessThan: { 'AWS:EpochTime': NOW + 60, 'AWS:Other': 1 } }), 'AccessDenied'],
  ['Resource not http(s):// or *', custom('KA1', A, until(), `ftp://${HOST}/live/*`), 'AccessDenied'],
  ['Statement empty', customText('KA1', A, JSON.stringify({ Statement: [] })), 'AccessDenied'],
  ['both Expires and Policy', { ...custom('KA1', A, until()), Expires: String(NOW + 60) }, 'AccessDenied'],
  ['Expires not a number', { ...canned('KA1', A), Expires: '1e12' }, 'AccessDenied'],
  ['unknown Hash-Algorithm', { ...canned('KA1', A), 'Hash-Algorithm': 'MD5' }, 'AccessDenied'],
  // Another distribution's cookie.
  ['policy for another distribution', custom('KA1', A, until(), 'http://d222222abcdef8.cloudfront.net/*'), 'AccessDenied'],
  ['https-only policy on an http request', custom('KA1', A, until(), `https://${HOST}/*`), 'AccessDenied'],
  // IpAddress (IPv4 and IPv6 through the one CIDR matcher).
  ['IPv4 viewer inside the CIDR', custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } }), 'ok', '192.0.2.77'],
  [
    'IPv4-mapped viewer inside the CIDR',
    custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } }),
    'ok',
    '::ffff:192.0.2.77',
  ],
  [
    'IPv4 viewer outside the CIDR',
    custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } }),
    'AccessDenied',
    '192.0.3.1',
  ],
  [
    'IPv6 viewer inside an IPv6 CIDR',
    custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } }),
    'ok',
    '2001:db8:1::5',
  ],
  [
    'IPv6 viewer outside an IPv6 CIDR',
    custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } }),
    'AccessDenied',
    '2001:db9::1',
  ],
  [
    'IPv4 viewer against an IPv6 CIDR',
    custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } }),
    'AccessDenied',
    '192.0.2.77',
  ],
  ['one IPv6 host (/128)', custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '::1/128' } }), 'ok', '::1'],
  ['malformed CIDR', custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': '192.0.2.0/33' } }), 'AccessDenied', '192.0.2.77'],
  [
    'a list of CIDRs (one only is allowed)',
    custom('KA1', A, { ...until(), IpAddress: { 'AWS:SourceIp': ['192.0.2.0/24'] } }),
    'AccessDenied',
    '192.0.2.77',
  ],
];

describe('verifySignedRequest', () => {
  it.each(rows)('%s → %s', (_name, fields, expected, viewerIp = '203.0.113.9') => {
    const got = verifySignedRequest({
      credentials: fields && { via: 'cookie', fields: Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) },
      resources: [RESOURCE],
      viewerIp,
      now: NOW,
      trust,
      keys,
    });
    expect(got.ok ? 'ok' : got.code, got.ok ? '' : got.reason).toBe(expected);
  });

  it('accepts the signature whatever the source: the same fields from a URL', () => {
    const got = verifySignedRequest({
      credentials: { via: 'url', fields: canned('KA1', A) },
      resources: [RESOURCE],
      viewerIp: '203.0.113.9',
      now: NOW,
      trust,
      keys,
    });
    expect(got.ok).toBe(true);
  });

  it('RSA-2048 signatures use the whole URL-safe alphabet: `_` padding, and `-` or `~`', () => {
    const s = canned('KA1', A).Signature!;
    expect(s).toMatch(/__$/);
    expect(s).not.toMatch(/[+/=]/);
  });
});

describe('@aws-sdk/cloudfront-signer output verifies (independent implementation)', () => {
  const now = Math.floor(Date.now() / 1000);
  const url = `http://${HOST}/live/talk/playlist.m3u8`;
  const verifyCookies = (cookies: Record<string, string>, resource = url) => {
    const header = Object.entries(cookies)
      .map(([n, v]) => `${n}=${v}`)
      .join('; ');
    const creds = presentedCredentials([], `session=abc; ${header}`);
    expect(creds.ok).toBe(true);
    return verifySignedRequest({
      credentials: creds.ok ? creds.value : undefined,
      resources: [resource],
      viewerIp: '192.0.2.7',
      now,
      trust,
      keys,
    });
  };
  it('getSignedCookies, canned', () => {
    const cookies = getSignedCookies({ url, keyPairId: 'KA1', privateKey: A, dateLessThan: new Date((now + 60) * 1000) });
    expect(Object.keys(cookies).sort()).toEqual(['CloudFront-Expires', 'CloudFront-Key-Pair-Id', 'CloudFront-Signature']);
    expect(verifyCookies(cookies as unknown as Record<string, string>).ok).toBe(true);
  });
  it('getSignedCookies, custom policy with a wildcard, SHA256', () => {
    const policy = JSON.stringify({
      Statement: [
        {
          Resource: `http://${HOST}/live/talk/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': now + 60 }, IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } },
        },
      ],
    });
    const cookies = getSignedCookies({ policy, keyPairId: 'KA1', privateKey: A, algorithm: 'SHA256' }) as unknown as Record<string, string>;
    expect(cookies['CloudFront-Hash-Algorithm']).toBe('SHA256');
    expect(verifyCookies(cookies, `http://${HOST}/live/talk/seg1.ts`).ok).toBe(true);
    expect(verifyCookies(cookies, `http://${HOST}/live/other/seg1.ts`)).toMatchObject({ ok: false, code: 'AccessDenied' });
  });
  it('getSignedUrl, 2014 key pair', () => {
    const signed = new URL(
      getSignedUrl({ url, keyPairId: 'APKASELF0001', privateKey: pair.privateKey, dateLessThan: new Date((now + 60) * 1000) }),
    );
    const creds = presentedCredentials([...signed.searchParams], undefined);
    expect(creds.ok && creds.value?.via).toBe('url');
    expect(
      verifySignedRequest({ credentials: creds.ok ? creds.value : undefined, resources: [url], viewerIp: '192.0.2.7', now, trust, keys })
        .ok,
    ).toBe(true);
  });
});

describe('signingErrorBody', () => {
  it.each([
    ['MissingKey', 'Missing Key-Pair-Id query parameter or cookie value'],
    ['AccessDenied', 'Access denied'],
  ] as const)('%s', (code, message) => {
    expect(signingErrorBody(code)).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
  });
});

describe('verified signatures are remembered, conditions are not', () => {
  const fresh = () =>
    signingKeysOf({
      keyPairs: [],
      publicKeys: [
        { id: 'KA1', encodedKey: groupA.publicKey },
        { id: 'KB1', encodedKey: groupB.publicKey },
      ],
      keyGroups: [
        { id: 'kg-a', items: ['KA1'] },
        { id: 'kg-b', items: ['KB1'] },
      ],
    });
  const check = (
    k: ReturnType<typeof fresh>,
    fields: Fields,
    over: Partial<{ now: number; viewerIp: string; trustedKeyGroups: string[] }> = {},
  ) =>
    verifySignedRequest({
      credentials: { via: 'cookie', fields },
      resources: [RESOURCE],
      viewerIp: over.viewerIp ?? '192.0.2.7',
      now: over.now ?? NOW,
      trust: { trustedSigners: [], trustedKeyGroups: over.trustedKeyGroups ?? ['kg-a'] },
      keys: k,
    });
  it('a custom policy: kept once verified; expiry, address and trust still checked on each request', () => {
    const k = fresh();
    const fields = custom('KA1', A, { ...until(NOW + 60), IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } });
    expect(check(k, fields).ok).toBe(true);
    expect(k.verified.size).toBe(1);
    expect(check(k, fields).ok).toBe(true);
    expect(k.verified.size).toBe(1);
    expect(check(k, fields, { now: NOW + 60 })).toMatchObject({ ok: false, reason: 'expired' });
    expect(check(k, fields, { viewerIp: '198.51.100.1' })).toMatchObject({ ok: false, reason: 'viewer IP outside AWS:SourceIp' });
    expect(check(k, fields, { trustedKeyGroups: ['kg-b'] })).toMatchObject({ ok: false, code: 'AccessDenied' });
  });
  it('a canned policy: kept per resource and expiry', () => {
    const k = fresh();
    const fields = canned('KA1', A);
    expect(check(k, fields).ok).toBe(true);
    expect(k.verified.size).toBe(1);
    expect(check(k, { ...fields, Expires: String(NOW + 61) }).ok).toBe(false);
    expect(check(k, fields, { now: NOW + 60 })).toMatchObject({ ok: false, reason: 'expired' });
  });
  it('failures are never kept: forged and tampered signatures leave it empty', () => {
    const k = fresh();
    expect(check(k, canned('KA1', stranger.privateKey)).ok).toBe(false);
    expect(check(k, custom('KA1', stranger.privateKey, until())).ok).toBe(false);
    expect(check(k, { ...custom('KA1', A, until()), Policy: b64('{}') }).ok).toBe(false);
    expect(k.verified.size).toBe(0);
  });
  it('the same policy under another signature is verified on its own', () => {
    const k = fresh();
    const good = custom('KA1', A, until());
    expect(check(k, good).ok).toBe(true);
    expect(check(k, { ...good, Signature: sign(b64(good.Policy!), A) }).ok).toBe(false);
  });
});

describe('VerifiedSignatures', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const m = new VerifiedSignatures(2);
    m.set('a', true);
    m.set('b', true);
    expect(m.get('a')).toBe(true); // a is now the most recent
    m.set('c', true);
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([true, undefined, true]);
    expect(m.size).toBe(2);
  });
  it('keeps nothing over 4096 characters, and nothing at capacity 0', () => {
    const m = new VerifiedSignatures(4);
    m.set('x'.repeat(4097), true);
    expect(m.size).toBe(0);
    const off = new VerifiedSignatures(0);
    off.set('a', true);
    expect(off.get('a')).toBeUndefined();
  });
});
