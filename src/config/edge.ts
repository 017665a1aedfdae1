// Edge emulator section of the configuration (SPEC §4–6). Owned by src/edge; this file
// only describes and validates the shape, with CloudFront's defaults. Cross-field rules
// (target origins exist, TTL ordering, TTL-05, pattern characters) are checked here too, so a
// bad configuration fails at start-up with a message whose path names the field.
import { z } from 'zod';
import { DEFAULT_REALTIME_FIELDS, REALTIME_FIELDS } from '../edge/realtime-fields.js';
import { compileCidr } from '../net/cidr.js';
import { KEY_GROUP_RSA_BITS, rsaPublicKeyFromPem } from '../edge/signing/keys.js';
import { EDGE_HTTP_LIMITS, httpServerLimitsSchema } from './http-limits.js';
import {
  MANAGED_CACHE_POLICIES,
  MANAGED_ORIGIN_REQUEST_POLICIES,
  MANAGED_RESPONSE_HEADERS_POLICIES,
  findPolicy,
} from '../edge/policies/managed.js';

const seconds = z.number().min(0);

/** RFC 9110 §5.1 field name (token) and field value (visible characters, spaces and tabs). */
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Headers CloudFront refuses as origin custom headers (its own, framing, conditionals, hop-by-hop). */
const CUSTOM_HEADER_DISALLOWED = new Set([
  'cache-control',
  'connection',
  'content-length',
  'cookie',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'max-forwards',
  'pragma',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'request-range',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'x-real-ip',
  'x-forwarded-for',
  'accept-encoding',
]);
function customHeaderAllowed(lower: string): boolean {
  return (
    !CUSTOM_HEADER_DISALLOWED.has(lower) && !lower.startsWith('x-amz-') && !lower.startsWith('x-edge-') && !lower.startsWith('cloudfront-')
  );
}

/** SPEC ERR-01: the only status codes CloudFront caches as errors. */
export const CACHED_ERROR_CODES = [400, 403, 404, 405, 414, 500, 501, 502, 503, 504] as const;
/** SPEC ERR-05: the status codes a custom error response may return instead. */
export const REPLACEMENT_CODES = [200, 400, 403, 404, 405, 414, 500, 501, 502, 503, 504] as const;

/** SPEC ORG-05: the three allowed-method sets. */
export const METHOD_SETS = {
  'GET,HEAD': ['GET', 'HEAD'],
  'GET,HEAD,OPTIONS': ['GET', 'HEAD', 'OPTIONS'],
  'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE': ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
} as const;

/** The status codes CloudFront can fail over on (an origin group's FailoverCriteria). */
export const FAILOVER_CODES = [400, 403, 404, 416, 500, 502, 503, 504] as const;

/** SPEC EDGE-05 pattern characters (plus `?`, the one-character wildcard). */
const PATTERN_RE = /^[A-Za-z0-9_\-.*$/~"'@:+&?]+$/;
/** SPEC DRO-01 default root object characters. */
const ROOT_OBJECT_RE = /^[A-Za-z0-9_\-.*$/~"';&]+$/;
/** SPEC CN-01: a wildcard alias must start with `*.` and have no other `*`. */
const ALIAS_RE = /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;

const originSchema = z
  .object({
    /** Origin ID that behaviours name in `targetOriginId`. */
    id: z.string().min(1).max(128),
    /** `http://` or `https://host[:port][/origin-path]` (SPEC ORG-04). */
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL'),
    /** SPEC ORG-04. Default from the URL's scheme; `match-viewer` talks to the origin in the viewer's scheme. */
    originProtocolPolicy: z.enum(['http-only', 'https-only', 'match-viewer']).optional(),
    /** Ports for `match-viewer`: default the URL's port for its own scheme, else 80 / 443. */
    httpPort: z.number().int().min(1).max(65535).optional(),
    httpsPort: z.number().int().min(1).max(65535).optional(),
    /** Check the HTTPS origin's certificate and name (SPEC RSP-02, ORG-04); `false` only for self-signed test origins. */
    tlsVerify: z.boolean().default(true),
    /** SPEC ORG-02: no response or a stall this long drops the attempt (CloudFront: 30 s). */
    responseTimeoutSeconds: z.number().positive().default(30),
    /** SPEC ORG-02: retries after a failed attempt (CloudFront: 2, so 3 attempts in all). */
    retries: z.number().int().min(0).max(10).default(2),
    /**
     * Origin custom headers (CloudFront `CustomHeaders`, SPEC POL-07), sent on every request to this origin and
     * replacing a viewer's header of the same name, e.g. `{ "Authorization": "Bearer <secret>" }`
     * for an origin that only accepts its CDN. At most 10; CloudFront's disallowed names are refused.
     */
    customHeaders: z
      .record(
        z.string().regex(HEADER_NAME_RE, 'header name: token characters only'),
        z.string().max(1783).regex(HEADER_VALUE_RE, 'header value: no control characters'),
      )
      .default({})
      .superRefine((h, ctx) => {
        const names = Object.keys(h);
        if (names.length > 10) ctx.addIssue({ code: 'custom', message: 'at most 10 custom headers per origin' });
        const seen = new Set<string>();
        for (const n of names) {
          const lower = n.toLowerCase();
          if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: [n], message: 'header named twice (names are case-insensitive)' });
          seen.add(lower);
          if (!customHeaderAllowed(lower))
            ctx.addIssue({ code: 'custom', path: [n], message: `CloudFront cannot add ${n} to origin requests` });
        }
      }),
  })
  .strict();

const cookiesSchema = z
  .object({
    /** SPEC CK-01..03. */
    forward: z.enum(['none', 'whitelist', 'all']).default('none'),
    /** Cookie names for `whitelist`; `*` and `?` wildcards allowed (CK-03). */
    whitelist: z.array(z.string().min(1)).default([]),
  })
  .strict();

