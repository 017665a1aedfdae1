// Pure: the ffmpeg invocation that packages one live RTMP stream into HLS, HDS and Smooth at once
// (FIELD-NOTES §4: one process with three outputs costs about half of three processes and pulls
// the stream from the RTMP server once). No I/O here; ./ffmpeg-process.ts runs it.
import { loopbackFor } from '../config/index.js';
import { formatRelative, HLS_FILES } from '../timeline/output-layout.js';
import { videoPartFrames } from '../timeline/track-timeline.js';

export interface PackagingPlan {
  /** rtmp://127.0.0.1:<port>/<app>/<name> */
  inputUrl: string;
  /**
   * The stream directory (`streamDir(...)`): ffmpeg runs in it and writes its format folders
   * through relative paths (`formatRelative`), so no character of the data directory's path (a `%` in `cfx%2Fst`
   * is a pattern character of hls_segment_filename) reaches ffmpeg's output options.
   */
  workDir: string;
  /** HLS target duration and HDS/Smooth fragment length; segments follow key frames. */
  segmentSeconds: number;
  /** Segments kept in the HDS and Smooth live windows. */
  windowSegments: number;
  /** Segments the live HLS playlist lists: the DVR window (dvrSegmentCount). */
  hlsListSize: number;
  /** Segments kept on disk behind the window for players a little behind. */
  extraWindowSegments: number;
  /** Re-encode video to H.264 (input is not H.264). */
  transcodeVideo: boolean;
  /** Re-encode audio to AAC (input is not AAC). */
  transcodeAudio: boolean;
  /**
   * Continue an HLS playlist already on disk: its segments stay listed, numbering and
   * EXT-X-MEDIA-SEQUENCE continue, and ffmpeg inserts `#EXT-X-DISCONTINUITY` (a restart after a
   * crash, or a plain republish; SPEC ING-01).
   */
  appendHls: boolean;
  /** Give up on a silent RTMP input after this long (FIELD-NOTES §7 N3/F1). */
  inputTimeoutSeconds: number;
  /** Video bitrate for a re-encode, kbit/s. */
  transcodeVideoKbps?: number;
  /**
   * The CMAF output for LL-HLS and DASH: one fragmented-MP4 track per pipe (video on fd 3, audio
   * on the next), each fragment a part the origin's timeline receives the moment ffmpeg flushes it.
   */
  cmaf?: CmafPlan;
}

export interface CmafPlan {
  /** Part target, seconds: fragments are cut shorter than this (see cmafFragmentMicros). */
  partSeconds: number;
  /** Tracks to write, each to its own pipe in this order (fd 3, 4, …). */
  tracks: ReadonlyArray<'video' | 'audio'>;
  /**
   * The video's frame rate and key-frame interval, when known: video fragments then hold a whole
   * number of frames chosen so that they tile the GOP (videoPartFrames), with no short part left
   * before each key frame.
   */
  video?: { fps: number; gopSeconds: number };
}

export interface FfmpegOutput {
  options: string[];
  target: string;
}

/** Arguments in the shape fluent-ffmpeg takes them: input options, one input, outputs. */
export interface FfmpegInvocation {
  /** Working directory of the process; output targets are relative to it. */
  cwd: string;
  inputOptions: string[];
  input: string;
  outputs: FfmpegOutput[];
  /** Extra pipes the outputs write to (`pipe:3` …): fd 3 is `pipes[0]`. */
  pipes?: ReadonlyArray<string>;
}

