// The one typed configuration of streamfront. Defaults live here; flags, environment
// variables and an optional JSON file are merged by ./load.ts and validated with this schema.
import { z } from 'zod';
import { edgeConfigSchema } from './edge.js';
import { httpServerLimitsSchema, ORIGIN_HTTP_LIMITS } from './http-limits.js';

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
    /** Largest RTMP message a client may declare; more is refused and the client disconnected. Room for a 4K key frame. */
    maxMessageBytes: z
      .number()
      .int()
      .min(4096)
      .max(0xffffff)
      .default(8 * 1024 * 1024),
    /** Largest RTMP chunk size a client may set (RTMP 1.0 §5.4.1; encoders use 4096–65536). */
    maxChunkSize: z.number().int().min(128).max(0xffffff).default(65536),
    /** Chunk streams one RTMP connection may use (encoders use five or six). */
    maxChunkStreams: z.number().int().min(8).max(65599).default(64),
    /** Open RTMP connections in total (0 = no cap); over it a new connection is closed at once. */
    maxConnections: z.number().int().min(0).default(1000),
    /** Open RTMP connections from one address (0 = no cap); the packager's own reads count under 127.0.0.1. */
    maxConnectionsPerAddress: z.number().int().min(0).default(300),
    /** A play of a stream that is not live is closed if the stream has not started within this time (0 = wait for ever). */
    playWaitSeconds: seconds.default(20),
  })
  .strict();

export const cmafConfigSchema = z
  .object({
    /** Write the CMAF output beside HLS/HDS/Smooth (one fMP4 pipe per track into the timeline). */
    enabled: z.boolean().default(true),
    /** LL-HLS PART-TARGET, seconds: one part per fMP4 fragment, every part at most this long. */
    partSeconds: z.number().min(0.2).max(2).default(0.5),
  })
  .strict();

/** A rung name: what its files and URLs are called (`index_480p.m3u8`), so only these characters. */
export const RUNG_NAME_RE = /^[a-z0-9]{1,16}$/;

/** One transcoded rung of the ABR ladder; bitrates in kbit/s. */
export const ladderRungSchema = z
  .object({
    name: z
      .string()
      .regex(RUNG_NAME_RE, 'a rung name is 1 to 16 lower-case letters or digits')
      .refine((n) => n !== 'source', 'the rung name "source" is the copied source rung'),
    /** Output height in pixels (even); the width follows the source's aspect ratio. */
    height: z
      .number()
      .int()
      .min(64)
      .max(4320)
      .refine((h) => h % 2 === 0, 'a rung height must be even (4:2:0 video)'),
    videoBitrate: z.number().int().min(64).max(50_000),
    audioBitrate: z.number().int().min(16).max(512),
  })
  .strict();

/**
 * `source`: the source only, copied (`-c copy`, no ABR). `default`: source + 480p + 360p + 240p.
 * A list: the source rung plus these transcoded rungs (see src/packager/abr-ladder.ts).
 */
export const ladderSchema = z.union([
  z.enum(['source', 'default']),
  z
    .array(ladderRungSchema)
    .max(8)
    .refine((l) => new Set(l.map((r) => r.name)).size === l.length, 'rung names must be unique')
    .refine((l) => new Set(l.map((r) => r.height)).size === l.length, 'rung heights must be unique')
    .refine(
      (l) => new Set(l.map((r) => r.videoBitrate)).size === l.length,
      'rung video bitrates must be unique (Smooth names a level by it)',
    ),
]);

