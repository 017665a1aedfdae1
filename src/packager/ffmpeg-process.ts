// The only file that touches fluent-ffmpeg and ffmpeg child processes. fluent-ffmpeg was archived
// upstream in May 2025; replacing it with a direct spawn changes this file alone.
// Its quirks (FIELD-NOTES §7 F1/F2): `.kill()` defaults to SIGKILL (no trailers, no
// #EXT-X-ENDLIST) so graceful stops write `q` to stdin; an unhandled 'error' crashes Node, so
// 'error' always has a listener; an ffmpeg blocked on a read ignores the first signal, so the
// stop escalates q → SIGINT → SIGKILL.
import { execFile } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';
import type { FfmpegInvocation } from './ffmpeg-args.js';

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The spawn failed (binary missing, not executable). */
  spawnError?: string;
  /** Last stderr lines, for the log. */
  stderrTail: string;
}

export interface FfmpegChild {
  /** Resolves when the process is running (or failed to spawn). */
  readonly started: Promise<number | undefined>;
  readonly exited: Promise<FfmpegExit>;
  pid(): number | undefined;
  /** Graceful stop: `q`, SIGINT after `graceMs`, SIGKILL after another `graceMs`. */
  stop(graceMs?: number): Promise<FfmpegExit>;
  /** Immediate SIGKILL (tests, last resort). */
  kill(): void;
}

const STDERR_LINES = 30;

/**
 * `onPipeData(index, chunk)` receives what ffmpeg writes to `inv.pipes[index]` (fd 3 + index); the
 * pipes are always drained, so a slow consumer never stalls the other outputs.
 */
/**
 * Options as the argv words they are: fluent-ffmpeg splits a word holding one space ("a b", such
 * as an `-adaptation_sets` value) in two when the options come as one array or one string, and
 * takes each verbatim when they come as several arguments. None: nothing (it would add "undefined").
 */
function verbatim(options: readonly string[], add: (...options: string[]) => unknown): void {
  if (options.length > 1) add(...options);
  else if (options.length === 1) add(options[0]!);
}