/** Codec options shared by the three outputs: copy for H.264/AAC, otherwise a live re-encode. */
export function codecOptions(
  plan: Pick<PackagingPlan, 'transcodeVideo' | 'transcodeAudio' | 'segmentSeconds' | 'transcodeVideoKbps'>,
): string[] {
  // Optional maps (`?`): an audio-only or video-only publisher still packages.
  const opts = ['-map', '0:v:0?', '-map', '0:a:0?'];
  if (plan.transcodeVideo) {
    const kbps = plan.transcodeVideoKbps ?? 2000;
    opts.push(
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-profile:v',
      'main',
      '-pix_fmt',
      'yuv420p',
      '-b:v',
      `${kbps}k`,
      '-maxrate',
      `${kbps}k`,
      '-bufsize',
      `${kbps * 2}k`,
      // Key frames exactly on segment boundaries, so HLS/HDS/Smooth segments have the target length.
      '-force_key_frames',
      `expr:gte(t,n_forced*${plan.segmentSeconds})`,
      '-sc_threshold',
      '0',
    );
  } else {
    opts.push('-c:v', 'copy');
  }
  if (plan.transcodeAudio) opts.push('-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000');
  else opts.push('-c:a', 'copy');
  return opts;
}

/** One muxer of the packaging: its format, private options (name → value) and output path. */
interface MuxerSpec {
  format: 'hls' | 'hds' | 'smoothstreaming' | 'mp4';
  options: Array<[string, string]>;
  target: string;
  /** Only this stream (a CMAF track); default: every mapped stream. */
  select?: 'v' | 'a';
}

/**
 * ffmpeg's mp4 muxer closes a fragment before the first packet at or past `frag_duration` after
 * its start, so a fragment lasts up to one frame more than that. Asking for 90 % of the part
 * target keeps every part within PART-TARGET for frames up to a tenth of it (30 fps video and AAC
 * at 0.333 s and 0.5 s parts); the timeline widens PART-TARGET if an input still exceeds it.
 */
export function cmafFragmentMicros(partSeconds: number, video?: { fps: number; gopSeconds: number }): number {
  if (video && video.fps > 0) {
    // Halfway between the last frame a fragment keeps and the first it gives to the next one.
    return Math.round(((videoPartFrames(partSeconds, video.fps, video.gopSeconds) - 0.5) / video.fps) * 1_000_000);
  }
  return Math.round(partSeconds * 0.9 * 1_000_000);
}

/** The pipe name each CMAF track is written to. */
export function cmafPipe(index: number): string {
  return `pipe:${3 + index}`;
}

function cmafMuxers(cmaf: CmafPlan): MuxerSpec[] {
  // cmaf+empty_moov: init segment first, then moof+mdat pairs; default_base_moof: self-contained
  // fragments; frag_keyframe: a key frame always starts a fragment, so segments cut at parts.
  return cmaf.tracks.map((t, i) => ({
    format: 'mp4' as const,
    select: t === 'video' ? ('v' as const) : ('a' as const),
    options: [
      ['movflags', 'cmaf+empty_moov+default_base_moof+frag_keyframe'],
      ['frag_duration', String(cmafFragmentMicros(cmaf.partSeconds, t === 'video' ? cmaf.video : undefined))],
      // Write each fragment to the pipe as soon as it is complete, not when a buffer fills.
      ['flush_packets', '1'],
    ] as Array<[string, string]>,
    target: cmafPipe(i),
  }));
}

function muxers(plan: PackagingPlan): MuxerSpec[] {
  const seg = String(plan.segmentSeconds);
  const fragMicros = String(Math.round(plan.segmentSeconds * 1_000_000));
  const window = String(plan.windowSegments);
  const extra = String(plan.extraWindowSegments);
  // omit_endlist: ffmpeg writes its trailer whenever it stops (a full disk, a crash, a stalled
  // input), but only the supervisor knows the stream really ended; it adds #EXT-X-ENDLIST then.
  const hlsFlags = [
    'delete_segments',
    'independent_segments',
    'temp_file',
    'program_date_time',
    'omit_endlist',
    ...(plan.appendHls ? ['append_list'] : []),
  ].join('+');
  return [
    {
      // FIELD-NOTES §4a. `program_date_time`: every playlist carries EXT-X-PROGRAM-DATE-TIME from
      // the server clock at ingest, as the CMAF playlists do. The playlist is always written to a temp file and renamed (file protocol,
      // live playlist), `temp_file` does the same for segments: the origin never serves half a file.
      format: 'hls',
      options: [
        ['hls_time', seg],
        ['hls_list_size', String(plan.hlsListSize)],
        ['hls_delete_threshold', String(Math.max(1, plan.extraWindowSegments))],
        ['hls_flags', hlsFlags],
        ['hls_segment_filename', formatRelative('hls', HLS_FILES.segmentPattern)],
      ],
      target: formatRelative('hls', HLS_FILES.playlist),
    },
    {
      // FIELD-NOTES §4b: min_frag_duration defaults to 10 s; window bounds disk use.
      format: 'hds',
      options: [
        ['window_size', window],
        ['extra_window_size', extra],
        ['min_frag_duration', fragMicros],
      ],
      target: formatRelative('hds'),
    },
    {
      // FIELD-NOTES §4c: live manifest (`IsLive="true"`, `t=` entries) with a sliding window.
      format: 'smoothstreaming',
      options: [
        ['window_size', window],
        ['extra_window_size', extra],
        ['lookahead_count', '2'],
        ['min_frag_duration', fragMicros],
      ],
      target: formatRelative('mss'),
    },
  ];
}

