// One behaviour → what is keyed and what is forwarded, for the 2014 settings and the 2020 policies
// alike (policies/request-plan.ts), read through the same functions the lookup stage uses.
import { describe, expect, it } from 'vitest';
import { requestPlan, filterQuery, type LegacySettings } from '../../../src/edge/policies/request-plan.js';
import {
  findPolicy,
  MANAGED_CACHE_POLICIES,
  MANAGED_ORIGIN_REQUEST_POLICIES,
  type CachePolicy,
  type OriginRequestPolicy,
} from '../../../src/edge/policies/managed.js';
import { forwardedCookies, keyedHeadersOf, normalisedAcceptEncoding, originRequestHeaders } from '../../../src/edge/forwarding.js';

const legacy = (over: Partial<LegacySettings> = {}): LegacySettings => ({
  minTtl: 0,
  defaultTtl: 86400,
  maxTtl: 31536000,
  forwardQueryString: false,
  cookies: { forward: 'none', whitelist: [] },
  headers: { forward: 'none', whitelist: [] },
  cacheOptions: false,
  ...over,
});
const cp = (ref: string) => findPolicy<CachePolicy>(ref, [], MANAGED_CACHE_POLICIES)!;
const orp = (ref: string) => findPolicy<OriginRequestPolicy>(ref, [], MANAGED_ORIGIN_REQUEST_POLICIES)!;

const VIEWER = [
  'Host',
  'd111111abcdef8.cloudfront.net',
  'User-Agent',
  'hls.js',
  'Accept',
  'application/vnd.apple.mpegurl',
  'Accept-Encoding',
  'gzip, deflate, br',
  'Origin',
  'https://app.example',
  'Referer',
  'https://app.example/live',
  'X-Custom',
  'c1',
  'Authorization',
  'Bearer viewer',
  'Cookie',
  'session=s1; theme=dark',
];
const QUERY = '_HLS_msn=7&_HLS_part=2&start=10&m=1&aws.manifestfilter=video_bitrate%3A1-2';

/** Everything the lookup stage derives from one behaviour and one viewer request. */
function decide(plan: ReturnType<typeof requestPlan>, method = 'GET') {
  const forwarded = originRequestHeaders({
    method,
    rawHeaders: VIEWER,
    rules: plan.rules,
    viewerIp: '192.0.2.1',
    cfId: 'ID',
    originHost: 'origin.example:8080',
    viewerCountry: 'NZ',
    cacheable: true,
  });
  const cookies = forwardedCookies('session=s1; theme=dark', plan.rules.cookies, plan.isCookieWhitelisted);
  return {
    forwarded,
    keyed: keyedHeadersOf(forwarded, plan.rules).map(([n]) => n),
    cookiesForwarded: cookies.map(([n]) => n),
    cookiesKeyed: cookies.filter(([n]) => plan.isCookieKeyed(n)).map(([n]) => n),
    queryForwarded: plan.query.forwarded(QUERY),
    queryKeyed: plan.query.keyed(QUERY),
    coding: forwarded['accept-encoding'],
  };
}

interface Row {
  name: string;
  plan: ReturnType<typeof requestPlan>;
  /** Viewer headers that reach the origin (besides the edge's own). */
  forwards: string[];
  notForwarded: string[];
  keyed: string[];
  cookiesForwarded: string[];
  cookiesKeyed: string[];
  queryForwarded: string;
  queryKeyed: string;
  coding: string | undefined;
  ttl: [number, number, number];
}

