// Integration: real ffmpeg output on disk (one process, HLS + HDS + Smooth for four streams in the
// stream-key.ts layout), the origin on 127.0.0.1:0, real HTTP. Checks every URL family end to end:
// manifests appear, every URL they reference is fetchable with the right type and Cache-Control
// (SPEC ORIGIN-01, VOD-04), validators, ranges, HEAD, short-lived 404s, and yt-dlp as an
// independent client (FIELD-NOTES §5).
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { startOrigin, type OriginHandle } from '../../src/origin/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import type { StreamKey } from '../../src/streams/stream-key.js';
import { formatDir, HDS_FILES, HLS_FILES, parseSmoothFragment, SMOOTH_FILES, type OutputFormat } from '../../src/timeline/output-layout.js';
import { abstFragments, startPackagerOutput, waitFor, type FixtureStream, type PackagerRun } from './packager-output.js';
import { liveStream } from '../helpers/live-stream.js';

const run = promisify(execFile);
const hasYtDlp = spawnSync('yt-dlp', ['--version']).status === 0;

const TALK: FixtureStream = { key: { app: 'live', name: 'talk' } };
const CAM: FixtureStream = { key: { app: 'cfx/st', name: 'cam' } };
const ALPHA: FixtureStream = { key: { app: 'livepkgr', name: 'alpha' }, event: 'ev1' };
const BETA: FixtureStream = { key: { app: 'livepkgr', name: 'beta' }, event: 'ev1' };
const STREAMS = [TALK, CAM, ALPHA, BETA];

const TYPES = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/MP2T',
  f4m: 'application/f4m+xml',
  bootstrap: 'application/octet-stream',
  f4f: 'video/f4f',
  ism: 'text/xml',
  ismc: 'video/mp4',
};

let dataDir: string;
let packager: PackagerRun;
let origin: OriginHandle;
let base: string;
const registry = new LiveRegistry();

async function get(pathOrUrl: string, init?: RequestInit): Promise<Response> {
  return fetch(pathOrUrl.startsWith('http') ? pathOrUrl : base + pathOrUrl, init);
}

async function fileText(key: StreamKey, format: OutputFormat, file: string): Promise<string> {
  return fs.readFile(path.join(formatDir(dataDir, key, format), file), 'utf8');
}

/** GET a URL and assert status, exact Content-Type and Cache-Control; returns the body. */
async function expectServed(url: string, type: string, cacheControl: string): Promise<Buffer> {
  const res = await get(url);
  const body = Buffer.from(await res.arrayBuffer());
  expect(res.status, url).toBe(200);
  expect(res.headers.get('content-type'), url).toBe(type);
  expect(res.headers.get('cache-control'), url).toBe(cacheControl);
  expect(res.headers.get('content-length'), url).toBe(String(body.length));
  expect(res.headers.get('content-encoding'), url).toBeNull();
  expect(body.length, url).toBeGreaterThan(0);
  return body;
}

function m3u8Uris(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Fetches an HLS playlist and every segment it lists, resolved against the playlist URL. */
async function checkHls(manifestPath: string): Promise<string[]> {
  const text = (await expectServed(manifestPath, TYPES.m3u8, 'max-age=2')).toString();
  expect(text.startsWith('#EXTM3U')).toBe(true);
  const uris = m3u8Uris(text);
  expect(uris.length, manifestPath).toBeGreaterThanOrEqual(2);
  const urls = uris.map((u) => new URL(u, base + manifestPath).href);
  for (const url of urls) {
    const body = await expectServed(url, TYPES.ts, 'max-age=60');
    expect(body[0], `${url} is MPEG-TS`).toBe(0x47);
  }
  return urls;
}

/** Fetches an f4m, its bootstrap and every fragment the bootstrap lists. */
async function checkHds(manifestPath: string): Promise<string[]> {
  const manifestUrl = base + manifestPath;
  const text = (await expectServed(manifestPath, TYPES.f4m, 'max-age=2')).toString();
  const bootstrap = /<bootstrapInfo\b[^>]*\burl="([^"]+)"/.exec(text)?.[1];
  const media = /<media\b[^>]*\burl="([^"]+)"/.exec(text)?.[1];
  expect(bootstrap, 'f4m bootstrap url').toMatch(/\.bootstrap$/); // SPEC ORIGIN-01
  expect(text).not.toContain('.abst');
  const abst = await expectServed(new URL(bootstrap!, manifestUrl).href, TYPES.bootstrap, 'max-age=2');
  const frags = abstFragments(abst);
  expect(frags.length, 'fragments in bootstrap').toBeGreaterThanOrEqual(2);
  const urls = frags.map((n) => `${new URL(media!, manifestUrl).href}Seg1-Frag${n}`);
  for (const url of urls) {
    const body = await expectServed(url, TYPES.f4f, 'max-age=60');
    expect(body.subarray(4, 8).toString('latin1'), `${url} starts with an F4F box`).toMatch(/afra|abst|moof|mdat/);
  }
  return urls;
}