/** SPEC HDR-02: headers that can never be whitelisted. */
const NEVER_WHITELISTED = new Set(['accept-encoding', 'connection', 'cookie', 'proxy-authorization', 'te', 'upgrade']);

const headersSchema = z
  .object({
    /** SPEC HDR-01. `all` forwards everything and caches nothing (TTL-05). */
    forward: z.enum(['none', 'whitelist', 'all']).default('none'),
    whitelist: z
      .array(z.string().min(1))
      .default([])
      .refine((list) => list.every((h) => !NEVER_WHITELISTED.has(h.toLowerCase())), {
        message: `cannot whitelist ${[...NEVER_WHITELISTED].join(', ')} (SPEC HDR-02)`,
      }),
  })
  .strict();

/** The settings of one cache behaviour (SPEC EDGE-02), without its path pattern. */
const behaviourFields = {
  /** Origin ID; defaults to the first origin. */
  targetOriginId: z.string().min(1).optional(),
  /** SPEC TLS-01: over HTTP, `redirect-to-https` answers GET/HEAD with 301 to the HTTPS port (other methods 403), `https-only` 403. */
  viewerProtocolPolicy: z.enum(['allow-all', 'redirect-to-https', 'https-only']).default('allow-all'),
  allowedMethods: z.enum(Object.keys(METHOD_SETS) as [keyof typeof METHOD_SETS]).default('GET,HEAD'),
  /** SPEC ORG-05: OPTIONS responses cached too (only with an allowed set that contains OPTIONS). */
  cacheOptions: z.boolean().default(false),
  /** SPEC TTL-01/04. */
  minTtl: seconds.default(0),
  defaultTtl: seconds.default(86400),
  /** The 2014 guide's maximum is "the year 2038"; a year is the value CloudFront later made the default. */
  maxTtl: seconds.default(31536000),
  /** SPEC QS-01. */
  forwardQueryString: z.boolean().default(false),
  cookies: cookiesSchema.default(() => cookiesSchema.parse({})),
  headers: headersSchema.default(() => headersSchema.parse({})),
  /** SPEC SIG-01: names of trusted signers (≤5); any request then needs a valid signed URL or signed cookies. */
  trustedSigners: z.array(z.string().min(1)).max(5).default([]),
  /** Ids of `edge.keyGroups` whose public keys may sign (today's CloudFront; beside or instead of `trustedSigners`). */
  trustedKeyGroups: z.array(z.string().min(1)).max(4).default([]),
  /** SPEC VOD-01 / INV-01: Smooth Streaming flag; its paths cannot be invalidated. */
  smoothStreaming: z.boolean().default(false),
  /**
   * A cache policy (its id or name in `edge.cachePolicies`, or a managed one by name or AWS id):
   * TTLs and the cache key. Replaces the 2014 settings `minTtl`, `defaultTtl`, `maxTtl`,
   * `forwardQueryString`, `cookies` and `headers`, which may then not be given.
   */
  cachePolicyId: z.string().min(1).optional(),
  /** An origin request policy (id or name; managed ones too): forwarded to the origin, not keyed. Needs a cache policy. */
  originRequestPolicyId: z.string().min(1).optional(),
  /** A response headers policy (id or name; managed ones too): CORS, security, custom and removed headers, Server-Timing. */
  responseHeadersPolicyId: z.string().min(1).optional(),
};

/** The 2014 settings a cache policy replaces. */
const LEGACY_CACHE_KEYS = ['minTtl', 'defaultTtl', 'maxTtl', 'forwardQueryString', 'cookies', 'headers'] as const;

/** A behaviour uses either a cache policy or the 2014 settings: both at once is refused, naming the 2014 field. */
function eitherPolicyOrLegacy<T extends z.ZodType>(schema: T) {
  return z.preprocess((raw, ctx) => {
    if (raw && typeof raw === 'object' && (raw as Record<string, unknown>).cachePolicyId !== undefined) {
      for (const k of LEGACY_CACHE_KEYS)
        if ((raw as Record<string, unknown>)[k] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `${k} is a 2014 setting: a behaviour with a cachePolicyId takes it from the policy`,
          });
    }
    return raw;
  }, schema);
}

const defaultBehaviourSchema = eitherPolicyOrLegacy(z.object(behaviourFields).strict());
const behaviourSchema = eitherPolicyOrLegacy(
  z
    .object({
      /** SPEC EDGE-05: `*` any run of characters (including `/`), `?` one character; case-sensitive; ≤255 chars. */
      pathPattern: z
        .string()
        .min(1)
        .max(255)
        .regex(PATTERN_RE, 'path pattern may only use A-Z a-z 0-9 _ - . * $ / ~ " \' @ : + & ? (SPEC EDGE-05)'),
      ...behaviourFields,
    })
    .strict(),
);

/**
 * The default distribution's behaviours: manifests under the managed cache policy
 * UseOriginCacheControlHeaders-QueryStrings, so the whole query (LL-HLS `_HLS_msn`/`_HLS_part`/
 * `_HLS_skip`, DVR `start`/`dvr_window_length`) is forwarded and keyed and the origin's
 * Cache-Control alone sets the TTL (DefaultTTL 0: a manifest without one is revalidated, never
 * kept for a day).
 */
const MANIFEST_BEHAVIOURS = [
  { pathPattern: '*.m3u8', cachePolicyId: 'UseOriginCacheControlHeaders-QueryStrings' },
  { pathPattern: '*.mpd', cachePolicyId: 'UseOriginCacheControlHeaders-QueryStrings' },
];

// ---- 2020 policies (SPEC POL-01..06; the API's shapes with camelCase keys; Quantity/Items lists are plain arrays) ----

