// SPEC 4.3 cache key rules, QS-02 / SIG-05 parameter stripping, INV-02 paths.
import { describe, expect, it } from 'vitest';
import { cacheKey, invalidationPath, withoutSigningParams, type CacheKeyParts } from '../../src/edge/cache-key.js';

const base: CacheKeyParts = { distributionId: 'E1', behaviourIndex: 0, path: '/a.jpg', query: '', cookies: [], headers: [], gzip: false };
const k = (p: Partial<CacheKeyParts>) => cacheKey({ ...base, ...p });

describe('cache key (SPEC 4.3)', () => {
  it('path is case-sensitive', () => expect(k({ path: '/A.jpg' })).not.toBe(k({})));
  it('query order and case matter when forwarded', () => {
    expect(k({ query: 'a=1&b=2' })).not.toBe(k({ query: 'b=2&a=1' }));
    expect(k({ query: 'p=a' })).not.toBe(k({ query: 'p=A' }));
    expect(k({ query: 'a=1' })).not.toBe(k({}));
  });
  it('cookie values are part of it (already sorted by the caller, CK-04)', () => {
    expect(k({ cookies: [['a', '1']] })).not.toBe(k({ cookies: [['a', '2']] }));
    expect(k({ cookies: [['a', '1']] })).not.toBe(k({}));
  });
  it('header order is ignored; values are case-sensitive', () => {
    expect(
      k({
        headers: [
          ['a', '1'],
          ['b', '2'],
        ],
      }),
    ).toBe(
      k({
        headers: [
          ['b', '2'],
          ['a', '1'],
        ],
      }),
    );
    expect(k({ headers: [['a', 'x']] })).not.toBe(k({ headers: [['a', 'X']] }));
  });
  it('gzip and identity are separate entries (GZ-02)', () => expect(k({ gzip: true })).not.toBe(k({})));
  it('behaviours and distributions cache on their own', () => {
    expect(k({ behaviourIndex: 1 })).not.toBe(k({}));
    expect(k({ distributionId: 'E2' })).not.toBe(k({}));
  });
});

describe('signing parameters (QS-02, SIG-05)', () => {
  it('Expires, Signature, Key-Pair-Id, Policy are removed; the rest keeps order and encoding', () => {
    expect(withoutSigningParams('size=large&Expires=1&license=yes&Signature=abc~&Key-Pair-Id=APKA')).toBe('size=large&license=yes');
    expect(withoutSigningParams('Policy=x&Signature=y&Key-Pair-Id=z')).toBe('');
    expect(withoutSigningParams('a=%20b&Expiresx=1')).toBe('a=%20b&Expiresx=1');
  });
});

describe('invalidation path (INV-02)', () => {
  it('is the path, plus the query when it is forwarded', () => {
    expect(invalidationPath('/images/image.jpg', '')).toBe('/images/image.jpg');
    expect(invalidationPath('/images/image.jpg', 'parameter1=a')).toBe('/images/image.jpg?parameter1=a');
  });
});
