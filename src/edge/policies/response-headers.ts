// Response headers policies (2020 API, SPEC POL-06): CORS (with preflights answered by the edge), security
// headers, custom and removed headers, Server-Timing. Applied to every answer the edge writes,
// through one call in deliver.ts's head writer. Pure apart from the sampling coin.
import type { ResponseHeadersPolicy } from './managed.js';
import type { HeaderList } from '../../http/headers.js';

/** What a policy needs to know about the request an answer is for. */
export interface AnswerContext {
  method: string;
  /** The viewer's Origin header. */
  origin?: string;
  /** Access-Control-Request-Method / -Headers of a preflight. */
  requestMethod?: string;
  /** Cache result of the answer (Hit, RefreshHit, Miss, Error …). */
  result: string;
  requestId: string;
  pop: string;
  /** Milliseconds since the request arrived, when the head is written. */
  elapsedMs: number;
  /** A number in [0, 100) (Math.random() * 100 in production), compared with the sampling rate. */
  coin: number;
}

const ALL_METHODS = 'GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE';

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (the Fetch standard's CORS protocol). */
export function isPreflight(method: string, origin: string | undefined, requestMethod: string | undefined): boolean {
  return method === 'OPTIONS' && origin !== undefined && requestMethod !== undefined;
}

function has(h: HeaderList, lower: string): boolean {
  for (let i = 0; i < h.length; i += 2) if (h[i]!.toLowerCase() === lower) return true;
  return false;
}

function without(h: HeaderList, drop: (lower: string) => boolean): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < h.length; i += 2) if (!drop(h[i]!.toLowerCase())) out.push(h[i]!, h[i + 1]!);
  return out;
}

/** Sets a header: with `override` it replaces the origin's; without, the origin's value (if any) stays. */
function put(h: HeaderList, name: string, value: string, override: boolean): HeaderList {
  const lower = name.toLowerCase();
  if (!has(h, lower)) return (h.push(name, value), h);
  if (!override) return h;
  const out = without(h, (n) => n === lower);
  out.push(name, value);
  return out;
}

/** The security headers a policy sets, as [name, value, override]. */
export function securityHeaders(p: NonNullable<ResponseHeadersPolicy['securityHeadersConfig']>): [string, string, boolean][] {
  const out: [string, string, boolean][] = [];
  const hsts = p.strictTransportSecurity;
  if (hsts)
    out.push([
      'Strict-Transport-Security',
      `max-age=${hsts.accessControlMaxAgeSec}${hsts.includeSubdomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`,
      hsts.override,
    ]);
  if (p.contentTypeOptions) out.push(['X-Content-Type-Options', 'nosniff', p.contentTypeOptions.override]);
  if (p.frameOptions) out.push(['X-Frame-Options', p.frameOptions.frameOption, p.frameOptions.override]);
  if (p.referrerPolicy) out.push(['Referrer-Policy', p.referrerPolicy.referrerPolicy, p.referrerPolicy.override]);
  if (p.contentSecurityPolicy)
    out.push(['Content-Security-Policy', p.contentSecurityPolicy.contentSecurityPolicy, p.contentSecurityPolicy.override]);
  const x = p.xssProtection;
  if (x) {
    const v = !x.protection ? '0' : x.modeBlock ? '1; mode=block' : x.reportUri ? `1; report=${x.reportUri}` : '1';
    out.push(['X-XSS-Protection', v, x.override]);
  }
  return out;
}

/** Whether an Origin is allowed by the list (`*`, an exact origin, or `https://*.example.com`). */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  for (const a of allowed) {
    if (a === '*' || a === origin) return true;
    const star = a.indexOf('://*.');
    if (star >= 0) {
      const scheme = a.slice(0, star + 3);
      const suffix = a.slice(star + 4); // ".example.com"
      if (origin.startsWith(scheme) && origin.endsWith(suffix) && origin.length > scheme.length + suffix.length) return true;
    }
  }
  return false;
}

function addVaryOrigin(h: HeaderList): HeaderList {
  for (let i = 0; i + 1 < h.length; i += 2) {
    if (h[i]!.toLowerCase() !== 'vary') continue;
    if (h[i + 1]!.split(',').some((t) => t.trim().toLowerCase() === 'origin' || t.trim() === '*')) return h;
  }
  h.push('Vary', 'Origin');
  return h;
}

