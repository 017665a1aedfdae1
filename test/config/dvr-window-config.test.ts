// packager.dvrWindowSeconds: default, flag, environment, and its bounds.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

describe('the DVR window setting', () => {
  it('defaults to 1800 s with 6 segments per track in memory', () => {
    const { config } = loadConfig([], {});
    expect(config.packager.dvrWindowSeconds).toBe(1800);
    expect(config.packager.dvrMemorySegments).toBe(6);
  });
  it.each([
    [['--dvr-window', '12'], {}, 12],
    [['--dvr-window=90.5'], {}, 90.5],
    [[], { STREAMFRONT_DVR_WINDOW: '600' }, 600],
    [['--dvr-window', '60'], { STREAMFRONT_DVR_WINDOW: '600' }, 60],
  ])('%j %j → %s', (argv, env, want) => {
    expect(loadConfig(argv, env).config.packager.dvrWindowSeconds).toBe(want);
  });
  it.each([
    [['--dvr-window', 'abc'], /--dvr-window: expected a number/],
    [['--dvr-window', '3'], /config: packager\.dvrWindowSeconds:/],
    [['--dvr-window', '36001'], /config: packager\.dvrWindowSeconds:/],
  ])('%j is refused: %s', (argv, why) => {
    expect(() => loadConfig(argv, {})).toThrow(why);
  });
});
