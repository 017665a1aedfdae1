// Pure rules of the recv stage and the trust boundary, from tables: Host syntax, the canonical
// query, strict URL-safe base64 (SIG-04), and which forwarded headers are keyed.
import { describe, expect, it } from 'vitest';
import { parseHost } from '../../src/edge/recv.js';
import { canonicalQuery, queryPairs } from '../../src/http/canonical-path.js';
import { strictUrlSafeBase64, toUrlSafeBase64 } from '../../src/edge/signing/policy.js';
import { keyedHeadersOf, originRequestHeaders, type ForwardingRules } from '../../src/edge/forwarding.js';
import { canonicalInvalidationPath } from '../../src/edge/cache-key.js';

describe('parseHost: host[:port] or nothing', () => {
  it.each<[string, { name: string; port?: number } | undefined]>([
    ['d111111abcdef8.cloudfront.net', { name: 'd111111abcdef8.cloudfront.net' }],
    ['D111111ABCDEF8.cloudfront.net:8000', { name: 'd111111abcdef8.cloudfront.net', port: 8000 }],
    ['example.com.', { name: 'example.com' }],
    ['127.0.0.1:8000', { name: '127.0.0.1', port: 8000 }],
    ['[::1]:8000', { name: '[::1]', port: 8000 }],
    ['localhost', { name: 'localhost' }],
    ['d111111abcdef8.cloudfront.net/private/talk/x', undefined],
    ['d111111abcdef8.cloudfront.net?x', undefined],
    ['d111111abcdef8.cloudfront.net#x', undefined],
    ['user@d111111abcdef8.cloudfront.net', undefined],
    ['a b', undefined],
    ['a\\b', undefined],
    ['host:0', undefined],
    ['host:65536', undefined],
    ['host:abc', undefined],
    ['host:', undefined],
    ['', undefined],
    ['.example.com', undefined],
    ['a..b', undefined],
    ['[zz]', undefined],
    ['%2Fexample', undefined],
  ])('%j → %j', (value, want) => {
    expect(parseHost(value)).toEqual(want);
  });
});

describe('canonicalQuery (RFC 3986 §6.2.2 on the query)', () => {
  it.each([
    ['', ''],
    ['a=1&b=2', 'a=1&b=2'],
    ['%61=%41', 'a=A'],
    ['_HLS_msn=%31%30&_HLS_part=2', '_HLS_msn=10&_HLS_part=2'],
    ['x=%2f%3d%26', 'x=%2F%3D%26'],
    ['x=a+b', 'x=a+b'],
    ['%4Bey-Pair-Id=K', 'Key-Pair-Id=K'],
  ])('%j → %j', (raw, want) => expect(canonicalQuery(raw)).toEqual({ ok: true, value: want }));
  it.each(['%zz', 'a=%4', 'a=%00', 'a=\u0001', 'a b', 'é=1'])('refuses %j', (raw) => expect(canonicalQuery(raw).ok).toBe(false));
  it('queryPairs decodes names and values, keeps + and escaped separators inside a value', () => {
    expect(queryPairs('a=%26b&c&Signature=x~_')).toEqual([
      ['a', '&b'],
      ['c', ''],
      ['Signature', 'x~_'],
    ]);
  });
});

describe('strictUrlSafeBase64 (SIG-04)', () => {
  const bytes = Buffer.from([0xfb, 0xef, 0xff, 0x00, 0x01]); // base64 `++//AAE=`: every swapped character
  const good = toUrlSafeBase64(bytes);
  it('round-trips what a signer produces', () => {
    expect(good).toBe('--~~AAE_');
    expect(strictUrlSafeBase64(good)).toEqual(bytes);
  });
  it.each([
    `${good}!!`,
    `${good}AAAA`,
    good.replace(/_/g, '='),
    good.replace(/_/g, ''),
    `${good} `,
    `${good}\n`,
    good.replace(/-/, '+'),
    good.replace(/~/, '/'),
    `_${good}`,
    '',
  ])('refuses %j', (s) => {
    expect(strictUrlSafeBase64(s)).toBeUndefined();
  });
});

describe('keyedHeadersOf: every forwarded viewer header is keyed unless its meaning is fixed', () => {
  const none: ForwardingRules = { headers: 'none', headerWhitelist: new Set(), cookies: 'none', cookieWhitelist: [], cacheOptions: false };
  const forward = (raw: string[], rules = none) =>
    originRequestHeaders({
      method: 'GET',
      rawHeaders: raw,
      rules,
      viewerIp: '192.0.2.1',
      cfId: 'ID',
      originHost: 'origin:8080',
      cacheable: true,
      viewerCountry: 'NZ',
    });
  it.each<[string, string, 'keyed' | 'unkeyed' | 'dropped']>([
    ['X-Original-URL', '/x', 'keyed'],
    ['X-Custom', 'v', 'keyed'],
    ['Origin', 'https://a.example', 'keyed'],
    ['Cache-Control', 'no-cache', 'unkeyed'],
    ['Pragma', 'no-cache', 'unkeyed'],
    ['Max-Forwards', '3', 'unkeyed'],
    ['X-Forwarded-For', '203.0.113.9', 'unkeyed'],
    ['X-Forwarded-Host', 'evil.example', 'dropped'],
    ['X-Forwarded-Proto', 'https', 'dropped'],
    ['Forwarded', 'host=evil', 'dropped'],
    ['X-Real-IP', '1.2.3.4', 'dropped'],
    ['Sec-Fetch-Mode', 'cors', 'dropped'],
    ['Sec-CH-UA', '"Chromium"', 'dropped'],
    ['User-Agent', 'UA', 'dropped'], // replaced by Amazon CloudFront (HDR-03)
    ['Accept-Language', 'en', 'dropped'],
  ])('%s', (name, value, want) => {
    const fwd = forward([name, value]);
    const lower = name.toLowerCase();
    const keyed = keyedHeadersOf(fwd, none).some(([n]) => n === lower);
    const sent = lower === 'x-forwarded-for' ? fwd[lower]!.startsWith(value) : fwd[lower] === value;
    expect(want === 'dropped' ? !sent : sent).toBe(true);
    expect(keyed).toBe(want === 'keyed');
  });
  it('the edge’s Host comes first in what it sends', () => {
    expect(Object.keys(forward(['X-A', '1', 'Host', 'viewer.example', 'X-B', '2']))[0]).toBe('host');
  });
  it('whitelisted headers are keyed with the value forwarded (CloudFront-Viewer-Country is computed, never taken from the viewer)', () => {
    const rules = { ...none, headers: 'whitelist' as const, headerWhitelist: new Set(['cloudfront-viewer-country', 'user-agent']) };
    const keyed = keyedHeadersOf(forward(['CloudFront-Viewer-Country', 'US', 'User-Agent', 'UA/1'], rules), rules);
    expect(keyed).toEqual(
      expect.arrayContaining([
        ['cloudfront-viewer-country', 'NZ'],
        ['user-agent', 'UA/1'],
      ]),
    );
  });
});

describe('canonicalInvalidationPath', () => {
  it.each([
    ['/player.js', '/player.js'],
    ['/pla%79er.js', '/player.js'],
    ['/a%c3%a9', '/a%C3%A9'],
    ['/img.jpg?p=%61', '/img.jpg?p=a'],
  ])('%s → %s', (p, want) => expect(canonicalInvalidationPath(p)).toEqual({ ok: true, value: want }));
  it.each(['/%zz', '/a%2fb', '/../x', '/x?a=%00'])('refuses %s', (p) => expect(canonicalInvalidationPath(p).ok).toBe(false));
});
