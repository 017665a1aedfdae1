// The ABR ladder in a real player: headless Chromium plays a laddered stream through the edge, and
// when DevTools network emulation (CDP Network.emulateNetworkConditions) throttles the page below
// the top rung's bitrate, hls.js (classic HLS and LL-HLS) and dash.js (DASH) switch to a lower rung; the
// page's rendition picker pins one. A small custom ladder keeps the encode cheap on a shared
// machine; the default preset is covered by test/integration/abr-ladder.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { startTestPattern, type TestPattern } from '../../src/demo/test-pattern.js';
import { launchChromium, readHook, until } from '../player/chromium.js';

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

interface Renditions {
  renditions: Array<{ index: number; height: number; bitrate: number }>;
  choice: 'auto' | number;
  playing: number | null;
}

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

/** DevTools network emulation for the page: `kbps` down (and up), a little latency; undefined lifts it. */
async function throttle(cdp: CDPSession, kbps: number | undefined): Promise<void> {
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: kbps === undefined ? 0 : 40,
    downloadThroughput: kbps === undefined ? -1 : (kbps * 1000) / 8,
    uploadThroughput: kbps === undefined ? -1 : (kbps * 1000) / 8,
  });
}

beforeAll(async () => {
  const config = defaultConfig({
    host: '127.0.0.1',
    rtmpPort: await freePort(),
    originPort: await freePort(),
    edgePort: await freePort(),
    edgeHttpsPort: 0,
    dataDir: path.join(work, 'data'),
    logLevel: 'silent',
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
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    // The last requests and console lines, for the failure message.
    const trail: string[] = [];
    const note = (line: string) => {
      trail.push(line.slice(0, 160));
      if (trail.length > 40) trail.shift();
    };
    page.on('response', (res) => note(`${res.status()} ${res.url().replace(edge, '')}`));
    page.on('requestfailed', (req) => note(`failed ${req.url().replace(edge, '')} ${req.failure()?.errorText ?? ''}`));
    page.on('console', (m) => note(`console.${m.type()}: ${m.text()}`));
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
      await throttle(cdp, 400);
      const low = await waitHeight(page, 'a lower rung under 400 kbit/s', (h) => h > 0 && h < 360, 90_000);
      expect(low).toBeLessThan(360);
      await throttle(cdp, undefined);

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
      throw new Error(`${(err as Error).message}\n--- last requests and console lines ---\n${trail.join('\n')}`);
    } finally {
      await ctx.close();
    }
  });
});
