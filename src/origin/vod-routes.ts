// The origin's recordings: `/vod/<app>/<stream>/<id>/<file>` answered from the store (the data
// directory or the S3 bucket), whole or by range (SPEC VOD-02), with the content types and cache
// headers of cache-policy.ts (SPEC VOD-04); `GET /api/recordings` lists them a page at a time
// (`?limit=&next=`, filtered by `?app=&stream=`) and
// `DELETE /api/recordings/<id>` removes one, for a bearer of the admin token only.
import { timingSafeEqual, createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import type { Request, Response } from 'express';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { fail, ok, type Result } from '../result.js';
import {
  addMissingListings,
  deleteRecording,
  findRecording,
  listRecordingsPage,
  type RecordingInfo,
  type RecordingRung,
} from '../recordings/catalogue.js';
import { rungMp4Name } from '../recordings/capture-rules.js';
import { parseListQuery } from '../recordings/listing-keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Validators } from '../http/conditionals.js';
import { isRecordingId, parseVodSegments, VOD_FILES, VOD_PREFIX } from '../timeline/output-layout.js';
import { notFoundCacheControl, vodPolicy } from './cache-policy.js';

export interface RungDescription extends RecordingRung {
  /** The rung's VOD media playlist and its own MP4 download. */
  urls: { hls: string; mp4: string };
}

export interface RecordingDescription extends Omit<RecordingInfo, 'rungs'> {
  /** `hls` is the master playlist when the recording has rungs, `mp4` the top rung's download. */
  urls: { hls: string; dash: string; mp4: string };
  /** Every ABR rung, top first; empty for a recording without a ladder (its one rendition is `urls`). */
  rungs: RungDescription[];
}

/** Pure: one entry of GET /api/recordings. */
export function describeRecording(info: RecordingInfo, baseUrl: string): RecordingDescription {
  const dir = `${baseUrl}/${VOD_PREFIX}/${info.app}/${info.stream}/${info.id}/`;
  const rungs = (info.rungs ?? []).map((r, i, all) => ({
    ...r,
    urls: { hls: dir + VOD_FILES.rungPlaylist(r.name), mp4: dir + rungMp4Name(all, i) },
  }));
  return { ...info, urls: { hls: dir + VOD_FILES.playlist, dash: dir + VOD_FILES.mpd, mp4: dir + VOD_FILES.mp4 }, rungs };
}

export type AdminRefusal = 'admin-off' | 'unauthorized';

/**
 * Pure: may this request use the admin API? Off (403) while no token is configured, so a server
 * started without one cannot be made to delete anything; otherwise `Authorization: Bearer
 * <token>`, compared in constant time (401 when missing or wrong).
 */
export function adminAuth(token: string | undefined, authorization: string | undefined): Result<undefined, AdminRefusal> {
  if (token === undefined) return fail('the admin API is off: set origin.adminToken (--admin-token)', 'admin-off');
  const m = /^Bearer[ ]+(\S{1,1024})$/i.exec(authorization ?? '');
  if (!m) return fail('missing bearer token', 'unauthorized');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token)) ? ok() : fail('wrong bearer token', 'unauthorized');
}

export interface VodDeps {
  config: Config;
  store: ObjectStore;
  log: Logger;
  /** The origin's conditional and range answer: headers set, 304/416 sent (undefined), else the span to send. */
  answerConditionals: (
    req: Request,
    res: Response,
    size: number,
    v: Validators,
    headers: { contentType: string; cacheControl: string },
  ) => { start: number; end: number } | undefined;
  sendJson: (res: Response, status: number, value: unknown, cacheControl: string) => void;
  /** Absolute base URL for the links in /api/recordings. */
  baseUrl: (req: Request) => string;
  /** True while a live publish is being captured into this recording (it cannot be deleted then). */
  isCapturing: (id: string) => boolean;
}

export interface VodRoutes {
  /** `segs`: the decoded path segments after `vod`. */
  serve(req: Request, res: Response, segs: readonly string[]): Promise<void>;
  /** `/api/recordings` (`id` undefined) or `/api/recordings/<id>`; any method. */
  api(req: Request, res: Response, id: string | undefined): Promise<void>;
}

