// The demo player in a real browser: a synthetic H.264/AAC stream published with ffmpeg
// over RTMP, the whole server (ingest, packager, origin, edge) in this process, and Debian's
// Chromium driven by playwright-core opening the page through the edge (SPEC DRO-01: `/` is the
// player). The stream is picked in the list UI; video.currentTime must advance by ≥ 5 s with no
// hls.js fatal error, and the page must show a latency figure. A screenshot is kept as
// test-artifacts/player.png. The deep link (`/?stream=<app>/<name>`) and its wait-until-live
// polling (SPEC ING-03) are checked too.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { launchChromium, newViewer as openViewer, pageTrail } from '../helpers/browser.js';
import { readHook, until as untilHook, type PlayerHook } from '../helpers/browser-player.js';
import { loopbackConfig } from '../helpers/server-process.js';

const ARTIFACTS = path.resolve('test-artifacts');

const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-player-'));
let server: RunningServer;
let browser: Browser;
const publishers: Publisher[] = [];

/**
 * A page in its own browser context: a separate viewer with its own HTTP cache. (Within one
 * context the browser's cache would replay the first viewer's stored `X-Cache: Miss` headers.)
 */
function newViewer(): Promise<Page> {
  return openViewer(browser, { viewport: { width: 1400, height: 1000 } });
}
let edge = '';
let rtmp = '';

const hook = readHook;

async function currentTime(page: Page): Promise<number> {
  return (await readHook(page)).currentTime!;
}

/** Polls the page until `pred` holds (given the hook and the video's currentTime); the message names the last state seen. */
function until(page: Page, what: string, pred: (h: PlayerHook, t: number) => boolean, ms: number): Promise<PlayerHook> {
  return untilHook(page, what, (h) => pred(h, h.currentTime!), ms);
}

/** The page's console lines and errors, for a failure message. */
function collectConsole(page: Page): string[] {
  return pageTrail(page).lines;
}

