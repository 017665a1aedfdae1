import { describe, expect, it } from 'vitest';
import { startsNewSegment, TrackTimeline, videoPartFrames } from '../../src/timeline/track-timeline.js';
import { AUDIO_INIT, feed, OPTS, pattern, VIDEO_INIT } from './fixture.js';

describe('startsNewSegment (pure cutting rule)', () => {
  const o = { segmentSeconds: 2, partTargetSeconds: 0.5 };
  const key = (startSeconds: number) => ({ startSeconds, durationSeconds: 0.5, independent: true });
  it.each([
    ['no open segment: always', undefined, key(0), { kind: 'keyframes' as const }, true],
    [
      'a non-key part never cuts',
      { startSeconds: 0 },
      { startSeconds: 4, durationSeconds: 0.5, independent: false },
      { kind: 'keyframes' as const },
      false,
    ],
    ['key frame 1 s in: too early', { startSeconds: 0 }, key(1), { kind: 'keyframes' as const }, false],
    [
      'key frame 1 s in, open segment began without one',
      { startSeconds: 0, independent: false },
      key(1),
      { kind: 'keyframes' as const },
      true,
    ],
    ['key frame at the target', { startSeconds: 0 }, key(2), { kind: 'keyframes' as const }, true],
    ['key frame within half a part of the target', { startSeconds: 0 }, key(1.8), { kind: 'keyframes' as const }, true],
    ['key frame well before the target', { startSeconds: 0 }, key(1.7), { kind: 'keyframes' as const }, false],
    ['late key frame (GOP > target)', { startSeconds: 0 }, key(3), { kind: 'keyframes' as const }, true],
    ['boundary unknown: no cut', { startSeconds: 0 }, key(2), { kind: 'boundary' as const, boundarySeconds: undefined }, false],
    ['boundary already used by the open segment', { startSeconds: 2 }, key(2.5), { kind: 'boundary' as const, boundarySeconds: 2 }, false],
    ['part at a new boundary', { startSeconds: 0 }, key(2), { kind: 'boundary' as const, boundarySeconds: 2 }, true],
    ['part just before it (nearest part)', { startSeconds: 0 }, key(1.8), { kind: 'boundary' as const, boundarySeconds: 2 }, true],
    ['part well before it', { startSeconds: 0 }, key(1.5), { kind: 'boundary' as const, boundarySeconds: 2 }, false],
    [
      'open segment began at the part nearest the boundary, before it: no second cut',
      { startSeconds: 1.877 },
      { startSeconds: 2.347, durationSeconds: 0.469, independent: true },
      { kind: 'boundary' as const, boundarySeconds: 2 },
      false,
    ],
    [
      'the next boundary after such a segment',
      { startSeconds: 1.877 },
      { startSeconds: 4.224, durationSeconds: 0.469, independent: true },
      { kind: 'boundary' as const, boundarySeconds: 4 },
      true,
    ],
  ])('%s', (_name, open, part, rule, expected) => {
    expect(startsNewSegment(open, part, rule, o)).toBe(expected);
  });
});

describe('videoPartFrames (pure): video parts that tile the GOP', () => {
  it.each([
    // part target s, fps, GOP s, frames per part, shortest part in frames
    [0.5, 30, 2, 15, 15],
    // 10 frames are 0.3333 s, over a 0.333 s target: 9 fit, leaving 6 before each key frame.
    [0.333, 30, 2, 9, 6],
    [0.5, 25, 2, 10, 10],
    [0.5, 30000 / 1001, 2, 12, 12],
    [0.333, 25, 2, 5, 5],
    [0.5, 24, 2, 12, 12],
    [1, 30, 2, 30, 30],
    [0.5, 30, 3, 15, 15],
    [0.5, 60, 2, 30, 30],
    // 13 frames fit 0.45 s but leave 8 before each key frame; 12 tile the GOP.
    [0.45, 30, 2, 12, 12],
  ])('%s s parts at %s fps, %s s GOP: %s frames', (part, fps, gop, frames, shortest) => {
    const q = videoPartFrames(part, fps, gop);
    expect(q).toBe(frames);
    const g = Math.round(gop * fps);
    expect(Math.min(q, g % q || q)).toBe(shortest);
    // Every part fits PART-TARGET.
    expect(q / fps).toBeLessThanOrEqual(part + 1e-9);
  });
});

