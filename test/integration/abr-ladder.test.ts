// The ABR ladder end to end with real processes: ffmpeg publishes a 720p stream over RTMP, the
// packager runs the default preset (source + 480p + 360p + 240p) and every output lists every rung:
// the TS master and its media playlists, Smooth's Manifest, HDS's f4m, the LL-HLS master and the
// DASH MPD. Each rung's segments decode (ffprobe) at its own resolution and about its bitrate,
// and key frames fall at the same times in every rung.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { DEFAULT_LADDER } from '../../src/packager/abr-ladder.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { ffprobe, type ProbeResult } from '../helpers/media.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { loopbackConfig } from '../helpers/server-process.js';

let server: RunningServer;
let dataDir: string;
let publisher: Publisher;
let origin: string;
const BASE = '/live/abr';
const RUNGS = [{ name: 'source', width: 1280, height: 720 }, ...DEFAULT_LADDER.map((r) => ({ name: r.name, width: 0, height: r.height }))];
const WIDTHS: Record<string, number> = { source: 1280, '480p': 854, '360p': 640, '240p': 426 };

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-abr-'));
  const config = await loopbackConfig(dataDir, {
    packager: { ladder: 'default', cleanupDelaySeconds: 300 },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: false } });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  // 720p25, 1 s GOP with irregular encoder timing is not needed: the source key frames are what the rungs follow.
  publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}${BASE}`, {
    fixture: { width: 1280, height: 720, fps: 25, gopSeconds: 1, seconds: 10, videoKbps: 1500, audioKbps: 96, sampleRate: 48000 },
  });
}, 90_000);

afterAll(async () => {
  await publisher?.stop();
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function attrs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}

/** Key-frame times (s) of a file, as ffprobe decodes them. */
async function keyFrameTimes(file: string): Promise<number[]> {
  const r = (await ffprobe(file, ['-select_streams', 'v:0', '-show_frames'])) as ProbeResult & {
    frames?: Array<{ key_frame: number; pts_time: string }>;
  };
  const frames = r.frames ?? [];
  return frames.filter((f) => f.key_frame === 1).map((f) => Number(f.pts_time));
}

describe('ABR ladder, default preset, on a 720p source', () => {
  let master: string;

  it('TS: playlist.m3u8 is a master with BANDWIDTH, RESOLUTION and CODECS for every rung', async () => {
    master = await waitFor('TS master', async () => {
      const r = await get(`${origin}${BASE}/playlist.m3u8`);
      return r.status === 200 && (r.body.toString().match(/#EXT-X-STREAM-INF/g)?.length ?? 0) === 4 ? r.body.toString() : undefined;
    });
    const variants = master
      .split('\n')
      .map((l, i, all) => (l.startsWith('#EXT-X-STREAM-INF:') ? { a: attrs(l.slice(18)), uri: all[i + 1]! } : undefined))
      .filter((v) => v !== undefined);
    expect(variants.map((v) => v.uri).sort()).toEqual(RUNGS.map((r) => `index_${r.name}.m3u8`).sort());
    for (const v of variants) {
      const rung = /^index_(.+)\.m3u8$/.exec(v.uri)![1]!;
      expect(v.a.RESOLUTION).toBe(`${WIDTHS[rung]}x${rung === 'source' ? 720 : Number.parseInt(rung, 10)}`);
      expect(v.a.CODECS).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      expect(Number(v.a.BANDWIDTH)).toBeGreaterThanOrEqual(Number(v.a['AVERAGE-BANDWIDTH']));
    }
    // Transcoded rungs: libx264 Main; highest bandwidth first.
    expect(variants.filter((v) => v.uri !== 'index_source.m3u8').every((v) => v.a.CODECS!.startsWith('avc1.4d'))).toBe(true);
    const bws = variants.map((v) => Number(v.a.BANDWIDTH));
    expect([...bws].sort((a, b) => b - a)).toEqual(bws);
  }, 60_000);

  it('every rung decodes at its own resolution and about its bitrate, key frames aligned across rungs', async () => {
    const hlsDir = path.join(dataDir, 'streams', 'live', 'abr', 'hls');
    // The same segment number of every rung covers the same stretch of the stream.
    const playlists = await waitFor('three segments in every rung', async () => {
      const all = await Promise.all(RUNGS.map(async (r) => (await get(`${origin}${BASE}/index_${r.name}.m3u8`)).body.toString()));
      return all.every((p) => (p.match(/#EXTINF/g)?.length ?? 0) >= 3) ? all : undefined;
    });
    const durations = playlists.map((p) =>
      [...p.matchAll(/#EXTINF:([\d.]+),\n(?:#[^\n]*\n)*(seg_[a-z0-9]+_(\d+)\.ts)/g)].map((m) => [m[3], m[1]]),
    );
    const common = durations[0]!.map(([n]) => n).filter((n) => durations.every((d) => d.some(([m]) => m === n)));
    expect(common.length).toBeGreaterThanOrEqual(2);
    for (const n of common) {
      const ds = durations.map((d) => Number(d.find(([m]) => m === n)![1]));
      expect(Math.max(...ds) - Math.min(...ds), `segment ${n} durations ${ds.join(' ')}`).toBeLessThan(0.05);
    }
    const n = common.at(-1)!;
    const keys: number[][] = [];
    for (const [i, r] of RUNGS.entries()) {
      const seg = `seg_${r.name}_${n}.ts`;
      const res = await get(`${origin}${BASE}/${seg}`);
      expect(res.status, seg).toBe(200);
      const file = path.join(hlsDir, `probe-${seg}`);
      fs.writeFileSync(file, res.body);
      const probe = await ffprobe(file);
      const video = probe.streams.find((s) => s.codec_type === 'video')!;
      expect([video.width, video.height], seg).toEqual([WIDTHS[r.name], r.height]);
      expect(
        probe.streams.some((s) => s.codec_type === 'audio'),
        seg,
      ).toBe(true);
      if (i > 0) {
        // Bitrate of the segment within a wide band around the rung's target (video + audio + TS overhead).
        const target = (DEFAULT_LADDER[i - 1]!.videoBitrate + DEFAULT_LADDER[i - 1]!.audioBitrate) * 1000;
        const seconds = Number(durations[i]!.find(([m]) => m === n)![1]);
        const kbps = (res.body.length * 8) / seconds;
        expect(kbps, `${seg}: ${Math.round(kbps / 1000)} kbit/s against ${target / 1000}`).toBeGreaterThan(target * 0.3);
        expect(kbps, `${seg}: ${Math.round(kbps / 1000)} kbit/s against ${target / 1000}`).toBeLessThan(target * 1.6);
      }
      keys.push(await keyFrameTimes(file));
    }
    for (const [i, k] of keys.entries()) {
      expect(k.length, RUNGS[i]!.name).toBe(keys[0]!.length);
      // Within a frame (25 fps) of the source's key frames.
      k.forEach((t, j) => expect(Math.abs(t - keys[0]![j]!), `${RUNGS[i]!.name} key frame ${j}`).toBeLessThan(0.04));
    }
  }, 60_000);

  it('Smooth: one QualityLevel per rung; HDS: one <media> per rung', async () => {
    const manifest = await waitFor('Smooth manifest', async () => {
      const r = await get(`${origin}${BASE}/Manifest`);
      return r.status === 200 ? r.body.toString() : undefined;
    });
    const video = /<StreamIndex[^>]*Type="video"[^>]*>([\s\S]*?)<\/StreamIndex>/.exec(manifest)![1]!;
    const levels = [...video.matchAll(/<QualityLevel\b[^>]*MaxWidth="(\d+)"[^>]*MaxHeight="(\d+)"/g)].map((m) => `${m[1]}x${m[2]}`);
    expect(levels.sort()).toEqual(['1280x720', '426x240', '640x360', '854x480'].sort());
    const f4m = await waitFor('f4m', async () => {
      const r = await get(`${origin}${BASE}/manifest.f4m`);
      return r.status === 200 ? r.body.toString() : undefined;
    });
    const media = [...f4m.matchAll(/<media\b[^>]*url="([^"]+)"/g)].map((m) => m[1]);
    expect(media).toEqual(['stream0', 'stream1', 'stream2', 'stream3']);
    // Every rung's fragments are served.
    for (const stem of media) {
      const boot = await get(`${origin}${BASE}/${stem}.bootstrap`);
      expect(boot.status, stem).toBe(200);
    }
  }, 60_000);

  it('LL-HLS: a master listing every rung, EXT-X-RENDITION-REPORT in each media playlist; DASH: one Representation per rung', async () => {
    const ll = await waitFor('LL-HLS master', async () => {
      const r = await get(`${origin}${BASE}/playlist_sfm4s.m3u8`);
      return r.status === 200 ? r.body.toString() : undefined;
    });
    const res = [...ll.matchAll(/RESOLUTION=(\d+x\d+)/g)].map((m) => m[1]);
    expect(res.sort()).toEqual(['1280x720', '426x240', '640x360', '854x480'].sort());
    const media = (await get(`${origin}${BASE}/chunklist_sfm4s_video1.m3u8`)).body.toString();
    const reports = media.split('\n').filter((l) => l.startsWith('#EXT-X-RENDITION-REPORT:'));
    expect(reports.map((l) => attrs(l.slice(24)).URI).sort()).toEqual(
      ['chunklist_sfm4s_video.m3u8', 'chunklist_sfm4s_video2.m3u8', 'chunklist_sfm4s_video3.m3u8', 'chunklist_sfm4s_audio.m3u8'].sort(),
    );
    for (const l of reports) expect(l).toMatch(/LAST-MSN=\d+,LAST-PART=\d+/);
    const mpd = (await get(`${origin}${BASE}/manifest_sfm4s.mpd`)).body.toString();
    // One video AdaptationSet per Period holding every rung (a loaded machine may add Periods at
    // ingest-clock steps; each one still lists the whole ladder in one set).
    const periods = [...mpd.matchAll(/<Period\b[\s\S]*?<\/Period>/g)].map((m) => m[0]);
    expect(periods.length).toBeGreaterThan(0);
    for (const period of periods) {
      expect(period.match(/contentType="video"/g)).toHaveLength(1);
      const videoSet = /<AdaptationSet[^>]*contentType="video"[^>]*>([\s\S]*?)<\/AdaptationSet>/.exec(period)![1]!;
      const reps = [...videoSet.matchAll(/<Representation\b[^>]*width="(\d+)" height="(\d+)"/g)].map((m) => `${m[1]}x${m[2]}`);
      expect(reps.sort()).toEqual(['1280x720', '426x240', '640x360', '854x480'].sort());
    }
  }, 60_000);

  it('/api/streams lists the rungs', async () => {
    const api = JSON.parse((await get(`${origin}/api/streams`)).body.toString()) as {
      streams: Array<{ id: string; rungs: Array<{ name: string; width?: number; height?: number }> }>;
    };
    const s = api.streams.find((x) => x.id === 'live/abr')!;
    expect(s.rungs.map((r) => `${r.name}:${r.width}x${r.height}`)).toEqual([
      'source:1280x720',
      '480p:854x480',
      '360p:640x360',
      '240p:426x240',
    ]);
  });
});