/**
 * Fetches a Smooth manifest and every fragment its chunk list names, computing start times the way
 * a client does (`t=` where given, else previous start + `d=`), with unencoded parentheses.
 */
async function checkSmooth(manifestPath: string, live = true): Promise<string[]> {
  const manifestUrl = base + manifestPath;
  const text = (await expectServed(manifestPath, TYPES.ism, 'max-age=2')).toString();
  expect(text.includes('IsLive="true"')).toBe(live);
  const urls: string[] = [];
  for (const si of text.matchAll(/<StreamIndex\b([^>]*)>([\s\S]*?)<\/StreamIndex>/g)) {
    const template = /Url="([^"]+)"/.exec(si[1])![1];
    const bitrate = /<QualityLevel\b[^>]*Bitrate="(\d+)"/.exec(si[2])![1];
    const chunks = [...si[2].matchAll(/<c\b([^>]*)>/g)].map((m) => ({
      t: /\bt="(\d+)"/.exec(m[1])?.[1],
      d: Number(/\bd="(\d+)"/.exec(m[1])![1]),
    }));
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    expect(chunks[0].t, 'first chunk has a start time').toBeDefined();
    let next = 0;
    for (const c of chunks) {
      const t = c.t !== undefined ? Number(c.t) : next;
      next = t + c.d;
      urls.push(new URL(template.replace('{bitrate}', bitrate).replace('{start time}', String(t)), manifestUrl).href);
    }
  }
  expect(urls.some((u) => u.includes('Fragments(video=')) && urls.some((u) => u.includes('Fragments(audio='))).toBe(true);
  for (const url of urls) {
    expect(url).toMatch(/QualityLevels\(\d+\)\/Fragments\((video|audio)=\d+\)$/); // parentheses unencoded
    const body = await expectServed(url, TYPES.ismc, 'max-age=60');
    expect(body.subarray(4, 8).toString('latin1')).toBe('moof');
  }
  return urls;
}

