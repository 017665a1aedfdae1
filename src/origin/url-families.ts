// Pure: request path ↔ (stream, file kind, media name) for the three URL families that serve the
// same stream (SPEC 2.1 Adobe livepkgr, 2.2 IIS, 2.3 Wowza). No I/O: every name from the network is
// checked here against a strict per-format pattern before anything touches the disk.
import { CLOUDFRONT_APP, isValidApp, isValidEventName, isValidStreamName, type StreamKey } from '../streams/stream-key.js';
import {
  CMAF_MASTER,
  CMAF_MPD,
  HDS_FILES,
  HLS_FILES,
  hlsRungOfPlaylist,
  isHdsFragmentName,
  isHdsStem,
  isHlsSegmentName,
  isSmoothFragmentPath,
  parseCmafFile,
  SMOOTH_FILES,
  type OutputFormat,
} from '../timeline/output-layout.js';
import { FILE_KINDS, KINDS_BY_OUTPUT, type FileKind } from './cache-policy.js';

export type UrlFamily = 'wowza' | 'livepkgr' | 'iis';

/** One file of one stream, as addressed by one URL family. */
export interface MediaRoute {
  family: UrlFamily;
  key: StreamKey;
  /** livepkgr only: the `adbe-live-event` the URL names (must match the stream's stream.json). */
  event?: string;
  kind: FileKind;
  /**
   * The media name as served (absent for manifests): `seg_00001.ts`, `stream0.bootstrap`,
   * `stream0Seg1-Frag1`, `QualityLevels(2000000)/Fragments(video=670000)`; for an `hls-playlist`
   * the media playlist of one ABR rung (`index_480p.m3u8`), absent for `playlist.m3u8`.
   */
  name?: string;
}

export type PathParse = { ok: true; route: MediaRoute } | { ok: false; status: 400 | 404; reason: string };

/** Longest request path (before the query) we look at; anything longer is refused (400). */
export const MAX_PATH_LENGTH = 2048;

/** SPEC ORIGIN-01: an HDS bootstrap is served as `<stem>.bootstrap`; on disk it has the layout's name. */
const HDS_SERVED_BOOTSTRAP_RE = /^(.+)\.bootstrap$/;

/**
 * Wowza-style manifest names (SPEC ING-03), exact case as linked (SPEC 9 item 21). These are URL
 * names, the public contract: they stay as they are whatever the packager calls its files.
 */
const WOWZA_MANIFESTS: Record<string, FileKind> = {
  'playlist.m3u8': 'hls-playlist',
  'manifest.f4m': 'hds-manifest',
  Manifest: 'smooth-manifest',
};
const WOWZA_MANIFEST_NAME: Partial<Record<FileKind, string>> = {
  'hls-playlist': 'playlist.m3u8',
  'hds-manifest': 'manifest.f4m',
  'smooth-manifest': 'Manifest',
  'llhls-master': CMAF_MASTER,
  'dash-manifest': CMAF_MPD,
};

/** IIS manifest names (SPEC ING-02): `manifest` in any case, and the HLS alias. */
const IIS_SMOOTH_MANIFEST = 'manifest';
const IIS_HLS_MANIFEST = 'manifest(format=m3u8-aapl).m3u8';
/** The IIS/Azure Media Services names of the CMAF manifests (LL-HLS master, DASH). */
const IIS_LLHLS_MANIFEST = 'manifest(format=m3u8-cmaf).m3u8';
const IIS_DASH_MANIFEST = 'manifest(format=mpd-time-cmaf).mpd';

const LIVEPKGR_INSTANCE = '_definst_';

/**
 * Splits and decodes a raw request path (no query) into segments, refusing every traversal
 * vector: `..`/`.` segments, encoded or double-encoded slashes and dots, backslashes, NUL bytes
 * and absurd lengths. Returns the decoded segments without the leading empty one.
 */
