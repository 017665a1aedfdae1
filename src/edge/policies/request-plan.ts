// One behaviour → what is keyed and what is forwarded. The 2014 forwarding settings (SPEC QS-01,
// CK-01..04, HDR-01..03, TTL-01..05) and the 2020 cache and origin request policies (SPEC
// POL-01..03) both come out
// of requestPlan() in the same shape, and the lookup and fetch stages read only that shape, so the
// two ways of configuring a behaviour cannot drift apart. Pure.
import { queryPairs } from '../../http/canonical-path.js';
import { cookieWhitelistMatcher, type ForwardingRules, type ForwardMode } from '../forwarding.js';
import type { TtlSettings } from '../freshness.js';
import type { CachePolicy, CookiesConfig, OriginRequestPolicy, QueryStringsConfig } from './managed.js';

/** The 2014 settings of a behaviour (config/edge.ts), as far as keying and forwarding go. */
export interface LegacySettings {
  minTtl: number;
  defaultTtl: number;
  maxTtl: number;
  forwardQueryString: boolean;
  cookies: { forward: ForwardMode; whitelist: string[] };
  headers: { forward: ForwardMode; whitelist: string[] };
  cacheOptions: boolean;
}

export interface QueryRule {
  /** The part of the (canonical, signing parameters removed) query sent to the origin. */
  forwarded(query: string): string;
  /** The part of it in the cache key (always a subset of what is forwarded). */
  keyed(query: string): string;
}

export interface RequestPlan {
  /** Header and cookie rules for forwarding.ts (the `policy` member is set for 2020 policies). */
  rules: ForwardingRules;
  /** Cookies sent to the origin. */
  isCookieWhitelisted: (name: string) => boolean;
  /** Cookies in the cache key (the 2014 settings key every cookie they forward, CK-04). */
  isCookieKeyed: (name: string) => boolean;
  query: QueryRule;
  ttl: TtlSettings;
  /** GET/HEAD, plus OPTIONS when cacheOptions (ORG-05); nothing when all headers are forwarded (TTL-05) or MaxTTL is 0. */
  cachedMethods: ReadonlySet<string>;
  /**
   * The viewer fields the cache key is made of by name, besides what every plan keys (path, query,
   * Accept-Encoding as a coding): header names (lower case; 'any' when a rule keys unnamed ones)
   * and whether any cookie can be keyed. The 2014 settings also key unlisted custom headers they
   * forward (keyedHeadersOf); those are not named here. Read by the hit lane's memo-safety rule.
   */
  keyedByName: { headers: readonly string[] | 'any'; cookies: boolean };
}

const CLOUDFRONT_HEADER = /^cloudfront-/;

/** Keeps the query's `name=value` pairs whose (decoded) name passes; order and encoding as sent. */
export function filterQuery(query: string, keep: (name: string) => boolean): string {
  if (!query) return '';
  const parts = query.split('&');
  const names = queryPairs(query);
  const out: string[] = [];
  // queryPairs skips empty members; walk both lists together.
  let j = 0;
  for (const kv of parts) {
    if (!kv) continue;
    if (keep(names[j]![0])) out.push(kv);
    j++;
  }
  return out.join('&');
}

function nameRule(behaviour: 'none' | 'whitelist' | 'allExcept' | 'all', names: readonly string[], fold: boolean): (n: string) => boolean {
  const set = new Set(fold ? names.map((n) => n.toLowerCase()) : names);
  switch (behaviour) {
    case 'none':
      return () => false;
    case 'all':
      return () => true;
    case 'whitelist':
      return (n) => set.has(n);
    case 'allExcept':
      return (n) => !set.has(n);
  }
}

const cookieRule = (c: CookiesConfig) => nameRule(c.cookieBehavior, c.cookies, false);
const queryRule = (q: QueryStringsConfig) => nameRule(q.queryStringBehavior, q.queryStrings, false);

type QueryScope = 'none' | 'all' | ((name: string) => boolean);

/** `none` and `all` never look inside the query (the hit path of a behaviour that keys no query stays a constant). */
function scoped(scope: QueryScope): (q: string) => string {
  if (scope === 'none') return () => '';
  if (scope === 'all') return (q) => q;
  return (q) => filterQuery(q, scope);
}

function queryOf(forward: QueryScope, key: QueryScope): QueryRule {
  return { forwarded: scoped(forward), keyed: scoped(key) };
}

function scopeOf(c: QueryStringsConfig): QueryScope {
  return c.queryStringBehavior === 'none' || c.queryStringBehavior === 'all' ? c.queryStringBehavior : queryRule(c);
}

function cachedMethodsOf(cacheOptions: boolean, forwardsAllHeaders: boolean): ReadonlySet<string> {
  return new Set<string>(forwardsAllHeaders ? [] : cacheOptions ? ['GET', 'HEAD', 'OPTIONS'] : ['GET', 'HEAD']);
}

