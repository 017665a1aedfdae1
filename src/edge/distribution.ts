// Configuration → the runtime shape of each distribution: origins, ordered behaviours with their
// compiled matchers and forwarding rules (EDGE-01..05), error TTLs and pages (ERR-01..05), geo
// rules (GEO-01) and Host routing (CN-01).
import { METHOD_SETS, type BehaviourConfig, type DistributionConfig, type EdgeConfig } from '../config/edge.js';
import { compilePathPattern, matchBehaviour } from './path-pattern.js';
import { cookieWhitelistMatcher, type ForwardingRules } from './forwarding.js';
import { originTransport, type OriginTarget, type OriginTransportConfig } from './origin-client.js';
import type { TtlSettings } from './freshness.js';
import { compileCidr } from '../net/cidr.js';

export interface RuntimeBehaviour {
  /** -1 for the default behaviour. */
  index: number;
  pathPattern: string;
  cfg: BehaviourConfig;
  origin: OriginTarget & { id: string };
  allowedMethods: ReadonlySet<string>;
  /** GET/HEAD, plus OPTIONS when cacheOptions (ORG-05); nothing when all headers are forwarded (TTL-05). */
  cachedMethods: ReadonlySet<string>;
  rules: ForwardingRules;
  isCookieWhitelisted: (name: string) => boolean;
  ttl: TtlSettings;
}

export interface CustomErrorPage {
  pagePath?: string;
  responseCode?: number;
  minTtl?: number;
}

export interface RuntimeDistribution {
  cfg: DistributionConfig;
  id: string;
  domainName: string;
  behaviours: RuntimeBehaviour[];
  defaultBehaviour: RuntimeBehaviour;
  matchers: ((path: string) => boolean)[];
  customErrors: Map<number, CustomErrorPage>;
  /** Key prefix shared by all of this distribution's cache keys. */
  keyPrefix: string;
}

export function originTarget(
  id: string,
  url: string,
  timeoutSeconds: number,
  retries: number,
  transport: OriginTransportConfig = {},
): OriginTarget & { id: string } {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`edge origin ${id}: only http:// and https:// origins are supported (got ${url})`);
  const t = originTransport(u, transport);
  const urlSchemePort = u.protocol === 'https:' ? t.httpsPort : t.httpPort;
  const port = t.protocolPolicy === 'http-only' ? t.httpPort : t.protocolPolicy === 'https-only' ? t.httpsPort : urlSchemePort;
  return {
    ...t,
    id,
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    basePath: u.pathname === '/' ? '' : u.pathname.replace(/\/$/, ''),
    hostHeader: u.host,
    timeoutMs: timeoutSeconds * 1000,
    retries,
  };
}

function runtimeBehaviour(
  index: number,
  pathPattern: string,
  cfg: BehaviourConfig,
  origins: Map<string, OriginTarget & { id: string }>,
  firstOrigin: OriginTarget & { id: string },
): RuntimeBehaviour {
  const origin = cfg.targetOriginId ? origins.get(cfg.targetOriginId) : firstOrigin;
  if (!origin) throw new Error(`edge behaviour ${pathPattern}: no origin with id "${cfg.targetOriginId}"`);
  const allowed = new Set<string>(METHOD_SETS[cfg.allowedMethods]);
  const cached = new Set<string>(cfg.headers.forward === 'all' ? [] : cfg.cacheOptions ? ['GET', 'HEAD', 'OPTIONS'] : ['GET', 'HEAD']);
  return {
    index,
    pathPattern,
    cfg,
    origin,
    allowedMethods: allowed,
    cachedMethods: cached,
    rules: {
      headers: cfg.headers.forward,
      headerWhitelist: new Set(cfg.headers.forward === 'whitelist' ? cfg.headers.whitelist.map((h) => h.toLowerCase()) : []),
      cookies: cfg.cookies.forward,
      cookieWhitelist: cfg.cookies.whitelist,
      cacheOptions: cfg.cacheOptions,
    },
    isCookieWhitelisted: cookieWhitelistMatcher(cfg.cookies.whitelist),
    ttl: { minTtl: cfg.minTtl, defaultTtl: cfg.defaultTtl, maxTtl: cfg.maxTtl },
  };
}

