// The one canonical form of a request path (RFC 3986 §6.2.2), shared by the origin and the edge:
// every rule (behaviour match, signature resource, cache key, origin URL, invalidation, logs)
// sees this form, never the raw bytes a viewer sent.
import { fail, ok, type Result } from '../result.js';

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * Syntax-based normalisation: percent-encoded unreserved characters are decoded, every other
 * escape is upper-cased. Refused (400): a path that does not start with `/`, an invalid escape,
 * an encoded `/` or `\`, a raw `\`, a NUL (raw or encoded), a control character, a raw non-ASCII
 * byte, and any `.` or `..` segment (raw or after decoding) — nothing is resolved silently.
 */
export function canonicalPath(rawPath: string): Result<string, 'bad-path'> {
  if (!rawPath.startsWith('/')) return fail('path must start with /', 'bad-path');
  let out = '';
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath[i]!;
    if (c === '%') {
      const hex = rawPath.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return fail(`invalid percent-escape at offset ${i}`, 'bad-path');
      const code = parseInt(hex, 16);
      const ch = String.fromCharCode(code);
      if (code === 0) return fail('encoded NUL in path', 'bad-path');
      if (ch === '/' || ch === '\\') return fail('encoded path separator', 'bad-path');
      out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
      i += 2;
      continue;
    }
    const code = c.charCodeAt(0);
    if (code < 0x21 || code === 0x7f) return fail('control character or space in path', 'bad-path');
    if (code > 0x7e) return fail('non-ASCII character in path (send it percent-encoded)', 'bad-path');
    if (c === '\\') return fail('backslash in path', 'bad-path');
    out += c;
  }
  for (const seg of out.split('/')) {
    if (seg === '.' || seg === '..') return fail('dot-segment in path', 'bad-path');
  }
  return ok(out);
}

/**
 * The query string in the same normal form as the path (RFC 3986 §6.2.2: unreserved escapes
 * decoded, the rest upper-cased), so `?a=%41` and `?a=A` are one cache key and one signed
 * resource. `&`, `=` and `+` keep their meaning: escaped ones stay escaped. Refused: an invalid
 * escape, a NUL or control character, a raw non-ASCII byte.
 */
export function canonicalQuery(rawQuery: string): Result<string, 'bad-query'> {
  let out = '';
  for (let i = 0; i < rawQuery.length; i++) {
    const c = rawQuery[i]!;
    if (c === '%') {
      const hex = rawQuery.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return fail(`invalid percent-escape in query at offset ${i}`, 'bad-query');
      const code = parseInt(hex, 16);
      if (code === 0) return fail('encoded NUL in query', 'bad-query');
      const ch = String.fromCharCode(code);
      out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
      i += 2;
      continue;
    }
    const code = c.charCodeAt(0);
    if (code < 0x21 || code === 0x7f) return fail('control character or space in query', 'bad-query');
    if (code > 0x7e) return fail('non-ASCII character in query (send it percent-encoded)', 'bad-query');
    out += c;
  }
  return ok(out);
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