const POLICY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const POLICY_NAME_RE = /^[A-Za-z0-9_-]{1,128}$/;
const policyIdentity = {
  /** What behaviours name (besides the name); AWS makes these UUIDs, any letters, digits, `-`, `_` do here. */
  id: z.string().regex(POLICY_ID_RE, 'policy id: letters, digits, "-" and "_"'),
  name: z.string().regex(POLICY_NAME_RE, 'policy name: letters, digits, "-" and "_"'),
  comment: z.string().max(1000).optional(),
};
const headerNames = z.array(z.string().regex(HEADER_NAME_RE, 'header name: token characters only')).default([]);
const plainNames = z.array(z.string().min(1).max(256)).default([]);

/** Headers that have their own settings in a cache policy (or can never be keyed, SPEC HDR-02). */
const NOT_IN_CACHE_KEY = new Set([
  'accept-encoding',
  'connection',
  'cookie',
  'proxy-authorization',
  'te',
  'upgrade',
  'content-length',
  'transfer-encoding',
]);

const cookiesConfigSchema = z
  .object({
    cookieBehavior: z.enum(['none', 'whitelist', 'allExcept', 'all']).default('none'),
    /** Cookie names for `whitelist` / `allExcept` (exact, case-sensitive). */
    cookies: plainNames,
  })
  .strict();
const queryStringsConfigSchema = z
  .object({
    queryStringBehavior: z.enum(['none', 'whitelist', 'allExcept', 'all']).default('none'),
    /** Parameter names for `whitelist` / `allExcept` (exact, case-sensitive, as decoded). */
    queryStrings: plainNames,
  })
  .strict();

const cachePolicySchema = z
  .object({
    ...policyIdentity,
    /** Seconds; the same table as the 2014 TTLs (SPEC TTL-04). AWS's defaults: 1 / 86400 / 31536000. */
    minTtl: seconds.default(1),
    defaultTtl: seconds.default(86400),
    maxTtl: seconds.default(31536000),
    parametersInCacheKeyAndForwardedToOrigin: z
      .object({
        /** Accept-Encoding normalised to gzip / brotli and put in the key (and sent to the origin). */
        enableAcceptEncodingGzip: z.boolean().default(false),
        enableAcceptEncodingBrotli: z.boolean().default(false),
        headersConfig: z
          .object({
            /** CloudFront allows only `none` and `whitelist` for a cache policy's headers. */
            headerBehavior: z.enum(['none', 'whitelist']).default('none'),
            headers: headerNames
              .refine((l) => l.length <= 10, 'at most 10 headers in a cache key')
              .refine(
                (l) => l.every((h) => !NOT_IN_CACHE_KEY.has(h.toLowerCase())),
                'Accept-Encoding, Cookie, Connection, Proxy-Authorization, TE, Upgrade and framing headers cannot be keyed (use the encoding and cookie settings)',
              ),
          })
          .strict()
          .default(() => ({ headerBehavior: 'none' as const, headers: [] })),
        cookiesConfig: cookiesConfigSchema.default(() => ({ cookieBehavior: 'none' as const, cookies: [] })),
        queryStringsConfig: queryStringsConfigSchema.default(() => ({ queryStringBehavior: 'none' as const, queryStrings: [] })),
      })
      .strict()
      .default(() => ({
        enableAcceptEncodingGzip: false,
        enableAcceptEncodingBrotli: false,
        headersConfig: { headerBehavior: 'none' as const, headers: [] },
        cookiesConfig: { cookieBehavior: 'none' as const, cookies: [] },
        queryStringsConfig: { queryStringBehavior: 'none' as const, queryStrings: [] },
      })),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (!(p.minTtl <= p.defaultTtl && p.defaultTtl <= p.maxTtl))
      ctx.addIssue({ code: 'custom', path: ['defaultTtl'], message: 'need minTtl <= defaultTtl <= maxTtl' });
  });

const originRequestPolicySchema = z
  .object({
    ...policyIdentity,
    headersConfig: z
      .object({
        headerBehavior: z.enum(['none', 'whitelist', 'allViewer', 'allViewerAndWhitelistCloudFront', 'allExcept']).default('none'),
        headers: headerNames.refine(
          (l) => l.every((h) => h.toLowerCase() !== 'authorization'),
          'Authorization cannot be in an origin request policy (put it in the cache policy)',
        ),
      })
      .strict()
      .default(() => ({ headerBehavior: 'none' as const, headers: [] })),
    cookiesConfig: cookiesConfigSchema.default(() => ({ cookieBehavior: 'none' as const, cookies: [] })),
    queryStringsConfig: queryStringsConfigSchema.default(() => ({ queryStringBehavior: 'none' as const, queryStrings: [] })),
  })
  .strict();

const override = z.boolean().default(false);
/** Response headers a policy may not remove or set: the edge's framing and its own CloudFront headers. */
const RESPONSE_HEADERS_KEPT = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'warning',
  'x-cache',
  'age',
]);
const responseHeaderAllowed = (h: string) => {
  const l = h.toLowerCase();
  return !RESPONSE_HEADERS_KEPT.has(l) && !l.startsWith('x-amz-cf-') && !l.startsWith('x-edge-');
};
const CORS_METHODS = ['GET', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'ALL'] as const;
const REFERRER_POLICIES = [
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
] as const;