/** Builds one distribution; `defaultOriginUrl` is used when it lists no origins. */
export function buildDistribution(cfg: DistributionConfig, defaultOriginUrl: string | undefined): RuntimeDistribution {
  const origins = new Map<string, OriginTarget & { id: string }>();
  if (cfg.origins.length === 0) {
    if (!defaultOriginUrl) throw new Error(`edge distribution ${cfg.id}: no origins configured and no edge.origin / --origin URL given`);
    origins.set('default', originTarget('default', defaultOriginUrl, 30, 2));
  }
  for (const o of cfg.origins) origins.set(o.id, originTarget(o.id, o.url, o.responseTimeoutSeconds, o.retries, o));
  const first = origins.values().next().value!;
  const behaviours = cfg.behaviors.map((b, i) => runtimeBehaviour(i, b.pathPattern, b, origins, first));
  const customErrors = new Map<number, CustomErrorPage>();
  for (const c of cfg.customErrorResponses) {
    customErrors.set(c.errorCode, { pagePath: c.responsePagePath, responseCode: c.responseCode, minTtl: c.errorCachingMinTtl });
  }
  return {
    cfg,
    id: cfg.id,
    domainName: cfg.domainName,
    behaviours,
    defaultBehaviour: runtimeBehaviour(-1, '*', cfg.defaultBehavior, origins, first),
    matchers: behaviours.map((b) => compilePathPattern(b.pathPattern)),
    customErrors,
    keyPrefix: `${cfg.id}\u0001`,
  };
}

/** EDGE-04: the behaviour for a path (query string excluded). */
export function behaviourFor(d: RuntimeDistribution, path: string): RuntimeBehaviour {
  const i = matchBehaviour(d.matchers, path);
  return i < 0 ? d.defaultBehaviour : d.behaviours[i]!;
}

/** ERR-02: error caching minimum TTL for a status (custom error response setting first). */
export function errorMinTtl(d: RuntimeDistribution, status: number): number {
  const custom = d.customErrors.get(status)?.minTtl;
  if (custom !== undefined) return custom;
  return (d.cfg.errorCachingMinTtl as Record<string, number>)[String(status)] ?? 300;
}

/** Where a Host header leads: the distribution, and the own name (domain, alias, listen address) it named. */
export interface HostRoute {
  dist: RuntimeDistribution;
  /** The distribution's domain name, the alias the Host matched, or the edge's own listen authority; undefined for any other name. */
  ownName?: string;
}

/**
 * CN-01: the distribution for a (validated) Host. The domain name and exact aliases match with the
 * port ignored; a `*.` alias matches any name under it. Any other name goes to the first
 * distribution (as the README says) but names none of its own, so a signed URL for it is checked
 * against that distribution's domain name only. `localAuthorities` are the edge's own listen
 * addresses (`127.0.0.1:8000`, `localhost:8000`): they name the first distribution too, so a URL
 * signed for the address a laptop user opens plays there.
 */
export function hostRouter(
  list: RuntimeDistribution[],
  localAuthorities: () => readonly string[] = () => [],
): (host: { name: string; port?: number } | undefined) => HostRoute {
  const exact = new Map<string, RuntimeDistribution>();
  const wildcard: [string, RuntimeDistribution][] = [];
  for (const d of list) {
    exact.set(d.domainName, d);
    for (const a of d.cfg.aliases) {
      if (a.startsWith('*.')) wildcard.push([a.slice(1).toLowerCase(), d]);
      else exact.set(a.toLowerCase(), d);
    }
  }
  const fallback = list[0]!;
  return (host) => {
    if (!host) return { dist: fallback };
    const hit = exact.get(host.name);
    if (hit) return { dist: hit, ownName: host.name };
    for (const [suffix, d] of wildcard)
      if (host.name.endsWith(suffix) && host.name.length > suffix.length) return { dist: d, ownName: host.name };
    const authority = host.port === undefined ? host.name : `${host.name}:${host.port}`;
    if (localAuthorities().includes(authority)) return { dist: fallback, ownName: authority };
    return { dist: fallback };
  };
}

/** GEO-01: whether a viewer country may be served. Unknown countries pass a blacklist and fail a whitelist. */
export function geoAllows(d: RuntimeDistribution, country: string | undefined): boolean {
  const g = d.cfg.geoRestriction;
  if (g.type === 'none') return true;
  if (g.type === 'whitelist') return country !== undefined && g.countries.includes(country);
  return country === undefined || !g.countries.includes(country);
}

export function geoTable(cfg: EdgeConfig): { match: (ip: string) => boolean; country: string }[] {
  return cfg.ipCountries.map((r) => ({ match: compileCidr(r.cidr), country: r.country }));
}
