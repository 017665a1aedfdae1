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
