// Pure: which Cache-Control and Content-Type each kind of served file gets.
// SPEC ORIGIN-01 (max-age defaults 2 s for .m3u8/.f4m/.bootstrap, 60 s for .ts and HDS fragments,
// under the AMS parameter names), SPEC 9 item 2 (Smooth: project defaults 2 s / 60 s) and
// SPEC VOD-04 (the edge never guesses MIME types, so the origin must send them).
import type { CacheControlConfig } from '../config/index.js';
import type { VodFileKind } from '../timeline/output-layout.js';

/** The kinds of media file the origin serves, by the output they belong to. */
export const KINDS_BY_OUTPUT = {
  hls: ['hls-playlist', 'hls-segment'],
  hds: ['hds-manifest', 'hds-bootstrap', 'hds-fragment'],
  smooth: ['smooth-manifest', 'smooth-fragment'],
  // The CMAF output, generated from the stream's timeline (LL-HLS and DASH share the media).
  cmaf: ['llhls-master', 'llhls-playlist', 'dash-manifest', 'cmaf-init', 'cmaf-part', 'cmaf-segment'],
} as const;

/** Every kind of media file the origin serves. */
export const FILE_KINDS = [...KINDS_BY_OUTPUT.hls, ...KINDS_BY_OUTPUT.hds, ...KINDS_BY_OUTPUT.smooth, ...KINDS_BY_OUTPUT.cmaf] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** Kinds served from the CMAF timeline in memory rather than from files. */
export const TIMELINE_KINDS: ReadonlySet<FileKind> = new Set(KINDS_BY_OUTPUT.cmaf);

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

/**
 * Per kind: the config key (SPEC ORIGIN-01 name) that sets its max-age, its Content-Type (SPEC VOD-04,
 * PROJECT values) and whether it is a manifest.
 */
const KIND_POLICY: Record<FileKind, { maxAge: keyof CacheControlConfig; contentType: string; manifest: boolean }> = {
  'hls-playlist': { maxAge: 'm3u8MaxAge', contentType: 'application/vnd.apple.mpegurl', manifest: true },
  'hls-segment': { maxAge: 'tsMaxAge', contentType: 'video/MP2T', manifest: false },
  'hds-manifest': { maxAge: 'HttpStreamingF4MMaxAge', contentType: 'application/f4m+xml', manifest: true },
  'hds-bootstrap': { maxAge: 'HttpStreamingBootstrapMaxAge', contentType: 'application/octet-stream', manifest: false },
  'hds-fragment': { maxAge: 'HttpStreamingFragMaxAge', contentType: 'video/f4f', manifest: false },
  'smooth-manifest': { maxAge: 'smoothManifestMaxAge', contentType: 'text/xml', manifest: true },
  'smooth-fragment': { maxAge: 'smoothFragMaxAge', contentType: 'video/mp4', manifest: false },
  // A plain LL-HLS playlist is as short-lived as today's m3u8; blocking answers use llhlsBlockingMaxAge.
  'llhls-master': { maxAge: 'm3u8MaxAge', contentType: 'application/vnd.apple.mpegurl', manifest: true },
  'llhls-playlist': { maxAge: 'm3u8MaxAge', contentType: 'application/vnd.apple.mpegurl', manifest: true },
  'dash-manifest': { maxAge: 'dashManifestMaxAge', contentType: 'application/dash+xml', manifest: true },
  // Audio tracks are sent as audio/mp4 (see cmafContentType).
  'cmaf-init': { maxAge: 'cmafMediaMaxAge', contentType: 'video/mp4', manifest: false },
  'cmaf-part': { maxAge: 'cmafMediaMaxAge', contentType: 'video/mp4', manifest: false },
  'cmaf-segment': { maxAge: 'cmafMediaMaxAge', contentType: 'video/mp4', manifest: false },
};

/** CMAF media of an audio-only track are `audio/mp4` (RFC 4337), video and muxed ones `video/mp4`. */
export function cmafContentType(trackKind: 'video' | 'audio'): string {
  return trackKind === 'audio' ? 'audio/mp4' : 'video/mp4';
}

export function maxAgeHeader(seconds: number): string {
  return `max-age=${Math.floor(seconds)}`;
}

export function filePolicy(kind: FileKind, cache: CacheControlConfig): FilePolicy {
  const p = KIND_POLICY[kind];
  return { cacheControl: maxAgeHeader(cache[p.maxAge]), contentType: p.contentType, isManifest: p.manifest, compressible: p.manifest };
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
