// Real CMAF tracks from ffmpeg for the tests of the fMP4 splitter, the stream timeline and the
// origin's CMAF routes: a synthetic source (160x90 test pattern, 48 kHz sine) encoded and muxed
// with the mp4 muxer flags the packager uses for its CMAF pipes, written to a pipe.
import { spawnSync } from 'node:child_process';
import { cmafFragmentMicros } from '../../src/packager/ffmpeg-args.js';
import { Fmp4Splitter, type FragmentInfo } from '../../src/timeline/mp4-boxes.js';

export interface CmafSource {
  /** Length of the source, seconds. */
  seconds: number;
  /** Video frame rate (default 30). */
  fps?: number;
  /** Frames from one key frame to the next (default one second's worth). */
  gopFrames?: number;
  /** The muxer's `frag_duration`, µs (default the packager's for 0.5 s parts). */
  fragMicros?: number;
}

/** The fMP4 bytes of one track: the init segment, then one moof+mdat pair per fragment. */
export function ffmpegCmafBytes(track: 'video' | 'audio', source: CmafSource): Buffer {
  const fps = source.fps ?? 30;
  const gop = String(source.gopFrames ?? fps);
  const input =
    track === 'video'
      ? ['-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=${fps}`]
      : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
  // The packager's live re-encode (codecOptions), with a fixed GOP instead of forced key frames
  // so a test can choose where the key frames fall; ultrafast keeps the fixture quick.
  const codec =
    track === 'video'
      ? [
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-g',
          gop,
          '-keyint_min',
          gop,
          '-sc_threshold',
          '0',
          '-profile:v',
          'main',
          '-pix_fmt',
          'yuv420p',
        ]
      : ['-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000'];
  const r = spawnSync(
    process.env.FFMPEG_PATH || 'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', ...input, '-t', String(source.seconds), ...codec],
      ...['-f', 'mp4', '-movflags', 'cmaf+empty_moov+default_base_moof+frag_keyframe'],
      ...['-frag_duration', String(source.fragMicros ?? cmafFragmentMicros(0.5)), 'pipe:1'],
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout;
}

export interface CmafTrack {
  init: Buffer;
  timescale: number;
  frags: Array<{ bytes: Buffer; info: FragmentInfo }>;
}

/** Splits a track's bytes into its init segment and fragments; a malformed stream throws. */
export function splitCmaf(bytes: Buffer): CmafTrack {
  const out: CmafTrack = { init: Buffer.alloc(0), frags: [], timescale: 1 };
  for (const ev of new Fmp4Splitter().push(bytes)) {
    if (ev.type === 'init') {
      out.init = ev.bytes;
      out.timescale = ev.info.timescale;
    } else if (ev.type === 'fragment') out.frags.push({ bytes: ev.bytes, info: ev.info });
    else if (ev.type === 'error') throw new Error(ev.reason);
  }
  if (!out.init.length) throw new Error('the track has no init segment');
  return out;
}

/** One track from ffmpeg, split. */
export function ffmpegCmafTrack(track: 'video' | 'audio', source: CmafSource): CmafTrack {
  return splitCmaf(ffmpegCmafBytes(track, source));
}
