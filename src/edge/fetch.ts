// Stages "lookup" (collapsing), "fetch" and "pass" (requests that are never cached, relayed as they are): one origin fetch per cache key in flight, its
// viewers subscribed to it (SPEC §9.14), revalidation with the stored validators (CND-01), stale
// on error (ERR-04), error caching (ERR-01..03), transfers cut short (ORG-07), and the stored
// object built once with everything a hit needs (its header list, freshness, charge).
import type { Logger } from '../log.js';
import type { EdgeConfig } from '../config/edge.js';
import { errorMinTtl, type RuntimeBehaviour, type RuntimeDistribution } from './distribution.js';
import { selectedBy304, splitResponseHeaders, updateStoredHeaders } from './forwarding.js';
import { viewerSchemeOf } from './viewer-protocol.js';
import { behaviourTtl, errorTtl, forbidsCachingSetCookie, isCachedErrorStatus, originPolicy, staleOnErrorAllowed } from './freshness.js';
import { chargeOf, type ObjectStore, type StoredObject } from './store.js';
import { OriginFailure, type OriginClient, type OriginRequest, type OriginResponse } from './origin-client.js';
import { failsOver } from './policies/failover.js';
import type { RequestContext } from './context.js';
import { SharedFetch, type FetchSubscriber } from './shared-fetch.js';
import { headerText, headerValue, type HeaderList } from '../http/headers.js';
import type { DistributionStats } from './stats.js';
import { errorPage, type Deliver } from './deliver.js';

export /** What a cacheable origin fetch needs, derived from the first viewer that asked. */
interface FetchSpec {
  /** GET (also for HEAD and internal fetches) or OPTIONS when OPTIONS responses are cached. */
  method: 'GET' | 'OPTIONS';
  d: RuntimeDistribution;
  beh: RuntimeBehaviour;
  key: string;
  invPath: string;
  /** Path and forwarded query, as sent to the origin. */
  originPath: string;
  originHeaders: Record<string, string>;
  requestCookieNames: ReadonlySet<string>;
  /** The first viewer's scheme: a match-viewer origin is asked in it (ORG-04; both schemes share the entry, 4.3). */
  viewerScheme?: 'http' | 'https';
}

export interface FetchDeps {
  cfg: EdgeConfig;
  log: Logger;
  store: ObjectStore;
  client: OriginClient;
  deliver: Deliver;
  statsOf(d: RuntimeDistribution): DistributionStats;
}

export class Fetcher {
  private readonly inflight = new Map<string, SharedFetch>();

  constructor(private readonly deps: FetchDeps) {}

  /** Fetches in flight (for /_edge/stats). */
  get inFlight(): number {
    return this.inflight.size;
  }

  /** Collapsing: one fetch per cache key in flight; later viewers subscribe to it. */
  join(spec: FetchSpec, stale: StoredObject | undefined, sub: FetchSubscriber & { fetch?: SharedFetch }): void {
    let f = this.deps.cfg.cache.collapse ? this.inflight.get(spec.key) : undefined;
    if (!f) {
      f = new SharedFetch();
      if (this.deps.cfg.cache.collapse) this.inflight.set(spec.key, f);
      const fetch = f;
      this.run(fetch, spec, stale).catch((err: unknown) => {
        this.deps.log.error({ err, path: spec.originPath }, 'edge fetch failed');
        this.forget(fetch, spec.key);
        fetch.fail();
      });
    }
    sub.fetch = f;
    f.subscribe(sub);
  }

  private forget(f: SharedFetch, key: string): void {
    if (this.inflight.get(key) === f) this.inflight.delete(key);
  }

