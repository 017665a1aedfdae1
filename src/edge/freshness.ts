// CloudFront's TTL policy (SPEC TTL-01..07, ERR-01/02) on top of http-cache-semantics, which keeps
// the stored headers, Age and revalidation bookkeeping. Where the guide is silent, RFC 9111 rules:
// the origin's headers are normalised here before the library sees them (directive names are
// case-insensitive, an invalid Expires or delta-seconds means stale), and the lifetime is computed
// here, not by the library. Pure apart from the clock inside CachePolicy.
import CachePolicy from 'http-cache-semantics';
import { CACHED_ERROR_CODES } from '../config/edge.js';
import { parseHttpDate } from '../http/http-date.js';

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

/** A moment long past: what an invalid Expires stands for (RFC 9111 §5.3). */
const LONG_AGO = 'Thu, 01 Jan 1970 00:00:00 GMT';

/** Directives whose bare form is stronger than their field-name-qualified one (RFC 9111 §5.2.2.4, §5.2.2.7). */
const QUALIFIABLE = new Set(['no-cache', 'private']);

/**
 * Cache-Control directives (RFC 9111 §5.2): names lower-cased (they are case-insensitive),
 * quoted-string values unquoted, commas inside quotes kept, the first occurrence of a name kept
 * (§4.2.1) — except that a bare `no-cache` / `private` anywhere wins over a qualified one: the
 * field names of `no-cache="Set-Cookie"` cannot take back a `no-cache` on the same response.
 */
export function parseCacheControl(value: string | undefined): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (const [name, v] of cacheControlMembers(value)) {
    if (!out.has(name) || (v === true && QUALIFIABLE.has(name))) out.set(name, v);
  }
  return out;
}

/** Every Cache-Control member in order, repeated names included (names lower-cased, quotes removed). */
export function cacheControlMembers(value: string | undefined): [string, string | true][] {
  const out: [string, string | true][] = [];
  if (!value) return out;
  let i = 0;
  const n = value.length;
  const skip = (chars: string) => {
    while (i < n && chars.includes(value[i]!)) i++;
  };
  while (i < n) {
    skip(' \t,');
    const nameStart = i;
    while (i < n && !'=, \t'.includes(value[i]!)) i++;
    const name = value.slice(nameStart, i).toLowerCase();
    skip(' \t');
    let v: string | true = true;
    if (value[i] === '=') {
      i++;
      skip(' \t');
      if (value[i] === '"') {
        let text = '';
        for (i++; i < n && value[i] !== '"'; i++) text += value[i] === '\\' && i + 1 < n ? value[++i] : value[i];
        i++;
        v = text;
      } else {
        const valueStart = i;
        while (i < n && value[i] !== ',') i++;
        v = value.slice(valueStart, i).trim();
      }
    }
    while (i < n && value[i] !== ',') i++; // anything after a quoted value up to the next member
    if (name) out.push([name, v]);
  }
  return out;
}

/** RFC 9111 §1.2.2 delta-seconds: digits only; anything else is invalid (and so stale, §4.2.1). */
function deltaSeconds(v: string | true | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Math.min(Number(v), 2147483648);
}

/** The response's Cache-Control as the library should read it: see originPolicy. */
function normalisedCacheControl(value: string): string {
  const parts: string[] = [];
  for (const [name, v] of parseCacheControl(value)) {
    // `no-cache="Set-Cookie"` / `private="X"` name header fields; they do not forbid caching the object (CK-05).
    if ((name === 'no-cache' || name === 'private') && v !== true) continue;
    if (name === 'max-age' || name === 's-maxage') {
      parts.push(`${name}=${deltaSeconds(v) ?? 0}`);
      continue;
    }
    parts.push(v === true ? name : `${name}="${v.replace(/["\\]/g, '\\$&')}"`);
  }
  return parts.join(', ');
}

/** Response headers as a record of lower-case names (repeated fields joined), and how often each came. */
function headerRecord(headers: ResponseHeaders | readonly string[]): { h: Record<string, string>; count: Map<string, number> } {
  const h: Record<string, string> = {};
  const count = new Map<string, number>();
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    count.set(lower, (count.get(lower) ?? 0) + 1);
    h[lower] = h[lower] === undefined ? value : `${h[lower]}, ${value}`;
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i]!, headers[i + 1]!);
  } else {
    for (const [name, value] of Object.entries(headers as ResponseHeaders)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) value.forEach((v) => add(name, v));
      else add(name, value);
    }
  }
  return { h, count };
}

/**
 * The CachePolicy for an origin response (headers as Node's record, or the raw `[name, value, …]`
 * list, which also shows repeated Expires lines), built from what CloudFront takes into account:
 * - no viewer request headers: viewer Cache-Control/Pragma cannot change caching (TTL-06); only
 *   an Authorization the edge forwarded (a whitelisted one, HDR-01) is recorded, for RFC 9111 §3.5;
 * - no Set-Cookie: cookies have their own rules (CK-01..05);
 * - no Vary, which is only honoured for Accept-Encoding, already in the cache key (RSP-01, 4.3),
 *   except `Vary: *`, which RFC 9111 §4.1 says never matches: it is kept so the object is not stored;
 * - Cache-Control normalised: directive names lower-cased, `max-age`/`s-maxage` that are not
 *   delta-seconds read as 0, field-specific `no-cache="Set-Cookie"` dropped (CK-05);
 * - an Expires that is not one HTTP-date (several lines, another format) means already expired;
 * - error statuses are read as 200 so the library keeps their headers; ERR-02 applies the TTL.
 */
