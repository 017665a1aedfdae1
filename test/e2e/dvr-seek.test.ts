// Seeking into the DVR window in Chromium through the edge: the demo's test-pattern publisher runs
// long enough to fill part of a 60-s window, then the page's seek bar (player/dvr-seek.js) moves
// the player back into it: hls.js for classic HLS (the TS playlist lists the window) and LL-HLS
// (the media playlists list it), dash.js for DASH (the MPD's timeShiftBufferDepth; the bar seeks
// through dash.js, whose catch-up would otherwise snap back to live). Playback goes on from there,
// behind live and not pulled back to it, and "Go live" returns to the edge.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startTestPattern, type TestPattern } from '../../src/demo/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { launchChromium, newViewer } from '../helpers/browser.js';
import { until } from '../helpers/browser-player.js';

const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-dvr-'));
let server: RunningServer;
let browser: Browser;
let edge = '';
let live: TestPattern | undefined;

beforeAll(async () => {
  const config = defaultConfig({
    host: '127.0.0.1',
    rtmpPort: await freePort(),
    originPort: await freePort(),
    edgePort: await freePort(),
    edgeHttpsPort: 0,
    dataDir: path.join(work, 'data'),
    logLevel: 'silent',
    packager: { dvrWindowSeconds: 60 },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  edge = `http://127.0.0.1:${server.ports.edge}`;
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
      expect(later.seekable!.behind).toBeGreaterThan(seeked.seekable!.behind - 3);
      expect(later.fatalErrors).toEqual([]);
      await expect.poll(() => page.textContent('#dvr .dvr-label')).toMatch(/^−\d+:\d\d · window \d+:\d\d$/);
      // Go live.
      await page.click('#dvr .dvr-live');
      const back = await until(page, 'back at live', (h) => h.seekable?.live === true, 20_000);
      expect(back.fatalErrors).toEqual([]);
      // … and stays there: as far behind as before the seek, within a few seconds (classic HLS plays
      // three segments behind, and its window's end moves a segment at a time), by the engine's own
      // latency figure too (LL-HLS and DASH: about two seconds).
      const settled = await until(page, 'playing at live', (h) => h.currentTime! > back.currentTime! + 2, 20_000);
      expect(settled.seekable!.behind).toBeLessThan(before.seekable!.behind + 3);
      if (settled.latency !== null && before.latency !== null) expect(settled.latency).toBeLessThan(before.latency + 3);
      await page.context().close();
    },
    150_000,
  );
});
