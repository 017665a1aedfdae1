// The checks of a recording made with an ABR ladder, shared by the data-directory and S3 tests:
// the VOD master lists every rung (BANDWIDTH, RESOLUTION, CODECS), each rung's VOD playlist plays
// to the end at its own resolution, the rungs are cut at the same times, the static MPD has one
// video Representation per rung beside the audio (ffprobe reads it), and every rung's MP4 is a
// faststart file served with ranges (SPEC VOD-02).
import { expect } from 'vitest';
import { ffprobe } from '../helpers/media.js';
import { decodeToEnd, expectPlayableRecording, get, topLevelBoxes, type ListedRecording } from './recording-flow.js';

/**
 * The build options of the pure tests' two-rung ladder with audio (recording-rules pins its whole
 * command line, ladder-rules what each part of it is for).
 */
export const TWO_RUNG_BUILD = {
  captureDir: '/x',
  segmentSeconds: 2,
  rungs: ['source', '240p'],
  audio: true,
  aspect: { width: 854, height: 480 },
  durations: [2, 2, 1],
};

export interface ListedRung {
  name: string;
  width?: number;
  height?: number;
  bandwidth: number;
  codecs: string[];
  size: number;
  urls: { hls: string; mp4: string };
}

export type LadderRecording = ListedRecording & { segments: number; rungs: ListedRung[] };

export interface ExpectedRung {
  name: string;
  width: number;
  height: number;
}

function attrs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}

function xmlAttrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([a-zA-Z:]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** EXTINF durations of a media playlist. */
function durations(playlist: string): number[] {
  return [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
}

export async function expectPlayableLadderRecording(rec: LadderRecording, rungs: readonly ExpectedRung[], base = ''): Promise<void> {
  const url = (u: string) => (base ? base + new URL(u).pathname : u);
  expect(rec.rungs.map((r) => ({ name: r.name, width: r.width, height: r.height }))).toEqual(rungs);
  for (const r of rec.rungs) {
    expect(r.bandwidth).toBeGreaterThan(10_000);
    expect(r.codecs).toEqual([expect.stringMatching(/^avc1\.[0-9a-f]{6}$/), 'mp4a.40.2']);
    expect(r.size).toBeGreaterThan(1000);
  }
  expect(rec.size).toBe(rec.rungs[0]!.size);
  expect(rec.urls.mp4).toBe(rec.rungs[0]!.urls.mp4);

  // The master: one variant per rung (the highest BANDWIDTH first), each the rung's VOD playlist.
  const master = await get(url(rec.urls.hls));
  expect(master.status).toBe(200);
  expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
  const lines = master.body.toString('utf8').split('\n');
  const variants = lines.flatMap((l, i) => (l.startsWith('#EXT-X-STREAM-INF:') ? [{ a: attrs(l), uri: lines[i + 1]!.trim() }] : []));
  const playlistOf = (r: ListedRung) => new URL(r.urls.hls).pathname.split('/').pop()!;
  expect(variants.map((v) => v.uri).sort()).toEqual(rec.rungs.map(playlistOf).sort());
  const bandwidths = variants.map((v) => Number(v.a.BANDWIDTH));
  expect(bandwidths).toEqual([...bandwidths].sort((a, b) => b - a));
  for (const v of variants) {
    const r = rec.rungs.find((x) => playlistOf(x) === v.uri)!;
    expect(v.a.RESOLUTION).toBe(`${r.width}x${r.height}`);
    expect(Number(v.a.BANDWIDTH)).toBe(r.bandwidth);
    expect(v.a.CODECS).toBe(r.codecs.join(','));
  }
  // ffmpeg plays the master to the end (it opens every variant).
  const fromMaster = await decodeToEnd(url(rec.urls.hls));
  expect(fromMaster).toBeGreaterThan(rec.duration - 1.5);
  expect(fromMaster).toBeLessThan(rec.duration + 1.5);

  // Each rung: a VOD playlist cut where every other rung is cut, at its own resolution, to the end.
  let grid: number[] | undefined;
  for (const r of rec.rungs) {
    const media = await get(url(r.urls.hls));
    expect(media.status).toBe(200);
    const text = media.body.toString('utf8');
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(text).toMatch(/#EXT-X-ENDLIST\s*$/);
    const d = durations(text);
    if (grid === undefined) grid = d;
    expect(d.length, r.name).toBe(grid.length);
    // The same cut times; only the very end differs (the copied source's last frames outlast the encoded rungs').
    for (const [k, x] of d.slice(0, -1).entries()) expect(Math.abs(x - grid[k]!), `${r.name} segment ${k}`).toBeLessThan(0.1);
    const probe = await ffprobe(url(r.urls.hls));
    const video = probe.streams.find((s) => s.codec_type === 'video');
    expect({ rung: r.name, width: video?.width, height: video?.height }).toEqual({ rung: r.name, width: r.width, height: r.height });
    const decoded = await decodeToEnd(url(r.urls.hls));
    expect(decoded, r.name).toBeGreaterThan(rec.duration - 1.5);
    expect(decoded, r.name).toBeLessThan(rec.duration + 1.5);
  }

  // The static MPD: one video AdaptationSet with a Representation per rung, one audio.
  const mpd = await get(url(rec.urls.dash));
  expect(mpd.status).toBe(200);
  expect(mpd.headers.get('content-type')).toBe('application/dash+xml');
  const xml = mpd.body.toString('utf8');
  expect(xml).toMatch(/type="static"/);
  expect(xml).toMatch(/mediaPresentationDuration="PT/);
  const sets = [...xml.matchAll(/<AdaptationSet([^>]*)>([\s\S]*?)<\/AdaptationSet>/g)];
  const video = sets.find((s) => /contentType="video"/.test(s[1]!));
  const audio = sets.filter((s) => /contentType="audio"/.test(s[1]!));
  expect(audio).toHaveLength(1);
  const reps = [...video![2]!.matchAll(/<Representation([^>]*)>/g)].map((m) => xmlAttrs(m[1]!));
  expect(reps.map((a) => [Number(a.width), Number(a.height)])).toEqual(rec.rungs.map((r) => [r.width, r.height]));
  for (const a of reps) {
    // dash.js needs a bandwidth per Representation to choose one, and the MP4 codec string.
    expect(Number(a.bandwidth)).toBeGreaterThan(10_000);
    expect(a.codecs).toMatch(/^avc1\./);
  }
  const dashProbe = await ffprobe(url(rec.urls.dash));
  const dashVideo = dashProbe.streams.filter((s) => s.codec_type === 'video').map((s) => [s.width, s.height]);
  expect(dashVideo).toEqual(rec.rungs.map((r) => [r.width, r.height]));
  expect(dashProbe.streams.filter((s) => s.codec_type === 'audio')).toHaveLength(1);
  const fromMpd = await decodeToEnd(url(rec.urls.dash));
  expect(fromMpd).toBeGreaterThan(rec.duration - 1.5);
  expect(fromMpd).toBeLessThan(rec.duration + 1.5);

  // Every rung's download: faststart, ranges, its own resolution.
  for (const r of rec.rungs) {
    const mp4 = await get(url(r.urls.mp4));
    expect(mp4.status).toBe(200);
    expect(mp4.headers.get('content-type')).toBe('video/mp4');
    expect(mp4.body.length).toBe(r.size);
    const boxes = topLevelBoxes(mp4.body);
    expect(boxes.indexOf('moov'), `${r.name}: ${boxes.join(',')}`).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov'), `${r.name}: ${boxes.join(',')}`).toBeLessThan(boxes.indexOf('mdat'));
    const part = await get(url(r.urls.mp4), { range: 'bytes=200-1199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 200-1199/${r.size}`);
    expect(part.body.equals(mp4.body.subarray(200, 1200))).toBe(true);
    const probe = await ffprobe(url(r.urls.mp4));
    const v = probe.streams.find((s) => s.codec_type === 'video');
    expect([v?.width, v?.height], r.name).toEqual([r.width, r.height]);
  }
}

/** A recording without a ladder keeps today's form, and lists no rungs. */
export async function expectPlayableSingleRecording(rec: LadderRecording, base = ''): Promise<void> {
  expect(rec.rungs).toEqual([]);
  await expectPlayableRecording(rec, base);
}