export function decodePathSegments(rawPath: string): { ok: true; segments: string[] } | { ok: false; status: 400; reason: string } {
  if (rawPath.length > MAX_PATH_LENGTH) return bad('path too long');
  if (!rawPath.startsWith('/')) return bad('path must start with /');
  if (/[\\\0]|%00|%5c/i.test(rawPath)) return bad('backslash or NUL in path');
  const segments: string[] = [];
  const raw = rawPath.split('/').slice(1);
  for (const part of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return bad('malformed percent-encoding');
    }
    // After one decode there must be nothing left that could decode again or split a path.
    if (/[\\/\0%]/.test(decoded)) return bad('encoded separator or double encoding in path');
    if (decoded === '.' || decoded === '..') return bad('dot segment in path');
    if (/[\x00-\x1f\x7f]/.test(decoded)) return bad('control character in path');
    segments.push(decoded);
  }
  return { ok: true, segments };
}

function bad(reason: string): { ok: false; status: 400; reason: string } {
  return { ok: false, status: 400, reason };
}

function notFound(reason: string): PathParse {
  return { ok: false, status: 404, reason };
}

function found(route: MediaRoute): PathParse {
  return { ok: true, route };
}

/** Parses a raw request path into a media route, or says why not (400 refused, 404 unknown). */
export function parseMediaPath(rawPath: string): PathParse {
  const decoded = decodePathSegments(rawPath);
  if (!decoded.ok) return decoded;
  return routeSegments(decoded.segments);
}

/** The same as parseMediaPath, on already decoded segments. */
export function routeSegments(segs: string[]): PathParse {
  if (segs.length === 0 || segs.some((s) => s === '')) return notFound('empty path segment');
  if (segs[0] === 'hls-live' || segs[0] === 'hds-live') return parseLivepkgr(segs);
  const ismlAt = segs.findIndex((s) => /\.isml$/i.test(s));
  if (ismlAt >= 0) return parseIis(segs, ismlAt);
  return parseWowza(segs);
}

/** `/hls-live/<app>/_definst_/<event>/<stream>.m3u8` and `/hds-live/…/<stream>.f4m` (SPEC ING-01). */
function parseLivepkgr(segs: string[]): PathParse {
  const hls = segs[0] === 'hls-live';
  const inst = segs.indexOf(LIVEPKGR_INSTANCE);
  if (inst !== 2 && inst !== 3) return notFound('livepkgr path needs /<app>/_definst_/');
  const app = segs.slice(1, inst).join('/');
  if (!isValidApp(app)) return notFound('invalid app');
  const event = segs[inst + 1];
  if (event === undefined || !isValidEventName(event)) return notFound('invalid event');
  const rest = segs.slice(inst + 2);
  const family: UrlFamily = 'livepkgr';
  if (rest.length === 1) {
    const m = hls ? /^(.+)\.m3u8$/.exec(rest[0]) : /^(.+)\.f4m$/.exec(rest[0]);
    if (!m || !isValidStreamName(m[1])) return notFound('invalid livepkgr manifest name');
    return found({ family, key: { app, name: m[1] }, event, kind: hls ? 'hls-playlist' : 'hds-manifest' });
  }
  // Media of one stream sit below `<stream>/` so two streams of one event never collide.
  if (rest.length === 2 && isValidStreamName(rest[0])) {
    const key = { app, name: rest[0] };
    // The CMAF output sits below `<stream>/` with Wowza's names (a livepkgr URL names no format).
    const media = hls ? (cmafManifest(rest[1]) ?? cmafMedia(rest[1]) ?? hlsMedia(rest[1])) : hdsMedia(rest[1]);
    if (media) return found({ family, key, event, ...media });
  }
  return notFound('unknown livepkgr file');
}