/** The 2014 settings: what is forwarded is keyed (QS-01, CK-04, HDR-01). */
function legacyPlan(b: LegacySettings): RequestPlan {
  const isCookieWhitelisted = cookieWhitelistMatcher(b.cookies.whitelist);
  const all = b.cookies.forward === 'all';
  const q = b.forwardQueryString;
  return {
    rules: {
      headers: b.headers.forward,
      headerWhitelist: new Set(b.headers.forward === 'whitelist' ? b.headers.whitelist.map((h) => h.toLowerCase()) : []),
      cookies: b.cookies.forward,
      cookieWhitelist: b.cookies.whitelist,
      cacheOptions: b.cacheOptions,
    },
    isCookieWhitelisted,
    isCookieKeyed: (n) => all || isCookieWhitelisted(n),
    query: queryOf(q ? 'all' : 'none', q ? 'all' : 'none'),
    ttl: { minTtl: b.minTtl, defaultTtl: b.defaultTtl, maxTtl: b.maxTtl },
    cachedMethods: cachedMethodsOf(b.cacheOptions, b.headers.forward === 'all'),
    keyedByName: {
      headers:
        b.headers.forward === 'all' ? 'any' : b.headers.forward === 'whitelist' ? b.headers.whitelist.map((h) => h.toLowerCase()) : [],
      cookies: b.cookies.forward !== 'none',
    },
  };
}

/** Viewer headers an origin request policy forwards (lower-case names); CloudFront-* only when named. */
function originRequestHeaderRule(p: OriginRequestPolicy | undefined): (n: string) => boolean {
  if (!p) return () => false;
  const names = new Set(p.headersConfig.headers.map((h) => h.toLowerCase()));
  switch (p.headersConfig.headerBehavior) {
    case 'none':
      return () => false;
    case 'whitelist':
      return (n) => names.has(n);
    case 'allViewer':
      return (n) => !CLOUDFRONT_HEADER.test(n);
    case 'allViewerAndWhitelistCloudFront':
      return (n) => !CLOUDFRONT_HEADER.test(n) || names.has(n);
    case 'allExcept':
      return (n) => !CLOUDFRONT_HEADER.test(n) && !names.has(n);
  }
}

/**
 * The 2020 policies: the cache policy's headers, cookies and query strings are keyed and
 * forwarded; the origin request policy's are forwarded but not keyed; nothing else a viewer sends
 * reaches the origin. Accept-Encoding is normalised into the key for the encodings the cache policy
 * enables (gzip, brotli).
 */
function policyPlan(cp: CachePolicy, orp: OriginRequestPolicy | undefined, cacheOptions: boolean): RequestPlan {
  const k = cp.parametersInCacheKeyAndForwardedToOrigin;
  const keyedHeader = nameRule(k.headersConfig.headerBehavior, k.headersConfig.headers, true);
  const orpHeader = originRequestHeaderRule(orp);
  const keyedCookie = cookieRule(k.cookiesConfig);
  const orpCookie = orp ? cookieRule(orp.cookiesConfig) : () => false;
  const cookieBehaviours = [k.cookiesConfig.cookieBehavior, orp?.cookiesConfig.cookieBehavior ?? 'none'];
  const cookieMode: ForwardMode = cookieBehaviours.includes('all')
    ? 'all'
    : cookieBehaviours.every((c) => c === 'none')
      ? 'none'
      : 'whitelist';
  const keyScope = scopeOf(k.queryStringsConfig);
  const orpScope: QueryScope = orp ? scopeOf(orp.queryStringsConfig) : 'none';
  const forwardScope: QueryScope =
    keyScope === 'all' || orpScope === 'all'
      ? 'all'
      : keyScope === 'none'
        ? orpScope
        : orpScope === 'none'
          ? keyScope
          : (n) => (keyScope as (n: string) => boolean)(n) || (orpScope as (n: string) => boolean)(n);
  return {
    rules: {
      headers: 'none',
      headerWhitelist: new Set(),
      cookies: cookieMode,
      cookieWhitelist: [],
      cacheOptions,
      policy: {
        forwarded: (n) => keyedHeader(n) || orpHeader(n),
        keyed: keyedHeader,
        gzip: k.enableAcceptEncodingGzip,
        brotli: k.enableAcceptEncodingBrotli,
      },
    },
    isCookieWhitelisted: (n) => keyedCookie(n) || orpCookie(n),
    isCookieKeyed: keyedCookie,
    query: queryOf(forwardScope, keyScope),
    ttl: { minTtl: cp.minTtl, defaultTtl: cp.defaultTtl, maxTtl: cp.maxTtl },
    // MaxTTL 0 (CachingDisabled): nothing is stored, so every request is relayed as it comes, with its
    // conditionals, rather than kept at TTL 0 for revalidation (the 2014 reading of SPEC §9.15).
    cachedMethods: cachedMethodsOf(cacheOptions, cp.maxTtl === 0),
    keyedByName: {
      headers: k.headersConfig.headerBehavior === 'none' ? [] : k.headersConfig.headers.map((h) => h.toLowerCase()),
      cookies: k.cookiesConfig.cookieBehavior !== 'none',
    },
  };
}

/** What a behaviour keys and forwards: from its cache (and origin request) policy when it names one, else from its 2014 settings. */
export function requestPlan(b: LegacySettings, cachePolicy?: CachePolicy, originRequestPolicy?: OriginRequestPolicy): RequestPlan {
  if (cachePolicy) return policyPlan(cachePolicy, originRequestPolicy, b.cacheOptions);
  if (originRequestPolicy) {
    // An origin request policy without a cache policy forwards on top of the 2014 settings' key:
    // CloudFront refuses the combination, and so does the config (config/edge.ts).
    throw new Error('an origin request policy needs a cache policy');
  }
  return legacyPlan(b);
}
