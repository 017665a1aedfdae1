// Unit tests of the player's rendition rules (player/renditions.js): hls.js levels and dash.js
// Representations become one list, labelled, and a picker value maps back to a choice.
import { describe, expect, it } from 'vitest';
import { choiceValue, dashRenditions, hlsRenditions, parseChoice, renditionLabel } from '../../player/renditions.js';

describe('renditions', () => {
  it('hls.js levels, highest first, keeping their level index', () => {
    const levels = [
      { width: 426, height: 240, bitrate: 455_000 },
      { width: 1280, height: 720, bitrate: 2_600_000 },
      { width: 854, height: 480, bitrate: 1_450_000 },
    ];
    expect(hlsRenditions(levels).map((r) => [r.index, r.height])).toEqual([
      [1, 720],
      [2, 480],
      [0, 240],
    ]);
    expect(hlsRenditions(undefined)).toEqual([]);
  });

  it('dash.js Representations by their own index and bandwidth', () => {
    const reps = [
      { index: 0, width: 1280, height: 720, bandwidth: 2_500_000 },
      { index: 1, width: 640, height: 360, bandwidth: 800_000 },
    ];
    expect(dashRenditions(reps)).toEqual([
      { index: 0, width: 1280, height: 720, bitrate: 2_500_000 },
      { index: 1, width: 640, height: 360, bitrate: 800_000 },
    ]);
    expect(dashRenditions(null)).toEqual([]);
  });

  it.each([
    [{ index: 0, width: 1280, height: 720, bitrate: 2_500_000 }, '720p · 2.5 Mbit/s'],
    [{ index: 1, width: 426, height: 240, bitrate: 455_400 }, '240p · 455 kbit/s'],
    [{ index: 2, width: 0, height: 0, bitrate: 128_000 }, '128 kbit/s'],
  ])('label of %j', (r, want) => expect(renditionLabel(r)).toBe(want));

  it.each([
    ['auto', 'auto'],
    ['1', 1],
    ['7', 'auto'], // no such rendition
    ['1.5', 'auto'],
    ['', 'auto'],
  ])('picker value %s → %s', (value, want) => {
    const list = hlsRenditions([
      { height: 720, bitrate: 2 },
      { height: 240, bitrate: 1 },
    ]);
    expect(parseChoice(value, list)).toBe(want);
    if (typeof want === 'number') expect(choiceValue(want)).toBe(value);
  });
});
