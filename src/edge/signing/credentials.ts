// Where a request's signing credentials come from: the signed URL's query parameters
// (SPEC SIG-02/03) or today's signed cookies (`CloudFront-Expires` or `CloudFront-Policy`, with
// `CloudFront-Signature` and `CloudFront-Key-Pair-Id`). Pure.
import { fail, ok, type Result } from '../../result.js';
import { parseCookieHeader } from '../forwarding.js';

/** The parameters that make a URL a signed URL (SIG-02/03, plus the later `Hash-Algorithm`). */
export const SIGNED_URL_PARAMS = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm'] as const;
type Field = (typeof SIGNED_URL_PARAMS)[number];
const SIGNED_URL_PARAM_SET: ReadonlySet<string> = new Set(SIGNED_URL_PARAMS);

/** QS-02 / SIG-05: whether a query parameter is one of a signed URL's (never forwarded, never keyed). */
export function isSignedUrlParam(name: string): name is Field {
  return SIGNED_URL_PARAM_SET.has(name);
}

/** The signed cookies, by the field each carries. */
const COOKIE_FIELDS: ReadonlyMap<string, Field> = new Map(SIGNED_URL_PARAMS.map((f) => [`CloudFront-${f}`, f]));

/** The credentials one request presents, from one source only. */
export interface Credentials {
  via: 'url' | 'cookie';
  fields: Partial<Record<Field, string>>;
}

/**
 * CloudFront's precedence: a request whose query carries any of the signed-URL parameters is a
 * signed URL and is judged by its URL alone, whatever cookies it sends (a broken signed URL is
 * not rescued by a good cookie). Otherwise the signed cookies are read. Undefined: neither.
 * A parameter given twice, or a cookie given twice with different values, is refused: which one
 * counts would otherwise depend on the reader.
 */
export function presentedCredentials(
  params: readonly [string, string][],
  cookieHeader: string | undefined,
): Result<Credentials | undefined> {
  const fromUrl: Partial<Record<Field, string>> = {};
  let inUrl = false;
  for (const [name, value] of params) {
    if (!isSignedUrlParam(name)) continue;
    if (fromUrl[name] !== undefined) return fail(`the signing parameter ${name} appears more than once`);
    fromUrl[name] = value;
    inUrl = true;
  }
  if (inUrl) return ok({ via: 'url', fields: fromUrl });
  const fromCookies: Partial<Record<Field, string>> = {};
  let inCookies = false;
  for (const [name, value] of parseCookieHeader(cookieHeader)) {
    const f = COOKIE_FIELDS.get(name);
    if (f === undefined) continue;
    if (fromCookies[f] !== undefined && fromCookies[f] !== value) return fail(`the cookie ${name} appears twice with different values`);
    fromCookies[f] = value;
    inCookies = true;
  }
  return ok(inCookies ? { via: 'cookie', fields: fromCookies } : undefined);
}

/** True for the cookie names that carry signing credentials (`CloudFront-Policy`, …). */
export function isSigningCookie(name: string): boolean {
  return COOKIE_FIELDS.has(name);
}

/**
 * The Cookie header without the signed cookies (undefined when nothing else is left): they are
 * the edge's credentials, never forwarded to the origin nor part of the cache key, so one
 * viewer's signature neither reaches the origin nor splits the cache per viewer.
 */
export function withoutSigningCookies(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader || !cookieHeader.includes('CloudFront-')) return cookieHeader;
  const kept = cookieHeader.split(';').filter((part) => {
    const eq = part.indexOf('=');
    return !isSigningCookie((eq < 0 ? part : part.slice(0, eq)).trim());
  });
  const text = kept.join(';').trim();
  return text === '' ? undefined : text;
}
