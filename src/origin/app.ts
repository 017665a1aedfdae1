// The HTTP origin: wires the pure URL router, cache policy and manifest rewriting to the disk
// layer, plus the policy files, CORS, /api/streams, /healthz and the demo player.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { LiveRegistry } from '../streams/registry.js';
import { filePolicy, notFoundCacheControl, TIMELINE_KINDS } from './cache-policy.js';
import { createCmafRoutes, UTC_TIMING_PATH } from './cmaf-routes.js';
import { formatDir, HLS_FILES, hlsPlaylistOfSegment, hlsSegmentRung, VOD_PREFIX } from '../timeline/output-layout.js';
import { listedTsSegments, measuredBandwidth, tsMasterPlaylist, type MeasuredSegment, type TsVariant } from './hls-master.js';
import { tsCodecs } from './ts-codecs.js';
import type { TimelineStore } from '../timeline/stream-timeline.js';
import { ifRangeAllows, notModified, type Validators } from '../http/conditionals.js';
import { contentRange, decideRange } from '../http/ranges.js';
import { isSegmentReady } from './hls-readiness.js';
import {
  carryQueryToUris,
  isHlsMasterPlaylist,
  rewriteF4mManifest,
  rewriteHlsPlaylist,
  rewriteSmoothManifest,
  smoothIndexesWithoutStart,
  windowHlsPlaylist,
} from './manifest-rewrite.js';
import { dvrQueryOf, type DvrQuery } from './dvr-params.js';
import {
  contentEtag,
  firstSmoothFragmentStart,
  openMedia,
  readStreamInfo,
  storedTsSegment,
  readWholeFile,
  resolveInside,
  resolveRouteFile,
  type MediaFile,
} from './media-files.js';
import {
  FALLBACK_INDEX_HTML,
  isPlayerFileName,
  PLAYER_CACHE_CONTROL,
  playerContentType,
  playerDir,
  vendorAssetFiles,
} from './player-assets.js';
import { POLICY_CACHE_CONTROL, POLICY_FILES } from './policy-files.js';
import { apiBase, describeStreams } from './streams-api.js';
import { createVodRoutes } from './vod-routes.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openStore } from '../storage/open-store.js';
import { decodePathSegments, manifestReferencePrefix, routeSegments, type MediaRoute } from './url-families.js';

export interface OriginOptions {
  config: Config;
  registry: LiveRegistry;
  log: Logger;
  /** RTMP port for the play URLs in /api/streams (default config.rtmpPort; the real one when that is 0). */
  rtmpPort?: number;
  /** The packager's CMAF timelines (LL-HLS, DASH); absent: those URLs answer 404. */
  timelines?: TimelineStore;
  /** Where recordings are (default: the store `storage` configures). */
  store?: ObjectStore;
  /** The edge's HTTPS port when an edge with HTTPS runs beside this origin (it starts later, so asked per request; 0: none). */
  edgeHttpsPort?: () => number;
}

/** Headers a player on another origin may read (hit-ratio and latency displays need them). */
const EXPOSED_HEADERS = 'Content-Length, Content-Range, Content-Type, ETag, Last-Modified, Age, X-Cache, Date, Cache-Control';

interface SendHeaders {
  contentType: string;
  cacheControl: string;
}

