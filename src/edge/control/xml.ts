// The control API's REST-XML bodies, in the member order of CloudFront's 2014-10-21 and 2020-05-31
// models. Pure: a version and plain values in, a document out. Members a version does not have are
// left out of it, so each version's own SDKs and CLIs read exactly their shapes.
import type { DistributionConfig } from '../../config/edge.js';
import type { InvalidationRecord } from './invalidations.js';
import {
  findPolicy,
  MANAGED_CACHE_POLICIES,
  MANAGED_ORIGIN_REQUEST_POLICIES,
  MANAGED_RESPONSE_HEADERS_POLICIES,
} from '../policies/managed.js';

export const API_VERSIONS = ['2014-10-21', '2020-05-31'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

export const namespaceOf = (v: ApiVersion) => `http://cloudfront.amazonaws.com/doc/${v}/`;

/** The account that owns the emulated distributions (AWS's documentation example account). */
export const ACCOUNT_ID = '123456789012';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An already-built fragment, inserted as it is. */
class Fragment {
  constructor(readonly xml: string) {}
}

type Content = string | number | boolean | undefined | Fragment | Content[];

/** Text is escaped; fragments are inserted as they are; `undefined` is left out. */
function text(c: Content): string {
  if (c === undefined) return '';
  if (c instanceof Fragment) return c.xml;
  if (Array.isArray(c)) return c.map(text).join('');
  return typeof c === 'string' ? esc(c) : String(c);
}
const node = (name: string, ...content: Content[]) => new Fragment(`<${name}>${content.map(text).join('')}</${name}>`);
/** `<Quantity>n</Quantity><Items>…</Items>`, Items only when n > 0. */
const quantityItems = (items: readonly Fragment[]): Content[] => [
  node('Quantity', items.length),
  items.length ? node('Items', ...items) : undefined,
];
/** A plain value becomes `<itemName>value</itemName>`; a fragment is the item as it is. */
const itemsOf = (itemName: string, items: readonly (string | Fragment)[]) =>
  items.map((i) => (i instanceof Fragment ? i : node(itemName, i)));
/** CloudFront's list shape: `<Name><Quantity>n</Quantity><Items>…</Items></Name>`. */
const list = (name: string, itemName: string, items: readonly (string | Fragment)[]) =>
  node(name, ...quantityItems(itemsOf(itemName, items)));
/** The signer lists' shape: the same with `<Enabled>` first, true when there are items. */
const enabledList = (name: string, itemName: string, items: readonly (string | Fragment)[]) =>
  node(name, node('Enabled', items.length > 0), ...quantityItems(itemsOf(itemName, items)));

/** A page of a List call: the marker members, then the page's items. */
interface Page<T> {
  items: T[];
  marker: string;
  maxItems: number;
  nextMarker?: string;
}
function pageXml<T>(v: ApiVersion, root: string, page: Page<T>, item: (t: T) => Fragment): string {
  return doc(
    v,
    root,
    node('Marker', page.marker),
    page.nextMarker ? node('NextMarker', page.nextMarker) : undefined,
    node('MaxItems', page.maxItems),
    node('IsTruncated', page.nextMarker !== undefined),
    ...quantityItems(page.items.map(item)),
  );
}

function doc(v: ApiVersion, root: string, ...content: Content[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespaceOf(v)}">${content.map(text).join('')}</${root}>\n`;
}

const iso = (ms: number) => new Date(ms).toISOString();

// ---- invalidations -------------------------------------------------------------------------

function invalidationContent(r: InvalidationRecord, status: string): Content[] {
  return [
    node('Id', r.id),
    node('Status', status),
    node('CreateTime', iso(r.createdAt)),
    node('InvalidationBatch', list('Paths', 'Path', r.paths), node('CallerReference', r.callerReference)),
  ];
}

export function invalidationXml(v: ApiVersion, r: InvalidationRecord, status: string): string {
  return doc(v, 'Invalidation', ...invalidationContent(r, status));
}

export function invalidationListXml(v: ApiVersion, page: Page<{ r: InvalidationRecord; status: string }>): string {
  return pageXml(v, 'InvalidationList', page, ({ r, status }) =>
    node('InvalidationSummary', node('Id', r.id), node('CreateTime', iso(r.createdAt)), node('Status', status)),
  );
}

// ---- distributions -------------------------------------------------------------------------

/** What the API reports about one distribution besides its configuration. */
export interface DistributionFacts {
  cfg: DistributionConfig;
  /** Origins as configured, or the one `default` origin from `edge.origin` / `--origin`. */
  origins: { id: string; url: string; responseTimeoutSeconds: number; retries: number; customHeaders?: Record<string, string> }[];
  logging: { enabled: boolean; includeCookies: boolean; prefix: string };
  lastModified: number;
  inProgressInvalidations: number;
  /** edge.keyGroups: the public key ids of the key groups behaviours trust (ActiveTrustedKeyGroups). */
  keyGroups?: readonly { id: string; items: readonly string[] }[];
  /** edge.*Policies: behaviours name them by id or name; the API reports the id (managed ones: AWS's). */
  policies?: { cache: readonly PolicyRef[]; originRequest: readonly PolicyRef[]; responseHeaders: readonly PolicyRef[] };
}

interface PolicyRef {
  id: string;
  name: string;
}

/** The id CloudFront reports for a behaviour's policy reference (its own policies, then the managed ones). */
function policyIdOf(ref: string | undefined, own: readonly PolicyRef[] | undefined, managed: readonly PolicyRef[]): string | undefined {
  if (ref === undefined) return undefined;
  return findPolicy(ref, own ?? [], managed)?.id ?? ref;
}

const is2020 = (v: ApiVersion) => v === '2020-05-31';

function originXml(v: ApiVersion, o: DistributionFacts['origins'][number]): Fragment {
  const u = new URL(o.url);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  const custom = [
    node('HTTPPort', u.port ? Number(u.port) : 80),
    node('HTTPSPort', 443),
    node('OriginProtocolPolicy', 'http-only'),
    is2020(v) ? list('OriginSslProtocols', 'SslProtocol', ['TLSv1.2']) : undefined,
    is2020(v) ? node('OriginReadTimeout', o.responseTimeoutSeconds) : undefined,
    is2020(v) ? node('OriginKeepaliveTimeout', 5) : undefined,
  ];
  return node(
    'Origin',
    node('Id', o.id),
    node('DomainName', u.hostname.replace(/^\[|\]$/g, '')),
    node('OriginPath', path),
    is2020(v)
      ? list(
          'CustomHeaders',
          'OriginCustomHeader',
          Object.entries(o.customHeaders ?? {}).map(([name, value]) =>
            node('OriginCustomHeader', node('HeaderName', name), node('HeaderValue', value)),
          ),
        )
      : undefined,
    node('CustomOriginConfig', ...custom),
    is2020(v) ? node('ConnectionAttempts', Math.min(3, Math.max(1, o.retries + 1))) : undefined,
    is2020(v) ? node('ConnectionTimeout', 10) : undefined,
  );
}

type Behaviour = DistributionConfig['defaultBehavior'] & { pathPattern?: string };

const METHODS_OF: Record<Behaviour['allowedMethods'], string[]> = {
  'GET,HEAD': ['HEAD', 'GET'],
  'GET,HEAD,OPTIONS': ['HEAD', 'GET', 'OPTIONS'],
  'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE': ['HEAD', 'DELETE', 'POST', 'GET', 'OPTIONS', 'PUT', 'PATCH'],
};

function behaviourXml(
  v: ApiVersion,
  name: 'DefaultCacheBehavior' | 'CacheBehavior',
  b: Behaviour,
  firstOriginId: string,
  policies: DistributionFacts['policies'],
): Fragment {
  // 2020: a behaviour with a cache policy reports its ids instead of ForwardedValues and the TTLs.
  const cachePolicyId = is2020(v) ? policyIdOf(b.cachePolicyId, policies?.cache, MANAGED_CACHE_POLICIES) : undefined;
  const legacy = cachePolicyId === undefined;
  const cached = b.headers.forward === 'all' ? ['HEAD', 'GET'] : b.cacheOptions ? ['HEAD', 'GET', 'OPTIONS'] : ['HEAD', 'GET'];
  const signers = b.trustedSigners;
  const forwarded = node(
    'ForwardedValues',
    node('QueryString', b.forwardQueryString),
    node(
      'Cookies',
      node('Forward', b.cookies.forward),
      b.cookies.forward === 'whitelist' ? list('WhitelistedNames', 'Name', b.cookies.whitelist) : undefined,
    ),
    list('Headers', 'Name', b.headers.forward === 'all' ? ['*'] : b.headers.forward === 'whitelist' ? b.headers.whitelist : []),
    is2020(v) ? list('QueryStringCacheKeys', 'Name', []) : undefined,
  );
  return node(
    name,
    b.pathPattern !== undefined ? node('PathPattern', b.pathPattern) : undefined,
    node('TargetOriginId', b.targetOriginId ?? firstOriginId),
    v === '2014-10-21' ? forwarded : undefined,
    enabledList('TrustedSigners', 'AwsAccountNumber', signers),
    is2020(v) ? enabledList('TrustedKeyGroups', 'KeyGroup', b.trustedKeyGroups) : undefined,
    node('ViewerProtocolPolicy', b.viewerProtocolPolicy),
    v === '2014-10-21' ? node('MinTTL', b.minTtl) : undefined,
    node('AllowedMethods', ...quantityItems(itemsOf('Method', METHODS_OF[b.allowedMethods])), list('CachedMethods', 'Method', cached)),
    node('SmoothStreaming', b.smoothStreaming),
    is2020(v) ? node('Compress', false) : undefined,
    is2020(v) ? list('LambdaFunctionAssociations', 'LambdaFunctionAssociation', []) : undefined,
    is2020(v) ? list('FunctionAssociations', 'FunctionAssociation', []) : undefined,
    is2020(v) ? node('FieldLevelEncryptionId', '') : undefined,
    cachePolicyId !== undefined ? node('CachePolicyId', cachePolicyId) : undefined,
    is2020(v) && b.originRequestPolicyId !== undefined
      ? node('OriginRequestPolicyId', policyIdOf(b.originRequestPolicyId, policies?.originRequest, MANAGED_ORIGIN_REQUEST_POLICIES)!)
      : undefined,
    is2020(v) && b.responseHeadersPolicyId !== undefined
      ? node(
          'ResponseHeadersPolicyId',
          policyIdOf(b.responseHeadersPolicyId, policies?.responseHeaders, MANAGED_RESPONSE_HEADERS_POLICIES)!,
        )
      : undefined,
    is2020(v) && legacy ? forwarded : undefined,
    is2020(v) && legacy ? node('MinTTL', b.minTtl) : undefined,
    is2020(v) && legacy ? node('DefaultTTL', b.defaultTtl) : undefined,
    is2020(v) && legacy ? node('MaxTTL', b.maxTtl) : undefined,
  );
}

function customErrorsXml(cfg: DistributionConfig): Fragment {
  return list(
    'CustomErrorResponses',
    'CustomErrorResponse',
    cfg.customErrorResponses.map((c) =>
      node(
        'CustomErrorResponse',
        node('ErrorCode', c.errorCode),
        node('ResponsePagePath', c.responsePagePath ?? ''),
        node('ResponseCode', c.responseCode !== undefined ? String(c.responseCode) : ''),
        node('ErrorCachingMinTTL', c.errorCachingMinTtl ?? cfg.errorCachingMinTtl[String(c.errorCode)] ?? 300),
      ),
    ),
  );
}

const aliasesXml = (cfg: DistributionConfig) => list('Aliases', 'CNAME', cfg.aliases);
const restrictionsXml = (cfg: DistributionConfig) =>
  node(
    'Restrictions',
    node(
      'GeoRestriction',
      node('RestrictionType', cfg.geoRestriction.type),
      ...quantityItems(itemsOf('Location', cfg.geoRestriction.countries)),
    ),
  );
const certificateXml = (v: ApiVersion) =>
  node(
    'ViewerCertificate',
    node('CloudFrontDefaultCertificate', true),
    is2020(v) ? node('SSLSupportMethod', 'vip') : undefined,
    node('MinimumProtocolVersion', 'TLSv1'),
    is2020(v) ? node('CertificateSource', 'cloudfront') : undefined,
  );

/** Price class to staging: the members after Comment (and Logging) that DistributionConfig and DistributionSummary share. */
const deliveryContent = (v: ApiVersion, cfg: DistributionConfig): Content[] => [
  node('PriceClass', 'PriceClass_All'),
  node('Enabled', cfg.enabled),
  certificateXml(v),
  restrictionsXml(cfg),
  is2020(v) ? node('WebACLId', '') : undefined,
  is2020(v) ? node('HttpVersion', 'http1.1') : undefined,
  is2020(v) ? node('IsIPV6Enabled', false) : undefined,
  is2020(v) ? node('Staging', false) : undefined,
];

/** Origins, behaviours and error responses: the part DistributionConfig and DistributionSummary share. */
function routingContent(v: ApiVersion, f: DistributionFacts): Content[] {
  const { cfg } = f;
  const first = f.origins[0]?.id ?? 'default';
  return [
    list(
      'Origins',
      'Origin',
      f.origins.map((o) => originXml(v, o)),
    ),
    is2020(v)
      ? list(
          'OriginGroups',
          'OriginGroup',
          cfg.originGroups.map((g) =>
            node(
              'OriginGroup',
              node('Id', g.id),
              node('FailoverCriteria', list('StatusCodes', 'StatusCode', g.failoverStatusCodes.map(String))),
              list(
                'Members',
                'OriginGroupMember',
                g.members.map((m) => node('OriginGroupMember', node('OriginId', m))),
              ),
            ),
          ),
        )
      : undefined,
    behaviourXml(v, 'DefaultCacheBehavior', cfg.defaultBehavior, first, f.policies),
    list(
      'CacheBehaviors',
      'CacheBehavior',
      cfg.behaviors.map((b) => behaviourXml(v, 'CacheBehavior', b, first, f.policies)),
    ),
    customErrorsXml(cfg),
  ];
}

function configContent(v: ApiVersion, f: DistributionFacts): Content[] {
  const { cfg } = f;
  return [
    node('CallerReference', `streamfront-${cfg.id}`),
    aliasesXml(cfg),
    node('DefaultRootObject', cfg.defaultRootObject),
    ...routingContent(v, f),
    node('Comment', ''),
    node(
      'Logging',
      node('Enabled', f.logging.enabled),
      node('IncludeCookies', f.logging.includeCookies),
      node('Bucket', ''),
      node('Prefix', f.logging.prefix),
    ),
    ...deliveryContent(v, cfg),
  ];
}

const arnOf = (id: string) => `arn:aws:cloudfront::${ACCOUNT_ID}:distribution/${id}`;

/** Emulated distributions are deployed as soon as the edge listens. */
export const DISTRIBUTION_STATUS = 'Deployed';

export function distributionXml(v: ApiVersion, f: DistributionFacts): string {
  const signers = [...new Set([f.cfg.defaultBehavior, ...f.cfg.behaviors].flatMap((b) => b.trustedSigners))];
  return doc(
    v,
    'Distribution',
    node('Id', f.cfg.id),
    is2020(v) ? node('ARN', arnOf(f.cfg.id)) : undefined,
    node('Status', DISTRIBUTION_STATUS),
    node('LastModifiedTime', iso(f.lastModified)),
    node('InProgressInvalidationBatches', f.inProgressInvalidations),
    node('DomainName', f.cfg.domainName),
    enabledList(
      'ActiveTrustedSigners',
      'Signer',
      signers.map((s) => node('Signer', node('AwsAccountNumber', s))),
    ),
    is2020(v) ? activeKeyGroupsXml(f) : undefined,
    node('DistributionConfig', ...configContent(v, f)),
  );
}

/** The key groups some behaviour trusts, each with its public key ids (the `Key-Pair-Id`s viewers may send). */
function activeKeyGroupsXml(f: DistributionFacts): Fragment {
  const ids = [...new Set([f.cfg.defaultBehavior, ...f.cfg.behaviors].flatMap((b) => b.trustedKeyGroups))];
  const items = (id: string) => f.keyGroups?.find((g) => g.id === id)?.items ?? [];
  return enabledList(
    'ActiveTrustedKeyGroups',
    'KeyGroup',
    ids.map((id) => node('KeyGroup', node('KeyGroupId', id), list('KeyPairIds', 'KeyPairId', items(id)))),
  );
}

export function distributionConfigXml(v: ApiVersion, f: DistributionFacts): string {
  return doc(v, 'DistributionConfig', ...configContent(v, f));
}

function summaryXml(v: ApiVersion, f: DistributionFacts): Fragment {
  const { cfg } = f;
  return node(
    'DistributionSummary',
    node('Id', cfg.id),
    is2020(v) ? node('ARN', arnOf(cfg.id)) : undefined,
    node('Status', DISTRIBUTION_STATUS),
    node('LastModifiedTime', iso(f.lastModified)),
    node('DomainName', cfg.domainName),
    aliasesXml(cfg),
    ...routingContent(v, f),
    node('Comment', ''),
    ...deliveryContent(v, cfg),
  );
}

export function distributionListXml(v: ApiVersion, page: Page<DistributionFacts>): string {
  return pageXml(v, 'DistributionList', page, (f) => summaryXml(v, f));
}

// ---- errors --------------------------------------------------------------------------------

/** CloudFront's error document: Sender for 4xx, Receiver for 5xx. */
export function errorXml(v: ApiVersion, status: number, code: string, message: string, requestId: string): string {
  return doc(
    v,
    'ErrorResponse',
    node('Error', node('Type', status >= 500 ? 'Receiver' : 'Sender'), node('Code', code), node('Message', message)),
    node('RequestId', requestId),
  );
}
