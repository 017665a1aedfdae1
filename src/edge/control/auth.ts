// Who may call the control API: a SigV4 signature by one of `edge.accessKeys` (the AWS CLI and
// SDKs), or `Authorization: Bearer <edge.adminToken>` (curl users). Both versions accept either.
// Pure; the body's hash is computed by the caller once the body is in.
import { createHash, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '../../result.js';
import { ALGORITHM, parseAuthorization, verifySigV4, type SignedRequest } from './sigv4.js';

export interface Credentials {
  adminToken?: string;
  /** Secret access key by access key id. */
  secrets: ReadonlyMap<string, string>;
}

export type AuthScheme = 'bearer' | 'sigv4';

export const apiEnabled = (c: Credentials) => c.adminToken !== undefined || c.secrets.size > 0;

/** A fixed-length digest of each side, so the comparison takes the same time whatever the lengths. */
function sameSecret(given: string, want: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

/**
 * The checks that need no body: the scheme, the Bearer token, and for SigV4 a well-formed
 * header naming a known key. Run before the body is read, so an unknown caller costs nothing.
 */
export function preAuthenticate(authorization: string | undefined, c: Credentials): Result<AuthScheme> {
  if (authorization === undefined || authorization === '') {
    return fail(
      'the request carries no credentials: sign it with SigV4 (AWS CLI/SDK) or send Authorization: Bearer <token>',
      'AccessDenied',
    );
  }
  const bearer = /^Bearer\s+(.*)$/i.exec(authorization);
  if (bearer) {
    if (c.adminToken === undefined) return fail('Bearer tokens are not accepted: edge.adminToken is not set', 'AccessDenied');
    return sameSecret(bearer[1]!.trim(), c.adminToken) ? ok('bearer') : fail('wrong Bearer token', 'AccessDenied');
  }
  if (authorization.startsWith(`${ALGORITHM} `)) {
    if (c.secrets.size === 0) return fail('SigV4 is not accepted: edge.accessKeys is empty', 'AccessDenied');
    const parsed = parseAuthorization(authorization);
    if (!parsed.ok) return parsed;
    if (!c.secrets.has(parsed.value.accessKeyId))
      return fail('the security token included in the request is invalid', 'InvalidClientTokenId');
    return ok('sigv4');
  }
  return fail(`unsupported Authorization scheme; use ${ALGORITHM} or Bearer`, 'AccessDenied');
}

/** The full check once the body's SHA-256 is known (SigV4 only; a Bearer token was settled before). */
export function authenticate(scheme: AuthScheme, r: SignedRequest, c: Credentials, now: number): Result<undefined> {
  if (scheme === 'bearer') return ok();
  const v = verifySigV4(r, { secrets: c.secrets, service: 'cloudfront', now });
  return v.ok ? ok() : v;
}

/** HTTP status of each authentication failure code, as AWS answers them. */
export const AUTH_STATUS: Record<string, number> = {
  AccessDenied: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
};
