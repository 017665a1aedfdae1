// Which behaviours the hit lane may answer from its memo (a table of distribution and behaviour
// settings → safe, or the reason not), and the memo's bounds. Pure.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/index.js';
import { buildDistribution } from '../../../src/edge/distribution.js';
import { memoSafeBehaviours, memoUnsafeReason } from '../../../src/edge/hit-lane/memo-safety.js';
import { LookupMemo, type MemoEntry, type MemoRequest } from '../../../src/edge/hit-lane/memo.js';

function distribution(d: Record<string, unknown>, edge: Record<string, unknown> = {}) {
  const cfg = defaultConfig({ edge: { ...edge, distributions: [d] } }).edge;
  return buildDistribution(cfg.distributions[0]!, 'http://127.0.0.1:1', cfg);
}

/** The edge section of a row whose default behaviour uses cache policy `lane-test` with these key settings. */
function laneTestPolicy(parametersInCacheKeyAndForwardedToOrigin: Record<string, unknown>): Record<string, unknown> {
  return {
    cachePolicies: [
      { id: 'lane-test', name: 'LaneTest', minTtl: 0, defaultTtl: 60, maxTtl: 600, parametersInCacheKeyAndForwardedToOrigin },
    ],
  };
}

describe('memo-safety of a behaviour (table)', () => {
  const rows: { what: string; d: Record<string, unknown>; edge?: Record<string, unknown>; want: string | undefined }[] = [
    { what: 'the defaults (2014 settings, nothing forwarded)', d: {}, want: undefined },
    {
      what: 'query string forwarded (the raw target is in the memo key)',
      d: { defaultBehavior: { forwardQueryString: true } },
      want: undefined,
    },
    {
      what: 'a whitelisted header outside the lane fields',
      d: { defaultBehavior: { headers: { forward: 'whitelist', whitelist: ['X-Variant'] } } },
      want: undefined,
    },
    { what: 'distribution disabled', d: { enabled: false }, want: 'distribution disabled' },
    { what: 'geo restriction', d: { geoRestriction: { type: 'blacklist', countries: ['NZ'] } }, want: 'geo restriction' },
    { what: 'redirect-to-https', d: { defaultBehavior: { viewerProtocolPolicy: 'redirect-to-https' } }, want: 'viewer protocol policy' },
    { what: 'https-only', d: { defaultBehavior: { viewerProtocolPolicy: 'https-only' } }, want: 'viewer protocol policy' },
    {
      what: 'response headers policy',
      d: { defaultBehavior: { cachePolicyId: 'CachingOptimized', responseHeadersPolicyId: 'SimpleCORS' } },
      want: 'response headers policy',
    },
    // Keyed cookies are memo-safe: the raw Cookie text is part of the memo's key.
    { what: 'cookies forwarded (all)', d: { defaultBehavior: { cookies: { forward: 'all' } } }, want: undefined },
    { what: 'cookies whitelisted', d: { defaultBehavior: { cookies: { forward: 'whitelist', whitelist: ['s'] } } }, want: undefined },
    { what: 'all headers forwarded', d: { defaultBehavior: { headers: { forward: 'all' } } }, want: 'keyed headers' },
    {
      what: 'User-Agent whitelisted',
      d: { defaultBehavior: { headers: { forward: 'whitelist', whitelist: ['User-Agent'] } } },
      want: 'keyed header user-agent',
    },
    {
      what: 'Accept-Language whitelisted',
      d: { defaultBehavior: { headers: { forward: 'whitelist', whitelist: ['Accept-Language'] } } },
      want: 'keyed header accept-language',
    },
    {
      what: 'Host whitelisted (the memo keys the Host text itself)',
      d: { defaultBehavior: { headers: { forward: 'whitelist', whitelist: ['Host'] } } },
      want: undefined,
    },
    {
      what: 'CloudFront-Viewer-Country whitelisted (from the address)',
      d: { defaultBehavior: { headers: { forward: 'whitelist', whitelist: ['CloudFront-Viewer-Country'] } } },
      want: 'keyed header cloudfront-viewer-country',
    },
    {
      what: 'CloudFront-Is-Mobile-Viewer whitelisted (from User-Agent)',
      d: { defaultBehavior: { headers: { forward: 'whitelist', whitelist: ['CloudFront-Is-Mobile-Viewer'] } } },
      want: 'keyed header cloudfront-is-mobile-viewer',
    },
    { what: 'managed CachingOptimized policy', d: { defaultBehavior: { cachePolicyId: 'CachingOptimized' } }, want: undefined },
    {
      what: 'CachingOptimized with AllViewer origin request policy (forwarded, not keyed)',
      d: { defaultBehavior: { cachePolicyId: 'CachingOptimized', originRequestPolicyId: 'AllViewer' } },
      want: undefined,
    },
    {
      what: 'a cache policy keying a cookie',
      d: { defaultBehavior: { cachePolicyId: 'lane-test' } },
      edge: laneTestPolicy({
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: false,
        headersConfig: { headerBehavior: 'none', headers: [] },
        cookiesConfig: { cookieBehavior: 'whitelist', cookies: ['s'] },
        queryStringsConfig: { queryStringBehavior: 'none', queryStrings: [] },
      }),
      want: undefined,
    },
    {
      what: 'a cache policy keying Accept',
      d: { defaultBehavior: { cachePolicyId: 'lane-test' } },
      edge: laneTestPolicy({
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
        headersConfig: { headerBehavior: 'whitelist', headers: ['Accept'] },
        cookiesConfig: { cookieBehavior: 'none', cookies: [] },
        queryStringsConfig: { queryStringBehavior: 'all', queryStrings: [] },
      }),
      want: 'keyed header accept',
    },
  ];
  for (const r of rows) {
    it(r.what, () => {
      let d;
      try {
        d = distribution(r.d, r.edge);
      } catch (err) {
        throw new Error(`config of row "${r.what}": ${(err as Error).message}`);
      }
      expect(memoUnsafeReason(d, d.defaultBehaviour)).toBe(r.want);
      expect(memoSafeBehaviours([d]).has(d.defaultBehaviour)).toBe(r.want === undefined);
    });
  }

  it('trusted signers or key groups (SIG-01..06 read the query, cookies and clock)', () => {
    const d = distribution({});
    const b = d.defaultBehaviour;
    expect(memoUnsafeReason(d, { ...b, cfg: { ...b.cfg, trustedSigners: ['self'] } })).toBe('signed URLs or cookies');
    expect(memoUnsafeReason(d, { ...b, cfg: { ...b.cfg, trustedKeyGroups: ['g'] } })).toBe('signed URLs or cookies');
  });

  it('each behaviour is judged on its own', () => {
    const d = distribution({ behaviors: [{ pathPattern: '/ck/*', headers: { forward: 'all' } }] });
    const safe = memoSafeBehaviours([d]);
    expect([safe.has(d.defaultBehaviour), safe.has(d.behaviours[0]!)]).toEqual([true, false]);
  });
});

