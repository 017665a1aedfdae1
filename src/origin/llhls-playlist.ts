// Pure: LL-HLS master and media playlists generated from a stream's timeline on request
// (RFC 8216bis: EXT-X-PART-INF, EXT-X-PART, EXT-X-PRELOAD-HINT, EXT-X-SERVER-CONTROL, EXT-X-SKIP;
// FIELD-NOTES §8 "LL-HLS" lists the points players enforce).
import type { TimelineSegment, TrackTimeline } from '../timeline/track-timeline.js';
import { firstInWindow, type DvrSelection } from '../timeline/dvr-window.js';
import { cmafNames } from '../timeline/output-layout.js';

/** EXT-X-TARGETDURATION: whole seconds, never below any listed segment's rounded duration. */
export function targetDuration(track: TrackTimeline): number {
  return Math.max(1, Math.ceil(track.opts.segmentSeconds), Math.round(track.longestSegmentSeconds));
}

/** PART-TARGET: the configured target, or the longest part if the input made one longer (every part ≤ it). */
export function partTarget(track: TrackTimeline): number {
  return Math.max(track.opts.partTargetSeconds, Math.ceil(track.longestPartSeconds * 1000) / 1000);
}

/** PART-HOLD-BACK: three part targets (players need ≥ 2, the spec recommends 3). */
export function partHoldBack(track: TrackTimeline): number {
  return round3(3 * partTarget(track));
}

/** CAN-SKIP-UNTIL: six target durations (the minimum the spec allows). */
export function canSkipUntil(track: TrackTimeline): number {
  return 6 * targetDuration(track);
}

export interface MediaPlaylistOptions {
  /** What is listed: the DVR window, shortened or started later by the request (timeline/dvr-window.ts). */
  window: DvrSelection;
  /** `_HLS_skip=YES`: replace old segments by EXT-X-SKIP. */
  skip?: boolean;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function seconds(track: TrackTimeline, s: Pick<TimelineSegment, 'epoch'>, ticks: number): number {
  return ticks / track.timescale(s.epoch);
}

/** The segments a media playlist lists: the complete ones the window selects, plus the open one. */
export function listedSegments(track: TrackTimeline, window: DvrSelection): TimelineSegment[] {
  const all = track.segments;
  const complete = all.filter((s) => s.complete);
  if (complete.length === 0) return [...all];
  const items = complete.map((s) => ({ startMs: track.pdtMs(s.epoch, s.start), durationMs: seconds(track, s, s.duration) * 1000 }));
  return all.slice(all.indexOf(complete[firstInWindow(items, window)]!));
}

export function mediaPlaylist(track: TrackTimeline, opts: MediaPlaylistOptions): string {
  const id = track.id;
  const td = targetDuration(track);
  const segs = listedSegments(track, opts.window);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    `#EXT-X-TARGETDURATION:${td}`,
    `#EXT-X-PART-INF:PART-TARGET=${partTarget(track).toFixed(3)}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${partHoldBack(track).toFixed(3)},CAN-SKIP-UNTIL=${canSkipUntil(track).toFixed(1)}`,
    `#EXT-X-MEDIA-SEQUENCE:${segs[0]?.msn ?? track.nextMsn}`,
  ];
  // EXT-X-DISCONTINUITY-SEQUENCE counts the discontinuities before the first listed segment,
  // including its own (its tag is not written: nothing listed comes before it).
  const firstIndex = segs.length ? track.segments.indexOf(segs[0]) : 0;
  const hidden = track.segments.slice(0, firstIndex).filter((s) => s.discontinuity).length + (segs[0]?.discontinuity ? 1 : 0);
  lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${track.discontinuitySequence + hidden}`);

  // The live edge (end of the newest part) and the segments whose parts are listed: those ending
  // within three target durations of it (older parts are removed, as the spec advises).
  const last = segs.at(-1);
  const edge = last ? seconds(track, last, last.start + last.duration) : 0;
  const sameEpoch = (s: TimelineSegment) => last !== undefined && s.epoch === last.epoch;
  const endOf = (s: TimelineSegment) => seconds(track, s, s.start + s.duration);

  let skipped = 0;
  if (opts.skip) {
    const until = canSkipUntil(track);
    // Only whole segments of the newest epoch that end at least CAN-SKIP-UNTIL before the edge.
    while (
      skipped < segs.length &&
      segs[skipped].complete &&
      sameEpoch(segs[skipped]) &&
      !segs[skipped].discontinuity &&
      edge - endOf(segs[skipped]) >= until
    )
      skipped++;
    if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  }

  let mapEpoch: number | undefined;
  for (let i = skipped; i < segs.length; i++) {
    const s = segs[i];
    if (s.discontinuity && i > 0) lines.push('#EXT-X-DISCONTINUITY');
    if (s.epoch !== mapEpoch) {
      lines.push(`#EXT-X-MAP:URI="${cmafNames.init(id, s.epoch)}"`);
      mapEpoch = s.epoch;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Math.round(track.pdtMs(s.epoch, s.start))).toISOString()}`);
    const withParts = !s.complete || (sameEpoch(s) && edge - endOf(s) < 3 * td);
    if (withParts) {
      for (const p of s.parts) {
        lines.push(
          `#EXT-X-PART:DURATION=${seconds(track, s, p.duration).toFixed(5)},URI="${cmafNames.part(id, p.seq)}"${p.independent ? ',INDEPENDENT=YES' : ''}`,
        );
      }
    }
    if (s.complete) {
      lines.push(`#EXTINF:${seconds(track, s, s.duration).toFixed(5)},`, cmafNames.segment(id, s.msn));
    }
  }
  if (track.ended) lines.push('#EXT-X-ENDLIST');
  else lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${cmafNames.part(id, track.nextPartSeq)}"`);
  return `${lines.join('\n')}\n`;
}

