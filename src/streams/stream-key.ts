// The small typed values that ingest, packager and origin share. Pure: no I/O.

/** Identity of a live stream: the RTMP app and stream name it was published to. */
export interface StreamKey {
  /** `live`, `livecf`, `livepkgr`, or the two-level CloudFront app `cfx/st` (SPEC RTMP-10). */
  app: string;
  name: string;
}

/** The one two-level app we accept (SPEC RTMP-10/11). */
export const CLOUDFRONT_APP = 'cfx/st';

const APP_RE = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_RE = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * App names that would collide with the origin's own routes. `hls-live`/`hds-live` are the
 * livepkgr URL prefixes (SPEC 2.1), the rest are endpoints or player files.
 */
export const RESERVED_APPS: ReadonlySet<string> = new Set([
  'api',
  'healthz',
  'hls-live',
  'hds-live',
  '_edge',
  'player',
  'vendor',
  'assets',
  // Recordings are served under /vod/<app>/<stream>/<id>/.
  'vod',
]);

export function isValidApp(app: string): boolean {
  return app === CLOUDFRONT_APP || (APP_RE.test(app) && !RESERVED_APPS.has(app));
}

/** Stream names are one path segment of letters, digits, `_` and `-`: nothing can escape a directory or confuse routing. */
export function isValidStreamName(name: string): boolean {
  return NAME_RE.test(name);
}

/** Adobe livepkgr event names (SPEC 2.1 `adbe-live-event`) follow the stream-name rule. */
export const isValidEventName = isValidStreamName;

export function streamId(key: StreamKey): string {
  return `${key.app}/${key.name}`;
}

export function sameStream(a: StreamKey, b: StreamKey): boolean {
  return a.app === b.app && a.name === b.name;
}

/**
 * PROJECT (SPEC RTMP-10/12): viewers of a CloudFront RTMP distribution always connect to
 * `rtmp://host/cfx/st` and name the stream. A play of `cfx/st/<name>` therefore reaches the live
 * stream `<name>` whatever app it was published to, when that name is live in exactly one app and
 * not under `cfx/st` itself. Returns the app to play from, or undefined to leave the play as asked.
 */
export function cloudFrontPlayApp(name: string, live: readonly StreamKey[]): string | undefined {
  if (live.some((k) => k.app === CLOUDFRONT_APP && k.name === name)) return undefined;
  const apps = live.filter((k) => k.name === name).map((k) => k.app);
  return apps.length === 1 ? apps[0] : undefined;
}
