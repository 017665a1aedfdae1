// The CMAF output in a real player: hls.js (the copy the origin serves at /vendor/hls.min.js) in
// lowLatencyMode in Debian's Chromium plays `playlist_sfm4s.m3u8` from a real RTMP publish, from
// the origin and through an edge whose `*.m3u8` behaviour keys the `_HLS_*` query. currentTime
// must advance, no fatal hls.js error, and the latency from the program date-time of the frame on
// screen (server clock at ingest) to the page's clock (same machine) stays under 3 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { hlsJsState, launchChromium, newViewer, playWithHlsJs, type HlsJsState } from '../helpers/browser.js';
import { loopbackConfig } from '../helpers/server-process.js';

const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-llhls-'));
let server: RunningServer;
let browser: Browser;
let publisher: Publisher;

beforeAll(async () => {
  const config = await loopbackConfig(work, {
    edge: { distributions: [{ behaviors: [{ pathPattern: '*.m3u8', forwardQueryString: true }] }] },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/ll`);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await publisher?.stop();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

async function play(base: string): Promise<HlsJsState[]> {
  const page = await newViewer(browser);
  // A page on the origin (or edge) itself, so hls.js and the stream are same-origin.
  // Catching up after a stale start (a plain playlist an edge cached for its 2 s) is the player's job.
  await playWithHlsJs(page, base, `${base}/live/ll/playlist_sfm4s.m3u8`, { lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 });
  const samples: HlsJsState[] = [];
  for (let i = 0; i < 12; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(await hlsJsState(page));
  }
  await page.context().close();
  return samples;
}

describe('hls.js lowLatencyMode plays the LL-HLS master', () => {
  for (const via of ['origin', 'edge'] as const) {
    it(`through the ${via}`, async () => {
      const base = `http://127.0.0.1:${via === 'origin' ? server.ports.origin : server.ports.edge}`;
      const samples = await play(base);
      const last = samples.at(-1)!;
      expect(last.fatal).toEqual([]);
      // Playing: currentTime advanced by at least 5 s over the last 8 samples.
      expect(last.t - samples[3]!.t).toBeGreaterThan(5);
      // Latency from the ingest-time program date-time, once settled.
      const settled = samples
        .slice(4)
        .map((s) => s.latency)
        .filter((l): l is number => l !== null);
      expect(settled.length).toBeGreaterThan(0);
      const median = [...settled].sort((a, b) => a - b)[Math.floor(settled.length / 2)]!;
      expect(median, `latencies ${settled.map((l) => l.toFixed(2)).join(' ')}`).toBeLessThan(3);
      console.log(`hls.js LL-HLS via the ${via}: median latency ${median.toFixed(2)} s (program date-time to page clock)`);
    }, 90_000);
  }
});