/** `/<stream>.isml/…` (app `live`) and `/<app>/<stream>.isml/…` (any app, incl. `cfx/st`), SPEC ING-02. */
function parseIis(segs: string[], ismlAt: number): PathParse {
  let app: string;
  if (ismlAt === 0) app = 'live';
  else if (ismlAt === 1) app = segs[0];
  else if (ismlAt === 2 && `${segs[0]}/${segs[1]}` === CLOUDFRONT_APP) app = CLOUDFRONT_APP;
  else return notFound('unknown .isml path');
  const name = segs[ismlAt].slice(0, -'.isml'.length);
  if (!isValidApp(app) || !isValidStreamName(name)) return notFound('invalid stream');
  const key = { app, name };
  const rest = segs.slice(ismlAt + 1);
  const family: UrlFamily = 'iis';
  if (rest.length === 1) {
    const lower = rest[0].toLowerCase();
    if (lower === IIS_SMOOTH_MANIFEST) return found({ family, key, kind: 'smooth-manifest' });
    if (lower === IIS_HLS_MANIFEST) return found({ family, key, kind: 'hls-playlist' });
    if (lower === IIS_LLHLS_MANIFEST) return found({ family, key, kind: 'llhls-master' });
    if (lower === IIS_DASH_MANIFEST) return found({ family, key, kind: 'dash-manifest' });
    const media = cmafMedia(rest[0]) ?? hlsMedia(rest[0]);
    if (media) return found({ family, key, ...media });
  }
  if (rest.length === 2) {
    const media = smoothMedia(rest[0], rest[1]);
    if (media) return found({ family, key, ...media });
  }
  return notFound('unknown .isml file');
}

/** `/<app>/<stream>/{playlist.m3u8|manifest.f4m|Manifest}` and the media beside them (SPEC ING-03). */
function parseWowza(segs: string[]): PathParse {
  // `/cfx/st/<stream>/…` first; if that does not parse, `cfx` may be an ordinary app.
  if (segs.length >= 4 && `${segs[0]}/${segs[1]}` === CLOUDFRONT_APP) {
    const two = parseWowzaRest(CLOUDFRONT_APP, segs[2], segs.slice(3));
    if (two.ok) return two;
  }
  if (segs.length < 3) return notFound('unknown path');
  return parseWowzaRest(segs[0], segs[1], segs.slice(2));
}

function parseWowzaRest(app: string, name: string, rest: string[]): PathParse {
  if (!isValidApp(app) || !isValidStreamName(name)) return notFound('invalid stream');
  const key = { app, name };
  const family: UrlFamily = 'wowza';
  if (rest.length === 1) {
    const manifest = Object.hasOwn(WOWZA_MANIFESTS, rest[0]) ? WOWZA_MANIFESTS[rest[0]] : undefined;
    if (manifest) return found({ family, key, kind: manifest });
    const media = cmafManifest(rest[0]) ?? cmafMedia(rest[0]) ?? hlsMedia(rest[0]) ?? hdsMedia(rest[0]);
    if (media) return found({ family, key, ...media });
  }
  if (rest.length === 2) {
    const media = smoothMedia(rest[0], rest[1]);
    if (media) return found({ family, key, ...media });
  }
  return notFound('unknown file');
}

type Media = { kind: FileKind; name?: string };

/** `playlist_sfm4s.m3u8` / `manifest_sfm4s.mpd` (Wowza's CMAF names). */
function cmafManifest(file: string): Media | undefined {
  if (file === CMAF_MASTER) return { kind: 'llhls-master' };
  if (file === CMAF_MPD) return { kind: 'dash-manifest' };
  return undefined;
}

function cmafMedia(file: string): Media | undefined {
  const f = parseCmafFile(file);
  if (!f) return undefined;
  return { kind: f.kind === 'cmaf-playlist' ? 'llhls-playlist' : f.kind, name: file };
}

/** A TS segment, or the media playlist of one ABR rung. */
function hlsMedia(file: string): Media | undefined {
  if (hlsRungOfPlaylist(file) !== undefined) return { kind: 'hls-playlist', name: file };
  return isHlsSegmentName(file) ? { kind: 'hls-segment', name: file } : undefined;
}

function hdsMedia(file: string): Media | undefined {
  if (isServedBootstrap(file)) return { kind: 'hds-bootstrap', name: file };
  if (isHdsFragmentName(file)) return { kind: 'hds-fragment', name: file };
  return undefined;
}

