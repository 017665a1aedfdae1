// The edge's HTTP wiring: a viewer request goes Host → distribution, geo, default root object,
// behaviour, method and signature checks, cache key, then a hit from the store or one (collapsed)
// origin fetch; every request is logged and counted when its response closes.
import http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { EdgeConfig } from '../config/edge.js';
import {
  behaviourFor,
  distributionRouter,
  errorMinTtl,
  geoAllows,
  geoTable,
  type RuntimeBehaviour,
  type RuntimeDistribution,
} from './distribution.js';
import { cacheKey, invalidationPath, whitelistedHeaderValues, withoutSigningParams } from './cache-key.js';
import { acceptsGzip, forwardedCookies, cookieHeaderOf, dropConnectionNominated, originRequestHeaders, parseCookieHeader, splitResponseHeaders, updateStoredHeaders } from './forwarding.js';
import { behaviourTtl, errorTtl, forbidsCachingSetCookie, isCachedErrorStatus, originPolicy, staleOnErrorAllowed } from './freshness.js';
import { chargeOf, ObjectStore, type StoredObject } from './store.js';
import { OriginClient, OriginFailure } from './origin-client.js';
import { SharedFetch, type FetchHead, type FetchSubscriber } from './shared-fetch.js';
import { notModified, NOT_MODIFIED_HEADERS } from './conditionals.js';
import { decideRange, ifRangeAllows } from './ranges.js';
import { loadSigningKey, verifySignedUrl, type SigningKey } from './signed-urls.js';
import { AccessLogWriter, type ResultType } from './access-log.js';
import { DistributionStats, prometheusText } from './stats.js';
import { countryOf } from './ip-match.js';
import { newRequestId } from './request-id.js';
import { viewerProtocolDecision, viewerSchemeOf } from './viewer-protocol.js';
import { fullGcHint } from './gc-hint.js';
import {
  API_VERSION,
  errorXml,
  InvalidationBook,
  InvalidationError,
  invalidationListXml,
  invalidationXml,
  parseInvalidationBatch,
} from './invalidation.js';

const X_CACHE: Record<ResultType, string> = {
  Hit: 'Hit from cloudfront',
  RefreshHit: 'RefreshHit from cloudfront',
  Miss: 'Miss from cloudfront',
  Error: 'Error from cloudfront',
  LimitExceeded: 'Error from cloudfront',
  CapacityExceeded: 'Error from cloudfront',
};

/** One viewer request on its way through the edge. */
interface Viewer {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  socket: Socket;
  startedAt: number;
  bytesWrittenAtStart: number;
  bytesReadAtStart: number;
  headerBytes: number;
  requestId: string;
  viewerIp: string;
  method: string;
  rawPath: string;
  rawQuery: string;
  dist?: RuntimeDistribution;
  result: ResultType;
  ttl?: number;
}

/** What a cacheable origin fetch needs, derived from the first viewer that asked. */
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

export interface EdgeServerOptions {
  cfg: EdgeConfig;
  distributions: RuntimeDistribution[];
  log: Logger;
  /** Directory for access logs, or undefined when logging is off. */
  logDir?: string;
  /** The edge's HTTPS port for TLS-01 redirects; 0 (the default) when HTTPS is off. */
  httpsPort?: number;
}

export class EdgeServer {
  readonly store: ObjectStore;
  readonly client = new OriginClient();
  readonly stats = new Map<string, DistributionStats>();
  readonly books = new Map<string, InvalidationBook>();
  private readonly logs = new Map<string, AccessLogWriter>();
  private readonly inflight = new Map<string, SharedFetch>();
  private readonly route: (host: string | undefined) => RuntimeDistribution;
  private readonly keys: Map<string, SigningKey>;
  private readonly geo: { match: (ip: string) => boolean; country: string }[];
  private readonly cfg: EdgeConfig;
  private readonly log: Logger;
  private readonly via: string;
  private readonly pop: string;
  private readonly byId: Map<string, RuntimeDistribution>;

  constructor(private readonly opts: EdgeServerOptions) {
    this.cfg = opts.cfg;
    this.log = opts.log;
    const maxObject = opts.cfg.cache.maxObjectBytes ?? Math.floor(opts.cfg.cache.maxBytes / 8);
    this.store = new ObjectStore(opts.cfg.cache.maxBytes, maxObject, fullGcHint());
    this.route = distributionRouter(opts.distributions);
    this.keys = new Map(opts.cfg.keyPairs.map((k) => [k.id, loadSigningKey(k)]));
    this.geo = geoTable(opts.cfg);
    this.pop = opts.cfg.edgeLocation;
    // RSP-01: `Via: 1.1 <alphanumeric>.cloudfront.net (CloudFront)`, one name per edge.
    this.via = `1.1 ${createHash('md5').update(`${this.pop}:${process.pid}:${Date.now()}`).digest('hex')}.cloudfront.net (CloudFront)`;
    this.byId = new Map(opts.distributions.map((d) => [d.id, d]));
    for (const d of opts.distributions) {
      this.stats.set(d.id, new DistributionStats(d.id));
      this.books.set(d.id, new InvalidationBook(d.id, opts.cfg.invalidation));
      if (opts.logDir) this.logs.set(d.id, new AccessLogWriter(opts.logDir, opts.cfg.logs.prefix, d.id, opts.cfg.logs.flushSeconds, this.log));
    }
  }

