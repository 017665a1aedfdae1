// What crosses the edge in each direction: request headers to a custom origin (SPEC HDR-01..05),
// cookies (CK-01..05) and response headers to the viewer (RSP-01). Pure tables and functions.
import { compileWildcard } from './path-pattern.js';
import { cacheControlMembers } from './freshness.js';
import { parseHttpDate } from '../http/http-date.js';

export type ForwardMode = 'none' | 'whitelist' | 'all';

export interface ForwardingRules {
  headers: ForwardMode;
  /** Lower-case whitelisted header names. */
  headerWhitelist: ReadonlySet<string>;
  cookies: ForwardMode;
  cookieWhitelist: readonly string[];
  /** ORG-05: OPTIONS responses are cached (then Authorization is removed from OPTIONS, HDR-03). */
  cacheOptions: boolean;
  /** Set when the behaviour uses a 2020 cache policy (policies/request-plan.ts); the 2014 fields above are then unused for headers. */
  policy?: PolicyHeaderRules;
  /**
   * Lower-case names the origin sets itself (its custom headers): a viewer's header of the same
   * name is neither forwarded nor keyed, whatever the other rules say.
   */
  originOwned?: ReadonlySet<string>;
}

/** The header part of a 2020 cache policy plus origin request policy (SPEC POL-02/03). */
export interface PolicyHeaderRules {
  /** Viewer headers (lower case) sent to the origin: the cache policy's and the origin request policy's. No others are. */
  forwarded: (name: string) => boolean;
  /** Viewer headers in the cache key: the cache policy's only. */
  keyed: (name: string) => boolean;
  /** Accept-Encoding normalised to these codings (EnableAcceptEncodingGzip / Brotli); neither: not forwarded. */
  gzip: boolean;
  brotli: boolean;
}

/** HDR-03 "Removed" unless whitelisted. */
const REMOVED = new Set([
  'accept',
  'accept-charset',
  'accept-language',
  'expect',
  'proxy-authorization',
  'proxy-connection',
  'referer',
  'te',
  'trailer',
  'upgrade',
]);
/**
 * Hop-by-hop headers of the viewer connection; never relayed, whitelisted, forwarded-all or named
 * by a policy (HDR-03 lists them as supporting no cache variation; HDR-03 rewrites Connection
 * itself). Proxy-Authorization is the viewer's credential for the edge as a proxy (RFC 9110
 * §11.7.2), which the edge does not ask for: it is not passed on to the origin either.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
]);
/**
 * Hop metadata the edge alone may assert about the request it makes (like CloudFront-*): a viewer
 * claiming another Host, scheme or address for the origin to believe is dropped, never forwarded.
 * (X-Forwarded-For is HDR-04's: the viewer's value is kept as the start of the list.)
 */
const EDGE_OWNED = new Set([
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-prefix',
  'x-forwarded-scheme',
  'x-real-ip',
]);
/**
 * Browser and player context sent with every fetch (fetch metadata, client hints, privacy signals,
 * CMCD player telemetry: `CMCD-Object`/`-Request`/`-Session`/`-Status`, which change with every
 * request). Not customer-defined headers: on cached requests they are dropped unless whitelisted,
 * because keying on them (see keyedHeadersOf) would split the cache per browser version, or per
 * request for CMCD, for nothing. The edge's own real-time log still reads CMCD from the viewer.
 */
function isBrowserContext(name: string): boolean {
  return (
    name.startsWith('sec-') ||
    name.startsWith('cmcd-') ||
    name === 'dnt' ||
    name === 'upgrade-insecure-requests' ||
    name === 'priority' ||
    name === 'save-data'
  );
}
/**
 * HDR-03 "forwarded unchanged" headers whose meaning HTTP defines and which do not select a
 * representation: forwarded on cached requests without being keyed (TTL-06 for Cache-Control and
 * Pragma). Every other forwarded viewer header is part of the cache key (keyedHeadersOf).
 */
