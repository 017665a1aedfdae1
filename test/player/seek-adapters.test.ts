// The pure parts of the engines' seek adapters, from tables (the adapters themselves drive hls.js
// and dash.js in Chromium in test/e2e/dvr-seek.test.ts).
import { describe, expect, it } from 'vitest';
import { dashWindowRanges, liveTarget, timeRanges } from '../../player/seek-adapters.js';

describe('dashWindowRanges: dash.js getDvrWindow() as the bar’s ranges', () => {
  it.each([
    ['a live window', { start: 12.5, end: 72.5, size: 60 }, [[12.5, 72.5]]],
    ['before dash.js has a window', {}, []],
    ['nothing at all', undefined, []],
    ['an empty window', { start: 30, end: 30 }, []],
    ['an inverted one', { start: 40, end: 30 }, []],
    ['a non-finite end', { start: 0, end: Infinity }, []],
    ['NaN ends', { start: NaN, end: NaN }, []],
  ] as Array<[string, { start?: number; end?: number } | undefined, Array<[number, number]>]>)('%s', (_n, dvr, want) => {
    expect(dashWindowRanges(dvr)).toEqual(want);
  });
});

describe('timeRanges', () => {
  const ranges = (list: Array<[number, number]>) => ({
    length: list.length,
    start: (i: number) => list[i]![0],
    end: (i: number) => list[i]![1],
  });
  it.each([
    [[], []],
    [[[0, 10]], [[0, 10]]],
    [
      [
        [0, 10],
        [20, 80],
      ],
      [
        [0, 10],
        [20, 80],
      ],
    ],
  ] as Array<[Array<[number, number]>, Array<[number, number]>]>)('%j', (list, want) => {
    expect(timeRanges(ranges(list))).toEqual(want);
  });
  it('no element range yet', () => expect(timeRanges(undefined)).toEqual([]));
});

describe('liveTarget: where "Go live" puts an element-driven engine', () => {
  it.each([
    // start, end, slack → target
    [100, 160, 3, 157],
    [100, 160, 0, 160],
    [100, 101, 3, 100], // a window shorter than the slack: its start
  ])('[%s, %s] slack %s → %s', (s, e, slack, want) => {
    expect(liveTarget(s, e, slack)).toBe(want);
  });
});
