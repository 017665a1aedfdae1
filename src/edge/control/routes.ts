// Which control API operation a request names: the version prefix, then CloudFront's REST paths.
// Pure. Both versions route to the same operations.
import { canonicalPath } from '../../http/canonical-path.js';
import { HttpError } from '../../result.js';
import { API_VERSIONS, type ApiVersion } from './xml.js';

export type Operation =
  | { op: 'ListDistributions' }
  | { op: 'GetDistribution'; distributionId: string }
  | { op: 'GetDistributionConfig'; distributionId: string }
  | { op: 'CreateInvalidation'; distributionId: string }
  | { op: 'ListInvalidations'; distributionId: string }
  | { op: 'GetInvalidation'; distributionId: string; invalidationId: string };

/** The API version a path starts with, if it is one the edge serves. */
export function apiVersionOf(rawPath: string): ApiVersion | undefined {
  const first = rawPath.split('/', 2)[1];
  return (API_VERSIONS as readonly string[]).includes(first ?? '') ? (first as ApiVersion) : undefined;
}

/** `/<version>` of each version, for the check every viewer request passes. */
const VERSION_PREFIXES = API_VERSIONS.map((version) => `/${version}`);

/**
 * apiVersionOf(path) !== undefined without splitting the path: the edge asks this of every viewer
 * request's canonical path, so it compares prefixes and allocates nothing.
 */
export function isApiVersionPrefix(path: string): boolean {
  for (const p of VERSION_PREFIXES) if (path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 0x2f)) return true;
  return false;
}

/**
 * True for every path the control API owns, in its raw or its canonical form (`/%32020-05-31/…`
 * is `/2020-05-31/…`): such requests are never viewer requests.
 */
export function isControlApiPath(rawPath: string): boolean {
  return requestApiVersion(rawPath) !== undefined;
}

/** The API version of a request path, read from its raw or its canonical form. */
export function requestApiVersion(rawPath: string): ApiVersion | undefined {
  const raw = apiVersionOf(rawPath);
  if (raw !== undefined) return raw;
  const canon = canonicalPath(rawPath);
  return canon.ok ? apiVersionOf(canon.value) : undefined;
}

/** An id segment: percent-escapes decoded (ids are letters and digits, so nothing else changes). */
function idSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'InvalidArgument', 'the resource id has an invalid percent-escape');
  }
}

export function routeOf(method: string, rawPath: string): Operation {
  const parts = rawPath.replace(/\/$/, '').split('/').slice(2); // drop '' and the version
  const allow = (want: string, op: Operation): Operation => {
    if (method !== want) throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported on ${rawPath}; use ${want}`);
    return op;
  };
  if (parts[0] === 'distribution') {
    if (parts.length === 1) return allow('GET', { op: 'ListDistributions' });
    const distributionId = idSegment(parts[1]!);
    if (parts.length === 2) return allow('GET', { op: 'GetDistribution', distributionId });
    if (parts.length === 3 && parts[2] === 'config') return allow('GET', { op: 'GetDistributionConfig', distributionId });
    if (parts.length === 3 && parts[2] === 'invalidation') {
      if (method === 'POST') return { op: 'CreateInvalidation', distributionId };
      return allow('GET', { op: 'ListInvalidations', distributionId });
    }
    if (parts.length === 4 && parts[2] === 'invalidation')
      return allow('GET', { op: 'GetInvalidation', distributionId, invalidationId: idSegment(parts[3]!) });
  }
  throw new HttpError(
    404,
    'NotFound',
    `the edge does not emulate ${method} ${rawPath}; it serves ListDistributions, GetDistribution, GetDistributionConfig, CreateInvalidation, GetInvalidation and ListInvalidations`,
  );
}