export function createVodRoutes(deps: VodDeps): VodRoutes {
  const { store, config, log, sendJson } = deps;
  // Recordings a store holds from before the list pointers existed are listed too (once per start).
  void addMissingListings(store)
    .then((n) => n > 0 && log.info({ recordings: n, store: store.description }, 'listed recordings stored before the list pointers'))
    .catch((err: unknown) => log.warn({ err: (err as Error).message, store: store.description }, 'cannot check the recordings list'));
  const cache = config.origin.cacheControl;
  const notFound = (res: Response) => sendJson(res, 404, { error: 'not found' }, notFoundCacheControl(cache));

  async function serve(req: Request, res: Response, segs: readonly string[]): Promise<void> {
    const route = parseVodSegments(segs);
    if (!route) return notFound(res);
    const key = `${VOD_PREFIX}/${segs.join('/')}`;
    const head = await store.head(key);
    if (!head) return notFound(res);
    const span = deps.answerConditionals(
      req,
      res,
      head.size,
      { etag: head.etag, lastModified: head.lastModified },
      vodPolicy(route.kind, cache),
    );
    if (!span) return;
    const length = head.size === 0 ? 0 : span.end - span.start + 1;
    res.setHeader('Content-Length', String(length));
    if (req.method === 'HEAD' || length === 0) return void res.end();
    const obj = await store.get(key, { start: span.start, end: span.end });
    if (!obj) {
      // Deleted between the HEAD and the GET: the status line is not sent yet, but the length is promised.
      res.destroy();
      return;
    }
    pipeline(obj.body, res, (err) => {
      if (err && !res.writableFinished) log.debug({ key, err: err.message }, 'VOD download ended early');
    });
  }

  async function api(req: Request, res: Response, id: string | undefined): Promise<void> {
    if (id === undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD, OPTIONS');
      const query = parseListQuery(new URLSearchParams(req.originalUrl.split('?')[1] ?? ''));
      if (!query.ok) return sendJson(res, 400, { error: 'bad request', reason: query.reason }, 'no-store');
      const base = deps.baseUrl(req);
      const page = await listRecordingsPage(store, query.value);
      const recordings = page.recordings.map((r) => describeRecording(r, base));
      return sendJson(res, 200, page.next !== undefined ? { recordings, next: page.next } : { recordings }, 'no-store');
    }
    if (req.method === 'DELETE') {
      const auth = adminAuth(
        config.origin.adminToken,
        typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined,
      );
      if (!auth.ok) {
        if (auth.code === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer realm="streamfront admin"');
        return sendJson(res, auth.code === 'admin-off' ? 403 : 401, { error: auth.reason }, 'no-store');
      }
      if (!isRecordingId(id)) return sendJson(res, 400, { error: 'invalid recording id' }, 'no-store');
      const info = await findRecording(store, id);
      if (!info) return sendJson(res, 404, { error: 'no such recording' }, 'no-store');
      // Its next end would store it again: a live recording is deleted once its publisher has left.
      if (deps.isCapturing(id))
        return sendJson(res, 409, { error: 'the recording is live: delete it once its publisher has left' }, 'no-store');
      await deleteRecording(store, info);
      log.info({ recording: id, stream: `${info.app}/${info.stream}`, ip: req.socket.remoteAddress }, 'recording deleted');
      res.status(204).setHeader('Cache-Control', 'no-store');
      return void res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD, DELETE, OPTIONS');
    if (!isRecordingId(id)) return sendJson(res, 400, { error: 'invalid recording id' }, 'no-store');
    const info = await findRecording(store, id);
    if (!info) return sendJson(res, 404, { error: 'no such recording' }, 'no-store');
    return sendJson(res, 200, describeRecording(info, deps.baseUrl(req)), 'no-store');
  }

  function methodNotAllowed(res: Response, allow: string): void {
    res.setHeader('Allow', allow);
    sendJson(res, 405, { error: 'method not allowed' }, 'no-store');
  }

  /** A store that cannot be reached (an S3 outage) is a 503 the edge may answer stale over, never a 500. */
  const unavailable = (res: Response, err: unknown) => {
    log.warn({ store: store.description, err: (err as Error).message }, 'store unavailable');
    if (res.headersSent) return void res.destroy();
    res.setHeader('Retry-After', '1');
    for (const h of ['Content-Range', 'Content-Length', 'ETag', 'Last-Modified', 'Accept-Ranges']) res.removeHeader(h);
    sendJson(res, 503, { error: 'recording store unavailable' }, 'no-store');
  };

  return {
    serve: (req, res, segs) => serve(req, res, segs).catch((err: unknown) => unavailable(res, err)),
    api: (req, res, id) => api(req, res, id).catch((err: unknown) => unavailable(res, err)),
  };
}
