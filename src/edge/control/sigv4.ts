// AWS Signature Version 4, verified on the receiving side: the canonical request is rebuilt from
// what arrived on the wire (method, raw path and query, the signed headers, the body's SHA-256),
// signed with the configured secret for the scope the client named, and compared in constant
// time. Pure: the clock and the keys come in as arguments.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '../../result.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS refuses a request whose date is more than 15 minutes from its own clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export type SigV4Code = 'IncompleteSignature' | 'InvalidClientTokenId' | 'SignatureDoesNotMatch' | 'MissingAuthenticationToken';

export interface SignedRequest {
  method: string;
  /** The path exactly as sent on the request line (still percent-encoded). */
  rawPath: string;
  /** The query exactly as sent, without `?`. */
  rawQuery: string;
  /** Flat [name, value, name, value …] list as received (Node's `rawHeaders`). */
  rawHeaders: readonly string[];
  /** Hex SHA-256 of the body as received. */
  payloadHash: string;
}

export interface SigV4Options {
  /** Secret access key by access key id. */
  secrets: ReadonlyMap<string, string>;
  /** The service the signature must be scoped to (`cloudfront` for the control API). */
  service: string;
  now: number;
}

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - _ . ~` as %XX of its UTF-8 bytes. */
export function awsUriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Canonical URI for every service but S3: dot-segments resolved, empty segments dropped, then the
 * path as sent (already encoded once by the client) encoded again, keeping `/`.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return awsUriEncode(`/${segments.join('/')}${trailing}`, true);
}

function decodeComponent(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Canonical query: each name and value decoded once and re-encoded, sorted by name then value. */
export function canonicalQuery(rawQuery: string): Result<string> {
  if (rawQuery === '') return ok('');
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : part.slice(eq + 1));
    if (name === undefined || value === undefined) return fail('the query string has an invalid percent-escape');
    if (name === 'X-Amz-Signature') continue;
    pairs.push([awsUriEncode(name), awsUriEncode(value)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return ok(pairs.map(([n, v]) => `${n}=${v}`).join('&'));
}

/** Values of each signed header, in arrival order, trimmed, inner runs of spaces collapsed, joined by `,`. */
export function canonicalHeaders(rawHeaders: readonly string[], signed: readonly string[]): Result<string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = values.get(name) ?? [];
    list.push(rawHeaders[i + 1]!.replace(/\s+/g, ' ').trim());
    values.set(name, list);
  }
  let out = '';
  for (const name of signed) {
    const v = values.get(name);
    if (!v) return fail(`signed header ${name} is not in the request`);
    out += `${name}:${v.join(',')}\n`;
  }
  return ok(out);
}

export function canonicalRequest(r: SignedRequest, signedHeaders: readonly string[]): Result<string> {
  const query = canonicalQuery(r.rawQuery);
  if (!query.ok) return query;
  const headers = canonicalHeaders(r.rawHeaders, signedHeaders);
  if (!headers.ok) return headers;
  return ok(`${r.method}\n${canonicalUri(r.rawPath)}\n${query.value}\n${headers.value}\n${signedHeaders.join(';')}\n${r.payloadHash}`);
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): Result<ParsedAuthorization, SigV4Code> {
  if (!header.startsWith(`${ALGORITHM} `)) return fail(`Authorization must use ${ALGORITHM}`, 'IncompleteSignature');
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return fail(`malformed Authorization component "${part.trim()}"`, 'IncompleteSignature');
    const name = part.slice(0, eq).trim();
    if (fields.has(name)) return fail(`Authorization repeats ${name}`, 'IncompleteSignature');
    fields.set(name, part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signed || !signature)
    return fail('Authorization needs Credential, SignedHeaders and Signature', 'IncompleteSignature');
  const scope = credential.split('/');
  if (scope.length !== 5 || scope.some((s) => s === '') || scope[4] !== 'aws4_request') {
    return fail('Credential must be <key>/<yyyymmdd>/<region>/<service>/aws4_request', 'IncompleteSignature');
  }
  if (!/^\d{8}$/.test(scope[1]!)) return fail('the Credential date must be yyyymmdd', 'IncompleteSignature');
  if (!/^[0-9a-f]{64}$/.test(signature)) return fail('Signature must be 64 lower-case hex digits', 'IncompleteSignature');
  const signedHeaders = signed.split(';');
  const sorted = [...signedHeaders].sort();
  if (signedHeaders.some((h, i) => h === '' || h !== h.toLowerCase() || h !== sorted[i] || h === sorted[i - 1])) {
    return fail('SignedHeaders must be distinct lower-case names in sorted order', 'IncompleteSignature');
  }
  if (!signedHeaders.includes('host')) return fail('the host header must be signed', 'IncompleteSignature');
  const [accessKeyId, date, region, service] = scope as [string, string, string, string, string];
  return ok({ accessKeyId, date, region, service, signedHeaders, signature });
}

/** `yyyymmddThhmmssZ` → ms since epoch. */
function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(t) ? undefined : t;
}

function headerOf(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lowerName) return rawHeaders[i + 1];
  return undefined;
}

/**
 * Verifies a header-signed request. Failures carry AWS's codes: IncompleteSignature (malformed),
 * InvalidClientTokenId (unknown key), SignatureDoesNotMatch (wrong signature, wrong service,
 * stale or future date, body that does not match its declared hash).
 */
export function verifySigV4(r: SignedRequest, opts: SigV4Options): Result<{ accessKeyId: string; region: string }, SigV4Code> {
  const header = headerOf(r.rawHeaders, 'authorization');
  if (header === undefined) return fail('the request is not signed', 'MissingAuthenticationToken');
  const parsed = parseAuthorization(header);
  if (!parsed.ok) return parsed;
  const a = parsed.value;
  const secret = opts.secrets.get(a.accessKeyId);
  if (secret === undefined) return fail('the security token included in the request is invalid', 'InvalidClientTokenId');
  if (a.service !== opts.service)
    return fail(`credential should be scoped to service '${opts.service}', not '${a.service}'`, 'SignatureDoesNotMatch');
  const amzDate = headerOf(r.rawHeaders, 'x-amz-date');
  if (amzDate === undefined) return fail('X-Amz-Date is required', 'IncompleteSignature');
  const at = parseAmzDate(amzDate.trim());
  if (at === undefined) return fail('X-Amz-Date must be yyyymmddThhmmssZ', 'IncompleteSignature');
  if (amzDate.trim().slice(0, 8) !== a.date) return fail('the Credential date does not match X-Amz-Date', 'SignatureDoesNotMatch');
  if (Math.abs(opts.now - at) > MAX_SKEW_MS) {
    return fail(
      `Signature expired or not yet valid: ${amzDate.trim()} is more than 15 minutes from ${new Date(opts.now).toISOString()}`,
      'SignatureDoesNotMatch',
    );
  }
  const declared = headerOf(r.rawHeaders, 'x-amz-content-sha256');
  if (declared !== undefined && declared.trim() !== r.payloadHash) {
    return fail('the body does not match X-Amz-Content-Sha256 (unsigned payloads are not accepted)', 'SignatureDoesNotMatch');
  }
  const creq = canonicalRequest(r, a.signedHeaders);
  if (!creq.ok) return fail(creq.reason, 'SignatureDoesNotMatch');
  const scope = `${a.date}/${a.region}/${a.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${amzDate.trim()}\n${scope}\n${sha256Hex(creq.value)}`;
  const expected = createHmac('sha256', signingKey(secret, a.date, a.region, a.service))
    .update(stringToSign)
    .digest();
  const given = Buffer.from(a.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail(
      'the request signature we calculated does not match the signature you provided; check your AWS secret access key and signing method',
      'SignatureDoesNotMatch',
    );
  }
  return ok({ accessKeyId: a.accessKeyId, region: a.region });
}
