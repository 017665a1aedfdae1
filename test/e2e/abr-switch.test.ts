// The ABR ladder in a real player: headless Chromium plays a laddered stream through the edge, and
// when DevTools network emulation (CDP Network.emulateNetworkConditions) throttles the page below
// the top rung's bitrate, hls.js (classic HLS and LL-HLS) and dash.js (DASH) switch to a lower rung; the
// page's rendition picker pins one. A small custom ladder keeps the encode cheap on a shared
// machine; the default preset is covered by test/integration/abr-ladder.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { startTestPattern, type TestPattern } from '../../src/demo/test-pattern.js';
import { launchChromium, networkThrottle, newViewer, pageTrail } from '../helpers/browser.js';
import { readHook, until, type PlayerHook } from '../helpers/browser-player.js';
import { loopbackConfig } from '../helpers/server-process.js';

const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-abr-'));
let server: RunningServer;
let browser: Browser;
let publisher: TestPattern | undefined;
let edge = '';
// Source 640x360 (the demo test pattern); rungs far apart so a throttle sits clearly between them.
const LADDER = [
  { name: '180p', height: 180, videoBitrate: 250, audioBitrate: 64 },
  { name: '120p', height: 120, videoBitrate: 120, audioBitrate: 48 },
];

type Renditions = PlayerHook['renditions'];

async function renditionsOf(page: Page): Promise<Renditions & { videoHeight: number }> {
  return page.evaluate(() => ({
    ...(window as unknown as { __player: { renditions: Renditions } }).__player.renditions,
    videoHeight: document.querySelector('video')!.videoHeight,
  }));
}

async function waitHeight(page: Page, what: string, pred: (h: number) => boolean, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await renditionsOf(page);
    if (pred(r.videoHeight)) return r.videoHeight;
    if (Date.now() > deadline) throw new Error(`${what}: timed out; renditions ${JSON.stringify(r)}`);
    await page.waitForTimeout(250);
  }
}

beforeAll(async () => {
  const config = await loopbackConfig(path.join(work, 'data'), {
    originPort: await freePort(),
    edgePort: await freePort(),
    packager: { ladder: LADDER },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  edge = `http://127.0.0.1:${server.ports.edge}`;
  // The demo's live test pattern (a real encoder publishing over RTMP), the source the player e2e tests use.
  publisher = startTestPattern({
    ffmpegPath: 'ffmpeg',
    rtmpUrl: `rtmp://127.0.0.1:${server.ports.rtmp}/live/abr`,
    log: silentLogger(),
    width: 640,
    height: 360,
    fps: 25,
    timeCode: false,
  });
  browser = await launchChromium();
  // Wait for the TS master with every rung (the origin answers 404 until each rung has a segment).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${edge}/live/abr/playlist.m3u8`, { cache: 'no-store' }).catch(() => undefined);
    if (r?.status === 200 && ((await r.text()).match(/#EXT-X-STREAM-INF/g)?.length ?? 0) === 3) break;
    if (Date.now() > deadline) throw new Error('the TS master never listed three rungs');
    await new Promise((res) => setTimeout(res, 500));
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await publisher?.stop();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

const ENGINES = [
  ['hls.js (classic HLS)', 'hls'],
  ['hls.js (LL-HLS, rendition reports)', 'llhls'],
  ['dash.js (DASH)', 'dash'],
] as const;

describe.each(ENGINES)('%s switches rungs under DevTools throttling', (_label, mode) => {
  it('lists the three rungs, climbs to the top one, drops when throttled, and the picker pins one', async () => {
    const page = await newViewer(browser, { viewport: { width: 1280, height: 900 } });
    const throttle = await networkThrottle(page);
    // The last requests and console lines, for the failure message.
    const trail = pageTrail(page, { requests: { base: edge }, max: 40 });
    try {
      await page.goto(`${edge}/?stream=live/abr&mode=${mode}`);
      await until(page, 'playing', (h) => h.state === 'playing', 60_000);
      const r = await renditionsOf(page);
      expect(r.renditions.map((x) => x.height)).toEqual([360, 180, 120]);
      expect(r.choice).toBe('auto');
      expect(await page.locator('#rendition option').count()).toBe(4);
      expect(await page.locator('#rendition').isDisabled()).toBe(false);

      // Unthrottled: the player's ABR reaches the source rung.
      await waitHeight(page, 'top rung', (h) => h === 360, 60_000);
      // Throttled between the lowest rungs: it must go down.
      await throttle(400);
      const low = await waitHeight(page, 'a lower rung under 400 kbit/s', (h) => h > 0 && h < 360, 90_000);
      expect(low).toBeLessThan(360);
      await throttle(undefined);

      // Pin the lowest rung through the page's picker: it plays that one and says so.
      const lowest = r.renditions.at(-1)!;
      await page.selectOption('#rendition', String(lowest.index));
      await waitHeight(page, 'pinned lowest rung', (h) => h === 120, 60_000);
      expect((await renditionsOf(page)).choice).toBe(lowest.index);
      // Back to auto.
      await page.selectOption('#rendition', 'auto');
      expect((await renditionsOf(page)).choice).toBe('auto');
      const h = await readHook(page);
      expect(h.state).toBe('playing');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- last requests and console lines ---\n${trail.text()}`);
    } finally {
      await page.context().close();
    }
  });
});
