// The edge's HTTP wiring, stage by stage over one RequestContext: recv (recv.ts: limits, Host,
// the canonical request) → viewer checks (viewer-checks.ts) → lookup (lookup.ts: cache key,
// store → hit / miss / pass) → fetch (fetch.ts: collapsed origin fetch, stale on error) → deliver
// (deliver.ts: every answer and CloudFront's headers; error-pages.ts: custom error pages) → log
// (log-stage.ts). This file only wires them; the control API and /_edge endpoints are routed apart
// from the viewer path.
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { EdgeConfig } from '../config/edge.js';
import { behaviourFor, hostRouter, type HostRoute, geoTable, type RuntimeBehaviour, type RuntimeDistribution } from './distribution.js';
import { dropConnectionNominated } from './forwarding.js';
import { recv, requestHeaderBytes, type CanonicalRequest, type ParsedHost, type RecvLimits } from './recv.js';
import { HttpError } from '../result.js';
import { viewerChecks } from './viewer-checks.js';
import { Lookup } from './lookup.js';
import { logAndCount, recordExchange, type Exchange } from './log-stage.js';
import { LookupMemo } from './hit-lane/memo.js';
import { memoSafeBehaviours } from './hit-lane/memo-safety.js';
import { laneShaped } from './hit-lane/parse-head.js';
import { hitLineTemplate } from './hit-lane/log-line.js';
import { Fetcher } from './fetch.js';
import { serveEdgeEndpoint } from './edge-endpoints.js';
import { headerText } from '../http/headers.js';
import type { DistributionRecord, RequestContext } from './context.js';
import { Deliver } from './deliver.js';
import { ErrorPages } from './error-pages.js';
import { ObjectStore, type StoredObject } from './store.js';
import { OriginClient } from './origin-client.js';
import type { FetchSubscriber, SharedFetch } from './shared-fetch.js';
import { signingKeysOf, type SigningKeys } from './signing/keys.js';
import { AccessLogWriter, type ResultType } from './access-log.js';
import { RealtimeLogWriter } from './realtime-log.js';
import { DistributionStats } from './stats.js';
import { newRequestId } from './request-id.js';
import { fullGcHint } from './gc-hint.js';
import { viewerSchemeOf } from './viewer-protocol.js';
import { normalizeAddress } from '../net/address.js';
import { createControlApi, type ControlApi } from './control/index.js';
import { isApiVersionPrefix } from './control/routes.js';
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
  private readonly lookup: Lookup;
  private readonly pages: ErrorPages;
  /** `host:port` names of the edge's own listener (set once it listens): they name the first distribution. */
  localAuthorities: string[] = [];
  private readonly keys: SigningKeys;
  private readonly geo: { match: (ip: string) => boolean; country: string }[];
  private readonly cfg: EdgeConfig;
  private readonly log: Logger;
  /**
   * The hit lane's memo (edge.hitLane): hits the pipeline decided for memo-safe behaviours, by the
   * lane's key, so the lane answers the next one (hit-lane/). Undefined when the lane is off.
   */
  readonly laneMemo?: LookupMemo;
  private readonly laneSafe: WeakSet<RuntimeBehaviour>;

  constructor(private readonly opts: EdgeServerOptions) {
    this.cfg = opts.cfg;
    this.log = opts.log;
    const maxObject = opts.cfg.cache.maxObjectBytes ?? Math.floor(opts.cfg.cache.maxBytes / 8);
    this.store = new ObjectStore(opts.cfg.cache.maxBytes, maxObject, fullGcHint(), opts.cfg.cache.maxObjects);
    this.route = hostRouter(opts.distributions, () => this.localAuthorities);
    this.rangeOptions = { multipart: true, maxRanges: opts.cfg.limits.maxRanges };
    this.recvLimits = { maxRequestBytes: opts.cfg.limits.maxRequestBytes, maxHeaderCount: opts.cfg.limits.maxHeaderCount };
    this.keys = signingKeysOf(opts.cfg);
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
    this.lookup = new Lookup(this.store, opts.cfg.limits.maxUrlBytes);
    // Distribution configuration is fixed for the process's life (the control API reads it, never
    // changes it), so memo-safety is worked out once here and the memo never has to be dropped.
    this.laneSafe = memoSafeBehaviours(opts.distributions);
    if (opts.cfg.hitLane) this.laneMemo = new LookupMemo(Math.min(this.store.maxObjects, MEMO_MAX_ENTRIES), MEMO_MAX_CHARS);
    this.pages = new ErrorPages({ deliver: this.deliver, fetcher: this.fetcher, lookup: this.lookup, log: this.log });
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
      viewerIp: viewerIpOf(socket),
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      result: 'Miss',
      // Every field a later stage sets is declared here, so each context keeps one shape from the start.
      creq: undefined,
      rec: undefined,
      ttl: undefined,
      response: undefined,
    };
    // Stage 1 (recv): limits, Host, the canonical request. A refusal is answered here, never forwarded.
    try {
      v.creq = recv(req, v.headerBytes, this.recvLimits, this.route);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      v.rec = this.fallback;
      this.observe(v);
      return this.pages.edgeError(v, err.status, err.message, err.status !== 400);
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
    // already canonical, so the version prefix is compared directly (isControlApiPath would
    // canonicalise it a second time on every hit, apiVersionOf split it).
    if (isApiVersionPrefix(path)) return this.control(req, res);
    this.observe(v);
    try {
      this.viewerRequest(v, v.creq);
    } catch (err) {
      this.log.error({ err, url }, 'edge request failed');
      if (!res.headersSent) this.pages.edgeError(v, 502, 'internal edge error');
      else res.destroy();
    }
  };

  // ---- viewer requests -------------------------------------------------------------------

  private viewerRequest(v: Viewer, c: CanonicalRequest): void {
    const { req } = v;
    const scheme = viewerSchemeOf(req);
    // Stage 2: viewer checks.
    const check = viewerChecks(c, v.viewerIp, headerText(req.headers.host), req.url ?? '/', {
      geo: this.geo,
      keys: this.keys,
      cookieHeader: req.headers.cookie,
      now: Math.floor(Date.now() / 1000),
      scheme,
      httpsPort: this.opts.httpsPort ?? 0,
    });
    if (check.kind !== 'pass') {
      // A refusal or redirect is an answer of the behaviour the path matches: its response headers policy applies.
      v.headersPolicy = behaviourFor(c.dist, c.path).responseHeaders;
      if (check.kind === 'refuse') {
        this.log.debug({ url: req.url, code: check.error.code, reason: check.error.message }, 'viewer refused');
        return this.pages.edgeError(v, check.error.status, check.error.message, false, check.body);
      }
      v.result = 'Redirect'; // TLS-01: logged as CloudFront logs it
      return this.deliver.edgeMade(v, 301, [['Location', check.location]], '');
    }
    v.headersPolicy = check.beh.responseHeaders;
    if (
      check.beh.responseHeaders?.corsConfig &&
      isPreflight(v.method, headerText(req.headers.origin), headerText(req.headers['access-control-request-method']))
    ) {
      v.result = 'Hit'; // answered by the edge's response headers policy, never by the origin
      return this.deliver.edgeMade(v, 200, [], '');
    }
    // Stage 3: lookup (cache key, store, collapsing) → hit / miss / pass.
    const found = this.lookup.decide(v, c.dist, scheme, check);
    switch (found.kind) {
      case 'hit':
        if (this.laneMemo !== undefined && found.result === 'Hit' && !found.stale) this.remember(v, check.beh, found.obj, scheme);
        return this.serveObject(v, found.obj, found.result, found.stale);
      case 'miss':
        return this.fetcher.join(found.spec, found.stale, this.viewerSubscriber(v));
      case 'pass':
        return this.pages.guard(
          v,
          this.fetcher.pass(v, check.beh, found.originPath, found.originHeaders, (status) =>
            this.pages.edgeError(v, status, 'the origin could not be reached'),
          ),
        );
      case 'refuse':
        return this.pages.edgeError(v, found.error.status, found.error.message, true);
    }
  }

  /**
   * Notes a hit for the hit lane when the lane could have answered the request itself: a
   * memo-safe behaviour, plain HTTP/1.1, GET or HEAD, and the lane's fields only (so a lane
   * request with the same key has the same cache key and the same answer).
   */
  private remember(v: Viewer, beh: RuntimeBehaviour, obj: StoredObject, scheme: string): void {
    const { req } = v;
    if (obj.head === undefined || scheme !== 'http' || !this.laneSafe.has(beh)) return;
    if ((v.method !== 'GET' && v.method !== 'HEAD') || !laneShaped(req.rawHeaders, req.httpVersion)) return;
    const host = req.headers.host;
    const coding = req.headers['accept-encoding'];
    const cookie = req.headers.cookie;
    if (host === undefined || Array.isArray(coding)) return;
    const rec = v.rec!;
    const hitLog =
      rec.accessLog === undefined || this.realtime !== undefined
        ? undefined
        : hitLineTemplate({
            edgeLocation: this.deliver.pop,
            method: v.method,
            distributionDomain: rec.dist.domainName,
            uriStem: v.path,
            query: v.rawQuery,
            cookie: this.cfg.logs.includeCookies ? cookie : undefined,
            hostHeader: host,
            contentType: obj.head.contentType,
            contentLength: obj.head.contentLength,
          });
    this.laneMemo!.set({
      req: { method: v.method, host, target: req.url ?? '/', acceptEncoding: coding, cookie },
      key: obj.key,
      obj: new WeakRef(obj),
      rec,
      path: v.path,
      rawQuery: v.rawQuery,
      hitLog,
    });
  }

  /** The log stage for an answer the hit lane wrote. */
  readonly recordLaneExchange = (x: Exchange): void => recordExchange(x, this.deliver.pop, this.cfg.logs.includeCookies, this.realtime);

  // ---- answering viewers -----------------------------------------------------------------

  /** Stage deliver for a viewer of a (collapsed) fetch; origin errors may have a custom page (ERR-05). */
  private viewerSubscriber(v: Viewer): FetchSubscriber & { fetch?: SharedFetch } {
    const sub = this.deliver.subscriber(v, {
      object: (obj, result, stale) => this.serveObject(v, obj, result, stale),
      errorPage: (status) => {
        if (!this.pages.has(v, status)) return false;
        this.pages.send(v, status, () => this.pages.edgeError(v, status, 'origin error'));
        return true;
      },
      brokeOff: () => this.pages.edgeError(v, 502, 'the origin transfer broke off'),
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
    if (obj.isError && this.pages.has(v, obj.status)) {
      const age = String(Math.max(0, Math.floor(obj.initialAge + (Date.now() - obj.receivedAt) / 1000)));
      return this.pages.send(v, obj.status, () => this.deliver.whole(v, obj, result, age, stale));
    }
    this.deliver.object(v, obj, result, stale);
  }

  /** Stage log: what the response said and when, counted and logged when it closes. */
  private observe(v: Viewer): void {
    // deliver.ts notes the head's facts into v.response as it writes it (see Deliver.head).
    if (v.rec?.accessLog || this.realtime) v.response = {};
    // One listener function for every response, with the context on the response itself: no
    // closure (or once() wrapper) is made per request.
    (v.res as ObservedResponse)[CONTEXT] = v;
    v.res.on('close', this.onResponseClose);
  }

  private readonly onResponseClose = ((server: EdgeServer) =>
    function (this: ObservedResponse): void {
      const v = this[CONTEXT];
      if (v !== undefined) logAndCount(v, server.deliver.pop, server.cfg.logs.includeCookies, server.realtime);
    })(this);
}

/** Bounds of the hit lane's memo: entries (or the store's object cap, if lower) and characters of keys and paths. */
const MEMO_MAX_ENTRIES = 65_536;
const MEMO_MAX_CHARS = 16 * 1024 * 1024;

/** The peer address of a connection in canonical form, worked out once per connection (keep-alive viewers send many requests). */
function viewerIpOf(socket: Socket & { [VIEWER_IP]?: string }): string {
  return (socket[VIEWER_IP] ??= normalizeAddress(socket.remoteAddress));
}
const VIEWER_IP = Symbol('viewer address');

/** The request context a response carries until it closes (read by the log stage). */
const CONTEXT = Symbol('edge request context');
type ObservedResponse = http.ServerResponse & { [CONTEXT]?: RequestContext };
