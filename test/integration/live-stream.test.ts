// The whole product path with real processes: ffmpeg publishes over RTMP to each ingest form
// (SPEC ING-01/02/03, RTMP-10), the packager's ffmpeg writes HLS/HDS/Smooth, and the origin and
// the edge serve every URL family with the documented Cache-Control (SPEC ORIGIN-01).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { formatDir } from '../../src/timeline/output-layout.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { ffprobe } from '../helpers/media.js';
import { fetchPlaylist, segmentUrl, waitForSegments } from '../helpers/hls-live.js';
import { ffmpegReadersOf, waitForExit } from '../helpers/proc.js';
import { loopbackConfig } from '../helpers/server-process.js';

let server: RunningServer;
let dataDir: string;
const publishers: Publisher[] = [];
let origin: string;
let edge: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-live-'));
  const config = await loopbackConfig(dataDir);
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  edge = `http://127.0.0.1:${server.ports.edge}`;
  const rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  for (const url of [`${rtmp}/live/talk`, `${rtmp}/livepkgr/lp?adbe-live-event=ev1`, `${rtmp}/cfx/st/cf`]) {
    publishers.push(await startPublisher(url));
  }
});

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.stop()));
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Every URI an HLS playlist lists must be fetchable under the same URL family. */
async function expectHlsFamily(base: string, playlistPath: string): Promise<void> {
  const url = base + playlistPath;
  const playlist = await waitForSegments(url, 2, 30_000);
  const res = await get(url);
  expect(res.headers.get('cache-control')).toBe('max-age=2');
  expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.apple\.mpegurl/);
  const seg = playlist.segments[playlist.segments.length - 1]!;
  const segRes = await get(segmentUrl(url, seg.uri));
  expect(segRes.status, `${seg.uri} under ${playlistPath}`).toBe(200);
  expect(segRes.headers.get('cache-control')).toBe('max-age=60');
  expect(segRes.headers.get('content-type')).toMatch(/^video\/MP2T/i);
  expect(segRes.body[0]).toBe(0x47); // MPEG-TS sync byte
}

