// Test fixture: real packager output on disk. ONE ffmpeg process encodes a lavfi test pattern once
// and writes HLS, HDS and Smooth for several stream keys in the exact layout of
// src/timeline/output-layout.ts (the same muxers and options as FIELD-NOTES §4, from lavfi with -re).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { StreamKey } from '../../src/streams/stream-key.js';
import { formatDir, HLS_FILES, STREAM_INFO_FILE, streamDir, type StreamInfoFile } from '../../src/timeline/output-layout.js';

export interface FixtureStream {
  key: StreamKey;
  event?: string;
}

export interface PackagerRun {
  child: ChildProcess;
  /** Graceful stop with `q` on stdin (FIELD-NOTES §4b), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
  stderr(): string;
}

/** Segment/fragment length in seconds; the GOP is one second so every format cuts at 1 s. */
export const FRAGMENT_SECONDS = 1;

export async function startPackagerOutput(dataDir: string, streams: FixtureStream[], seconds = 12): Promise<PackagerRun> {
  const slaves: string[] = [];
  for (const s of streams) {
    const hls = formatDir(dataDir, s.key, 'hls');
    const hds = formatDir(dataDir, s.key, 'hds');
    const mss = formatDir(dataDir, s.key, 'mss');
    await Promise.all([hls, hds, mss].map((d) => fs.mkdir(d, { recursive: true })));
    const info: StreamInfoFile = {
      app: s.key.app,
      name: s.key.name,
      startedAt: new Date().toISOString(),
      ...(s.event ? { event: s.event } : {}),
    };
    await fs.writeFile(path.join(streamDir(dataDir, s.key), STREAM_INFO_FILE), JSON.stringify(info));
    // tee slave options are `:`-separated; the paths here contain no `:`, `|`, `[` or `]`.
    const us = FRAGMENT_SECONDS * 1_000_000;
    slaves.push(
      `[f=hls:hls_time=${FRAGMENT_SECONDS}:hls_list_size=40:hls_flags=independent_segments:hls_segment_filename=${hls}/${HLS_FILES.segmentPattern}]${hls}/${HLS_FILES.playlist}`,
      `[f=hds:window_size=40:extra_window_size=3:min_frag_duration=${us}]${hds}`,
      `[f=smoothstreaming:window_size=40:extra_window_size=3:lookahead_count=2:min_frag_duration=${us}]${mss}`,
    );
  }
  const fps = 25;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x180:rate=${fps}`,
    '-re',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=1000:sample_rate=48000',
    '-t',
    String(seconds),
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'baseline',
    '-pix_fmt',
    'yuv420p',
    '-b:v',
    '300k',
    '-g',
    String(fps),
    '-keyint_min',
    String(fps),
    '-sc_threshold',
    '0',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-ac',
    '2',
    // tee needs global headers so the Smooth/HDS muxers get codec private data.
    '-flags',
    '+global_header',
    '-f',
    'tee',
    slaves.join('|'),
  ];
  const child = spawn(process.env.FFMPEG_PATH ?? 'ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000);
  });
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  let killTimer: NodeJS.Timeout | undefined;
  return {
    child,
    exited,
    stderr: () => err,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.end('q');
        killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      }
      const code = await exited;
      clearTimeout(killTimer);
      return code;
    },
  };
}

/** Fragment numbers listed in an HDS bootstrap (abst → afrt fragment run table, Adobe F4V spec). */
export function abstFragments(abst: Buffer): number[] {
  const at = abst.indexOf('afrt');
  if (at < 0) return [];
  let p = at + 4 + 4 + 4; // type, version+flags, timescale
  const qualities = abst.readUInt8(p++);
  for (let i = 0; i < qualities; i++) p = abst.indexOf(0, p) + 1;
  const entries = abst.readUInt32BE(p);
  p += 4;
  const out: number[] = [];
  for (let i = 0; i < entries; i++) {
    const first = abst.readUInt32BE(p);
    const duration = abst.readUInt32BE(p + 12);
    p += 16;
    if (duration === 0) {
      p += 1; // discontinuity indicator
      continue;
    }
    out.push(first);
  }
  return out;
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
