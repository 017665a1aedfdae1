// CloudFront's managed policies (2020 API) as data: the cache, origin request and response headers
// policies every account has, by the names and ids AWS publishes (SPEC POL-04..06 say where they
// come from). A behaviour names one by its name or its id. The shapes are the config schema's
// (src/config/edge.ts: camelCase keys, plain arrays for the API's Quantity/Items lists), defaults
// applied: a managed policy is written exactly as a configured one reads after parsing.
import type { CachePolicyConfig, OriginRequestPolicyConfig, ResponseHeadersPolicyConfig } from '../../config/edge.js';

export type CachePolicy = CachePolicyConfig;
export type OriginRequestPolicy = OriginRequestPolicyConfig;
export type ResponseHeadersPolicy = ResponseHeadersPolicyConfig;
export type CookiesConfig = CachePolicy['parametersInCacheKeyAndForwardedToOrigin']['cookiesConfig'];
export type QueryStringsConfig = CachePolicy['parametersInCacheKeyAndForwardedToOrigin']['queryStringsConfig'];
type CorsMethod = NonNullable<ResponseHeadersPolicy['corsConfig']>['accessControlAllowMethods'][number];

const noCookies: CookiesConfig = { cookieBehavior: 'none', cookies: [] };
const allCookies: CookiesConfig = { cookieBehavior: 'all', cookies: [] };
const noQuery: QueryStringsConfig = { queryStringBehavior: 'none', queryStrings: [] };
const allQuery: QueryStringsConfig = { queryStringBehavior: 'all', queryStrings: [] };
const YEAR = 31536000;
/** The headers both UseOriginCacheControlHeaders policies put in the key (the -QueryStrings one is a variant). */
const ORIGIN_CC_HEADERS = ['host', 'origin', 'x-http-method', 'x-http-method-override', 'x-method-override'];

const noHeaders: CachePolicy['parametersInCacheKeyAndForwardedToOrigin']['headersConfig'] = { headerBehavior: 'none', headers: [] };

/** A managed cache policy that AWS documents as another one with a difference in what it keys: the same TTLs, the named key settings replaced. */
function variantOf(
  base: CachePolicy,
  id: string,
  name: string,
  keyed: Partial<CachePolicy['parametersInCacheKeyAndForwardedToOrigin']>,
): CachePolicy {
  return { ...base, id, name, parametersInCacheKeyAndForwardedToOrigin: { ...base.parametersInCacheKeyAndForwardedToOrigin, ...keyed } };
}

const CACHING_OPTIMIZED: CachePolicy = {
  id: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  name: 'CachingOptimized',
  minTtl: 1,
  defaultTtl: 86400,
  maxTtl: YEAR,
  parametersInCacheKeyAndForwardedToOrigin: {
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
    headersConfig: noHeaders,
    cookiesConfig: noCookies,
    queryStringsConfig: noQuery,
  },
};

const USE_ORIGIN_CACHE_CONTROL_HEADERS: CachePolicy = {
  id: '83da9c7e-98b4-4e11-a168-04f0df8e2c65',
  name: 'UseOriginCacheControlHeaders',
  minTtl: 0,
  defaultTtl: 0,
  maxTtl: YEAR,
  parametersInCacheKeyAndForwardedToOrigin: {
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
    headersConfig: { headerBehavior: 'whitelist', headers: ORIGIN_CC_HEADERS },
    cookiesConfig: allCookies,
    queryStringsConfig: noQuery,
  },
};