async function waitForOk(
  url: string,
  timeoutMs = 30_000,
  ready: (body: string) => boolean = () => true,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await get(url);
    if (res.status === 200 && res.body.length > 0 && ready(res.body.toString('utf8'))) return res;
    if (Date.now() > end) throw new Error(`${url}: ${res.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('RTMP publish → packaging → origin and edge', () => {
  it('serves the Wowza HLS family on the origin and through the edge (SPEC ING-03, ORIGIN-01)', async () => {
    await expectHlsFamily(origin, '/live/talk/playlist.m3u8');
    await expectHlsFamily(edge, '/live/talk/playlist.m3u8');
    const viaEdge = await get(`${edge}/live/talk/playlist.m3u8`);
    expect(viaEdge.headers.get('x-cache')).toMatch(/^(Hit|Miss|RefreshHit) from cloudfront$/);
    expect(viaEdge.headers.get('via')).toMatch(/^1\.1 [a-z0-9]+\.cloudfront\.net \(CloudFront\)$/);
  });

  it('serves HDS with a .bootstrap name and fetchable fragments (SPEC ORIGIN-01)', async () => {
    const f4m = await waitForOk(`${origin}/live/talk/manifest.f4m`);
    expect(f4m.headers.get('cache-control')).toBe('max-age=2');
    expect(f4m.headers.get('content-type')).toMatch(/^application\/f4m\+xml/);
    const text = f4m.body.toString('utf8');
    expect(text).toContain('<streamType>live</streamType>');
    const bootstrapUrl = /bootstrapInfo[^>]*url="([^"]+)"/.exec(text)?.[1];
    expect(bootstrapUrl).toMatch(/\.bootstrap$/);
    const boot = await get(new URL(bootstrapUrl!, `${origin}/live/talk/manifest.f4m`).toString());
    expect(boot.status).toBe(200);
    expect(boot.headers.get('cache-control')).toBe('max-age=2');
    expect(boot.body.subarray(4, 8).toString('latin1')).toBe('abst');
    // The first fragment still inside the live window: media url + Seg1-Frag<n>.
    const media = /<media[^>]*url="([^"]+)"/.exec(text)?.[1];
    const frags = fs.readdirSync(formatDir(dataDir, { app: 'live', name: 'talk' }, 'hds')).filter((f) => /Seg1-Frag\d+$/.test(f));
    const newest = frags.map((f) => Number(/Frag(\d+)$/.exec(f)![1])).sort((a, b) => b - a)[1] ?? 1;
    const frag = await get(new URL(`${media}Seg1-Frag${newest}`, `${origin}/live/talk/manifest.f4m`).toString());
    expect(frag.status).toBe(200);
    expect(frag.headers.get('cache-control')).toBe('max-age=60');
  });

  it('serves live Smooth Streaming under the Wowza and IIS shapes (SPEC ING-02)', async () => {
    // The first live Manifest lists no chunks yet (lookahead); wait for one with start times.
    const manifest = await waitForOk(`${origin}/live/talk/Manifest`, 30_000, (xml) => /Type="video"[\s\S]*?<c t=/.test(xml));
    expect(manifest.headers.get('cache-control')).toBe('max-age=2');
    const xml = manifest.body.toString('utf8');
    expect(xml).toContain('IsLive="true"');
    const iis = await waitForOk(`${edge}/talk.isml/manifest`);
    expect(iis.body.toString('utf8')).toContain('<SmoothStreamingMedia');
    // A video fragment named from the manifest: QualityLevels({bitrate})/Fragments(video={start time}).
    const bitrate = /Type="video"[\s\S]*?<QualityLevel[^>]*Bitrate="(\d+)"/.exec(xml)?.[1];
    const t = /Type="video"[\s\S]*?<c t="(\d+)"/.exec(xml)?.[1];
    expect(bitrate && t, xml).toBeTruthy();
    const frag = await get(`${edge}/talk.isml/QualityLevels(${bitrate})/Fragments(video=${t})`);
    expect(frag.status).toBe(200);
    expect(frag.headers.get('cache-control')).toBe('max-age=60');
    expect(frag.headers.get('content-type')).toBe('video/mp4');
    const hlsAlias = await waitForOk(`${edge}/talk.isml/manifest(format=m3u8-aapl).m3u8`);
    expect(hlsAlias.body.toString('utf8')).toContain('#EXTM3U');
  });

  it('serves a livepkgr publish under /hls-live and /hds-live (SPEC ING-01, 2.1)', async () => {
    await expectHlsFamily(edge, '/hls-live/livepkgr/_definst_/ev1/lp.m3u8');
    const f4m = await waitForOk(`${origin}/hds-live/livepkgr/_definst_/ev1/lp.f4m`);
    expect(f4m.headers.get('cache-control')).toBe('max-age=2');
    const wrongEvent = await get(`${origin}/hls-live/livepkgr/_definst_/other/lp.m3u8`);
    expect(wrongEvent.status).toBe(404);
  });

  it('accepts the CloudFront RTMP path rtmp://host/cfx/st/<stream> (SPEC RTMP-10)', async () => {
    await expectHlsFamily(edge, '/cfx/st/cf/playlist.m3u8');
  });

  it('plays any live stream over RTMP at rtmp://host/cfx/st/<stream>, with FMS play-name prefixes (SPEC RTMP-10, RTMP-22)', async () => {
    for (const name of ['talk', 'mp4:talk']) {
      const probe = await ffprobe(`rtmp://127.0.0.1:${server.ports.rtmp}/cfx/st/${name}`);
      expect(probe.streams.map((s) => s.codec_name).sort(), name).toEqual(['aac', 'h264']);
    }
  });

  it('lists the live streams in /api/streams with every manifest URL', async () => {
    const res = await get(`${origin}/api/streams`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body.toString('utf8')) as {
      streams: Array<{ app: string; name: string; event: string | null; paths: Record<string, Record<string, string>> }>;
    };
    const byId = new Map(body.streams.map((s) => [`${s.app}/${s.name}`, s]));
    expect([...byId.keys()].sort()).toEqual(['cfx/st/cf', 'live/talk', 'livepkgr/lp']);
    expect(byId.get('livepkgr/lp')!.event).toBe('ev1');
    expect(byId.get('live/talk')!.paths.wowza!.hls).toBe('/live/talk/playlist.m3u8');
    expect(byId.get('livepkgr/lp')!.paths.livepkgr!.hls).toBe('/hls-live/livepkgr/_definst_/ev1/lp.m3u8');
  });

  it('ends HLS with #EXT-X-ENDLIST and reaps the packager ffmpeg when the publisher stops', async () => {
    const packagerPids = () => ffmpegReadersOf(process.pid, `rtmp://127.0.0.1:${server.ports.rtmp}/live/talk`);
    const before = packagerPids();
    expect(before.length).toBe(1);
    await publishers[0]!.stop();
    for (const pid of before) expect(await waitForExit(pid, 15_000)).toBe(true);
    const end = Date.now() + 15_000;
    let ended = false;
    while (!ended && Date.now() < end) {
      const pl = await fetchPlaylist(`${origin}/live/talk/playlist.m3u8`);
      ended = Boolean(pl.playlist?.ended);
      if (!ended) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ended).toBe(true);
    const res = await get(`${origin}/api/streams`);
    const names = (JSON.parse(res.body.toString('utf8')) as { streams: Array<{ name: string }> }).streams.map((s) => s.name);
    expect(names).not.toContain('talk');
  });
});
