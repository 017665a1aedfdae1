// The timeline's clock mapping (program date-time, DASH availability) from tables of arrival
// patterns: real time, the RTMP server's GOP-cache burst, an encoder slower than real time, a
// publisher that stalls and continues late, an epoch change. The mapping must follow the ingest
// clock to within the tolerance plus one segment's drift, in LL-HLS and in the MPD alike.
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { dashManifest } from '../../src/origin/dash-mpd.js';
import { IngestClock } from '../../src/timeline/ingest-clock.js';
import { TrackTimeline } from '../../src/timeline/track-timeline.js';
import { OPTS, VIDEO_INIT } from './fixture.js';

const INGEST = Date.UTC(2026, 11, 1, 10, 0, 0);
const TS = VIDEO_INIT.timescale;
const PART = 0.5;

interface Arrivals {
  /** Media seconds per server second (an encoder slower than real time is below 1). */
  rate: number;
  /** The first parts arrive at once, when the last of them is complete (a cached GOP). */
  burstParts?: number;
  /** From this media time on, everything is ingested `stallMs` later (a stalled publisher). */
  stallAtSeconds?: number;
  stallMs?: number;
  /** Part 0 starts at this media time (a run that does not start at 0). */
  startSeconds?: number;
}

/** When media time `s` was really ingested, under an arrival pattern. */
function ingestOf(a: Arrivals, s: number): number {
  const rel = s - (a.startSeconds ?? 0);
  return INGEST + (rel / a.rate) * 1000 + (a.stallAtSeconds !== undefined && rel >= a.stallAtSeconds ? (a.stallMs ?? 0) : 0);
}

/** A 2 s GOP video track fed `seconds` of 0.5 s parts, each arriving 20 ms after its end was ingested. */
function run(a: Arrivals, seconds: number): TrackTimeline {
  const track = new TrackTimeline('video', OPTS);
  track.startEpoch(Buffer.from('i'), VIDEO_INIT);
  const start = a.startSeconds ?? 0;
  const n = Math.round(seconds / PART);
  for (let i = 0; i < n; i++) {
    const s = start + i * PART;
    const burstEnd = start + (a.burstParts ?? 0) * PART;
    const arrived = (i < (a.burstParts ?? 0) ? ingestOf(a, burstEnd) : ingestOf(a, s + PART)) + 20;
    track.addPart(
      Buffer.alloc(1),
      { sequence: i, baseTime: Math.round(s * TS), duration: PART * TS, sampleCount: 1, startsWithKey: i % 4 === 0 },
      arrived,
    );
  }
  return track;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (n) => ['Period', 'AdaptationSet', 'S'].includes(n),
});

/** Server-clock time at which the MPD says media time `s` (seconds) of the track is presented. */
function mpdWallOf(track: TrackTimeline, nowMs: number, s: number): number {
  const mpd = parser.parse(
    dashManifest({ tracks: [track], ended: false }, { window: { windowSeconds: 12 }, utcTimingUrl: '/t', latencyTargetMs: 2000, nowMs })!,
  ).MPD;
  const ast = Date.parse(mpd.availabilityStartTime);
  const periods = mpd.Period.map((p: { start: string; AdaptationSet: Array<{ SegmentTemplate: { presentationTimeOffset: string } }> }) => ({
    startS: Number(/PT([\d.]+)S/.exec(p.start)![1]),
    pto: Number(p.AdaptationSet[0].SegmentTemplate.presentationTimeOffset) / TS,
  }));
  const p = periods.filter((x: { pto: number }) => x.pto <= s + 1e-6).at(-1) ?? periods[0];
  return ast + (p.startS + s - p.pto) * 1000;
}

