// Synthetic test media (FIELD-NOTES §2): made once per machine and cached in os.tmpdir(),
// so every test file and benchmark reuses the same bytes instead of re-encoding.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FixtureOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Key-frame interval in seconds (GOP); segments follow key frames. */
  gopSeconds?: number;
  seconds?: number;
  videoKbps?: number;
  audioKbps?: number;
  sampleRate?: number;
  /** H.264 Main (default) or Sorenson Spark (`flv1`), to exercise the packager's transcode path. */
  videoCodec?: 'h264' | 'flv1';
  /** AAC-LC (default) or MP3. */
  audioCodec?: 'aac' | 'mp3';
}

const DEFAULTS: Required<FixtureOptions> = {
  width: 320,
  height: 180,
  fps: 25,
  gopSeconds: 1,
  seconds: 10,
  videoKbps: 300,
  audioKbps: 64,
  sampleRate: 44100,
  videoCodec: 'h264',
  audioCodec: 'aac',
};

/** 720p30 at 2 Mbps with 2 s GOP: the benchmark stream of the issue (FIELD-NOTES §2). */
export const HD_720P: FixtureOptions = {
  width: 1280,
  height: 720,
  fps: 30,
  gopSeconds: 2,
  seconds: 20,
  videoKbps: 2000,
  audioKbps: 128,
  sampleRate: 48000,
};

const inFlight = new Map<string, Promise<string>>();

/**
 * Path of an H.264 Main + AAC-LC FLV made from lavfi test sources. Cached by its parameters
 * in os.tmpdir(); concurrent callers (and processes, via rename) share one encode.
 */
export function syntheticFlv(opts: FixtureOptions = {}): Promise<string> {
  const o = { ...DEFAULTS, ...opts };
  const codecs = o.videoCodec === 'h264' && o.audioCodec === 'aac' ? '' : `-${o.videoCodec}-${o.audioCodec}`;
  const name = `streamfront-fixture-${o.width}x${o.height}-${o.fps}fps-g${o.gopSeconds}-${o.seconds}s-${o.videoKbps}k-${o.audioKbps}k-${o.sampleRate}${codecs}.flv`;
  const file = path.join(os.tmpdir(), name);
  if (fs.existsSync(file) && fs.statSync(file).size > 0) return Promise.resolve(file);
  let p = inFlight.get(file);
  if (!p) {
    p = encode(o, file);
    inFlight.set(file, p);
    p.finally(() => inFlight.delete(file)).catch(() => {});
  }
  return p;
}

function encode(o: Required<FixtureOptions>, file: string): Promise<string> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp.flv`;
  const gop = String(Math.round(o.fps * o.gopSeconds));
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=1000:sample_rate=${o.sampleRate}`,
    '-t',
    String(o.seconds),
    ...(o.videoCodec === 'h264'
      ? [
          '-c:v',
          'libx264',
          '-profile:v',
          'main',
          '-preset',
          'veryfast',
          '-pix_fmt',
          'yuv420p',
          '-b:v',
          `${o.videoKbps}k`,
          '-maxrate',
          `${o.videoKbps}k`,
          '-bufsize',
          `${o.videoKbps * 2}k`,
          '-g',
          gop,
          '-keyint_min',
          gop,
          '-sc_threshold',
          '0',
        ]
      : ['-c:v', 'flv', '-b:v', `${o.videoKbps}k`, '-g', gop]),
    ...(o.audioCodec === 'aac' ? ['-c:a', 'aac'] : ['-c:a', 'libmp3lame']),
    '-b:a',
    `${o.audioKbps}k`,
    '-ac',
    '2',
    '-f',
    'flv',
    tmp,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(process.env.FFMPEG_PATH || 'ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) {
        fs.rmSync(tmp, { force: true });
        reject(new Error(`fixture encode failed (${code}): ${err.trim()}`));
        return;
      }
      fs.renameSync(tmp, file);
      resolve(file);
    });
  });
}

export interface ProbeResult {
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string }>;
  format?: { format_name: string; duration?: string };
}

/** ffprobe -show_streams -show_format as JSON; rejects when ffprobe cannot read the input. */
export function ffprobe(input: string, extraArgs: string[] = []): Promise<ProbeResult> {
  const probe = process.env.FFPROBE_PATH || 'ffprobe';
  return new Promise((resolve, reject) => {
    const p = spawn(probe, ['-v', 'error', ...extraArgs, '-print_format', 'json', '-show_streams', '-show_format', input], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`ffprobe ${input} failed (${code}): ${err.trim()}`));
      else resolve(JSON.parse(out) as ProbeResult);
    });
  });
}

/** The video resolution and audio sample rate ffprobe finds in `input` (what tells two test streams apart). */
export async function probeResolutionAndRate(
  input: string,
  extraArgs: string[] = [],
): Promise<{ width?: number; height?: number; sampleRate?: string }> {
  const probe = await ffprobe(input, extraArgs);
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  return { width: v?.width, height: v?.height, sampleRate: a?.sample_rate };
}
