// The edge's HTTP wiring, stage by stage over one RequestContext: recv (recv.ts: limits, Host,
// the canonical request) → viewer checks (viewer-checks.ts) → lookup (cache key, store) →
// hit / miss / pass → fetch (fetch.ts: collapsed origin fetch, stale on error) → deliver
// (deliver.ts: every answer and CloudFront's headers) → log (log-stage.ts). The control API and
// /_edge endpoints are routed apart from the viewer path.
import http from 'node:http';
import type { Logger } from '../log.js';
import type { EdgeConfig } from '../config/edge.js';
import { behaviourFor, hostRouter, type HostRoute, geoTable, type RuntimeDistribution } from './distribution.js';
import { cacheKey, invalidationPath } from './cache-key.js';
import {
  forwardedCookies,
  cookieHeaderOf,
  dropConnectionNominated,
  keyedHeadersOf,
  originRequestHeaders,
  parseCookieHeader,
} from './forwarding.js';
import { recv, requestHeaderBytes, type CanonicalRequest, type ParsedHost, type RecvLimits } from './recv.js';
import { HttpError } from '../result.js';
import { viewerChecks } from './viewer-checks.js';
import { logAndCount } from './log-stage.js';
import { Fetcher, type FetchSpec } from './fetch.js';
import { serveEdgeEndpoint } from './edge-endpoints.js';
import { headerText, replaceHeader } from '../http/headers.js';
import type { DistributionRecord, RequestContext } from './context.js';
import { Deliver, errorPage } from './deliver.js';
import { ObjectStore, type StoredObject } from './store.js';
import { OriginClient } from './origin-client.js';
import type { FetchHead, FetchSubscriber, SharedFetch } from './shared-fetch.js';
import { loadSigningKey, type SigningKey } from './signed-urls.js';
import { AccessLogWriter, type ResultType } from './access-log.js';
import { RealtimeLogWriter } from './realtime-log.js';
import { DistributionStats } from './stats.js';
import { newRequestId } from './request-id.js';
import { fullGcHint } from './gc-hint.js';
import { viewerSchemeOf } from './viewer-protocol.js';
import { normalizeAddress } from '../net/address.js';
import { createControlApi, type ControlApi } from './control/index.js';
import { apiVersionOf } from './control/routes.js';
import { isPreflight } from './policies/response-headers.js';

