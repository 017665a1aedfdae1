// How the origin serves the player page's vendored npm assets (src/origin/player-assets.ts):
// hls.js and dash.js come from node_modules at /vendor/<name>, so the page needs no CDN, and
// nothing else under /vendor is reachable.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { startOrigin, type OriginHandle } from '../../src/origin/index.js';
import { VENDOR_ASSETS, vendorAssetFiles } from '../../src/origin/player-assets.js';
import { LiveRegistry } from '../../src/streams/registry.js';

let root: string;
let origin: OriginHandle;
let base: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-player-assets-'));
  const config = defaultConfig({ host: '127.0.0.1', originPort: 0, dataDir: path.join(root, 'data'), logLevel: 'silent' });
  origin = await startOrigin({ config, registry: new LiveRegistry(), log: silentLogger(), rtmpPort: 19999 });
  base = `http://127.0.0.1:${origin.port}`;
});

afterAll(async () => {
  await origin?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('vendored player libraries', () => {
  it('resolves hls.js and dash.js from node_modules (both are runtime dependencies)', () => {
    const files = vendorAssetFiles();
    expect([...files.keys()].sort()).toEqual(Object.keys(VENDOR_ASSETS).sort());
    expect(files.get('/vendor/hls.min.js')).toMatch(/node_modules\/hls\.js\/dist\/hls\.min\.js$/);
    // The UMD build: a classic <script> that defines window.dashjs.
    expect(files.get('/vendor/dash.all.min.js')).toMatch(/node_modules\/dashjs\/dist\/modern\/umd\/dash\.all\.min\.js$/);
  });

  it.each([
    ['/vendor/hls.min.js', 'Hls'],
    ['/vendor/dash.all.min.js', 'dashjs'],
  ])('%s is served as JavaScript with the player max-age, and conditional requests work', async (p, global) => {
    const res = await fetch(base + p);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('max-age=60');
    const body = await res.text();
    expect(body.length).toBeGreaterThan(100_000);
    expect(body).toContain(global);
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    expect((await fetch(base + p, { headers: { 'if-none-match': etag! } })).status).toBe(304);
  });

  it.each([
    '/vendor/dash.all.js',
    '/vendor/',
    '/vendor/../package.json',
    '/vendor/hls.min.js/x',
    '/vendor/DASH.ALL.MIN.JS',
    '/vendor/dashjs',
  ])('%s is not served', async (p) => {
    const res = await fetch(base + p);
    expect([400, 404]).toContain(res.status);
  });
});
