// SPEC SIG-02..04: CloudFront's canned and custom policies and their URL-safe base64, read
// strictly. Pure: a policy that says anything this code does not understand is refused, never
// half-read (an unknown condition ignored would widen what the signer allowed).
import { compileCidr } from '../../net/cidr.js';
import { fail, ok, type Result } from '../../result.js';
import { compileWildcard } from '../path-pattern.js';

/** SIG-04: URL-safe base64 (`+`→`-`, `=`→`_`, `/`→`~`) back to bytes. */
export function fromUrlSafeBase64(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/').replace(/\s+/g, ''), 'base64');
}

export function toUrlSafeBase64(b: Buffer): string {
  return b.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
}

/** SIG-04: CloudFront's URL-safe base64 (`-` `_` `~` for `+` `=` `/`), nothing else, padding only at the end. */
const URL_SAFE_B64 = /^[A-Za-z0-9~-]+_{0,2}$/;

/**
 * SIG-04: the bytes of a Signature or Policy value, or undefined when the value is not exactly the
 * URL-safe base64 of some bytes (a character outside the alphabet, standard `+/=`, trailing junk,
 * bad padding): Node's decoder would otherwise skip what it does not understand and accept `sig!!`.
 */
export function strictUrlSafeBase64(s: string): Buffer | undefined {
  if (!URL_SAFE_B64.test(s) || s.length % 4 !== 0) return undefined;
  const bytes = fromUrlSafeBase64(s);
  return toUrlSafeBase64(bytes) === s ? bytes : undefined;
}

/** SIG-02: the canned policy CloudFront rebuilds (no whitespace, bare integer epoch). */
export function cannedPolicy(resource: string, expires: number): string {
  return `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
}

/** What a policy is checked against. */
export interface PolicyContext {
  /** Candidate resource URLs of this request (the distribution's own names, never the raw Host). */
  resources: readonly string[];
  viewerIp: string;
  /** Unix seconds (SIG-06: checked when the request arrives). */
  now: number;
}

/** One statement, as read: every field known and of the right type. */
export interface Statement {
  resource?: (url: string) => boolean;
  dateLessThan: number;
  dateGreaterThan?: number;
  sourceIp?: (ip: string) => boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKey(o: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(o).find((k) => !allowed.includes(k));
}

/** `{"AWS:EpochTime": <integer>}` (SIG-02: a bare integer, as the canned policy writes it). */
function epochOf(v: unknown, name: string): Result<number> {
  if (!isObject(v)) return fail(`${name} is not an object`);
  const extra = unknownKey(v, ['AWS:EpochTime']);
  if (extra !== undefined) return fail(`${name} has an unknown field "${extra}"`);
  const t = v['AWS:EpochTime'];
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) return fail(`${name} AWS:EpochTime is not a whole number of seconds`);
  return ok(t);
}

function statementOf(st: unknown): Result<Statement> {
  if (!isObject(st)) return fail('a Statement entry is not an object');
  const extra = unknownKey(st, ['Resource', 'Condition']);
  if (extra !== undefined) return fail(`a statement has an unknown field "${extra}"`);
  const out: Partial<Statement> = {};
  if (st.Resource !== undefined) {
    // SIG-03: a web Resource starts with http://, https:// or a wildcard (the guide's own example is `http*://`).
    if (typeof st.Resource !== 'string' || !/^(https?:\/\/|http\*:\/\/|\*)/.test(st.Resource)) {
      return fail('Resource must be a string starting with http://, https://, http*:// or *');
    }
    out.resource = compileWildcard(st.Resource);
  }
  const c = st.Condition;
  if (!isObject(c)) return fail('a statement has no Condition');
  const extraCondition = unknownKey(c, ['DateLessThan', 'DateGreaterThan', 'IpAddress']);
  if (extraCondition !== undefined) return fail(`unknown condition "${extraCondition}"`);
  if (c.DateLessThan === undefined) return fail('DateLessThan is required');
  const end = epochOf(c.DateLessThan, 'DateLessThan');
  if (!end.ok) return end;
  out.dateLessThan = end.value;
  if (c.DateGreaterThan !== undefined) {
    const start = epochOf(c.DateGreaterThan, 'DateGreaterThan');
    if (!start.ok) return start;
    out.dateGreaterThan = start.value;
  }
  if (c.IpAddress !== undefined) {
    const ip = c.IpAddress;
    if (!isObject(ip) || unknownKey(ip, ['AWS:SourceIp']) !== undefined || typeof ip['AWS:SourceIp'] !== 'string') {
      return fail('IpAddress must be {"AWS:SourceIp": "<one CIDR>"}');
    }
    try {
      out.sourceIp = compileCidr(ip['AWS:SourceIp']);
    } catch (err) {
      return fail(`AWS:SourceIp: ${(err as Error).message}`);
    }
  }
  return ok(out as Statement);
}

/**
 * SIG-03: the statements of a decoded custom policy, or why it is refused: a policy that is not
 * exactly the documented shape (an unknown field anywhere, a wrong type, a Resource not starting
 * with `http://`, `https://` or `*`, a malformed CIDR) is refused as a whole.
 */
export function readPolicy(policy: unknown): Result<Statement[]> {
  if (!isObject(policy)) return fail('policy is not a JSON object');
  const extra = unknownKey(policy, ['Statement']);
  if (extra !== undefined) return fail(`policy has an unknown field "${extra}"`);
  if (!Array.isArray(policy.Statement) || policy.Statement.length === 0) return fail('policy has no Statement');
  const statements: Statement[] = [];
  for (const raw of policy.Statement) {
    const st = statementOf(raw);
    if (!st.ok) return st;
    statements.push(st.value);
  }
  return ok(statements);
}

/** SIG-03: the policy holds when some statement's every condition holds for this request. */
export function policyHolds(statements: readonly Statement[], ctx: PolicyContext): Result {
  let reason = 'no statement matches';
  for (const st of statements) {
    // An absent Resource covers everything the key may sign (SIG-03).
    if (st.resource && !ctx.resources.some((r) => st.resource!(r))) {
      reason = 'resource does not match';
      continue;
    }
    if (!(ctx.now < st.dateLessThan)) {
      reason = 'expired';
      continue;
    }
    if (st.dateGreaterThan !== undefined && !(ctx.now > st.dateGreaterThan)) {
      reason = 'not valid yet';
      continue;
    }
    if (st.sourceIp && !st.sourceIp(ctx.viewerIp)) {
      reason = 'viewer IP outside AWS:SourceIp';
      continue;
    }
    return ok();
  }
  return fail(reason);
}

/** SIG-03: a decoded custom policy, read strictly and checked against this request. */
export function checkCustomPolicy(policy: unknown, ctx: PolicyContext): Result {
  const statements = readPolicy(policy);
  return statements.ok ? policyHolds(statements.value, ctx) : statements;
}
