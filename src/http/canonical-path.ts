// The one canonical form of a request path (RFC 3986 §6.2.2), shared by the origin and the edge:
// every rule (behaviour match, signature resource, cache key, origin URL, invalidation, logs)
// sees this form, never the raw bytes a viewer sent.
import { fail, ok, type Result } from '../result.js';

/** RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

/** The value of one hex digit's char code, or -1. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** What one URI component refuses beyond the rules both share, and the word its messages use. */
interface Component<C extends string> {
  code: C;
  /** `offset 3` in a path's messages, `in query at offset 3` in a query's. */
  where: '' | ' in query';
  name: 'path' | 'query';
  /** The path refuses a raw `\` and an encoded `/` or `\`: a decoded one would be a separator to some reader. */
  separators: boolean;
}

/**
 * RFC 3986 §6.2.2.1–2 on one component: percent-encoded unreserved characters decoded, every
 * other escape upper-cased. Refused in both: an invalid escape, a NUL (raw or encoded), a control
 * character or space, a raw non-ASCII byte. It runs on every request, so it works on char codes
 * and copies nothing until an escape needs rewriting (a component without `%` is its own
 * canonical form once checked).
 */
function normalizeEscapes<C extends string>(raw: string, c: Component<C>): Result<string, C> {
  let out: string | undefined; // undefined while the output equals raw up to i
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return fail(`invalid percent-escape${c.where} at offset ${i}`, c.code);
      const byte = hi * 16 + lo;
      if (byte === 0) return fail(`encoded NUL in ${c.name}`, c.code);
      if ((byte === 0x2f || byte === 0x5c) && c.separators) return fail('encoded path separator', c.code);
      if (out === undefined) out = raw.slice(0, i);
      out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${raw.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
      continue;
    }
    if (code < 0x21 || code === 0x7f) return fail(`control character or space in ${c.name}`, c.code);
    if (code > 0x7e) return fail(`non-ASCII character in ${c.name} (send it percent-encoded)`, c.code);
    if (code === 0x5c && c.separators) return fail('backslash in path', c.code);
    if (out !== undefined) out += raw[i];
  }
  return ok(out ?? raw);
}

const PATH: Component<'bad-path'> = {
  code: 'bad-path',
  where: '',
  name: 'path',
  separators: true,
};

/**
 * Syntax-based normalisation of a path (normalizeEscapes). Refused (400) besides what every
 * component refuses: a path that does not start with `/`, an encoded `/` or `\`, a raw `\`, and
 * any `.` or `..` segment (raw or after decoding) — nothing is resolved silently.
 */
export function canonicalPath(rawPath: string): Result<string, 'bad-path'> {
  if (rawPath.charCodeAt(0) !== 0x2f) return fail('path must start with /', 'bad-path');
  const path = normalizeEscapes(rawPath, PATH);
  if (path.ok && hasDotSegment(path.value)) return fail('dot-segment in path', 'bad-path');
  return path;
}

/** A `.` or `..` segment anywhere in a path that starts with `/`. */
function hasDotSegment(path: string): boolean {
  for (let i = path.indexOf('/.'); i >= 0; i = path.indexOf('/.', i + 1)) {
    const a = path.charCodeAt(i + 2); // NaN past the end
    if (Number.isNaN(a) || a === 0x2f) return true; // "/." then end or "/"
    if (a === 0x2e) {
      const b = path.charCodeAt(i + 3);
      if (Number.isNaN(b) || b === 0x2f) return true; // "/.." then end or "/"
    }
  }
  return false;
}

const QUERY: Component<'bad-query'> = {
  code: 'bad-query',
  where: ' in query',
  name: 'query',
  separators: false,
};

/**
 * The query string in the same normal form as the path (normalizeEscapes), so `?a=%41` and
 * `?a=A` are one cache key and one signed resource. `&`, `=` and `+` keep their meaning: escaped
 * ones stay escaped.
 */
export function canonicalQuery(rawQuery: string): Result<string, 'bad-query'> {
  return normalizeEscapes(rawQuery, QUERY);
}

/** `name=value` pairs of a canonical query, names and values percent-decoded (`+` stays `+`). */
export function queryPairs(query: string): [string, string][] {
  const out: [string, string][] = [];
  if (!query) return out;
  for (const kv of query.split('&')) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    out.push([decodeComponent(eq < 0 ? kv : kv.slice(0, eq)), decodeComponent(eq < 0 ? '' : kv.slice(eq + 1))]);
  }
  return out;
}

function decodeComponent(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a lone byte of a multi-byte character: kept as sent, it can only fail to match
  }
}
