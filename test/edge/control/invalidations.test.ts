// Unit: invalidation path rules, batch matching and the bounded book, from tables.
import { describe, expect, it } from 'vitest';
import { batchMatcher, InvalidationBook, invalidationTarget, parseInvalidationBatch } from '../../../src/edge/control/invalidations.js';
import { isControlApiPath, routeOf } from '../../../src/edge/control/routes.js';
import { HttpError } from '../../../src/result.js';

describe('invalidationTarget', () => {
  it.each([
    ['images/a.jpg', '/images/a.jpg', '/images/a.jpg', false],
    ['/images/a.jpg', '/images/a.jpg', '/images/a.jpg', false],
    ['/pla%79er.js', '/pla%79er.js', '/player.js', false],
    ['/a%7eb', '/a%7eb', '/a~b', false],
    ['/a%2fb'.replace('%2f', '%3a'), '/a%3ab', '/a%3Ab', false],
    ['/images/*', '/images/*', '/images/', true],
    ['/images/image*', '/images/image*', '/images/image', true],
    ['/*', '/*', '/', true],
    ['*', '/*', '/', true],
    ['/images/.*', '/images/.*', '/images/.', true],
    ['/img/a.jpg?v=1', '/img/a.jpg?v=1', '/img/a.jpg?v=1', false],
    ['/img/a.jpg?v=*', '/img/a.jpg?v=*', '/img/a.jpg?v=', true],
    ['/img/a.jpg*', '/img/a.jpg*', '/img/a.jpg', true],
    ['/a*b', '/a*b', '/a*b', false],
  ])('%s → given %s, match %s, wildcard %s', (raw, given, match, wildcard) => {
    expect(invalidationTarget(raw)).toEqual({ given, match, wildcard });
  });

  it.each([
    '',
    '/a%zz',
    '/a%',
    '/a%4',
    '/a%4*',
    '/a%2F',
    '/a%5C',
    '/a%00',
    '/a/../b',
    '/a/./b',
    '/a/%2e%2e/b',
    '/a b',
    '/a\tb',
    '/é',
    `/${'x'.repeat(4000)}`,
  ])('%j is InvalidArgument (400)', (raw) => {
    let err: unknown;
    try {
      invalidationTarget(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect([(err as HttpError).status, (err as HttpError).code]).toEqual([400, 'InvalidArgument']);
  });
});

describe('batchMatcher', () => {
  const m = batchMatcher(['/exact.txt', '/live/*', '/img/a.jpg*', '/dir/'].map(invalidationTarget));
  it.each([
    ['/exact.txt', true],
    ['/exact.txt2', false],
    ['/live/', true],
    ['/live/a/b.ts', true],
    ['/live', false],
    ['/lively', false],
    ['/img/a.jpg', true],
    ['/img/a.jpg?v=2', true],
    ['/img/b.jpg', false],
    ['/dir/', true],
    ['/dir/file', false],
  ])('%s → %s', (path, want) => expect(m(path)).toBe(want));
});

describe('InvalidationBook', () => {
  const limits = {
    maxPathsInProgress: 10,
    maxWildcardPathsInProgress: 2,
    maxRequestsInProgress: 0,
    reportInProgressSeconds: 1,
    historyLimit: 3,
  };
  const batch = (ref: string, ...paths: string[]) => ({ callerReference: ref, targets: paths.map(invalidationTarget) });

  it('keeps the newest completed records up to the limit, and every one in progress', () => {
    const book = new InvalidationBook('E1', limits);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(book.create(batch(`r${i}`, `/p${i}`), 1000 + i).record.id);
    expect(book.size).toBe(5); // all still in progress at t=1004
    ids.push(book.create(batch('r5', '/p5'), 10_000).record.id);
    expect(book.size).toBe(3);
    expect(book.page('', 100).items.map((r) => r.id)).toEqual(ids.slice(3).reverse());
    expect(book.get(ids[0]!)).toBeUndefined();
    // A pruned CallerReference may be used again.
    expect(book.create(batch('r0', '/other'), 10_001).created).toBe(true);
  });

  it('ids sort in creation order, so a Marker works even for a pruned record', () => {
    const book = new InvalidationBook('E1', limits);
    const ids = [0, 0, 1, 5].map((t, i) => book.create(batch(`r${i}`, `/p${i}`), 10_000 + t).record.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
    expect(book.page(ids[1]!, 10).items.map((r) => r.id)).toEqual([ids[0]]);
    expect(book.page('I0', 10).items).toEqual([]);
  });

  it.each([
    ['too many paths in one batch', [batch('a', ...Array.from({ length: 11 }, (_, i) => `/x${i}`))], 413, 'BatchTooLarge'],
    [
      'paths in progress over the limit',
      [batch('a', ...Array.from({ length: 6 }, (_, i) => `/x${i}`)), batch('b', ...Array.from({ length: 5 }, (_, i) => `/y${i}`))],
      400,
      'TooManyInvalidationsInProgress',
    ],
    ['wildcards in progress over the limit', [batch('a', '/a/*', '/b/*'), batch('b', '/c/*')], 400, 'TooManyInvalidationsInProgress'],
    ['a CallerReference reused with other paths', [batch('a', '/a'), batch('a', '/b')], 409, 'InvalidationBatchAlreadyExists'],
  ] as const)('%s → %i %s', (_name, batches, status, code) => {
    const book = new InvalidationBook('E1', limits);
    let err: unknown;
    try {
      for (const b of batches) book.create(b, 5000);
    } catch (e) {
      err = e;
    }
    expect([(err as HttpError).status, (err as HttpError).code]).toEqual([status, code]);
  });
});

describe('routeOf', () => {
  it.each([
    ['GET', '/2020-05-31/distribution', { op: 'ListDistributions' }],
    ['GET', '/2014-10-21/distribution/', { op: 'ListDistributions' }],
    ['GET', '/2020-05-31/distribution/E1', { op: 'GetDistribution', distributionId: 'E1' }],
    ['GET', '/2020-05-31/distribution/E1/config', { op: 'GetDistributionConfig', distributionId: 'E1' }],
    ['POST', '/2020-05-31/distribution/E1/invalidation', { op: 'CreateInvalidation', distributionId: 'E1' }],
    ['GET', '/2014-10-21/distribution/E1/invalidation', { op: 'ListInvalidations', distributionId: 'E1' }],
    ['GET', '/2020-05-31/distribution/%45%31/invalidation/I1', { op: 'GetInvalidation', distributionId: 'E1', invalidationId: 'I1' }],
  ])('%s %s', (method, path, want) => expect(routeOf(method, path)).toEqual(want));

  it.each([
    ['DELETE', '/2020-05-31/distribution/E1', 405],
    ['POST', '/2020-05-31/distribution/E1/invalidation/I1', 405],
    ['GET', '/2020-05-31/cache-policy', 404],
    ['GET', '/2020-05-31/distribution/E1/invalidation/I1/x', 404],
    ['GET', '/2020-05-31/distribution/%zz', 400],
  ])('%s %s → %i', (method, path, status) => {
    expect(() => routeOf(method, path)).toThrow(HttpError);
    try {
      routeOf(method, path);
    } catch (e) {
      expect((e as HttpError).status).toBe(status);
    }
  });
});

describe('isControlApiPath', () => {
  it.each([
    ['/2020-05-31/distribution', true],
    ['/2014-10-21/distribution/E1/invalidation', true],
    ['/2020-05-31', true],
    ['/2020-05-31/anything', true],
    ['/%32020-05-31/distribution', true],
    ['/2020-05-3%31/distribution', true],
    ['/2019-03-26/distribution', false],
    ['/live/2020-05-31/x', false],
    ['/2020-05-31x/distribution', false],
    ['/', false],
  ])('%s → %s', (path, want) => expect(isControlApiPath(path)).toBe(want));
});

describe('parseInvalidationBatch', () => {
  const doc = (inner: string) =>
    `<?xml version="1.0"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">${inner}</InvalidationBatch>`;
  it('reads Paths/Items/Path and CallerReference; entities in a path are decoded', () => {
    const b = parseInvalidationBatch(
      doc(
        '<Paths><Quantity>2</Quantity><Items><Path>/a?x=1&amp;y=2</Path><Path>b/*</Path></Items></Paths><CallerReference>r1</CallerReference>',
      ),
    );
    expect(b.callerReference).toBe('r1');
    expect(b.targets.map((t) => [t.given, t.wildcard])).toEqual([
      ['/a?x=1&y=2', false],
      ['/b/*', true],
    ]);
  });
  it.each([
    ['', 400, 'MissingBody'],
    ['   ', 400, 'MissingBody'],
    ['<InvalidationBatch>', 400, 'MalformedInput'],
    ['<Other/>', 400, 'MalformedInput'],
    [
      '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' +
        doc('<Paths><Quantity>1</Quantity><Items><Path>/&a;</Path></Items></Paths><CallerReference>r</CallerReference>'),
      400,
      'MalformedInput',
    ],
    [doc('<Paths><Quantity>1</Quantity><Items><Path>/a</Path></Items></Paths>'), 400, 'InvalidArgument'],
    [doc('<Paths><Quantity>0</Quantity></Paths><CallerReference>r</CallerReference>'), 400, 'InvalidArgument'],
    [
      doc('<Paths><Quantity>2</Quantity><Items><Path>/a</Path></Items></Paths><CallerReference>r</CallerReference>'),
      400,
      'InconsistentQuantities',
    ],
    [doc('<Paths><Items><Path>/a</Path></Items></Paths><CallerReference>r</CallerReference>'), 400, 'InconsistentQuantities'],
    [
      doc('<Paths><Quantity>one</Quantity><Items><Path>/a</Path></Items></Paths><CallerReference>r</CallerReference>'),
      400,
      'InconsistentQuantities',
    ],
  ])('%j → %i %s', (xml, status, code) => {
    let err: unknown;
    try {
      parseInvalidationBatch(xml);
    } catch (e) {
      err = e;
    }
    expect([(err as HttpError).status, (err as HttpError).code]).toEqual([status, code]);
  });
});