export function createOriginApp(opts: OriginOptions): express.Express {
  const { config, registry } = opts;
  const log = opts.log; // already carries role: 'origin' (index.ts)
  const cache = config.origin.cacheControl;
  const dataDir = path.resolve(config.dataDir);
  const startedAt = Date.now();
  const player = playerDir();
  const vendor = vendorAssetFiles();
  const cmaf = createCmafRoutes({ config, timelines: opts.timelines, sendBuffer, sendJson });
  const baseOf = (req: Request) =>
    apiBase({
      publicBaseUrl: config.origin.publicBaseUrl,
      hostHeader: req.headers.host,
      protocol: req.protocol,
      fallbackHost: config.host,
      fallbackPort: req.socket.localPort ?? config.originPort,
      rtmpPort: opts.rtmpPort ?? config.rtmpPort,
      edgeHttpsPort: opts.edgeHttpsPort?.(),
    });
  // Recordings and the DVR windows beyond the live edge.
  const store = opts.store ?? openStore(config);
  const vod = createVodRoutes({
    config,
    store,
    log,
    answerConditionals,
    sendJson,
    baseUrl: (req) => baseOf(req).baseUrl,
    isCapturing: (id) => registry.list().some((s) => s.recordingId === id),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Request log at debug level: one line per request, silent at the default level.
  app.use((req, res, next) => {
    const t0 = process.hrtime.bigint();
    res.on('close', () => {
      log.debug(
        {
          method: req.method,
          url: req.originalUrl.slice(0, 300),
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - t0) / 1e6,
          bytes: Number(res.getHeader('content-length') ?? 0),
          finished: res.writableFinished,
        },
        'request',
      );
    });
    next();
  });

  // CORS: manifests and media are fetched by players on other origins (hls.js, Smooth/HDS players).
  app.use((req, res, next) => {
    const allow = config.origin.corsAllowOrigin;
    if (allow !== '') {
      res.setHeader('Access-Control-Allow-Origin', allow);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Allow', 'GET, HEAD, OPTIONS');
    if (allow !== '') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      const asked = req.headers['access-control-request-headers'];
      res.setHeader(
        'Access-Control-Allow-Headers',
        typeof asked === 'string' && /^[A-Za-z0-9, -]{1,500}$/.test(asked)
          ? asked
          : 'Range, If-None-Match, If-Modified-Since, Accept, Origin',
      );
      res.setHeader('Access-Control-Max-Age', '86400');
    }
    res.setHeader('Cache-Control', 'max-age=86400');
    res.setHeader('Content-Length', '0');
    res.status(204).end();
  });

  app.use((req, res, next) => {
    void dispatch(req, res).catch(next);
  });

  // Last resort: never Express's HTML error page with a stack trace.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    log.error({ err, url: req.originalUrl.slice(0, 300) }, 'origin request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 500, { error: 'internal error' }, 'no-store');
  });

  async function dispatch(req: Request, res: Response): Promise<void> {
    const url = req.originalUrl;
    const rawPath = url.split('?')[0];
    const decoded = decodePathSegments(rawPath);
    if (!decoded.ok) {
      log.debug({ url: url.slice(0, 300), reason: decoded.reason }, 'refused request path');
      sendJson(res, 400, { error: 'bad request', reason: decoded.reason }, notFoundCacheControl(cache));
      return;
    }
    const segs = decoded.segments;
    // The recordings API takes DELETE too (vod-routes.ts checks the method and the admin token).
    if (segs[0] === 'api' && segs[1] === 'recordings' && segs.length <= 3) return vod.api(req, res, segs[2]);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD, OPTIONS');
      sendJson(res, 405, { error: 'method not allowed' }, notFoundCacheControl(cache));
      return;
    }
    const one = segs.length === 1 ? segs[0] : undefined;
    if (segs[0] === VOD_PREFIX) return vod.serve(req, res, segs.slice(1));

    if (rawPath === '/healthz') {
      sendJson(
        res,
        200,
        { status: 'ok', streams: registry.list().length, uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000) },
        'no-store',
      );
      return;
    }
    if (rawPath === '/api/streams') {
      const base = baseOf(req);
      const body = Buffer.from(JSON.stringify(describeStreams(registry.list(), base, { cmaf: opts.timelines !== undefined })));
      sendBuffer(
        req,
        res,
        body,
        { etag: contentEtag(body), lastModified: new Date() },
        {
          contentType: 'application/json; charset=utf-8',
          cacheControl: 'max-age=1',
        },
      );
      return;
    }
    if (rawPath === UTC_TIMING_PATH) {
      cmaf.serveTime(req, res);
      return;
    }
    if (Object.hasOwn(POLICY_FILES, rawPath)) {
      const body = Buffer.from(POLICY_FILES[rawPath]);
      sendBuffer(
        req,
        res,
        body,
        { etag: contentEtag(body), lastModified: new Date(startedAt) },
        {
          contentType: 'text/xml; charset=utf-8',
          cacheControl: POLICY_CACHE_CONTROL,
        },
      );
      return;
    }
    if (rawPath === '/' || rawPath === '/index.html') {
      if (await servePlayerFile(req, res, 'index.html')) return;
      const body = Buffer.from(FALLBACK_INDEX_HTML);
      sendBuffer(
        req,
        res,
        body,
        { etag: contentEtag(body), lastModified: new Date(startedAt) },
        {
          contentType: 'text/html; charset=utf-8',
          cacheControl: PLAYER_CACHE_CONTROL,
        },
      );
      return;
    }
    const vendorFile = vendor.get(rawPath);
    if (vendorFile) {
      if (
        await serveStaticFile(req, res, path.dirname(vendorFile), vendorFile, {
          contentType: 'text/javascript; charset=utf-8',
          cacheControl: PLAYER_CACHE_CONTROL,
        })
      )
        return;
    }
    if (one !== undefined && isPlayerFileName(one) && (await servePlayerFile(req, res, one))) return;

    const parsed = routeSegments(segs);
    if (!parsed.ok) {
      sendJson(res, parsed.status, { error: parsed.status === 400 ? 'bad request' : 'not found' }, notFoundCacheControl(cache));
      return;
    }
    await serveMedia(req, res, parsed.route);
  }

  async function servePlayerFile(req: Request, res: Response, name: string): Promise<boolean> {
    if (!existsSync(player)) return false;
    const file = resolveInside(player, name);
    if (!file) return false;
    return serveStaticFile(req, res, player, file, { contentType: playerContentType(name), cacheControl: PLAYER_CACHE_CONTROL });
  }

  /** `root`: the trusted directory the file must lie in (symlinks below it are not followed). */
  async function serveStaticFile(req: Request, res: Response, root: string, file: string, headers: SendHeaders): Promise<boolean> {
    const media = await openMedia(root, file);
    if (!media) return false;
    sendMediaFile(req, res, media, headers);
    return true;
  }

  async function serveMedia(req: Request, res: Response, route: MediaRoute): Promise<void> {
    const policy = filePolicy(route.kind, cache);
    const missing = (why: string) => {
      log.debug({ url: req.originalUrl.slice(0, 300), why }, 'media not found');
      sendJson(res, 404, { error: 'not found' }, notFoundCacheControl(cache));
    };

    if (route.family === 'livepkgr') {
      // SPEC ING-01: the event in the URL must be the one the stream was published with.
      const info = await readStreamInfo(dataDir, route.key);
      if (!info || info.event !== route.event) return missing('no such event for this stream');
    }
    if (TIMELINE_KINDS.has(route.kind)) return cmaf.serve(req, res, route, missing);
    const file = resolveRouteFile(dataDir, route);
    if (!file) return missing('outside the format directory');

    if (route.kind === 'hls-playlist' && route.name === undefined) {
      // With an ABR ladder, `playlist.m3u8` is the master over the rungs' media playlists.
      const master = await tsMaster(route);
      if (master === 'not-ready') return missing('a rung has no segment yet');
      if (master !== undefined) {
        // The DVR parameters carry over to the rungs' media playlists (windowedHls on a master).
        const dvr = dvrQueryOf(req.originalUrl, Date.now());
        if (!dvr.ok) return sendJson(res, 400, { error: 'bad request', reason: dvr.reason }, notFoundCacheControl(cache));
        const body = Buffer.from(windowedHls(master.toString('utf8'), dvr.value), 'utf8');
        sendBuffer(req, res, body, { etag: contentEtag(body), lastModified: new Date() }, policy);
        return;
      }
    }
    if (policy.isManifest) {
      const dvr = route.kind === 'hls-playlist' ? dvrQueryOf(req.originalUrl, Date.now()) : undefined;
      if (dvr && !dvr.ok) return sendJson(res, 400, { error: 'bad request', reason: dvr.reason }, notFoundCacheControl(cache));
      const whole = await readWholeFile(dataDir, file);
      if (!whole) return missing('manifest not written yet');
      let text = whole.body.toString('utf8');
      if (dvr?.ok) text = windowedHls(text, dvr.value);
      const body = Buffer.from(await rewriteManifest(route, text), 'utf8');
      sendBuffer(req, res, body, { etag: contentEtag(body), lastModified: whole.mtime }, policy);
      return;
    }

    if (route.kind === 'hls-segment') {
      // Only segments the playlist has already listed are complete (see hls-readiness.ts); a
      // rung's segments are listed in that rung's playlist.
      const listedIn = hlsPlaylistOfSegment(route.name ?? '');
      const playlist = listedIn ? resolveInside(formatDir(dataDir, route.key, 'hls'), listedIn) : undefined;
      const whole = playlist ? await readWholeFile(dataDir, playlist) : undefined;
      if (!whole || !isSegmentReady(whole.body.toString('utf8'), route.name ?? '')) return missing('segment not complete yet');
    }
    const media = await openMedia(dataDir, file);
    if (media) return sendMediaFile(req, res, media, policy);
    if (route.kind === 'hls-segment') return serveStoredTsSegment(req, res, route, policy, missing);
    return missing('file not on disk');
  }

  /** A listed TS segment older than the live edge, from the store (a store that cannot be reached: 503, as for recordings). */
  async function serveStoredTsSegment(
    req: Request,
    res: Response,
    route: MediaRoute,
    headers: SendHeaders,
    missing: (why: string) => void,
  ) {
    let seg;
    try {
      seg = await storedTsSegment(dataDir, store, route.key, route.name ?? '');
    } catch (err) {
      log.warn({ store: store.description, err: (err as Error).message }, 'DVR store unavailable');
      res.setHeader('Retry-After', '1');
      return sendJson(res, 503, { error: 'DVR store unavailable' }, 'no-store');
    }
    if (!seg) return missing('segment neither on disk nor in the DVR store');
    sendBuffer(req, res, seg.bytes, { etag: seg.etag, lastModified: seg.lastModified }, headers);
  }

  /** The DVR parameters on a TS playlist: a master passes them to its variants, a media playlist is cut to them. */
  function windowedHls(text: string, dvr: DvrQuery): string {
    if (dvr.carry === '') return text;
    if (isHlsMasterPlaylist(text)) return carryQueryToUris(text, dvr.carry);
    const { carry: _carry, ...sel } = dvr;
    return windowHlsPlaylist(text, { windowSeconds: config.packager.dvrWindowSeconds, ...sel });
  }

  /**
   * The TS master playlist of a stream with an ABR ladder (stream.json lists its rungs), or
   * undefined without one; 'not-ready' until every rung's playlist lists a segment (a player
   * treats a variant without segments as fatal).
   */
  async function tsMaster(route: MediaRoute): Promise<Buffer | 'not-ready' | undefined> {
    const info = await readStreamInfo(dataDir, route.key);
    const rungs = info?.rungs;
    if (!rungs || rungs.length < 2) return undefined;
    const hlsDir = formatDir(dataDir, route.key, 'hls');
    const variants: TsVariant[] = [];
    for (const r of rungs) {
      const name = HLS_FILES.rungPlaylist(r.name);
      const file = resolveInside(hlsDir, name);
      const whole = file ? await readWholeFile(dataDir, file) : undefined;
      const segs = whole ? listedTsSegments(whole.body.toString('utf8')).filter((s) => hlsSegmentRung(s.name) === r.name) : [];
      if (segs.length === 0) return 'not-ready';
      const measured: MeasuredSegment[] = [];
      let codecs: string[] = [];
      for (const seg of segs) {
        const segFile = resolveInside(hlsDir, seg.name);
        const media = segFile ? await openMedia(dataDir, segFile) : undefined;
        if (!media) continue;
        try {
          measured.push({ bytes: media.size, duration: seg.duration });
          if (codecs.length === 0) {
            const head = Buffer.alloc(Math.min(media.size, 64 * 1024));
            const { bytesRead } = await media.handle.read(head, 0, head.length, 0);
            const c = tsCodecs(head.subarray(0, bytesRead));
            codecs = [c.video, c.audio].filter((x): x is string => x !== undefined);
          }
        } finally {
          await media.handle.close();
        }
      }
      const m = measuredBandwidth(measured);
      variants.push({
        playlist: name,
        ...(r.width && r.height ? { width: r.width, height: r.height } : {}),
        ...(m ? { measured: m } : {}),
        ...(r.videoKbps ? { targetKbps: r.videoKbps + (r.audioKbps ?? 0) } : {}),
        codecs,
      });
    }
    return Buffer.from(tsMasterPlaylist(variants, manifestReferencePrefix(route)));
  }

  async function rewriteManifest(route: MediaRoute, text: string): Promise<string> {
    // A rung's media playlist sits beside its segments in every family (livepkgr: below `<stream>/`).
    const prefix = route.kind === 'hls-playlist' && route.name !== undefined ? '' : manifestReferencePrefix(route);
    switch (route.kind) {
      case 'hls-playlist':
        return rewriteHlsPlaylist(text, prefix);
      case 'hds-manifest':
        return rewriteF4mManifest(text, prefix);
      default: {
        const missing = smoothIndexesWithoutStart(text);
        if (missing.length === 0) return rewriteSmoothManifest(text);
        const mss = formatDir(dataDir, route.key, 'mss');
        const starts = new Map<string, number | undefined>();
        for (const { type, bitrate } of missing)
          starts.set(`${type}@${bitrate}`, await firstSmoothFragmentStart(dataDir, mss, type, bitrate));
        return rewriteSmoothManifest(text, (type, bitrate) => starts.get(`${type}@${bitrate}`));
      }
    }
  }

  return app;
}

