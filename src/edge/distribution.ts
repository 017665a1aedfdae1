// Configuration → the runtime shape of each distribution: origins, ordered behaviours with their
// compiled matchers and forwarding rules (EDGE-01..05), error TTLs and pages (ERR-01..05), geo
// rules (GEO-01) and Host routing (CN-01).
import { METHOD_SETS, type BehaviourConfig, type DistributionConfig, type EdgeConfig } from '../config/edge.js';
import { compilePathPattern, matchBehaviour } from './path-pattern.js';
import type { ForwardingRules } from './forwarding.js';
import { originTransport, type OriginTarget, type OriginTransportConfig } from './origin-client.js';
import type { TtlSettings } from './freshness.js';
import { compileCidr } from '../net/cidr.js';
import { requestPlan, type QueryRule, type RequestPlan } from './policies/request-plan.js';
import {
  findPolicy,
  MANAGED_CACHE_POLICIES,
  MANAGED_ORIGIN_REQUEST_POLICIES,
  MANAGED_RESPONSE_HEADERS_POLICIES,
  type CachePolicy,
  type OriginRequestPolicy,
  type ResponseHeadersPolicy,
} from './policies/managed.js';
import type { FailoverRule } from './policies/failover.js';

/** The policies behaviours may name (the config's own; the managed ones are always there). */
export interface PolicyCatalogue {
  cachePolicies: readonly CachePolicy[];
  originRequestPolicies: readonly OriginRequestPolicy[];
  responseHeadersPolicies: readonly ResponseHeadersPolicy[];
}
const NO_POLICIES: PolicyCatalogue = { cachePolicies: [], originRequestPolicies: [], responseHeadersPolicies: [] };

export type RuntimeOrigin = OriginTarget & { id: string };

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
  /** Cookies forwarded to the origin. */
  isCookieWhitelisted: (name: string) => boolean;
  /** Cookies in the cache key (a subset of the forwarded ones). */
  isCookieKeyed: (name: string) => boolean;
  /** The query parts forwarded and keyed (policies/request-plan.ts). */
  query: QueryRule;
  ttl: TtlSettings;
  /** What the cache key reads of the viewer's fields by name (policies/request-plan.ts). */
  keyedByName: RequestPlan['keyedByName'];
  /** The behaviour's response headers policy, applied to every answer (deliver.ts). */
  responseHeaders?: ResponseHeadersPolicy;
  /** Set when `targetOriginId` names an origin group: `origin` is its primary. */
  failover?: FailoverRule & { secondary: RuntimeOrigin };
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
  transport: OriginTransportConfig & { customHeaders?: Record<string, string> } = {},
): OriginTarget & { id: string } {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`edge origin ${id}: only http:// and https:// origins are supported (got ${url})`);
  const t = originTransport(u, transport);
  const custom = Object.entries(transport.customHeaders ?? {}).map(([n, v]) => [n.toLowerCase(), v] as [string, string]);
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
    customHeaders: custom.length ? custom : undefined,
  };
}

interface OriginsOf {
  origins: Map<string, RuntimeOrigin>;
  groups: Map<string, { primary: RuntimeOrigin; secondary: RuntimeOrigin; statusCodes: ReadonlySet<number> }>;
  first: RuntimeOrigin;
}

function policyOf<P extends { id: string; name: string }>(
  ref: string | undefined,
  own: readonly P[],
  managed: readonly P[],
  what: string,
): P | undefined {
  if (ref === undefined) return undefined;
  const p = findPolicy(ref, own, managed);
  if (!p) throw new Error(`edge: no ${what} "${ref}"`);
  return p;
}

function runtimeBehaviour(
  index: number,
  pathPattern: string,
  cfg: BehaviourConfig,
  o: OriginsOf,
  catalogue: PolicyCatalogue,
): RuntimeBehaviour {
  const group = cfg.targetOriginId ? o.groups.get(cfg.targetOriginId) : undefined;
  const origin = group ? group.primary : cfg.targetOriginId ? o.origins.get(cfg.targetOriginId) : o.first;
  if (!origin) throw new Error(`edge behaviour ${pathPattern}: no origin with id "${cfg.targetOriginId}"`);
  const allowed = new Set<string>(METHOD_SETS[cfg.allowedMethods]);
  const plan = requestPlan(
    cfg,
    policyOf(cfg.cachePolicyId, catalogue.cachePolicies, MANAGED_CACHE_POLICIES, 'cache policy'),
    policyOf(cfg.originRequestPolicyId, catalogue.originRequestPolicies, MANAGED_ORIGIN_REQUEST_POLICIES, 'origin request policy'),
  );
  // A viewer's header that an origin of this behaviour sets itself is neither forwarded nor keyed.
  const owned = new Set([...(origin.customHeaders ?? []), ...(group?.secondary.customHeaders ?? [])].map(([n]) => n));
  return {
    index,
    pathPattern,
    cfg,
    origin,
    allowedMethods: allowed,
    cachedMethods: plan.cachedMethods,
    rules: owned.size ? { ...plan.rules, originOwned: owned } : plan.rules,
    isCookieWhitelisted: plan.isCookieWhitelisted,
    isCookieKeyed: plan.isCookieKeyed,
    query: plan.query,
    ttl: plan.ttl,
    keyedByName: plan.keyedByName,
    responseHeaders: policyOf(
      cfg.responseHeadersPolicyId,
      catalogue.responseHeadersPolicies,
      MANAGED_RESPONSE_HEADERS_POLICIES,
      'response headers policy',
    ),
    failover: group ? { groupId: cfg.targetOriginId!, statusCodes: group.statusCodes, secondary: group.secondary } : undefined,
  };
}

/** Builds one distribution; `defaultOriginUrl` is used when it lists no origins. */
export function buildDistribution(
  cfg: DistributionConfig,
  defaultOriginUrl: string | undefined,
  catalogue: PolicyCatalogue = NO_POLICIES,
): RuntimeDistribution {
  const origins = new Map<string, RuntimeOrigin>();
  if (cfg.origins.length === 0) {
    if (!defaultOriginUrl) throw new Error(`edge distribution ${cfg.id}: no origins configured and no edge.origin / --origin URL given`);
    origins.set('default', originTarget('default', defaultOriginUrl, 30, 2));
  }
  for (const o of cfg.origins) origins.set(o.id, originTarget(o.id, o.url, o.responseTimeoutSeconds, o.retries, o));
  const first = origins.values().next().value!;
  const groups: OriginsOf['groups'] = new Map();
  for (const g of cfg.originGroups) {
    const [primary, secondary] = g.members.map((m) => origins.get(m));
    if (!primary || !secondary) throw new Error(`edge origin group ${g.id}: members must be origins of the distribution`);
    groups.set(g.id, { primary, secondary, statusCodes: new Set(g.failoverStatusCodes) });
  }
  const o: OriginsOf = { origins, groups, first };
  const behaviours = cfg.behaviors.map((b, i) => runtimeBehaviour(i, b.pathPattern, b, o, catalogue));
  const customErrors = new Map<number, CustomErrorPage>();
  for (const c of cfg.customErrorResponses) {
    customErrors.set(c.errorCode, { pagePath: c.responsePagePath, responseCode: c.responseCode, minTtl: c.errorCachingMinTtl });
  }
  return {
    cfg,
    id: cfg.id,
    domainName: cfg.domainName,
    behaviours,
    defaultBehaviour: runtimeBehaviour(-1, '*', cfg.defaultBehavior, o, catalogue),
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
