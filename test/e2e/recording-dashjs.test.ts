// A recording of an ABR event played by dash.js in Chromium through the edge, as a viewer of the
// event's replay would: real ffmpeg publishes 480p over RTMP with ?record=1 and the default ladder,
// then leaves; the recording's static MPD (/api/recordings' `urls.dash`) offers every rung, dash.js
// plays it, switches to the lowest rung when told to, seeks and plays on to the end, with no error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { launchChromium, newViewer, playWithDashJs } from '../helpers/browser.js';
import { readText, waitFor } from '../packager/stack.js';
import { formatDir, HLS_FILES } from '../../src/timeline/output-layout.js';
import { startPublisher } from '../helpers/publisher.js';
import { freePort } from '../helpers/ports.js';
import { loopbackConfig } from '../helpers/server-process.js';

const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-rec-dash-'));
let server: RunningServer;
let browser: Browser;
let edge = '';
let recording: { urls: { dash: string }; duration: number; rungs: { name: string }[] };

interface Playback {
  t: number;
  duration: number;
  ended: boolean;
  height: number;
  /** Heights of the video Representations dash.js offers, in its order. */
  heights: number[];
  errors: string[];
}

const playback = (page: Page): Promise<Playback> =>
  page.evaluate(() => {
    const w = window as unknown as { dash: any; errors: string[] };
    const v = document.getElementById('v') as HTMLVideoElement;
    let heights: number[] = [];
    try {
      heights = (w.dash.getRepresentationsByType('video') as { height: number }[]).map((r) => r.height);
    } catch {
      /* not initialised yet */
    }
    return { t: v.currentTime, duration: v.duration, ended: v.ended, height: v.videoHeight, heights, errors: [...w.errors] };
  });

beforeAll(async () => {
  const config = await loopbackConfig(path.join(work, 'data'), {
    originPort: await freePort(),
    edgePort: await freePort(),
    packager: { ladder: 'default' },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  edge = `http://127.0.0.1:${server.ports.edge}`;
  const origin = `http://127.0.0.1:${server.ports.origin}`;
  const topRung = path.join(formatDir(path.join(work, 'data'), { app: 'live', name: 'replay' }, 'hls'), HLS_FILES.rungPlaylist('source'));
  const pub = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/replay?record=1`, {
    fixture: { width: 854, height: 480, fps: 25, gopSeconds: 1, seconds: 10, videoKbps: 800, audioKbps: 96, sampleRate: 48000 },
  });
  try {
    // About 12 s of event: six 2-s segments per rung.
    await waitFor('six segments of the top rung', () => ((readText(topRung) ?? '').match(/#EXTINF/g) ?? []).length >= 6, 90_000, 250);
  } finally {
    await pub.stop();
  }
  recording = await waitFor(
    'the recording',
    async () => ((await (await fetch(`${origin}/api/recordings`)).json()) as { recordings: (typeof recording)[] }).recordings[0],
    90_000,
    250,
  );
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('a ladder recording in dash.js', () => {
  it('plays every rung it offers, seeks, and ends at the recording’s duration without an error', async () => {
    expect(recording.rungs.map((r) => r.name)).toEqual(['source', '360p', '240p']);
    const page = await newViewer(browser);
    // Through the edge, as a viewer of the replay fetches it.
    await playWithDashJs(page, edge, edge + new URL(recording.urls.dash).pathname);
    const started = await waitFor(
      'playback',
      async () => {
        const p = await playback(page);
        return p.t > 1 ? p : undefined;
      },
      30_000,
      250,
    );
    expect([...started.heights].sort((a, b) => b - a)).toEqual([480, 360, 240]);
    expect(started.duration).toBeCloseTo(recording.duration, 0);

    // The lowest rung, chosen by hand (ABR off for video): its frames reach the screen.
    await page.evaluate((index) => {
      const w = window as unknown as { dash: any };
      w.dash.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
      w.dash.setRepresentationForTypeByIndex('video', index, true);
    }, started.heights.indexOf(240));
    // On screen within a line of 240: the rung's frames are 428×240 with the sample aspect ratio
    // that keeps the source's picture shape, which Chromium applies to the natural height.
    await waitFor(
      'the 240p rung on screen',
      async () => (Math.abs((await playback(page)).height - 240) <= 1 ? true : undefined),
      30_000,
      250,
    );

    await page.evaluate((to) => (window as unknown as { dash: any }).dash.seek(to), recording.duration / 2);
    const end = await waitFor(
      'the end',
      async () => {
        const p = await playback(page);
        return p.ended ? p : undefined;
      },
      60_000,
      250,
    );
    expect(end.errors).toEqual([]);
    expect(end.t).toBeCloseTo(recording.duration, 0);
  }, 150_000);
});