const rows: Row[] = [
  {
    name: '2014 defaults: other headers forwarded unchanged and keyed (HDR-03), no query, no cookies',
    plan: requestPlan(legacy()),
    forwards: ['x-custom', 'origin'],
    notForwarded: ['accept', 'referer', 'authorization', 'cookie'],
    keyed: ['x-custom', 'origin'],
    cookiesForwarded: [],
    cookiesKeyed: [],
    queryForwarded: '',
    queryKeyed: '',
    coding: 'gzip',
    ttl: [0, 86400, 31536000],
  },
  {
    name: '2014 forwardQueryString + cookie whitelist: forwarded is keyed (QS-01, CK-04)',
    plan: requestPlan(legacy({ forwardQueryString: true, cookies: { forward: 'whitelist', whitelist: ['sess*'] } })),
    forwards: ['x-custom'],
    notForwarded: ['accept'],
    keyed: ['x-custom', 'origin'],
    cookiesForwarded: ['session'],
    cookiesKeyed: ['session'],
    queryForwarded: QUERY,
    queryKeyed: QUERY,
    coding: 'gzip',
    ttl: [0, 86400, 31536000],
  },
  {
    name: 'CachingOptimized: nothing but the normalised encoding; other viewer headers do not reach the origin',
    plan: requestPlan(legacy(), cp('CachingOptimized')),
    forwards: [],
    notForwarded: ['x-custom', 'origin', 'accept', 'referer', 'authorization'],
    keyed: [],
    cookiesForwarded: [],
    cookiesKeyed: [],
    queryForwarded: '',
    queryKeyed: '',
    coding: 'br,gzip',
    ttl: [1, 86400, 31536000],
  },
  {
    name: 'CachingOptimized + AllViewer: everything forwarded, nothing more keyed',
    plan: requestPlan(legacy(), cp('658327ea-f89d-4fab-a63d-7e88639e58f6'), orp('AllViewer')),
    forwards: ['x-custom', 'origin', 'accept', 'referer'],
    notForwarded: ['authorization', 'cloudfront-viewer-country'],
    keyed: [],
    cookiesForwarded: ['session', 'theme'],
    cookiesKeyed: [],
    queryForwarded: QUERY,
    queryKeyed: '',
    coding: 'br,gzip',
    ttl: [1, 86400, 31536000],
  },
  {
    name: 'UseOriginCacheControlHeaders-QueryStrings: Host, Origin, all cookies and the whole query keyed',
    plan: requestPlan(legacy(), cp('UseOriginCacheControlHeaders-QueryStrings')),
    forwards: ['origin'],
    notForwarded: ['x-custom', 'accept', 'referer'],
    keyed: ['host', 'origin'],
    cookiesForwarded: ['session', 'theme'],
    cookiesKeyed: ['session', 'theme'],
    queryForwarded: QUERY,
    queryKeyed: QUERY,
    coding: 'br,gzip',
    ttl: [0, 0, 31536000],
  },
  {
    name: 'UseOriginCacheControlHeaders: like the above without the query',
    plan: requestPlan(legacy(), cp('Managed-UseOriginCacheControlHeaders')),
    forwards: ['origin'],
    notForwarded: ['x-custom'],
    keyed: ['host', 'origin'],
    cookiesForwarded: ['session', 'theme'],
    cookiesKeyed: ['session', 'theme'],
    queryForwarded: '',
    queryKeyed: '',
    coding: 'br,gzip',
    ttl: [0, 0, 31536000],
  },
  {
    name: 'Elemental-MediaPackage: start/end/m/aws.manifestfilter and Origin keyed, gzip only',
    plan: requestPlan(legacy(), cp('Elemental-MediaPackage')),
    forwards: ['origin'],
    notForwarded: ['x-custom', 'referer'],
    keyed: ['origin'],
    cookiesForwarded: [],
    cookiesKeyed: [],
    queryForwarded: 'start=10&m=1&aws.manifestfilter=video_bitrate%3A1-2',
    queryKeyed: 'start=10&m=1&aws.manifestfilter=video_bitrate%3A1-2',
    coding: 'gzip',
    ttl: [0, 86400, 31536000],
  },
  {
    name: 'CachingDisabled + CORS-CustomOrigin: Origin forwarded unkeyed, no encoding, TTL 0',
    plan: requestPlan(legacy(), cp('CachingDisabled'), orp('CORS-CustomOrigin')),
    forwards: ['origin'],
    notForwarded: ['x-custom', 'referer'],
    keyed: [],
    cookiesForwarded: [],
    cookiesKeyed: [],
    queryForwarded: '',
    queryKeyed: '',
    coding: undefined,
    ttl: [0, 0, 0],
  },
  {
    name: 'CachingOptimized + UserAgentRefererHeaders: the viewer User-Agent and Referer go, unkeyed',
    plan: requestPlan(legacy(), cp('CachingOptimized'), orp('UserAgentRefererHeaders')),
    forwards: ['referer'],
    notForwarded: ['x-custom', 'origin'],
    keyed: [],
    cookiesForwarded: [],
    cookiesKeyed: [],
    queryForwarded: '',
    queryKeyed: '',
    coding: 'br,gzip',
    ttl: [1, 86400, 31536000],
  },
  {
    name: 'own policy: header whitelist (Authorization, CloudFront-Viewer-Country), cookies allExcept, query whitelist + ORP extras',
    plan: requestPlan(
      legacy(),
      {
        id: 'p1',
        name: 'Mine',
        minTtl: 2,
        defaultTtl: 5,
        maxTtl: 60,
        parametersInCacheKeyAndForwardedToOrigin: {
          enableAcceptEncodingGzip: false,
          enableAcceptEncodingBrotli: true,
          headersConfig: { headerBehavior: 'whitelist', headers: ['Authorization', 'CloudFront-Viewer-Country'] },
          cookiesConfig: { cookieBehavior: 'allExcept', cookies: ['theme'] },
          queryStringsConfig: { queryStringBehavior: 'whitelist', queryStrings: ['_HLS_msn', '_HLS_part'] },
        },
      },
      {
        id: 'o1',
        name: 'MineOrp',
        headersConfig: { headerBehavior: 'whitelist', headers: ['X-Custom'] },
        cookiesConfig: { cookieBehavior: 'whitelist', cookies: ['theme'] },
        queryStringsConfig: { queryStringBehavior: 'allExcept', queryStrings: ['m', 'aws.manifestfilter'] },
      },
    ),
    forwards: ['authorization', 'cloudfront-viewer-country', 'x-custom'],
    notForwarded: ['origin', 'referer'],
    keyed: ['authorization', 'cloudfront-viewer-country'],
    cookiesForwarded: ['session', 'theme'],
    cookiesKeyed: ['session'],
    queryForwarded: '_HLS_msn=7&_HLS_part=2&start=10',
    queryKeyed: '_HLS_msn=7&_HLS_part=2',
    coding: 'br',
    ttl: [2, 5, 60],
  },
];