async function liveManifestsReady(s: FixtureStream): Promise<boolean> {
  const m3u8 = await fileText(s.key, 'hls', HLS_FILES.playlist);
  const ism = await fileText(s.key, 'mss', SMOOTH_FILES.manifest);
  const abst = await fs.readFile(path.join(formatDir(dataDir, s.key, 'hds'), HDS_FILES.bootstrap('stream0')));
  return (
    m3u8Uris(m3u8).length >= 3 &&
    (ism.match(/<c t="/g) ?? []).length >= 4 && // ≥2 video + ≥2 audio entries
    abstFragments(abst).length >= 2
  );
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-origin-media-'));
  packager = await startPackagerOutput(dataDir, STREAMS, 14);
  for (const s of STREAMS) {
    registry.add(
      liveStream(s.key.app, s.key.name, {
        event: s.event,
        sessionId: `sess-${s.key.name}`,
        startedAt: new Date(),
        video: { codec: 'h264', width: 320, height: 180, fps: 25 },
        audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
        bitrateKbps: 364,
      }),
    );
  }
  const config = defaultConfig({ host: '127.0.0.1', originPort: 0, rtmpPort: 19355, dataDir });
  origin = await startOrigin({ config, registry, log: silentLogger() });
  base = `http://127.0.0.1:${origin.port}`;
  await waitFor(async () => (await Promise.all(STREAMS.map(liveManifestsReady))).every(Boolean), 20_000, 'live manifests of every stream');
}, 40_000);

afterAll(async () => {
  await packager?.stop(3000);
  await origin?.close();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('while the stream is live', () => {
  it('Wowza family: HLS, HDS and Smooth manifests and every URL they reference (SPEC ING-03)', async () => {
    const hls = await checkHls('/live/talk/playlist.m3u8');
    expect(hls[0]).toMatch(new RegExp(`^${base}/live/talk/seg_\\d{5}\\.ts$`));
    const hds = await checkHds('/live/talk/manifest.f4m');
    expect(hds[0]).toMatch(new RegExp(`^${base}/live/talk/stream0Seg1-Frag\\d+$`));
    const mss = await checkSmooth('/live/talk/Manifest');
    expect(mss[0].startsWith(`${base}/live/talk/QualityLevels(`)).toBe(true);
  });

  it('Wowza family for the two-level app cfx/st (SPEC RTMP-10)', async () => {
    expect((await checkHls('/cfx/st/cam/playlist.m3u8'))[0]).toContain('/cfx/st/cam/seg_');
    expect((await checkHds('/cfx/st/cam/manifest.f4m'))[0]).toContain('/cfx/st/cam/stream0Seg1-Frag');
    expect((await checkSmooth('/cfx/st/cam/Manifest'))[0]).toContain('/cfx/st/cam/QualityLevels(');
  });

  it('IIS family: .isml/manifest in any case, the m3u8 alias, encoded or not (SPEC ING-02)', async () => {
    const urls = await checkSmooth('/talk.isml/manifest');
    expect(urls[0].startsWith(`${base}/talk.isml/QualityLevels(`)).toBe(true);
    await checkSmooth('/talk.isml/Manifest');
    await checkSmooth('/live/talk.isml/manifest');
    await checkSmooth('/cfx/st/cam.isml/MANIFEST');
    const hls = await checkHls('/talk.isml/manifest(format=m3u8-aapl).m3u8');
    expect(hls[0]).toMatch(new RegExp(`^${base}/talk\\.isml/seg_\\d{5}\\.ts$`));
    await checkHls('/talk.isml/manifest%28format%3Dm3u8-aapl%29.m3u8');
    await checkHls('/cfx/st/cam.isml/manifest(format=m3u8-aapl).m3u8');
    // Percent-encoded Smooth fragment names reach the same file.
    const encoded = urls[0].replace('(', '%28').replace(')', '%29').replace('=', '%3D').replace('(', '%28').replace(')', '%29');
    expect(encoded).not.toBe(urls[0]);
    expect((await get(encoded)).status).toBe(200);
  });

  it('Adobe livepkgr family: two streams of one event do not collide (SPEC ING-01)', async () => {
    const a = await checkHls('/hls-live/livepkgr/_definst_/ev1/alpha.m3u8');
    const b = await checkHls('/hls-live/livepkgr/_definst_/ev1/beta.m3u8');
    expect(a[0]).toMatch(new RegExp(`^${base}/hls-live/livepkgr/_definst_/ev1/alpha/seg_\\d{5}\\.ts$`));
    expect(b[0]).toMatch(new RegExp(`^${base}/hls-live/livepkgr/_definst_/ev1/beta/seg_\\d{5}\\.ts$`));
    expect(new Set([...a, ...b]).size).toBe(a.length + b.length);
    const ha = await checkHds('/hds-live/livepkgr/_definst_/ev1/alpha.f4m');
    const hb = await checkHds('/hds-live/livepkgr/_definst_/ev1/beta.f4m');
    expect(ha[0]).toContain('/hds-live/livepkgr/_definst_/ev1/alpha/stream0Seg1-Frag');
    expect(new Set([...ha, ...hb]).size).toBe(ha.length + hb.length);
    const f4m = await (await get('/hds-live/livepkgr/_definst_/ev1/alpha.f4m')).text();
    expect(f4m).toContain('url="alpha/stream0.bootstrap"');
  });

  it('livepkgr URLs need the event the stream was published with', async () => {
    for (const p of [
      '/hls-live/livepkgr/_definst_/other/alpha.m3u8',
      '/hds-live/livepkgr/_definst_/other/alpha.f4m',
      '/hls-live/live/_definst_/ev1/talk.m3u8',
    ]) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('cache-control')).toBe('max-age=1');
    }
  });

  it('answers 404 max-age=1 for a segment that is being written or not there yet', async () => {
    const uris = m3u8Uris(await fileText(TALK.key, 'hls', HLS_FILES.playlist));
    const last = Number(/seg_(\d+)\.ts$/.exec(uris[uris.length - 1])![1]);
    const next = `seg_${String(last + 1).padStart(5, '0')}.ts`;
    const res = await get(`/live/talk/${next}`);
    expect(res.status).toBe(404); // on disk and growing, or not yet created: either way not served
    expect(res.headers.get('cache-control')).toBe('max-age=1');
    const far = await get('/live/talk/seg_99999.ts');
    expect(far.status).toBe(404);
    expect(far.headers.get('cache-control')).toBe('max-age=1');
    const frag = await get('/live/talk/stream0Seg1-Frag9999');
    expect(frag.status).toBe(404);
    expect(frag.headers.get('cache-control')).toBe('max-age=1');
    const mss = await get('/live/talk/QualityLevels(300000)/Fragments(video=1)');
    expect(mss.status).toBe(404);
  });

  it('/api/streams lists every live stream with every family, absolute and relative', async () => {
    const res = await get('/api/streams');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('max-age=1');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { streams: Array<Record<string, any>> };
    expect(body.streams.map((s) => s.id)).toEqual(['cfx/st/cam', 'live/talk', 'livepkgr/alpha', 'livepkgr/beta']);
    const alpha = body.streams[2];
    expect(alpha).toMatchObject({
      app: 'livepkgr',
      name: 'alpha',
      event: 'ev1',
      codecs: { video: 'h264', audio: 'aac' },
      bitrateKbps: 364,
      packaging: 'running',
      // its published path, and the CloudFront RTMP path (the name is live in one app only, SPEC RTMP-10)
      rtmp: ['rtmp://127.0.0.1:19355/livepkgr/alpha', 'rtmp://127.0.0.1:19355/cfx/st/alpha'],
    });
    expect(typeof alpha.startedAt).toBe('string');
    expect(alpha.urls.livepkgr.hls).toBe(`${base}/hls-live/livepkgr/_definst_/ev1/alpha.m3u8`);
    expect(body.streams[0].rtmp).toEqual(['rtmp://127.0.0.1:19355/cfx/st/cam']);
    // Every path and URL listed is a manifest the origin serves right now.
    for (const s of body.streams) {
      for (const family of Object.values(s.paths) as Array<Record<string, string>>) {
        for (const [fmt, p] of Object.entries(family)) {
          expect(s.urls).toBeDefined();
          const res2 = await get(p);
          expect(res2.status, `${s.id} ${fmt} ${p}`).toBe(200);
        }
      }
      for (const family of Object.values(s.urls) as Array<Record<string, string>>) {
        for (const u of Object.values(family)) expect(u.startsWith(`${base}/`)).toBe(true);
      }
    }
  });

  it('/healthz', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe('ok');
    expect(body.streams).toBe(4);
    expect(typeof body.uptimeSeconds).toBe('number');
  });
});

