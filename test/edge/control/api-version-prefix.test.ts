// The control API's version check on the viewer path: isApiVersionPrefix() (no allocation, asked of
// every viewer request) says exactly what apiVersionOf() says, for a table of paths.
import { describe, expect, it } from 'vitest';
import { apiVersionOf, isApiVersionPrefix } from '../../../src/edge/control/routes.js';

describe('isApiVersionPrefix agrees with apiVersionOf', () => {
  it.each([
    ['/2020-05-31/distribution', true],
    ['/2014-10-21/distribution/EDFDVBD6EXAMPLE/invalidation', true],
    ['/2020-05-31', true],
    ['/2020-05-31/', true],
    ['/2020-05-310/distribution', false],
    ['/2020-05-31x', false],
    ['/2020-05-3', false],
    ['/2019-03-26/distribution', false],
    ['/x/2020-05-31/distribution', false],
    ['/', false],
    ['', false],
    ['/obj/1024/small.js', false],
    ['/2020-05-31.m3u8', false],
  ])('%s → %s', (path, want) => {
    expect(isApiVersionPrefix(path)).toBe(want);
    expect(apiVersionOf(path) !== undefined).toBe(want);
  });
});