export function spawnFfmpeg(
  ffmpegPath: string,
  inv: FfmpegInvocation,
  onStderrLine?: (line: string) => void,
  onPipeData?: (index: number, chunk: Buffer) => void,
): FfmpegChild {
  const command = ffmpeg({ stdoutLines: STDERR_LINES, cwd: inv.cwd });
  command.setFfmpegPath(ffmpegPath);
  command.input(inv.input);
  verbatim(inv.inputOptions, (...o) => command.inputOptions(...o));
  for (const more of inv.moreInputs ?? []) {
    command.input(more.input);
    verbatim(more.options, (...o) => command.inputOptions(...o));
  }
  for (const out of inv.outputs) {
    command.output(out.target);
    verbatim(out.options, (...o) => command.outputOptions(...o));
  }

  // Own process group: a Ctrl-C in the terminal reaches the server, not ffmpeg (a SIGINT'ed ffmpeg
  // leaves 0-byte HDS manifests, FIELD-NOTES §4b); the server stops its children with `q`.
  // fluent-ffmpeg has no option for spawn flags, so its spawn helper is wrapped here.
  const internal = command as unknown as { _spawnFfmpeg: (args: string[], options: SpawnOptions, ...rest: unknown[]) => unknown };
  const originalSpawn = internal._spawnFfmpeg;
  internal._spawnFfmpeg = function (this: unknown, args: string[], options: SpawnOptions, ...rest: unknown[]) {
    const pipes = inv.pipes?.length ?? 0;
    const stdio: SpawnOptions = pipes > 0 ? { stdio: Array<'pipe'>(3 + pipes).fill('pipe') } : {};
    return originalSpawn.call(this, args, { ...options, ...stdio, detached: true }, ...rest);
  };

  const tail: string[] = [];
  let proc: ChildProcess | undefined;
  let stopRequested = false;
  let resolveStarted!: (pid: number | undefined) => void;
  const started = new Promise<number | undefined>((r) => (resolveStarted = r));
  let resolveExit!: (e: FfmpegExit) => void;
  const exited = new Promise<FfmpegExit>((r) => (resolveExit = r));
  let exitedInfo: FfmpegExit | undefined;
  const finish = (e: Omit<FfmpegExit, 'stderrTail'>) => {
    if (exitedInfo) return;
    exitedInfo = { ...e, stderrTail: tail.join('\n') };
    resolveStarted(proc?.pid);
    resolveExit(exitedInfo);
  };

  command.on('stderr', (line: string) => {
    tail.push(line);
    if (tail.length > STDERR_LINES) tail.shift();
    onStderrLine?.(line);
  });
  command.on('start', () => {
    proc = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
    if (!proc) return;
    proc.stdin?.on('error', () => {}); // EPIPE when ffmpeg is already gone
    for (let i = 0; i < (inv.pipes?.length ?? 0); i++) {
      const out = proc.stdio[3 + i] as NodeJS.ReadableStream | null | undefined;
      out?.on('error', () => {});
      out?.on('data', (chunk: Buffer) => onPipeData?.(i, chunk));
    }
    proc.once('exit', (code, signal) => finish({ code, signal }));
    resolveStarted(proc.pid);
    if (stopRequested) void stop();
  });
  // F2: fluent-ffmpeg reports every non-zero exit and spawn failure as 'error'; the exit itself is
  // read from the child above, so this listener only catches what happens before a child exists.
  command.on('error', (err: Error) => {
    if (!proc) finish({ code: null, signal: null, spawnError: err.message });
  });
  command.on('end', () => {});
  command.run();

  let stopping: Promise<FfmpegExit> | undefined;
  const stop = (graceMs = 5000): Promise<FfmpegExit> => {
    stopRequested = true;
    if (exitedInfo) return Promise.resolve(exitedInfo);
    if (!proc) return exited; // 'start' will call stop() again
    if (stopping) return stopping;
    const p = proc;
    stopping = (async () => {
      if (p.stdin?.writable) p.stdin.write('q');
      const t1 = setTimeout(() => signal(p, 'SIGINT'), graceMs);
      const t2 = setTimeout(() => signal(p, 'SIGKILL'), graceMs * 2);
      const e = await exited;
      clearTimeout(t1);
      clearTimeout(t2);
      return e;
    })();
    return stopping;
  };
  return {
    started,
    exited,
    pid: () => proc?.pid,
    stop,
    kill: () => {
      stopRequested = true;
      if (proc) signal(proc, 'SIGKILL');
    },
  };
}

function signal(p: ChildProcess, sig: NodeJS.Signals): void {
  if (p.exitCode === null && p.signalCode === null) {
    try {
      p.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

export interface FfmpegCapabilities {
  path: string;
  version: string;
}

// mp4: the CMAF output (fragmented MP4 to pipes).
const REQUIRED_MUXERS = ['hls', 'hds', 'smoothstreaming', 'mp4'];

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** Runs `ffmpeg -version` and `-muxers`; throws a one-line Error when ffmpeg is missing or lacks a muxer. */
export async function checkFfmpeg(ffmpegPath: string): Promise<FfmpegCapabilities> {
  let versionOut: string;
  try {
    versionOut = await run(ffmpegPath, ['-hide_banner', '-version']);
  } catch (err) {
    throw new Error(
      `no working ffmpeg at "${ffmpegPath}" (${(err as Error).message.split('\n')[0]}); install ffmpeg or set FFMPEG_PATH / packager.ffmpegPath`,
    );
  }
  const version = /ffmpeg version (\S+)/.exec(versionOut)?.[1] ?? 'unknown';
  const muxersOut = await run(ffmpegPath, ['-hide_banner', '-muxers']).catch(() => '');
  const muxers = new Set(
    muxersOut
      .split('\n')
      .map((l) => /^\s*[D ]?E\s+(\S+)/.exec(l)?.[1])
      .filter((m): m is string => !!m)
      .flatMap((m) => m.split(',')),
  );
  const missing = REQUIRED_MUXERS.filter((m) => !muxers.has(m));
  if (missing.length > 0) throw new Error(`ffmpeg at "${ffmpegPath}" (version ${version}) lacks the muxer(s) ${missing.join(', ')}`);
  return { path: ffmpegPath, version };
}
