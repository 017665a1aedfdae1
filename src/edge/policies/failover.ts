// Origin groups (CloudFront origin failover, SPEC POL-08): when a request to the primary origin goes to the
// secondary. Pure.

export interface FailoverRule {
  groupId: string;
  statusCodes: ReadonlySet<number>;
}

/** CloudFront fails over only for these methods (other methods could have changed something at the primary). */
const FAILOVER_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How the primary's attempt ended: an HTTP status, or the edge's own 502 (refused/reset) or 504 (timeout). */
export type PrimaryOutcome = { kind: 'status'; status: number } | { kind: 'failure'; status: 502 | 504 };

/** Whether the secondary origin is asked: the listed status codes, any timeout, any refused or broken connection. */
export function failsOver(rule: FailoverRule | undefined, method: string, outcome: PrimaryOutcome): boolean {
  if (!rule || !FAILOVER_METHODS.has(method)) return false;
  return outcome.kind === 'failure' || rule.statusCodes.has(outcome.status);
}