const responseHeadersPolicySchema = z
  .object({
    ...policyIdentity,
    /** CORS headers on responses to requests with an Origin; preflights (OPTIONS) are answered by the edge. */
    corsConfig: z
      .object({
        /** Origins (`https://app.example`) or `*`. */
        accessControlAllowOrigins: z.array(z.string().min(1)).min(1),
        accessControlAllowHeaders: z.array(z.string().min(1)).default([]),
        accessControlAllowMethods: z.array(z.enum(CORS_METHODS)).min(1),
        accessControlAllowCredentials: z.boolean().default(false),
        accessControlExposeHeaders: z.array(z.string().min(1)).default([]),
        accessControlMaxAgeSec: z.number().int().min(0).optional(),
        /** The policy's CORS headers replace the origin's (false: an origin's own CORS answer wins). */
        originOverride: z.boolean(),
      })
      .strict()
      .refine((c) => !(c.accessControlAllowCredentials && c.accessControlAllowOrigins.includes('*')), {
        message: 'credentials cannot be allowed for origin "*" (the Fetch standard forbids it)',
        path: ['accessControlAllowCredentials'],
      })
      .optional(),
    securityHeadersConfig: z
      .object({
        strictTransportSecurity: z
          .object({
            accessControlMaxAgeSec: z.number().int().min(0),
            includeSubdomains: z.boolean().default(false),
            preload: z.boolean().default(false),
            override,
          })
          .strict()
          .optional(),
        contentTypeOptions: z.object({ override }).strict().optional(),
        frameOptions: z
          .object({ frameOption: z.enum(['DENY', 'SAMEORIGIN']), override })
          .strict()
          .optional(),
        referrerPolicy: z
          .object({ referrerPolicy: z.enum(REFERRER_POLICIES), override })
          .strict()
          .optional(),
        contentSecurityPolicy: z
          .object({ contentSecurityPolicy: z.string().min(1).max(1783).regex(HEADER_VALUE_RE), override })
          .strict()
          .optional(),
        xssProtection: z
          .object({ protection: z.boolean(), modeBlock: z.boolean().default(false), reportUri: z.string().url().optional(), override })
          .strict()
          .refine((x) => !(x.modeBlock && x.reportUri), { message: 'modeBlock and reportUri exclude each other', path: ['reportUri'] })
          .optional(),
      })
      .strict()
      .optional(),
    customHeadersConfig: z
      .object({
        items: z.array(
          z
            .object({
              header: z.string().regex(HEADER_NAME_RE).refine(responseHeaderAllowed, 'the edge owns this header'),
              value: z.string().max(1783).regex(HEADER_VALUE_RE, 'header value: no control characters'),
              override,
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    removeHeadersConfig: z
      .object({
        items: z.array(
          z.object({ header: z.string().regex(HEADER_NAME_RE).refine(responseHeaderAllowed, 'the edge owns this header') }).strict(),
        ),
      })
      .strict()
      .optional(),
    /** Server-Timing with the edge's figures on this percentage of responses (0–100). */
    serverTimingHeadersConfig: z
      .object({ enabled: z.boolean(), samplingRate: z.number().min(0).max(100) })
      .strict()
      .optional(),
  })
  .strict();

const customErrorSchema = z
  .object({
    /** SPEC ERR-05: the origin status this entry applies to. */
    errorCode: z
      .number()
      .int()
      .refine((c) => (CACHED_ERROR_CODES as readonly number[]).includes(c), {
        message: `must be one of ${CACHED_ERROR_CODES.join(', ')} (SPEC ERR-01)`,
      }),
    /** Path of the page to serve instead (fetched through the first behaviour that matches it). */
    responsePagePath: z.string().startsWith('/').optional(),
    /** Status sent to the viewer with the page (default: the original status). */
    responseCode: z
      .number()
      .int()
      .refine((c) => (REPLACEMENT_CODES as readonly number[]).includes(c), {
        message: `must be one of ${REPLACEMENT_CODES.join(', ')} (SPEC ERR-05)`,
      })
      .optional(),
    /** Error caching minimum TTL for this code; overrides `errorCachingMinTtl`. */
    errorCachingMinTtl: seconds.optional(),
  })
  .strict();

const geoSchema = z
  .object({
    /** SPEC GEO-01: applies to the whole distribution; a blocked viewer gets 403. */
    type: z.enum(['none', 'whitelist', 'blacklist']).default('none'),
    /** ISO 3166-1 alpha-2 codes. */
    countries: z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 code, upper case')).default([]),
  })
  .strict();

/**
 * Error caching minimum TTL per status (SPEC ERR-01/02). CloudFront's default is 300 s for every
 * cached code. PROJECT: 404 defaults to 1 s here, because on a live stream a segment or playlist
 * that is not written yet must not be pinned as a 404 for five minutes; the streamfront origin sends
 * `Cache-Control: max-age=1` on such 404s and ERR-02 caches max(header, min TTL) = 1 s.
 * Origin failures (502, 503, 504, and the edge's own 502 for a refused connection) also default to
 * 1 s: it is both how long a stale copy is served without asking the origin (ERR-04) and how long
 * an object first requested during an outage stays an error, so a live stream recovers within
 * about a second of the origin's return. The edge's own 504 (origin timeout) is never cached.
 * Set a code to 300 to get CloudFront's exact default.
 */
const SHORT_ERROR_TTL_CODES = new Set<number>([404, 502, 503, 504]);
const errorTtlSchema = z
  .object(
    Object.fromEntries(CACHED_ERROR_CODES.map((c) => [String(c), seconds.default(SHORT_ERROR_TTL_CODES.has(c) ? 1 : 300)])) as Record<
      string,
      z.ZodDefault<z.ZodNumber>
    >,
  )
  .strict();

export const distributionSchema = z
  .object({
    /** Distribution ID (upper-case letters and digits), used in log file names and the control API. */
    id: z
      .string()
      .regex(/^[A-Z0-9]{1,32}$/, 'distribution id: upper-case letters and digits')
      .default('EDFDVBD6EXAMPLE'),
    /** The distribution's own `*.cloudfront.net` name (logged as cs(Host), LOG-04, and used in Via). */
    domainName: z
      .string()
      .regex(/^[a-z0-9]+\.cloudfront\.net$/, 'must look like d111111abcdef8.cloudfront.net')
      .default('d111111abcdef8.cloudfront.net'),
    /** SPEC CN-01: alternate domain names routed to this distribution by `Host`. */
    aliases: z.array(z.string().regex(ALIAS_RE, 'alias: host name, optional leading "*." only (SPEC CN-01)')).default([]),
    /** A disabled distribution rejects every request with 403 (SPEC §0). */
    enabled: z.boolean().default(true),
    /** SPEC DRO-01: `/` is rewritten to `/<this>`; empty string disables. */
    defaultRootObject: z
      .string()
      .max(255)
      .refine((s) => s === '' || (!s.startsWith('/') && ROOT_OBJECT_RE.test(s)), 'no leading "/", characters per SPEC DRO-01')
      .default('index.html'),
    /** SPEC EDGE-01: up to 10 origins. Empty: one origin `default` from `edge.origin` / the `--origin` URL. */
    origins: z.array(originSchema).max(10).default([]),
    /**
     * Origin groups (CloudFront failover): a behaviour whose `targetOriginId` names a group asks the
     * primary, and for GET/HEAD/OPTIONS asks the secondary when the primary answers one of
     * `failoverStatusCodes`, times out or refuses the connection.
     */
    originGroups: z
      .array(
        z
          .object({
            id: z.string().min(1).max(128),
            /** `[primaryOriginId, secondaryOriginId]`. */
            members: z.tuple([z.string().min(1), z.string().min(1)]),
            failoverStatusCodes: z
              .array(
                z
                  .number()
                  .int()
                  .refine((c) => (FAILOVER_CODES as readonly number[]).includes(c), `must be one of ${FAILOVER_CODES.join(', ')}`),
              )
              .min(1)
              .default([500, 502, 503, 504]),
          })
          .strict(),
      )
      .default([]),
    /**
     * SPEC EDGE-04: ordered behaviours; the first match wins; the default behaviour is tried last.
     * Default: manifests (`*.m3u8`, `*.mpd`) use the cache policy
     * UseOriginCacheControlHeaders-QueryStrings, so LL-HLS blocking reloads (`_HLS_msn`,
     * `_HLS_part`, `_HLS_skip`) and DVR parameters (`dvr_window_length`, `start`) reach the origin
     * and are part of the cache key; everything else is keyed without the query (QS-01).
     */
    behaviors: z.array(behaviourSchema).default(() => MANIFEST_BEHAVIOURS.map((b) => behaviourSchema.parse(b))),
    /** The fixed `*` behaviour. */
    defaultBehavior: defaultBehaviourSchema.default(() => defaultBehaviourSchema.parse({})),
    errorCachingMinTtl: errorTtlSchema.default(() => errorTtlSchema.parse({})),
    customErrorResponses: z.array(customErrorSchema).default([]),
    geoRestriction: geoSchema.default(() => geoSchema.parse({})),
  })
  .strict()
  .superRefine((d, ctx) => {
    const ids = new Set(d.origins.map((o) => o.id));
    if (ids.size !== d.origins.length) ctx.addIssue({ code: 'custom', path: ['origins'], message: 'origin ids must be unique' });
    const groupIds = new Set<string>();
    d.originGroups.forEach((g, i) => {
      if (ids.has(g.id) || groupIds.has(g.id))
        ctx.addIssue({ code: 'custom', path: ['originGroups', i, 'id'], message: `id "${g.id}" is already an origin or a group` });
      groupIds.add(g.id);
      g.members.forEach((m, j) => {
        if (!ids.has(m)) ctx.addIssue({ code: 'custom', path: ['originGroups', i, 'members', j], message: `no origin with id "${m}"` });
      });
      if (g.members[0] === g.members[1])
        ctx.addIssue({ code: 'custom', path: ['originGroups', i, 'members'], message: 'primary and secondary must differ' });
    });
    const checkBehaviour = (b: z.infer<typeof defaultBehaviourSchema>, path: (string | number)[]) => {
      if (b.targetOriginId !== undefined && d.origins.length > 0 && !ids.has(b.targetOriginId) && !groupIds.has(b.targetOriginId)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'targetOriginId'],
          message: `no origin with id "${b.targetOriginId}"`,
        });
      }
      if (b.originRequestPolicyId !== undefined && b.cachePolicyId === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'originRequestPolicyId'],
          message: 'an origin request policy needs a cachePolicyId',
        });
      }
      if (b.cachePolicyId === undefined && !(b.minTtl <= b.defaultTtl && b.defaultTtl <= b.maxTtl)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'defaultTtl'], message: 'need minTtl <= defaultTtl <= maxTtl' });
      }
      if (b.headers.forward === 'all' && b.minTtl !== 0) {
        ctx.addIssue({ code: 'custom', path: [...path, 'minTtl'], message: 'must be 0 when all headers are forwarded (SPEC TTL-05)' });
      }
      if (b.cacheOptions && b.allowedMethods === 'GET,HEAD') {
        ctx.addIssue({ code: 'custom', path: [...path, 'cacheOptions'], message: 'OPTIONS is not an allowed method' });
      }
    };
    d.behaviors.forEach((b, i) => checkBehaviour(b, ['behaviors', i]));
    checkBehaviour(d.defaultBehavior, ['defaultBehavior']);
    const codes = new Set<number>();
    d.customErrorResponses.forEach((c, i) => {
      if (codes.has(c.errorCode))
        ctx.addIssue({ code: 'custom', path: ['customErrorResponses', i, 'errorCode'], message: 'duplicate errorCode' });
      codes.add(c.errorCode);
    });
  });

