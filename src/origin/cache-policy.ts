// Pure: which Cache-Control and Content-Type each kind of served file gets.
// SPEC ORIGIN-01 (max-age defaults 2 s for .m3u8/.f4m/.bootstrap, 60 s for .ts and HDS fragments,
// under the AMS parameter names), SPEC 9 item 2 (Smooth: project defaults 2 s / 60 s) and
// SPEC VOD-04 (the edge never guesses MIME types, so the origin must send them).
import type { CacheControlConfig } from '../config/index.js';
import type { VodFileKind } from '../timeline/output-layout.js';

/** Every kind of media file the origin serves. */
export type FileKind =
  | 'hls-playlist'
  | 'hls-segment'
  | 'hds-manifest'
  | 'hds-bootstrap'
  | 'hds-fragment'
  | 'smooth-manifest'
  | 'smooth-fragment'
  // The CMAF output, generated from the stream's timeline (LL-HLS and DASH share the media).
  | 'llhls-master'
  | 'llhls-playlist'
  | 'dash-manifest'
  | 'cmaf-init'
  | 'cmaf-part'
  | 'cmaf-segment';

export const FILE_KINDS: readonly FileKind[] = [
  'hls-playlist',
  'hls-segment',
  'hds-manifest',
  'hds-bootstrap',
  'hds-fragment',
  'smooth-manifest',
  'smooth-fragment',
  'llhls-master',
  'llhls-playlist',
  'dash-manifest',
  'cmaf-init',
  'cmaf-part',
  'cmaf-segment',
];

/** Kinds served from the CMAF timeline in memory rather than from files. */
export const TIMELINE_KINDS: ReadonlySet<FileKind> = new Set([
  'llhls-master',
  'llhls-playlist',
  'dash-manifest',
  'cmaf-init',
  'cmaf-part',
  'cmaf-segment',
]);

export interface FilePolicy {
  cacheControl: string;
  contentType: string;
  /** Manifests are small and rewritten on the fly: read whole, ETag from content. */
  isManifest: boolean;
  /**
   * GZ-03: the origin never compresses media (`.ts`, f4f, Smooth fragments). Manifests could be,
   * but this origin sends everything identity-encoded; the flag records the rule for callers.
   */
  compressible: boolean;
}

/** Which config key (SPEC ORIGIN-01 name) sets the max-age of each kind. */
const MAX_AGE_KEY: Record<FileKind, keyof CacheControlConfig> = {
  'hls-playlist': 'm3u8MaxAge',
  'hls-segment': 'tsMaxAge',
  'hds-manifest': 'HttpStreamingF4MMaxAge',
  'hds-bootstrap': 'HttpStreamingBootstrapMaxAge',
  'hds-fragment': 'HttpStreamingFragMaxAge',
  'smooth-manifest': 'smoothManifestMaxAge',
  'smooth-fragment': 'smoothFragMaxAge',
  // A plain LL-HLS playlist is as short-lived as today's m3u8; blocking answers use llhlsBlockingMaxAge.
  'llhls-master': 'm3u8MaxAge',
  'llhls-playlist': 'm3u8MaxAge',
  'dash-manifest': 'dashManifestMaxAge',
  'cmaf-init': 'cmafMediaMaxAge',
  'cmaf-part': 'cmafMediaMaxAge',
  'cmaf-segment': 'cmafMediaMaxAge',
};

/** SPEC VOD-04 (PROJECT values). */
const CONTENT_TYPE: Record<FileKind, string> = {
  'hls-playlist': 'application/vnd.apple.mpegurl',
  'hls-segment': 'video/MP2T',
  'hds-manifest': 'application/f4m+xml',
  'hds-bootstrap': 'application/octet-stream',
  'hds-fragment': 'video/f4f',
  'smooth-manifest': 'text/xml',
  'smooth-fragment': 'video/mp4',
  'llhls-master': 'application/vnd.apple.mpegurl',
  'llhls-playlist': 'application/vnd.apple.mpegurl',
  'dash-manifest': 'application/dash+xml',
  // Audio tracks are sent as audio/mp4 (see cmafContentType).
  'cmaf-init': 'video/mp4',
  'cmaf-part': 'video/mp4',
  'cmaf-segment': 'video/mp4',
};

const MANIFEST_KINDS: ReadonlySet<FileKind> = new Set([
  'hls-playlist',
  'hds-manifest',
  'smooth-manifest',
  'llhls-master',
  'llhls-playlist',
  'dash-manifest',
]);

/** CMAF media of an audio-only track are `audio/mp4` (RFC 4337), video and muxed ones `video/mp4`. */
export function cmafContentType(trackKind: 'video' | 'audio'): string {
  return trackKind === 'audio' ? 'audio/mp4' : 'video/mp4';
}

export function maxAgeHeader(seconds: number): string {
  return `max-age=${Math.floor(seconds)}`;
}

export function filePolicy(kind: FileKind, cache: CacheControlConfig): FilePolicy {
  const isManifest = MANIFEST_KINDS.has(kind);
  return {
    cacheControl: maxAgeHeader(cache[MAX_AGE_KEY[kind]]),
    contentType: CONTENT_TYPE[kind],
    isManifest,
    compressible: isManifest,
  };
}

/**
 * A file that is not there (yet), or a request we refuse: a short-lived error so an edge does not
 * keep serving a 404 for a segment that appears a second later (ERR-01's 300 s default would).
 */
export function notFoundCacheControl(cache: CacheControlConfig): string {
  return maxAgeHeader(cache.notFoundMaxAge);
}

/**
 * A recording's files (SPEC VOD-02, VOD-03, VOD-04). The playlist, MPD and MP4 can still grow while
 * a plain republish continues the recording, so they get the shorter max-age; segments never change.
 */
const VOD_TYPES: Record<VodFileKind, { contentType: string; key: keyof CacheControlConfig }> = {
  'vod-playlist': { contentType: 'application/vnd.apple.mpegurl', key: 'vodManifestMaxAge' },
  'vod-mpd': { contentType: 'application/dash+xml', key: 'vodManifestMaxAge' },
  'vod-mp4': { contentType: 'video/mp4', key: 'vodManifestMaxAge' },
  'vod-segment': { contentType: 'video/MP2T', key: 'vodMediaMaxAge' },
  'vod-init': { contentType: 'video/mp4', key: 'vodMediaMaxAge' },
  'vod-chunk': { contentType: 'video/mp4', key: 'vodMediaMaxAge' },
};

export function vodPolicy(kind: VodFileKind, cache: CacheControlConfig): { contentType: string; cacheControl: string } {
  const t = VOD_TYPES[kind];
  return { contentType: t.contentType, cacheControl: maxAgeHeader(cache[t.key]) };
}