const FORWARDED_UNKEYED = new Set([
  'cache-control',
  'pragma',
  'date',
  'from',
  'max-forwards',
  'via',
  'warning',
  'content-md5',
  'content-type',
]);
/** Headers the edge writes itself; keyed only when whitelisted (then they carry the viewer's value). */
const EDGE_WRITTEN = new Set(['host', 'user-agent', 'accept-encoding', 'connection', 'x-forwarded-for', 'x-amz-cf-id', 'cookie']);
/** HDR-03: computed by the edge and never taken from the viewer. */
const CLOUDFRONT_COMPUTED = new Set([
  'cloudfront-forwarded-proto',
  'cloudfront-is-desktop-viewer',
  'cloudfront-is-mobile-viewer',
  'cloudfront-is-tablet-viewer',
  'cloudfront-viewer-country',
]);

/**
 * Fields a Connection header may not take away: the message's framing (already parsed by Node,
 * so dropping them would only lose a body the origin then never sees) and its Host. RFC 9110
 * §7.6.1 forbids naming fields meant for every recipient; such names are ignored.
 */
const NEVER_NOMINATED = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * RFC 9110 §7.6.1: the field names a message's Connection header lists (lower case). They belong
 * to that one connection: a proxy neither forwards nor stores them.
 */
export function connectionNominated(rawHeaders: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'connection') continue;
    for (const token of rawHeaders[i + 1]!.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && !NEVER_NOMINATED.has(t)) out.add(t);
    }
  }
  return out;
}

/** A raw header list without the named fields (lower-case names). */
export function withoutFields(rawHeaders: readonly string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (!names.has(rawHeaders[i]!.toLowerCase())) out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  return out;
}

/**
 * Removes from a viewer request the fields its Connection header names, once, where the request
 * arrives: the cache key, the cookies and the headers forwarded to the origin then all read the
 * same fields (a field the origin never sees must not be in the key either).
 */
export function dropConnectionNominated(req: { rawHeaders: string[]; headers: Record<string, unknown> }): void {
  const names = connectionNominated(req.rawHeaders);
  if (names.size === 0) return;
  for (const n of ['connection', 'keep-alive', 'close']) names.delete(n); // connection options, not fields the edge uses
  if (names.size === 0) return;
  Object.defineProperty(req, 'rawHeaders', { value: withoutFields(req.rawHeaders, names), configurable: true, writable: true });
  for (const n of names) delete req.headers[n];
}

export interface OriginRequestInput {
  method: string;
  /** Node's rawHeaders: [name, value, name, value, ...] as the viewer sent them. */
  rawHeaders: readonly string[];
  rules: ForwardingRules;
  viewerIp: string;
  /** HDR-05: same value as x-edge-request-id. */
  cfId: string;
  /** `host[:port]` of the origin (HDR-03 Host rewrite). */
  originHost: string;
  viewerCountry?: string;
  /** Whether this request's response may be cached (decides gzip-only Accept-Encoding and conditionals). */
  cacheable: boolean;
  /** The viewer's scheme, for a whitelisted CloudFront-Forwarded-Proto (HDR-03); default http. */
  viewerScheme?: 'http' | 'https';
}

/**
 * HDR-03/04/05: the headers the edge sends to a custom origin. Conditionals the viewer sent are
 * dropped on cacheable requests: the edge fetches the whole object and answers the viewer's
 * conditional from it (CND-02); its own revalidation headers are added by the caller (CND-01).
 */
