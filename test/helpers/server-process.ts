// A real `streamfront` server as a child process (`node dist/cli.js` or, by default in tests,
// `node --import tsx src/cli.ts`), on free loopback ports with its own temporary data dir.
// Tests that must survive a server crash, send it signals, or read its own RSS/fds use this
// rather than an in-process startServer(); loopbackConfig() is the same set-up for one in process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, type Config } from '../../src/config/index.js';
import { freePort } from './ports.js';
import { descendantPids, isRunning, waitForExit } from './proc.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The CLI from the TypeScript sources, as tests run it (node arguments before the command). */
export const CLI_FROM_SOURCE: readonly string[] = ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli.ts')];

/** The ports a command listens on; a role left out (or 0) gets no flag. */
export interface LoopbackPorts {
  rtmp?: number;
  origin?: number;
  edge?: number;
  /** Default with an edge port: 0, HTTPS off, since parallel servers must not share 8443. */
  edgeHttps?: number;
}

/** The flags that keep a command on 127.0.0.1, on the given ports, writing into `dataDir`. */
export function loopbackArgs(ports: LoopbackPorts, dataDir: string): string[] {
  const args = ['--host', '127.0.0.1', '--data-dir', dataDir];
  if (ports.rtmp) args.push('--rtmp-port', String(ports.rtmp));
  if (ports.origin) args.push('--origin-port', String(ports.origin));
  if (ports.edge) args.push('--edge-port', String(ports.edge));
  const https = ports.edgeHttps ?? (ports.edge ? 0 : undefined);
  if (https !== undefined) args.push('--edge-https-port', String(https));
  return args;
}

/**
 * The in-process twin of loopbackArgs(): a config for startServer() (or one role's start) on
 * 127.0.0.1, writing into `dataDir`, with RTMP on a free port, the origin and the edge on ephemeral
 * ports (0: read the real ones from the running server), HTTPS off (parallel servers must not share
 * 8443) and logging silent. `overrides` are top-level keys and win; a section a test gives
 * (`packager`, `origin`, `edge`, `storage`, …) is its own, the schema fills in the rest of it.
 */
export async function loopbackConfig(dataDir: string, overrides: Record<string, unknown> = {}): Promise<Config> {
  return defaultConfig({
    host: '127.0.0.1',
    rtmpPort: await freePort(),
    originPort: 0,
    edgePort: 0,
    edgeHttpsPort: 0,
    dataDir,
    logLevel: 'silent',
    ...overrides,
  });
}

export interface ServerProcessOptions {
  command?: 'start' | 'origin' | 'edge';
  /**
   * Use the built dist/cli.js (what `npm start` runs). Default: STREAMFRONT_TEST_DIST=1 selects it,
   * otherwise the TypeScript sources through tsx (always current, no build step).
   */
  fromDist?: boolean;
  /** Extra CLI flags (e.g. ['--config', file]). */
  extraArgs?: string[];
  /** Data dir to use (default: a fresh temp dir, removed by cleanup()). */
  dataDir?: string;
  logLevel?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  ports: { rtmp: number; origin: number; edge: number };
  dataDir: string;
  /** The temp dir that holds dataDir (sentinels may be planted here). */
  workDir: string;
  /** stdout+stderr so far (last 200 KB). */
  output(): string;
  /** Set once the process exited. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** SIGKILL the server and every descendant still running, then remove the temp dir. */
  cleanup(): Promise<void>;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startServerProcess(opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  const command = opts.command ?? 'start';
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'streamfront-proc-'));
  const dataDir = opts.dataDir ?? path.join(workDir, 'data');
  const ports = {
    rtmp: command === 'edge' ? 0 : await freePort(),
    origin: command === 'edge' ? 0 : await freePort(),
    edge: command === 'origin' ? 0 : await freePort(),
  };
  const dist = path.join(REPO_ROOT, 'dist/cli.js');
  const useDist = opts.fromDist ?? process.env.STREAMFRONT_TEST_DIST === '1';
  if (useDist && !existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);
  const entry = useDist ? [dist] : CLI_FROM_SOURCE;
  // HTTPS stays off unless extraArgs asks for a port (a later flag wins).
  const args = [...entry, command, ...loopbackArgs(ports, dataDir), '--log-level', opts.logLevel ?? 'info', ...(opts.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const pid = child.pid!;
  const cleanup = async (): Promise<void> => {
    const desc = descendantPids(pid);
    if (!exitInfo) {
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    for (const p of desc) {
      if (isRunning(p)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await waitForExit(p, 2000);
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (const port of [ports.rtmp, ports.origin, ports.edge].filter(Boolean)) {
    for (;;) {
      if (exitInfo) {
        await cleanup();
        throw new Error(`server exited during start-up (${JSON.stringify(exitInfo)}):\n${out.slice(-3000)}`);
      }
      if (await portOpen(port)) break;
      if (Date.now() > deadline) {
        await cleanup();
        throw new Error(`server port ${port} not open after 60 s:\n${out.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    child,
    pid,
    ports,
    dataDir,
    workDir,
    output: () => out,
    exit: () => exitInfo,
    exited,
    running: () => exitInfo === undefined,
    cleanup,
  };
}
