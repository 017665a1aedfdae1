// The policy, origin custom header and origin group parts of the edge config: what is accepted,
// and that every bad value is refused naming its field.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/index.js';

const issuesOf = (edge: unknown): string[] => {
  try {
    defaultConfig({ edge });
    return [];
  } catch (err) {
    return (JSON.parse((err as Error).message) as { path: (string | number)[]; message: string }[]).map(
      (i) => `${i.path.join('.')}: ${i.message}`,
    );
  }
};
const origins = [
  { id: 'a', url: 'http://127.0.0.1:1' },
  { id: 'b', url: 'http://127.0.0.1:2' },
];

describe('policies in the config', () => {
  it.each([
    ['a managed cache policy by name', { defaultBehavior: { cachePolicyId: 'CachingOptimized' } }],
    ['a managed cache policy by AWS id', { defaultBehavior: { cachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' } }],
    ['a managed cache policy by its Managed- name', { defaultBehavior: { cachePolicyId: 'Managed-CachingOptimized' } }],
    ['cache + origin request policy', { defaultBehavior: { cachePolicyId: 'CachingOptimized', originRequestPolicyId: 'AllViewer' } }],
    ['a managed response headers policy', { defaultBehavior: { responseHeadersPolicyId: 'SecurityHeadersPolicy' } }],
  ])('accepts %s', (_, dist) => expect(issuesOf({ distributions: [dist] })).toEqual([]));

  it('accepts own policies named by id or name', () => {
    expect(
      issuesOf({
        cachePolicies: [{ id: 'cp1', name: 'Live', minTtl: 0, defaultTtl: 1, maxTtl: 10 }],
        originRequestPolicies: [{ id: 'orp1', name: 'Fwd', headersConfig: { headerBehavior: 'whitelist', headers: ['X-Player'] } }],
        responseHeadersPolicies: [
          {
            id: 'rh1',
            name: 'Cors',
            corsConfig: { accessControlAllowOrigins: ['*'], accessControlAllowMethods: ['GET'], originOverride: true },
          },
        ],
        distributions: [
          {
            behaviors: [{ pathPattern: '*.m3u8', cachePolicyId: 'Live', originRequestPolicyId: 'orp1', responseHeadersPolicyId: 'Cors' }],
            defaultBehavior: { cachePolicyId: 'cp1', responseHeadersPolicyId: 'rh1' },
          },
        ],
      }),
    ).toEqual([]);
  });

  it.each([
    [
      'a cache policy and 2014 settings together',
      { distributions: [{ behaviors: [{ pathPattern: '*.m3u8', cachePolicyId: 'CachingOptimized', forwardQueryString: true }] }] },
      'edge.distributions.0.behaviors.0.forwardQueryString: forwardQueryString is a 2014 setting',
    ],
    [
      'a cache policy with 2014 TTLs on the default behaviour',
      { distributions: [{ defaultBehavior: { cachePolicyId: 'CachingOptimized', maxTtl: 5 } }] },
      'edge.distributions.0.defaultBehavior.maxTtl: maxTtl is a 2014 setting',
    ],
    [
      'an unknown cache policy',
      { distributions: [{ defaultBehavior: { cachePolicyId: 'Nope' } }] },
      'edge.distributions.0.defaultBehavior.cachePolicyId: no policy "Nope"',
    ],
    [
      'an unknown response headers policy',
      { distributions: [{ behaviors: [{ pathPattern: '/a', responseHeadersPolicyId: 'CachingOptimized' }] }] },
      'edge.distributions.0.behaviors.0.responseHeadersPolicyId: no policy "CachingOptimized"',
    ],
    [
      'an origin request policy without a cache policy',
      { distributions: [{ defaultBehavior: { originRequestPolicyId: 'AllViewer' } }] },
      'edge.distributions.0.defaultBehavior.originRequestPolicyId: an origin request policy needs a cachePolicyId',
    ],
    [
      'a policy that reuses a managed name',
      { cachePolicies: [{ id: 'x', name: 'CachingDisabled' }] },
      'edge.cachePolicies.0.name: "CachingDisabled" already names a policy',
    ],
    [
      'TTLs out of order',
      { cachePolicies: [{ id: 'x', name: 'y', minTtl: 10, defaultTtl: 5 }] },
      'edge.cachePolicies.0.defaultTtl: need minTtl',
    ],
    [
      'allExcept for a cache policy’s headers (CloudFront allows none/whitelist only)',
      {
        cachePolicies: [
          { id: 'x', name: 'y', parametersInCacheKeyAndForwardedToOrigin: { headersConfig: { headerBehavior: 'allExcept' } } },
        ],
      },
      'edge.cachePolicies.0.parametersInCacheKeyAndForwardedToOrigin.headersConfig.headerBehavior:',
    ],
    [
      'Accept-Encoding in a cache key',
      {
        cachePolicies: [
          {
            id: 'x',
            name: 'y',
            parametersInCacheKeyAndForwardedToOrigin: { headersConfig: { headerBehavior: 'whitelist', headers: ['Accept-Encoding'] } },
          },
        ],
      },
      'edge.cachePolicies.0.parametersInCacheKeyAndForwardedToOrigin.headersConfig.headers:',
    ],
    [
      'Authorization in an origin request policy',
      { originRequestPolicies: [{ id: 'x', name: 'y', headersConfig: { headerBehavior: 'whitelist', headers: ['authorization'] } }] },
      'edge.originRequestPolicies.0.headersConfig.headers: Authorization cannot be in an origin request policy',
    ],
    [
      'CORS credentials for any origin',
      {
        responseHeadersPolicies: [
          {
            id: 'x',
            name: 'y',
            corsConfig: {
              accessControlAllowOrigins: ['*'],
              accessControlAllowMethods: ['GET'],
              accessControlAllowCredentials: true,
              originOverride: false,
            },
          },
        ],
      },
      'edge.responseHeadersPolicies.0.corsConfig.accessControlAllowCredentials:',
    ],
    [
      'a custom response header the edge owns',
      { responseHeadersPolicies: [{ id: 'x', name: 'y', customHeadersConfig: { items: [{ header: 'X-Cache', value: 'v' }] } }] },
      'edge.responseHeadersPolicies.0.customHeadersConfig.items.0.header: the edge owns this header',
    ],
    [
      'removing Content-Length',
      { responseHeadersPolicies: [{ id: 'x', name: 'y', removeHeadersConfig: { items: [{ header: 'content-length' }] } }] },
      'edge.responseHeadersPolicies.0.removeHeadersConfig.items.0.header: the edge owns this header',
    ],
  ])('refuses %s', (_, edge, issue) => expect(issuesOf(edge).join('\n')).toContain(issue));
});

describe('origin custom headers in the config', () => {
  it('accepts a secret header', () => {
    expect(
      issuesOf({ distributions: [{ origins: [{ id: 'a', url: 'http://127.0.0.1:1', customHeaders: { Authorization: 'Bearer s' } }] }] }),
    ).toEqual([]);
  });
  it.each(['Host', 'Cookie', 'X-Amz-Cf-Id', 'x-edge-location', 'Via', 'Transfer-Encoding', 'If-None-Match', 'X-Forwarded-For', 'Range'])(
    'refuses %s (CloudFront cannot add it)',
    (name) =>
      expect(
        issuesOf({ distributions: [{ origins: [{ id: 'a', url: 'http://127.0.0.1:1', customHeaders: { [name]: 'v' } }] }] }).join(),
      ).toContain(`edge.distributions.0.origins.0.customHeaders.${name}: CloudFront cannot add ${name}`),
  );
  it('refuses a value with a line break and a name given twice', () => {
    expect(
      issuesOf({
        distributions: [{ origins: [{ id: 'a', url: 'http://127.0.0.1:1', customHeaders: { 'X-S': 'a\r\nInjected: 1' } }] }],
      }).join(),
    ).toMatch(/customHeaders\.X-S: header value/);
    expect(
      issuesOf({
        distributions: [{ origins: [{ id: 'a', url: 'http://127.0.0.1:1', customHeaders: { 'X-S': '1', 'x-s': '2' } }] }],
      }).join(),
    ).toMatch(/named twice/);
  });
});

describe('origin groups in the config', () => {
  it('a behaviour may name a group', () => {
    expect(
      issuesOf({
        distributions: [
          {
            origins,
            originGroups: [{ id: 'g', members: ['a', 'b'], failoverStatusCodes: [503] }],
            defaultBehavior: { targetOriginId: 'g' },
          },
        ],
      }),
    ).toEqual([]);
    const d = defaultConfig({ edge: { distributions: [{ origins, originGroups: [{ id: 'g', members: ['a', 'b'] }] }] } }).edge
      .distributions[0]!;
    expect(d.originGroups[0]!.failoverStatusCodes).toEqual([500, 502, 503, 504]);
  });
  it.each([
    ['an unknown member', [{ id: 'g', members: ['a', 'zz'] }], 'edge.distributions.0.originGroups.0.members.1: no origin with id "zz"'],
    [
      'the same member twice',
      [{ id: 'g', members: ['a', 'a'] }],
      'edge.distributions.0.originGroups.0.members: primary and secondary must differ',
    ],
    ['a group id that is an origin id', [{ id: 'a', members: ['a', 'b'] }], 'edge.distributions.0.originGroups.0.id:'],
    [
      'a status CloudFront cannot fail over on',
      [{ id: 'g', members: ['a', 'b'], failoverStatusCodes: [501] }],
      'failoverStatusCodes.0: must be one of',
    ],
    ['three members', [{ id: 'g', members: ['a', 'b', 'a'] }], 'edge.distributions.0.originGroups.0.members'],
  ])('refuses %s', (_, originGroups, issue) =>
    expect(issuesOf({ distributions: [{ origins, originGroups }] }).join('\n')).toContain(issue),
  );
});
