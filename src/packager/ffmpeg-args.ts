// Pure: the ffmpeg invocation that packages one live RTMP stream into HLS, HDS and Smooth at once
// (FIELD-NOTES §4: one process with three outputs costs about half of three processes and pulls
// the stream from the RTMP server once). No I/O here; ./ffmpeg-process.ts runs it.
import { loopbackFor } from '../config/index.js';
import { cmafVideoTrackId, formatRelative, HLS_FILES } from '../timeline/output-layout.js';
import { isAbr, type PlannedRung } from './abr-ladder.js';
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
  /**
   * The ABR ladder of this run (src/packager/abr-ladder.ts), highest first, the source rung first.
   * Absent or only the source rung: today's single rendition.
   */
  rungs?: readonly PlannedRung[];
  /** With a ladder: the source rung's nominal video bitrate for HDS and Smooth, kbit/s (sourceNominalKbps). */
  sourceVideoKbps?: number;
  /** With a ladder: the input has an audio stream (every rung then carries audio). */
  hasAudio?: boolean;
  /** With a ladder: append to each rung's HLS playlist already on disk (by rung name). */
  appendHlsRungs?: ReadonlySet<string>;
  /**
   * The TS DVR archive deletes the segments (timeline/dvr-ts-archive.ts: it moves them to the
   * store first): ffmpeg runs without `delete_segments`, which would log an error for each file
   * already gone.
   */
  archiveDeletesSegments?: boolean;
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
  /** Further inputs after the first, each with its own options (a recording of every ABR rung). */
  moreInputs?: ReadonlyArray<{ options: string[]; input: string }>;
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

/** One HLS media playlist: the ladder-less `index.m3u8`, or one rung's (`rung`). */
function hlsMuxer(plan: PackagingPlan, append: boolean, rung?: string): MuxerSpec {
  // omit_endlist: ffmpeg writes its trailer whenever it stops (a full disk, a crash, a stalled
  // input), but only the supervisor knows the stream really ended; it adds #EXT-X-ENDLIST then.
  const hlsFlags = [
    ...(plan.archiveDeletesSegments ? [] : ['delete_segments']),
    'independent_segments',
    'temp_file',
    'program_date_time',
    'omit_endlist',
    ...(append ? ['append_list'] : []),
  ].join('+');
  return {
    // FIELD-NOTES §4a. `program_date_time`: every playlist carries EXT-X-PROGRAM-DATE-TIME from
    // the server clock at ingest, as the CMAF playlists do. The playlist is always written to a temp file and renamed (file protocol,
    // live playlist), `temp_file` does the same for segments: the origin never serves half a file.
    format: 'hls',
    options: [
      ['hls_time', String(plan.segmentSeconds)],
      ['hls_list_size', String(plan.hlsListSize)],
      ['hls_delete_threshold', String(Math.max(1, plan.extraWindowSegments))],
      ['hls_flags', hlsFlags],
      ['hls_segment_filename', formatRelative('hls', rung === undefined ? HLS_FILES.segmentPattern : HLS_FILES.rungSegmentPattern(rung))],
    ],
    target: formatRelative('hls', rung === undefined ? HLS_FILES.playlist : HLS_FILES.rungPlaylist(rung)),
  };
}

