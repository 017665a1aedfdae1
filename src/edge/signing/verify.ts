// SPEC SIG-05: verifying the credentials a request presents (a signed URL or signed cookies)
// against the keys its cache behaviour trusts, and CloudFront's XML answer when they fail:
// `MissingKey` when no key id or signature is sent, `AccessDenied` for everything else.
import { verify } from 'node:crypto';
import { fail, ok, type Result } from '../../result.js';
import type { Credentials } from './credentials.js';
import { trustedKeyFor, type SigningKeys, type SigningTrust } from './keys.js';
import { cannedPolicy, policyHolds, readPolicy, strictUrlSafeBase64, type PolicyContext } from './policy.js';

export type SigningCode = 'MissingKey' | 'AccessDenied';

export interface SignedRequest extends PolicyContext {
  /** What the request presented (presentedCredentials); undefined: nothing. */
  credentials: Credentials | undefined;
  trust: SigningTrust;
  keys: SigningKeys;
}

/** SIG-05: key, signature, resource, time window and source address, in that order. */
export function verifySignedRequest(input: SignedRequest): Result<undefined, SigningCode> {
  const f = input.credentials?.fields ?? {};
  const keyId = f['Key-Pair-Id'];
  const signature = f.Signature;
  if (!keyId || !signature) return fail('no Key-Pair-Id or Signature (query parameter or cookie)', 'MissingKey');
  const denied = (reason: string) => fail(reason, 'AccessDenied' as const);
  const key = trustedKeyFor(input.keys, input.trust, keyId);
  if (!key) return denied(`key ${keyId} is not in a trusted key group nor an active key pair of a trusted signer`);
  const hash = f['Hash-Algorithm'];
  if (hash !== undefined && hash !== 'SHA1' && hash !== 'SHA256') return denied('unknown Hash-Algorithm');
  const algorithm = hash === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  if (f.Policy !== undefined && f.Expires !== undefined) return denied('both Expires and Policy are given');
  // A signature verified before (same key, algorithm, signature and policy bytes) needs no second
  // decoding nor RSA check; the conditions are still checked against this request.
  const memo = input.keys.verified;
  const memoKey = `${keyId}\u0000${algorithm}\u0000${signature}\u0000`;
  const badSignature = 'Signature is not URL-safe base64 (SIG-04)';
  if (f.Policy === undefined) {
    const expiresText = f.Expires;
    if (!expiresText || !/^\d{1,15}$/.test(expiresText)) return denied('missing or malformed Expires (or Policy)');
    const expires = Number(expiresText);
    const policies = input.resources.map((r) => cannedPolicy(r, expires));
    if (!policies.some((policy) => memo.get(memoKey + policy) === true)) {
      const sig = strictUrlSafeBase64(signature);
      if (!sig) return denied(badSignature);
      const signed = policies.find((policy) => verify(algorithm, Buffer.from(policy), key, sig));
      if (signed === undefined) return denied('signature does not match the canned policy');
      memo.set(memoKey + signed, true);
    }
    if (!(input.now < expires)) return denied('expired');
    return ok();
  }
  const known = memo.get(memoKey + f.Policy);
  let statements = known === true ? undefined : known;
  if (statements === undefined) {
    const sig = strictUrlSafeBase64(signature);
    if (!sig) return denied(badSignature);
    const policyBytes = strictUrlSafeBase64(f.Policy);
    if (!policyBytes) return denied('Policy is not URL-safe base64 (SIG-04)');
    if (!verify(algorithm, policyBytes, key, sig)) return denied('signature does not match the policy');
    let policy: unknown;
    try {
      policy = JSON.parse(policyBytes.toString('utf8'));
    } catch {
      return denied('policy is not JSON');
    }
    const read = readPolicy(policy);
    if (!read.ok) return denied(read.reason);
    statements = read.value;
    memo.set(memoKey + f.Policy, statements);
  }
  const held = policyHolds(statements, input);
  return held.ok ? ok() : denied(held.reason);
}

/** CloudFront's own words for each refusal (the reason stays in the edge's log). */
const MESSAGES: Record<SigningCode, string> = {
  MissingKey: 'Missing Key-Pair-Id query parameter or cookie value',
  AccessDenied: 'Access denied',
};

/** The XML body CloudFront sends with a refused signed request (`Content-Type: text/xml`). */
export function signingErrorBody(code: SigningCode): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${MESSAGES[code]}</Message></Error>`;
}