beforeAll(async () => {
  const config = await loopbackConfig(path.join(work, 'data'), {
    originPort: await freePort(),
    edgePort: await freePort(),
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  edge = `http://127.0.0.1:${server.ports.edge}`;
  rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  publishers.push(await startPublisher(`${rtmp}/live/e2eplayer`));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(publishers.map((p) => p.stop()));
  await server?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('demo player in headless Chromium through the edge', () => {
  it('lists the live stream, plays it when picked, and shows latency, bitrate, resolution and the edge hit ratio', async () => {
    const page = await newViewer();
    const consoleLines = collectConsole(page);
    const res = await page.goto(`${edge}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['x-cache']).toMatch(/from cloudfront$/);

    // Pick the stream in the list UI (it appears once ingest has registered it).
    const item = page.locator('[data-stream-id="live/e2eplayer"]');
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    await item.click();
    expect(new URL(page.url()).search).toBe('?stream=live/e2eplayer');

    await until(page, 'playing', (h) => h.state === 'playing', 45_000);
    const t0 = await currentTime(page);
    const h = await until(page, 'currentTime +5 s', (_h, t) => t >= t0 + 5, 30_000);

    expect(h.fatalErrors, consoleLines.join('\n')).toEqual([]);
    expect(h.engine).toMatch(/^hls\.js/);
    expect(h.latency).toBeGreaterThan(0);
    expect(h.latency).toBeLessThan(30);
    await expect.poll(() => page.textContent('#latency')).toMatch(/^\d+\.\d\d s$/);
    expect(await page.textContent('#resolution')).toMatch(/^\d+×\d+$/);
    expect(await page.textContent('#bitrate')).toMatch(/(k|M)bit\/s$/);
    expect(await page.textContent('#buffer')).toMatch(/^\d+\.\d s$/);
    // Every fragment came through the edge, so each carried X-Cache (SPEC 4.6).
    expect(h.fragmentsLoaded).toBeGreaterThan(2);
    expect(h.xcache.none).toBe(0);
    expect(h.hitRatio).not.toBeNull();
    expect(await page.textContent('#hit-ratio')).toMatch(/^\d+ %$/);
    // The other URL families, each with a copy button, pointing at the edge.
    const urls = await page.$$eval('#urls tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent)));
    const families = urls.map((u) => u[0]);
    expect(families).toEqual(expect.arrayContaining(['HLS', 'HDS', 'Smooth Streaming', 'Smooth (IIS)', 'RTMP (CloudFront-style cfx/st)']));
    expect(urls.every((u) => u[2] === 'Copy')).toBe(true);
    expect(urls.find((u) => u[0] === 'HDS')![1]).toBe(`${edge}/live/e2eplayer/manifest.f4m`);
    expect(urls.find((u) => u[0] === 'RTMP (CloudFront-style cfx/st)')![1]).toBe(`${rtmp}/cfx/st/e2eplayer`);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'player.png') });
    // Kept open: the next viewer should be served the same fragments from the edge's cache.
  });

  it('a deep link /?stream=<app>/<stream> starts the stream directly, and a second viewer gets edge hits', async () => {
    const page = await newViewer();
    const consoleLines = collectConsole(page);
    await page.goto(`${edge}/?stream=live/e2eplayer`);
    await until(page, 'playing', (h) => h.state === 'playing', 30_000);
    const t0 = await currentTime(page);
    const h = await until(page, 'currentTime +3 s', (_h, t) => t >= t0 + 3, 20_000);
    expect(h.fatalErrors, consoleLines.join('\n')).toEqual([]);
    expect(h.stream).toBe('live/e2eplayer');
    expect(h.xcache.hit + h.xcache.refresh).toBeGreaterThan(0);
    await page.context().close();
  });

  it('a deep link to a stream that is not live yet waits, plays once it is published (SPEC ING-03), and says when it ends', async () => {
    const page = await newViewer();
    const consoleLines = collectConsole(page);
    await page.goto(`${edge}/?stream=live/e2elater`);
    await until(page, 'waiting', (h) => h.state === 'waiting', 10_000);
    expect(await page.textContent('#message-title')).toContain('Waiting for live/e2elater');
    await page.waitForTimeout(2000);
    expect((await hook(page)).state).toBe('waiting');

    const later = await startPublisher(`${rtmp}/live/e2elater`);
    publishers.push(later);
    await until(page, 'playing after publish', (h) => h.state === 'playing', 45_000);
    const t0 = await currentTime(page);
    const h = await until(page, 'currentTime +3 s', (_h, t) => t >= t0 + 3, 20_000);
    expect(h.fatalErrors, consoleLines.join('\n')).toEqual([]);

    // The encoder stops: the page says so (and goes back to waiting for a republish to that name).
    await later.stop();
    const end = await until(page, 'ended', (s) => s.state === 'ended' || s.state === 'waiting', 40_000);
    // The packager finishes the playlist with #EXT-X-ENDLIST on a graceful stop: no fatal error on the way out.
    expect(end.fatalErrors, consoleLines.join('\n')).toEqual([]);
    expect(await page.textContent('#message-title')).toMatch(/The stream has ended|Waiting for live\/e2elater/);
    expect(await page.isVisible('#message')).toBe(true);
    await page.context().close();
  });

  it('says clearly when no stream is live', async () => {
    // A page on an edge whose origin has no streams at all: a second, empty server.
    const empty = await startServer({
      config: await loopbackConfig(path.join(work, 'empty'), {
        originPort: await freePort(),
        edgePort: await freePort(),
      }),
      log: silentLogger(),
      roles: { ingest: false, origin: true, edge: true },
    });
    try {
      const page = await newViewer();
      await page.goto(`http://127.0.0.1:${empty.ports.edge}/`);
      await expect.poll(() => page.textContent('#list-status'), { timeout: 10_000 }).toMatch(/No stream is live/);
      expect(await page.textContent('#message-title')).toBe('No stream is live');
      await page.context().close();
    } finally {
      await empty.close();
    }
  });
});

describe('first run: `streamfront demo`', () => {
  it('a newcomer sees video soon after the command (test pattern on live/demo, printed player URL)', async () => {
    const [rtmpPort, originPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    const t0 = Date.now();
    // The CLI from source (what `npm run demo` runs after its build), on loopback ports.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'demo',
        '--host',
        '127.0.0.1',
        '--rtmp-port',
        String(rtmpPort),
        '--origin-port',
        String(originPort),
        '--edge-port',
        String(edgePort),
        '--edge-https-port',
        '0',
        '--data-dir',
        path.join(work, 'demo-data'),
        '--log-level',
        'warn',
      ],
      { cwd: path.resolve('.'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const page = await newViewer();
    try {
      const deadline = Date.now() + 20_000;
      while (!/Open the player:\s+(\S+)/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no player URL printed:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const printed = /Open the player:\s+(\S+)/.exec(out)![1]!;
      expect(printed).toBe(`http://127.0.0.1:${edgePort}/?stream=live/demo`);
      await page.goto(printed);
      await until(page, 'demo video', (_h, t) => t > 0, 30_000);
      // The target is 10 s on an idle machine (measured about 5 s here). Timing targets are
      // figures, not assertions (common rules): the bound below only catches a demo that never
      // shows video; the measured time is printed.
      const seconds = (Date.now() - t0) / 1000;
      process.stdout.write(`streamfront demo: first video ${seconds.toFixed(1)} s after the command\n`);
      expect(seconds).toBeLessThanOrEqual(30);
      expect((await hook(page)).fatalErrors).toEqual([]);
    } finally {
      await page.context().close();
      child.kill('SIGTERM');
      // SIGTERM stops the test pattern and every packager ffmpeg, then exits 0.
      expect(await exited, out).toBe(0);
    }
  });
});