export function originPolicy(
  status: number,
  headers: ResponseHeaders | readonly string[],
  url: string,
  forwardedAuthorization?: string,
): CachePolicy {
  const { h, count } = headerRecord(headers);
  delete h['set-cookie'];
  const vary = h['vary'];
  delete h['vary'];
  if (vary !== undefined && vary.split(',').some((t) => t.trim() === '*')) h['vary'] = '*';
  if (h['cache-control'] !== undefined) h['cache-control'] = normalisedCacheControl(h['cache-control']);
  if (h['expires'] !== undefined && ((count.get('expires') ?? 0) > 1 || parseHttpDate(h['expires']) === undefined)) h['expires'] = LONG_AGO;
  const policyStatus = ERROR_STATUSES.has(status) && !CACHEABLE_STATUSES.has(status) ? 200 : status;
  return new CachePolicy(
    { method: 'GET', url, headers: forwardedAuthorization !== undefined ? { authorization: forwardedAuthorization } : {} },
    { status: policyStatus, headers: h },
    { shared: true, cacheHeuristic: 0, immutableMinTimeToLive: 0 },
  );
}

/**
 * CK-05: the origin asked that Set-Cookie never be cached: `no-cache="…"` names it, anywhere in
 * its field list (`no-cache="X-A, Set-Cookie"`), in any case; text inside another directive's
 * quoted value does not count.
 */
export function forbidsCachingSetCookie(headers: ResponseHeaders): boolean {
  const cc = headers['cache-control'];
  const text = Array.isArray(cc) ? cc.join(', ') : cc;
  return cacheControlMembers(text).some(
    ([name, v]) => name === 'no-cache' && typeof v === 'string' && v.split(',').some((f) => f.trim().toLowerCase() === 'set-cookie'),
  );
}

interface PolicyView {
  t: number;
  resh: Record<string, string>;
  rescc: Record<string, string | boolean>;
  /** False when the request carried Authorization. */
  a: boolean;
}

/** What http-cache-semantics keeps (its serialised form is its public view of it). */
function viewOf(policy: CachePolicy): PolicyView {
  return policy.toObject() as unknown as PolicyView;
}

function hasExplicitLifetime(p: PolicyView): boolean {
  return p.rescc['s-maxage'] !== undefined || p.rescc['max-age'] !== undefined || p.resh.expires !== undefined;
}

/**
 * The lifetime the headers give (RFC 9111 §4.2.1, shared cache): s-maxage, else max-age, else
 * Expires − Date. `proxy-revalidate` and `must-revalidate` do not shorten it: they only forbid
 * serving the object stale (see staleOnErrorAllowed).
 */
function headerLifetime(p: PolicyView): number {
  const s = deltaSeconds(p.rescc['s-maxage'] as string | undefined);
  if (s !== undefined) return s;
  const m = deltaSeconds(p.rescc['max-age'] as string | undefined);
  if (m !== undefined) return m;
  const expires = parseHttpDate(p.resh.expires);
  if (expires === undefined) return 0;
  const date = parseHttpDate(p.resh.date) ?? p.t;
  return Math.max(0, (expires - date) / 1000);
}

/**
 * Responses RFC 9111 forbids reusing whatever the TTLs say: `Vary: *` never matches a later
 * request (§4.1); a response to a request that carried Authorization is reused only with
 * `public`, `must-revalidate` or `s-maxage` (§3.5); interim 1xx responses are not final (§3).
 */
function neverReused(p: PolicyView, status: number): boolean {
  if (status < 200) return true;
  if (p.resh.vary === '*') return true;
  if (p.a === false) {
    const allowed = p.rescc['public'] !== undefined || p.rescc['must-revalidate'] !== undefined || p.rescc['s-maxage'] !== undefined;
    if (!allowed) return true;
  }
  return false;
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
  const p = viewOf(policy);
  if (neverReused(p, status)) return null;
  const cc = p.rescc;
  if (cc['no-cache'] === true || cc['no-store'] !== undefined || cc['private'] === true) {
    return ttl.minTtl > 0 ? Math.min(ttl.minTtl, ttl.maxTtl) : null;
  }
  const headerTtl = hasExplicitLifetime(p) ? headerLifetime(p) : ttl.defaultTtl;
  return clamp(headerTtl, ttl.minTtl, ttl.maxTtl);
}

/**
 * ERR-02: an error carrying max-age / s-maxage / Expires is cached for max(header, error min TTL),
 * otherwise for exactly the error min TTL. Returns null when that is 0 (SPEC §9.17 allows 0).
 */
export function errorTtl(policy: CachePolicy, errorMinTtl: number): number | null {
  const p = viewOf(policy);
  if (neverReused(p, 200)) return null; // an error status is never a 1xx
  const v = hasExplicitLifetime(p) ? Math.max(headerLifetime(p), errorMinTtl) : errorMinTtl;
  return v > 0 ? v : null;
}

/**
 * ERR-04 serves an expired copy when the origin fails, but RFC 9111 §4.2.4 forbids it for a
 * response with `must-revalidate`, `proxy-revalidate`, `s-maxage` or `no-cache` (§5.2.2.2, .8, .10,
 * .4): such a copy is revalidated or the origin's error is passed on. A copy kept only because a
 * Minimum TTL overrode `no-store` or `private` (TTL-04) is not stretched past it either. Qualified
 * `no-cache="…"` / `private="…"` name fields, not the response, and allow it. `headers` are the stored ones.
 */
export function staleOnErrorAllowed(headers: readonly (readonly [string, string])[]): boolean {
  const cc = parseCacheControl(
    headers
      .filter(([n]) => n.toLowerCase() === 'cache-control')
      .map(([, v]) => v)
      .join(', '),
  );
  return (
    !cc.has('must-revalidate') &&
    !cc.has('proxy-revalidate') &&
    !cc.has('s-maxage') &&
    !cc.has('no-store') &&
    cc.get('no-cache') !== true &&
    cc.get('private') !== true
  );
}
