// The origin's CMAF routes: LL-HLS master and media playlists (with blocking reload and delta
// updates), the DASH manifest, init segments, parts and segments, all answered from the stream's
// timeline in memory. Held requests (a blocking reload, the preload-hinted part, a segment still
// being produced) wait through holdUntil with a bound of three target durations.
import type { Request, Response } from 'express';
import type { Config } from '../config/index.js';
import { streamId } from '../streams/stream-key.js';
import type { StreamTimeline, TimelineStore } from '../timeline/stream-timeline.js';
import type { TimelineSegment, TrackTimeline } from '../timeline/track-timeline.js';
import { blockingDecision, holdUntil, parseLlHlsQuery } from './blocking-reload.js';
import { cmafContentType, filePolicy, maxAgeHeader, notFoundCacheControl } from './cache-policy.js';
import { parseCmafFile } from '../timeline/output-layout.js';
import { dashManifest } from './dash-mpd.js';
import { masterPlaylist, masterReady, mediaPlaylist, playlistReady, targetDuration } from './llhls-playlist.js';
import { contentEtag } from './media-files.js';
import { parseDvrQuery } from './dvr-params.js';
import { carryQueryToUris } from './manifest-rewrite.js';
import type { DvrSelection } from '../timeline/dvr-window.js';
import { fail, ok, type Result } from '../result.js';
import type { Validators } from '../http/conditionals.js';
import type { MediaRoute } from './url-families.js';

/** The DASH UTCTiming clock the origin serves (`urn:mpeg:dash:utc:http-iso:2014`). */
export const UTC_TIMING_PATH = '/api/time';

/** Longest a held request waits for a stream that has no timeline output yet, ms. */
const FIRST_OUTPUT_WAIT_MS = 6000;

export interface CmafDeps {
  config: Config;
  timelines: TimelineStore | undefined;
  /** The origin's answer for a complete entity (conditionals, ranges, HEAD). */
  sendBuffer: (req: Request, res: Response, body: Buffer, v: Validators, headers: { contentType: string; cacheControl: string }) => void;
  sendJson: (res: Response, status: number, value: unknown, cacheControl: string) => void;
}

export interface CmafRoutes {
  serve(req: Request, res: Response, route: MediaRoute, missing: (why: string) => void): Promise<void>;
  serveTime(req: Request, res: Response): void;
}

/** The first value of each query parameter, or a 400 reason when one is repeated. */
function queryOf(url: string): { ok: true; get: (k: string) => string | undefined } | { ok: false; reason: string } {
  const at = url.indexOf('?');
  const params = new URLSearchParams(at >= 0 ? url.slice(at + 1) : '');
  for (const k of new Set(params.keys())) if (params.getAll(k).length > 1) return { ok: false, reason: `${k} given more than once` };
  return { ok: true, get: (k) => params.get(k) ?? undefined };
}

