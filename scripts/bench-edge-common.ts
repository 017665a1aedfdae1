// Shared pieces of the edge benchmarks: a fixed-content origin, the edge in a child process,
// and small HTTP helpers. Loopback only; every process started here is stopped by PID.
import http from 'node:http';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..');

export interface BenchOrigin {
  url: string;
  port: number;
  requests: () => number;
  close(): Promise<void>;
}

/**
 * `/obj/<bytes>/<anything>` answers `<bytes>` bytes (one shared buffer, no per-request allocation),
 * `Cache-Control: max-age=3600`, with an optional delay `?delay=ms` before the headers.
 */
export async function startBenchOrigin(): Promise<BenchOrigin> {
  const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    const m = /^\/obj\/(\d+)\//.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404, { 'Cache-Control': 'max-age=1' });
      return void res.end();
    }
    const size = Number(m[1]);
    const delay = Number(/[?&]delay=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    const send = () => {
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size),
        'Cache-Control': 'max-age=3600',
        ETag: '"bench"',
      });
      res.end(big.subarray(0, size));
    };
    if (delay) setTimeout(send, delay);
    else send();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => count,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export interface EdgeChild {
  port: number;
  pid: number;
  child: ChildProcess;
  /** Peak resident set size so far (VmHWM), bytes. */
  peakRss(): number;
  rss(): number;
  stop(): Promise<Record<string, number>>;
}

/** `taskset -c <cpu>` prefix when pinning is asked for (taskset execs the command, so the PID is the command's). */
export function pinned(cpu: number | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/**
 * The child entry point: bundled to plain JS with esbuild (tsx's own dependency) when available, so
 * the edge process does not carry tsx's loader thread (~25 MiB RSS) into the figures; tsx otherwise.
 */
function childEntry(): string[] {
  const out = join(repoRoot, 'node_modules', '.cache', 'streamfront-bench', 'edge-child.mjs');
  try {
    execFileSync(
      join(repoRoot, 'node_modules', '.bin', 'esbuild'),
      [
        join(here, 'bench-edge-child.ts'),
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--packages=external',
        '--target=node20',
        `--outfile=${out}`,
        '--log-level=warning',
      ],
      { stdio: 'inherit' },
    );
    return [out];
  } catch {
    return ['--import', 'tsx', join(here, 'bench-edge-child.ts')];
  }
}

export async function startEdgeChild(
  overrides: Record<string, unknown>,
  originUrl: string,
  nodeArgs: string[] = [],
  cpu?: number,
): Promise<EdgeChild> {
  const [cmd, args] = pinned(cpu, process.execPath, [...nodeArgs, ...childEntry(), JSON.stringify(overrides), originUrl]);
  const child = spawn(cmd, args, {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`edge child exited early (${code})`)));
  });
  const status = (field: string) => {
    const text = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return {
    port,
    pid: child.pid!,
    child,
    peakRss: () => status('VmHWM'),
    rss: () => status('VmRSS'),
    stop: () =>
      new Promise((resolve) => {
        let text = '';
        child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
        child.once('exit', () => {
          const m = /STATS (.+)/.exec(text);
          resolve(m ? (JSON.parse(m[1]!) as Record<string, number>) : {});
        });
        child.kill('SIGTERM');
      }),
  };
}

/** GET with a keep-alive agent; resolves with status, X-Cache and body length. */
export function fetchOnce(agent: http.Agent, port: number, path: string): Promise<{ status: number; xcache: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode!, xcache: String(res.headers['x-cache'] ?? ''), bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