/** A PEM RSA public key, checked here so a bad key is a config error naming its field, before anything listens. */
const rsaPublicKeyPem = (bits?: number) =>
  z.string().superRefine((pem, ctx) => {
    const key = rsaPublicKeyFromPem(pem, bits);
    if (!key.ok) ctx.addIssue({ code: 'custom', message: key.reason });
  });

/** A Key-Pair-Id: a 2014 key pair id or a public key id. */
const KEY_ID_RE = /^[A-Za-z0-9]{1,64}$/;

const keyPairSchema = z
  .object({
    /** Key-Pair-Id, e.g. APKA9ONS7QCOWEXAMPLE. */
    id: z.string().regex(KEY_ID_RE, 'key pair id: 1-64 letters and digits'),
    /** RSA public key, PEM (SPKI or PKCS#1). */
    publicKey: rsaPublicKeyPem(),
    /** The trusted signer (account) this key pair belongs to; behaviours name signers. */
    signer: z.string().min(1).default('self'),
    /** SIG-01: only active key pairs are accepted (two may be active during rotation). */
    active: z.boolean().default(true),
  })
  .strict();

/** Today's CloudFront public key (PublicKeyConfig): its id is the `Key-Pair-Id` signed URLs and cookies name. */
const publicKeySchema = z
  .object({
    /** The public key id, e.g. K2JCJMDEHXQW5F. */
    id: z.string().regex(KEY_ID_RE, 'public key id: 1-64 letters and digits'),
    name: z.string().min(1).max(128).optional(),
    /** CloudFront's EncodedKey: the PEM of a 2048-bit RSA public key (`-----BEGIN PUBLIC KEY-----`). */
    encodedKey: rsaPublicKeyPem(KEY_GROUP_RSA_BITS),
    comment: z.string().max(128).optional(),
  })
  .strict();

