// Pure: what an RTMP publish or play request names, for every ingest form we accept.
//   Wowza      rtmp://host/<app>/<stream>                              (SPEC ING-03)
//   livepkgr   rtmp://host/livepkgr/<stream>?adbe-live-event=<event>[&adbe-record-mode=record]  (SPEC ING-01)
//   CloudFront rtmp://host/cfx/st/<stream>                             (SPEC RTMP-10/11)
// and the FMS play-name forms `mp4:<name>`, `<name>.flv` (SPEC RTMP-21/22).
import { CLOUDFRONT_APP, isValidApp, isValidEventName, isValidStreamName, RESERVED_APPS, type StreamKey } from '../streams/stream-key.js';

/**
 * node-media-server 4.4.3 accepts only one-level app names (`/^[a-zA-Z0-9_-]+$/`, FIELD-NOTES §3),
 * so the ingest adapter shows it this one-segment alias for `cfx/st`. The alias itself is not a
 * publishable app: otherwise `rtmp://host/cfx_st/x` and `rtmp://host/cfx/st/x` would be one stream.
 */
export const NMS_CLOUDFRONT_ALIAS = 'cfx_st';

/** The app name node-media-server should see for an app a client connected to; null = refuse. */
export function nmsAppFor(app: string): string | null {
  if (app === CLOUDFRONT_APP) return NMS_CLOUDFRONT_ALIAS;
  if (app === NMS_CLOUDFRONT_ALIAS) return null;
  return app;
}

/** Our app name for the app node-media-server reports. */
export function appFromNms(nmsApp: string): string {
  return nmsApp === NMS_CLOUDFRONT_ALIAS ? CLOUDFRONT_APP : nmsApp;
}

const PLAY_PREFIX_RE = /^(?:mp4|mp3|flv|f4v):/i;
const PLAY_EXT_RE = /\.(?:flv|mp4|f4v|m4v|mp3)$/i;

/**
 * SPEC RTMP-21/22 (+ PROJECT: a live publish's name is its play name with the same prefixes):
 * `mp4:talk`, `mp4:talk.mp4`, `talk.flv`, `talk` all play the live stream `talk`.
 * Only the name part is rewritten; a `?query` is kept as it is.
 */
export function livePlayName(requested: string): string {
  const q = requested.indexOf('?');
  const name = q < 0 ? requested : requested.slice(0, q);
  const query = q < 0 ? '' : requested.slice(q);
  return name.replace(PLAY_PREFIX_RE, '').replace(PLAY_EXT_RE, '') + query;
}

/** Query parameters an encoder may put after the stream name. */
export type StreamQuery = Record<string, string | string[] | undefined>;

export interface PublishTarget {
  key: StreamKey;
  /** `adbe-live-event` (SPEC ING-01) */
  event?: string;
  /** `adbe-record-mode=record`: a republish discards the earlier segments (SPEC ING-01). */
  recordMode: boolean;
  /** `record=1`: keep this event as VOD when it ends, whatever `packager.record` says (`record=0`: do not). */
  record?: boolean;
  /** The `key` parameter, checked by publish-auth.ts. */
  presentedKey?: string;
}

export type PublishParse = { ok: true; target: PublishTarget } | { ok: false; reason: string };

/** Longest query an encoder may send with a publish (names and keys are short; this stops abuse). */
export const MAX_QUERY_CHARS = 1024;

const KNOWN_PARAMS = new Set(['adbe-live-event', 'adbe-record-mode', 'key', 'record']);

/**
 * Decide what a publish names. `app` is the app the client connected to (`cfx/st`, not the
 * alias), `name` the stream name without its query, `query` the parsed query.
 */
export function parsePublish(app: string, name: string, query: StreamQuery = {}): PublishParse {
  if (app === NMS_CLOUDFRONT_ALIAS) return { ok: false, reason: `app "${app}" is reserved` };
  if (RESERVED_APPS.has(app)) return { ok: false, reason: `app "${app}" is reserved` };
  if (!isValidApp(app)) return { ok: false, reason: `invalid app name ${JSON.stringify(short(app))}` };
  if (!isValidStreamName(name)) return { ok: false, reason: `invalid stream name ${JSON.stringify(short(name))}` };

  let queryChars = 0;
  const one: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (KNOWN_PARAMS.has(k)) return { ok: false, reason: `query parameter "${short(k)}" given more than once` };
      queryChars += k.length + v.join('').length;
      continue;
    }
    queryChars += k.length + v.length;
    one[k] = v;
  }
  if (queryChars > MAX_QUERY_CHARS) return { ok: false, reason: 'query string too long' };

  const target: PublishTarget = { key: { app, name }, recordMode: false };
  const event = one['adbe-live-event'];
  if (event !== undefined) {
    if (!isValidEventName(event)) return { ok: false, reason: `invalid adbe-live-event ${JSON.stringify(short(event))}` };
    target.event = event;
  }
  const mode = one['adbe-record-mode'];
  if (mode !== undefined) {
    if (mode !== 'record') return { ok: false, reason: `unsupported adbe-record-mode ${JSON.stringify(short(mode))}` };
    target.recordMode = true;
  }
  const record = one.record;
  if (record !== undefined) {
    if (record !== '1' && record !== '0') return { ok: false, reason: `record must be 1 or 0, got ${JSON.stringify(short(record))}` };
    target.record = record === '1';
  }
  if (one.key !== undefined) target.presentedKey = one.key;
  return { ok: true, target };
}

function short(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