export const MANAGED_CACHE_POLICIES: readonly CachePolicy[] = [
  CACHING_OPTIMIZED,
  variantOf(CACHING_OPTIMIZED, 'b2884449-e4de-46a7-ac36-70bc7f1ddd6d', 'CachingOptimizedForUncompressedObjects', {
    enableAcceptEncodingGzip: false,
    enableAcceptEncodingBrotli: false,
  }),
  {
    id: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
    name: 'CachingDisabled',
    minTtl: 0,
    defaultTtl: 0,
    maxTtl: 0,
    parametersInCacheKeyAndForwardedToOrigin: {
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
      headersConfig: noHeaders,
      cookiesConfig: noCookies,
      queryStringsConfig: noQuery,
    },
  },
  USE_ORIGIN_CACHE_CONTROL_HEADERS,
  variantOf(USE_ORIGIN_CACHE_CONTROL_HEADERS, '4cc15a8a-d715-48a4-82b8-cc0b614638fe', 'UseOriginCacheControlHeaders-QueryStrings', {
    queryStringsConfig: allQuery,
  }),
  {
    id: '08627262-05a9-4f76-9ded-b50ca2e3a84f',
    name: 'Elemental-MediaPackage',
    minTtl: 0,
    defaultTtl: 86400,
    maxTtl: YEAR,
    parametersInCacheKeyAndForwardedToOrigin: {
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: false,
      headersConfig: { headerBehavior: 'whitelist', headers: ['origin'] },
      cookiesConfig: noCookies,
      queryStringsConfig: { queryStringBehavior: 'whitelist', queryStrings: ['aws.manifestfilter', 'end', 'm', 'start'] },
    },
  },
];

export const MANAGED_ORIGIN_REQUEST_POLICIES: readonly OriginRequestPolicy[] = [
  {
    id: '216adef6-5c7f-47e4-b989-5492eafa07d3',
    name: 'AllViewer',
    headersConfig: { headerBehavior: 'allViewer', headers: [] },
    cookiesConfig: allCookies,
    queryStringsConfig: allQuery,
  },
  {
    id: '59781a5b-3903-41f3-afcb-af62929ccde1',
    name: 'CORS-CustomOrigin',
    headersConfig: { headerBehavior: 'whitelist', headers: ['origin'] },
    cookiesConfig: noCookies,
    queryStringsConfig: noQuery,
  },
  {
    id: 'acba4595-bd28-49b8-b9fe-13317c0390fa',
    name: 'UserAgentRefererHeaders',
    headersConfig: { headerBehavior: 'whitelist', headers: ['user-agent', 'referer'] },
    cookiesConfig: noCookies,
    queryStringsConfig: noQuery,
  },
];

const ANY_METHOD: CorsMethod[] = ['ALL'];

export const MANAGED_RESPONSE_HEADERS_POLICIES: readonly ResponseHeadersPolicy[] = [
  {
    id: '60669652-455b-4ae9-85a4-c4c02393f86c',
    name: 'SimpleCORS',
    corsConfig: {
      accessControlAllowOrigins: ['*'],
      accessControlAllowHeaders: [],
      accessControlAllowMethods: ['GET', 'HEAD'],
      accessControlAllowCredentials: false,
      accessControlExposeHeaders: [],
      originOverride: false,
    },
  },
  {
    id: '5cc3b908-e619-4b99-88e5-2cf7f45965bd',
    name: 'CORS-With-Preflight',
    corsConfig: {
      accessControlAllowOrigins: ['*'],
      accessControlAllowHeaders: ['*'],
      accessControlAllowMethods: ANY_METHOD,
      accessControlAllowCredentials: false,
      accessControlExposeHeaders: ['*'],
      originOverride: false,
    },
  },
  {
    id: '67f7725c-6f97-4210-82d7-5512b31e9d03',
    name: 'SecurityHeadersPolicy',
    securityHeadersConfig: {
      strictTransportSecurity: { accessControlMaxAgeSec: YEAR, includeSubdomains: false, preload: false, override: false },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: 'SAMEORIGIN', override: false },
      referrerPolicy: { referrerPolicy: 'strict-origin-when-cross-origin', override: false },
      xssProtection: { protection: true, modeBlock: true, override: false },
    },
  },
];

/** A policy by its id or its name (managed names also with CloudFront's `Managed-` prefix). */
export function findPolicy<P extends { id: string; name: string }>(ref: string, own: readonly P[], managed: readonly P[]): P | undefined {
  const bare = ref.startsWith('Managed-') ? ref.slice('Managed-'.length) : ref;
  return (
    own.find((p) => p.id === ref) ??
    own.find((p) => p.name === ref) ??
    managed.find((p) => p.id === ref || p.name === ref || p.name === bare)
  );
}