/** Today's CloudFront key group (KeyGroupConfig): behaviours trust it by id in `trustedKeyGroups`. */
const keyGroupSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9-]{1,128}$/, 'key group id: letters, digits and -'),
    name: z.string().min(1).max(128).optional(),
    /** Ids of `edge.publicKeys` (CloudFront allows up to 5 per group). */
    items: z.array(z.string().min(1)).min(1).max(5),
    comment: z.string().max(128).optional(),
  })
  .strict();

const ipCountrySchema = z
  .object({
    /** IPv4 or IPv6 CIDR (`192.0.2.0/24`, `2001:db8::/32`) or a single address. */
    cidr: z.string().refine((c) => {
      try {
        compileCidr(c);
        return true;
      } catch {
        return false;
      }
    }, 'an IPv4 or IPv6 CIDR (a.b.c.d/n, x:y::/n) or a single address'),
    country: z.string().regex(/^[A-Z]{2}$/),
  })
  .strict();

const logsSchema = z
  .object({
    /** On by default: a laptop user can read what CloudFront would have logged. */
    enabled: z.boolean().default(true),
    /** Default `<dataDir>/edge-logs`. */
    dir: z.string().min(1).optional(),
    /** SPEC LOG-01 optional prefix (a `/` is added if missing). */
    prefix: z.string().default(''),
    /** Buffered lines are written as a new gzip file this often (several files per hour are normal, LOG-02). */
    flushSeconds: z.number().positive().default(60),
    /** SPEC CK-06: log the full Cookie header. */
    includeCookies: z.boolean().default(false),
  })
  .strict();

const realtimeLogSchema = z
  .object({
    /** Off by default: one line per viewer request, as CloudFront's real-time logs. */
    enabled: z.boolean().default(false),
    /** `tsv` (CloudFront's format: no header, fields in the order listed) or `json` (one object per line). */
    format: z.enum(['tsv', 'json']).default('tsv'),
    /** `-` for stdout, else a file path (appended to). */
    output: z.string().min(1).default('-'),
    /** Field names as CloudFront spells them, including the `cmcd-*` fields players send. */
    fields: z
      .array(z.enum(REALTIME_FIELDS))
      .min(1)
      .default(() => [...DEFAULT_REALTIME_FIELDS]),
    /** Percentage of requests logged (CloudFront: 1–100). */
    samplingRate: z.number().int().min(1).max(100).default(100),
  })
  .strict();

const tlsIdentityFields = {
  /** PEM certificate file (the chain after the leaf). */
  cert: z.string().min(1),
  /** PEM private key file, unencrypted (SPEC TLS-02). */
  key: z.string().min(1),
};

/**
 * Viewer HTTPS certificates (SPEC TLS-02). With neither `cert`/`key` nor `sni`, the edge makes a
 * self-signed certificate for localhost, 127.0.0.1 and the distributions' domain names once and
 * keeps it as PEM files under `<dataDir>/edge-tls/`.
 */
