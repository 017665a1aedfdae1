// The player's DVR seek bar model, from tables (the DOM binding is driven in Chromium by
// test/e2e/dvr-seek.test.ts).
import { describe, expect, it } from 'vitest';
import { formatClock, seekBarModel, seekLabel, seekTarget } from '../../player/dvr-seek.js';

describe('seekBarModel', () => {
  it.each([
    ['no seekable range', [], 10, null],
    ['a range too short to seek in', [[5, 5.5]], 5, null],
    ['no position yet (an engine not started)', [[0, 60]], NaN, null],
  ] as Array<[string, Array<[number, number]>, number, null]>)('%s: hidden', (_n, ranges, t, want) => {
    expect(seekBarModel(ranges, t)).toBe(want);
  });

  it.each([
    // ranges, currentTime → position, behind, fraction, live
    [[[100, 1900]], 1898, 1898, 2, 1798 / 1800, true],
    [[[100, 1900]], 1000, 1000, 900, 0.5, false],
    [[[100, 1900]], 50, 100, 1800, 0, false], // before the window: clamped to its start
    [[[100, 1900]], 2000, 1900, 0, 1, true],
    [
      [
        [0, 10],
        [100, 160],
      ],
      130,
      130,
      30,
      0.5,
      false,
    ], // the last range is the live window
  ] as Array<[Array<[number, number]>, number, number, number, number, boolean]>)(
    '%j at %s',
    (ranges, t, position, behind, fraction, live) => {
      const m = seekBarModel(ranges, t)!;
      expect(m.position).toBe(position);
      expect(m.behind).toBe(behind);
      expect(m.fraction).toBeCloseTo(fraction);
      expect(m.live).toBe(live);
    },
  );
});

describe('seekTarget, labels', () => {
  const m = seekBarModel([[100, 1900]], 1000)!;
  it.each([
    [0, 100],
    [0.5, 1000],
    [1, 1900],
    [-1, 100],
    [2, 1900],
  ])('fraction %s → %s s', (f, t) => {
    expect(seekTarget(m, f)).toBe(t);
  });
  it.each([
    [0, '0:00'],
    [59.6, '1:00'],
    [754, '12:34'],
    [3723, '1:02:03'],
  ])('formatClock(%s) = %s', (s, text) => {
    expect(formatClock(s)).toBe(text);
  });
  it('says LIVE near the end, how far behind otherwise, and the window', () => {
    expect(seekLabel(m)).toBe('−15:00 · window 30:00');
    expect(seekLabel(seekBarModel([[100, 1900]], 1899))).toBe('LIVE · window 30:00');
    expect(seekLabel(null)).toBe('');
  });
});
