// Seeking into the DVR window in Chromium through the edge: the demo's test-pattern publisher runs
// long enough to fill part of a 60-s window, then the page's seek bar (player/dvr-seek.js) moves
// the player back into it: hls.js for classic HLS (the TS playlist lists the window) and LL-HLS
// (the media playlists list it), dash.js for DASH (the MPD's timeShiftBufferDepth; the bar seeks
// through dash.js, whose catch-up would otherwise snap back to live). Playback goes on from there,
// behind live and not pulled back to it, and "Go live" returns to the edge. Then a bare dash.js page
// reports the DVR window it seeks in, for the configured window and shortened ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPattern, type TestPattern } from '../../src/demo/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { dashJsState, launchChromium, newViewer, playWithDashJs } from '../helpers/browser.js';
import { until } from '../helpers/browser-player.js';
import { loopbackConfig } from '../helpers/server-process.js';

const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-dvr-'));
let server: RunningServer;
let browser: Browser;
let edge = '';
let live: TestPattern | undefined;
/** When the publisher started: the configured window is full a minute (plus start-up) later. */
let publishedAt = 0;

beforeAll(async () => {
  const config = await loopbackConfig(path.join(work, 'data'), {
    originPort: await freePort(),
    edgePort: await freePort(),
    packager: { dvrWindowSeconds: 60 },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  edge = `http://127.0.0.1:${server.ports.edge}`;
  publishedAt = Date.now();
  live = startTestPattern({
    ffmpegPath: 'ffmpeg',
    rtmpUrl: `rtmp://127.0.0.1:${server.ports.rtmp}/live/dvr`,
    log: silentLogger(),
    width: 640,
    height: 360,
    fps: 25,
    timeCode: false,
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await live?.stop();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the seek bar moves the player back into the DVR window', () => {
  it.each(['hls', 'llhls', 'dash'] as const)(
    'mode %s',
    async (mode) => {
      const page = await newViewer(browser, { viewport: { width: 1400, height: 1000 } });
      await page.goto(`${edge}/?stream=live/dvr&mode=${mode}`);
      await until(page, 'playing', (h) => h.state === 'playing', 45_000);
      // Wait for a window worth seeking in (the stream has been running a while by now).
      // … with the player at the live edge first (hls.js may start a little behind it and catch up).
      const before = await until(
        page,
        'a seekable window of 16 s, playing at live',
        (h) => (h.seekable?.window ?? 0) >= 16 && h.seekable?.live === true,
        60_000,
      );
      expect(before.mode).toBe(mode);
      expect(before.seekable!.live).toBe(true);
      expect(await page.isVisible('#dvr')).toBe(true);
      // Drag the bar to 10 % of the window, as a viewer would (input, then change).
      const target = before.seekable!.start + 0.1 * before.seekable!.window;
      await page.$eval('#dvr input[type=range]', (el) => {
        const input = el as HTMLInputElement;
        input.value = '100';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.dispatchEvent(new Event('change', { bubbles: true }));
      });
      const seeked = await until(page, 'playing behind live', (h) => h.state === 'playing' && (h.seekable?.behind ?? 0) > 10, 20_000);
      expect(Math.abs(seeked.currentTime! - target)).toBeLessThan(4);
      // Playback goes on from there: currentTime advances, still well behind live, no fatal error.
      const t1 = seeked.currentTime!;
      const later = await until(page, 'advancing in the window', (h) => h.currentTime! > t1 + 5, 30_000);
      expect(later.seekable!.behind).toBeGreaterThan(8);
      // … at the distance the viewer chose: no catch-up toward live (a stall may only add to it).
      // A classic HLS window's end moves a whole segment (2 s) at a time, when hls.js reloads the
      // playlist (once per target duration): read at two moments, "behind" differs by up to two
      // segments with no catch-up at all. LL-HLS and DASH windows move by parts.
      const slack = mode === 'hls' ? 3 + 2 * 2 : 3;
      expect(later.seekable!.behind).toBeGreaterThan(seeked.seekable!.behind - slack);
      expect(later.fatalErrors).toEqual([]);
      await expect.poll(() => page.textContent('#dvr .dvr-label')).toMatch(/^−\d+:\d\d · window \d+:\d\d$/);
      // Go live.
      await page.click('#dvr .dvr-live');
      const back = await until(page, 'back at live', (h) => h.seekable?.live === true, 20_000);
      expect(back.fatalErrors).toEqual([]);
      // … and stays there: as far behind the window's end as before the seek, within a few seconds
      // (a classic HLS window's end moves a segment at a time), and by the engine's own latency
      // figure within a few seconds of live (classic hls.js aims three segments behind).
      const settled = await until(page, 'playing at live', (h) => h.currentTime! > back.currentTime! + 2, 20_000);
      expect(settled.seekable!.behind).toBeLessThan(before.seekable!.behind + 3);
      if (settled.latency !== null && before.latency !== null) expect(settled.latency).toBeLessThan(Math.max(before.latency, 6) + 3);
      await page.context().close();
    },
    150_000,
  );
});

/** The MPD's timeShiftBufferDepth, seconds (`PT…S` as dash-mpd.ts writes it). */
async function timeShiftBufferDepth(url: string): Promise<number> {
  const mpd = await (await fetch(url, { cache: 'no-store' })).text();
  const m = /timeShiftBufferDepth="PT([\d.]+)S"/.exec(mpd);
  if (!m) throw new Error(`no timeShiftBufferDepth in ${mpd.slice(0, 300)}`);
  return Number(m[1]);
}

// What dash.js makes of the MPD's window: the DVR window it seeks in (getDvrWindow) is the one the
// MPD lists, for the configured window and for `?dvr_window_length=` shortened ones, and ends at live.
describe('dash.js sees the window the MPD lists', () => {
  it.each([
    ['?dvr_window_length=10', 10],
    ['?dvr_window_length=30', 30],
    ['the configured 60 s', undefined],
  ] as const)(
    '%s',
    async (label, length) => {
      const origin = `http://127.0.0.1:${server.ports.origin}`;
      const url = `${origin}/live/dvr/manifest_sfm4s.mpd${length === undefined ? '' : `?dvr_window_length=${length}`}`;
      const page = await newViewer(browser);
      try {
        await playWithDashJs(page, origin, url);
        const t0 = Date.now();
        let s = await dashJsState(page);
        let first: number | undefined;
        while (first === undefined || s.t < first + 3) {
          if (Date.now() - t0 > 40_000) throw new Error(`dash.js did not play ${url}: ${JSON.stringify(s)}`);
          await page.waitForTimeout(500);
          s = await dashJsState(page);
          if (first === undefined && s.t > 0) first = s.t;
        }
        const depth = await timeShiftBufferDepth(url);
        console.log(
          `dash.js DVR window ${s.window?.size.toFixed(1)} s, MPD timeShiftBufferDepth ${depth} s, latency ${s.latency?.toFixed(2)} s (${label})`,
        );
        expect(s.errors).toEqual([]);
        expect(s.window, JSON.stringify(s)).not.toBeNull();
        // dash.js's window is the MPD's depth, give or take two segments (the one being produced, and
        // dash.js's view of the window start lagging its MPD refresh).
        expect(Math.abs(s.window!.size - depth), `dash.js ${JSON.stringify(s.window)}, MPD depth ${depth} s`).toBeLessThan(4.5);
        // … the length asked for (or the configured 60 s, once the stream is that old; its first
        // segments take up to 15 s here), plus at most the segments the MPD adds at its ends.
        const want = length ?? Math.min(60, (Date.now() - publishedAt) / 1000 - 15);
        expect(s.window!.size).toBeGreaterThan(want - 2);
        expect(s.window!.size).toBeLessThan((length ?? 60) + 8);
        // It ends at live, where dash.js plays.
        expect(s.window!.end - s.t).toBeLessThan(6);
        expect(s.latency).not.toBeNull();
        expect(s.latency!).toBeLessThan(6);
      } finally {
        await page.context().close();
      }
    },
    60_000,
  );
});