/** HDS and Smooth: one muxer each, whatever the number of renditions. */
function fragmentedMuxers(plan: PackagingPlan): [MuxerSpec, MuxerSpec] {
  const fragMicros = String(Math.round(plan.segmentSeconds * 1_000_000));
  const window = String(plan.windowSegments);
  const extra = String(plan.extraWindowSegments);
  return [
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

function muxers(plan: PackagingPlan): MuxerSpec[] {
  return [hlsMuxer(plan, plan.appendHls), ...fragmentedMuxers(plan)];
}

/**
 * With `-c copy` (H.264/AAC in) the three muxers are three outputs of one process (FIELD-NOTES §4d).
 * A re-encode goes through the tee muxer instead, so the stream is encoded once, not once per
 * output; the encoders then put their headers in extradata (`+global_header`), which the HDS and
 * Smooth muxers need and which the MPEG-TS muxer repeats before each key frame.
 */
export function packagingInvocation(plan: PackagingPlan): FfmpegInvocation {
  if (plan.rungs && isAbr(plan.rungs)) return ladderInvocation(plan, plan.rungs);
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
    inputOptions: inputOptions(plan),
    input: plan.inputUrl,
    outputs,
    ...(cmaf.length ? { pipes: cmaf.map((m) => m.target) } : {}),
  };
}

function inputOptions(plan: PackagingPlan): string[] {
  return [
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
  ];
}

/** A tee slave: `[f=…:select=…:k=v…]target` (values here never hold `:`, `|`, `[` or `]`). */
function teeSlave(m: MuxerSpec, select?: string): string {
  const opts = [['f', m.format], ...(select !== undefined ? [['select', select]] : []), ...m.options];
  return `[${opts.map(([k, v]) => `${k}=${v}`).join(':')}]${m.target}`;
}

/** Key frames every rung is forced to: the source's, or the segment grid when the source is itself re-encoded. */
function keyFrameRule(plan: PackagingPlan): string {
  // `source` keeps each rung's key frames on the source's (copied) ones, so every rung cuts at the
  // same segment boundaries. Measured with ffprobe -show_frames on ffmpeg 5.1: with the default
  // constant-frame-rate output the forced key frame lands one frame late; `-fps_mode passthrough`
  // (below) puts it on the source's frame.
  return plan.transcodeVideo ? `expr:gte(t,n_forced*${plan.segmentSeconds})` : 'source';
}

/** libx264 options of one output video stream (`v:<index>`). */
function x264Options(index: number, kbps: number, keyFrames: string): string[] {
  const s = `:v:${index}`;
  return [
    `-c${s}`,
    'libx264',
    `-preset${s}`,
    'veryfast',
    `-tune${s}`,
    'zerolatency',
    `-profile${s}`,
    'main',
    `-pix_fmt${s}`,
    'yuv420p',
    `-b${s}`,
    `${kbps}k`,
    `-maxrate${s}`,
    `${kbps}k`,
    `-bufsize${s}`,
    `${kbps * 2}k`,
    `-force_key_frames${s}`,
    keyFrames,
    // No key frames of its own: scene cuts and a GOP shorter than the source's would cut this rung elsewhere.
    `-sc_threshold${s}`,
    '0',
    `-g${s}`,
    '100000',
  ];
}

/**
 * The ABR ladder in one process: the source is decoded once, `split` into one `scale` per
 * transcoded rung, each encoded once (libx264) into one tee output that every muxer reads, so no
 * rung is encoded twice; the source rung is copied when the input allows. Output streams, in
 * order: source video, source audio, then each rung's video and audio (its own AAC bitrate).
 * HLS gets one media playlist per rung; HDS takes every stream (each video with the audio after
 * it becomes one `<media>`); Smooth takes every video and the source's audio; CMAF takes one
 * video pipe per rung plus the source's audio.
 */
function ladderInvocation(plan: PackagingPlan, rungs: readonly PlannedRung[]): FfmpegInvocation {
  const audio = plan.hasAudio !== false;
  const perRung = audio ? 2 : 1;
  const videoIndex = (i: number) => i * perRung;
  const audioIndex = (i: number) => i * perRung + 1;
  const scaled = rungs.slice(1);
  const labels = scaled.map((_, i) => `s${i + 1}`);
  const graph = [
    scaled.length === 1 ? `[0:v:0]null[${labels[0]}]` : `[0:v:0]split=${scaled.length}${labels.map((l) => `[${l}]`).join('')}`,
    ...scaled.map((r, i) => `[${labels[i]}]scale=${r.width}:${r.height}[v${i + 1}]`),
  ].join(';');
  const keyFrames = keyFrameRule(plan);
  const options: string[] = ['-filter_complex', graph, '-map', '0:v:0', ...(audio ? ['-map', '0:a:0'] : [])];
  for (let i = 1; i < rungs.length; i++) options.push('-map', `[v${i}]`, ...(audio ? ['-map', '0:a:0'] : []));
  // The source rung: copied (HDS and Smooth need a bitrate per stream, which a copy does not carry).
  const srcKbps = plan.sourceVideoKbps ?? 2000;
  if (plan.transcodeVideo) options.push(...x264Options(0, plan.transcodeVideoKbps ?? srcKbps, keyFrames));
  else options.push('-c:v:0', 'copy', '-b:v:0', `${srcKbps}k`);
  if (audio) {
    if (plan.transcodeAudio) options.push('-c:a:0', 'aac', '-b:a:0', '128k', '-ac:a:0', '2', '-ar:a:0', '48000');
    else options.push('-c:a:0', 'copy', '-b:a:0', '128k');
  }
  for (let i = 1; i < rungs.length; i++) {
    const r = rungs[i]!;
    options.push(...x264Options(i, r.videoKbps ?? 1000, keyFrames));
    if (audio) options.push(`-c:a:${i}`, 'aac', `-b:a:${i}`, `${r.audioKbps ?? 96}k`, `-ac:a:${i}`, '2');
  }
  // See keyFrameRule: passthrough timestamps keep forced key frames on the source's frames.
  options.push('-fps_mode', 'passthrough', '-flags', '+global_header', '-f', 'tee');

  const slaves: string[] = [];
  for (const [i, r] of rungs.entries()) {
    const select = [videoIndex(i), ...(audio ? [audioIndex(i)] : [])].join(',');
    slaves.push(teeSlave(hlsMuxer(plan, plan.appendHlsRungs?.has(r.name) ?? false, r.name), select));
  }
  const [hds, mss] = fragmentedMuxers(plan);
  slaves.push(teeSlave(hds));
  slaves.push(teeSlave(mss, [...rungs.map((_, i) => videoIndex(i)), ...(audio ? [audioIndex(0)] : [])].join(',')));
  const pipes: string[] = [];
  if (plan.cmaf) {
    const [video, audioMuxer] = [cmafMuxers({ ...plan.cmaf, tracks: ['video'] })[0]!, cmafMuxers({ ...plan.cmaf, tracks: ['audio'] })[0]!];
    const tracks = plan.cmaf.tracks;
    let pipe = 0;
    if (tracks.includes('video')) {
      for (const [i] of rungs.entries()) {
        slaves.push(teeSlave({ ...video, target: cmafPipe(pipe++) }, String(videoIndex(i))));
      }
    }
    if (audio && tracks.includes('audio')) slaves.push(teeSlave({ ...audioMuxer, target: cmafPipe(pipe++) }, String(audioIndex(0))));
    for (let p = 0; p < pipe; p++) pipes.push(cmafPipe(p));
  }
  return {
    cwd: plan.workDir,
    inputOptions: inputOptions(plan),
    input: plan.inputUrl,
    outputs: [{ options, target: slaves.join('|') }],
    ...(pipes.length ? { pipes } : {}),
  };
}

/**
 * The CMAF track ids of a run, in pipe order: with a ladder one video track per rung
 * (`cmafVideoTrackId`) and then the audio; without, the plan's tracks as they are.
 */
export function cmafTrackIds(plan: Pick<PackagingPlan, 'rungs' | 'cmaf' | 'hasAudio'>): string[] {
  const tracks = plan.cmaf?.tracks ?? [];
  if (!plan.rungs || !isAbr(plan.rungs)) return [...tracks];
  return [
    ...(tracks.includes('video') ? plan.rungs.map((_, i) => cmafVideoTrackId(i)) : []),
    ...(plan.hasAudio !== false && tracks.includes('audio') ? ['audio'] : []),
  ];
}

/** One stream of the input, copied (the CMAF outputs take one track each). */
function copyOne(select: 'v' | 'a'): string[] {
  return ['-map', `0:${select}:0`, `-c:${select}`, 'copy'];
}

/** The flat argument list (what runs, minus fluent-ffmpeg's `-y`): for logs, tests and benchmarks. */
export function invocationArgv(inv: FfmpegInvocation): string[] {
  return [
    ...inv.inputOptions,
    '-i',
    inv.input,
    ...(inv.moreInputs ?? []).flatMap((m) => [...m.options, '-i', m.input]),
    ...inv.outputs.flatMap((o) => [...o.options, o.target]),
  ];
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