const tlsSchema = z
  .object({
    /** Default certificate (both or neither). */
    cert: tlsIdentityFields.cert.optional(),
    key: tlsIdentityFields.key.optional(),
    /** Certificates chosen by the client's SNI name; `hosts` are names or leading `*.` wildcards. */
    sni: z
      .array(
        z
          .object({ hosts: z.array(z.string().regex(ALIAS_RE, 'host name, optional leading "*." only')).min(1), ...tlsIdentityFields })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'set both cert and key, or neither', path: ['cert'] });

export const edgeConfigSchema = z
  .object({
    /** Origin URL used when a distribution has no origins configured explicitly. */
    origin: z.string().url().optional(),
    /** Distributions; a request goes to the one whose domainName/alias matches `Host`, else the first. */
    distributions: z
      .array(distributionSchema)
      .min(1)
      .default(() => [distributionSchema.parse({})]),
    /** Cache policies behaviours name by `cachePolicyId` (id or name); the managed ones need no entry. */
    cachePolicies: z.array(cachePolicySchema).default([]),
    /** Origin request policies behaviours name by `originRequestPolicyId`; the managed ones need no entry. */
    originRequestPolicies: z.array(originRequestPolicySchema).default([]),
    /** Response headers policies behaviours name by `responseHeadersPolicyId`; the managed ones need no entry. */
    responseHeadersPolicies: z.array(responseHeadersPolicySchema).default([]),
    /** 2014 account key pairs for signed URLs and cookies (SPEC 4.12), named by behaviours' `trustedSigners`. */
    keyPairs: z.array(keyPairSchema).default([]),
    /** Public keys for signed URLs and cookies (today's CloudFront), grouped in `keyGroups`. */
    publicKeys: z.array(publicKeySchema).default([]),
    /** Key groups of `publicKeys`, named by behaviours' `trustedKeyGroups`. */
    keyGroups: z.array(keyGroupSchema).default([]),
    /** Static IP→country table for geo restriction and CloudFront-Viewer-Country (SPEC GEO-01). */
    ipCountries: z.array(ipCountrySchema).default([]),
    /** x-edge-location / X-Amz-Cf-Pop value (airport code + number). */
    edgeLocation: z
      .string()
      .regex(/^[A-Z]{3}[0-9]{1,3}$/)
      .default('LOC1'),
    cache: z
      .object({
        /** In-memory store bound, bytes; least recently used objects go first (TTL-07). */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(512 * 1024 * 1024),
        /** Objects larger than this are relayed but not stored. Default: an eighth of maxBytes. */
        maxObjectBytes: z.number().int().positive().optional(),
        /**
         * Bound on the number of stored objects, whatever their size: every object also costs a
         * fixed ~1.5 KiB, and an invalidation scans them all.
         */
        maxObjects: z.number().int().positive().default(250_000),
        /** SPEC §9.14: simultaneous misses on one key make one origin request. */
        collapse: z.boolean().default(true),
      })
      .strict()
      .default(() => ({ maxBytes: 512 * 1024 * 1024, maxObjects: 250_000, collapse: true })),
    limits: z
      .object({
        /** SPEC ORG-03: request line + headers; larger requests get 413 and are never forwarded. */
        maxRequestBytes: z.number().int().positive().default(20480),
        /** Request header lines a viewer may send; more get 431 and are never forwarded. */
        maxHeaderCount: z.number().int().positive().default(100),
        /** Byte ranges in one Range header; a request with more gets the whole object (200), as for RNG-02. */
        maxRanges: z.number().int().positive().default(16),
        /** SPEC ORG-03: URL the edge builds. */
        maxUrlBytes: z.number().int().positive().default(8192),
        /** SPEC ORG-03: response body, 20 GB. */
        maxResponseBytes: z
          .number()
          .int()
          .positive()
          .default(20 * 1000 ** 3),
      })
      .strict()
      .default(() => ({ maxRequestBytes: 20480, maxHeaderCount: 100, maxRanges: 16, maxUrlBytes: 8192, maxResponseBytes: 20 * 1000 ** 3 })),
    logs: logsSchema.default(() => logsSchema.parse({})),
    /** Optional real-time log lines (CloudFront real-time logs), beside the standard access logs. */
    realtimeLog: realtimeLogSchema.default(() => realtimeLogSchema.parse({})),
    /** Timeouts and connection caps of the edge's viewer-facing HTTP server (src/http/server-limits.ts). */
    http: httpServerLimitsSchema(EDGE_HTTP_LIMITS).default(() => httpServerLimitsSchema(EDGE_HTTP_LIMITS).parse({})),
    /**
     * The hit lane (src/edge/hit-lane/): plain-HTTP/1.1 cached hits of memo-safe behaviours are
     * answered straight from the socket, without node:http's request and response objects; every
     * other request goes to node:http and the staged pipeline as before. Off: every request does.
     */
    hitLane: z.boolean().default(true),
    invalidation: z
      .object({
        /** SPEC INV-04: URLs in progress per distribution, and per request. */
        maxPathsInProgress: z.number().int().positive().default(3000),
        /** SPEC §9.4: optional cap on invalidation requests in progress (0 = no cap). */
        maxRequestsInProgress: z.number().int().min(0).default(0),
        /** Objects go at once; the invalidation reports InProgress this long, then Completed. */
        reportInProgressSeconds: seconds.default(2),
        /** Wildcard paths (ending in `*`) in progress per distribution; today's CloudFront allows 15. */
        maxWildcardPathsInProgress: z.number().int().min(0).default(15),
        /** Records kept per distribution for Get/ListInvalidations (the newest; in-progress ones always stay). */
        historyLimit: z.number().int().positive().default(100),
      })
      .strict()
      .default(() => ({
        maxPathsInProgress: 3000,
        maxRequestsInProgress: 0,
        reportInProgressSeconds: 2,
        maxWildcardPathsInProgress: 15,
        historyLimit: 100,
      })),
    tls: tlsSchema.default(() => tlsSchema.parse({})),
    /** Enables the control API for curl users: requests may send `Authorization: Bearer <token>`. */
    adminToken: z.string().min(8).optional(),
    /**
     * Enables the control API for the AWS CLI and SDKs: requests signed with SigV4 (service
     * `cloudfront`, any region) by one of these keys are accepted. With neither this nor
     * `adminToken` the control API is off.
     */
    accessKeys: z
      .array(
        z
          .object({
            accessKeyId: z.string().regex(/^[A-Za-z0-9]{3,128}$/, 'access key id: 3-128 letters and digits'),
            secretAccessKey: z.string().min(8).max(128),
          })
          .strict(),
      )
      .default([])
      .refine((keys) => new Set(keys.map((k) => k.accessKeyId)).size === keys.length, 'access key ids must be unique'),
  })
  .strict()
  .superRefine((e, ctx) => {
    checkSigningReferences(e, ctx);
    checkPolicyCatalogue(e, ctx);
    const ids = new Set<string>();
    const hosts = new Set<string>();
    e.distributions.forEach((d, i) => {
      if (ids.has(d.id)) ctx.addIssue({ code: 'custom', path: ['distributions', i, 'id'], message: 'duplicate distribution id' });
      ids.add(d.id);
      for (const h of [d.domainName, ...d.aliases]) {
        if (hosts.has(h))
          ctx.addIssue({
            code: 'custom',
            path: ['distributions', i, 'aliases'],
            message: `host ${h} maps to two distributions (SPEC CN-01)`,
          });
        hosts.add(h);
      }
      const signers = new Set(e.keyPairs.map((k) => k.signer));
      [...d.behaviors, d.defaultBehavior].forEach((b, j) => {
        for (const s of b.trustedSigners) {
          if (!signers.has(s)) {
            const path =
              j < d.behaviors.length
                ? ['distributions', i, 'behaviors', j, 'trustedSigners']
                : ['distributions', i, 'defaultBehavior', 'trustedSigners'];
            ctx.addIssue({ code: 'custom', path, message: `no key pair belongs to signer "${s}" (add it under edge.keyPairs)` });
          }
        }
      });
    });
  });

/**
 * The signing cross-references: unique key ids (a `Key-Pair-Id` names one key, whether a key pair
 * or a public key), key groups that list existing public keys, behaviours that trust existing key
 * groups. Each problem names its path.
 */
function checkSigningReferences(
  e: {
    keyPairs: { id: string }[];
    publicKeys: { id: string }[];
    keyGroups: { id: string; items: string[] }[];
    distributions: DistributionConfig[];
  },
  ctx: z.RefinementCtx,
): void {
  const keyIds = new Set<string>();
  e.keyPairs.forEach((k, i) => {
    if (keyIds.has(k.id)) ctx.addIssue({ code: 'custom', path: ['keyPairs', i, 'id'], message: `duplicate key id "${k.id}"` });
    keyIds.add(k.id);
  });
  e.publicKeys.forEach((k, i) => {
    if (keyIds.has(k.id))
      ctx.addIssue({
        code: 'custom',
        path: ['publicKeys', i, 'id'],
        message: `duplicate key id "${k.id}" (key pairs and public keys share Key-Pair-Id)`,
      });
    keyIds.add(k.id);
  });
  const publicKeyIds = new Set(e.publicKeys.map((k) => k.id));
  const groupIds = new Set<string>();
  e.keyGroups.forEach((g, i) => {
    if (groupIds.has(g.id)) ctx.addIssue({ code: 'custom', path: ['keyGroups', i, 'id'], message: `duplicate key group id "${g.id}"` });
    groupIds.add(g.id);
    g.items.forEach((item, j) => {
      if (!publicKeyIds.has(item))
        ctx.addIssue({
          code: 'custom',
          path: ['keyGroups', i, 'items', j],
          message: `no public key with id "${item}" (add it under edge.publicKeys)`,
        });
    });
  });
  e.distributions.forEach((d, i) => {
    const behaviours: [BehaviourConfig, (string | number)[]][] = [
      ...d.behaviors.map((b, j): [BehaviourConfig, (string | number)[]] => [b, ['distributions', i, 'behaviors', j]]),
      [d.defaultBehavior, ['distributions', i, 'defaultBehavior']],
    ];
    for (const [b, path] of behaviours) {
      b.trustedKeyGroups.forEach((g, k) => {
        if (!groupIds.has(g))
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'trustedKeyGroups', k],
            message: `no key group with id "${g}" (add it under edge.keyGroups)`,
          });
      });
    }
  });
}