/**
 * True when a track's media playlist can be served: it lists at least one complete segment (hls.js
 * treats a live playlist with no segment yet as a fatal `levelEmptyError`).
 */
export function playlistReady(track: TrackTimeline): boolean {
  return track.currentEpoch !== undefined && (track.ended || track.segments.some((s) => s.complete));
}

/** True when every track of a stream can be played: the master playlist may be served. */
export function masterReady(tracks: readonly TrackTimeline[]): boolean {
  return tracks.length > 0 && tracks.every(playlistReady);
}

/**
 * The master playlist: one variant per video track, audio as an EXT-X-MEDIA rendition with its own
 * LL-HLS media playlist (the same separate tracks DASH needs). An audio-only stream is one variant.
 */
export function masterPlaylist(tracks: readonly TrackTimeline[], prefix = ''): string {
  const videos = tracks.filter((t) => t.currentEpoch?.info.kind === 'video');
  const audios = tracks.filter((t) => t.currentEpoch?.info.kind === 'audio');
  const lines = ['#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const audio = audios[0];
  const audioInfo = audio?.currentEpoch?.info;
  const audioBw = audio ? audio.peakBitrate() || 128_000 : 0;
  if (videos.length === 0) {
    if (audio && audioInfo) {
      lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${audioBw},CODECS="${audioInfo.codec}"`, prefix + cmafNames.playlist(audio.id));
    }
    return `${lines.join('\n')}\n`;
  }
  if (audio && audioInfo) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES${audioInfo.channels ? `,CHANNELS="${audioInfo.channels}"` : ''},URI="${prefix}${cmafNames.playlist(audio.id)}"`,
    );
  }
  for (const v of videos) {
    const info = v.currentEpoch!.info;
    const bw = (v.peakBitrate() || 2_000_000) + audioBw;
    const codecs = [info.codec, ...(audioInfo ? [audioInfo.codec] : [])].join(',');
    const res = info.width && info.height ? `,RESOLUTION=${info.width}x${info.height}` : '';
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${bw},CODECS="${codecs}"${res}${audio ? ',AUDIO="audio"' : ''}`,
      prefix + cmafNames.playlist(v.id),
    );
  }
  return `${lines.join('\n')}\n`;
}