describe('after the packager stops (q on stdin)', () => {
  it('ffmpeg exits cleanly and HLS ends with #EXT-X-ENDLIST in every family', async () => {
    const code = await packager.stop(5000);
    expect(code, packager.stderr()).toBe(0);
    for (const p of [
      '/live/talk/playlist.m3u8',
      '/talk.isml/manifest(format=m3u8-aapl).m3u8',
      '/hls-live/livepkgr/_definst_/ev1/alpha.m3u8',
    ]) {
      const text = await (await get(p)).text();
      expect(text.trimEnd().endsWith('#EXT-X-ENDLIST'), p).toBe(true);
    }
    // Served from disk: the registry forgetting the stream does not stop the files being served.
    registry.remove(TALK.key);
    await checkHls('/live/talk/playlist.m3u8');
    expect(await (await get('/live/talk/manifest.f4m')).text()).toContain('<streamType>recorded</streamType>');
  });

  it('the final Smooth manifest gets its real start time, so every fragment it names resolves', async () => {
    const onDisk = await fileText(TALK.key, 'mss', SMOOTH_FILES.manifest);
    expect(onDisk).not.toContain('IsLive="true"');
    const urls = await checkSmooth('/talk.isml/manifest', false);
    expect(urls.length).toBeGreaterThanOrEqual(8);
    await checkSmooth('/cfx/st/cam/Manifest', false);
  });

  it('exact Cache-Control and Content-Type of every file type (SPEC ORIGIN-01, VOD-04)', async () => {
    const f4m = await (await get('/live/talk/manifest.f4m')).text();
    expect(f4m).toContain('url="stream0.bootstrap"');
    const table: Array<[string, string, string]> = [
      ['/live/talk/playlist.m3u8', TYPES.m3u8, 'max-age=2'],
      ['/live/talk/seg_00001.ts', TYPES.ts, 'max-age=60'],
      ['/live/talk/manifest.f4m', TYPES.f4m, 'max-age=2'],
      ['/live/talk/stream0.bootstrap', TYPES.bootstrap, 'max-age=2'],
      ['/live/talk/stream0Seg1-Frag1', TYPES.f4f, 'max-age=60'],
      ['/live/talk/Manifest', TYPES.ism, 'max-age=2'],
      ['/talk.isml/manifest', TYPES.ism, 'max-age=2'],
      ['/hds-live/livepkgr/_definst_/ev1/beta/stream0.bootstrap', TYPES.bootstrap, 'max-age=2'],
      ['/hds-live/livepkgr/_definst_/ev1/beta/stream0Seg1-Frag1', TYPES.f4f, 'max-age=60'],
    ];
    const level = (await fs.readdir(formatDir(dataDir, TALK.key, 'mss'))).find((d) => d === SMOOTH_FILES.level(300000))!;
    const frag = (await fs.readdir(path.join(formatDir(dataDir, TALK.key, 'mss'), level))).find(
      (f) => parseSmoothFragment(f)?.type === 'video',
    )!;
    table.push([`/live/talk/${level}/${frag}`, TYPES.ismc, 'max-age=60']);
    for (const [p, type, cc] of table) await expectServed(p, type, cc);
  });

  it('never gzips media even when the client asks for it (GZ-03)', async () => {
    for (const p of ['/live/talk/seg_00001.ts', '/live/talk/stream0Seg1-Frag1']) {
      const res = await get(p, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.headers.get('content-encoding')).toBeNull();
    }
  });

  it('ETag, Last-Modified and 304 for manifests and segments (SPEC CND-01/02)', async () => {
    for (const p of ['/live/talk/playlist.m3u8', '/live/talk/seg_00001.ts', '/live/talk/Manifest']) {
      const first = await get(p);
      const etag = first.headers.get('etag')!;
      const lm = first.headers.get('last-modified')!;
      expect(etag, p).toMatch(/^"[^"]+"$/); // strong
      expect(Number.isNaN(Date.parse(lm))).toBe(false);
      const byTag = await get(p, { headers: { 'if-none-match': etag } });
      expect(byTag.status, p).toBe(304);
      expect(byTag.headers.get('etag')).toBe(etag);
      expect(byTag.headers.get('cache-control')).toBe(first.headers.get('cache-control'));
      const byDate = await get(p, { headers: { 'if-modified-since': lm } });
      expect(byDate.status, p).toBe(304);
      const changed = await get(p, { headers: { 'if-none-match': '"not-it"' } });
      expect(changed.status, p).toBe(200);
    }
    // Manifest ETags come from the served bytes: each family's rewrite has its own.
    const pkgr = (await get('/hls-live/livepkgr/_definst_/ev1/alpha.m3u8')).headers.get('etag');
    const viaWowza = await get('/livepkgr/alpha/playlist.m3u8');
    expect(viaWowza.status).toBe(200);
    const wowza = viaWowza.headers.get('etag');
    expect(pkgr).toMatch(/^"[^"]+"$/);
    expect(wowza).not.toBe(pkgr);
  });

  it('single Range → 206, past the end → 416, several → 200; HEAD has headers only', async () => {
    const full = Buffer.from(await (await get('/live/talk/seg_00001.ts')).arrayBuffer());
    const part = await get('/live/talk/seg_00001.ts', { headers: { range: 'bytes=188-375' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 188-375/${full.length}`);
    expect(part.headers.get('content-length')).toBe('188');
    expect(Buffer.from(await part.arrayBuffer()).equals(full.subarray(188, 376))).toBe(true);
    const tail = await get('/live/talk/seg_00001.ts', { headers: { range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(full.subarray(full.length - 100))).toBe(true);
    const manifestPart = await get('/live/talk/Manifest', { headers: { range: 'bytes=0-4' } });
    expect(manifestPart.status).toBe(206);
    expect(await manifestPart.text()).toBe('<?xml');
    const beyond = await get('/live/talk/seg_00001.ts', { headers: { range: `bytes=${full.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${full.length}`);
    expect(beyond.headers.get('cache-control')).toBe('no-store');
    const multi = await get('/live/talk/seg_00001.ts', { headers: { range: 'bytes=0-1,5-6' } });
    expect(multi.status).toBe(200);
    expect(Buffer.from(await multi.arrayBuffer()).length).toBe(full.length);
    const head = await get('/live/talk/seg_00001.ts', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(full.length));
    expect(head.headers.get('content-type')).toBe(TYPES.ts);
    expect(head.headers.get('cache-control')).toBe('max-age=60');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const headManifest = await get('/live/talk/playlist.m3u8', { method: 'HEAD' });
    expect(Number(headManifest.headers.get('content-length'))).toBeGreaterThan(0);
    expect(headManifest.headers.get('accept-ranges')).toBe('bytes');
  });

  it.skipIf(!hasYtDlp)(
    'yt-dlp downloads the HLS (Wowza and livepkgr), the HDS and the Smooth stream through the origin',
    async () => {
      const out = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-ytdlp-'));
      try {
        for (const [name, p] of [
          ['wowza-hls', '/live/talk/playlist.m3u8'],
          ['pkgr-hls', '/hls-live/livepkgr/_definst_/ev1/beta.m3u8'],
          ['wowza-hds', '/cfx/st/cam/manifest.f4m'],
          ['iis-smooth', '/talk.isml/manifest'],
        ] as const) {
          await run(
            'yt-dlp',
            ['--no-cache-dir', '--no-part', '--no-progress', '--quiet', '-o', path.join(out, `${name}.%(ext)s`), base + p],
            { timeout: 60_000 },
          );
          const files = (await fs.readdir(out)).filter((f) => f.startsWith(`${name}.`));
          expect(files.length, name).toBe(1);
          const probe = await run('ffprobe', [
            '-v',
            'error',
            '-show_entries',
            'stream=codec_name',
            '-of',
            'csv=p=0',
            path.join(out, files[0]),
          ]);
          expect(probe.stdout.split('\n').filter(Boolean).sort(), name).toEqual(['aac', 'h264']);
        }
      } finally {
        await fs.rm(out, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
