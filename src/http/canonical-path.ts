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

/**
 * Syntax-based normalisation: percent-encoded unreserved characters are decoded, every other
 * escape is upper-cased. Refused (400): a path that does not start with `/`, an invalid escape,
 * an encoded `/` or `\`, a raw `\`, a NUL (raw or encoded), a control character, a raw non-ASCII
 * byte, and any `.` or `..` segment (raw or after decoding) — nothing is resolved silently.
 * It runs on every request, so it works on char codes and copies nothing until an escape needs
 * rewriting (a path without `%` is its own canonical form once checked).
 */
export function canonicalPath(rawPath: string): Result<string, 'bad-path'> {
  if (rawPath.charCodeAt(0) !== 0x2f) return fail('path must start with /', 'bad-path');
  let out: string | undefined; // undefined while the output equals rawPath up to i
  for (let i = 0; i < rawPath.length; i++) {
    const code = rawPath.charCodeAt(i);
    if (code === 0x25) {
      const hi = hexValue(rawPath.charCodeAt(i + 1));
      const lo = hexValue(rawPath.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return fail(`invalid percent-escape at offset ${i}`, 'bad-path');
      const byte = hi * 16 + lo;
      if (byte === 0) return fail('encoded NUL in path', 'bad-path');
      if (byte === 0x2f || byte === 0x5c) return fail('encoded path separator', 'bad-path');
      if (out === undefined) out = rawPath.slice(0, i);
      out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${rawPath.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
      continue;
    }
    if (code < 0x21 || code === 0x7f) return fail('control character or space in path', 'bad-path');
    if (code > 0x7e) return fail('non-ASCII character in path (send it percent-encoded)', 'bad-path');
    if (code === 0x5c) return fail('backslash in path', 'bad-path');
    if (out !== undefined) out += rawPath[i];
  }
  const path = out ?? rawPath;
  if (hasDotSegment(path)) return fail('dot-segment in path', 'bad-path');
  return ok(path);
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

/**
 * The query string in the same normal form as the path (RFC 3986 §6.2.2: unreserved escapes
 * decoded, the rest upper-cased), so `?a=%41` and `?a=A` are one cache key and one signed
 * resource. `&`, `=` and `+` keep their meaning: escaped ones stay escaped. Refused: an invalid
 * escape, a NUL or control character, a raw non-ASCII byte.
 */
export function canonicalQuery(rawQuery: string): Result<string, 'bad-query'> {
  let out: string | undefined; // undefined while the output equals rawQuery up to i
  for (let i = 0; i < rawQuery.length; i++) {
    const code = rawQuery.charCodeAt(i);
    if (code === 0x25) {
      const hi = hexValue(rawQuery.charCodeAt(i + 1));
      const lo = hexValue(rawQuery.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return fail(`invalid percent-escape in query at offset ${i}`, 'bad-query');
      const byte = hi * 16 + lo;
      if (byte === 0) return fail('encoded NUL in query', 'bad-query');
      if (out === undefined) out = rawQuery.slice(0, i);
      out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${rawQuery.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
      continue;
    }
    if (code < 0x21 || code === 0x7f) return fail('control character or space in query', 'bad-query');
    if (code > 0x7e) return fail('non-ASCII character in query (send it percent-encoded)', 'bad-query');
    if (out !== undefined) out += rawQuery[i];
  }
  return ok(out ?? rawQuery);
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
