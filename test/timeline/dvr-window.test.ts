// The DVR window rules shared by every live manifest, from tables.
import { describe, expect, it } from 'vitest';
import { dvrSegmentCount, firstInWindow, type DvrSelection, type WindowItem } from '../../src/timeline/dvr-window.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
/** Ten 2-s segments from T0, then a 30-s gap (a republish), then five more. */
const ITEMS: WindowItem[] = [
  ...Array.from({ length: 10 }, (_, i) => ({ startMs: T0 + i * 2000, durationMs: 2000 })),
  ...Array.from({ length: 5 }, (_, i) => ({ startMs: T0 + 50_000 + i * 2000, durationMs: 2000 })),
];

describe('dvrSegmentCount', () => {
  it.each([
    [1800, 2, 900],
    [12, 2, 6],
    [13, 2, 7],
    [1, 2, 1],
    [10, 3, 4],
    [6, 0.5, 12],
  ])('window %s s of %s-s segments lists %s', (w, s, n) => {
    expect(dvrSegmentCount(w, s)).toBe(n);
  });
});

describe('firstInWindow', () => {
  const cases: Array<[string, DvrSelection, number]> = [
    ['the whole window when it covers everything', { windowSeconds: 1800 }, 0],
    ['the newest segments covering the window (content time, not wall time)', { windowSeconds: 12 }, 9],
    ['a window that is not a whole number of segments is covered, one segment more', { windowSeconds: 11 }, 9],
    ['dvr_window_length shortens the window', { windowSeconds: 1800, dvrWindowLength: 6 }, 12],
    ['dvr_window_length never lengthens it', { windowSeconds: 12, dvrWindowLength: 600 }, 9],
    ['dvr_window_length shorter than a segment lists the newest one', { windowSeconds: 1800, dvrWindowLength: 1 }, 14],
    ['start inside a segment begins at that segment', { windowSeconds: 1800, startMs: T0 + 7_500 }, 3],
    ['start on a boundary begins at the segment starting there', { windowSeconds: 1800, startMs: T0 + 8_000 }, 4],
    ['start in the gap begins at the first segment after it', { windowSeconds: 1800, startMs: T0 + 30_000 }, 10],
    ['start before the window is clamped to its first segment', { windowSeconds: 12, startMs: T0 }, 9],
    ['start before everything held is the first segment', { windowSeconds: 1800, startMs: T0 - 3_600_000 }, 0],
    ['start after every segment (not future) is the newest segment', { windowSeconds: 1800, startMs: T0 + 70_000 }, 14],
    ['start and dvr_window_length: the later first segment wins', { windowSeconds: 1800, dvrWindowLength: 4, startMs: T0 + 1_000 }, 13],
  ];
  it.each(cases)('%s', (_name, sel, first) => {
    expect(firstInWindow(ITEMS, sel)).toBe(first);
  });

  it('no segment: 0', () => {
    expect(firstInWindow([], { windowSeconds: 10, startMs: T0 })).toBe(0);
  });
});
