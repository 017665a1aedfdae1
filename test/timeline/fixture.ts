// Builds track timelines from compact descriptions (no ffmpeg): a list of parts, each with its
// duration in seconds and whether it starts with a key frame.
import type { InitInfo } from '../../src/timeline/mp4-boxes.js';
import { TrackTimeline, type CutRule, type TrackOptions } from '../../src/timeline/track-timeline.js';

export const VIDEO_INIT: InitInfo = {
  kind: 'video',
  trackId: 1,
  timescale: 90000,
  codec: 'avc1.4d401f',
  width: 1280,
  height: 720,
  defaultSampleDuration: 0,
  defaultSampleFlags: 0,
};
export const AUDIO_INIT: InitInfo = {
  kind: 'audio',
  trackId: 1,
  timescale: 48000,
  codec: 'mp4a.40.2',
  sampleRate: 48000,
  channels: 2,
  defaultSampleDuration: 0,
  defaultSampleFlags: 0,
};

export const OPTS: TrackOptions = { segmentSeconds: 2, partTargetSeconds: 0.5, keepSegments: 9 };

/** `K` = key-frame part, `p` = other part; every part `partSeconds` long. */
export function pattern(s: string, partSeconds = 0.5): Array<[number, boolean]> {
  return [...s.replace(/\s/g, '')].map((c) => [partSeconds, c === 'K']);
}

export interface Feed {
  track: TrackTimeline;
  /** Adds parts continuing the current epoch's clock; `now` advances with media time. */
  add(parts: Array<[number, boolean]>, rule?: () => CutRule): void;
  /** A packager restart: new init, the clock starts again at `startTicks`. */
  restart(startTicks?: number): void;
  nowMs(): number;
}

/** `id`: the track id (default its kind; `video1`… for an ABR rung). */
export function feed(
  init: InitInfo = VIDEO_INIT,
  opts: TrackOptions = OPTS,
  startMs = Date.UTC(2026, 11, 1, 10, 0, 0),
  id: string = init.kind,
): Feed {
  const track = new TrackTimeline(id, opts);
  let t = 0;
  let now = startMs;
  let seq = 1;
  track.startEpoch(Buffer.from('init0'), init);
  return {
    track,
    add(parts, rule) {
      for (const [seconds, key] of parts) {
        const d = Math.round(seconds * init.timescale);
        now += seconds * 1000;
        track.addPart(Buffer.alloc(100), { sequence: seq++, baseTime: t, duration: d, sampleCount: 1, startsWithKey: key }, now, rule?.());
        t += d;
      }
    },
    restart(startTicks = 0) {
      t = startTicks;
      now += 1000;
      track.startEpoch(Buffer.from(`init${seq}`), init);
    },
    nowMs: () => now,
  };
}
