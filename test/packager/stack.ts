// Test harness for ingest + packager integration tests: a real NMS-backed ingest and real ffmpeg
// packagers on 127.0.0.1 with a temporary data directory. One stack per test file (NMS keeps
// module-level singletons, FIELD-NOTES §7 N5).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config/index.js';
import { startIngest, type IngestHandle } from '../../src/ingest/index.js';
import { silentLogger, createLogger, type Logger } from '../../src/log.js';
import { startPackager, type PackagerHandle } from '../../src/packager/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { ffmpegReadersOf } from '../helpers/proc.js';
import { loopbackConfig } from '../helpers/server-process.js';
import type { StreamKey } from '../../src/streams/stream-key.js';
import { formatDir, HLS_FILES, streamDir, type OutputFormat } from '../../src/timeline/output-layout.js';

export interface Stack {
  config: Config;
  registry: LiveRegistry;
  ingest: IngestHandle;
  packager: PackagerHandle | null;
  dataDir: string;
  rtmpUrl(pathAndQuery: string): string;
  dir(key: StreamKey, format?: OutputFormat): string;
  close(): Promise<void>;
}

export async function startStack(overrides: Record<string, unknown> = {}, withPackager = true): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-test-'));
  // The ingest listens on an ephemeral port (0): rtmpUrl() reads the real one.
  const config = await loopbackConfig(dataDir, { rtmpPort: 0, ...overrides });
  const registry = new LiveRegistry();
  const log: Logger = process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger();
  const ingest = await startIngest({ config, registry, log });
  const packager = withPackager ? await startPackager({ config, registry, log, rtmpPort: ingest.port }) : null;
  return {
    config,
    registry,
    ingest,
    packager,
    dataDir,
    rtmpUrl: (p) => `rtmp://127.0.0.1:${ingest.port}/${p}`,
    dir: (key, format) => (format ? formatDir(dataDir, key, format) : streamDir(dataDir, key)),
    async close() {
      await packager?.close();
      await ingest.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * `read()`'s result, or null when a file it reads is gone. ffmpeg deletes a live window's oldest
 * segments and fragments as the window moves, so what a listing named a moment ago may vanish
 * before it is read: inside waitFor() that is one more poll, not a failure.
 */
export function unlessGone<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Playlist text once it lists at least `n` segments. */
export function playlistWithSegments(hlsDir: string, n = 1): Promise<string> {
  return waitFor(
    `${n} segment(s) in ${path.join(hlsDir, HLS_FILES.playlist)}`,
    () => {
      const t = readText(path.join(hlsDir, HLS_FILES.playlist));
      return t !== null && (t.match(/#EXTINF/g)?.length ?? 0) >= n ? t : null;
    },
    20_000,
  );
}

export function mediaSequence(playlist: string): number {
  return Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? NaN);
}

export function segmentNames(playlist: string): string[] {
  return playlist.split('\n').filter((l) => l.endsWith('.ts'));
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime in clock ticks */
  cpuTicks: number;
  rssPages: number;
}

/** /proc/<pid>/stat of one process, or null when it is gone (zombies count as gone). */
export function procInfo(pid: number): ProcInfo | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return null;
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' ');
  if (f[0] === 'Z' || f[0] === 'X') return null;
  return { pid, ppid: Number(f[1]), comm, cpuTicks: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
}

/** Children of ours that are packagers: ffmpeg processes reading (`-i`) from our RTMP port. */
export function packagerPids(rtmpPort: number): number[] {
  return ffmpegReadersOf(process.pid, `rtmp://127.0.0.1:${rtmpPort}/`);
}
