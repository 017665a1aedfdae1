// SPEC 4.12 SIG-01..06: verifying CloudFront signed URLs (canned and custom policies, RSA-SHA1,
// URL-safe base64). Pure apart from node:crypto.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { compileWildcard } from './path-pattern.js';
import { compileCidr } from './ip-match.js';
import { queryPairs } from '../http/canonical-path.js';

export interface SigningKey {
  id: string;
  signer: string;
  active: boolean;
  key: KeyObject;
}

export function loadSigningKey(k: { id: string; signer: string; active: boolean; publicKey: string }): SigningKey {
  return { id: k.id, signer: k.signer, active: k.active, key: createPublicKey(k.publicKey) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** SIG-04: URL-safe base64 (`+`→`-`, `=`→`_`, `/`→`~`) back to bytes. */
export function fromUrlSafeBase64(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/').replace(/\s+/g, ''), 'base64');
}

export function toUrlSafeBase64(b: Buffer): string {
  return b.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
}

/** SIG-02: the canned policy CloudFront rebuilds (no whitespace, bare integer epoch). */
export function cannedPolicy(resource: string, expires: number): string {
  return `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
}

/** The names a signed URL's own parameters may not use (QS-02, SIG-02/03). */
const SIGNING_NAMES = new Set(['Expires', 'Signature', 'Key-Pair-Id', 'Policy', 'Hash-Algorithm']);

/** SIG-04: CloudFront's URL-safe base64 (`-` `_` `~` for `+` `=` `/`), nothing else, padding only at the end. */
const URL_SAFE_B64 = /^[A-Za-z0-9~-]+_{0,2}$/;

/**
 * SIG-04: the bytes of a Signature or Policy value, or undefined when the value is not exactly the
 * URL-safe base64 of some bytes (a character outside the alphabet, trailing junk, bad padding):
 * Node's decoder would otherwise skip what it does not understand and accept `sig!!`.
 */
export function strictUrlSafeBase64(s: string): Buffer | undefined {
  if (!URL_SAFE_B64.test(s) || s.length % 4 !== 0) return undefined;
  const bytes = fromUrlSafeBase64(s);
  return toUrlSafeBase64(bytes) === s ? bytes : undefined;
}

/** Signing parameters of a (canonical) query; undefined when one of them appears twice. */
function signingParams(rawQuery: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const [name, value] of queryPairs(rawQuery)) {
    if (!SIGNING_NAMES.has(name)) continue;
    if (out.has(name)) return undefined;
    out.set(name, value);
  }
  return out;
}

export interface VerifyInput {
  /**
   * Candidate resource URLs for this request, without the signing parameters:
   * `http://<own name><canonical path>[?own query]`, built from the distribution's domain name or
   * the alias the Host matched (recv.ts), never from the raw Host header.
   */
  resources: readonly string[];
  /** The canonical query string, signing parameters included. */
  rawQuery: string;
  viewerIp: string;
  /** Unix seconds (SIG-06: checked when the request arrives). */
  now: number;
  trustedSigners: readonly string[];
  keys: ReadonlyMap<string, SigningKey>;
}

/** SIG-05: signature, resource, time window and source IP. */
export function verifySignedUrl(input: VerifyInput): SignatureCheck {
  const q = signingParams(input.rawQuery);
  if (!q) return { ok: false, reason: 'a signing parameter appears more than once' };
  const signature = q.get('Signature');
  const keyPairId = q.get('Key-Pair-Id');
  if (!signature || !keyPairId) return { ok: false, reason: 'missing Signature or Key-Pair-Id' };
  const key = input.keys.get(keyPairId);
  if (!key || !key.active || !input.trustedSigners.includes(key.signer)) {
    return { ok: false, reason: `key pair ${keyPairId} is not an active key of a trusted signer` };
  }
  const hash = q.get('Hash-Algorithm');
  if (hash !== undefined && hash !== 'SHA1' && hash !== 'SHA256') return { ok: false, reason: 'unknown Hash-Algorithm' };
  const algorithm = hash === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  const sig = strictUrlSafeBase64(signature);
  if (!sig) return { ok: false, reason: 'Signature is not URL-safe base64 (SIG-04)' };
  const policyParam = q.get('Policy');
  if (policyParam === undefined) {
    const expiresText = q.get('Expires');
    if (!expiresText || !/^\d+$/.test(expiresText)) return { ok: false, reason: 'missing Expires or Policy' };
    const expires = Number(expiresText);
    const signed = input.resources.some((r) => verify(algorithm, Buffer.from(cannedPolicy(r, expires)), key.key, sig));
    if (!signed) return { ok: false, reason: 'signature does not match the canned policy' };
    if (!(input.now < expires)) return { ok: false, reason: 'expired' };
    return { ok: true };
  }
  const policyBytes = strictUrlSafeBase64(policyParam);
  if (!policyBytes) return { ok: false, reason: 'Policy is not URL-safe base64 (SIG-04)' };
  if (!verify(algorithm, policyBytes, key.key, sig)) return { ok: false, reason: 'signature does not match the policy' };
  let policy: unknown;
  try {
    policy = JSON.parse(policyBytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'policy is not JSON' };
  }
  return checkCustomPolicy(policy, input);
}

interface Statement {
  Resource?: string;
  Condition?: {
    DateLessThan?: { 'AWS:EpochTime'?: number };
    DateGreaterThan?: { 'AWS:EpochTime'?: number };
    IpAddress?: { 'AWS:SourceIp'?: string };
  };
}

/** SIG-03: every condition of some statement must hold. */
export function checkCustomPolicy(policy: unknown, input: Pick<VerifyInput, 'resources' | 'viewerIp' | 'now'>): SignatureCheck {
  const statements = (policy as { Statement?: Statement[] } | null)?.Statement;
  if (!Array.isArray(statements) || statements.length === 0) return { ok: false, reason: 'policy has no Statement' };
  let reason = 'no statement matches';
  for (const st of statements) {
    const c = st.Condition ?? {};
    const end = c.DateLessThan?.['AWS:EpochTime'];
    if (typeof end !== 'number') {
      reason = 'DateLessThan is required';
      continue;
    }
    if (st.Resource !== undefined) {
      const match = compileWildcard(st.Resource);
      if (!input.resources.some((r) => match(r))) {
        reason = 'resource does not match';
        continue;
      }
    }
    if (!(input.now < end)) {
      reason = 'expired';
      continue;
    }
    const start = c.DateGreaterThan?.['AWS:EpochTime'];
    if (typeof start === 'number' && !(input.now > start)) {
      reason = 'not valid yet';
      continue;
    }
    const cidr = c.IpAddress?.['AWS:SourceIp'];
    if (cidr !== undefined) {
      let inside = false;
      try {
        inside = compileCidr(cidr)(input.viewerIp);
      } catch {
        inside = false;
      }
      if (!inside) {
        reason = 'viewer IP outside AWS:SourceIp';
        continue;
      }
    }
    return { ok: true };
  }
  return { ok: false, reason };
}