describe('ingest clock: program date-time and DASH availability follow the server clock at ingest', () => {
  // name, arrivals, seconds fed, media times (from the run's start) checked from, allowed error ms
  it.each<[string, Arrivals, number, number, number]>([
    ['real time', { rate: 1 }, 40, 0, 25],
    ['GOP-cache burst of 1.5 s at the start, then real time', { rate: 1, burstParts: 3 }, 40, 0, 25],
    ['a run whose media time starts at 37 s', { rate: 1, startSeconds: 37 }, 40, 0, 25],
    // One segment's drift (2 s × 0.25) on top of the tolerance (one part) at most.
    ['encoder at 0.8× real time', { rate: 0.8 }, 60, 0, 500 + 500 + 25],
    ['encoder at 0.95× real time', { rate: 0.95 }, 60, 0, 500 + 105 + 25],
    // After a stall the mapping catches up at the next segment boundary.
    ['publisher stalls 10 s at 20 s, then continues in real time', { rate: 1, stallAtSeconds: 20, stallMs: 10_000 }, 60, 22, 25],
    ['stall of 3 s at 9 s (mid-segment)', { rate: 1, stallAtSeconds: 9, stallMs: 3000 }, 40, 12, 25],
    ['late by less than the tolerance: no step', { rate: 1, stallAtSeconds: 10, stallMs: 300 }, 40, 0, 325],
  ])('%s', (_name, a, seconds, checkFrom, allowedMs) => {
    const track = run(a, seconds);
    const start = a.startSeconds ?? 0;
    const last = track.lastPart!;
    const nowMs = last.arrivedMs;
    const inMpd = track.segments.slice(-7); // the window's six complete segments and the open one
    for (const seg of track.segments) {
      const s = seg.start / TS;
      if (s - start < checkFrom) continue;
      const truth = ingestOf(a, s);
      expect(Math.abs(track.pdtMs(seg.epoch, seg.start) - truth), `PDT of the segment at ${s} s`).toBeLessThanOrEqual(allowedMs);
      if (inMpd.includes(seg))
        expect(Math.abs(mpdWallOf(track, nowMs, s) - truth), `MPD time of the segment at ${s} s`).toBeLessThanOrEqual(allowedMs);
    }
    // Program date-time never runs backwards from one segment to the next.
    const pdts = track.segments.map((seg) => track.pdtMs(seg.epoch, seg.start));
    for (let i = 1; i < pdts.length; i++) expect(pdts[i]).toBeGreaterThan(pdts[i - 1]);
  });

  it('a step starts a new Period where the mapping moved; earlier Periods keep their start', () => {
    const track = run({ rate: 1, stallAtSeconds: 20, stallMs: 10_000 }, 30);
    const mpd = parser.parse(
      dashManifest(
        { tracks: [track], ended: false },
        { window: { windowSeconds: 12 }, utcTimingUrl: '/t', latencyTargetMs: 2000, nowMs: INGEST },
      )!,
    ).MPD;
    expect(mpd.Period.map((p: { id: string; start: string }) => [p.id, p.start])).toEqual([
      ['p0', 'PT0S'],
      ['p0-1', 'PT32S'],
    ]);
    expect(mpd.Period[1].AdaptationSet[0].SegmentTemplate.presentationTimeOffset).toBe(String(22 * TS));
  });
});

describe('IngestClock (pure)', () => {
  it.each<[string, Array<['part', number, number, number] | ['cut', number]>, Array<[number, number]>]>([
    // steps: ['part', start s, end s, arrival ms] / ['cut', s]; expected anchors [fromSeconds, wallMs]
    ['first anchor from the first part', [['part', 0, 0.5, 1500]], [[0, 1000]]],
    [
      'earlier evidence during the first segment lowers it',
      [
        ['cut', 0],
        ['part', 0, 0.5, 1500],
        ['part', 0.5, 1, 1600],
      ],
      [[0, 600]],
    ],
    [
      'a track starting earlier moves the first anchor back with its media time',
      [
        ['part', 0.1, 0.6, 1600],
        ['part', 0, 0.4, 1400],
      ],
      [[0, 1000]],
    ],
    [
      'settled after the first segment: later early parts do not move it',
      [
        ['cut', 0],
        ['part', 0, 2, 3000],
        ['cut', 2],
        ['part', 2, 2.5, 2000],
      ],
      [[0, 1000]],
    ],
    [
      'every part of a segment late by more than the tolerance: a step at the next cut',
      [
        ['cut', 0],
        ['part', 0, 2, 3000],
        ['cut', 2],
        ['part', 2, 3, 4700],
        ['part', 3, 4, 5600],
        ['cut', 4],
      ],
      [
        [0, 1000],
        [4, 5600],
      ],
    ],
    [
      'one part on time in the segment: no step',
      [
        ['cut', 0],
        ['part', 0, 2, 3000],
        ['cut', 2],
        ['part', 2, 3, 4700],
        ['part', 3, 4, 5000],
        ['cut', 4],
      ],
      [[0, 1000]],
    ],
  ])('%s', (_name, steps, anchors) => {
    const clock = new IngestClock(500);
    for (const st of steps) {
      if (st[0] === 'cut') clock.boundary(st[1]);
      else clock.observe(st[1], st[2], st[3]);
    }
    expect(clock.anchors.map((x) => [x.fromSeconds, x.wallMs])).toEqual(anchors);
  });
});