  /** Origin requests made so far, retries included. */
  get originRequests(): number {
    return this.client.attempts;
  }

  async close(): Promise<void> {
    this.client.close();
    await Promise.all([...this.logs.values()].map((w) => w.close()));
  }

  readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    dropConnectionNominated(req); // RFC 9110 §7.6.1: one set of fields for every later rule
    const url = req.url ?? '/';
    const socket = req.socket;
    const q = url.indexOf('?');
    const v: Viewer = {
      req,
      res,
      socket,
      startedAt: performance.now(),
      bytesWrittenAtStart: socket.bytesWritten,
      bytesReadAtStart: socket.bytesRead,
      headerBytes: requestHeaderBytes(req),
      requestId: newRequestId(),
      viewerIp: viewerIpOf(socket),
      method: req.method ?? 'GET',
      rawPath: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      result: 'Miss',
    };
    if (v.rawPath.startsWith('/_edge/')) return this.serveStats(v);
    if (v.rawPath.startsWith(`/${API_VERSION}/distribution/`)) return this.guard(v, this.serveControl(v));
    res.once('close', () => this.finished(v));
    try {
      this.viewerRequest(v);
    } catch (err) {
      this.log.error({ err, url }, 'edge request failed');
      if (!res.headersSent) this.edgeError(v, 502, 'internal edge error');
      else res.destroy();
    }
  };

  // ---- viewer requests -------------------------------------------------------------------

  private viewerRequest(v: Viewer): void {
    const { req } = v;
    const d = this.route(req.headers.host);
    v.dist = d;
    // ORG-03: oversized requests are refused (PROJECT: 413 / 414 and the connection closed).
    if (v.headerBytes > this.cfg.limits.maxRequestBytes) return this.edgeError(v, 413, 'request too large', true);
    if (!d.cfg.enabled) return this.edgeError(v, 403, 'the distribution is disabled');
    const country = this.geo.length ? countryOf(this.geo, v.viewerIp) : undefined;
    if (!geoAllows(d, country)) return this.edgeError(v, 403, 'the viewer country is blocked (geo restriction)');
    // DRO-01: only `/` itself is rewritten.
    const path = v.rawPath === '/' && d.cfg.defaultRootObject ? `/${d.cfg.defaultRootObject}` : v.rawPath;
    const beh = behaviourFor(d, path);
    const protocol = viewerProtocolDecision({
      policy: beh.cfg.viewerProtocolPolicy,
      scheme: viewerSchemeOf(req),
      method: v.method,
      host: req.headers.host,
      domainName: d.domainName,
      pathAndQuery: req.url ?? '/',
      httpsPort: this.opts.httpsPort ?? 0,
    });
    if (protocol.kind === 'redirect') return this.edgeResponse(v, 301, [['Location', protocol.location]], '');
    if (protocol.kind === 'forbid') return this.edgeError(v, 403, protocol.reason);
    if (!beh.allowedMethods.has(v.method)) return this.edgeError(v, 403, `method ${v.method} is not allowed here`);
    const signed = beh.cfg.trustedSigners.length > 0;
    const ownQuery = signed ? withoutSigningParams(v.rawQuery) : v.rawQuery;
    if (signed) {
      // SIG-01: the signed Resource is the URL the viewer asked for, scheme included.
      const base = (host: string) => `${viewerSchemeOf(req)}://${host}${v.rawPath}${ownQuery ? `?${ownQuery}` : ''}`;
      const resources = [base(req.headers.host ?? d.domainName)];
      if (req.headers.host !== d.domainName) resources.push(base(d.domainName));
      const check = verifySignedUrl({
        resources,
        rawQuery: v.rawQuery,
        viewerIp: v.viewerIp,
        now: Math.floor(Date.now() / 1000),
        trustedSigners: beh.cfg.trustedSigners,
        keys: this.keys,
      });
      if (!check.ok) return this.edgeError(v, 403, `access denied: ${check.reason}`);
    }
    const query = beh.cfg.forwardQueryString ? ownQuery : '';
    const originPath = query ? `${path}?${query}` : path;
    if (beh.origin.basePath.length + originPath.length > this.cfg.limits.maxUrlBytes) return this.edgeError(v, 414, 'URL too long', true);
    const cookies = forwardedCookies(req.headers.cookie, beh.rules.cookies, beh.isCookieWhitelisted);
    const cacheable = beh.cachedMethods.has(v.method);
    // Origin request headers are built only when the origin is asked (not on hits).
    const originHeaders = () => {
      const h = originRequestHeaders({
        method: v.method,
        rawHeaders: req.rawHeaders,
        rules: beh.rules,
        viewerIp: v.viewerIp,
        cfId: v.requestId,
        originHost: beh.origin.hostHeader,
        viewerCountry: country,
        cacheable,
        viewerScheme: viewerSchemeOf(req),
      });
      if (cookies.length) h['cookie'] = cookieHeaderOf(cookies);
      return h;
    };
    if (!cacheable) return this.guard(v, this.proxy(v, beh, originPath, originHeaders()));
    const key = cacheKey({
      distributionId: d.id,
      behaviourIndex: beh.index,
      path,
      query,
      cookies,
      headers: beh.rules.headers === 'whitelist' ? whitelistedHeaderValues(req.headers, beh.rules.headerWhitelist) : [],
      gzip: acceptsGzip(req.headers['accept-encoding']),
      method: v.method,
    });
    const obj = this.store.get(key);
    if (obj !== undefined && Date.now() < obj.freshUntil) return this.serveObject(v, obj, obj.isError ? 'Error' : 'Hit', false);
    // A HEAD that misses asks the origin with HEAD: there is no body to cache.
    if (v.method === 'HEAD') return this.guard(v, this.proxy(v, beh, originPath, originHeaders()));
    const spec: FetchSpec = {
      method: v.method === 'OPTIONS' ? 'OPTIONS' : 'GET',
      d,
      beh,
      key,
      invPath: invalidationPath(path, query),
      originPath,
      originHeaders: originHeaders(),
      requestCookieNames: new Set(parseCookieHeader(req.headers.cookie).map(([n]) => n)),
      viewerScheme: viewerSchemeOf(req),
    };
    this.joinFetch(spec, obj && !obj.isError ? obj : undefined, this.viewerSubscriber(v));
  }

  /** Collapsing: one fetch per cache key in flight; later viewers subscribe to it. */
  private joinFetch(spec: FetchSpec, stale: StoredObject | undefined, sub: FetchSubscriber & { fetch?: SharedFetch }): void {
    let f = this.cfg.cache.collapse ? this.inflight.get(spec.key) : undefined;
    if (!f) {
      f = new SharedFetch();
      if (this.cfg.cache.collapse) this.inflight.set(spec.key, f);
      const fetch = f;
      this.runFetch(fetch, spec, stale).catch((err: unknown) => {
        this.log.error({ err, path: spec.originPath }, 'edge fetch failed');
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

  private async runFetch(f: SharedFetch, spec: FetchSpec, stale: StoredObject | undefined): Promise<void> {
    const { d, beh } = spec;
    const stats = this.stats.get(d.id)!;
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
    const before = this.client.attempts;
    try {
      origin = await this.client.request(beh.origin, { method: spec.method, path: spec.originPath, headers, viewerScheme: spec.viewerScheme });
    } catch (err) {
      stats.originRequests += this.client.attempts - before;
      if (!(err instanceof OriginFailure)) throw err;
      this.log.warn({ origin: beh.origin.id, path: spec.originPath, attempts: err.attempts, status: err.status }, `origin failed: ${err.message}`);
      this.forget(f, spec.key);
      if (stale && staleOnErrorAllowed(stale.headers)) return this.serveStaleOnError(f, spec, stale, err.status, undefined);
      // ERR-03: the edge's own 502/504 is cached like an origin error.
      const body = Buffer.from(errorPage(err.status, 'the origin could not be reached'));
      const hdrs: [string, string][] = [['Content-Type', 'text/html'], ['Server', 'CloudFront'], ['Date', new Date().toUTCString()]];
      const ttl = errorMinTtl(d, err.status);
      const obj = this.makeObject(spec, err.status, hdrs, body, originPolicy(err.status, { 'cache-control': 'no-cache' }, spec.originPath), ttl, true);
      if (ttl > 0) this.store.set(obj);
      f.setHead({ kind: 'object', obj, result: 'Error', stale: false });
      return;
    }
    stats.originRequests += origin.attempts;
    const { res, req } = origin;
    const status = res.statusCode ?? 502;
    if (stale && status === 304) {
      res.resume();
      this.forget(f, spec.key);
      const refreshed = this.refreshObject(spec, stale, res.rawHeaders);
      f.setHead({ kind: 'object', obj: refreshed, result: 'RefreshHit', stale: false });
      return;
    }
    if (stale && status >= 500 && staleOnErrorAllowed(stale.headers)) {
      res.resume();
      this.forget(f, spec.key);
      return this.serveStaleOnError(f, spec, stale, status, res.headers);
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
    const split = splitResponseHeaders(res.rawHeaders, beh.rules.cookies, beh.isCookieWhitelisted, spec.requestCookieNames, forbidsCachingSetCookie(res.headers));
    const viewerHeaders: string[] = [];
    for (const [n, val] of split.viewer) viewerHeaders.push(n, val);
    viewerHeaders.push('Via', this.via, 'X-Amz-Cf-Pop', this.pop);
    if (contentLength !== undefined) viewerHeaders.push('Content-Length', String(contentLength));
    let retain = ttl !== null && (contentLength === undefined || contentLength <= this.store.maxObjectBytes);
    if (!retain) {
      f.dropRetained();
      this.forget(f, spec.key);
    }
    f.onAbandoned = () => {
      // ORG-07: every viewer left during a miss, so the object is not cached.
      req.destroy();
    };
    if (retain && contentLength !== undefined) f.expectLength(contentLength);
    f.setHead({ kind: 'stream', status, headers: viewerHeaders, contentLength, etag, lastModified, isError, ttl: ttl ?? undefined });
    let received = 0;
    const maxResponse = this.cfg.limits.maxResponseBytes;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxResponse) {
        // ORG-03: 20 GB at most.
        req.destroy(new Error('response larger than limits.maxResponseBytes'));
        return;
      }
      if (retain && received > this.store.maxObjectBytes) {
        retain = false;
        f.dropRetained();
        this.forget(f, spec.key);
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
        this.store.set(this.makeObject(spec, status, split.stored, body, policy, ttl, isError));
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
  private serveStaleOnError(f: SharedFetch, spec: FetchSpec, stale: StoredObject, status: number, headers: http.IncomingHttpHeaders | undefined): void {
    const minTtl = errorMinTtl(spec.d, status);
    const ttl = headers ? (errorTtl(originPolicy(status, headers, spec.originPath), minTtl) ?? 0) : minTtl;
    stale.freshUntil = Date.now() + ttl * 1000;
    f.setHead({ kind: 'object', obj: stale, result: 'Hit', stale: true });
  }

  private makeObject(spec: FetchSpec, status: number, headers: [string, string][], body: Buffer, policy: StoredObject['policy'], ttl: number, isError: boolean): StoredObject {
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

  private hitHeadersOf(obj: StoredObject): string[] {
    const h: string[] = [];
    for (const [n, val] of obj.headers) h.push(n, val);
    h.push('Via', this.via, 'X-Amz-Cf-Pop', this.pop, 'Content-Length', String(obj.body.length));
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
    this.store.set(obj);
    return obj;
  }

  // ---- answering viewers -----------------------------------------------------------------

  private viewerSubscriber(v: Viewer): FetchSubscriber & { fetch?: SharedFetch } {
    let mode: 'all' | 'none' | 'wait' | { start: number; end: number } = 'all';
    let sent = 0;
    const sub: FetchSubscriber & { fetch?: SharedFetch } = {
      head: (h: FetchHead) => {
        if (h.kind === 'object') {
          mode = 'none';
          v.res.off('close', leave);
          return this.serveObject(v, h.obj, h.result, h.stale);
        }
        v.result = h.isError ? 'Error' : 'Miss';
        v.ttl = h.ttl;
        if (h.isError && v.dist!.customErrors.get(h.status)?.pagePath) {
          mode = 'none';
          return this.guard(v, this.customErrorPage(v, h.status, () => this.edgeError(v, h.status, 'origin error')));
        }
        const rq = v.req.headers;
        if (h.status === 200 && (rq['if-none-match'] !== undefined || rq['if-modified-since'] !== undefined)) {
          if (notModified(headerText(rq['if-none-match']), headerText(rq['if-modified-since']), h.etag, h.lastModified)) {
            mode = 'none';
            return this.send304(v, pairsOf(h.headers));
          }
        }
        if (h.status === 200 && rq.range !== undefined && ifRangeAllows(headerText(rq['if-range']), h.etag, h.lastModified)) {
          if (h.contentLength === undefined) {
            mode = 'wait'; // length unknown until the end: answer from the whole body
            return;
          }
          const r = decideRange(rq.range, h.contentLength);
          if (r.kind === 'partial' && r.ranges.length === 1) {
            const { start, end } = r.ranges[0]!;
            mode = { start, end };
            const headers = replaceHeader(h.headers, 'Content-Length', String(end - start + 1));
            headers.push('Content-Range', `bytes ${start}-${end}/${h.contentLength}`);
            return this.writeStreamHead(v, h, 206, headers);
          }
          if (r.kind !== 'full') {
            mode = 'wait';
            return;
          }
        }
        this.writeStreamHead(v, h, h.status, h.headers);
      },
      data: (chunk: Buffer) => {
        if (mode === 'all') v.res.write(chunk);
        else if (typeof mode === 'object') {
          const from = Math.max(mode.start - sent, 0);
          const to = Math.min(mode.end + 1 - sent, chunk.length);
          if (to > from) v.res.write(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
        }
        sent += chunk.length;
      },
      end: (body: Buffer | undefined) => {
        v.res.off('close', leave);
        if (mode === 'wait') {
          const h = sub.fetch?.head;
          if (body && h && h.kind === 'stream') return this.serveBody(v, 200, h.headers, body, h.etag, h.lastModified);
          return void v.res.destroy();
        }
        if (mode !== 'none') v.res.end();
      },
      fail: () => {
        v.res.off('close', leave);
        if (mode === 'none') return;
        if (!v.res.headersSent) return this.edgeError(v, 502, 'the origin transfer broke off');
        v.result = 'Error';
        v.res.destroy();
      },
    };
    const leave = () => sub.fetch?.unsubscribe(sub);
    v.res.once('close', leave);
    return sub;
  }

  private writeStreamHead(v: Viewer, h: Extract<FetchHead, { kind: 'stream' }>, status: number, base: string[]): void {
    const headers = base.slice();
    headers.push('X-Cache', X_CACHE[h.isError ? 'Error' : 'Miss'], 'X-Amz-Cf-Id', v.requestId);
    v.res.writeHead(status, headers);
  }

  /** A hit (or RefreshHit, stale copy, cached error) from a complete stored object. */
  private serveObject(v: Viewer, obj: StoredObject, result: ResultType, stale: boolean): void {
    v.result = result;
    v.ttl = obj.ttl;
    const now = Date.now();
    const age = String(Math.max(0, Math.floor(obj.initialAge + (now - obj.receivedAt) / 1000)));
    if (obj.isError && v.dist!.customErrors.get(obj.status)?.pagePath) {
      return this.guard(v, this.customErrorPage(v, obj.status, () => this.writeObject(v, obj, result, age, stale)));
    }
    const rq = v.req.headers;
    if (obj.status === 200 && !obj.isError) {
      if (rq['if-none-match'] !== undefined || rq['if-modified-since'] !== undefined) {
        if (notModified(headerText(rq['if-none-match']), headerText(rq['if-modified-since']), obj.etag, obj.lastModified)) {
          return this.send304(v, obj.headers, ['Age', age, 'X-Cache', X_CACHE[result]]);
        }
      }
      if (rq.range !== undefined && v.method === 'GET' && ifRangeAllows(headerText(rq['if-range']), obj.etag, obj.lastModified)) {
        return this.serveRange(v, obj.hitHeaders, obj.body, ['Age', age, 'X-Cache', X_CACHE[result], 'X-Amz-Cf-Id', v.requestId]);
      }
    }
    this.writeObject(v, obj, result, age, stale);
  }

  private writeObject(v: Viewer, obj: StoredObject, result: ResultType, age: string, stale: boolean): void {
    const headers = obj.hitHeaders.concat('X-Cache', X_CACHE[result], 'Age', age, 'X-Amz-Cf-Id', v.requestId);
    if (stale) headers.push('Warning', '110 - "Response is Stale"');
    v.res.writeHead(obj.status, headers);
    v.res.end(v.method === 'HEAD' ? undefined : obj.body);
  }

  /** A Miss answered from the complete body (a range or conditional whose length was unknown). */
  private serveBody(v: Viewer, status: number, baseHeaders: string[], body: Buffer, etag?: string, lastModified?: string): void {
    const rq = v.req.headers;
    const base = replaceHeader(baseHeaders, 'Content-Length', String(body.length));
    if (status === 200 && rq.range !== undefined && ifRangeAllows(headerText(rq['if-range']), etag, lastModified)) {
      return this.serveRange(v, base, body, ['X-Cache', X_CACHE.Miss, 'X-Amz-Cf-Id', v.requestId]);
    }
    v.res.writeHead(status, base.concat('X-Cache', X_CACHE.Miss, 'X-Amz-Cf-Id', v.requestId));
    v.res.end(body);
  }

  /** RNG-01/02 from a whole body: 206 for ordered ranges (multipart for several), 200 otherwise, 416 beyond the end. */
  private serveRange(v: Viewer, baseHeaders: string[], body: Buffer, extra: string[]): void {
    const r = decideRange(headerText(v.req.headers.range), body.length);
    if (r.kind === 'full') {
      v.res.writeHead(200, baseHeaders.concat(extra));
      return void v.res.end(body);
    }
    if (r.kind === 'unsatisfiable') {
      const h = replaceHeader(baseHeaders, 'Content-Length', '0');
      h.push('Content-Range', `bytes */${body.length}`, ...extra);
      v.res.writeHead(416, h);
      return void v.res.end();
    }
    if (r.ranges.length === 1) {
      const { start, end } = r.ranges[0]!;
      const h = replaceHeader(baseHeaders, 'Content-Length', String(end - start + 1));
      h.push('Content-Range', `bytes ${start}-${end}/${body.length}`, ...extra);
      v.res.writeHead(206, h);
      return void v.res.end(body.subarray(start, end + 1));
    }
    const boundary = `CloudFront-${v.requestId.slice(0, 16)}`;
    const type = headerValue(pairsOf(baseHeaders), 'content-type');
    const parts: Buffer[] = [];
    for (const { start, end } of r.ranges) {
      parts.push(Buffer.from(`\r\n--${boundary}\r\n${type ? `Content-Type: ${type}\r\n` : ''}Content-Range: bytes ${start}-${end}/${body.length}\r\n\r\n`));
      parts.push(body.subarray(start, end + 1));
    }
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
    const payload = Buffer.concat(parts);
    const h = replaceHeader(replaceHeader(baseHeaders, 'Content-Length', String(payload.length)), 'Content-Type', `multipart/byteranges; boundary=${boundary}`);
    v.res.writeHead(206, h.concat(extra));
    v.res.end(payload);
  }

  /** CND-02: 304 with the validators and caching headers of the copy. */
  private send304(v: Viewer, stored: readonly [string, string][], extra: string[] = []): void {
    const h: string[] = [];
    for (const [n, val] of stored) if (NOT_MODIFIED_HEADERS.has(n.toLowerCase())) h.push(n, val);
    h.push('Via', this.via, 'X-Amz-Cf-Pop', this.pop, ...extra);
    if (!extra.includes('X-Cache')) h.push('X-Cache', X_CACHE[v.result]);
    h.push('X-Amz-Cf-Id', v.requestId);
    v.res.writeHead(304, h);
    v.res.end();
  }

  /**
   * ERR-05: the configured page, fetched through the first behaviour that matches its path and
   * cached like any object, sent with the configured status. If the page cannot be had, the
   * viewer gets the page fetch's status.
   */
  private async customErrorPage(v: Viewer, status: number, fallback: () => void): Promise<void> {
    const d = v.dist!;
    const page = d.customErrors.get(status);
    if (!page?.pagePath) return fallback();
    v.result = 'Error';
    const got = await this.internalGet(d, page.pagePath);
    if (v.res.destroyed) return;
    if (got.status !== 200) {
      v.res.writeHead(got.status, got.headers.concat('X-Cache', X_CACHE.Error, 'X-Amz-Cf-Id', v.requestId));
      return void v.res.end(v.method === 'HEAD' ? undefined : got.body);
    }
    const headers = replaceHeader(got.headers, 'Content-Length', String(got.body.length));
    v.res.writeHead(page.responseCode ?? status, headers.concat('X-Cache', X_CACHE.Error, 'X-Amz-Cf-Id', v.requestId));
    v.res.end(v.method === 'HEAD' ? undefined : got.body);
  }

  /** GET of an edge-internal object (custom error pages) through the cache. */
  private internalGet(d: RuntimeDistribution, path: string): Promise<{ status: number; headers: string[]; body: Buffer }> {
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
    if (cached && Date.now() < cached.freshUntil) return Promise.resolve({ status: cached.status, headers: cached.hitHeaders, body: cached.body });
    return new Promise((resolve) => {
      let head: FetchHead | undefined;
      const sub: FetchSubscriber = {
        head: (h) => {
          head = h;
          if (h.kind === 'object') resolve({ status: h.obj.status, headers: h.obj.hitHeaders, body: h.obj.body });
        },
        data: () => {},
        end: (body) => {
          if (head?.kind === 'stream') resolve({ status: head.status, headers: head.headers, body: body ?? Buffer.alloc(0) });
        },
        fail: () => resolve({ status: 502, headers: [], body: Buffer.from(errorPage(502, 'custom error page unavailable')) }),
      };
      this.joinFetch(spec, cached && !cached.isError ? cached : undefined, sub);
    });
  }

  /** Methods that are not cached (POST, PUT, …, OPTIONS unless cached, forward-all headers, HEAD misses): relayed as they are. */
  private async proxy(v: Viewer, beh: RuntimeBehaviour, originPath: string, headers: Record<string, string>): Promise<void> {
    const d = v.dist!;
    v.result = 'Miss';
    const rq = v.req.headers;
    const hasBody = rq['content-length'] !== undefined ? rq['content-length'] !== '0' : rq['transfer-encoding'] !== undefined;
    if (hasBody) {
      if (rq['content-length'] !== undefined) headers['content-length'] = rq['content-length'];
      else headers['transfer-encoding'] = 'chunked';
    }
    const stats = this.stats.get(d.id)!;
    let origin;
    const before = this.client.attempts;
    try {
      origin = await this.client.request(beh.origin, { method: v.method, path: originPath, headers, body: hasBody ? v.req : undefined, viewerScheme: viewerSchemeOf(v.req) });
    } catch (err) {
      stats.originRequests += this.client.attempts - before;
      if (!(err instanceof OriginFailure)) throw err;
      return this.edgeError(v, err.status, 'the origin could not be reached');
    }
    stats.originRequests += origin.attempts;
    const { res, req } = origin;
    if (v.res.destroyed) return void req.destroy();
    const status = res.statusCode ?? 502;
    const split = splitResponseHeaders(res.rawHeaders, beh.rules.cookies, beh.isCookieWhitelisted, new Set(), true);
    const out: string[] = [];
    for (const [n, val] of split.viewer) out.push(n, val);
    const cl = headerText(res.headers['content-length']);
    if (cl !== undefined) out.push('Content-Length', cl);
    const isError = status >= 400;
    v.result = isError ? 'Error' : 'Miss';
    out.push('Via', this.via, 'X-Amz-Cf-Pop', this.pop, 'X-Cache', X_CACHE[v.result], 'X-Amz-Cf-Id', v.requestId);
    v.res.writeHead(status, out);
    res.pipe(v.res);
    res.once('close', () => {
      if (!res.complete) v.res.destroy();
    });
    v.res.once('close', () => {
      if (!res.complete) req.destroy();
    });
  }

  /** An error made by the edge itself (403, 413, 414, 502, 504 …), through custom error pages (ERR-05). */
  private edgeError(v: Viewer, status: number, message: string, closeConnection = false): void {
    v.result = 'Error';
    const send = () => {
      const headers: [string, string][] = [['Content-Type', 'text/html']];
      if (closeConnection) headers.push(['Connection', 'close']);
      this.edgeResponse(v, status, headers, errorPage(status, message));
    };
    if (v.dist?.customErrors.get(status)?.pagePath) return this.guard(v, this.customErrorPage(v, status, send));
    send();
  }

  private edgeResponse(v: Viewer, status: number, extra: [string, string][], body: string): void {
    const b = Buffer.from(body);
    const h: string[] = ['Server', 'CloudFront', 'Content-Length', String(b.length)];
    for (const [n, val] of extra) h.push(n, val);
    if (status >= 400) v.result = 'Error';
    h.push('Via', this.via, 'X-Amz-Cf-Pop', this.pop, 'X-Cache', X_CACHE[v.result], 'X-Amz-Cf-Id', v.requestId);
    v.res.writeHead(status, h);
    v.res.end(v.method === 'HEAD' ? undefined : b);
  }

  /** An async step of a request that failed unexpectedly: 502 if nothing was sent yet, else the connection is cut. */
  private guard(v: Viewer, work: Promise<void>): void {
    work.catch((err: unknown) => {
      this.log.error({ err, url: v.req.url }, 'edge request failed');
      if (!v.res.headersSent) this.edgeResponse(v, 502, [['Content-Type', 'text/html']], errorPage(502, 'internal edge error'));
      else v.res.destroy();
    });
  }

  /** Logged and counted when the response closes (LOG-04: `000` if the viewer left before the status was sent). */
  private finished(v: Viewer): void {
    const d = v.dist;
    if (!d) return;
    const { res, req } = v;
    const done = res.writableFinished;
    const status = res.headersSent ? res.statusCode : 0;
    const result: ResultType = done ? v.result : 'Error';
    const scBytes = v.socket.bytesWritten - v.bytesWrittenAtStart;
    const csBytes = v.headerBytes + Math.max(0, v.socket.bytesRead - v.bytesReadAtStart);
    this.stats.get(d.id)!.record({ method: v.method, status, result, scBytes, csBytes, url: v.rawPath, ttl: v.ttl });
    const writer = this.logs.get(d.id);
    if (!writer) return;
    const h = req.headers;
    writer.add({
      finishedAt: Date.now(),
      edgeLocation: this.pop,
      scBytes,
      clientIp: v.viewerIp,
      method: v.method,
      distributionDomain: d.domainName,
      uriStem: v.rawPath,
      status,
      referer: headerText(h.referer),
      userAgent: headerText(h['user-agent']),
      query: v.rawQuery,
      cookie: this.cfg.logs.includeCookies ? headerText(h.cookie) : undefined,
      resultType: result,
      requestId: v.requestId,
      hostHeader: headerText(h.host),
      protocol: viewerSchemeOf(req),
      csBytes,
      timeTaken: (performance.now() - v.startedAt) / 1000,
    });
  }

  // ---- the edge's own endpoints ----------------------------------------------------------

  private serveStats(v: Viewer): void {
    const cacheFigures = {
      objects: this.store.size,
      bytes: this.store.bytes,
      maxBytes: this.store.maxBytes,
      evictions: this.store.evictions,
      inFlight: this.inflight.size,
    };
    const snaps = [...this.stats.values()].map((s) => s.snapshot());
    const wantsProm = v.rawPath === '/_edge/metrics' || /(^|&)format=prometheus(&|$)/.test(v.rawQuery);
    if (v.rawPath !== '/_edge/stats' && v.rawPath !== '/_edge/metrics') {
      v.res.writeHead(404, { 'Content-Type': 'text/plain' });
      return void v.res.end('not found\n');
    }
    if (wantsProm) {
      v.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Cache-Control': 'no-store' });
      return void v.res.end(prometheusText(snaps, cacheFigures));
    }
    const total = {
      requests: snaps.reduce((n, s) => n + s.requests, 0),
      bytesDownloaded: snaps.reduce((n, s) => n + s.bytesDownloaded, 0),
      originRequests: snaps.reduce((n, s) => n + s.originRequests, 0),
    };
    v.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    v.res.end(JSON.stringify({ edgeLocation: this.pop, cache: cacheFigures, total, distributions: snaps }, null, 2));
  }

  /** SPEC INV-06 control API, enabled only with edge.adminToken (`Authorization: Bearer <token>`). */
  private async serveControl(v: Viewer): Promise<void> {
    const send = (status: number, xml: string, extra: Record<string, string> = {}) => {
      v.res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amz-request-id': v.requestId, ...extra });
      v.res.end(xml);
    };
    const fail = (status: number, code: string, message: string) => send(status, errorXml(status >= 500 ? 'Receiver' : 'Sender', code, message, v.requestId));
    const token = this.cfg.adminToken;
    if (!token) return fail(403, 'AccessDenied', 'the control API is disabled: set edge.adminToken');
    const auth = headerText(v.req.headers.authorization) ?? '';
    const given = Buffer.from(auth.replace(/^Bearer\s+/i, ''));
    const want = Buffer.from(token);
    if (!/^Bearer\s+/i.test(auth) || given.length !== want.length || !timingSafeEqual(given, want)) {
      return fail(403, 'AccessDenied', 'missing or wrong Authorization: Bearer token');
    }
    const m = /^\/2014-10-21\/distribution\/([^/]+)\/invalidation(?:\/([^/]+))?\/?$/.exec(v.rawPath);
    if (!m) return fail(404, 'NotFound', 'unknown control API path');
    const d = this.byId.get(decodeURIComponent(m[1]!));
    if (!d) return fail(404, 'NoSuchDistribution', `no distribution ${m[1]}`);
    const book = this.books.get(d.id)!;
    const invId = m[2];
    try {
      if (v.method === 'POST' && !invId) {
        const body = await readBody(v.req, 1024 * 1024);
        const batch = parseInvalidationBatch(body);
        for (const p of batch.paths) {
          const pathOnly = p.split('?')[0]!;
          if (behaviourFor(d, pathOnly).cfg.smoothStreaming) {
            throw new InvalidationError(400, 'InvalidArgument', `${p} is served by a Smooth Streaming behaviour and cannot be invalidated (SPEC INV-01)`);
          }
        }
        const { record, created } = book.create(batch);
        if (created) {
          let removed = 0;
          for (const p of record.paths) removed += this.store.invalidate(d.keyPrefix, p);
          this.stats.get(d.id)!.countInvalidationPaths(record.paths.length);
          this.log.info({ distribution: d.id, invalidation: record.id, paths: record.paths.length, removed }, 'invalidation');
        }
        const location = `http://${v.req.headers.host ?? 'localhost'}/${API_VERSION}/distribution/${d.id}/invalidation/${record.id}`;
        return send(201, invalidationXml(record, book.status(record)), { Location: location });
      }
      if (v.method === 'GET' && invId) {
        const r = book.get(invId);
        if (!r) return fail(404, 'NoSuchInvalidation', `no invalidation ${invId}`);
        return send(200, invalidationXml(r, book.status(r)));
      }
      if (v.method === 'GET') {
        const params = new URLSearchParams(v.rawQuery);
        const maxItems = Math.min(Math.max(Number(params.get('MaxItems') ?? 100) || 100, 1), 100);
        const marker = params.get('Marker') ?? '';
        const all = book.list();
        const from = marker ? all.findIndex((r) => r.id === marker) + 1 : 0;
        const page = all.slice(from, from + maxItems);
        const next = from + maxItems < all.length ? page[page.length - 1]?.id : undefined;
        return send(200, invalidationListXml(page.map((r) => ({ r, status: book.status(r) })), marker, maxItems, next));
      }
      return fail(405, 'MethodNotAllowed', `${v.method} is not supported here`);
    } catch (err) {
      if (err instanceof InvalidationError) return fail(err.httpStatus, err.code, err.message);
      throw err;
    }
  }
}

// ---- small helpers --------------------------------------------------------------------------

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function headerValue(pairs: readonly [string, string][], lowerName: string): string | undefined {
  for (const [n, v] of pairs) if (n.toLowerCase() === lowerName) return v;
  return undefined;
}

function pairsOf(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** A copy of a flat header list with `name` set to `value` (added if absent). */
function replaceHeader(flat: readonly string[], name: string, value: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i]!.toLowerCase() !== lower) out.push(flat[i]!, flat[i + 1]!);
  out.push(name, value);
  return out;
}

function viewerIpOf(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** ORG-03: request line plus headers, as the viewer sent them. */
function requestHeaderBytes(req: http.IncomingMessage): number {
  let n = (req.method?.length ?? 3) + (req.url?.length ?? 1) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length + 2;
  return n + 2;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        reject(new InvalidationError(400, 'MalformedInput', 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** CloudFront-style error body. */
export function errorPage(status: number, message: string): string {
  const text = http.STATUS_CODES[status] ?? 'Error';
  return (
    `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n` +
    `<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>\n` +
    `<H1>${status} ${text}</H1>\n<H2>The request could not be satisfied.</H2>\n<P>${message.replace(/[<>&]/g, '')}</P>\n` +
    `<HR noshade size="1px">\nGenerated by cloudfront (CloudFront)\n</BODY></HTML>\n`
  );
}
