// CloudFront's TTL policy (SPEC TTL-01..07, ERR-01/02) on top of http-cache-semantics, which
// parses Cache-Control / Expires / Date / Age and does revalidation bookkeeping. Pure apart from the
// clock inside CachePolicy.
import CachePolicy from 'http-cache-semantics';
import { CACHED_ERROR_CODES } from '../config/edge.js';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface TtlSettings {
  minTtl: number;
  defaultTtl: number;
  maxTtl: number;
}

/** Statuses cached under the behaviour's TTLs (redirects are cached, ORG-06). */
const CACHEABLE_STATUSES = new Set([200, 203, 204, 300, 301, 302, 307, 308, 410]);
const ERROR_STATUSES = new Set<number>(CACHED_ERROR_CODES);

export function isCachedErrorStatus(status: number): boolean {
  return ERROR_STATUSES.has(status);
}

/**
 * The CachePolicy for an origin response, built from what CloudFront takes into account:
 * - no viewer request headers: viewer Cache-Control/Pragma cannot change caching (TTL-06), and
 *   Authorization never reaches a GET/HEAD origin request (HDR-03);
 * - no Set-Cookie and no Vary: cookies have their own rules (CK-01..05) and Vary is only honoured
 *   for Accept-Encoding, which is already in the cache key (RSP-01, 4.3);
 * - a field-specific `no-cache="Set-Cookie"` only withholds that header from the cache (CK-05);
 * - error statuses are read as 200 so the library reports the header lifetime; ERR-02 applies it.
 */
export function originPolicy(status: number, headers: ResponseHeaders, url: string): CachePolicy {
  const h: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'set-cookie' || name === 'vary') continue;
    h[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (h['cache-control']) h['cache-control'] = withoutFieldSpecificDirectives(h['cache-control']);
  const policyStatus = ERROR_STATUSES.has(status) && !CACHEABLE_STATUSES.has(status) ? 200 : status;
  return new CachePolicy(
    { method: 'GET', url, headers: {} },
    { status: policyStatus, headers: h },
    { shared: true, cacheHeuristic: 0, immutableMinTimeToLive: 0 },
  );
}

/** `no-cache="Set-Cookie"` / `private="X"` name header fields, they do not forbid caching the object. */
function withoutFieldSpecificDirectives(cc: string): string {
  return cc
    .split(',')
    .filter((d) => !/^\s*(no-cache|private)\s*=/i.test(d))
    .join(',');
}

/** CK-05: the origin asked that Set-Cookie never be cached. */
export function forbidsCachingSetCookie(headers: ResponseHeaders): boolean {
  const cc = headers['cache-control'];
  const text = Array.isArray(cc) ? cc.join(',') : (cc ?? '');
  return /no-cache\s*=\s*"?[^",]*set-cookie/i.test(text);
}

/** The directives http-cache-semantics parsed (its serialised form is its public view of them). */
function directives(policy: CachePolicy): Record<string, string | boolean> {
  return (policy.toObject() as { rescc: Record<string, string | boolean> }).rescc;
}

function hasExpires(policy: CachePolicy): boolean {
  return (policy.toObject() as { resh: Record<string, string> }).resh.expires !== undefined;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/**
 * Edge TTL in seconds for a cacheable status (TTL-04), or null when CloudFront would not cache it.
 *
 * | origin sends                  | MinTTL = 0          | MinTTL > 0            |
 * | max-age                       | max-age             | max(max-age, MinTTL)  |
 * | nothing                       | DefaultTTL (24 h)   | max(DefaultTTL,MinTTL)|
 * | s-maxage (+max-age)           | s-maxage            | max(s-maxage, MinTTL) |
 * | Expires                       | until the date      | max(until, MinTTL)    |
 * | no-cache / no-store / private | not cached          | MinTTL                |
 * Every value is capped at MaxTTL. A TTL of 0 still stores the object (when it has validators) so
 * that the next request revalidates instead of refetching (TTL-03, SPEC §9.15).
 */
export function behaviourTtl(policy: CachePolicy, status: number, ttl: TtlSettings): number | null {
  if (!CACHEABLE_STATUSES.has(status)) return null;
  const cc = directives(policy);
  if (cc['no-cache'] === true || cc['no-store'] !== undefined || cc['private'] === true) {
    return ttl.minTtl > 0 ? Math.min(ttl.minTtl, ttl.maxTtl) : null;
  }
  const explicit = cc['s-maxage'] !== undefined || cc['max-age'] !== undefined || hasExpires(policy);
  const headerTtl = explicit ? policy.maxAge() : ttl.defaultTtl;
  return clamp(headerTtl, ttl.minTtl, ttl.maxTtl);
}

/**
 * ERR-02: an error carrying max-age / s-maxage / Expires is cached for max(header, error min TTL),
 * otherwise for exactly the error min TTL. Returns null when that is 0 (SPEC §9.17 allows 0).
 */
export function errorTtl(policy: CachePolicy, errorMinTtl: number): number | null {
  const cc = directives(policy);
  const explicit = cc['s-maxage'] !== undefined || cc['max-age'] !== undefined || hasExpires(policy);
  const v = explicit ? Math.max(policy.maxAge(), errorMinTtl) : errorMinTtl;
  return v > 0 ? v : null;
}
