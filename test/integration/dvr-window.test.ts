// The DVR window end to end with real processes, over a run three times longer than a short
// window (--dvr-window 12): ffmpeg publishes over RTMP, the TS playlist and the LL-HLS/DASH
// manifests list the window, CMAF segments older than the live edge are written to the store and
// read back, disk stays bounded (old objects deleted), `start=` and `dvr_window_length=` select
// the right segments on every format, bad values are 400s, and the edge caches two starts apart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { ffprobe } from '../helpers/media.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { loopbackConfig } from '../helpers/server-process.js';

const WINDOW = 12;
const SEGMENT = 2;
const EXTRA = 2;
const MEMORY = 3;
const RUN_MS = 3 * WINDOW * 1000;

let server: RunningServer;
let dataDir: string;
let publisher: Publisher;
let origin: string;
let edge: string;
const BASE = '/live/dv';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-dvr-'));
  const config = await loopbackConfig(dataDir, {
    packager: {
      cleanupDelaySeconds: 300,
      segmentSeconds: SEGMENT,
      dvrWindowSeconds: WINDOW,
      extraWindowSegments: EXTRA,
      dvrMemorySegments: MEMORY,
    },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  edge = `http://127.0.0.1:${server.ports.edge}`;
  // 25 fps, 1 s GOP: 2-s segments.
  publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/dv`);
}, 60_000);

afterAll(async () => {
  await publisher?.stop();
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; headers: Headers; text: string; body: Buffer }> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: body.toString(), body };
}

/**
 * The files under `dir` now. ffmpeg and the DVR archive delete old segments while this walks, so
 * an entry (or a folder) gone between the listing and its stat was simply deleted: not counted.
 */
function files(dir: string): Array<{ name: string; size: number }> {
  const out: Array<{ name: string; size: number }> = [];
  const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          out.push({ name: e.name, size: fs.statSync(p).size });
        } catch (err) {
          if (!gone(err)) throw err;
        }
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * `read()` between two readings of the playlist at `url` that list the same segments, and that
 * playlist: the window moves one segment every SEGMENT s, which on a loaded machine can fall
 * between two requests.
 */
async function betweenSameReadings<T>(url: string, read: () => Promise<T>): Promise<{ value: T; playlist: string }> {
  for (let attempt = 1; ; attempt++) {
    const a = (await get(url)).text;
    const value = await read();
    const b = (await get(url)).text;
    if (listed(a, /seg_/).join() === listed(b, /seg_/).join()) return { value, playlist: b };
    if (attempt === 10) throw new Error(`${url} moved during each of 10 readings`);
  }
}

const streamDir = () => path.join(dataDir, 'streams', 'live', 'dv');
const listed = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l));
const msnOf = (name: string) => Number(/_(\d+)\.m4s$/.exec(name)![1]);
const pdts = (text: string) => listed(text, /^#EXT-X-PROGRAM-DATE-TIME:/).map((l) => l.slice('#EXT-X-PROGRAM-DATE-TIME:'.length));

describe('a run three times the DVR window', () => {
  it(
    'lists the window, keeps disk bounded by window + margin, and deletes old DVR objects',
    async () => {
      const t0 = Date.now();
      let maxTs = 0;
      let maxDvr = 0;
      /** Bytes of the TS and DVR segments on disk, sampled every second. */
      const samples: Array<{ t: number; bytes: number }> = [];
      let firstDvrSeen: number | undefined;
      let lastOldest: number | undefined;
      let tsListed: number[] = [];
      while (Date.now() - t0 < RUN_MS) {
        await new Promise((r) => setTimeout(r, 1000));
        const all = files(streamDir());
        const ts = all.filter((f) => f.name.endsWith('.ts'));
        const dvr = files(path.join(streamDir(), 'dvr')).filter((f) => f.name.endsWith('.m4s'));
        maxTs = Math.max(maxTs, ts.length);
        maxDvr = Math.max(maxDvr, dvr.length);
        samples.push({ t: Date.now() - t0, bytes: [...ts, ...dvr].reduce((n, f) => n + f.size, 0) });
        if (dvr.length > 0) {
          const oldest = Math.min(...dvr.filter((f) => f.name.includes('video')).map((f) => msnOf(f.name)));
          firstDvrSeen ??= oldest;
          lastOldest = oldest;
        }
        const playlist = await get(`${origin}${BASE}/playlist.m3u8`);
        if (playlist.status === 200) tsListed.push(listed(playlist.text, /^seg_/).length);
      }
      // TS: ffmpeg lists the window (12 s of 2-s segments) and keeps EXTRA more on disk.
      tsListed = tsListed.slice(-5);
      expect(Math.max(...tsListed)).toBe(WINDOW / SEGMENT);
      expect(maxTs).toBeLessThanOrEqual(WINDOW / SEGMENT + EXTRA + 2);
      // CMAF: the timeline keeps window + EXTRA segments per track, the newest MEMORY in memory;
      // the rest, per track (video and audio), in the store (+1 each while a put and a delete overlap).
      const inStore = (WINDOW + EXTRA * SEGMENT) / SEGMENT - MEMORY;
      expect(maxDvr).toBeLessThanOrEqual(2 * (inStore + 1));
      expect(maxDvr).toBeGreaterThanOrEqual(2);
      // Old objects left the store: the oldest one kept moving on.
      expect(lastOldest! - firstDvrSeen!).toBeGreaterThanOrEqual(WINDOW / SEGMENT);
      // Bytes stop growing once the window (plus margin) is full: the last 8 s hold no more than the
      // 8 s after it filled (growth with the run would be 36/22 ≈ 1.6×).
      const peak = (from: number, to: number) => Math.max(...samples.filter((x) => x.t >= from && x.t < to).map((x) => x.bytes));
      expect(peak(RUN_MS - 8000, RUN_MS + 1)).toBeLessThanOrEqual(1.3 * peak(RUN_MS - 18_000, RUN_MS - 10_000));

      // LL-HLS lists the window (content time): 6 complete segments, then the open one's parts.
      const ll = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).text;
      const segs = listed(ll, /^seg_sfm4s_video_/);
      expect(segs.length).toBeGreaterThanOrEqual(WINDOW / SEGMENT);
      expect(segs.length).toBeLessThanOrEqual(WINDOW / SEGMENT + 1);
      // DASH: the time-shift buffer is the listed window (+ one target duration).
      const mpd = (await get(`${origin}${BASE}/manifest_sfm4s.mpd`)).text;
      const depth = Number(/timeShiftBufferDepth="PT([\d.]+)S"/.exec(mpd)![1]);
      expect(depth).toBeGreaterThanOrEqual(WINDOW);
      expect(depth).toBeLessThanOrEqual(WINDOW + 3 * SEGMENT);
    },
    RUN_MS + 30_000,
  );

  it('the oldest listed CMAF segments come back from the store and decode with their init segment', async () => {
    for (const track of ['video', 'audio'] as const) {
      const ll = (await get(`${origin}${BASE}/chunklist_sfm4s_${track}.m3u8`)).text;
      const init = (await get(`${origin}${BASE}/${/#EXT-X-MAP:URI="([^"]+)"/.exec(ll)![1]}`)).body;
      const all = listed(ll, /^seg_sfm4s_/);
      const oldest = all[0]!;
      const dvrFiles = files(path.join(streamDir(), 'dvr')).map((f) => f.name);
      expect(dvrFiles, 'the oldest listed segment is one the store holds').toContain(oldest);
      // Memory holds only the live edge: every listed segment but the newest few is in the store.
      expect(all.filter((n) => !dvrFiles.includes(n)).length).toBeLessThanOrEqual(MEMORY + 1);
      const seg = await get(`${origin}${BASE}/${oldest}`);
      expect(seg.status).toBe(200);
      expect(seg.headers.get('cache-control')).toMatch(/max-age=60/);
      const file = path.join(dataDir, `${track}-${oldest}.mp4`);
      fs.writeFileSync(file, Buffer.concat([init, seg.body]));
      const probe = await ffprobe(file, ['-count_frames']);
      const s = probe.streams[0] as { codec_name: string; nb_read_frames?: string };
      expect(s.codec_name).toBe(track === 'video' ? 'h264' : 'aac');
      expect(Number(s.nb_read_frames)).toBeGreaterThan(0);
      // A range of it, as a player seeking may ask.
      const range = await fetch(`${origin}${BASE}/${oldest}`, { headers: { range: 'bytes=0-99' } });
      expect(range.status).toBe(206);
      expect((await range.arrayBuffer()).byteLength).toBe(100);
    }
  });
});

