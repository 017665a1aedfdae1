// The control API's configuration keys: defaults, and bad values fail at start-up naming the field.
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

describe('control API config', () => {
  it('defaults: no credentials (API off), CloudFront limits, a bounded history', () => {
    const e = defaultConfig({}).edge;
    expect(e.accessKeys).toEqual([]);
    expect(e.adminToken).toBeUndefined();
    expect(e.invalidation).toEqual({
      maxPathsInProgress: 3000,
      maxRequestsInProgress: 0,
      reportInProgressSeconds: 2,
      maxWildcardPathsInProgress: 15,
      historyLimit: 100,
    });
    expect(defaultConfig({ edge: { invalidation: { historyLimit: 7 } } }).edge.invalidation).toMatchObject({
      historyLimit: 7,
      maxWildcardPathsInProgress: 15,
    });
  });

  it.each([
    [{ accessKeys: [{ accessKeyId: 'AK', secretAccessKey: 'secret-secret' }] }, /^edge\.accessKeys\.0\.accessKeyId: /],
    [{ accessKeys: [{ accessKeyId: 'AKIA/EXAMPLE', secretAccessKey: 'secret-secret' }] }, /^edge\.accessKeys\.0\.accessKeyId: /],
    [{ accessKeys: [{ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'short' }] }, /^edge\.accessKeys\.0\.secretAccessKey: /],
    [{ accessKeys: [{ accessKeyId: 'AKIAEXAMPLE' }] }, /^edge\.accessKeys\.0\.secretAccessKey: /],
    [{ accessKeys: [{ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-secret', region: 'x' }] }, /^edge\.accessKeys\.0: /],
    [
      {
        accessKeys: [
          { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-secret' },
          { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'other-secret' },
        ],
      },
      /^edge\.accessKeys: access key ids must be unique/,
    ],
    [{ invalidation: { historyLimit: 0 } }, /^edge\.invalidation\.historyLimit: /],
    [{ invalidation: { maxWildcardPathsInProgress: -1 } }, /^edge\.invalidation\.maxWildcardPathsInProgress: /],
  ])('%j is refused', (edge, want) => {
    expect(issuesOf(edge)[0]).toMatch(want);
  });
});
