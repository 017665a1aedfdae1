// Which behaviours the hit lane may answer from its memo (a table of distribution and behaviour
// settings → safe, or the reason not), and the memo's bounds. Pure.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/index.js';
import { buildDistribution } from '../../../src/edge/distribution.js';
import { memoSafeBehaviours, memoUnsafeReason } from '../../../src/edge/hit-lane/memo-safety.js';
import { LookupMemo, type MemoEntry } from '../../../src/edge/hit-lane/memo.js';

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

describe('the memo is bounded', () => {
  const entry = (path: string): MemoEntry => ({ key: '', obj: {} as MemoEntry['obj'], rec: {} as MemoEntry['rec'], path, rawQuery: '' });

  it('in entries: the oldest goes first', () => {
    const m = new LookupMemo(3, 1e6);
    for (const k of ['a', 'b', 'c', 'd']) m.set(k, entry(`/${k}`));
    expect([m.size, m.get('a'), m.get('d')?.path]).toEqual([3, undefined, '/d']);
  });

  it('in characters: a viewer cycling URL variants costs bounded memory', () => {
    const m = new LookupMemo(1e6, 10_000);
    for (let i = 0; i < 5000; i++) m.set(`GET\nh\n/v?${i}`.padEnd(100, 'x'), entry('/v'));
    expect(m.chars).toBeLessThanOrEqual(10_000);
    expect(m.size).toBeLessThanOrEqual(10_000 / 100);
  });

  it('an entry larger than the whole bound is not kept; replacing a key does not double-count', () => {
    const m = new LookupMemo(10, 50);
    m.set('k'.repeat(60), entry('/'));
    expect(m.size).toBe(0);
    m.set('a', entry('/a'));
    m.set('a', entry('/a'));
    expect([m.size, m.chars]).toEqual([1, 3]);
  });
});