export function createCmafRoutes(deps: CmafDeps): CmafRoutes {
  const { config } = deps;
  const cache = config.origin.cacheControl;

  /** The request's DVR parameters over the configured window, or the 400 reason. */
  function dvrOf(req: Request): Result<{ window: DvrSelection; carry: string }> {
    const query = queryOf(req.originalUrl);
    if (!query.ok) return fail(query.reason);
    const dvr = parseDvrQuery(query.get, Date.now());
    if (!dvr.ok) return dvr;
    const { carry, ...sel } = dvr.value;
    return ok({ window: { windowSeconds: config.packager.dvrWindowSeconds, ...sel }, carry });
  }

  function badRequest(res: Response, reason: string): void {
    deps.sendJson(res, 400, { error: 'bad request', reason }, notFoundCacheControl(cache));
  }

  function holdMs(track: TrackTimeline | undefined): number {
    return 3 * (track ? targetDuration(track) : config.packager.segmentSeconds) * 1000;
  }

  function abortSignal(res: Response): AbortSignal {
    const ac = new AbortController();
    res.once('close', () => ac.abort());
    return ac.signal;
  }

  function unavailable(res: Response, why: string): void {
    // A held request that timed out is not an error of the entity: nothing may cache it.
    res.setHeader('Retry-After', '1');
    deps.sendJson(res, 503, { error: 'not available yet', reason: why }, 'no-store');
  }

  /** `bornMs`: when the entity came to be (a part's ingest time); manifests are new on every request. */
  function sendEntity(
    req: Request,
    res: Response,
    body: Buffer,
    etag: string,
    contentType: string,
    cacheControl: string,
    bornMs = Date.now(),
  ): void {
    deps.sendBuffer(req, res, body, { etag, lastModified: new Date(Math.floor(bornMs / 1000) * 1000) }, { contentType, cacheControl });
  }

  // A complete segment never changes: its bytes are joined once, and freed with the segment.
  const joined = new WeakMap<TimelineSegment, Buffer>();
  function segmentBytes(s: TimelineSegment): Buffer {
    let b = joined.get(s);
    if (!b) {
      b = Buffer.concat(s.parts.map((p) => p.bytes));
      joined.set(s, b);
    }
    return b;
  }

  // Held requests are bounded in number (each holds a socket and a listener); see maxHeldRequests.
  let held = 0;
  async function holding<T>(res: Response, fn: () => Promise<T>): Promise<T | undefined> {
    if (held >= config.origin.maxHeldRequests) {
      unavailable(res, 'too many requests held open');
      return undefined;
    }
    held++;
    try {
      return await fn();
    } finally {
      held--;
    }
  }

  async function serve(req: Request, res: Response, route: MediaRoute, missing: (why: string) => void): Promise<void> {
    const stream = deps.timelines?.get(streamId(route.key));
    if (!stream) return missing('no CMAF output for this stream');
    const signal = abortSignal(res);
    const policy = filePolicy(route.kind, cache);

    if (route.kind === 'llhls-master') {
      const dvr = dvrOf(req);
      if (!dvr.ok) return badRequest(res, dvr.reason);
      const ready =
        masterReady(stream.tracks) ||
        (await holding(res, () => holdUntil(stream, 'change', () => masterReady(stream.tracks), FIRST_OUTPUT_WAIT_MS, signal)));
      if (ready === undefined || signal.aborted) return;
      if (!ready) return missing('no complete segment yet');
      // The DVR parameters carry over to the media playlists, so a player keeps its window or start.
      const body = Buffer.from(carryQueryToUris(masterPlaylist(stream.tracks), dvr.value.carry));
      return sendEntity(req, res, body, contentEtag(body), policy.contentType, policy.cacheControl);
    }
    if (route.kind === 'dash-manifest') {
      const dvr = dvrOf(req);
      if (!dvr.ok) return badRequest(res, dvr.reason);
      const now = () => dashManifest(stream, mpdOptions(dvr.value.window));
      let xml = now();
      if (xml === undefined) {
        const held = await holding(res, () => holdUntil(stream, 'change', () => (xml = now()) !== undefined, FIRST_OUTPUT_WAIT_MS, signal));
        if (held === undefined || signal.aborted) return;
      }
      if (xml === undefined) return missing('no complete segment yet');
      const body = Buffer.from(xml);
      return sendEntity(req, res, body, contentEtag(body), policy.contentType, policy.cacheControl);
    }

    const file = parseCmafFile(route.name ?? '');
    const track = file ? stream.track(file.track) : undefined;
    if (!file || !track) return missing('no such track');
    const kind = track.currentEpoch?.info.kind ?? 'video';

    switch (file.kind) {
      case 'cmaf-playlist':
        return servePlaylist(req, res, stream, track, signal);
      case 'cmaf-init': {
        const epoch = track.epoch(file.n);
        if (!epoch) return missing('no such init segment');
        return sendEntity(
          req,
          res,
          epoch.init,
          `"i-${track.id}-${file.n}-${epoch.init.length}"`,
          cmafContentType(kind),
          policy.cacheControl,
        );
      }
      case 'cmaf-part': {
        const part = track.part(file.n);
        if (part)
          return sendEntity(
            req,
            res,
            part.bytes,
            `"p-${track.id}-${part.seq}-${part.bytes.length}"`,
            cmafContentType(kind),
            policy.cacheControl,
            part.arrivedMs,
          );
        if (file.n === track.nextPartSeq && !track.ended) {
          await holding(res, () => streamHintedPart(req, res, stream, track, file.n, signal, cmafContentType(kind), policy.cacheControl));
          return;
        }
        return missing(file.n > track.nextPartSeq ? 'part in the future' : 'part no longer held');
      }
      case 'cmaf-segment': {
        const seg = track.segment(file.n);
        if (seg?.released) {
          // Older than the live edge: in the DVR store.
          const bytes = await stream.archive?.read(track.id, seg.msn);
          if (!bytes) return missing('segment not in the DVR store');
          return sendEntity(
            req,
            res,
            bytes,
            `"s-${track.id}-${seg.msn}-${seg.partCount}"`,
            cmafContentType(kind),
            policy.cacheControl,
            seg.lastArrivedMs,
          );
        }
        if (seg?.complete) {
          return sendEntity(
            req,
            res,
            segmentBytes(seg),
            `"s-${track.id}-${seg.msn}-${seg.partCount}"`,
            cmafContentType(kind),
            policy.cacheControl,
            seg.lastArrivedMs,
          );
        }
        const open = track.openSegment;
        const upcoming = (open && open.msn === file.n) || (file.n === track.nextMsn && !track.ended);
        if (upcoming) {
          await holding(res, () =>
            streamGrowingSegment(req, res, stream, track, file.n, signal, cmafContentType(kind), policy.cacheControl),
          );
          return;
        }
        return missing(file.n >= track.nextMsn ? 'segment in the future' : 'segment no longer held');
      }
    }
  }

  function mpdOptions(window: DvrSelection) {
    return {
      window,
      utcTimingUrl: UTC_TIMING_PATH,
      latencyTargetMs: config.origin.dashLatencyTargetSeconds * 1000,
      nowMs: Date.now(),
    };
  }

  async function servePlaylist(
    req: Request,
    res: Response,
    stream: StreamTimeline,
    track: TrackTimeline,
    signal: AbortSignal,
  ): Promise<void> {
    const query = queryOf(req.originalUrl);
    const parsed = query.ok
      ? parseLlHlsQuery({ msn: query.get('_HLS_msn'), part: query.get('_HLS_part'), skip: query.get('_HLS_skip') })
      : query;
    if (!parsed.ok) return deps.sendJson(res, 400, { error: 'bad request', reason: parsed.reason }, notFoundCacheControl(cache));
    const q = parsed.value;
    const dvr = dvrOf(req);
    if (!dvr.ok) return badRequest(res, dvr.reason);
    // A stream that has only just started: held until its first segment is complete.
    if (!playlistReady(track)) {
      const ready = await holding(res, () => holdUntil(stream, 'change', () => playlistReady(track), FIRST_OUTPUT_WAIT_MS, signal));
      if (ready === undefined || signal.aborted) return;
      if (!ready) return deps.sendJson(res, 404, { error: 'not found', reason: 'no complete segment yet' }, notFoundCacheControl(cache));
    }
    const first = blockingDecision(track, q);
    if (first.type === 'bad') return deps.sendJson(res, 400, { error: 'bad request', reason: first.reason }, notFoundCacheControl(cache));
    if (first.type === 'wait') {
      const ready = await holding(res, () =>
        holdUntil(stream, 'change', () => blockingDecision(track, q).type !== 'wait', holdMs(track), signal),
      );
      if (ready === undefined || signal.aborted) return;
      if (!ready) return unavailable(res, `part ${q.part ?? '-'} of segment ${q.msn} did not appear in time`);
    }
    const body = Buffer.from(mediaPlaylist(track, { window: dvr.value.window, skip: q.skip }));
    const blocking = q.msn !== undefined || q.skip;
    const cc = blocking ? maxAgeHeader(cache.llhlsBlockingMaxAge) : maxAgeHeader(cache.m3u8MaxAge);
    return sendEntity(req, res, body, contentEtag(body), 'application/vnd.apple.mpegurl', cc);
  }

  /** Starts a chunked 200 answer for bytes that are still arriving (HEAD: headers only). */
  function beginStreaming(req: Request, res: Response, contentType: string, cacheControl: string): boolean {
    res.status(200);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', cacheControl);
    if (req.method === 'HEAD') {
      res.end();
      return false;
    }
    res.flushHeaders();
    return true;
  }

  /** The preload-hinted part: held until its first bytes arrive, then streamed as they come. */
  async function streamHintedPart(
    req: Request,
    res: Response,
    stream: StreamTimeline,
    track: TrackTimeline,
    seq: number,
    signal: AbortSignal,
    contentType: string,
    cacheControl: string,
  ): Promise<void> {
    const epoch = track.currentEpoch?.id;
    const started = await holdUntil(
      stream,
      'change',
      () =>
        (stream.growingBytes(track.id, seq)?.length ?? 0) > 0 ||
        track.part(seq) !== undefined ||
        track.ended ||
        track.currentEpoch?.id !== epoch,
      holdMs(track),
      signal,
    );
    if (signal.aborted) return;
    const done = track.part(seq);
    if (done) return sendEntity(req, res, done.bytes, `"p-${track.id}-${seq}-${done.bytes.length}"`, contentType, cacheControl);
    const growing = stream.growingBytes(track.id, seq);
    if (!started || !growing || growing.length === 0 || track.currentEpoch?.id !== epoch)
      return unavailable(res, `part ${seq} did not start in time`);
    if (!beginStreaming(req, res, contentType, cacheControl)) return;
    await new Promise<void>((resolve) => {
      const cleanup = () => {
        clearTimeout(timer);
        stream.off('grow', onGrow);
        stream.off('part', onPart);
        stream.off('change', onChange);
        resolve();
      };
      // A restarted packager abandons the fragment: the answer cannot be completed, so it is cut
      // (never ended cleanly, so no cache keeps a truncated part).
      const abort = () => {
        cleanup();
        res.destroy();
      };
      const onGrow = (id: string, chunk: Buffer) => {
        if (id === track.id) res.write(chunk);
      };
      const onPart = (id: string, p: { seq: number }) => {
        if (id === track.id && p.seq === seq) {
          cleanup();
          res.end();
        }
      };
      const onChange = () => {
        if (track.currentEpoch?.id !== epoch || track.ended) abort();
      };
      const timer = setTimeout(abort, holdMs(track));
      for (const chunk of growing) res.write(chunk);
      stream.on('grow', onGrow);
      stream.on('part', onPart);
      stream.on('change', onChange);
      res.once('close', cleanup);
    });
  }

  /**
   * A segment still being produced (DASH low latency, availabilityTimeOffset): its parts so far,
   * then each new part as it completes, ending with the segment. Held first if it has not begun.
   */
  async function streamGrowingSegment(
    req: Request,
    res: Response,
    stream: StreamTimeline,
    track: TrackTimeline,
    msn: number,
    signal: AbortSignal,
    contentType: string,
    cacheControl: string,
  ): Promise<void> {
    const begun = await holdUntil(stream, 'change', () => track.segment(msn) !== undefined || track.ended, holdMs(track), signal);
    if (signal.aborted) return;
    const seg = track.segment(msn);
    if (!begun || !seg) return unavailable(res, `segment ${msn} did not start in time`);
    if (seg.complete)
      return sendEntity(req, res, segmentBytes(seg), `"s-${track.id}-${msn}-${seg.parts.length}"`, contentType, cacheControl);
    if (!beginStreaming(req, res, contentType, cacheControl)) return;
    await new Promise<void>((resolve) => {
      let sent = 0;
      let timer: NodeJS.Timeout;
      const cleanup = () => {
        clearTimeout(timer);
        stream.off('change', flush);
        resolve();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          cleanup();
          res.destroy();
        }, holdMs(track));
      };
      function flush() {
        const s = track.segment(msn);
        if (!s) {
          cleanup();
          res.destroy();
          return;
        }
        if (s.parts.length > sent) arm();
        while (sent < s.parts.length) res.write(s.parts[sent++].bytes);
        if (s.complete) {
          cleanup();
          res.end();
        }
      }
      arm();
      stream.on('change', flush);
      res.once('close', cleanup);
      flush();
    });
  }

  function serveTime(_req: Request, res: Response): void {
    const body = Buffer.from(new Date().toISOString());
    res.status(200);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Length', String(body.length));
    res.end(body);
  }

  return { serve, serveTime };
}