function isServedBootstrap(name: string): boolean {
  const stem = HDS_SERVED_BOOTSTRAP_RE.exec(name)?.[1];
  return stem !== undefined && isHdsStem(stem);
}

function smoothMedia(level: string, fragment: string): Media | undefined {
  const name = `${level}/${fragment}`;
  return isSmoothFragmentPath(name) ? { kind: 'smooth-fragment', name } : undefined;
}

/** True when `name` is a media name the given kind may carry (same patterns the parser uses). */
export function isValidMediaName(kind: FileKind, name: string): boolean {
  switch (kind) {
    case 'hls-segment':
      return isHlsSegmentName(name);
    case 'hls-playlist':
      return hlsRungOfPlaylist(name) !== undefined;
    case 'hds-bootstrap':
      return isServedBootstrap(name);
    case 'hds-fragment':
      return isHdsFragmentName(name);
    case 'smooth-fragment':
      return isSmoothFragmentPath(name);
    case 'llhls-playlist':
    case 'cmaf-init':
    case 'cmaf-part':
    case 'cmaf-segment':
      return cmafMedia(name)?.kind === kind;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The other direction: route → path, and where a route's bytes live on disk.

/** The format directory holding a kind, and the file's path relative to it (POSIX separators). */
export function diskLocation(route: MediaRoute): { format: OutputFormat; file: string } {
  switch (route.kind) {
    case 'hls-playlist':
      return { format: 'hls', file: route.name === undefined ? HLS_FILES.playlist : requireName(route) };
    case 'hds-manifest':
      return { format: 'hds', file: HDS_FILES.manifest };
    case 'smooth-manifest':
      return { format: 'mss', file: SMOOTH_FILES.manifest };
    case 'hls-segment':
      return { format: 'hls', file: requireName(route) };
    case 'hds-fragment':
      return { format: 'hds', file: requireName(route) };
    case 'hds-bootstrap':
      // SPEC ORIGIN-01: the bootstrap is served under a `.bootstrap` name; ffmpeg writes the layout's.
      return { format: 'hds', file: bootstrapDiskName(requireName(route)) };
    case 'smooth-fragment':
      return { format: 'mss', file: requireName(route) };
    default:
      throw new Error(`${route.kind} is served from the CMAF timeline, not from a file`);
  }
}

function requireName(route: MediaRoute): string {
  if (!route.name || !isValidMediaName(route.kind, route.name)) {
    throw new Error(`route of kind ${route.kind} has no valid media name`);
  }
  return route.name;
}

/** `stream0.bootstrap` → `stream0.abst` (the layout's bootstrap name). */
export function bootstrapDiskName(served: string): string {
  return served.replace(/\.bootstrap$/, HDS_FILES.bootstrapSuffix);
}

/** `stream0.abst` → `stream0.bootstrap`. */
export function bootstrapServedName(onDisk: string): string {
  return onDisk.endsWith(HDS_FILES.bootstrapSuffix) ? `${onDisk.slice(0, -HDS_FILES.bootstrapSuffix.length)}.bootstrap` : onDisk;
}

const { hls, hds, smooth, cmaf } = KINDS_BY_OUTPUT;

/** Which kinds each family serves. */
export const FAMILY_KINDS: Record<UrlFamily, readonly FileKind[]> = {
  wowza: FILE_KINDS,
  livepkgr: [...hls, ...hds, ...cmaf],
  iis: [...smooth, ...hls, ...cmaf],
};

/**
 * The directory (ending in `/`) a family's manifests of this stream live in; media of the
 * Wowza and IIS families sit right there, livepkgr media one level down in `<stream>/`.
 */
function familyBase(family: UrlFamily, key: StreamKey, event: string | undefined, kind: FileKind): string {
  switch (family) {
    case 'wowza':
      return `/${key.app}/${key.name}/`;
    case 'iis':
      return key.app === 'live' ? `/${key.name}.isml/` : `/${key.app}/${key.name}.isml/`;
    case 'livepkgr': {
      if (!event) throw new Error('a livepkgr route needs an event');
      const prefix = kind.startsWith('hds') ? 'hds-live' : 'hls-live';
      return `/${prefix}/${key.app}/${LIVEPKGR_INSTANCE}/${event}/`;
    }
  }
}

/**
 * What a manifest of this family must put before the media names it references so they resolve
 * under the same family: nothing for Wowza/IIS (media beside the manifest), `<stream>/` for
 * livepkgr (two streams of one event must not collide, SPEC ING-01).
 */
export function manifestReferencePrefix(route: Pick<MediaRoute, 'family' | 'key'>): string {
  return route.family === 'livepkgr' ? `${route.key.name}/` : '';
}

/** The root-relative URL path of a route. Parentheses and `=` stay unencoded (SPEC ING-02). */
export function mediaPath(route: MediaRoute): string {
  if (!FAMILY_KINDS[route.family].includes(route.kind)) {
    throw new Error(`family ${route.family} does not serve ${route.kind}`);
  }
  const base = familyBase(route.family, route.key, route.event, route.kind);
  switch (route.family) {
    case 'wowza': {
      const manifest = route.name === undefined ? WOWZA_MANIFEST_NAME[route.kind] : undefined;
      return base + (manifest ?? requireName(route));
    }
    case 'iis':
      if (route.kind === 'smooth-manifest') return base + IIS_SMOOTH_MANIFEST;
      if (route.kind === 'hls-playlist' && route.name === undefined) return base + IIS_HLS_MANIFEST;
      if (route.kind === 'llhls-master') return base + IIS_LLHLS_MANIFEST;
      if (route.kind === 'dash-manifest') return base + IIS_DASH_MANIFEST;
      return base + requireName(route);
    case 'livepkgr':
      if (route.kind === 'hls-playlist' && route.name === undefined) return `${base}${route.key.name}.m3u8`;
      if (route.kind === 'hds-manifest') return `${base}${route.key.name}.f4m`;
      if (route.kind === 'llhls-master' || route.kind === 'dash-manifest')
        return `${base}${route.key.name}/${WOWZA_MANIFEST_NAME[route.kind]}`;
      return base + manifestReferencePrefix(route) + requireName(route);
  }
}

/** Every manifest path of a stream, per family (root-relative). livepkgr only when it has an event. */
export interface ManifestPaths {
  /**
   * `llhls`: the LL-HLS master playlist; `dash`: the DASH manifest (the CMAF output). Present when
   * the origin serves them (it runs beside the packager, whose timelines they are made from).
   */
  wowza: { hls: string; hds: string; smooth: string } & CmafPaths;
  iis: { smooth: string; hls: string } & CmafPaths;
  livepkgr?: { hls: string; hds: string } & CmafPaths;
}

interface CmafPaths {
  llhls?: string;
  dash?: string;
}

export function manifestPaths(key: StreamKey, event?: string, opts: { cmaf?: boolean } = {}): ManifestPaths {
  const p = (family: UrlFamily, kind: FileKind, ev?: string) => mediaPath({ family, key, kind, event: ev });
  const cmaf = (family: UrlFamily, ev?: string): CmafPaths =>
    opts.cmaf === false ? {} : { llhls: p(family, 'llhls-master', ev), dash: p(family, 'dash-manifest', ev) };
  const out: ManifestPaths = {
    wowza: { hls: p('wowza', 'hls-playlist'), hds: p('wowza', 'hds-manifest'), smooth: p('wowza', 'smooth-manifest'), ...cmaf('wowza') },
    iis: { smooth: p('iis', 'smooth-manifest'), hls: p('iis', 'hls-playlist'), ...cmaf('iis') },
  };
  if (event)
    out.livepkgr = { hls: p('livepkgr', 'hls-playlist', event), hds: p('livepkgr', 'hds-manifest', event), ...cmaf('livepkgr', event) };
  return out;
}
