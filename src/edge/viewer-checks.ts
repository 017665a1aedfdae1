// Stage 2 (viewer checks): what the distribution allows this viewer, read from the canonical
// request only — enabled, geo (GEO-01), default root object (DRO-01), behaviour (EDGE-04),
// viewer protocol policy (TLS-01), allowed methods (ORG-05) and signed URLs or signed cookies
// (SIG-01..06, with today's trusted key groups).
import { HttpError } from '../result.js';
import { withoutSigningParams } from './cache-key.js';
import { behaviourFor, geoAllows, type RuntimeBehaviour } from './distribution.js';
import { countryOf } from './ip-match.js';
import type { CanonicalRequest } from './recv.js';
import { presentedCredentials, withoutSigningCookies } from './signing/credentials.js';
import type { SigningKeys } from './signing/keys.js';
import { signingErrorBody, verifySignedRequest } from './signing/verify.js';
import { viewerProtocolDecision } from './viewer-protocol.js';

/** What the later stages need once a viewer may be served. */
export interface ViewerPass {
  kind: 'pass';
  beh: RuntimeBehaviour;
  /** The canonical path after the default root object rewrite: the behaviour, key and origin path use it. */
  path: string;
  /** The canonical query without the signing parameters (QS-02). */
  ownQuery: string;
  /** The viewer's Cookie header without the signed cookies: what is forwarded and keyed. */
  cookieHeader: string | undefined;
  country?: string;
}

/** A refusal; `body` when CloudFront answers it with its XML error rather than the HTML page. */
export interface ViewerRefusal {
  kind: 'refuse';
  error: HttpError;
  body?: { contentType: string; text: string };
}

export type ViewerDecision = ViewerPass | ViewerRefusal | { kind: 'redirect'; location: string };

export interface ViewerCheckEnv {
  geo: readonly { match: (ip: string) => boolean; country: string }[];
  keys: SigningKeys;
  /** The viewer's Cookie header (signed cookies are read from it). */
  cookieHeader: string | undefined;
  /** Unix seconds (SIG-06: expiry is checked when the request arrives). */
  now: number;
  /** The scheme the viewer used (TLS-01, and the signed Resource's scheme, SIG-01). */
  scheme: 'http' | 'https';
  /** The edge's HTTPS port for TLS-01 redirects; 0 when HTTPS is off. */
  httpsPort: number;
}

const refuse = (status: number, code: string, message: string): ViewerDecision => ({
  kind: 'refuse',
  error: new HttpError(status, code, message),
});

export function viewerChecks(
  c: CanonicalRequest,
  viewerIp: string,
  hostHeader: string | undefined,
  rawUrl: string,
  env: ViewerCheckEnv,
): ViewerDecision {
  const d = c.dist;
  if (!d.cfg.enabled) return refuse(403, 'DistributionDisabled', 'the distribution is disabled');
  const country = env.geo.length ? countryOf(env.geo, viewerIp) : undefined;
  if (!geoAllows(d, country)) return refuse(403, 'GeoBlocked', 'the viewer country is blocked (geo restriction)');
  // DRO-01: only `/` itself is rewritten.
  const path = c.path === '/' && d.cfg.defaultRootObject ? `/${d.cfg.defaultRootObject}` : c.path;
  const beh = behaviourFor(d, path);
  const protocol = viewerProtocolDecision({
    policy: beh.cfg.viewerProtocolPolicy,
    scheme: env.scheme,
    method: c.method,
    host: hostHeader,
    domainName: d.domainName,
    pathAndQuery: rawUrl,
    httpsPort: env.httpsPort,
  });
  if (protocol.kind === 'redirect') return { kind: 'redirect', location: protocol.location };
  if (protocol.kind === 'forbid') return refuse(403, 'HttpsRequired', protocol.reason);
  if (!beh.allowedMethods.has(c.method)) return refuse(403, 'MethodNotAllowed', `method ${c.method} is not allowed here`);
  const signed = beh.cfg.trustedSigners.length > 0 || beh.cfg.trustedKeyGroups.length > 0;
  const ownQuery = signed ? withoutSigningParams(c.query) : c.query;
  if (signed) {
    const presented = presentedCredentials(c.params, env.cookieHeader);
    // SIG-05: the resource is the distribution's own name (or the alias the Host matched) and the
    // canonical path and query, never the raw Host or the raw bytes of the request line; the same
    // for a signed URL and for signed cookies.
    const resourcePath = `${c.path}${ownQuery ? `?${ownQuery}` : ''}`;
    const check = presented.ok
      ? verifySignedRequest({
          credentials: presented.value,
          // SIG-01: the signed Resource is the URL the viewer asked for, scheme included.
          resources: c.signingNames.map((name) => `${env.scheme}://${name}${resourcePath}`),
          viewerIp,
          now: env.now,
          trust: beh.cfg,
          keys: env.keys,
        })
      : { ...presented, code: 'AccessDenied' as const };
    if (!check.ok) {
      const code = check.code ?? 'AccessDenied';
      return {
        kind: 'refuse',
        error: new HttpError(403, code, `${code}: ${check.reason}`),
        body: { contentType: 'text/xml', text: signingErrorBody(code) },
      };
    }
  }
  return { kind: 'pass', beh, path, ownQuery, cookieHeader: withoutSigningCookies(env.cookieHeader), country };
}
