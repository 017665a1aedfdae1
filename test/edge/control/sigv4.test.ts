// Unit: the SigV4 verifier against AWS's published signature test suite (credentials AKIDEXAMPLE,
// 2015-08-30T12:36:00Z, us-east-1, service "service"), plus the refusals, from tables.
import { describe, expect, it } from 'vitest';
import { canonicalUri, sha256Hex, verifySigV4, type SignedRequest } from '../../../src/edge/control/sigv4.js';
import { preAuthenticate } from '../../../src/edge/control/auth.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const secrets = new Map([['AKIDEXAMPLE', SECRET]]);
const NOW = Date.UTC(2015, 7, 30, 12, 36, 0);
const DATE = '20150830T123600Z';
const HOST = 'example.amazonaws.com';
const auth = (signed: string, sig: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signed}, Signature=${sig}`;

interface Vector {
  name: string;
  method: string;
  /** Path and query as they appear on the request line. */
  path: string;
  query?: string;
  /** Extra header lines, in order (repeats allowed). */
  headers?: [string, string][];
  body?: string;
  signed: string;
  signature: string;
}

// The `.authz` signatures of AWS's suite (get-utf8 and the utf8 query as their wire encodings).
const VECTORS: Vector[] = [
  {
    name: 'get-vanilla',
    method: 'GET',
    path: '/',
    signed: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-vanilla-query (empty query)',
    method: 'GET',
    path: '/',
    query: '',
    signed: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'normalize-path get-relative',
    method: 'GET',
    path: '/example/..',
    signed: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'normalize-path get-slash-dot-slash',
    method: 'GET',
    path: '/./',
    signed: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'normalize-path get-slash',
    method: 'GET',
    path: '//',
    signed: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    path: '/',
    query: 'Param2=value2&Param1=value1',
    signed: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-empty-query-key (as value1)',
    method: 'GET',
    path: '/',
    query: 'Param1=value1',
    signed: 'host;x-amz-date',
    signature: 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb',
  },
  {
    name: 'get-vanilla-query-unreserved',
    method: 'GET',
    path: '/',
    query:
      '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signed: 'host;x-amz-date',
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  },
  {
    name: 'get-vanilla-utf8-query',
    method: 'GET',
    path: '/',
    query: '%E1%88%B4=bar',
    signed: 'host;x-amz-date',
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signed: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'get-utf8',
    method: 'GET',
    path: '/ሴ',
    signed: 'host;x-amz-date',
    signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
  },
  {
    name: 'get-header-key-duplicate',
    method: 'GET',
    path: '/',
    headers: [
      ['My-Header1', 'value2'],
      ['My-Header1', 'value2'],
      ['My-Header1', 'value1'],
    ],
    signed: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-header-value-order',
    method: 'GET',
    path: '/',
    headers: [
      ['My-Header1', 'value4'],
      ['My-Header1', 'value1'],
      ['My-Header1', 'value3'],
      ['My-Header1', 'value2'],
    ],
    signed: 'host;my-header1;x-amz-date',
    signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    path: '/',
    headers: [
      ['My-Header1', ' value1'],
      ['My-Header2', ' "a   b   c"'],
    ],
    signed: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    path: '/',
    signed: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'post-vanilla-query',
    method: 'POST',
    path: '/',
    query: 'Param1=value1',
    signed: 'host;x-amz-date',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
  },
  {
    name: 'post-vanilla-query-nonunreserved',
    method: 'POST',
    path: '/',
    query: '%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D',
    signed: 'host;x-amz-date',
    signature: '66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e',
  },
  {
    name: 'post-vanilla-query-space (p=)',
    method: 'POST',
    path: '/',
    query: 'p=',
    signed: 'host;x-amz-date',
    signature: 'e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b',
  },
  {
    name: 'post-header-key-sort',
    method: 'POST',
    path: '/',
    headers: [['My-Header1', 'value1']],
    signed: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  {
    name: 'post-header-value-case',
    method: 'POST',
    path: '/',
    headers: [['My-Header1', 'VALUE1']],
    signed: 'host;my-header1;x-amz-date',
    signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    path: '/',
    headers: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: 'Param1=value1',
    signed: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'post-x-www-form-urlencoded-parameters',
    method: 'POST',
    path: '/',
    headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=utf8']],
    body: 'Param1=value1',
    signed: 'content-type;host;x-amz-date',
    signature: '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe',
  },
];

function request(
  v: Vector,
  overrides: { authorization?: string; date?: string; body?: string; extra?: [string, string][] } = {},
): SignedRequest {
  const raw: string[] = ['Host', HOST, 'X-Amz-Date', overrides.date ?? DATE];
  for (const [n, val] of v.headers ?? []) raw.push(n, val);
  for (const [n, val] of overrides.extra ?? []) raw.push(n, val);
  raw.push('Authorization', overrides.authorization ?? auth(v.signed, v.signature));
  return {
    method: v.method,
    rawPath: v.path,
    rawQuery: v.query ?? '',
    rawHeaders: raw,
    payloadHash: sha256Hex(overrides.body ?? v.body ?? ''),
  };
}

const verify = (r: SignedRequest, now = NOW) => verifySigV4(r, { secrets, service: 'service', now });

describe('SigV4: AWS test suite vectors verify', () => {
  it.each(VECTORS)('$name', (v) => {
    expect(verify(request(v))).toEqual({ ok: true, value: { accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1' } });
  });

  it.each(VECTORS)('$name with one signature bit flipped is SignatureDoesNotMatch', (v) => {
    const flipped = v.signature.slice(0, -1) + (v.signature.endsWith('0') ? '1' : '0');
    const r = verify(request(v, { authorization: auth(v.signed, flipped) }));
    expect(r.ok === false && r.code).toBe('SignatureDoesNotMatch');
  });
});

const vanilla = VECTORS[0]!;
const postForm = VECTORS.find((v) => v.name === 'post-x-www-form-urlencoded')!;

describe('SigV4: refusals', () => {
  const cases: { name: string; r: SignedRequest; now?: number; code: string }[] = [
    { name: 'a body other than the signed one', r: request(postForm, { body: 'Param1=value2' }), code: 'SignatureDoesNotMatch' },
    { name: 'a path other than the signed one', r: { ...request(vanilla), rawPath: '/x' }, code: 'SignatureDoesNotMatch' },
    { name: 'a query other than the signed one', r: { ...request(vanilla), rawQuery: 'a=b' }, code: 'SignatureDoesNotMatch' },
    { name: 'another method', r: { ...request(vanilla), method: 'POST' }, code: 'SignatureDoesNotMatch' },
    {
      name: 'a changed signed header',
      r: request(
        VECTORS.find((v) => v.name === 'post-header-key-sort')!,
        { extra: [['My-Header1', 'more']] },
      ),
      code: 'SignatureDoesNotMatch',
    },
    { name: 'a date 16 minutes old', r: request(vanilla), now: NOW + 16 * 60_000, code: 'SignatureDoesNotMatch' },
    { name: 'a date 16 minutes ahead', r: request(vanilla), now: NOW - 16 * 60_000, code: 'SignatureDoesNotMatch' },
    {
      name: 'a scope date other than X-Amz-Date',
      r: request(vanilla, { date: '20150831T123600Z' }),
      now: NOW + 60_000,
      code: 'SignatureDoesNotMatch',
    },
    {
      name: 'an unknown access key',
      r: request(vanilla, { authorization: auth('host;x-amz-date', vanilla.signature).replace('AKIDEXAMPLE', 'AKIDOTHER') }),
      code: 'InvalidClientTokenId',
    },
    {
      name: 'another service in the scope',
      r: request(vanilla, { authorization: auth('host;x-amz-date', vanilla.signature).replace('/service/', '/s3/') }),
      code: 'SignatureDoesNotMatch',
    },
    {
      name: 'a payload hash header that does not match the body',
      r: request(vanilla, { extra: [['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD']] }),
      code: 'SignatureDoesNotMatch',
    },
    {
      name: 'unsorted SignedHeaders',
      r: request(vanilla, { authorization: auth('x-amz-date;host', vanilla.signature) }),
      code: 'IncompleteSignature',
    },
    { name: 'host not signed', r: request(vanilla, { authorization: auth('x-amz-date', vanilla.signature) }), code: 'IncompleteSignature' },
    {
      name: 'a signed header that was not sent',
      r: request(vanilla, { authorization: auth('host;my-header9;x-amz-date', vanilla.signature) }),
      code: 'SignatureDoesNotMatch',
    },
    {
      name: 'no Signature',
      r: request(vanilla, {
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host',
      }),
      code: 'IncompleteSignature',
    },
    {
      name: 'a short Credential',
      r: request(vanilla, { authorization: auth('host;x-amz-date', vanilla.signature).replace('/aws4_request', '') }),
      code: 'IncompleteSignature',
    },
    {
      name: 'a non-hex Signature',
      r: request(vanilla, { authorization: auth('host;x-amz-date', 'zz'.repeat(32)) }),
      code: 'IncompleteSignature',
    },
    { name: 'a malformed X-Amz-Date', r: request(vanilla, { date: '2015-08-30T12:36:00Z' }), code: 'IncompleteSignature' },
    {
      name: 'another algorithm',
      r: request(vanilla, { authorization: auth('host;x-amz-date', vanilla.signature).replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512') }),
      code: 'IncompleteSignature',
    },
    { name: 'a malformed query escape', r: { ...request(vanilla), rawQuery: 'a=%zz' }, code: 'SignatureDoesNotMatch' },
  ];
  it.each(cases)('$name → $code', ({ r, now, code }) => {
    const got = verify(r, now);
    expect(got.ok).toBe(false);
    expect(!got.ok && got.code).toBe(code);
  });

  it('accepts dates up to 15 minutes either side', () => {
    expect(verify(request(vanilla), NOW + 15 * 60_000).ok).toBe(true);
    expect(verify(request(vanilla), NOW - 15 * 60_000).ok).toBe(true);
  });
});

describe('SigV4: canonical URI (non-S3: normalised, then the wire form encoded again)', () => {
  it.each([
    ['/', '/'],
    ['/2020-05-31/distribution/E1/invalidation', '/2020-05-31/distribution/E1/invalidation'],
    ['/a%20b', '/a%2520b'],
    ['/a/./b/../c/', '/a/c/'],
    ['//example//', '/example/'],
    ['/ሴ', '/%E1%88%B4'],
    ['/a*b(c)', '/a%2Ab%28c%29'],
  ])('%s → %s', (path, want) => expect(canonicalUri(path)).toBe(want));
});

describe('control API credentials before the body is read', () => {
  const c = { adminToken: 'token-123456', secrets };
  it.each([
    [undefined, false, 'AccessDenied'],
    ['Bearer token-123456', true, 'bearer'],
    ['bearer   token-123456', true, 'bearer'],
    ['Bearer token-1234567', false, 'AccessDenied'],
    ['Bearer ', false, 'AccessDenied'],
    ['Basic dXNlcjpwYXNz', false, 'AccessDenied'],
    [auth('host;x-amz-date', vanilla.signature), true, 'sigv4'],
    [auth('host;x-amz-date', vanilla.signature).replace('AKIDEXAMPLE', 'AKIDOTHER'), false, 'InvalidClientTokenId'],
  ] as const)('%s', (header, okWanted, what) => {
    const r = preAuthenticate(header, c);
    expect(r.ok).toBe(okWanted);
    expect(r.ok ? r.value : r.code).toBe(what);
  });

  it('a scheme whose credential is not configured is refused', () => {
    const r1 = preAuthenticate('Bearer token-123456', { secrets });
    expect(r1.ok).toBe(false);
    const r2 = preAuthenticate(auth('host;x-amz-date', vanilla.signature), { adminToken: 'token-123456', secrets: new Map() });
    expect(r2.ok).toBe(false);
  });
});
