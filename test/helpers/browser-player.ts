// The demo player page's testing hook, `window.__player` (player/player.js), read from Chromium:
// shared by the player e2e tests and scripts/bench-glass.ts. Launching is in browser.ts.
import type { Page } from 'playwright-core';
import type { SeekBarModel } from '../../player/dvr-seek.js';
import type { RenditionPicker } from '../../player/renditions.js';

export type PlayMode = 'llhls' | 'hls' | 'dash';

export interface PlayerHook {
  state: string;
  stream: string | null;
  requestedMode: PlayMode;
  mode: PlayMode | null;
  modeFallback: string | null;
  availableModes: Record<PlayMode, boolean>;
  engine: string | null;
  url: string | null;
  latency: number | null;
  glassLatency: number | null;
  glassSamples: Array<[number, number]>;
  timeCodeFrames: number;
  pdtLatency: number | null;
  problem: string | null;
  endedAt: string | null;
  bitrate: number | null;
  resolution: string | null;
  buffer: number | null;
  hitRatio: number | null;
  xcache: { hit: number; refresh: number; miss: number; error: number; none: number };
  fragmentsLoaded: number;
  fatalErrors: string[];
  errors: string[];
  /** The DVR seek bar's model (player/dvr-seek.js); null while it is hidden. */
  seekable: SeekBarModel | null;
  /** The rendition picker's state (player/renditions.js). */
  renditions: RenditionPicker['state'];
  currentTime?: number;
}

/** The hook without the (long) sample list. */
export async function readHook(page: Page): Promise<PlayerHook> {
  return page.evaluate(() => {
    const h = (window as unknown as { __player: PlayerHook }).__player;
    return { ...h, glassSamples: [], currentTime: document.querySelector('video')!.currentTime };
  });
}

/** Time-code samples shown after `sinceMs` (wall clock): [shown at, latency ms]. */
export async function glassSamplesSince(page: Page, sinceMs: number): Promise<Array<[number, number]>> {
  return page.evaluate(
    (since) => (window as unknown as { __player: PlayerHook }).__player.glassSamples.filter(([t]) => t >= since),
    sinceMs,
  );
}

/** Polls the page until `pred` holds; the error names the last state seen. */
export async function until(page: Page, what: string, pred: (h: PlayerHook) => boolean, ms: number): Promise<PlayerHook> {
  const deadline = Date.now() + ms;
  let h = await readHook(page);
  while (!pred(h)) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out; player state ${JSON.stringify(h)}`);
    await page.waitForTimeout(250);
    h = await readHook(page);
  }
  return h;
}