/** Policy ids and names are unique per kind (managed names included), and every behaviour's reference resolves. */
function checkPolicyCatalogue(
  e: {
    cachePolicies: { id: string; name: string }[];
    originRequestPolicies: { id: string; name: string }[];
    responseHeadersPolicies: { id: string; name: string }[];
    distributions: DistributionConfig[];
  },
  ctx: z.RefinementCtx,
): void {
  const kinds = [
    ['cachePolicies', 'cachePolicyId', e.cachePolicies, MANAGED_CACHE_POLICIES],
    ['originRequestPolicies', 'originRequestPolicyId', e.originRequestPolicies, MANAGED_ORIGIN_REQUEST_POLICIES],
    ['responseHeadersPolicies', 'responseHeadersPolicyId', e.responseHeadersPolicies, MANAGED_RESPONSE_HEADERS_POLICIES],
  ] as const;
  for (const [list, field, own, managed] of kinds) {
    const seen = new Set<string>();
    own.forEach((p, i) => {
      for (const [k, v] of [
        ['id', p.id],
        ['name', p.name],
      ] as const) {
        if (seen.has(v) || managed.some((m) => m.id === v || m.name === v))
          ctx.addIssue({ code: 'custom', path: [list, i, k], message: `"${v}" already names a policy (managed ones included)` });
        seen.add(v);
      }
    });
    e.distributions.forEach((d, i) => {
      [...d.behaviors, d.defaultBehavior].forEach((b, j) => {
        const ref = b[field];
        if (ref === undefined || findPolicy(ref, own, managed)) return;
        const at = j < d.behaviors.length ? ['behaviors', j] : ['defaultBehavior'];
        ctx.addIssue({
          code: 'custom',
          path: ['distributions', i, ...at, field],
          message: `no policy "${ref}" in edge.${list} or the managed ones`,
        });
      });
    });
  }
}

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;
export type CachePolicyConfig = z.infer<typeof cachePolicySchema>;
export type OriginRequestPolicyConfig = z.infer<typeof originRequestPolicySchema>;
export type ResponseHeadersPolicyConfig = z.infer<typeof responseHeadersPolicySchema>;
export type OriginGroupConfig = DistributionConfig['originGroups'][number];
export type DistributionConfig = z.infer<typeof distributionSchema>;
export type BehaviourConfig = z.infer<typeof defaultBehaviourSchema> & { pathPattern?: string };
export type EdgeOriginConfig = z.infer<typeof originSchema>;
export type KeyPairConfig = z.infer<typeof keyPairSchema>;
export type EdgeTlsConfig = z.infer<typeof tlsSchema>;