/**
 * With `-c copy` (H.264/AAC in) the three muxers are three outputs of one process (FIELD-NOTES §4d).
 * A re-encode goes through the tee muxer instead, so the stream is encoded once, not once per
 * output; the encoders then put their headers in extradata (`+global_header`), which the HDS and
 * Smooth muxers need and which the MPEG-TS muxer repeats before each key frame.
 */
export function packagingInvocation(plan: PackagingPlan): FfmpegInvocation {
  const codecs = codecOptions(plan);
  const cmaf = plan.cmaf ? cmafMuxers(plan.cmaf) : [];
  const specs = [...muxers(plan), ...cmaf];
  const transcoding = plan.transcodeVideo || plan.transcodeAudio;
  const outputs: FfmpegOutput[] = transcoding
    ? [
        {
          options: [...codecs, '-flags', '+global_header', '-f', 'tee'],
          target: specs
            .map(
              (m) =>
                `[${[['f', m.format], ...(m.select ? [['select', m.select]] : []), ...m.options].map(([k, v]) => `${k}=${v}`).join(':')}]${m.target}`,
            )
            .join('|'),
        },
      ]
    : specs.map((m) => ({
        options: [...(m.select ? copyOne(m.select) : codecs), '-f', m.format, ...m.options.flatMap(([k, v]) => [`-${k}`, v])],
        target: m.target,
      }));
  return {
    cwd: plan.workDir,
    inputOptions: [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'warning',
      // A stalled input ends the process instead of hanging it (F1); microseconds.
      '-rw_timeout',
      String(Math.round(plan.inputTimeoutSeconds * 1_000_000)),
      // Short probing: the RTMP server sends metadata and both sequence headers first, so a
      // second is plenty and the first segment is not held back (connect→segment latency).
      '-analyzeduration',
      '1000000',
      '-probesize',
      '1000000',
    ],
    input: plan.inputUrl,
    outputs,
    ...(cmaf.length ? { pipes: cmaf.map((m) => m.target) } : {}),
  };
}

/** One stream of the input, copied (the CMAF outputs take one track each). */
function copyOne(select: 'v' | 'a'): string[] {
  return ['-map', `0:${select}:0`, `-c:${select}`, 'copy'];
}

/** The flat argument list (what runs, minus fluent-ffmpeg's `-y`): for logs, tests and benchmarks. */
export function invocationArgv(inv: FfmpegInvocation): string[] {
  return [...inv.inputOptions, '-i', inv.input, ...inv.outputs.flatMap((o) => [...o.options, o.target])];
}

/** Video codecs the packager can copy into all three formats; anything else is re-encoded. */
export function needsVideoTranscode(codec: string | undefined): boolean {
  return codec !== undefined && codec !== 'h264';
}

export function needsAudioTranscode(codec: string | undefined): boolean {
  return codec !== undefined && codec !== 'aac';
}

/** The RTMP URL the packager reads a stream from; a wildcard bind address is reached over loopback. */
export function rtmpInputUrl(host: string, port: number, app: string, name: string): string {
  return `rtmp://${loopbackFor(host)}:${port}/${app}/${name}`;
}