const req = (target: string, over: Partial<MemoRequest> = {}): MemoRequest => ({
  method: 'GET',
  host: 'h',
  target,
  acceptEncoding: undefined,
  cookie: undefined,
  ...over,
});
const entry = (q: MemoRequest, path = q.target): MemoEntry => ({
  req: q,
  key: '',
  obj: {} as MemoEntry['obj'],
  rec: {} as MemoEntry['rec'],
  path,
  rawQuery: '',
});
const find = (m: LookupMemo, q: MemoRequest) => m.find(q.method, q.host, q.target, q.acceptEncoding, q.cookie);

describe('the memo is bounded', () => {
  it('in entries: the oldest goes first', () => {
    const m = new LookupMemo(3, 1e6);
    for (const k of ['a', 'b', 'c', 'd']) m.set(entry(req(`/${k}`)));
    expect([m.size, find(m, req('/a')), find(m, req('/d'))?.path]).toEqual([3, undefined, '/d']);
  });

  it('in characters: a viewer cycling URL variants costs bounded memory', () => {
    const m = new LookupMemo(1e6, 10_000);
    for (let i = 0; i < 5000; i++) m.set(entry(req(`/v?${i}`.padEnd(50, 'x')), '/v'));
    expect(m.chars).toBeLessThanOrEqual(10_000);
    expect(m.size).toBeLessThanOrEqual(10_000 / 100);
  });

  it('an entry larger than the whole bound is not kept; replacing a key does not double-count', () => {
    const m = new LookupMemo(10, 50);
    m.set(entry(req('/'.repeat(30))));
    expect(m.size).toBe(0);
    m.set(entry(req('/a')));
    m.set(entry(req('/a')));
    // The key text `GET\nh\n/a\n-\n-` (12), host and target (3), the path (2).
    expect([m.size, m.chars]).toEqual([1, 17]);
  });
});

describe('a lookup finds the entry of exactly its fields', () => {
  // Several entries per target: the one set last is found without the key text, the others through it.
  const stored = [
    req('/x'),
    req('/x', { acceptEncoding: 'gzip' }),
    req('/x', { acceptEncoding: '' }),
    req('/x', { cookie: 'a=1' }),
    req('/x', { host: 'other' }),
    req('/x', { method: 'HEAD' }),
    req('/y'),
  ];
  const m = new LookupMemo(100, 1e6);
  for (const q of stored) m.set(entry(q, `${q.method} ${q.host} ${q.target} ${q.acceptEncoding} ${q.cookie}`));
  const rows: { what: string; q: MemoRequest; found: boolean }[] = [
    ...stored.map((q) => ({ what: `stored ${JSON.stringify(q)}`, q, found: true })),
    { what: 'another Accept-Encoding', q: req('/x', { acceptEncoding: 'br' }), found: false },
    { what: 'another cookie', q: req('/x', { cookie: 'a=2' }), found: false },
    { what: 'an empty cookie (not an absent one)', q: req('/x', { cookie: '' }), found: false },
    { what: 'a Host in another case (the key holds the text as sent)', q: req('/x', { host: 'H' }), found: false },
    { what: 'a target with a query', q: req('/x?'), found: false },
    { what: 'an unknown target', q: req('/z'), found: false },
  ];
  for (const row of rows) {
    it(`${row.what}: ${row.found ? 'its own entry' : 'none'}`, () => {
      const e = find(m, row.q);
      if (!row.found) return expect(e).toBeUndefined();
      expect(e?.req).toEqual(row.q);
    });
  }

  it('an entry evicted or replaced is not found through the target shortcut', () => {
    const small = new LookupMemo(2, 1e6);
    small.set(entry(req('/x', { acceptEncoding: 'gzip' })));
    small.set(entry(req('/x'))); // the latest for /x
    small.set(entry(req('/y'))); // evicts the gzip entry
    expect(find(small, req('/x', { acceptEncoding: 'gzip' }))).toBeUndefined();
    expect(find(small, req('/x'))?.req).toEqual(req('/x'));
    small.set(entry(req('/z'))); // evicts /x, the latest for its target
    expect(find(small, req('/x'))).toBeUndefined();
    small.set(entry(req('/z'), '/z again'));
    expect([small.size, find(small, req('/z'))?.path]).toEqual([2, '/z again']);
  });
});
