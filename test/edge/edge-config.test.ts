// The edge section of the config: CloudFront defaults, and bad values fail naming the field.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startEdge } from '../../src/edge/index.js';
import { silentLogger } from '../../src/log.js';

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

describe('edge config', () => {
  it('defaults: one distribution, default behaviour with CloudFront TTLs, index.html, 512 MiB, logs on', () => {
    const e = defaultConfig({}).edge;
    expect(e.distributions.length).toBe(1);
    const d = e.distributions[0]!;
    expect(d.defaultRootObject).toBe('index.html');
    expect(d.defaultBehavior).toMatchObject({ minTtl: 0, defaultTtl: 86400, allowedMethods: 'GET,HEAD', forwardQueryString: false });
    // Origin failures are short for a live origin (502/503/504: 1 s); other codes keep CloudFront's 300 s.
    for (const c of ['502', '503', '504']) expect(d.errorCachingMinTtl[c]).toBe(1);
    expect(d.errorCachingMinTtl['500']).toBe(300);
    expect(d.errorCachingMinTtl['403']).toBe(300);
    // LL-HLS / DVR parameters are keyed: manifests use a cache policy that keys the whole query.
    expect(d.behaviors.map((b) => [b.pathPattern, b.cachePolicyId])).toEqual([
      ['*.m3u8', 'UseOriginCacheControlHeaders-QueryStrings'],
      ['*.mpd', 'UseOriginCacheControlHeaders-QueryStrings'],
    ]);
    expect(d.errorCachingMinTtl['404']).toBe(1);
    expect(e.cache.maxBytes).toBe(512 * 1024 * 1024);
    expect(e.logs.enabled).toBe(true);
    expect(e.adminToken).toBeUndefined();
  });
  it('names the field of a bad value', () => {
    expect(issuesOf({ distributions: [{ behaviors: [{ pathPattern: '/a b' }] }] })[0]).toMatch(
      /^edge\.distributions\.0\.behaviors\.0\.pathPattern: /,
    );
    expect(
      issuesOf({
        distributions: [{ origins: [{ id: 'o', url: 'http://x:1' }], behaviors: [{ pathPattern: '/a', targetOriginId: 'nope' }] }],
      }),
    ).toContain('edge.distributions.0.behaviors.0.targetOriginId: no origin with id "nope"');
    expect(issuesOf({ distributions: [{ defaultBehavior: { headers: { forward: 'all' }, minTtl: 5 } }] })).toContain(
      'edge.distributions.0.defaultBehavior.minTtl: must be 0 when all headers are forwarded (SPEC TTL-05)',
    );
    expect(issuesOf({ distributions: [{ customErrorResponses: [{ errorCode: 418 }] }] })[0]).toMatch(/customErrorResponses\.0\.errorCode/);
    expect(issuesOf({ distributions: [{ aliases: ['sub.*.example.com'] }] })[0]).toMatch(/aliases\.0/);
    expect(issuesOf({ distributions: [{ defaultBehavior: { trustedSigners: ['me'] } }] })[0]).toMatch(
      /defaultBehavior\.trustedSigners: no key pair belongs to signer "me"/,
    );
    expect(
      issuesOf({ distributions: [{ origins: Array.from({ length: 11 }, (_, i) => ({ id: `o${i}`, url: 'http://x:1' })) }] })[0],
    ).toMatch(/distributions\.0\.origins/);
  });
  it('startEdge without any origin URL fails with a message naming edge.origin', async () => {
    await expect(
      startEdge({ config: defaultConfig({ edgePort: 0, edgeHttpsPort: 0, edge: { logs: { enabled: false } } }), log: silentLogger() }),
    ).rejects.toThrow(/edge\.origin/);
  });
});