  private async run(f: SharedFetch, spec: FetchSpec, stale: StoredObject | undefined): Promise<void> {
    const { d, beh } = spec;
    const stats = this.deps.statsOf(d);
    let headers = spec.originHeaders;
    if (stale) {
      // CND-01: revalidate with the stored validators (computed by http-cache-semantics).
      // The policy was built from a header-less request (freshness.ts), so it is asked the same way.
      const conditional = stale.policy.revalidationHeaders({ method: 'GET', url: spec.originPath, headers: {} });
      headers = { ...spec.originHeaders };
      for (const name of ['if-none-match', 'if-modified-since'] as const) {
        const value = conditional[name];
        if (typeof value === 'string') headers[name] = value;
      }
    }
    let origin;
    const before = this.deps.client.attempts;
    try {
      // With a stale copy to fall back on, viewers wait at most one response timeout (then ERR-04
      // serves the copy), not the three attempts of ORG-02.
      const asked = await this.ask(
        beh,
        { method: spec.method, path: spec.originPath, headers, viewerScheme: spec.viewerScheme },
        stats,
        stale ? beh.origin.timeoutMs : undefined,
      );
      origin = asked.origin;
      f.failedOver = asked.failedOver;
    } catch (err) {
      stats.originRequests += this.deps.client.attempts - before;
      if (!(err instanceof OriginFailure)) throw err;
      this.deps.log.warn(
        { origin: beh.origin.id, path: spec.originPath, attempts: err.attempts, status: err.status },
        `origin failed: ${err.message}`,
      );
      this.forget(f, spec.key);
      // RFC 9111 §4.2.4: must-revalidate, proxy-revalidate and s-maxage forbid serving stale.
      if (stale && staleOnErrorAllowed(stale.headers)) return this.serveStaleOnError(f, spec, stale, err.status, undefined);
      // ERR-03: the edge's own 502/504 is cached like an origin error.
      const body = Buffer.from(errorPage(err.status, 'the origin could not be reached'));
      const hdrs: [string, string][] = [
        ['Content-Type', 'text/html'],
        ['Server', 'CloudFront'],
        ['Date', new Date().toUTCString()],
      ];
      // A held (slow) response that ran into the timeout is never pinned as an error: the edge's own
      // 504 is not cached. A refused or reset connection is cached for the (short) 502 error TTL.
      const ttl = err.status === 504 ? 0 : errorMinTtl(d, err.status);
      const obj = this.makeObject(
        spec,
        err.status,
        hdrs,
        body,
        originPolicy(err.status, { 'cache-control': 'no-cache' }, spec.originPath),
        ttl,
        true,
      );
      if (ttl > 0) this.deps.store.set(obj);
      f.setHead({ kind: 'object', obj, result: 'Error', stale: false });
      return;
    }
    stats.originRequests += origin.attempts;
    const { res, req } = origin;
    const status = res.statusCode ?? 502;
    if (stale && status === 304) {
      res.resume();
      // RFC 9111 §4.3.4: a 304 whose validators are not the stored copy's (the object changed
      // between the 304 and the copy) cannot refresh it; the object is fetched whole instead.
      if (!selectedBy304(stale.headers, res.rawHeaders)) return this.run(f, spec, undefined);
      this.forget(f, spec.key);
      const refreshed = this.refreshObject(spec, stale, res.rawHeaders);
      f.setHead({ kind: 'object', obj: refreshed, result: 'RefreshHit', stale: false });
      return;
    }
    if (stale && status >= 500 && staleOnErrorAllowed(stale.headers)) {
      res.resume();
      this.forget(f, spec.key);
      return this.serveStaleOnError(f, spec, stale, status, res.rawHeaders);
    }
    const policy = originPolicy(status, res.rawHeaders, spec.originPath, spec.originHeaders['authorization']);
    const isError = isCachedErrorStatus(status);
    let ttl = isError ? errorTtl(policy, errorMinTtl(d, status)) : behaviourTtl(policy, status, beh.ttl);
    const etag = headerText(res.headers.etag);
    const lastModified = headerText(res.headers['last-modified']);
    // TTL 0 is worth storing only with a validator to revalidate against (SPEC §9.15).
    if (ttl === 0 && !etag && !lastModified) ttl = null;
    const lengthText = headerText(res.headers['content-length']);
    const contentLength = lengthText !== undefined && /^\d+$/.test(lengthText) ? Number(lengthText) : undefined;
    const split = splitResponseHeaders(
      res.rawHeaders,
      beh.rules.cookies,
      beh.isCookieWhitelisted,
      spec.requestCookieNames,
      forbidsCachingSetCookie(res.headers),
    );
    const viewerHeaders: string[] = [];
    for (const [n, val] of split.viewer) viewerHeaders.push(n, val);
    this.deps.deliver.identity(viewerHeaders);
    if (contentLength !== undefined) viewerHeaders.push('Content-Length', String(contentLength));
    let retain = ttl !== null && (contentLength === undefined || contentLength <= this.deps.store.maxObjectBytes);
    if (!retain) {
      f.dropRetained();
      this.forget(f, spec.key);
    }
    f.onAbandoned = () => {
      // ORG-07: every viewer left during a miss, so the object is not cached. A cacheable transfer
      // runs on, though: a viewer that joins it before the end makes it cacheable again, so one
      // viewer hanging up cannot spoil the collapsed fetch for the others.
      if (!f.retaining) req.destroy();
    };
    if (retain && contentLength !== undefined) f.expectLength(contentLength);
    f.setHead({ kind: 'stream', status, headers: viewerHeaders, contentLength, etag, lastModified, isError, ttl: ttl ?? undefined });
    let received = 0;
    const maxResponse = this.deps.cfg.limits.maxResponseBytes;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxResponse) {
        // ORG-03: 20 GB at most.
        req.destroy(new Error('response larger than limits.maxResponseBytes'));
        return;
      }
      if (retain && received > this.deps.store.maxObjectBytes) {
        retain = false;
        f.dropRetained();
        this.forget(f, spec.key);
        // No longer cacheable and nobody listening: nothing left to fetch it for.
        if (f.subscriberCount === 0) return void req.destroy();
      }
      f.push(chunk);
    });
    res.once('end', () => {
      this.forget(f, spec.key);
      // ORG-07: a body shorter than its Content-Length is relayed but not cached (and the viewers'
      // responses cannot be completed); a close-delimited body is cached as received.
      if (contentLength !== undefined && received !== contentLength) return f.fail();
      const body = f.finish();
      if (retain && body && ttl !== null && !f.abandoned) {
        this.deps.store.set(this.makeObject(spec, status, split.stored, body, policy, ttl, isError));
      }
    });
    res.once('close', () => {
      if (!res.complete) {
        this.forget(f, spec.key);
        if (f.state === 'streaming') f.fail();
      }
    });
  }

  /** ERR-04 / SPEC §9.16: the origin answered 5xx or not at all; the stale copy is served for the error TTL. */
  private serveStaleOnError(f: SharedFetch, spec: FetchSpec, stale: StoredObject, status: number, rawHeaders: string[] | undefined): void {
    const minTtl = errorMinTtl(spec.d, status);
    // The raw lines: Node's header record keeps one of several Expires lines, which make it invalid.
    const ttl = rawHeaders ? (errorTtl(originPolicy(status, rawHeaders, spec.originPath), minTtl) ?? 0) : minTtl;
    // The copy stays stale (it is not made fresh again): it is served without asking the origin
    // until the error TTL passes, and the first origin fetch that succeeds replaces it.
    stale.staleUntil = Date.now() + ttl * 1000;
    f.setHead({ kind: 'object', obj: stale, result: 'Hit', stale: true });
  }

  private makeObject(
    spec: FetchSpec,
    status: number,
    headers: [string, string][],
    body: Buffer,
    policy: StoredObject['policy'],
    ttl: number,
    isError: boolean,
  ): StoredObject {
    const receivedAt = Date.now();
    const initialAge = policy.age();
    const obj: StoredObject = {
      key: spec.key,
      invalidationPath: spec.invPath,
      status,
      headers,
      body,
      policy,
      ttl,
      receivedAt,
      initialAge,
      freshUntil: receivedAt + (ttl - initialAge) * 1000,
      etag: headerValue(headers, 'etag'),
      lastModified: headerValue(headers, 'last-modified'),
      isError,
      hitHeaders: [],
      size: chargeOf(body, headers),
    };
    obj.hitHeaders = this.hitHeadersOf(obj);
    return obj;
  }

  private hitHeadersOf(obj: StoredObject): HeaderList {
    const h: HeaderList = [];
    for (const [n, val] of obj.headers) h.push(n, val);
    this.deps.deliver.identity(h).push('Content-Length', String(obj.body.length));
    return h;
  }

  /** TTL-07: a 304 keeps the copy; the fields it carries update the stored ones (RFC 9111 §3.2), and the lifetime is read from the result. */
  private refreshObject(spec: FetchSpec, stale: StoredObject, raw304: string[]): StoredObject {
    const { beh } = spec;
    // The 304's own no-cache="Set-Cookie" is honoured inside splitResponseHeaders (fields it names are not stored).
    const validation = splitResponseHeaders(raw304, beh.rules.cookies, beh.isCookieWhitelisted, spec.requestCookieNames, false);
    const headers = updateStoredHeaders(stale.headers, validation.stored);
    const policy = originPolicy(stale.status, headers.flat(), spec.originPath, spec.originHeaders['authorization']);
    const ttl = stale.isError ? errorTtl(policy, errorMinTtl(spec.d, stale.status)) : behaviourTtl(policy, stale.status, spec.beh.ttl);
    const obj = this.makeObject(spec, stale.status, headers, stale.body, policy, ttl ?? 0, stale.isError);
    this.deps.store.set(obj);
    return obj;
  }

  /**
   * One origin answer for a behaviour. For an origin group the primary is asked first, and the
   * secondary when policies/failover.ts says so (a listed status, a timeout, a refused or broken
   * connection; GET/HEAD/OPTIONS without a body only). The secondary gets its own Host (unless the
   * viewer's is forwarded) and its own custom headers; `attempts` counts both origins.
   */
  private async ask(
    beh: RuntimeBehaviour,
    r: OriginRequest,
    stats: DistributionStats,
    deadlineMs?: number,
  ): Promise<{ origin: OriginResponse; failedOver: boolean }> {
    const group = r.body ? undefined : beh.failover;
    let attempts: number;
    let why: string;
    try {
      const origin = await this.deps.client.request(beh.origin, r, deadlineMs);
      const status = origin.res.statusCode ?? 502;
      if (!failsOver(group, r.method, { kind: 'status', status })) return { origin, failedOver: false };
      origin.req.destroy(); // the primary's answer is not used: its body is not read, however long
      attempts = origin.attempts;
      why = `status ${status}`;
    } catch (err) {
      if (!(err instanceof OriginFailure) || !failsOver(group, r.method, { kind: 'failure', status: err.status })) throw err;
      attempts = err.attempts;
      why = err.message;
    }
    const secondary = group!.secondary;
    stats.originFailovers++;
    this.deps.log.warn({ group: group!.groupId, primary: beh.origin.id, secondary: secondary.id, path: r.path }, `origin failover: ${why}`);
    const headers = r.headers['host'] === beh.origin.hostHeader ? { ...r.headers, host: secondary.hostHeader } : r.headers;
    try {
      const origin = await this.deps.client.request(secondary, { ...r, headers }, deadlineMs);
      return { origin: { ...origin, attempts: attempts + origin.attempts }, failedOver: true };
    } catch (err) {
      if (err instanceof OriginFailure) throw new OriginFailure(err.status, attempts + err.attempts, err.message);
      throw err;
    }
  }

  /** Methods that are not cached (POST, PUT, …, OPTIONS unless cached, forward-all headers, HEAD misses): relayed as they are. */
  async pass(
    v: RequestContext,
    beh: RuntimeBehaviour,
    originPath: string,
    headers: Record<string, string>,
    onFailure: (status: number) => void,
  ): Promise<void> {
    const rec = v.rec!;
    v.result = 'Miss';
    const rq = v.req.headers;
    // GET and HEAD carry no body to the origin (a HEAD miss comes here): whatever a viewer sent
    // with them is left to Node, which discards it.
    const bodyless = v.method === 'GET' || v.method === 'HEAD';
    const hasBody =
      !bodyless && (rq['content-length'] !== undefined ? rq['content-length'] !== '0' : rq['transfer-encoding'] !== undefined);
    if (hasBody) {
      if (rq['content-length'] !== undefined) headers['content-length'] = rq['content-length'];
      else headers['transfer-encoding'] = 'chunked';
    }
    const stats = rec.stats;
    let origin;
    const before = this.deps.client.attempts;
    try {
      const asked = await this.ask(
        beh,
        { method: v.method, path: originPath, headers, body: hasBody ? v.req : undefined, viewerScheme: viewerSchemeOf(v.req) },
        stats,
      );
      origin = asked.origin;
      if (asked.failedOver) v.failover = true;
    } catch (err) {
      stats.originRequests += this.deps.client.attempts - before;
      if (!(err instanceof OriginFailure)) throw err;
      return onFailure(err.status);
    }
    stats.originRequests += origin.attempts;
    const { res, req } = origin;
    if (v.res.destroyed) return void req.destroy();
    const status = res.statusCode ?? 502;
    const split = splitResponseHeaders(res.rawHeaders, beh.rules.cookies, beh.isCookieWhitelisted, new Set(), true);
    const out: HeaderList = [];
    for (const [n, val] of split.viewer) out.push(n, val);
    const cl = headerText(res.headers['content-length']);
    if (cl !== undefined) out.push('Content-Length', cl);
    const isError = status >= 400;
    v.result = isError ? 'Error' : 'Miss';
    this.deps.deliver.relayedHead(v, status, out);
    res.pipe(v.res);
    res.once('close', () => {
      if (!res.complete) v.res.destroy();
    });
    v.res.once('close', () => {
      if (!res.complete) req.destroy();
    });
  }
}
