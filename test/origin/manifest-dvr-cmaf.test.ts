// The DVR window on the manifests generated from the timeline: LL-HLS media playlists, the LL-HLS
// master, DASH; and the timeline keeping the window by time.
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { dashManifest } from '../../src/origin/dash-mpd.js';
import { canSkipUntil, mediaPlaylist, targetDuration } from '../../src/origin/llhls-playlist.js';
import { feed, OPTS, pattern } from '../timeline/fixture.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (n) => ['Period', 'AdaptationSet', 'S'].includes(n),
});

function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}
function segNumbers(text: string): number[] {
  return lines(text, 'seg_sfm4s_').map((l) => Number(/_(\d+)\.m4s$/.exec(l)![1]));
}

/** 2-s segments 0…29 (60 s) and an open one; the fixture's clock makes segment n start at T0 + 2n s. */
function longStream() {
  const g = feed(undefined, { ...OPTS, keepSegments: 100 });
  g.add(pattern('Kppp '.repeat(30) + 'K'));
  return g;
}

describe('LL-HLS media playlist over the DVR window', () => {
  it.each([
    ['the whole window', { windowSeconds: 1800 }, 0],
    ['a 12-s window', { windowSeconds: 12 }, 24],
    ['dvr_window_length=20', { windowSeconds: 1800, dvrWindowLength: 20 }, 20],
    ['start= inside segment 7', { windowSeconds: 1800, startMs: T0 + 15_000 }, 7],
    ['start= before the window: its first segment', { windowSeconds: 12, startMs: T0 }, 24],
  ])('%s', (_n, window, first) => {
    const text = mediaPlaylist(longStream().track, { window });
    expect(segNumbers(text)[0]).toBe(first);
    expect(segNumbers(text).at(-1)).toBe(29);
    expect(text).toContain(`#EXT-X-MEDIA-SEQUENCE:${first}\n`);
    // The first listed segment's program date-time is the time it starts.
    expect(lines(text, '#EXT-X-PROGRAM-DATE-TIME:')[0]).toBe(`#EXT-X-PROGRAM-DATE-TIME:${new Date(T0 + first * 2000).toISOString()}`);
    // Parts only for the last segments, whatever the window.
    const parts = lines(text, '#EXT-X-PART:');
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.length).toBeLessThanOrEqual(4 * 4 + 1);
  });

  it('a delta update of a big window skips every segment older than CAN-SKIP-UNTIL, and only those', () => {
    const g = longStream();
    const delta = mediaPlaylist(g.track, { window: { windowSeconds: 1800 }, skip: true });
    const skipped = Number(/#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)/.exec(delta)![1]);
    // Edge at 60.5 s; CAN-SKIP-UNTIL = 6 target durations = 12 s: segments ending at or before 48.5 s.
    expect(canSkipUntil(g.track)).toBe(6 * targetDuration(g.track));
    expect(skipped).toBe(24);
    expect(segNumbers(delta)[0]).toBe(24);
    expect(delta.length).toBeLessThan(mediaPlaylist(g.track, { window: { windowSeconds: 1800 } }).length / 2);
  });
});

describe('DASH over the DVR window', () => {
  const at = (g: ReturnType<typeof longStream>, window: { windowSeconds: number; dvrWindowLength?: number; startMs?: number }) =>
    parser.parse(
      dashManifest({ tracks: [g.track], ended: false }, { window, utcTimingUrl: '/t', latencyTargetMs: 2000, nowMs: g.nowMs() })!,
    ).MPD;

  it.each([
    ['the whole window', { windowSeconds: 1800 }, 0, 30],
    ['dvr_window_length=20', { windowSeconds: 1800, dvrWindowLength: 20 }, 20, 10],
    ['start= inside segment 7', { windowSeconds: 1800, startMs: T0 + 15_000 }, 7, 23],
  ])('%s: startNumber, segments listed and timeShiftBufferDepth', (_n, window, first, count) => {
    const mpd = at(longStream(), window);
    const tmpl = mpd.Period[0].AdaptationSet[0].SegmentTemplate;
    expect(Number(tmpl.startNumber)).toBe(first);
    // The complete segments, and the one being produced (announced for chunked delivery).
    expect(tmpl.SegmentTimeline.S).toHaveLength(count + 1);
    // The time-shift buffer reaches back to the first listed segment (plus one target duration).
    expect(mpd.timeShiftBufferDepth).toBe(`PT${count * 2 + 2}S`);
  });
});

describe('the timeline keeps the DVR window by time', () => {
  it.each([
    [12, 0, 6],
    [12, 4, 8],
    [30, 0, 15],
  ])('keepSeconds %s + margin %s s of 2-s segments holds %s complete segments', (window, margin, held) => {
    const g = feed(undefined, { ...OPTS, keepSegments: 1000, keepSeconds: window + margin });
    g.add(pattern('Kppp '.repeat(40) + 'K'));
    expect(g.track.segments.filter((s) => s.complete)).toHaveLength(held);
  });

  it('keepSegments still bounds it when segments are short', () => {
    const g = feed(undefined, { ...OPTS, keepSegments: 5, keepSeconds: 1800 });
    g.add(pattern('Kppp '.repeat(40) + 'K'));
    expect(g.track.segments.filter((s) => s.complete)).toHaveLength(5);
  });

  it('a released segment keeps its size and times, not its parts', () => {
    const g = feed(undefined, { ...OPTS, keepSegments: 100 });
    g.add(pattern('Kppp '.repeat(4) + 'K'));
    const s = g.track.segment(1)!;
    const { size, duration, start } = s;
    const peak = g.track.peakBitrate();
    g.track.release(1);
    expect(s).toMatchObject({ released: true, parts: [], size, duration, start, partCount: 4 });
    expect(g.track.peakBitrate()).toBe(peak);
    expect(g.track.part(5)).toBeUndefined(); // its parts are not served any more
    g.track.release(4); // the open segment is never released
    expect(g.track.segment(4)!.released).toBe(false);
  });
});
