// Pure rules of a recording: which segments a live HLS playlist has finished, the capture's saved
// state, how the rungs of an ABR ladder are captured in step, the concat list that joins the
// captured segments, and the one ffmpeg run that turns them into the VOD files (an MP4 with its
// index first, a VOD HLS playlist, a static DASH MPD; with a ladder one of each per rung, the MPD
// one Representation per rung, and the HLS master over the rungs).
import { z } from 'zod';
import type { FfmpegInvocation } from '../packager/ffmpeg-args.js';
import { tsMasterPlaylist, type MeasuredSegment, type TsVariant, measuredBandwidth } from '../origin/hls-master.js';
import { CAPTURE_FILES, VOD_FILES, isHlsSegmentName, type StreamRungInfo } from '../timeline/output-layout.js';

export interface ListedSegment {
  /** The segment's file name in the live HLS folder (`seg_00042.ts`). */
  name: string;
  duration: number;
  /** An `#EXT-X-DISCONTINUITY` stands before it (a republish, an ffmpeg restart). */
  discontinuity: boolean;
}

export interface LivePlaylist {
  /** A master playlist's first variant (the source rendition), relative to the HLS folder. */
  variant?: string;
  segments: ListedSegment[];
}

/**
 * The segments a live media playlist lists: finished ones only, since the packager writes each
 * segment to a temp file and lists it after the rename. Names that are not the packager's
 * segment names are ignored; so is anything that is not a plain name (no `/`, no `..`).
 */
export function parseLivePlaylist(text: string): LivePlaylist {
  const segments: ListedSegment[] = [];
  let duration: number | undefined;
  let discontinuity = false;
  let expectVariant = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF')) {
      expectVariant = true;
      continue;
    }
    if (line.startsWith('#EXTINF:')) {
      const d = Number.parseFloat(line.slice('#EXTINF:'.length));
      duration = Number.isFinite(d) && d > 0 ? d : undefined;
      continue;
    }
    if (line === '#EXT-X-DISCONTINUITY') {
      discontinuity = true;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (expectVariant) {
      // One folder level at most, plain names: never outside the HLS folder.
      if (/^([A-Za-z0-9_-]{1,64}\/)?[A-Za-z0-9_-]{1,64}\.m3u8$/.test(line)) return { variant: line, segments: [] };
      expectVariant = false;
      continue;
    }
    const name = line.split('?')[0]!.split('/').pop()!;
    if (duration !== undefined && isHlsSegmentName(name) && !line.includes('..')) segments.push({ name, duration, discontinuity });
    duration = undefined;
    discontinuity = false;
  }
  return { segments };
}