describe('start= and dvr_window_length= on every format', () => {
  it('TS HLS: start= begins at the segment containing that time, in ISO-8601 and epoch seconds', async () => {
    const full = (await get(`${origin}${BASE}/playlist.m3u8`)).text;
    const segs = listed(full, /^seg_/);
    const times = pdts(full);
    expect(times.length).toBe(segs.length);
    const inThird = Date.parse(times[2]!.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')) + 500;
    for (const start of [new Date(inThird).toISOString(), String(inThird / 1000)]) {
      const r = await get(`${origin}${BASE}/playlist.m3u8?start=${encodeURIComponent(start)}`);
      expect(r.status).toBe(200);
      expect(listed(r.text, /^seg_/)[0]).toBe(segs[2]);
      const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(r.text)![1]);
      expect(seq).toBe(Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(full)![1]) + 2);
    }
    const short = await betweenSameReadings(`${origin}${BASE}/playlist.m3u8`, () =>
      get(`${origin}${BASE}/playlist.m3u8?dvr_window_length=4`),
    );
    expect(listed(short.value.text, /^seg_/)).toEqual(listed(short.playlist, /^seg_/).slice(-2));
    // The same in the IIS family (app live): its playlist is the same file, cut the same way.
    const iis = await get(`${origin}/dv.isml/manifest(format=m3u8-aapl).m3u8?start=${String(inThird / 1000)}`);
    expect(iis.status).toBe(200);
    expect(listed(iis.text, /seg_/)[0]).toMatch(new RegExp(`${segs[2]!.replace('.', '\\.')}$`));
  });

  it('LL-HLS and DASH: start= begins at that segment; the master carries the parameters to its media playlists', async () => {
    const full = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).text;
    const segs = listed(full, /^seg_sfm4s_video_/);
    const third = Date.parse(pdts(full)[2]!) + 300;
    const start = new Date(third).toISOString();
    const q = `start=${encodeURIComponent(start)}`;
    const ll = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8?${q}`)).text;
    expect(listed(ll, /^seg_sfm4s_video_/)[0]).toBe(segs[2]);
    expect(ll).toContain(`#EXT-X-MEDIA-SEQUENCE:${msnOf(segs[2]!)}\n`);
    const mpd = (await get(`${origin}${BASE}/manifest_sfm4s.mpd?${q}`)).text;
    const video = /<AdaptationSet[^>]*contentType="video"[\s\S]*?startNumber="(\d+)"/.exec(mpd)!;
    expect(Number(video[1])).toBe(msnOf(segs[2]!));
    const master = (await get(`${origin}${BASE}/playlist_sfm4s.m3u8?${q}&dvr_window_length=600`)).text;
    expect(master).toContain(`chunklist_sfm4s_video.m3u8?dvr_window_length=600&${q}`);
    expect(master).toContain(`URI="chunklist_sfm4s_audio.m3u8?dvr_window_length=600&${q}"`);
    // Blocking-reload parameters combine with start=.
    const msn = msnOf(listed(full, /^seg_sfm4s_video_/).at(-1)!);
    const blocking = await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8?${q}&_HLS_msn=${msn}&_HLS_part=0`);
    expect(blocking.status).toBe(200);
    expect(listed(blocking.text, /^seg_sfm4s_video_/)[0]).toBe(segs[2]);
  });

  it.each([
    ['playlist.m3u8?start=tomorrow', /start must be/],
    ['playlist.m3u8?start=2099-01-01T00:00:00Z', /in the future/],
    ['playlist.m3u8?dvr_window_length=0', /dvr_window_length must be/],
    ['playlist.m3u8?start=1&start=2', /more than once/],
    ['chunklist_sfm4s_video.m3u8?start=2099-01-01T00:00:00Z', /in the future/],
    ['chunklist_sfm4s_video.m3u8?dvr_window_length=abc', /dvr_window_length must be/],
    ['playlist_sfm4s.m3u8?start=2026-12-01T10:00:00', /start must be/],
    ['manifest_sfm4s.mpd?dvr_window_length=-1', /dvr_window_length must be/],
  ])('%s is a 400 with the reason', async (url, why) => {
    const r = await get(`${origin}${BASE}/${url}`);
    expect(r.status).toBe(400);
    expect(r.headers.get('cache-control')).toMatch(/max-age=1/);
    expect((JSON.parse(r.text) as { reason: string }).reason).toMatch(why);
  });
});

describe('through the edge', () => {
  it('two different start= values are cached apart; the same one is a hit', async () => {
    for (const name of ['playlist.m3u8', 'chunklist_sfm4s_video.m3u8']) {
      const full = (await get(`${edge}${BASE}/${name}`)).text;
      const segLine = name.startsWith('playlist') ? /^seg_/ : /^seg_sfm4s_video_/;
      const times = pdts(full).map((t) => Date.parse(t.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')));
      const a = `start=${Math.floor(times[1]! / 1000) + 1}`;
      const b = `start=${Math.floor(times[3]! / 1000) + 1}`;
      const ra = await get(`${edge}${BASE}/${name}?${a}`);
      const ra2 = await get(`${edge}${BASE}/${name}?${a}`);
      const rb = await get(`${edge}${BASE}/${name}?${b}`);
      expect(ra.status).toBe(200);
      expect(rb.status).toBe(200);
      expect(ra.headers.get('x-cache')).toMatch(/^Miss/);
      expect(ra2.headers.get('x-cache'), `${name} same start`).toMatch(/^Hit/);
      expect(rb.headers.get('x-cache'), `${name} other start`).toMatch(/^Miss/);
      const firstA = listed(ra.text, segLine)[0];
      const firstB = listed(rb.text, segLine)[0];
      expect(firstA).not.toBe(firstB);
      expect(listed(ra2.text, segLine)[0]).toBe(firstA);
    }
  });
});
