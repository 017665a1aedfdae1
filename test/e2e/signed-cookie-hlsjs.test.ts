// A cookie-protected live stream in a stock player: real ffmpeg publishes over RTMP, the whole
// server runs in this process, and hls.js (the copy the origin serves at /vendor/hls.min.js) in
// Debian's Chromium plays `/live/<stream>/playlist.m3u8` through an edge whose `/live/*` behaviour
// trusts a key group. One set of signed cookies from @aws-sdk/cloudfront-signer (getSignedCookies,
// custom policy with a wildcard resource), set with the browser's cookie API, must carry the
// playlist and every segment; a viewer without it gets CloudFront's XML 403 and no media.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { waitForSegments } from '../helpers/hls-live.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { hlsJsState, launchChromium, newViewer, playWithHlsJs } from '../helpers/browser.js';
import { loopbackConfig } from '../helpers/server-process.js';

const STREAM = 'live/e2esigned';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const work = mkdtempSync(path.join(tmpdir(), 'sf-e2e-signed-'));
let server: RunningServer;
let browser: Browser;
let publisher: Publisher;
let edge = '';
/** A segment the stream has listed (read from the unprotected origin). */
let segmentPath = '';

beforeAll(async () => {
  const config = await loopbackConfig(work, {
    edge: {
      publicKeys: [{ id: 'K2E2EPLAYER', name: 'players', encodedKey: keys.publicKey }],
      keyGroups: [{ id: 'players', items: ['K2E2EPLAYER'] }],
      distributions: [{ behaviors: [{ pathPattern: '/live/*', trustedKeyGroups: ['players'], forwardQueryString: true }] }],
    },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  edge = `http://127.0.0.1:${server.ports.edge}`;
  publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/${STREAM}`);
  // The origin is not protected: wait there until the stream has a few segments.
  const listed = await waitForSegments(`http://127.0.0.1:${server.ports.origin}/${STREAM}/playlist.m3u8`, 3, 60_000);
  segmentPath = new URL(listed.segments.at(-1)!.uri, `${edge}/${STREAM}/playlist.m3u8`).pathname;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await publisher?.stop();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

interface Seen {
  url: string;
  status: number;
  contentType: string;
}

/** A page on the edge (public `/healthz`) with hls.js playing the stream; every /live/ response recorded. */
async function play(cookies: Record<string, string> | undefined): Promise<{ page: Page; seen: Seen[] }> {
  const page = await newViewer(browser, cookies ? { cookies: { url: edge, values: cookies } } : {});
  const seen: Seen[] = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/live/'))
      seen.push({ url: u.pathname + u.search, status: r.status(), contentType: r.headers()['content-type'] ?? '' });
  });
  await playWithHlsJs(page, edge, `${edge}/${STREAM}/playlist.m3u8`, { manifestLoadingMaxRetry: 0 });
  return { page, seen };
}

const state = hlsJsState;

describe('one signed cookie set plays a protected HLS stream through the edge (hls.js, Chromium)', () => {
  it('with the cookies: the playlist and every segment load, and playback advances', async () => {
    const cookies = getSignedCookies({
      keyPairId: 'K2E2EPLAYER',
      privateKey: keys.privateKey,
      policy: JSON.stringify({
        Statement: [
          { Resource: `${edge}/${STREAM}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 } } },
        ],
      }),
    }) as unknown as Record<string, string>;
    expect(Object.keys(cookies).sort()).toEqual(['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
    const { page, seen } = await play(cookies);
    let s = await state(page);
    let start: number | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && s.fatal.length === 0) {
      if (start === undefined && s.t > 0) start = s.t;
      if (start !== undefined && s.t - start > 6) break;
      await page.waitForTimeout(500);
      s = await state(page);
    }
    expect(s.fatal).toEqual([]);
    expect(start, `playback never started; responses ${JSON.stringify(seen)}`).toBeDefined();
    expect(s.t - start!).toBeGreaterThan(6);
    const playlists = seen.filter((r) => /\.m3u8(\?|$)/.test(r.url));
    const segments = seen.filter((r) => !/\.m3u8(\?|$)/.test(r.url));
    expect(playlists.length).toBeGreaterThanOrEqual(2); // a live playlist is reloaded
    expect(segments.length).toBeGreaterThanOrEqual(3);
    expect(segments.every((r) => r.url.startsWith(`/${STREAM}/`))).toBe(true);
    expect(seen.filter((r) => r.status !== 200)).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('without them: the playlist is refused with CloudFront XML (MissingKey), so are the segments, and nothing plays', async () => {
    const { page, seen } = await play(undefined);
    await page.waitForFunction(() => (window as unknown as { fatal: string[] }).fatal.length > 0, undefined, { timeout: 20_000 });
    expect((await state(page)).fatal).toContain('manifestLoadError');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.status === 403 && r.contentType === 'text/xml')).toBe(true);
    const segment = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, body: await r.text() };
    }, `${edge}${segmentPath}`);
    expect(segment.status).toBe(403);
    expect(segment.body).toContain('<Code>MissingKey</Code>');
    expect((await state(page)).t).toBe(0);
    await page.context().close();
  }, 60_000);
});
