// Chromium for the e2e tests and scripts/bench-glass.ts: Debian's binary driven by playwright-core,
// one page per viewer, what a page logged for failure messages, DevTools network emulation, and a
// bare page playing a URL with the origin's own hls.js. The player page's testing hook is in
// browser-player.ts.
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
// FIELD-NOTES §6 plus what keeps a headless run quiet and offline.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
];

/** launch() gives Chromium a new, empty temporary profile of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export interface ViewerOptions {
  viewport?: BrowserContextOptions['viewport'];
  /** Cookies set before the first request, each for `url` (e.g. CloudFront signed cookies). */
  cookies?: { url: string; values: Record<string, string> };
}

/**
 * A page in a browser context of its own: a separate viewer with its own HTTP cache and cookies
 * (within one context the browser's cache would replay the first viewer's stored responses).
 * Closing it: `page.context().close()`.
 */
export async function newViewer(browser: Browser, opts: ViewerOptions = {}): Promise<Page> {
  const context = await browser.newContext(opts.viewport ? { viewport: opts.viewport } : {});
  if (opts.cookies) {
    const { url, values } = opts.cookies;
    await context.addCookies(
      Object.entries(values).map(([name, value]) => ({ name, value, url, httpOnly: true, sameSite: 'Strict' as const })),
    );
  }
  return context.newPage();
}

export interface TrailOptions {
  /** Also note each response and failed request, with this prefix cut from their URLs. */
  requests?: { base: string };
  /** Lines kept (the newest), 200 by default. */
  max?: number;
}

/** The page's console lines and page errors (and requests when asked), the newest `max`, for a failure message. */
export function pageTrail(page: Page, opts: TrailOptions = {}): { lines: string[]; text(): string } {
  const max = opts.max ?? 200;
  const lines: string[] = [];
  const note = (line: string) => {
    lines.push(line.slice(0, 300));
    if (lines.length > max) lines.shift();
  };
  page.on('console', (m) => note(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => note(`pageerror: ${e.message}`));
  const base = opts.requests?.base;
  if (base !== undefined) {
    page.on('response', (res) => note(`${res.status()} ${res.url().replace(base, '')}`));
    page.on('requestfailed', (req) => note(`failed ${req.url().replace(base, '')} ${req.failure()?.errorText ?? ''}`));
  }
  return { lines, text: () => lines.join('\n') };
}

/**
 * DevTools network emulation for `page` (CDP Network.emulateNetworkConditions): the function it
 * returns sets `kbps` down and up with a little latency, or lifts the limit when given undefined.
 */
export async function networkThrottle(page: Page): Promise<(kbps: number | undefined) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  return async (kbps) => {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: kbps === undefined ? 0 : 40,
      downloadThroughput: kbps === undefined ? -1 : (kbps * 1000) / 8,
      uploadThroughput: kbps === undefined ? -1 : (kbps * 1000) / 8,
    });
  };
}

/** What a bare hls.js page shows: currentTime, program date-time latency (s) and hls.js's fatal errors. */
export interface HlsJsState {
  t: number;
  latency: number | null;
  fatal: string[];
}

/**
 * Turns `page` into a bare player on `base` (its public `/healthz`, so that hls.js, served by the
 * origin at /vendor/hls.min.js, and the stream are same-origin) playing `src` with hls.js `config`;
 * fatal hls.js errors are collected for hlsJsState().
 */
export async function playWithHlsJs(page: Page, base: string, src: string, config: Record<string, unknown>): Promise<void> {
  await page.goto(`${base}/healthz`);
  await page.setContent(`<video id="v" muted autoplay playsinline></video><script src="${base}/vendor/hls.min.js"></script>`);
  await page.waitForFunction(() => (window as unknown as { Hls?: unknown }).Hls !== undefined, undefined, { timeout: 20_000 });
  await page.evaluate(
    ([url, cfg]) => {
      const w = window as unknown as { Hls: any; hls: any; fatal: string[] };
      const v = document.getElementById('v') as HTMLVideoElement;
      w.fatal = [];
      const hls = new w.Hls(cfg);
      w.hls = hls;
      hls.on(w.Hls.Events.ERROR, (_e: unknown, d: { fatal: boolean; details: string }) => {
        if (d.fatal) w.fatal.push(d.details);
      });
      hls.loadSource(url);
      hls.attachMedia(v);
      void v.play().catch(() => undefined);
    },
    [src, config] as const,
  );
}

export function hlsJsState(page: Page): Promise<HlsJsState> {
  return page.evaluate(() => {
    const w = window as unknown as { hls: any; fatal: string[] };
    const v = document.getElementById('v') as HTMLVideoElement;
    const date: Date | null = w.hls.playingDate ?? null;
    return { t: v.currentTime, latency: date ? (Date.now() - date.getTime()) / 1000 : null, fatal: [...w.fatal] };
  });
}

/** What a bare dash.js page reports: its DVR window (getDvrWindow), live latency and currentTime. */
export interface DashJsState {
  t: number;
  window: { start: number; end: number; size: number } | null;
  latency: number | null;
  errors: string[];
}

/**
 * Turns `page` into a bare dash.js player on `base` (same-origin, as playWithHlsJs) playing the
 * MPD at `src` with live catch-up on, as the player page configures it.
 */
export async function playWithDashJs(page: Page, base: string, src: string): Promise<void> {
  await page.goto(`${base}/healthz`);
  await page.setContent(`<video id="v" muted autoplay playsinline></video><script src="${base}/vendor/dash.all.min.js"></script>`);
  await page.waitForFunction(() => (window as unknown as { dashjs?: unknown }).dashjs !== undefined, undefined, { timeout: 20_000 });
  await page.evaluate((url) => {
    const w = window as unknown as { dashjs: any; dash: any; errors: string[] };
    const v = document.getElementById('v') as HTMLVideoElement;
    w.errors = [];
    const player = w.dashjs.MediaPlayer().create();
    w.dash = player;
    player.updateSettings({ debug: { logLevel: 2 }, streaming: { liveCatchup: { enabled: true } } });
    player.on(w.dashjs.MediaPlayer.events.ERROR, (e: { error?: { code?: unknown; message?: unknown } }) => {
      w.errors.push(`${String(e?.error?.code)}:${String(e?.error?.message)}`.slice(0, 200));
    });
    player.initialize(v, url, true);
  }, src);
}

export function dashJsState(page: Page): Promise<DashJsState> {
  return page.evaluate(() => {
    const w = window as unknown as { dash: any; errors: string[] };
    const v = document.getElementById('v') as HTMLVideoElement;
    let win: DashJsState['window'] = null;
    let latency: number | null = null;
    try {
      const d = w.dash.getDvrWindow();
      if (Number.isFinite(d?.start) && Number.isFinite(d?.end)) win = { start: d.start, end: d.end, size: d.end - d.start };
      const l = w.dash.getCurrentLiveLatency();
      latency = Number.isFinite(l) ? l : null;
    } catch {
      /* dash.js has not initialised playback yet */
    }
    return { t: v.currentTime, window: win, latency, errors: [...w.errors] };
  });
}