export function originRequestHeaders(input: OriginRequestInput): Record<string, string> {
  const { rules } = input;
  const policy = rules.policy;
  const all = rules.headers === 'all';
  const owned = rules.originOwned;
  // The edge's own Host goes first, before anything the viewer sent (an origin that stops reading
  // header lines at some count must still see it): its slot is made first and filled below (the
  // viewer's Host never reaches `out` in the loop), so the list is built once, not copied.
  const out: Record<string, string> = { host: '' };
  let xff: string | undefined;
  let acceptEncoding: string | undefined;
  let userAgent: string | undefined;
  let viewerHost: string | undefined;
  const raw = input.rawHeaders;
  const nominated = connectionNominated(raw);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) describe the viewer's request line.
    if (name.charCodeAt(0) === 58) continue;
    if (HOP_BY_HOP.has(name) && name !== 'transfer-encoding') continue;
    if (nominated.has(name)) continue; // RFC 9110 §7.6.1
    if (owned !== undefined && owned.has(name)) continue; // the origin's custom header replaces it
    if (name === 'host') {
      viewerHost = value;
      continue;
    }
    if (name === 'cookie' || name === 'content-length' || name === 'transfer-encoding') continue;
    if (name === 'accept-encoding') {
      acceptEncoding = acceptEncoding ? `${acceptEncoding}, ${value}` : value;
      continue;
    }
    if (name === 'user-agent') {
      userAgent = value;
      continue;
    }
    if (name === 'x-forwarded-for') {
      xff = xff ? `${xff}, ${value}` : value;
      continue;
    }
    if (CLOUDFRONT_COMPUTED.has(name) || name === 'x-amz-cf-id' || EDGE_OWNED.has(name)) continue;
    if (policy !== undefined) {
      // 2020 policies: only what a policy names reaches the origin; Authorization on GET/HEAD only
      // when the cache policy keys it (an origin request policy cannot name it).
      if (!policy.forwarded(name)) continue;
      if (name === 'authorization' && !authorizationForwarded(input.method, rules.cacheOptions) && !policy.keyed(name)) continue;
      if (input.cacheable && CONDITIONALS.has(name)) continue;
      out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
      continue;
    }
    // HDR-03 says what happens to a header that is not whitelisted; a whitelisted Authorization is
    // forwarded (and keyed, HDR-01), and RFC 9111 §3.5 then limits reuse of the response (freshness.ts).
    if (
      name === 'authorization' &&
      !authorizationForwarded(input.method, rules.cacheOptions) &&
      !all &&
      !rules.headerWhitelist.has('authorization')
    )
      continue;
    if (REMOVED.has(name) && !all && !rules.headerWhitelist.has(name)) continue;
    if (input.cacheable && CONDITIONALS.has(name)) continue;
    if (input.cacheable && !all && isBrowserContext(name) && !rules.headerWhitelist.has(name)) continue;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  const want = policy !== undefined ? policy.forwarded : (h: string) => all || rules.headerWhitelist.has(h);
  out.host = want('host') && viewerHost ? viewerHost : input.originHost;
  if (policy === undefined) {
    // GZ-01 / SPEC §9.12: only gzip is forwarded (whether or not the object is cacheable).
    if (acceptsGzip(acceptEncoding)) out['accept-encoding'] = 'gzip';
  } else {
    const coding = normalisedAcceptEncoding(acceptEncoding, policy.gzip, policy.brotli);
    if (coding) out['accept-encoding'] = coding;
  }
  out['user-agent'] = want('user-agent') && userAgent !== undefined ? userAgent : 'Amazon CloudFront';
  out['connection'] = 'keep-alive';
  out['x-forwarded-for'] = xff ? `${xff}, ${input.viewerIp}` : input.viewerIp;
  out['x-amz-cf-id'] = input.cfId;
  if (want('cloudfront-forwarded-proto')) out['cloudfront-forwarded-proto'] = input.viewerScheme ?? 'http';
  if (want('cloudfront-viewer-country') && input.viewerCountry) out['cloudfront-viewer-country'] = input.viewerCountry;
  if (want('cloudfront-is-desktop-viewer') || want('cloudfront-is-mobile-viewer') || want('cloudfront-is-tablet-viewer')) {
    const d = deviceOf(userAgent ?? '');
    if (want('cloudfront-is-desktop-viewer')) out['cloudfront-is-desktop-viewer'] = String(d.desktop);
    if (want('cloudfront-is-mobile-viewer')) out['cloudfront-is-mobile-viewer'] = String(d.mobile);
    if (want('cloudfront-is-tablet-viewer')) out['cloudfront-is-tablet-viewer'] = String(d.tablet);
  }
  return out;
}

