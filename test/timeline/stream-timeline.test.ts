// A stream's timeline fed with real ffmpeg CMAF fragments (video and audio, as the packager writes
// them) in the orders the pipes can deliver them: audio segments must start where the video's do
// (to within half an audio part), whichever track's fragment completes first.
import { beforeAll, describe, expect, it } from 'vitest';
import { cmafFragmentMicros } from '../../src/packager/ffmpeg-args.js';
import { StreamTimeline } from '../../src/timeline/stream-timeline.js';
import { videoPartFrames } from '../../src/timeline/track-timeline.js';
import { ffmpegCmafTrack, type CmafTrack } from './ffmpeg-cmaf.js';

const outputs: Record<'video' | 'audio', CmafTrack> = {} as never;

beforeAll(() => {
  // 10 s of 30 fps video with 2 s GOPs and AAC, cut as the packager cuts 0.5 s parts.
  outputs.video = ffmpegCmafTrack('video', { seconds: 10, gopFrames: 60 });
  outputs.audio = ffmpegCmafTrack('audio', { seconds: 10 });
}, 60_000);

type Order = (f: { kind: 'video' | 'audio'; start: number; end: number }) => number;

describe('StreamTimeline: audio cuts follow the video cuts, whatever order the pipes deliver in', () => {
  it.each<[string, Order]>([
    // ffmpeg writes a fragment when the packet after it arrives: in order of fragment end.
    ['in order of completion (what the pipes deliver)', (f) => f.end],
    ['each audio fragment a little before the video one ending at the same time', (f) => f.end - (f.kind === 'audio' ? 0.3 : 0)],
    ['video always well ahead', (f) => f.end - (f.kind === 'video' ? 1.5 : 0)],
    ['audio always well ahead (its pipe drained first)', (f) => f.end - (f.kind === 'audio' ? 1.5 : 0)],
  ])('%s', (_name, order) => {
    let now = Date.UTC(2026, 11, 1, 10, 0, 0);
    const stream = new StreamTimeline({ segmentSeconds: 2, partTargetSeconds: 0.5, keepSegments: 20 }, () => now);
    const sinks = { video: stream.input('video'), audio: stream.input('audio') };
    sinks.video(outputs.video.init);
    sinks.audio(outputs.audio.init);
    const all = (['video', 'audio'] as const).flatMap((kind) =>
      outputs[kind].frags.map((f) => ({
        kind,
        bytes: f.bytes,
        start: f.info.baseTime / outputs[kind].timescale,
        end: (f.info.baseTime + f.info.duration) / outputs[kind].timescale,
      })),
    );
    all.sort((a, b) => order(a) - order(b));
    for (const f of all) {
      now = Date.UTC(2026, 11, 1, 10, 0, 0) + Math.max(0, order(f)) * 1000;
      expect(sinks[f.kind](f.bytes)).toBeUndefined();
    }
    stream.end();
    const starts = (kind: 'video' | 'audio') => stream.track(kind)!.segments.map((s) => s.start / outputs[kind].timescale);
    const video = starts('video');
    const audio = starts('audio');
    const audioPart = outputs.audio.frags[1]!.info.duration / outputs.audio.timescale;
    expect(video.length).toBeGreaterThanOrEqual(5);
    expect(audio, `audio starts ${audio.join(' ')}; video ${video.join(' ')}`).toHaveLength(video.length);
    for (const [i, v] of video.entries()) {
      expect(Math.abs(audio[i]! - v), `audio segment ${i} starts at ${audio[i]} s, video at ${v} s`).toBeLessThanOrEqual(
        audioPart / 2 + 1e-3,
      );
    }
    // Nothing lost or reordered: every fragment became a part, in order.
    for (const kind of ['video', 'audio'] as const) {
      const parts = stream.track(kind)!.segments.flatMap((s) => s.parts.map((p) => p.start));
      expect(parts).toEqual(outputs[kind].frags.map((f) => f.info.baseTime));
    }
  });
});

describe('video fragments cut for the frame rate tile the GOP (no short part before a key frame)', () => {
  it.each([
    [0.5, 30],
    [0.333, 30],
    [0.5, 25],
    [0.5, 24],
  ])('%s s parts at %s fps', (part, fps) => {
    const out = ffmpegCmafTrack('video', {
      seconds: 6,
      fps,
      gopFrames: 2 * fps,
      fragMicros: cmafFragmentMicros(part, { fps, gopSeconds: 2 }),
    });
    const durations = out.frags.map((f) => f.info.duration / out.timescale);
    // Every part fits the target, and none is shorter than the table's choice allows (the old
    // cut at 90 % of the target left 4 frames, 0.13 s, before each key frame at 0.5 s and 30 fps).
    const q = videoPartFrames(part, fps, 2);
    const shortest = Math.min(q, (2 * fps) % q || q) / fps;
    for (const d of durations.slice(0, -1)) {
      expect(d).toBeLessThanOrEqual(part + 1e-6);
      expect(d).toBeGreaterThanOrEqual(shortest - 1e-6);
    }
    // Key frames start every 2 s part boundary.
    const keys = out.frags.filter((f) => f.info.startsWithKey).map((f) => f.info.baseTime / out.timescale);
    expect(keys.slice(0, 3)).toEqual([0, 2, 4]);
  });
});