function sendJson(res: Response, status: number, value: unknown, cacheControl: string): void {
  const body = Buffer.from(JSON.stringify(value));
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(body.length));
  res.setHeader('Cache-Control', cacheControl);
  res.end(body);
}

function setEntityHeaders(res: Response, v: Validators, headers: SendHeaders): void {
  res.setHeader('Cache-Control', headers.cacheControl);
  res.setHeader('ETag', v.etag);
  res.setHeader('Last-Modified', v.lastModified.toUTCString());
}

/**
 * The part of a GET/HEAD answer shared by buffers and files: entity headers, then 304 or 416 when
 * they apply (answered here, returning undefined), else the byte span to send (whole or 206).
 */
function answerConditionals(
  req: Request,
  res: Response,
  size: number,
  v: Validators,
  headers: SendHeaders,
): { start: number; end: number } | undefined {
  setEntityHeaders(res, v, headers);
  if (notModified(header(req, 'if-none-match'), header(req, 'if-modified-since'), v.etag, v.lastModified)) {
    res.status(304).end();
    return undefined;
  }
  res.setHeader('Content-Type', headers.contentType);
  res.setHeader('Accept-Ranges', 'bytes');
  // The origin answers one range; several get the whole entity (RNG-02 allows 200).
  const range = ifRangeAllows(header(req, 'if-range'), v.etag, v.lastModified)
    ? decideRange(header(req, 'range'), size, { multipart: false })
    : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${size}`);
    res.setHeader('Cache-Control', 'no-store'); // a client error, not the entity's freshness
    res.setHeader('Content-Length', '0');
    res.end();
    return undefined;
  }
  if (range.kind === 'partial') {
    const { start, end } = range.ranges[0]!;
    res.status(206).setHeader('Content-Range', contentRange(start, end, size));
    return { start, end };
  }
  res.status(200);
  return { start: 0, end: size - 1 };
}

/** Answers GET/HEAD for an in-memory entity: 304, 206, 416 or 200. Never compressed (GZ-03). */
function sendBuffer(req: Request, res: Response, body: Buffer, v: Validators, headers: SendHeaders): void {
  const span = answerConditionals(req, res, body.length, v, headers);
  if (!span) return;
  const slice = body.subarray(span.start, span.end + 1);
  res.setHeader('Content-Length', String(slice.length));
  res.end(slice);
}

/** The same for a file on disk, streamed from the already open handle (which this closes). */
function sendMediaFile(req: Request, res: Response, media: MediaFile, headers: SendHeaders): void {
  const close = () => void media.handle.close().catch(() => undefined);
  const span = answerConditionals(req, res, media.size, { etag: media.etag, lastModified: media.mtime }, headers);
  if (!span) {
    close();
    return;
  }
  const length = media.size === 0 ? 0 : span.end - span.start + 1;
  res.setHeader('Content-Length', String(length));
  if (req.method === 'HEAD' || length === 0) {
    close();
    res.end();
    return;
  }
  const stream = media.handle.createReadStream({ start: span.start, end: span.end, autoClose: true });
  pipeline(stream, res, () => {
    // Aborted downloads are normal for players; the handle is closed by the stream either way.
  });
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}