function cors(p: NonNullable<ResponseHeadersPolicy['corsConfig']>, h: HeaderList, a: AnswerContext): HeaderList {
  const originSent = has(h, 'access-control-allow-origin');
  if (originSent && !p.originOverride) return h; // the origin's own CORS answer stands
  let out = p.originOverride ? without(h, (n) => n.startsWith('access-control-')) : h;
  if (a.origin === undefined || !originAllowed(p.accessControlAllowOrigins, a.origin)) return out;
  const any = p.accessControlAllowOrigins.includes('*') && !p.accessControlAllowCredentials;
  out.push('Access-Control-Allow-Origin', any ? '*' : a.origin);
  if (!any) out = addVaryOrigin(out);
  if (p.accessControlAllowCredentials) out.push('Access-Control-Allow-Credentials', 'true');
  if (isPreflight(a.method, a.origin, a.requestMethod)) {
    const methods = p.accessControlAllowMethods.includes('ALL') ? ALL_METHODS : p.accessControlAllowMethods.join(', ');
    out.push('Access-Control-Allow-Methods', methods);
    if (p.accessControlAllowHeaders.length) out.push('Access-Control-Allow-Headers', p.accessControlAllowHeaders.join(', '));
    if (p.accessControlMaxAgeSec !== undefined) out.push('Access-Control-Max-Age', String(p.accessControlMaxAgeSec));
  } else if (p.accessControlExposeHeaders.length) {
    out.push('Access-Control-Expose-Headers', p.accessControlExposeHeaders.join(', '));
  }
  return out;
}

const TIMING_RESULT: Record<string, string> = { Hit: 'cdn-cache-hit', RefreshHit: 'cdn-cache-refresh', Miss: 'cdn-cache-miss' };

/** CloudFront's Server-Timing metrics: cache result, POP, request id, and (on hits) the layer that answered. */
export function serverTiming(a: AnswerContext): string {
  const parts: string[] = [];
  const r = TIMING_RESULT[a.result];
  if (r) parts.push(r);
  parts.push(`cdn-pop;desc="${a.pop}"`, `cdn-rid;desc="${a.requestId}"`);
  if (a.result === 'Hit' || a.result === 'RefreshHit') parts.push('cdn-hit-layer;desc="EDGE"');
  parts.push(`cdn-downstream-fbl;dur=${Math.max(0, Math.round(a.elapsedMs))}`);
  return parts.join(',');
}

interface CompiledPolicy {
  removed?: ReadonlySet<string>;
  /** Custom then security headers, as [name, value, override]. */
  set: readonly [string, string, boolean][];
}
const COMPILED = new WeakMap<ResponseHeadersPolicy, CompiledPolicy>();

/** What does not depend on the request, worked out once per policy (answers are written on the hit path). */
function compiled(p: ResponseHeadersPolicy): CompiledPolicy {
  let c = COMPILED.get(p);
  if (!c) {
    const items = p.removeHeadersConfig?.items ?? [];
    c = {
      removed: items.length ? new Set(items.map((i) => i.header.toLowerCase())) : undefined,
      set: [
        ...(p.customHeadersConfig?.items ?? []).map((i) => [i.header, i.value, i.override] as [string, string, boolean]),
        ...(p.securityHeadersConfig ? securityHeaders(p.securityHeadersConfig) : []),
      ],
    };
    COMPILED.set(p, c);
  }
  return c;
}

/**
 * The head of an answer with the policy applied, in CloudFront's order: removed headers go first
 * (so a custom header of the same name can then be set), then custom, security and CORS headers,
 * then Server-Timing. Returns a new list when anything changes; `headers` is never modified.
 */
export function applyResponseHeadersPolicy(p: ResponseHeadersPolicy, headers: HeaderList, a: AnswerContext): HeaderList {
  const c = compiled(p);
  let h = c.removed ? without(headers, (n) => c.removed!.has(n)) : headers.slice();
  for (const [n, v, o] of c.set) h = put(h, n, v, o);
  if (p.corsConfig) h = cors(p.corsConfig, h, a);
  const st = p.serverTimingHeadersConfig;
  if (st?.enabled && a.coin < st.samplingRate) h.push('Server-Timing', serverTiming(a));
  return h;
}