/**
 * The part of the cache key that comes from request headers, read from the headers the edge
 * actually sends the origin: nothing a viewer sends may change a cached response that others get
 * unless it is in the key. So every forwarded viewer header is keyed (whitelisted ones with the
 * value forwarded, e.g. the computed CloudFront-Viewer-Country), except FORWARDED_UNKEYED, the
 * edge's own headers, and Cookie (keyed by the cookie rules). X-Forwarded-For is the one
 * viewer-influenced header forwarded unkeyed (HDR-04 requires it).
 */
export function keyedHeadersOf(forwarded: Readonly<Record<string, string>>, rules: ForwardingRules): [string, string][] {
  const out: [string, string][] = [];
  const policy = rules.policy;
  if (policy !== undefined) {
    // 2020: the cache policy's headers only (Accept-Encoding is keyed as its normalised coding).
    for (const name in forwarded) if (policy.keyed(name) && !POLICY_UNKEYED.has(name)) out.push([name, forwarded[name]!]);
    return out;
  }
  for (const name in forwarded) {
    if (FORWARDED_UNKEYED.has(name)) continue;
    if (EDGE_WRITTEN.has(name) && !rules.headerWhitelist.has(name)) continue;
    out.push([name, forwarded[name]!]);
  }
  return out;
}

/** Edge-written headers a cache policy cannot key by name (the encodings are keyed by their own flags). */
const POLICY_UNKEYED = new Set(['accept-encoding', 'connection', 'cookie', 'x-forwarded-for', 'x-amz-cf-id']);

/** Content codings an Accept-Encoding accepts (lower case; `q=0` refuses one). */
export function acceptedCodings(acceptEncoding: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!acceptEncoding) return out;
  for (const member of acceptEncoding.split(',')) {
    const [coding, ...params] = member.split(';').map((t) => t.trim().toLowerCase());
    if (!coding) continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    out.add(coding);
  }
  return out;
}

/**
 * A cache policy's Accept-Encoding normalisation: the viewer's header reduced to the enabled
 * codings it accepts (`br,gzip`, `br`, `gzip`), or nothing. The result is both what the origin
 * gets and what the key holds, so every viewer that accepts the same codings shares one object.
 */
export function normalisedAcceptEncoding(acceptEncoding: string | undefined, gzip: boolean, brotli: boolean): string | undefined {
  if (!gzip && !brotli) return undefined;
  const accepted = acceptedCodings(acceptEncoding);
  const br = brotli && accepted.has('br');
  const gz = gzip && accepted.has('gzip');
  return br && gz ? 'br,gzip' : br ? 'br' : gz ? 'gzip' : undefined;
}

/** GZ-01: the viewer accepts gzip (the only encoding CloudFront forwards and keys on). */
export function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  const v = Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : acceptEncoding;
  return /(^|[\s,])gzip(\s*;|\s*,|\s*$)/i.test(v);
}

const CONDITIONALS = new Set([
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
  'request-range',
]);

/** HDR-03 Authorization: removed for GET/HEAD, for OPTIONS only when OPTIONS is cached. */
export function authorizationForwarded(method: string, cacheOptions: boolean): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  if (method === 'OPTIONS') return !cacheOptions;
  return true;
}