type Viewer = RequestContext;

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
  /** One record per distribution, by id: configuration, counters, invalidations, access log. */
  readonly records = new Map<string, DistributionRecord>();
  /** The control API (SPEC INV-06): every `/2014-10-21/…` and `/2020-05-31/…` request. */
  readonly control: ControlApi;
  /** Optional real-time log lines (edge.realtimeLog). */
  private readonly realtime?: RealtimeLogWriter;
  private readonly fetcher: Fetcher;
  private readonly route: (host: ParsedHost | undefined) => HostRoute;
  private readonly fallback: DistributionRecord;
  private readonly recvLimits: RecvLimits;
  /** The edge answers several ranges as multipart/byteranges, up to limits.maxRanges (more get the whole object). */
  private readonly rangeOptions: { multipart: true; maxRanges: number };
  private readonly deliver: Deliver;
  /** `host:port` names of the edge's own listener (set once it listens): they name the first distribution. */
  localAuthorities: string[] = [];
  private readonly keys: Map<string, SigningKey>;
  private readonly geo: { match: (ip: string) => boolean; country: string }[];
  private readonly cfg: EdgeConfig;
  private readonly log: Logger;

  constructor(private readonly opts: EdgeServerOptions) {
    this.cfg = opts.cfg;
    this.log = opts.log;
    const maxObject = opts.cfg.cache.maxObjectBytes ?? Math.floor(opts.cfg.cache.maxBytes / 8);
    this.store = new ObjectStore(opts.cfg.cache.maxBytes, maxObject, fullGcHint(), opts.cfg.cache.maxObjects);
    this.route = hostRouter(opts.distributions, () => this.localAuthorities);
    this.rangeOptions = { multipart: true, maxRanges: opts.cfg.limits.maxRanges };
    this.recvLimits = { maxRequestBytes: opts.cfg.limits.maxRequestBytes, maxHeaderCount: opts.cfg.limits.maxHeaderCount };
    this.keys = new Map(opts.cfg.keyPairs.map((k) => [k.id, loadSigningKey(k)]));
    this.geo = geoTable(opts.cfg);
    this.deliver = new Deliver(opts.cfg.edgeLocation, this.rangeOptions);
    for (const d of opts.distributions) {
      this.records.set(d.id, {
        dist: d,
        stats: new DistributionStats(d.id),
        accessLog: opts.logDir
          ? new AccessLogWriter(opts.logDir, opts.cfg.logs.prefix, d.id, opts.cfg.logs.flushSeconds, this.log)
          : undefined,
      });
    }
    this.fallback = this.records.get(opts.distributions[0]!.id)!;
    if (opts.cfg.realtimeLog.enabled) this.realtime = new RealtimeLogWriter(opts.cfg.realtimeLog, this.log);
    const distOf = (id: string) => this.records.get(id)!.dist;
    this.control = createControlApi({
      cfg: opts.cfg,
      distributions: opts.distributions.map((d) => {
        const o = d.defaultBehaviour.origin;
        return { id: d.id, cfg: d.cfg, defaultOriginUrl: `http://${o.hostHeader}${o.basePath}` };
      }),
      removeFromCache: (id, matches) => this.store.removeMatching(distOf(id).keyPrefix, matches),
      isSmoothStreamingPath: (id, path) => behaviourFor(distOf(id), path).cfg.smoothStreaming,
      onInvalidated: (id, n) => this.records.get(id)!.stats.countInvalidationPaths(n),
      log: this.log,
    });
    this.fetcher = new Fetcher({
      cfg: this.cfg,
      log: this.log,
      store: this.store,
      client: this.client,
      deliver: this.deliver,
      statsOf: (d) => this.records.get(d.id)!.stats,
    });
  }

  /** Origin requests made so far, retries included. */
  get originRequests(): number {
    return this.client.attempts;
  }

  async close(): Promise<void> {
    this.client.close();
    await Promise.all([...this.records.values()].map((r) => r.accessLog?.close()));
    await this.realtime?.close();
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
      viewerIp: normalizeAddress(socket.remoteAddress),
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      result: 'Miss',
    };
    // Stage 1 (recv): limits, Host, the canonical request. A refusal is answered here, never forwarded.
    try {
      v.creq = recv(req, v.headerBytes, this.recvLimits, this.route);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      v.rec = this.fallback;
      this.observe(v);
      return this.edgeError(v, err.status, err.message, err.status !== 400);
    }
    v.rec = this.records.get(v.creq.dist.id)!;
    const path = (v.path = v.creq.path);
    if (path.startsWith('/_edge/')) {
      const cache = {
        objects: this.store.size,
        bytes: this.store.bytes,
        maxBytes: this.store.maxBytes,
        evictions: this.store.evictions,
        inFlight: this.fetcher.inFlight,
      };
      return serveEdgeEndpoint(
        v,
        this.deliver.pop,
        cache,
        [...this.records.values()].map((r) => r.stats.snapshot()),
      );
    }
    // Control API paths are never viewer requests, whatever follows the version. `path` is
    // already canonical, so the version is read from it directly (isControlApiPath would
    // canonicalise it a second time on every hit).
    if (apiVersionOf(path) !== undefined) return this.control(req, res);
    this.observe(v);
    try {
      this.viewerRequest(v, v.creq);
    } catch (err) {
      this.log.error({ err, url }, 'edge request failed');
      if (!res.headersSent) this.edgeError(v, 502, 'internal edge error');
      else res.destroy();
    }
  };

  // ---- viewer requests -------------------------------------------------------------------

  private viewerRequest(v: Viewer, c: CanonicalRequest): void {
    const { req } = v;
    const d = c.dist;
    const scheme = viewerSchemeOf(req);
    // Stage 2: viewer checks.
    const check = viewerChecks(c, v.viewerIp, headerText(req.headers.host), req.url ?? '/', {
      geo: this.geo,
      keys: this.keys,
      now: Math.floor(Date.now() / 1000),
      scheme,
      httpsPort: this.opts.httpsPort ?? 0,
    });
    if (check.kind !== 'pass') {
      // A refusal or redirect is an answer of the behaviour the path matches: its response headers policy applies.
      v.headersPolicy = behaviourFor(d, c.path).responseHeaders;
      if (check.kind === 'refuse') return this.edgeError(v, check.error.status, check.error.message);
      return this.deliver.edgeMade(v, 301, [['Location', check.location]], '');
    }
    const { beh, path, ownQuery, country } = check;
    v.headersPolicy = beh.responseHeaders;
    if (
      beh.responseHeaders?.corsConfig &&
      isPreflight(v.method, headerText(req.headers.origin), headerText(req.headers['access-control-request-method']))
    ) {
      v.result = 'Hit'; // answered by the edge's response headers policy, never by the origin
      return this.deliver.edgeMade(v, 200, [], '');
    }
    // Stage 3: lookup (cache key, store, collapsing). The plan says what is forwarded and what keyed.
    const query = beh.query.keyed(ownQuery);
    const originQuery = beh.query.forwarded(ownQuery);
    const originPath = originQuery ? `${path}?${originQuery}` : path;
    if (beh.origin.basePath.length + originPath.length > this.cfg.limits.maxUrlBytes) return this.edgeError(v, 414, 'URL too long', true);
    const cookies = forwardedCookies(req.headers.cookie, beh.rules.cookies, beh.isCookieWhitelisted);
    const cacheable = beh.cachedMethods.has(v.method);
    const originHeaders = originRequestHeaders({
      method: v.method,
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
    if (!cacheable)
      return this.guard(
        v,
        this.fetcher.pass(v, beh, originPath, originHeaders, (status) => this.edgeError(v, status, 'the origin could not be reached')),
      );
    const coding = originHeaders['accept-encoding'];
    const key = cacheKey({
      distributionId: d.id,
      behaviourIndex: beh.index,
      path,
      query,
      cookies: beh.rules.policy ? cookies.filter(([n]) => beh.isCookieKeyed(n)) : cookies,
      headers: keyedHeadersOf(originHeaders, beh.rules),
      gzip: coding !== undefined && coding.includes('gzip'),
      brotli: coding !== undefined && coding.startsWith('br'),
      method: v.method,
    });
    const obj = this.store.get(key);
    if (obj !== undefined) {
      const now = Date.now();
      if (now < obj.freshUntil) return this.serveObject(v, obj, obj.isError ? 'Error' : 'Hit', false);
      // ERR-04: the origin failed a moment ago; within the error TTL the stale copy is the answer.
      if (obj.staleUntil !== undefined && now < obj.staleUntil) return this.serveObject(v, obj, 'Hit', true);
    }
    // A HEAD that misses asks the origin with HEAD: there is no body to cache.
    if (v.method === 'HEAD')
      return this.guard(
        v,
        this.fetcher.pass(v, beh, originPath, originHeaders, (status) => this.edgeError(v, status, 'the origin could not be reached')),
      );
    const spec: FetchSpec = {
      method: v.method === 'OPTIONS' ? 'OPTIONS' : 'GET',
      d,
      beh,
      key,
      invPath: invalidationPath(path, query),
      originPath,
      originHeaders,
      requestCookieNames: new Set(parseCookieHeader(req.headers.cookie).map(([n]) => n)),
      viewerScheme: scheme,
    };
    this.fetcher.join(spec, obj && !obj.isError ? obj : undefined, this.viewerSubscriber(v));
  }

  // ---- answering viewers -----------------------------------------------------------------

  /** Stage deliver for a viewer of a (collapsed) fetch; custom error pages and edge errors stay with the server. */
  private viewerSubscriber(v: Viewer): FetchSubscriber & { fetch?: SharedFetch } {
    const sub = this.deliver.subscriber(v, {
      object: (obj, result, stale) => this.serveObject(v, obj, result, stale),
      errorPage: (status) => {
        if (!v.rec!.dist.customErrors.get(status)?.pagePath) return false;
        this.guard(
          v,
          this.customErrorPage(v, status, () => this.edgeError(v, status, 'origin error')),
        );
        return true;
      },
      brokeOff: () => this.edgeError(v, 502, 'the origin transfer broke off'),
    });
    const head = sub.head;
    sub.head = (h) => {
      if (sub.fetch?.failedOver) v.failover = true; // an origin group's secondary answered (log, stats)
      head(h);
    };
    return sub;
  }

  /** A hit (or RefreshHit, stale copy, cached error) from a complete stored object; cached errors may have a page (ERR-05). */
  private serveObject(v: Viewer, obj: StoredObject, result: ResultType, stale: boolean): void {
    v.result = result;
    v.ttl = obj.ttl;
    if (obj.isError && v.rec!.dist.customErrors.get(obj.status)?.pagePath) {
      const age = String(Math.max(0, Math.floor(obj.initialAge + (Date.now() - obj.receivedAt) / 1000)));
      return this.guard(
        v,
        this.customErrorPage(v, obj.status, () => this.deliver.whole(v, obj, result, age, stale)),
      );
    }
    this.deliver.object(v, obj, result, stale);
  }

  /**
   * ERR-05: the configured page, fetched through the first behaviour that matches its path and
   * cached like any object, sent with the configured status. If the page cannot be had, the
   * viewer gets the page fetch's status.
   */
  private async customErrorPage(v: Viewer, status: number, fallback: () => void): Promise<void> {
    const d = v.rec!.dist;
    const page = d.customErrors.get(status);
    if (!page?.pagePath) return fallback();
    v.result = 'Error';
    const got = await this.internalGet(d, page.pagePath);
    if (v.res.destroyed) return;
    if (got.status !== 200) {
      return this.deliver.page(v, got.status, got.headers, got.body);
    }
    const headers = replaceHeader(got.headers, 'Content-Length', String(got.body.length));
    this.deliver.page(v, page.responseCode ?? status, headers, got.body);
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
    if (cached && Date.now() < cached.freshUntil)
      return Promise.resolve({ status: cached.status, headers: cached.hitHeaders, body: cached.body });
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
      this.fetcher.join(spec, cached && !cached.isError ? cached : undefined, sub);
    });
  }

  /** An error made by the edge itself (403, 413, 414, 502, 504 …), through custom error pages (ERR-05). */
  private edgeError(v: Viewer, status: number, message: string, closeConnection = false): void {
    v.result = 'Error';
    const send = () => {
      const headers: [string, string][] = [['Content-Type', 'text/html']];
      if (closeConnection) headers.push(['Connection', 'close']);
      this.deliver.edgeMade(v, status, headers, errorPage(status, message));
    };
    if (v.rec?.dist.customErrors.get(status)?.pagePath) return this.guard(v, this.customErrorPage(v, status, send));
    send();
  }

  /** An async step of a request that failed unexpectedly: 502 if nothing was sent yet, else the connection is cut. */
  private guard(v: Viewer, work: Promise<void>): void {
    work.catch((err: unknown) => {
      this.log.error({ err, url: v.req.url }, 'edge request failed');
      if (!v.res.headersSent) this.deliver.edgeMade(v, 502, [['Content-Type', 'text/html']], errorPage(502, 'internal edge error'));
      else v.res.destroy();
    });
  }

  /** Stage log: what the response said and when, counted and logged when it closes. */
  private observe(v: Viewer): void {
    // deliver.ts notes the head's facts into v.response as it writes it (see Deliver.head).
    if (v.rec?.accessLog || this.realtime) v.response = {};
    v.res.once('close', () => logAndCount(v, this.deliver.pop, this.cfg.logs.includeCookies, this.realtime));
  }
}

// ---- small helpers --------------------------------------------------------------------------
