// Which behaviours the hit lane may answer from its memo: those whose cached answer to a lane
// request depends only on (Host text, method, raw request target, raw Accept-Encoding). Pure,
// worked out once per behaviour when the edge builds its distributions, never per request.
import type { RuntimeBehaviour, RuntimeDistribution } from '../distribution.js';
import { LANE_FIELDS } from './parse-head.js';

/** CloudFront-computed fields a behaviour may key: each depends on the viewer (address, User-Agent, scheme). */
const COMPUTED = /^cloudfront-/;

/**
 * The reason a behaviour's hits must go through the pipeline, or undefined when the lane may
 * answer them: no geo restriction (GEO-01 reads the address), the distribution enabled, no trusted
 * signers or key groups (SIG-01..06 read the query, cookies and clock), no response headers policy,
 * viewer protocol policy allow-all (TLS-01), and no keyed header
 * among the lane's fields (but Host, which the memo keys itself) or the CloudFront-computed ones (HDR-01, POL-02).
 */
export function memoUnsafeReason(
  d: Pick<RuntimeDistribution, 'cfg'>,
  beh: Pick<RuntimeBehaviour, 'cfg' | 'responseHeaders' | 'keyedByName'>,
): string | undefined {
  if (!d.cfg.enabled) return 'distribution disabled';
  if (d.cfg.geoRestriction.type !== 'none') return 'geo restriction';
  if (beh.cfg.trustedSigners.length > 0 || beh.cfg.trustedKeyGroups.length > 0) return 'signed URLs or cookies';
  if (beh.responseHeaders !== undefined) return 'response headers policy';
  if (beh.cfg.viewerProtocolPolicy !== 'allow-all') return 'viewer protocol policy';
  const k = beh.keyedByName;
  // Keyed cookies need no rule here: the raw Cookie text is part of the memo's key (memoKeyOf).
  if (k.headers === 'any') return 'keyed headers';
  for (const h of k.headers) {
    // The Host text is part of the memo's own key (memoKeyOf), so a behaviour that keys Host (the
    // managed UseOriginCacheControlHeaders policies of the default manifests) stays memo-safe.
    if (h === 'host') continue;
    if (LANE_FIELDS.has(h) || COMPUTED.test(h)) return `keyed header ${h}`;
  }
  return undefined;
}

/** Every behaviour of the distributions the lane may answer for, found once. */
export function memoSafeBehaviours(ds: readonly RuntimeDistribution[]): WeakSet<RuntimeBehaviour> {
  const out = new WeakSet<RuntimeBehaviour>();
  for (const d of ds) for (const b of [d.defaultBehaviour, ...d.behaviours]) if (memoUnsafeReason(d, b) === undefined) out.add(b);
  return out;
}