/** A rough User-Agent classification for the CloudFront-Is-*-Viewer headers (more than one may be true). */
function deviceOf(ua: string): { desktop: boolean; mobile: boolean; tablet: boolean } {
  const tablet = /iPad|Tablet|Nexus (7|9|10)|Kindle|Silk/i.test(ua) || (/Android/i.test(ua) && !/Mobile/i.test(ua));
  const mobile = /Mobile|iPhone|iPod|Android|Windows Phone|BlackBerry/i.test(ua);
  return { desktop: !mobile && !tablet, mobile, tablet };
}

/** CK-04: `name=value` pairs of a Cookie header, attributes (`$Path` etc.) dropped. */
export function parseCookieHeader(header: string | undefined): [string, string][] {
  if (!header) return [];
  const out: [string, string][] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!name || name.startsWith('$')) continue;
    out.push([name, eq < 0 ? '' : part.slice(eq + 1).trim()]);
  }
  return out;
}

/** A matcher for a cookie whitelist with `*`/`?` wildcards (CK-03). */
export function cookieWhitelistMatcher(whitelist: readonly string[]): (name: string) => boolean {
  const matchers = whitelist.map(compileWildcard);
  return (name) => matchers.some((m) => m(name));
}

/**
 * CK-01..04: the cookies forwarded to the origin (and keyed), sorted by name (natural order of the
 * code points), as `[name, value]` pairs.
 */
export function forwardedCookies(
  cookieHeader: string | undefined,
  mode: ForwardMode,
  isWhitelisted: (n: string) => boolean,
): [string, string][] {
  if (mode === 'none' || !cookieHeader) return [];
  const pairs = parseCookieHeader(cookieHeader).filter(([n]) => mode === 'all' || isWhitelisted(n));
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function cookieHeaderOf(pairs: readonly [string, string][]): string {
  return pairs.map(([n, v]) => `${n}=${v}`).join('; ');
}

/**
 * RFC 9111 §3.1, §5.2.2.4, §5.2.2.7: the fields a response's `no-cache="…"` and `private="…"`
 * name may go to this viewer but are not kept for later ones (the rest of the response is; CK-05
 * is the case of `no-cache="Set-Cookie"`).
 */
export function fieldsNotStored(rawHeaders: readonly string[]): Set<string> {
  const cc: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'cache-control') cc.push(rawHeaders[i + 1]!);
  const out = new Set<string>();
  for (const [name, v] of cacheControlMembers(cc.join(', '))) {
    if ((name === 'no-cache' || name === 'private') && typeof v === 'string') {
      for (const f of v.split(',')) if (f.trim()) out.add(f.trim().toLowerCase());
    }
  }
  return out;
}

/**
 * Response headers that never reach the viewer from the origin, nor the cache (RSP-01; Via is
 * replaced; framing is the edge's own): hop-by-hop fields (RFC 9110 §7.6.1), and the proxy
 * challenge fields, which are addressed to the next client on the chain, the edge (§11.7.1, §11.7.3).
 */
const RESPONSE_DROPPED = new Set([
  'te',
  'proxy-authenticate',
  'proxy-authentication-info',
  'trailer',
  'upgrade',
  'via',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'content-length',
  'age',
]);

export interface ResponseHeaderSplit {
  /** Headers for the viewer of this very response. */
  viewer: [string, string][];
  /** Headers kept with the cached copy (Set-Cookie only as the cookie rules allow). */
  stored: [string, string][];
}

function setCookieName(v: string): string {
  const eq = v.indexOf('=');
  return (eq < 0 ? v : v.slice(0, eq)).trim();
}

/**
 * RSP-01 and CK-01..05 for the origin's raw response headers: Trailer/Upgrade, Connection and the
 * fields it names removed (RFC 9111 §3.1), Via replaced
 * (by the caller), Transfer-Encoding and Content-Length re-framed by the edge, Set-Cookie:
 * - none: removed for the viewer and the cache (CK-01);
 * - whitelist: the viewer gets all, the cache keeps whitelisted names (CK-03);
 * - all: the viewer gets all, the cache keeps cookies that were in the request (CK-02);
 * - `no-cache="Set-Cookie"`: the cache keeps none (CK-05).
 */
