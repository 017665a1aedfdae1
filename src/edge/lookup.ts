// Stage 3 of a viewer request (lookup): what the origin would be asked (path, forwarded query,
// headers, cookies), the cache key, the store, and the decision every later stage follows — a hit
// answered from the stored copy, a miss that joins (or starts) the collapsed fetch, or a pass
// straight to the origin for what is never cached. Nothing here writes to the viewer.
import type { RequestContext } from './context.js';
import { HttpError } from '../result.js';
import { cacheKey, invalidationPath } from './cache-key.js';
import { behaviourFor, type RuntimeDistribution } from './distribution.js';
import type { FetchSpec } from './fetch.js';
import { acceptsGzip, cookieHeaderOf, forwardedCookies, keyedHeadersOf, originRequestHeaders, parseCookieHeader } from './forwarding.js';
import { newRequestId } from './request-id.js';
import type { ObjectStore, StoredObject } from './store.js';
import type { ViewerPass } from './viewer-checks.js';
import type { ViewerScheme } from './viewer-protocol.js';

/** What lookup decided for one viewer request. */
export type LookupDecision =
  /** A stored copy answers: fresh (`Hit`, or `Error` for a cached error), or stale within ERR-04's window. */
  | { kind: 'hit'; obj: StoredObject; result: 'Hit' | 'Error'; stale: boolean }
  /** Not stored (or no longer fresh): the collapsed fetch for `spec.key`; `stale` is the copy to revalidate (CND-01). */
  | { kind: 'miss'; spec: FetchSpec; stale: StoredObject | undefined }
  /** Never cached (a method the behaviour does not cache, a HEAD that misses): relayed as it is. */
  | { kind: 'pass'; originPath: string; originHeaders: Record<string, string> }
  /** The URL the edge would build is over ORG-03's limit (414). */
  | { kind: 'refuse'; error: HttpError };

export class Lookup {
  constructor(
    private readonly store: ObjectStore,
    /** ORG-03: the URL the edge sends the origin, in bytes. */
    private readonly maxUrlBytes: number,
  ) {}

  /** `v` is read, never written: the viewer's own headers, method, address and request id. */
  decide(v: Readonly<RequestContext>, d: RuntimeDistribution, scheme: ViewerScheme, pass: ViewerPass): LookupDecision {
    const { req, method } = v;
    const { beh, path, ownQuery, country } = pass;
    const query = beh.cfg.forwardQueryString ? ownQuery : '';
    const originPath = query ? `${path}?${query}` : path;
    if (beh.origin.basePath.length + originPath.length > this.maxUrlBytes)
      return { kind: 'refuse', error: new HttpError(414, 'UrlTooLong', 'URL too long') };
    const cookies = forwardedCookies(req.headers.cookie, beh.rules.cookies, beh.isCookieWhitelisted);
    const cacheable = beh.cachedMethods.has(method);
    const originHeaders = originRequestHeaders({
      method,
      rawHeaders: req.rawHeaders,
      rules: beh.rules,
      viewerIp: v.viewerIp,
      cfId: v.requestId,
      originHost: beh.origin.hostHeader,
      viewerCountry: country,
      cacheable,
      viewerScheme: scheme,
    });
    if (cookies.length) originHeaders['cookie'] = cookieHeaderOf(cookies);
    if (!cacheable) return { kind: 'pass', originPath, originHeaders };
    const key = cacheKey({
      distributionId: d.id,
      behaviourIndex: beh.index,
      path,
      query,
      cookies,
      headers: keyedHeadersOf(originHeaders, beh.rules),
      gzip: acceptsGzip(req.headers['accept-encoding']),
      method,
    });
    const obj = this.store.get(key);
    if (obj !== undefined) {
      const now = Date.now();
      if (now < obj.freshUntil) return { kind: 'hit', obj, result: obj.isError ? 'Error' : 'Hit', stale: false };
      // ERR-04: the origin failed a moment ago; within the error TTL the stale copy is the answer.
      if (obj.staleUntil !== undefined && now < obj.staleUntil) return { kind: 'hit', obj, result: 'Hit', stale: true };
    }
    // A HEAD that misses asks the origin with HEAD: there is no body to cache.
    if (method === 'HEAD') return { kind: 'pass', originPath, originHeaders };
    const spec: FetchSpec = {
      method: method === 'OPTIONS' ? 'OPTIONS' : 'GET',
      d,
      beh,
      key,
      invPath: invalidationPath(path, query),
      originPath,
      originHeaders,
      requestCookieNames: new Set(parseCookieHeader(req.headers.cookie).map(([n]) => n)),
      viewerScheme: scheme,
    };
    return { kind: 'miss', spec, stale: obj && !obj.isError ? obj : undefined };
  }

  /**
   * An edge-internal GET (a custom error page, ERR-05) through the cache: the spec of its fetch,
   * and the stored copy when it is fresh.
   */
  internal(d: RuntimeDistribution, path: string): { spec: FetchSpec; fresh: StoredObject | undefined; stale: StoredObject | undefined } {
    const beh = behaviourFor(d, path);
    const spec: FetchSpec = {
      method: 'GET',
      d,
      beh,
      key: cacheKey({ distributionId: d.id, behaviourIndex: beh.index, path, query: '', cookies: [], headers: [], gzip: false }),
      invPath: path,
      originPath: path,
      originHeaders: originRequestHeaders({
        method: 'GET',
        rawHeaders: [],
        rules: beh.rules,
        viewerIp: '127.0.0.1',
        cfId: newRequestId(),
        originHost: beh.origin.hostHeader,
        cacheable: true,
      }),
      requestCookieNames: new Set(),
    };
    const cached = this.store.get(spec.key);
    const fresh = cached && Date.now() < cached.freshUntil ? cached : undefined;
    return { spec, fresh, stale: cached && !cached.isError ? cached : undefined };
  }
}