describe('requestPlan: keyed and forwarded, 2014 settings and 2020 policies', () => {
  it.each(rows)('$name', (r) => {
    const d = decide(r.plan);
    for (const h of r.forwards) expect(d.forwarded, h).toHaveProperty([h]);
    for (const h of r.notForwarded) expect(d.forwarded, h).not.toHaveProperty([h]);
    expect(d.keyed.sort()).toEqual([...r.keyed].sort());
    // What is keyed is always forwarded: the origin sees everything that selects the object.
    for (const h of d.keyed) expect(d.forwarded).toHaveProperty([h]);
    expect(d.cookiesForwarded).toEqual(r.cookiesForwarded);
    expect(d.cookiesKeyed).toEqual(r.cookiesKeyed);
    expect(d.queryForwarded).toBe(r.queryForwarded);
    expect(d.queryKeyed).toBe(r.queryKeyed);
    expect(d.coding).toBe(r.coding);
    expect([r.plan.ttl.minTtl, r.plan.ttl.defaultTtl, r.plan.ttl.maxTtl]).toEqual(r.ttl);
  });

  it('policies: Host and User-Agent are the edge’s unless a policy names them', () => {
    const opt = decide(requestPlan(legacy(), cp('CachingOptimized'))).forwarded;
    expect(opt.host).toBe('origin.example:8080');
    expect(opt['user-agent']).toBe('Amazon CloudFront');
    const qs = decide(requestPlan(legacy(), cp('UseOriginCacheControlHeaders-QueryStrings'))).forwarded;
    expect(qs.host).toBe('d111111abcdef8.cloudfront.net');
    const ua = decide(requestPlan(legacy(), cp('CachingOptimized'), orp('UserAgentRefererHeaders'))).forwarded;
    expect(ua['user-agent']).toBe('hls.js');
  });

  it('policies: Authorization on GET only when the cache policy keys it (AllViewer does not forward it)', () => {
    expect(decide(requestPlan(legacy(), cp('CachingOptimized'), orp('AllViewer'))).forwarded).not.toHaveProperty('authorization');
    expect(decide(requestPlan(legacy(), cp('CachingOptimized'), orp('AllViewer')), 'POST').forwarded.authorization).toBe('Bearer viewer');
  });

  it('an origin’s own (custom) header names are never taken from the viewer, in either kind of plan', () => {
    for (const plan of [requestPlan(legacy()), requestPlan(legacy(), cp('CachingOptimized'), orp('AllViewer'))]) {
      const d = decide({ ...plan, rules: { ...plan.rules, originOwned: new Set(['x-custom']) } });
      expect(d.forwarded).not.toHaveProperty('x-custom');
      expect(d.keyed).not.toContain('x-custom');
    }
  });

  it('an origin request policy without a cache policy is refused', () => {
    expect(() => requestPlan(legacy(), undefined, orp('AllViewer'))).toThrow(/needs a cache policy/);
  });

  it('2014 forward-all headers caches nothing (TTL-05); policies cache GET/HEAD (+OPTIONS when cacheOptions), CachingDisabled nothing', () => {
    expect([...requestPlan(legacy({ headers: { forward: 'all', whitelist: [] } })).cachedMethods]).toEqual([]);
    expect([...requestPlan(legacy({ cacheOptions: true }), cp('CachingOptimized')).cachedMethods]).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect([...requestPlan(legacy(), cp('CachingDisabled')).cachedMethods]).toEqual([]); // MaxTTL 0: relayed, never stored
  });
});

describe('Accept-Encoding normalisation (EnableAcceptEncodingGzip / Brotli)', () => {
  it.each([
    ['gzip, deflate, br', true, true, 'br,gzip'],
    ['br;q=1.0, gzip;q=0.8', true, true, 'br,gzip'],
    ['gzip', true, true, 'gzip'],
    ['br', true, true, 'br'],
    ['br', true, false, undefined],
    ['gzip;q=0, br', true, true, 'br'],
    ['deflate', true, true, undefined],
    ['GZIP', true, false, 'gzip'],
    [undefined, true, true, undefined],
    ['gzip, br', false, false, undefined],
  ] as const)('%s (gzip %s, brotli %s) → %s', (ae, gz, br, want) => expect(normalisedAcceptEncoding(ae, gz, br)).toBe(want));
});

describe('filterQuery', () => {
  it.each([
    ['a=1&b=2&a=3', ['a'], 'a=1&a=3'],
    ['a%5Fb=1&c=2', ['a_b'], 'a%5Fb=1'],
    ['A=1&a=2', ['a'], 'a=2'],
    ['flag&x=1', ['flag'], 'flag'],
    ['', ['a'], ''],
  ])('%s keeping %j → %s', (q, names, want) => expect(filterQuery(q, (n) => names.includes(n))).toBe(want));
});