describe('TrackTimeline: segments cut at key frames', () => {
  it.each([
    // GOP, part pattern, expected segment lengths in parts
    ['GOP 2 s = target', 'Kppp Kppp Kppp Kp', [4, 4, 4, 2]],
    ['GOP 1 s: every other key frame cuts', 'Kp Kp Kp Kp Kp', [4, 4, 2]],
    ['GOP 3 s: segments follow the key frames', 'Kppppp Kppppp K', [6, 6, 1]],
    ['no key frame at first: the first part opens a segment, the first key frame ends it', 'pp Kppp Kp', [2, 4, 2]],
  ])('%s', (_name, parts, lengths) => {
    const f = feed();
    f.add(pattern(parts));
    expect(f.track.segments.map((s) => s.parts.length)).toEqual(lengths);
    // Every segment but the first starts with a key frame; all but the last are complete.
    expect(f.track.segments.slice(1).every((s) => s.parts[0].independent)).toBe(true);
    expect(f.track.segments.map((s) => s.complete)).toEqual(lengths.map((_, i) => i < lengths.length - 1));
  });

  it('numbers parts across segments and sums durations', () => {
    const f = feed();
    f.add(pattern('Kppp Kppp Kp'));
    const [a, b, c] = f.track.segments;
    expect([a.msn, b.msn, c.msn]).toEqual([0, 1, 2]);
    expect(b.parts.map((p) => [p.seq, p.msn, p.index])).toEqual([
      [4, 1, 0],
      [5, 1, 1],
      [6, 1, 2],
      [7, 1, 3],
    ]);
    expect(a.duration / 90000).toBe(2);
    expect(f.track.nextPartSeq).toBe(10);
    expect(f.track.part(6)).toBe(b.parts[2]);
    expect(f.track.part(10)).toBeUndefined();
    expect(f.track.segment(1)).toBe(b);
    expect(f.track.lastPart?.seq).toBe(9);
  });

  it('starts numbering where asked (names never repeat across timelines)', () => {
    const f = feed(undefined, { ...OPTS, firstMsn: 1000, firstPartSeq: 5000 });
    f.add(pattern('Kppp K'));
    expect(f.track.segments.map((s) => s.msn)).toEqual([1000, 1001]);
    expect(f.track.lastPart?.seq).toBe(5004);
  });

  it('program date-time: server clock at ingest of the first sample, then media time', () => {
    const f = feed();
    const start = f.nowMs();
    f.add(pattern('Kppp Kppp'));
    const [a, b] = f.track.segments;
    // The first part arrived 0.5 s after start, complete; its first sample was ingested at start.
    expect(f.track.pdtMs(a.epoch, a.start)).toBe(start);
    expect(f.track.pdtMs(b.epoch, b.start)).toBe(start + 2000);
    expect(f.track.pdtMs(b.epoch, b.parts[1].start)).toBe(start + 2500);
    expect(b.parts[1].arrivedMs).toBe(start + 3000);
  });

  it('program date-time: a burst of cached media at the start does not make the stream look late or early', () => {
    const track = new TrackTimeline('video', OPTS);
    track.startEpoch(Buffer.from('i'), VIDEO_INIT);
    const ingest = Date.UTC(2026, 11, 1, 10, 0, 0);
    const ts = VIDEO_INIT.timescale;
    const part = (i: number, arrivedMs: number) =>
      track.addPart(
        Buffer.alloc(1),
        { sequence: i, baseTime: i * ts * 0.5, duration: ts * 0.5, sampleCount: 1, startsWithKey: i % 4 === 0 },
        arrivedMs,
      );
    // Three parts (1.5 s) arrive at once 2 s after ingest began (the RTMP server's GOP cache) ...
    for (let i = 0; i < 3; i++) part(i, ingest + 2000);
    expect(track.pdtMs(0, 0)).toBe(ingest + 500);
    // ... then the rest in real time, 20 ms after each part's end.
    for (let i = 3; i < 8; i++) part(i, ingest + (i + 1) * 500 + 20);
    expect(track.pdtMs(0, 0)).toBe(ingest + 20);
  });

  it('a packager restart closes the open segment and marks the next with a discontinuity', () => {
    const f = feed();
    f.add(pattern('Kppp Kp'));
    f.restart(123_456);
    f.add(pattern('Kppp Kp'));
    const segs = f.track.segments;
    expect(segs.map((s) => [s.parts.length, s.complete, s.discontinuity, s.epoch])).toEqual([
      [4, true, false, 0],
      [2, true, false, 0],
      [4, true, true, 1],
      [2, false, false, 1],
    ]);
    expect(f.track.epoch(1)?.firstStart).toBe(123_456);
    // The new epoch's clock is anchored afresh (1 s gap in the fixture's server clock).
    expect(f.track.pdtMs(segs[2].epoch, segs[2].start) - f.track.pdtMs(segs[1].epoch, segs[1].start)).toBe(2000);
  });

  it('a restart before any part of the new run does not add an empty segment', () => {
    const f = feed();
    f.add(pattern('Kp'));
    f.restart();
    f.restart();
    f.add(pattern('K'));
    expect(f.track.segments.map((s) => s.parts.length)).toEqual([2, 1]);
    expect(f.track.segments[1].discontinuity).toBe(true);
  });

  it('keeps a bounded window and counts dropped discontinuities', () => {
    const f = feed(undefined, { ...OPTS, keepSegments: 2 });
    f.add(pattern('Kppp Kppp'));
    f.restart();
    f.add(pattern('Kppp Kppp Kppp Kp'));
    expect(f.track.segments.map((s) => s.msn)).toEqual([3, 4, 5]);
    expect(f.track.discontinuitySequence).toBe(1);
    expect(f.track.part(0)).toBeUndefined();
    // The first run's init is released once no segment refers to it.
    expect(f.track.epochs.map((e) => e.id)).toEqual([1]);
  });

  it('end() completes the open segment; a new run reopens the track', () => {
    const f = feed();
    f.add(pattern('Kppp Kp'));
    f.track.end();
    expect(f.track.ended).toBe(true);
    expect(f.track.segments.every((s) => s.complete)).toBe(true);
    f.restart();
    expect(f.track.ended).toBe(false);
  });

  it('audio follows given boundaries, and cuts by its own clock when alone', () => {
    const alone = feed(AUDIO_INIT);
    alone.add(pattern('KKKK KKKK KK'));
    expect(alone.track.segments.map((s) => s.parts.length)).toEqual([4, 4, 2]);

    const aligned = feed(AUDIO_INIT);
    let boundary: number | undefined = undefined;
    const rule = () => ({ kind: 'boundary' as const, boundarySeconds: boundary });
    aligned.add(pattern('KKKKKK'), rule); // no video boundary known yet: one segment
    boundary = 3; // the video cut at 3 s; the audio part at 3.0 s starts the next segment
    aligned.add(pattern('KK'), rule);
    expect(aligned.track.segments.map((s) => s.parts.length)).toEqual([6, 2]);
  });

  it('tracks the longest part and segment (PART-TARGET / TARGETDURATION never shrink)', () => {
    const f = feed();
    f.add([
      [0.5, true],
      [0.7, false],
      [0.5, false],
      [0.5, false],
      [0.5, true],
    ]);
    expect(f.track.longestPartSeconds).toBeCloseTo(0.7);
    expect(f.track.longestSegmentSeconds).toBeCloseTo(2.2);
  });
});
