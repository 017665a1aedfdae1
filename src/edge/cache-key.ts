// SPEC 4.3: what makes two requests the same cached object. Pure.
import { canonicalPath, canonicalQuery } from '../http/canonical-path.js';
import { fail, ok, type Result } from '../result.js';
import { isSignedUrlParam } from './signing/credentials.js';

export interface CacheKeyParts {
  distributionId: string;
  /** Index of the matched behaviour (-1 = default): each behaviour caches on its own. */
  behaviourIndex: number;
  /** Case-sensitive path exactly as requested (after the default root object rewrite, DRO-01). */
  path: string;
  /** The forwarded query string ('' when not forwarded, QS-01); order and case matter. */
  query: string;
  /** Forwarded cookies, already sorted by name (CK-04). */
  cookies: readonly [string, string][];
  /** Whitelisted request headers as [lower-case name, value]; header order does not matter. */
  headers: readonly [string, string][];
  /** The viewer accepts gzip (GZ-01/02: compressed and plain copies are cached apart). */
  gzip: boolean;
  /** A cache policy with brotli enabled, for a viewer that accepts it: brotli and gzip copies are cached apart too. */
  brotli?: boolean;
  /** ORG-05: cached OPTIONS responses are their own objects (GET and HEAD share one). */
  method?: string;
}

/** The cache key. Separators are control characters, which cannot occur in a request line or header. */
export function cacheKey(p: CacheKeyParts): string {
  const coding = p.brotli ? (p.gzip ? 'brgz' : 'br') : p.gzip ? 'gz' : 'id';
  let key = `${p.distributionId}\u0001${p.behaviourIndex}\u0001${coding}\u0001${p.path}`;
  if (p.method === 'OPTIONS') key = `OPTIONS\u0001${key}`;
  if (p.query) key += `?${p.query}`;
  if (p.cookies.length) key += `\u0001c:${p.cookies.map(([n, v]) => `${n}=${v}`).join('\u0002')}`;
  if (p.headers.length) {
    const sorted = [...p.headers].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    key += `\u0001h:${sorted.map(([n, v]) => `${n}:${v}`).join('\u0002')}`;
  }
  return key;
}

/** INV-02/03: the invalidation path of an object, the same for all its cookie/header/gzip variants. */
export function invalidationPath(path: string, query: string): string {
  return query ? `${path}?${query}` : path;
}

/**
 * INV-02 paths in the canonical form objects are stored under (the same canonicalPath() and
 * canonicalQuery() as viewer requests), so invalidating `/player.js` also removes what was cached
 * for `/pla%79er.js`. A path the edge would refuse from a viewer is refused here too.
 */
export function canonicalInvalidationPath(p: string): Result<string> {
  const q = p.indexOf('?');
  const path = canonicalPath(q < 0 ? p : p.slice(0, q));
  if (!path.ok) return fail(path.reason);
  if (q < 0) return ok(path.value);
  const query = canonicalQuery(p.slice(q + 1));
  if (!query.ok) return fail(query.reason);
  return ok(invalidationPath(path.value, query.value));
}

/** The raw query without the signing parameters (QS-02 / SIG-05), order and encoding preserved. */
export function withoutSigningParams(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter((kv) => {
      const eq = kv.indexOf('=');
      return !isSignedUrlParam(eq < 0 ? kv : kv.slice(0, eq));
    })
    .join('&');
}
