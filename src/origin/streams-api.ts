// Pure: the JSON of GET /api/streams, built from the live registry's records.
import type { LiveStream, LiveStreamRung } from '../streams/registry.js';
import { CLOUDFRONT_APP, cloudFrontPlayApp, streamId, type StreamKey } from '../streams/stream-key.js';
import { manifestPaths, type ManifestPaths } from './url-families.js';
import { vodKey, VOD_FILES } from '../timeline/output-layout.js';

export interface StreamDescription {
  id: string;
  app: string;
  name: string;
  event: string | null;
  startedAt: string;
  packaging: LiveStream['packaging'];
  transcoding: boolean;
  codecs: { video: string | null; audio: string | null };
  video: LiveStream['video'] | null;
  audio: LiveStream['audio'] | null;
  bitrateKbps: number | null;
  /**
   * The renditions every manifest lists, highest first: the ABR ladder's rungs, or the source
   * alone (without a ladder, or before packaging has planned one).
   */
  rungs: LiveStreamRung[];
  /** Root-relative manifest paths: what a player behind the edge uses (the edge rewrites Host). */
  paths: ManifestPaths;
  /** The same manifests as absolute URLs on `baseUrl`. */
  urls: ManifestPaths;
  /** The same manifests on the edge's HTTPS listener (HTTP/2: what LL-HLS on Apple devices expects), when it has one. */
  httpsUrls?: ManifestPaths;
  /** RTMP play URL at the path it was published to (RTMP play works there, cfx/st included). */
  rtmp: string[];
  /** A recorded stream: its recording's MP4, root-relative; served once the publisher has left (the player links it then). */
  recording?: { id: string; url: string };
}

export interface StreamsResponse {
  streams: StreamDescription[];
  /** The edge's HTTPS listener, when it has one: its port (a page builds its own https:// URL on it) and base URL. */
  https?: { port: number; baseUrl: string };
}

export interface ApiBase {
  /** `http://host:port` without a trailing slash. */
  baseUrl: string;
  /** `https://host[:port]` of the edge's HTTPS listener, when there is one. */
  httpsBaseUrl?: string;
  /** That listener's port. */
  httpsPort?: number;
  /** Host name (no port) for the RTMP URLs. */
  rtmpHost: string;
  rtmpPort: number;
}

function absolute(paths: ManifestPaths, baseUrl: string): ManifestPaths {
  const map = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, baseUrl + v])) as T;
  return {
    wowza: map(paths.wowza),
    iis: map(paths.iis),
    ...(paths.livepkgr ? { livepkgr: map(paths.livepkgr) } : {}),
  };
}

function rtmpAuthority(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${h}:${port}`;
}

/**
 * `live`: every stream live now. RTMP play works at the published path, and at the CloudFront
 * path `cfx/st/<name>` when that reaches this stream (see cloudFrontPlayApp, SPEC RTMP-10).
 */
export function describeStream(
  s: LiveStream,
  base: ApiBase,
  live: readonly StreamKey[] = [s.key],
  opts: { cmaf?: boolean } = {},
): StreamDescription {
  const rtmpBase = `rtmp://${rtmpAuthority(base.rtmpHost, base.rtmpPort)}`;
  const rtmp = [`${rtmpBase}/${s.key.app}/${s.key.name}`];
  if (s.key.app !== CLOUDFRONT_APP && cloudFrontPlayApp(s.key.name, live) === s.key.app)
    rtmp.push(`${rtmpBase}/${CLOUDFRONT_APP}/${s.key.name}`);
  const paths = manifestPaths(s.key, s.event, opts);
  return {
    id: streamId(s.key),
    app: s.key.app,
    name: s.key.name,
    event: s.event ?? null,
    startedAt: s.startedAt.toISOString(),
    packaging: s.packaging,
    transcoding: s.transcoding === true,
    codecs: { video: s.video?.codec ?? null, audio: s.audio?.codec ?? null },
    video: s.video ?? null,
    audio: s.audio ?? null,
    bitrateKbps: s.bitrateKbps ?? null,
    rungs: s.rungs ?? [
      {
        name: 'source',
        source: true,
        ...(s.video?.width && s.video.height ? { width: s.video.width, height: s.video.height } : {}),
      },
    ],
    paths,
    urls: absolute(paths, base.baseUrl),
    ...(base.httpsBaseUrl !== undefined ? { httpsUrls: absolute(paths, base.httpsBaseUrl) } : {}),
    rtmp,
    ...(s.recordingId !== undefined ? { recording: { id: s.recordingId, url: `/${vodKey(s.key, s.recordingId, VOD_FILES.mp4)}` } } : {}),
  };
}

/** `cmaf: false`: the origin has no CMAF timelines (it runs without the packager), so no llhls/dash URLs. */
export function describeStreams(list: LiveStream[], base: ApiBase, opts: { cmaf?: boolean } = {}): StreamsResponse {
  const live = list.map((s) => s.key);
  const streams = list.map((s) => describeStream(s, base, live, opts)).sort((a, b) => a.id.localeCompare(b.id));
  return base.httpsBaseUrl !== undefined && base.httpsPort !== undefined
    ? { streams, https: { port: base.httpsPort, baseUrl: base.httpsBaseUrl } }
    : { streams };
}

/**
 * The base of absolute URLs: the configured public URL, else the request's Host when it is a
 * plain host[:port] (a Host header is client input and ends up in JSON), else the listen address.
 */
export function apiBase(opts: {
  publicBaseUrl?: string;
  hostHeader?: string;
  protocol: string;
  fallbackHost: string;
  fallbackPort: number;
  rtmpPort: number;
  /** The edge's HTTPS port when the edge runs with HTTPS (0 or absent: none). */
  edgeHttpsPort?: number;
}): ApiBase {
  const https = (hostname: string, path = '') => {
    const port = opts.edgeHttpsPort;
    if (!port) return {};
    return { httpsBaseUrl: `https://${hostname}${port === 443 ? '' : `:${port}`}${path}`, httpsPort: port };
  };
  if (opts.publicBaseUrl) {
    const u = new URL(opts.publicBaseUrl);
    const path = u.pathname.replace(/\/+$/, '');
    return {
      baseUrl: `${u.protocol}//${u.host}${path}`,
      rtmpHost: stripBrackets(u.hostname),
      rtmpPort: opts.rtmpPort,
      // A public https:// URL is already the HTTPS one.
      ...(u.protocol === 'https:'
        ? { httpsBaseUrl: `https://${u.host}${path}`, httpsPort: Number(u.port || 443) }
        : https(u.hostname, path)),
    };
  }
  const host =
    opts.hostHeader && /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(opts.hostHeader)
      ? opts.hostHeader
      : `${rtmpAuthority(opts.fallbackHost, opts.fallbackPort).replace(/:\d+$/, '')}:${opts.fallbackPort}`;
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  const protocol = opts.protocol === 'https' ? 'https' : 'http';
  return {
    baseUrl: `${protocol}://${host}`,
    rtmpHost: stripBrackets(hostname),
    rtmpPort: opts.rtmpPort,
    ...(protocol === 'https' ? { httpsBaseUrl: `https://${host}`, httpsPort: Number(/:(\d+)$/.exec(host)?.[1] ?? 443) } : https(hostname)),
  };
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
