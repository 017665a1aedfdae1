// The built-in test-pattern publisher of `streamfront demo`: one ffmpeg that draws a lavfi test
// source (with a running clock when a font is available, and by default a machine-readable
// wall-clock time code, see time-code.ts) and a beeping tone, encodes H.264 + AAC
// with 2 s GOPs and publishes it over RTMP, so a newcomer with no encoder sees video at once.
// This file is the demo's own small child-process adapter: argument building is pure
// (testPatternArgs), spawning and supervision sit below it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Logger } from '../log.js';
import { timeCodeFilters } from './time-code.js';

export interface TestPatternArgsOptions {
  rtmpUrl: string;
  width: number;
  height: number;
  fps: number;
  /** TrueType font for the clock overlay; without one the pattern has testsrc2's own counter only. */
  fontFile?: string;
  /** Video bitrate, kbit/s; default scales with the picture size (about 1.7 Mbit/s at 720p30). */
  videoKbps?: number;
  /** Stamp the encoder's wall-clock time on every frame as a block code (time-code.ts). */
  timeCode?: boolean;
}

/** Escapes a value for use inside a single-quoted filtergraph option (ffmpeg-filters "Quoting and escaping"). */
function filterQuote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`;
}

/** The drawtext filter: wall-clock time and stream time, bottom centre, on a dark box. */
export function clockFilter(fontFile: string, height: number): string {
  const size = Math.max(14, Math.round(height / 20));
  return [
    `drawtext=fontfile=${filterQuote(fontFile)}`,
    // %{localtime:%X} is the wall clock (a viewer can compare it with their own clock to see the
    // end-to-end delay); %{pts:hms} is the stream time.
    `text='%{localtime\\:%X}  ·  %{pts\\:hms}'`,
    `fontsize=${size}`,
    'fontcolor=white',
    'box=1',
    'boxcolor=black@0.6',
    `boxborderw=${Math.round(size / 3)}`,
    'x=(w-tw)/2',
    `y=h-th-${Math.round(size * 1.2)}`,
  ].join(':');
}

/**
 * ffmpeg arguments of the test pattern. GOP = 2 s with no scene-cut key frames, so the packager's
 * 2 s segments follow key frames (SPEC 2.3: a key frame every 1–4 s, 2 s recommended); H.264 Main
 * and AAC-LC 48 kHz stereo are what every output family accepts (SPEC 2.3 encoding rules).
 */
export function testPatternArgs(o: TestPatternArgsOptions): string[] {
  if (!/^rtmps?:\/\//i.test(o.rtmpUrl)) throw new Error(`test pattern: not an RTMP URL: ${o.rtmpUrl}`);
  for (const [k, v] of [
    ['width', o.width],
    ['height', o.height],
    ['fps', o.fps],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`test pattern: ${k} must be a positive integer, got ${v}`);
  }
  if (o.width % 2 || o.height % 2) throw new Error('test pattern: width and height must be even (yuv420p)');
  const gop = o.fps * 2;
  const kbps = o.videoKbps ?? Math.max(300, Math.round((o.width * o.height * o.fps * 0.06) / 1000));
  const args = [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-nostats',
    // -re on both inputs: generated sources would otherwise run as fast as the CPU allows.
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
    '-re',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=1000:sample_rate=48000:beep_factor=4',
  ];
  const filters = [
    ...(o.timeCode ? timeCodeFilters(o.width, o.height, o.fps) : []),
    ...(o.fontFile ? [clockFilter(o.fontFile, o.height)] : []),
  ];
  if (filters.length) args.push('-vf', filters.join(','));
  args.push(
    '-map',
    '0:v:0',
    '-map',
    '1:a:0',
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
    '-g',
    String(gop),
    '-keyint_min',
    String(gop),
    '-sc_threshold',
    '0',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    '-ar',
    '48000',
    '-f',
    'flv',
    o.rtmpUrl,
  );
  return args;
}

/** Next restart delay: doubles from `min` up to `max`; a run that lasted `stableMs` resets it. */
export function nextBackoffMs(previousMs: number, ranForMs: number, min = 500, max = 10_000, stableMs = 10_000): number {
  if (ranForMs >= stableMs || previousMs <= 0) return min;
  return Math.min(max, previousMs * 2);
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf', // Debian fonts-dejavu-core
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
  '/usr/share/fonts/TTF/DejaVuSansMono.ttf',
];

/** A TrueType font for drawtext: well-known Debian paths first, then fontconfig's `fc-match`. */
export function findFontFile(): string | undefined {
  const known = FONT_CANDIDATES.find((f) => existsSync(f));
  if (known) return known;
  const r = spawnSync('fc-match', ['-f', '%{file}', 'monospace'], { encoding: 'utf8', timeout: 3000 });
  const file = r.status === 0 ? r.stdout.trim() : '';
  return file && /\.(ttf|otf)$/i.test(file) && existsSync(file) ? file : undefined;
}

/** Whether this ffmpeg build has a filter (Debian's has drawtext; minimal builds may not). */
export function ffmpegHasFilter(ffmpegPath: string, filter: string): boolean {
  const r = spawnSync(ffmpegPath, ['-hide_banner', '-filters'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && new RegExp(`^\\s*\\S+\\s+${filter}\\s`, 'm').test(r.stdout);
}

export interface TestPatternOptions {
  ffmpegPath: string;
  rtmpUrl: string;
  log: Logger;
  width?: number;
  height?: number;
  fps?: number;
  /**
   * Stamp the wall-clock time code (time-code.ts) the player page reads to show encoder-to-screen
   * latency. On by default: at 720p30 its cost is within a few points of a core either way (the
   * flat strip also saves x264 some work; scripts/bench-glass.ts --time-code-cost measures it), and
   * the strip is 16 px at the top of a test pattern.
   */
  timeCode?: boolean;
}

export interface TestPattern {
  /** Ends the publisher: `q` on stdin, then SIGTERM, then SIGKILL; resolves once the child is reaped. */
  stop(): Promise<void>;
  /** How many times ffmpeg was restarted after dying on its own. */
  readonly restarts: number;
  /** PID of the current ffmpeg, if one runs. */
  readonly pid: number | undefined;
}

const STOP_Q_MS = 3000;
const STOP_TERM_MS = 2000;

/**
 * Starts the test-pattern publisher and keeps it running: when ffmpeg dies (for example because
 * the RTMP server is not listening yet, or dropped it) it is started again with back-off.
 */
export function startTestPattern(opts: TestPatternOptions): TestPattern {
  // The caller's logger already carries role=demo (src/cli.ts); name the component only.
  const log = opts.log.child({ component: 'test-pattern' });
  const width = opts.width ?? 1280;
  const height = opts.height ?? 720;
  const fps = opts.fps ?? 30;
  const fontFile = ffmpegHasFilter(opts.ffmpegPath, 'drawtext') ? findFontFile() : undefined;
  const timeCode = opts.timeCode ?? true;
  const args = testPatternArgs({ rtmpUrl: opts.rtmpUrl, width, height, fps, fontFile, timeCode });
  log.info(
    {
      rtmpUrl: opts.rtmpUrl,
      width,
      height,
      fps,
      timeCode,
      clock: fontFile ? 'drawtext' : 'testsrc2 counter only (no font or no drawtext)',
    },
    'test pattern publisher starting',
  );

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopping = false;
  let restarts = 0;
  let backoffMs = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  const launch = (): void => {
    const startedAt = Date.now();
    const proc = spawn(opts.ffmpegPath, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    child = proc;
    let stderrTail = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
    });
    // stdin errors (EPIPE after ffmpeg exits) must not crash the process.
    proc.stdin?.on('error', () => {});
    exited = new Promise<void>((resolve) => {
      proc.once('error', (err) => {
        log.error({ err: err.message, ffmpegPath: opts.ffmpegPath }, 'test pattern: cannot run ffmpeg');
      });
      proc.once('close', (code, signal) => {
        if (child === proc) child = undefined;
        resolve();
        if (stopping) {
          log.info({ code, signal }, 'test pattern publisher stopped');
          return;
        }
        const ranForMs = Date.now() - startedAt;
        backoffMs = nextBackoffMs(backoffMs, ranForMs);
        log.warn(
          { code, signal, ranForMs, retryInMs: backoffMs, stderr: stderrTail.trim().split('\n').slice(-3).join(' | ') },
          'test pattern ffmpeg exited; restarting',
        );
        restartTimer = setTimeout(() => {
          restartTimer = undefined;
          if (stopping) return;
          restarts++;
          launch();
        }, backoffMs);
      });
    });
  };

  launch();

  const waitExit = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      void exited.then(() => {
        clearTimeout(t);
        resolve(true);
      });
    });

  return {
    get restarts() {
      return restarts;
    },
    get pid() {
      return child?.pid;
    },
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
        await exited;
        return;
      }
      // `q` lets ffmpeg finish the FLV stream cleanly (FIELD-NOTES §4b); an ffmpeg blocked on a
      // network write may ignore it and the first signal (FIELD-NOTES §7 F1), hence the ladder.
      proc.stdin?.end('q');
      if (await waitExit(STOP_Q_MS)) return;
      proc.kill('SIGTERM');
      if (await waitExit(STOP_TERM_MS)) return;
      log.warn({ pid: proc.pid }, 'test pattern ffmpeg ignored q and SIGTERM; killing');
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