/** One ABR rung of a recording, as stream.json describes it (the rung name is a file-name part). */
export const recordedRungSchema = z.object({
  name: z.string().regex(/^[a-z0-9]{1,16}$/),
  source: z.boolean(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  videoKbps: z.number().positive().optional(),
  audioKbps: z.number().positive().optional(),
});

export type RecordedRung = z.infer<typeof recordedRungSchema>;

export const captureStateSchema = z.object({
  app: z.string(),
  name: z.string(),
  id: z.string(),
  startedAt: z.string(),
  /**
   * The ABR rungs the recording captures, highest first; empty without a ladder (the one
   * `index.m3u8`). Absent in a capture saved before its rungs were known, which is ladder-less.
   */
  rungs: z.array(recordedRungSchema).optional(),
  /** When the last publish of the recording ended (absent while it is live). */
  endedAt: z.string().optional(),
  segments: z.array(
    z.object({
      /** Source name in the live folder, to recognise a segment already captured. */
      from: z.string(),
      duration: z.number().positive(),
      discontinuity: z.boolean(),
    }),
  ),
  /** How many segments the last successful build and upload covered. */
  builtSegments: z.number().int().min(0).default(0),
});

export type CaptureState = z.infer<typeof captureStateSchema>;

/**
 * Can a recording of `recorded` rungs go on with a publish of `next` rungs? Only with the same
 * rungs at the same sizes: each rung's VOD files are one timeline at one resolution, and the
 * master playlist announces one RESOLUTION per rung. A republish whose source has another height
 * has another ladder (or the same names at other sizes), so it starts a new recording.
 */
export function sameRungs(recorded: readonly StreamRungInfo[], next: readonly StreamRungInfo[]): boolean {
  if (recorded.length !== next.length) return false;
  return recorded.every((r, i) => {
    const n = next[i]!;
    return r.name === n.name && r.source === n.source && r.width === n.width && r.height === n.height;
  });
}

/**
 * The rows a capture can take now: the first waiting segment of every rung, then the next, while
 * every rung has one. Rungs are cut by one ffmpeg at the same key frames, so the k-th new segment
 * of each covers the same time; a rung whose playlist is a moment behind keeps the others
 * waiting, and a recording never holds a segment of one rung without the others'. Takes the rows
 * off the queues.
 */
export function takeAlignedRows<T>(queues: T[][]): T[][] {
  const rows: T[][] = [];
  if (queues.length === 0) return rows;
  while (queues.every((q) => q.length > 0)) rows.push(queues.map((q) => q.shift()!));
  return rows;
}

/** ffconcat list of the captured segments, with their durations (timestamps then follow on). `file`: the n-th capture's name. */
export function concatList(segmentCount: number, durations: readonly number[], file: (n: number) => string = CAPTURE_FILES.source): string {
  const lines = ['ffconcat version 1.0'];
  for (let i = 0; i < segmentCount; i++) {
    lines.push(`file '${file(i)}'`, `duration ${durations[i]!.toFixed(6)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The ffmpeg input options of a VOD build: quiet, then a concat list (each input gets `CONCAT_INPUT`). */
const BUILD_INPUT_OPTIONS = ['-hide_banner', '-nostats', '-loglevel', 'warning'];
const CONCAT_INPUT = ['-f', 'concat', '-safe', '1'];
/** ADTS AAC from MPEG-TS must become MP4's AudioSpecificConfig in the mp4 and dash outputs. */
const TO_MP4_AUDIO = ['-bsf:a', 'aac_adtstoasc'];
/** The dash muxer keeps MPEG-TS's codec tags unless told the MP4 ones (video is always H.264 here). */
const MP4_AUDIO_TAG = ['-tag:a', 'mp4a'];

const vodOutput = (f: string): string => `${CAPTURE_FILES.outputFolder}/${f}`;

/**
 * A faststart MP4 of the streams `maps` selects (and copies). `+faststart` moves the MP4's index
 * (`moov`) before its media (`mdat`), so a progressive download can start playing before it has
 * the whole file.
 */
function vodMp4Options(maps: readonly string[]): string[] {
  return [...maps, ...TO_MP4_AUDIO, '-movflags', '+faststart', '-f', 'mp4'];
}

/**
 * The static DASH MPD's muxer options, after the stream selection: the MP4 video tag (with
 * `audioTag`, the audio one too), then the dash muxer with one segment template and timeline.
 * A ladder adds the display aspect every Representation gets and its AdaptationSets.
 */
function vodDashOptions(o: {
  segmentSeconds: number;
  audioTag?: boolean;
  aspect?: { width: number; height: number };
  adaptationSets?: string;
}): string[] {
  return [
    '-tag:v',
    'avc1',
    ...(o.audioTag ? MP4_AUDIO_TAG : []),
    ...(o.aspect ? ['-aspect:v', `${o.aspect.width}:${o.aspect.height}`] : []),
    '-f',
    'dash',
    '-seg_duration',
    String(o.segmentSeconds),
    '-use_template',
    '1',
    '-use_timeline',
    '1',
    ...(o.adaptationSets ? ['-adaptation_sets', o.adaptationSets] : []),
  ];
}

/**
 * One ffmpeg run in the capture folder: the concat of the captured TS segments, copied (no
 * re-encode) into the three VOD outputs: a faststart MP4, VOD HLS and a static DASH MPD.
 */
export function vodBuildInvocation(opts: { captureDir: string; segmentSeconds: number }): FfmpegInvocation {
  const maps = ['-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy'];
  return {
    cwd: opts.captureDir,
    inputOptions: [...BUILD_INPUT_OPTIONS, ...CONCAT_INPUT],
    input: CAPTURE_FILES.concatList,
    outputs: [
      { options: vodMp4Options(maps), target: vodOutput(VOD_FILES.mp4) },
      {
        options: [
          ...maps,
          '-f',
          'hls',
          '-hls_time',
          String(opts.segmentSeconds),
          '-hls_playlist_type',
          'vod',
          '-hls_flags',
          'independent_segments',
          '-hls_segment_filename',
          vodOutput(VOD_FILES.segmentPattern),
        ],
        target: vodOutput(VOD_FILES.playlist),
      },
      {
        options: [...maps, ...TO_MP4_AUDIO, ...vodDashOptions({ segmentSeconds: opts.segmentSeconds, audioTag: true })],
        target: vodOutput(VOD_FILES.mpd),
      },
    ],
  };
}

/** The download of rung `index` (0 = the top rung, the recording's `recording.mp4`). */
export function rungMp4Name(rungs: readonly { name: string }[], index: number): string {
  return index === 0 ? VOD_FILES.mp4 : VOD_FILES.rungMp4(rungs[index]!.name);
}

/**
 * The build of a recording with an ABR ladder: one ffmpeg run, one concat input per rung (input i
 * = rung i, the top rung first), copied (no re-encode) into: each rung's faststart MP4, each
 * rung's VOD TS segments (its own video and audio, as the live rung), and one static MPD
 * whose video AdaptationSet has one Representation per rung beside the top rung's audio. The
 * master playlist is written afterwards from what the build measured (vodMasterPlaylist).
 */
export function vodLadderBuildInvocation(opts: {
  captureDir: string;
  segmentSeconds: number;
  rungs: readonly string[];
  /** The captured segments carry audio (an audio-less publisher has no audio AdaptationSet). */
  audio: boolean;
  /** The top rung's size: the display aspect ratio every video Representation is given. */
  aspect?: { width: number; height: number };
  /** The captured rows' durations (the concat lists give every rung the same timeline). */
  durations: readonly number[];
}): FfmpegInvocation {
  const { rungs } = opts;
  if (rungs.length === 0) throw new Error('a ladder build needs rungs');
  const rungMaps = (i: number) => ['-map', `${i}:v:0`, ...(opts.audio ? ['-map', `${i}:a:0`] : []), '-c', 'copy'];
  const outputs: FfmpegInvocation['outputs'] = [];
  for (const [i] of rungs.entries()) {
    outputs.push({
      options: vodMp4Options(rungMaps(i)),
      target: vodOutput(
        rungMp4Name(
          rungs.map((name) => ({ name })),
          i,
        ),
      ),
    });
  }
  // Every rung is cut at the same times: the live segments' boundaries, which are key frames in
  // every rung (the hls muxer would cut each rung a frame apart, since each counts from its own
  // first packet). The segment muxer lists what it cut in a CSV; vodMediaPlaylist writes the playlist.
  const cuts = vodCutTimes(opts.durations).map((t) => t.toFixed(3));
  for (const [i, name] of rungs.entries()) {
    outputs.push({
      options: [
        ...rungMaps(i),
        '-f',
        'segment',
        '-segment_format',
        'mpegts',
        ...(cuts.length ? ['-segment_times', cuts.join(',')] : ['-segment_time', '86400']),
        '-segment_list',
        vodOutput(CAPTURE_FILES.rungCutList(name)),
        '-segment_list_type',
        'csv',
      ],
      target: vodOutput(VOD_FILES.rungSegmentPattern(name)),
    });
  }
  outputs.push({
    // One AdaptationSet for the video rungs (a player switches between them), one for the audio.
    // The dash muxer refuses an AdaptationSet whose streams differ in display aspect ratio, and
    // each rung's even width rounds it a little differently (854x480, 428x240): they are all the
    // top rung's picture, so the container says so (the coded frames are not touched).
    options: [
      ...rungs.flatMap((_, i) => ['-map', `${i}:v:0`]),
      ...(opts.audio ? ['-map', '0:a:0', ...TO_MP4_AUDIO, ...MP4_AUDIO_TAG] : []),
      '-c',
      'copy',
      ...vodDashOptions({
        segmentSeconds: opts.segmentSeconds,
        ...(opts.aspect ? { aspect: opts.aspect } : {}),
        adaptationSets: opts.audio ? 'id=0,streams=v id=1,streams=a' : 'id=0,streams=v',
      }),
    ],
    target: vodOutput(VOD_FILES.mpd),
  });
  return {
    cwd: opts.captureDir,
    inputOptions: [...BUILD_INPUT_OPTIONS, ...CONCAT_INPUT],
    input: CAPTURE_FILES.rungConcatList(rungs[0]!),
    moreInputs: rungs.slice(1).map((name) => ({ options: CONCAT_INPUT, input: CAPTURE_FILES.rungConcatList(name) })),
    outputs,
  };
}

/** What the build measured of one rung's VOD media playlist. */
export interface BuiltRung {
  rung: RecordedRung;
  /** Bytes and EXTINF durations of its VOD segments. */
  segments: MeasuredSegment[];
  /** RFC 6381 codec strings read from its first segment (ts-codecs.ts). */
  codecs: string[];
}

/** The HLS VOD master playlist over the rungs' media playlists (the live TS master's writer). */
export function vodMasterPlaylist(rungs: readonly BuiltRung[]): string {
  return tsMasterPlaylist(rungs.map(vodVariant));
}

export function vodVariant(b: BuiltRung): TsVariant {
  const m = measuredBandwidth(b.segments);
  const r = b.rung;
  return {
    playlist: VOD_FILES.rungPlaylist(r.name),
    ...(r.width && r.height ? { width: r.width, height: r.height } : {}),
    ...(m ? { measured: m } : {}),
    ...(r.videoKbps ? { targetKbps: r.videoKbps + (r.audioKbps ?? 0) } : {}),
    codecs: b.codecs,
  };
}

/** Most cut times one rung's `-segment_times` carries (the argument stays well inside the kernel's 128 KiB per argument). */
export const MAX_VOD_CUTS = 6000;

/**
 * The times (s) the VOD segments of every rung start at, after the first: the boundaries of the
 * captured rows, each a key frame in every rung. A recording longer than MAX_VOD_CUTS rows is cut
 * at every k-th boundary (its VOD segments are k live segments long). A thousandth of a second
 * early, so a boundary that lands a rounding error after its key frame still cuts there.
 */
export function vodCutTimes(durations: readonly number[], maxCuts = MAX_VOD_CUTS): number[] {
  const every = Math.max(1, Math.ceil((durations.length - 1) / maxCuts));
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < durations.length - 1; i++) {
    t += durations[i]!;
    if ((i + 1) % every === 0) out.push(Math.max(0, t - 0.001));
  }
  return out;
}

/**
 * The segment muxer's CSV list (`name,start,end` a line) as segments, each lasting until the next
 * one starts (the last until its end): the sum of EXTINF is then the timeline, a gap between two
 * publishes included, in every rung alike. Undefined when a line is not such an entry.
 */
export function parseCutList(csv: string): Array<{ name: string; duration: number }> | undefined {
  const rows: Array<{ name: string; start: number; end: number }> = [];
  for (const line of csv.split('\n')) {
    if (line.trim() === '') continue;
    const [name, start, end, extra] = line.trim().split(',');
    const row = { name: name ?? '', start: Number(start), end: Number(end) };
    if (extra !== undefined || !/^[A-Za-z0-9_-]{1,80}\.ts$/.test(row.name)) return undefined;
    if (!Number.isFinite(row.start) || !Number.isFinite(row.end) || row.end <= row.start || row.start < 0) return undefined;
    rows.push(row);
  }
  const out = rows.map((r, i) => ({ name: r.name, duration: (i + 1 < rows.length ? rows[i + 1]!.start : r.end) - r.start }));
  return out.every((s) => s.duration > 0) ? out : undefined;
}

/** A VOD media playlist over whole TS segments (RFC 8216: every EXTINF rounded is at most TARGETDURATION). */
export function vodMediaPlaylist(segments: ReadonlyArray<{ name: string; duration: number }>): string {
  const target = Math.max(1, ...segments.map((s) => Math.round(s.duration)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (const s of segments) lines.push(`#EXTINF:${s.duration.toFixed(6)},`, s.name);
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
