// An RTMP publisher for tests and benchmarks: real ffmpeg sending the synthetic FLV in real time,
// looped, without re-encoding (`-re -stream_loop -1 -c copy -f flv`).
import { spawn, type ChildProcess } from 'node:child_process';
import { syntheticFlv, type FixtureOptions } from './media.js';

export interface PublisherOptions {
  /** An FLV to send; default: the small synthetic fixture (or one made with `fixture`). */
  file?: string;
  fixture?: FixtureOptions;
  /** Loop forever (default) or send the file once. */
  loop?: boolean;
  /** Keep the last stderr lines for failure messages. */
  onStderr?: (line: string) => void;
}

export interface Publisher {
  proc: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once ffmpeg has exited. */
  exited: Promise<number | null>;
  /** Last stderr lines, for assertion messages. */
  stderr(): string;
  /** Graceful stop (`q`), then SIGKILL after 3 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startPublisher(rtmpUrl: string, opts: PublisherOptions = {}): Promise<Publisher> {
  const file = opts.file ?? (await syntheticFlv(opts.fixture));
  const args = ['-hide_banner', '-loglevel', 'warning', '-re'];
  if (opts.loop !== false) args.push('-stream_loop', '-1');
  args.push('-i', file, '-c', 'copy', '-f', 'flv', rtmpUrl);
  const proc = spawn(process.env.FFMPEG_PATH || 'ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const lines: string[] = [];
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      opts.onStderr?.(line);
    }
  });
  proc.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.once('error', () => resolve(null));
  });
  return {
    proc,
    exited,
    stderr: () => lines.join('\n'),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin!.write('q');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}