export function splitResponseHeaders(
  rawHeaders: readonly string[],
  cookies: ForwardMode,
  isWhitelisted: (n: string) => boolean,
  requestCookieNames: ReadonlySet<string>,
  neverCacheSetCookie: boolean,
): ResponseHeaderSplit {
  const viewer: [string, string][] = [];
  const stored: [string, string][] = [];
  const nominated = connectionNominated(rawHeaders);
  const notStored = fieldsNotStored(rawHeaders);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (RESPONSE_DROPPED.has(lower) || nominated.has(lower)) continue; // RFC 9111 §3.1, RFC 9110 §7.6.1
    if (lower === 'set-cookie') {
      if (cookies === 'none') continue;
      viewer.push([name, value]);
      const n = setCookieName(value);
      const keep = !neverCacheSetCookie && !notStored.has(lower) && (cookies === 'all' ? requestCookieNames.has(n) : isWhitelisted(n));
      if (keep) stored.push([name, value]);
      continue;
    }
    viewer.push([name, value]);
    if (!notStored.has(lower)) stored.push([name, value]);
  }
  return { viewer, stored };
}

/**
 * RFC 9111 §3.1: fields a cache keeps with a response but never takes from a 304 (§3.2): the
 * body's own framing and coding (the stored bytes do not change: Content-Length, Content-Encoding,
 * Content-Range, Transfer-Encoding) and Vary, on which the stored variant's key depends.
 */
const NOT_UPDATED_BY_304 = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding', 'vary']);

/**
 * RFC 9111 §3.2 / §4.3.4: the stored headers after a 304. Every field the 304 carries replaces all
 * stored lines of that name (repeated lines kept together), except the ones above; the others stay.
 * `validation` is the 304's headers as they would be stored (splitResponseHeaders(…).stored), so
 * hop-by-hop, Connection-named and cookie rules were applied to them already.
 */
export function updateStoredHeaders(stored: readonly [string, string][], validation: readonly [string, string][]): [string, string][] {
  const replacing = new Set<string>();
  for (const [n] of validation) {
    const lower = n.toLowerCase();
    if (!NOT_UPDATED_BY_304.has(lower)) replacing.add(lower);
  }
  const out: [string, string][] = stored.filter(([n]) => !replacing.has(n.toLowerCase()));
  for (const [n, v] of validation) if (replacing.has(n.toLowerCase())) out.push([n, v]);
  return out;
}

/**
 * RFC 9111 §4.3.4: whether a 304 selects the stored response, so that it may update it. A strong
 * ETag in the 304 must equal the stored one strongly, a weak one weakly; without an ETag, a
 * Last-Modified must equal the stored one. A 304 with neither selects the (single) stored
 * response. A 304 that selects nothing updates nothing: the object is fetched again.
 */
export function selectedBy304(stored: readonly [string, string][], validation304: readonly string[]): boolean {
  const first = (list: readonly [string, string][], name: string) => list.find(([n]) => n.toLowerCase() === name)?.[1]?.trim();
  const got: [string, string][] = [];
  for (let i = 0; i + 1 < validation304.length; i += 2) got.push([validation304[i]!, validation304[i + 1]!]);
  const etag = first(got, 'etag');
  if (etag !== undefined) {
    const mine = first(stored, 'etag');
    if (mine === undefined) return false;
    if (!etag.startsWith('W/')) return !mine.startsWith('W/') && mine === etag;
    return etag.slice(2) === (mine.startsWith('W/') ? mine.slice(2) : mine);
  }
  const lm = first(got, 'last-modified');
  if (lm !== undefined) {
    const mine = first(stored, 'last-modified');
    if (mine === undefined) return false;
    const a = parseHttpDate(lm);
    return a !== undefined ? a === parseHttpDate(mine) : lm === mine;
  }
  return true;
}
