// The one typed configuration of streamfront. Defaults live here; flags, environment
// variables and an optional JSON file are merged by ./load.ts and validated with this schema.
import { z } from 'zod';
import { edgeConfigSchema } from './edge.js';

const port = z.number().int().min(0).max(65535);
const seconds = z.number().min(0);

export const ingestConfigSchema = z
  .object({
    /** When set, a publisher must present `?key=<hmac>` (see src/ingest/publish-auth.ts). Off by default. */
    publishSecret: z.string().min(1).optional(),
    /** Optional publish IP allow-list of IPv4/IPv6 addresses or CIDRs (SPEC 2.1 "authentication"). Empty = any. */
    publishAllow: z.array(z.string().min(1)).default([]),
    /** A publisher that sends no bytes for this long is disconnected (FIELD-NOTES §7 N4). */
    idleTimeoutSeconds: seconds.default(15),
  })
  .strict();

export const packagerConfigSchema = z
  .object({
    /** ffmpeg binary; default: FFMPEG_PATH or `ffmpeg` on PATH. */
    ffmpegPath: z.string().min(1).optional(),
    /** HLS target duration / HDS and Smooth fragment length, seconds. Segments follow key frames. */
    segmentSeconds: z.number().min(1).max(30).default(2),
    /** Segments listed in the live HLS playlist and kept in the HDS/Smooth windows. */
    windowSegments: z.number().int().min(2).max(100).default(6),
    /** Extra segments kept on disk behind the window, so players a little behind do not get 404s. */
    extraWindowSegments: z.number().int().min(0).max(100).default(3),
    /** Files of a finished stream are removed this long after the publisher leaves. */
    cleanupDelaySeconds: seconds.default(60),
    /** Back-off bounds for restarting an ffmpeg that died while the publisher is live. */
    restartMinSeconds: seconds.default(0.5),
    restartMaxSeconds: seconds.default(10),
  })
  .strict();

/** SPEC ORIGIN-01 defaults, under the AMS parameter names plus keys for m3u8, ts and Smooth. */
export const cacheControlSchema = z
  .object({
    HttpStreamingF4MMaxAge: seconds.default(2),
    HttpStreamingBootstrapMaxAge: seconds.default(2),
    HttpStreamingFragMaxAge: seconds.default(60),
    m3u8MaxAge: seconds.default(2),
    tsMaxAge: seconds.default(60),
    smoothManifestMaxAge: seconds.default(2),
    smoothFragMaxAge: seconds.default(60),
    /** A segment that is not there yet: short-lived 404 rather than a long-cached error. */
    notFoundMaxAge: seconds.default(1),
  })
  .strict();

export const originConfigSchema = z
  .object({
    cacheControl: cacheControlSchema.default(() => cacheControlSchema.parse({})),
    /** Access-Control-Allow-Origin value sent with manifests and media; empty string disables CORS. */
    corsAllowOrigin: z.string().default('*'),
    /** Public base URL used for absolute manifest URLs in /api/streams (default: from the request's Host). */
    publicBaseUrl: z.string().url().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    /** Address every listener binds to. Loopback by default: nothing listens beyond what you configure. */
    host: z.string().min(1).default('127.0.0.1'),
    rtmpPort: port.default(1935),
    originPort: port.default(8080),
    edgePort: port.default(8000),
    /** HTTPS (HTTP/2 and HTTP/1.1 by ALPN) port of the edge (SPEC TLS-01/02); 0 turns HTTPS off. */
    edgeHttpsPort: port.default(8443),
    dataDir: z.string().min(1).default('./data'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `auto`: pino-pretty lines when stdout is a terminal, JSON lines otherwise; `json` / `pretty` force one. */
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
    ingest: ingestConfigSchema.default(() => ingestConfigSchema.parse({})),
    packager: packagerConfigSchema.default(() => packagerConfigSchema.parse({})),
    origin: originConfigSchema.default(() => originConfigSchema.parse({})),
    edge: edgeConfigSchema.default(() => edgeConfigSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type IngestConfig = Config['ingest'];
export type PackagerConfig = Config['packager'];
export type OriginConfig = Config['origin'];
export type CacheControlConfig = OriginConfig['cacheControl'];
export type { EdgeConfig } from './edge.js';

/** The address a local client uses to reach a listener bound to `host`. */
export function loopbackFor(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The configuration with every default filled in; overrides are deep-merged first. */
export function defaultConfig(overrides: unknown = {}): Config {
  return configSchema.parse(overrides);
}