export const packagerConfigSchema = z
  .object({
    /** The ABR ladder; `source` (default) keeps one copied rendition, today's cost. */
    ladder: ladderSchema.default('source'),
    /** ffmpeg binary; default: FFMPEG_PATH or `ffmpeg` on PATH. */
    ffmpegPath: z.string().min(1).optional(),
    /** HLS target duration / HDS and Smooth fragment length, seconds. Segments follow key frames. */
    segmentSeconds: z.number().min(1).max(30).default(2),
    /** Segments kept in the HDS/Smooth live windows (HLS lists the DVR window below). */
    windowSegments: z.number().int().min(2).max(100).default(6),
    /** Extra segments kept on disk behind the window, so players a little behind do not get 404s. */
    extraWindowSegments: z.number().int().min(0).max(100).default(3),
    /**
     * The DVR window, seconds: the TS HLS playlist, the LL-HLS media playlists and the MPD list
     * this much of the stream, so players can seek back (start-over). Disk per stream is about
     * this window of TS plus CMAF (README: bytes per minute); memory holds only the live edge.
     */
    // At most 10 h: at 1-s segments the TS playlist stays under the origin's 4 MiB manifest bound.
    dvrWindowSeconds: z.number().min(4).max(36000).default(1800),
    /**
     * The live edge: newest complete CMAF segments per track kept in memory and, with a store other
     * than the data directory, newest TS segments per playlist kept on disk; older ones in the DVR
     * window are read back from the store.
     */
    dvrMemorySegments: z.number().int().min(3).max(100).default(6),
    /** Files of a finished stream are removed this long after the publisher leaves. */
    cleanupDelaySeconds: seconds.default(60),
    /** Back-off bounds for restarting an ffmpeg that died while the publisher is live. */
    restartMinSeconds: seconds.default(0.5),
    restartMaxSeconds: seconds.default(10),
    /** The CMAF output (LL-HLS `playlist_sfm4s.m3u8`, DASH `manifest_sfm4s.mpd`), held in memory by the timeline. */
    cmaf: cmafConfigSchema.default(() => cmafConfigSchema.parse({})),
    /**
     * Below this much free space in a stream's directory its ffmpeg is stopped without a trailer
     * (players keep the last good manifests, never an end of stream) and restarted with back-off
     * once there is room again; checked every second. 0 turns the check off.
     */
    /** Keep every finished live event as VOD (HLS, static DASH, one MP4); per stream also with `?record=1` on publish. */
    record: z.boolean().default(false),
    minFreeDiskBytes: z
      .number()
      .int()
      .min(0)
      .default(8 * 1024 * 1024),
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
    /** CMAF init segments, parts and segments (LL-HLS and DASH): they never change once served. */
    cmafMediaMaxAge: seconds.min(60).default(60),
    /** LL-HLS playlists answering a blocking reload (`_HLS_msn`…): short, keyed on the query (AWS MediaPackage guidance). */
    llhlsBlockingMaxAge: seconds.default(1),
    /** The dynamic DASH manifest. */
    dashManifestMaxAge: seconds.default(1),
    /** A recording's playlist, MPD and MP4: a plain republish within cleanupDelaySeconds may still extend them. */
    vodManifestMaxAge: seconds.default(60),
    /** A recording's segments: written once, never changed. */
    vodMediaMaxAge: seconds.default(86400),
  })
  .strict();

export const originConfigSchema = z
  .object({
    cacheControl: cacheControlSchema.default(() => cacheControlSchema.parse({})),
    /** Access-Control-Allow-Origin value sent with manifests and media; empty string disables CORS. */
    corsAllowOrigin: z.string().default('*'),
    /** Public base URL used for absolute manifest URLs in /api/streams (default: from the request's Host). */
    publicBaseUrl: z.string().url().optional(),
    /** DASH ServiceDescription latency target, seconds (what dash.js aims for). */
    dashLatencyTargetSeconds: z.number().min(0.5).max(30).default(2),
    /** Requests held open at once (blocking reloads, hinted parts, growing segments); beyond it: 503. */
    maxHeldRequests: z.number().int().min(1).default(2000),
    /** Bearer token of the admin API (`DELETE /api/recordings/<id>`); unset: that API answers 403. At least 16 characters. */
    adminToken: z.string().min(16).optional(),
    /** Timeouts and connection caps of the origin's HTTP server (src/http/server-limits.ts). */
    http: httpServerLimitsSchema(ORIGIN_HTTP_LIMITS).default(() => httpServerLimitsSchema(ORIGIN_HTTP_LIMITS).parse({})),
  })
  .strict();

/** `s3://bucket/prefix`, checked again (bucket and key rules) when the store opens. */
const s3Url = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'expected s3://bucket/prefix');

export const storageConfigSchema = z
  .object({
    /** Where recordings and VOD manifests go: `data-dir` (the data directory) or an S3 bucket, `s3://bucket/prefix`. */
    store: z.union([z.literal('data-dir'), s3Url]).default('data-dir'),
    s3: z
      .object({
        /** Any S3-compatible endpoint, e.g. `http://127.0.0.1:4568`; unset: AWS's endpoint for the region. */
        endpoint: z.string().url().optional(),
        /** Unset: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
        region: z.string().min(1).optional(),
        /** Both or neither; unset: the SDK's default chain (AWS_ACCESS_KEY_ID…, ~/.aws, an instance role). */
        accessKeyId: z.string().min(1).optional(),
        secretAccessKey: z.string().min(1).optional(),
        /** Path-style URLs (`endpoint/bucket/key`): what an IP endpoint needs. */
        forcePathStyle: z.boolean().default(true),
      })
      .strict()
      .refine(
        (s) => (s.accessKeyId === undefined) === (s.secretAccessKey === undefined),
        'give both accessKeyId and secretAccessKey, or neither',
      )
      .default(() => ({ forcePathStyle: true })),
    /** Store writes waiting or retrying at once; beyond it a write is refused and its local copy kept. */
    maxQueuedWrites: z.number().int().min(1).default(10000),
    /** Store writes in flight at once. */
    writeConcurrency: z.number().int().min(1).max(64).default(4),
    /** Back-off of a failed store write: doubles from the minimum up to the maximum, retried until it succeeds. */
    retryMinSeconds: z.number().min(0.01).default(0.5),
    retryMaxSeconds: z.number().min(0.01).default(30),
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
    storage: storageConfigSchema.default(() => storageConfigSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type IngestConfig = Config['ingest'];
export type PackagerConfig = Config['packager'];
export type LadderConfig = PackagerConfig['ladder'];
export type LadderRungConfig = z.infer<typeof ladderRungSchema>;
export type OriginConfig = Config['origin'];
export type StorageConfig = Config['storage'];
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
