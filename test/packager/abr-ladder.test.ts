// Table tests of the ABR ladder rules (src/packager/abr-ladder.ts) and of the `packager.ladder`
// setting (flag, file, validation).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import type { LadderConfig } from '../../src/config/index.js';
import { DEFAULT_LADDER, evenWidth, isAbr, planLadder, sourceNominalKbps, type PlannedRung } from '../../src/packager/abr-ladder.js';

describe('evenWidth', () => {
  it.each([
    // height, source w×h, width
    [480, 1280, 720, 854],
    [360, 1280, 720, 640],
    [240, 1280, 720, 426],
    [240, 1920, 1080, 426],
    [480, 640, 480, 640],
    [360, 1080, 1920, 202], // portrait phone video
    [240, 720, 576, 300], // PAL 5:4 storage
    [100, 3, 1000, 2], // never below 2
  ])('%i lines of %ix%i → %i wide', (h, w, sh, want) => {
    expect(evenWidth(h, w, sh)).toBe(want);
    expect(want % 2).toBe(0);
  });
});

describe('planLadder', () => {
  const names = (rungs: PlannedRung[]) => rungs.map((r) => `${r.name}@${r.width ?? '?'}x${r.height ?? '?'}`);
  const cases: Array<[string, LadderConfig, { width?: number; height?: number }, string[], string[]]> = [
    ['source only (the default)', 'source', { width: 1280, height: 720 }, ['source@1280x720'], []],
    ['source only, size unknown', 'source', {}, ['source@?x?'], []],
    [
      'default preset on 720p',
      'default',
      { width: 1280, height: 720 },
      ['source@1280x720', '480p@854x480', '360p@640x360', '240p@426x240'],
      [],
    ],
    [
      'default preset on 1080p',
      'default',
      { width: 1920, height: 1080 },
      ['source@1920x1080', '480p@854x480', '360p@640x360', '240p@426x240'],
      [],
    ],
    // A rung at the source height would duplicate the source; above it would upscale.
    ['default preset on 480p', 'default', { width: 854, height: 480 }, ['source@854x480', '360p@640x360', '240p@428x240'], ['480p']],
    ['default preset on 360p', 'default', { width: 640, height: 360 }, ['source@640x360', '240p@426x240'], ['480p', '360p']],
    ['default preset on 180p', 'default', { width: 320, height: 180 }, ['source@320x180'], ['480p', '360p', '240p']],
    [
      'a custom ladder is sorted highest first',
      [
        { name: 'low', height: 144, videoBitrate: 200, audioBitrate: 48 },
        { name: 'mid', height: 540, videoBitrate: 2500, audioBitrate: 128 },
      ],
      { width: 1920, height: 1080 },
      ['source@1920x1080', 'mid@960x540', 'low@256x144'],
      [],
    ],
    ['default preset, size unknown: source only', 'default', { height: 720 }, ['source@?x?'], ['480p', '360p', '240p']],
  ];
  it.each(cases)('%s', (_label, ladder, src, want, skipped) => {
    const plan = planLadder(ladder, src);
    expect(names(plan.rungs)).toEqual(want);
    expect(plan.skipped).toEqual(skipped);
    expect(plan.rungs[0]!.source).toBe(true);
    expect(plan.rungs.slice(1).every((r) => !r.source && r.width! % 2 === 0)).toBe(true);
  });

  it('gives each transcoded rung its bitrates and says why a ladder was dropped', () => {
    const plan = planLadder('default', { width: 1280, height: 720 });
    expect(plan.rungs.slice(1).map((r) => [r.videoKbps, r.audioKbps])).toEqual(DEFAULT_LADDER.map((r) => [r.videoBitrate, r.audioBitrate]));
    expect(isAbr(plan.rungs)).toBe(true);
    expect(isAbr(planLadder('source', { width: 1280, height: 720 }).rungs)).toBe(false);
    expect(planLadder('default', {}).reason).toMatch(/source size unknown/);
  });
});

describe('sourceNominalKbps', () => {
  const rungs = planLadder('default', { width: 1280, height: 720 }).rungs;
  it.each([
    [2500, 2500],
    [undefined, 2000],
    [1200, 1201], // moved off the 480p rung's Smooth level name
    [0.4, 1],
  ])('measured %s → %i', (measured, want) => {
    expect(sourceNominalKbps(measured, rungs)).toBe(want);
  });
});

describe('packager.ladder setting', () => {
  it('is source only by default; --ladder and STREAMFRONT_LADDER pick a preset', () => {
    expect(loadConfig([], {}).config.packager.ladder).toBe('source');
    expect(loadConfig(['--ladder', 'default'], {}).config.packager.ladder).toBe('default');
    expect(loadConfig([], { STREAMFRONT_LADDER: 'default' }).config.packager.ladder).toBe('default');
    expect(() => loadConfig(['--ladder', 'fancy'], {})).toThrow(ConfigError);
  });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ladder-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const file = (ladder: unknown) => {
    const f = path.join(dir, `config-${files++}.json`);
    fs.writeFileSync(f, JSON.stringify({ packager: { ladder } }));
    return f;
  };

  it('takes a custom JSON list from the config file', () => {
    const ladder = [{ name: '540p', height: 540, videoBitrate: 2000, audioBitrate: 128 }];
    expect(loadConfig(['--config', file(ladder)], {}).config.packager.ladder).toEqual(ladder);
  });

  it.each([
    ['an odd height', [{ name: 'a', height: 481, videoBitrate: 900, audioBitrate: 96 }], /even/],
    ['a name with a path character', [{ name: '../x', height: 480, videoBitrate: 900, audioBitrate: 96 }], /rung name/],
    ['the reserved name source', [{ name: 'source', height: 480, videoBitrate: 900, audioBitrate: 96 }], /source/],
    [
      'a duplicate name',
      [
        { name: 'a', height: 480, videoBitrate: 900, audioBitrate: 96 },
        { name: 'a', height: 360, videoBitrate: 600, audioBitrate: 96 },
      ],
      /unique/,
    ],
    [
      'a duplicate video bitrate',
      [
        { name: 'a', height: 480, videoBitrate: 900, audioBitrate: 96 },
        { name: 'b', height: 360, videoBitrate: 900, audioBitrate: 96 },
      ],
      /unique/,
    ],
    ['an unknown key', [{ name: 'a', height: 480, videoBitrate: 900, audioBitrate: 96, crf: 23 }], /crf|Unrecognized/],
    ['a missing bitrate', [{ name: 'a', height: 480, videoBitrate: 900 }], /audioBitrate|Required|Invalid/],
  ])('refuses %s with one clear line', (_label, ladder, why) => {
    expect(() => loadConfig(['--config', file(ladder)], {})).toThrow(why);
  });
});
