// The player page's playback modes, latency figures and messages in headless Chromium through the
// edge, with the demo's real test-pattern publisher (ffmpeg over RTMP) stamping its wall-clock
// time code on every frame:
// - classic HLS plays with encoder-to-screen latency read from the frames, and hls.js's own figure;
// - the mode switch (LL-HLS default, classic HLS, DASH) changes what plays and the address;
//   LL-HLS and DASH run when /api/streams lists them and are skipped with the reason otherwise;
// - at 1280 px no stat value or label is cut off (screenshot in test-artifacts/player-1280.png);
// - a stream behind signed URLs (403 at the edge) is shown as protected;
// - a stream that ends is shown as ended, not as "not live yet".
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPattern, type TestPattern } from '../../src/demo/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { launchChromium, newViewer } from '../helpers/browser.js';
import { readHook, until, type PlayerHook } from '../helpers/browser-player.js';
import { loopbackConfig } from '../helpers/server-process.js';

const ARTIFACTS = path.resolve('test-artifacts');
const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-player-modes-'));
const { publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
let server: RunningServer;
let browser: Browser;
let edge = '';
let live: TestPattern | undefined;
let secure: TestPattern | undefined;
/** What /api/streams offers for live/tc (read once the stream is listed). */
let offered: { llhls?: string; dash?: string } = {};

function viewer(width = 1400): Promise<Page> {
  return newViewer(browser, { viewport: { width, height: 1000 } });
}

async function listed(id: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${edge}/api/streams`, { cache: 'no-store' });
  const body = (await res.json()) as { streams: Array<{ id: string; paths: { wowza: Record<string, string> } }> };
  return body.streams.find((s) => s.id === id) as Record<string, unknown> | undefined;
}

async function waitListed(id: string, ms: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await listed(id);
    if (s) return s;
    if (Date.now() > deadline) throw new Error(`${id} never appeared in /api/streams`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Plays `query` until currentTime has advanced `seconds` with no fatal error. */
async function playFor(page: Page, query: string, seconds: number): Promise<PlayerHook> {
  await page.goto(`${edge}/${query}`);
  await until(page, 'playing', (h) => h.state === 'playing', 45_000);
  const t0 = (await readHook(page)).currentTime!;
  return until(page, `currentTime +${seconds} s`, (h) => h.currentTime! >= t0 + seconds, 40_000);
}

beforeAll(async () => {
  const config = await loopbackConfig(path.join(work, 'data'), {
    originPort: await freePort(),
    edgePort: await freePort(),
    edge: {
      keyPairs: [{ id: 'APKAPLAYERTEST01', publicKey, signer: 'self' }],
      // Media of the `secure` app needs a signed URL (SPEC SIG-02); the player's list does not.
      distributions: [{ behaviors: [{ pathPattern: '/secure/*', trustedSigners: ['self'] }] }],
    },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  edge = `http://127.0.0.1:${server.ports.edge}`;
  const rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  live = startTestPattern({ ffmpegPath: 'ffmpeg', rtmpUrl: `${rtmp}/live/tc`, log: silentLogger(), timeCode: true });
  // Small and without a time code: it only has to be listed and packaged.
  secure = startTestPattern({
    ffmpegPath: 'ffmpeg',
    rtmpUrl: `${rtmp}/secure/tc`,
    log: silentLogger(),
    width: 320,
    height: 180,
    fps: 15,
    timeCode: false,
  });
  browser = await launchChromium();
  const entry = (await waitListed('live/tc', 30_000)) as { paths: { wowza: Record<string, string> } };
  offered = { llhls: entry.paths.wowza.llhls, dash: entry.paths.wowza.dash };
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([live?.stop(), secure?.stop()]);
  await server?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('player page modes and latency, in Chromium through the edge', () => {
  it('classic HLS (?mode=hls) plays with hls.js defaults and shows encoder-to-screen latency from the time code', async () => {
    const page = await viewer();
    const media: Array<{ url: string; headers: Record<string, string> }> = [];
    page.on('request', (r) => {
      if (/\/live\/tc\/.*\.(ts|m3u8)(\?|$)/.test(r.url())) media.push({ url: r.url(), headers: r.headers() });
    });
    const h = await playFor(page, '?stream=live/tc&mode=hls', 6);
    expect(h.fatalErrors).toEqual([]);
    expect(h.mode).toBe('hls');
    // CMCD goes in request headers (the session id is the same on every request), never in the
    // query, where it would split the edge's cache key.
    const segments = media.filter((m) => /\.ts(\?|$)/.test(m.url));
    expect(segments.length).toBeGreaterThan(1);
    for (const m of media) expect(m.url).not.toMatch(/CMCD=/i);
    const sessions = new Set(segments.map((m) => /sid="([^"]+)"/.exec(m.headers['cmcd-session'] ?? '')?.[1]));
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toMatch(/^[0-9a-f-]{8,}$/);
    const cmcd = (m: { headers: Record<string, string> }) =>
      Object.entries(m.headers)
        .filter(([k]) => k.startsWith('cmcd-'))
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ');
    expect(cmcd(segments[0]!), JSON.stringify(segments[0]!.headers)).toMatch(/cmcd-object: .*\bbr=\d+/);
    expect(segments.every((m) => /\bcid="live\/tc"/.test(cmcd(m)))).toBe(true);
    expect(h.engine).toMatch(/^hls\.js [\d.]+$/);
    expect(h.url).toBe(`${edge}/live/tc/playlist.m3u8`);
    // The strip on the frames reads back on (nearly) every frame shown: 6 s at 30 fps.
    expect(h.timeCodeFrames).toBeGreaterThan(100);
    const withGlass = await until(page, 'glass latency', (x) => x.glassLatency !== null, 5000);
    // Classic 2 s segments: several seconds, never negative (same clock), bounded.
    expect(withGlass.glassLatency!).toBeGreaterThan(0.5);
    expect(withGlass.glassLatency!).toBeLessThan(30);
    await expect.poll(() => page.textContent('#glass-latency')).toMatch(/^\d+\.\d\d s$/);
    expect(await page.textContent('#glass-detail')).toBe('time code on frame');
    // hls.js's own figure, next to it.
    expect(withGlass.latency!).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('#latency')).toMatch(/^\d+\.\d\d s$/);
    expect(await page.textContent('#latency-label')).toBe('hls.js latency');
    // Every fragment came through the edge.
    expect(withGlass.xcache.none).toBe(0);
    expect(withGlass.fragmentsLoaded).toBeGreaterThan(1);
    await page.context().close();
  });

  it('defaults to LL-HLS where offered, else plays classic HLS and says why; the switch changes mode and address', async () => {
    const page = await viewer();
    const h = await playFor(page, '?stream=live/tc', 2);
    expect(h.requestedMode).toBe('llhls');
    expect(h.availableModes).toEqual({ llhls: Boolean(offered.llhls), hls: true, dash: Boolean(offered.dash) });
    if (offered.llhls) {
      expect(h.mode).toBe('llhls');
      expect(await page.isVisible('#mode-note')).toBe(false);
    } else {
      expect(h.mode).toBe('hls');
      expect(await page.textContent('#mode-note')).toMatch(/LL-HLS is not offered .* playing classic HLS/);
      expect(await page.isDisabled('.mode-btn[data-mode="llhls"]')).toBe(true);
    }
    expect(await page.isDisabled('.mode-btn[data-mode="dash"]')).toBe(!offered.dash);
    expect(await page.getAttribute(`.mode-btn[data-mode="${h.mode}"]`, 'aria-checked')).toBe('true');

    // Switch to classic HLS explicitly: the address carries the mode, hls.js plays without low latency.
    await page.click('.mode-btn[data-mode="hls"]');
    expect(new URL(page.url()).search).toBe('?stream=live/tc&mode=hls');
    const hls = await until(page, 'classic HLS after the switch', (x) => x.mode === 'hls' && x.state === 'playing', 45_000);
    expect(hls.engine).not.toMatch(/low latency/);
    expect(await page.getAttribute('.mode-btn[data-mode="hls"]', 'aria-checked')).toBe('true');
    expect(hls.fatalErrors).toEqual([]);
    await page.context().close();
  });

  it('LL-HLS (playlist_sfm4s.m3u8) plays with hls.js lowLatencyMode, encoder-to-screen latency below classic HLS', async (ctx) => {
    if (!offered.llhls) ctx.skip('this server does not list paths.wowza.llhls in /api/streams (no LL-HLS output yet)');
    const page = await viewer();
    const h = await playFor(page, '?stream=live/tc&mode=llhls', 6);
    expect(h.fatalErrors).toEqual([]);
    expect(h.mode).toBe('llhls');
    expect(h.engine).toMatch(/low latency/);
    expect(h.url).toMatch(/\/live\/tc\/playlist_sfm4s\.m3u8$/);
    const g = await until(page, 'glass latency', (x) => x.glassLatency !== null, 5000);
    // The figure itself belongs to scripts/bench-glass.ts (target: median ≤ 2 s at 0.5 s parts).
    // Here: measured from the frames' own time code, and clearly below classic HLS (5.5–8 s on
    // this kind of machine), which is what lowLatencyMode on the parts must give. The pipeline's
    // PDT-based latency under 3 s is asserted in llhls-hlsjs.test.ts.
    console.info(`[player-modes] LL-HLS glass latency ${g.glassLatency!.toFixed(2)} s`);
    expect(g.glassLatency!).toBeGreaterThan(0);
    expect(g.glassLatency!).toBeLessThan(5);
    // Every HLS playlist carries the ingest program date-time.
    expect(g.pdtLatency).not.toBeNull();
    await page.context().close();
  });

  // Runs after the cases above have played the same stream for about a minute: the MPD must still
  // map media time to the server clock (an encoder that fell behind real time used to put
  // dash.js's live edge ahead of the SegmentTimeline), and dash.js must keep refreshing it.
  it('DASH (manifest_sfm4s.mpd) plays with dash.js, with latency shown', async (ctx) => {
    if (!offered.dash) ctx.skip('this server does not list paths.wowza.dash in /api/streams (no DASH output yet)');
    const page = await viewer();
    const h = await playFor(page, '?stream=live/tc&mode=dash', 6);
    expect(h.fatalErrors).toEqual([]);
    expect(h.mode).toBe('dash');
    expect(h.engine).toMatch(/^dash\.js/);
    const g = await until(page, 'latencies', (x) => x.glassLatency !== null && x.latency !== null, 8000);
    expect(g.glassLatency!).toBeLessThan(10);
    expect(await page.textContent('#latency-label')).toBe('dash.js latency');
    await page.context().close();
  });

  it('at 1280 px wide no stat value or label is cut off, live values and worst-case values alike', async () => {
    const page = await viewer(1280);
    await playFor(page, '?stream=live/tc&mode=hls', 3);
    await until(page, 'figures', (h) => h.glassLatency !== null && h.bitrate !== null, 10_000);
    const overflow = () =>
      page.evaluate(() =>
        Array.from(document.querySelectorAll('.stat-value, .stat-label, .stat-sub'))
          .filter((el) => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight + 1)
          .map((el) => `${el.id || el.className}: "${el.textContent}" ${el.scrollWidth}>${el.clientWidth}`),
      );
    expect(await overflow()).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'player-1280.png') });
    // The longest values the page can show, written and measured in one task (before the next stats tick).
    const cut = await page.evaluate(() => {
      const worst: Record<string, string> = {
        'glass-latency': '123.45 s',
        'pdt-latency': '123.45 s',
        latency: '123.45 s',
        bitrate: '12.34 Mbit/s',
        resolution: '3840×2160',
        buffer: '123.4 s',
        'hit-ratio': '100 %',
        bandwidth: '999.99 Mbit/s',
      };
      for (const [id, v] of Object.entries(worst)) document.getElementById(id)!.textContent = v;
      return Object.keys(worst).filter((id) => {
        const el = document.getElementById(id)!;
        return el.scrollWidth > el.clientWidth;
      });
    });
    expect(cut).toEqual([]);
    await page.context().close();
  });

  it('a stream behind signed URLs (403 at the edge) is shown as protected, and the page stops asking', async () => {
    await waitListed('secure/tc', 30_000);
    const page = await viewer();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${edge}/?stream=secure/tc&mode=hls`);
    const h = await until(page, 'protected', (x) => x.problem === 'protected', 30_000);
    expect(h.state).toBe('error');
    expect(await page.textContent('#message-title')).toBe('This stream is protected');
    expect(await page.textContent('#message-body')).toMatch(/HTTP 403.*signed URL or signed cookies/);
    const asked = requests.filter((u) => u.includes('/secure/tc/')).length;
    await page.waitForTimeout(3000);
    expect(requests.filter((u) => u.includes('/secure/tc/')).length).toBe(asked);
    await page.context().close();
  });

  it('after the stream ends the page says it ended (not "not live yet"), and keeps saying so', async () => {
    const page = await viewer();
    await playFor(page, '?stream=live/tc&mode=hls', 2);
    await live!.stop();
    const h = await until(page, 'ended', (x) => x.state === 'ended', 45_000);
    expect(h.endedAt).not.toBeNull();
    expect(await page.textContent('#message-title')).toBe('The stream has ended');
    expect(await page.textContent('#message-body')).toMatch(/^It ended at .*published again/);
    // The page re-checks for a republish every few seconds; the message stays "ended".
    await page.waitForTimeout(6000);
    const later = await readHook(page);
    expect(later.state).toBe('ended');
    expect(await page.textContent('#message-title')).toBe('The stream has ended');
    expect(await page.textContent('#message-body')).not.toMatch(/not live yet/);
    expect(await page.isVisible('#recording-link')).toBe(false);
    await page.context().close();
  });
});
