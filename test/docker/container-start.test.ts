// No Docker engine runs on the test machine, so this runs the image's start command and environment,
// read from docker/Dockerfile, outside Docker: an app directory laid out like the image's /app
// (dist/ compiled from src/, player/, node_modules, docker/healthcheck.mjs), the Dockerfile's ENV
// with the ports remapped to free ports on 127.0.0.1 and a temporary data directory, then
// exactly CMD (under ENTRYPOINT when tini is installed). It checks /healthz, the player through
// the edge, the HEALTHCHECK command, a clean stop on SIGTERM (what `docker stop` sends), and the
// compose file's origin + edge pair as two processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ModifiableInstruction } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { readDockerfile, REPO_ROOT } from './dockerfile-model.js';
import { readCompose } from './yaml-files.js';

const df = readDockerfile();
const work = mkdtempSync(path.join(tmpdir(), 'sf-container-'));
const app = path.join(work, 'app');
const running: ChildProcess[] = [];

/** Lays out `app/` as the runtime stage's COPY instructions do; dist/ comes from tsc (the build stage). */
function layOutApp(): void {
  mkdirSync(app, { recursive: true });
  const tsc = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', path.join(app, 'dist')],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  if (!existsSync(path.join(app, 'dist/cli.js'))) throw new Error(`tsc produced no dist/cli.js:\n${tsc.stdout}${tsc.stderr}`);
  for (const i of df.runtime.instructions) {
    if (i.getKeyword() !== 'COPY' || (i as ModifiableInstruction).getFlags().some((f) => f.getName() === 'from')) continue;
    const args = i.getArguments().map((a) => a.getValue());
    const dest = args.pop()!;
    for (const src of args) {
      const from = path.join(REPO_ROOT, src);
      const to = dest.endsWith('/') ? path.join(app, dest, path.basename(src)) : path.join(app, dest);
      mkdirSync(path.dirname(to), { recursive: true });
      if (src.startsWith('package')) copyFileSync(from, to);
      else symlinkSync(from, to);
    }
  }
  // `npm ci --omit=dev` in the image; here the repository's node_modules (a superset).
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(app, 'node_modules'));
}

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The image's ENV, remapped for a loopback test, plus what every process needs (PATH, HOME). */
async function containerEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const dataDir = mkdtempSync(path.join(work, 'data-'));
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    ...df.env,
    STREAMFRONT_HOST: '127.0.0.1',
    STREAMFRONT_RTMP_PORT: String(await freePort()),
    STREAMFRONT_ORIGIN_PORT: String(await freePort()),
    STREAMFRONT_EDGE_PORT: String(await freePort()),
    STREAMFRONT_EDGE_HTTPS_PORT: String(await freePort()),
    STREAMFRONT_DATA_DIR: dataDir,
    STREAMFRONT_LOG_LEVEL: 'warn',
    ...(existsSync(df.env.FFMPEG_PATH ?? '') ? {} : { FFMPEG_PATH: 'ffmpeg' }),
    ...extra,
  };
}

function run(argv: string[], env: Record<string, string>): Proc {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** CMD, under ENTRYPOINT when its program exists on this machine (tini is not installed here by default). */
function startCommand(cmd: string[] = df.cmd): string[] {
  const [entry] = df.entrypoint;
  const argv = entry && existsSync(entry) ? [...df.entrypoint, ...cmd] : cmd;
  return argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : argv;
}

async function waitFor<T>(what: string, proc: Proc, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${what}: process exited (${proc.child.exitCode}):\n${proc.output()}`);
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: timed out:\n${proc.output()}`);
}

/** The Dockerfile's HEALTHCHECK command, run in the app directory with the container's env. */
function healthcheck(env: Record<string, string>): { status: number | null; stderr: string } {
  const [cmd, ...args] = df.healthcheck!.cmd;
  const r = spawnSync(cmd === 'node' ? process.execPath : cmd!, args, { cwd: app, env, encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

beforeAll(() => {
  layOutApp();
}, 120_000);

afterAll(() => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the container start command, outside Docker', () => {
  it('`CMD` with the image env serves /healthz, the player through the edge, passes HEALTHCHECK, and stops on SIGTERM', async () => {
    const env = await containerEnv();
    const proc = run(startCommand(), env);
    const origin = `http://127.0.0.1:${env.STREAMFRONT_ORIGIN_PORT}`;
    const edge = `http://127.0.0.1:${env.STREAMFRONT_EDGE_PORT}`;

    const health = await waitFor('origin /healthz', proc, async () => {
      const r = await fetch(`${origin}/healthz`);
      return r.ok ? ((await r.json()) as { status: string }) : undefined;
    });
    expect(health.status).toBe('ok');

    // The first-run page through the edge (default root object, SPEC DRO-01), with hls.js from npm.
    const page = await waitFor('edge /', proc, async () => {
      const r = await fetch(`${edge}/`);
      return r.ok ? r : undefined;
    });
    expect(await page.text()).toContain('id="streams"');
    expect(page.headers.get('x-cache')).toMatch(/from cloudfront$/);
    const hlsJs = await fetch(`${edge}/vendor/hls.min.js`);
    expect(hlsJs.status).toBe(200);
    expect((await hlsJs.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect((await fetch(`${edge}/player.js`)).status).toBe(200);

    expect(healthcheck(env)).toEqual({ status: 0, stderr: '' });

    // `docker stop` sends SIGTERM (tini forwards it) and waits stop_grace_period (15 s) before SIGKILL.
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    expect(exit, proc.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(15_000);
    const after = healthcheck(env);
    expect(after.status).toBe(1);
    expect(after.stderr).toMatch(/^unhealthy: /);
  }, 90_000);

  it("compose's origin and edge commands work as a pair, each passing its HEALTHCHECK", async () => {
    const compose = readCompose();
    const originEnv = await containerEnv();
    const originUrl = `http://127.0.0.1:${originEnv.STREAMFRONT_ORIGIN_PORT}`;
    const origin = run(startCommand(compose.services.origin.command), originEnv);
    await waitFor('origin /healthz', origin, async () => ((await fetch(`${originUrl}/healthz`)).ok ? true : undefined));

    // The edge service: same command with the origin URL remapped from http://origin:8080.
    const edgeCommand = (compose.services.edge.command as string[]).map((a) => (a === 'http://origin:8080' ? originUrl : a));
    expect(edgeCommand).toContain(originUrl);
    const edgeEnv = await containerEnv();
    const edgeUrl = `http://127.0.0.1:${edgeEnv.STREAMFRONT_EDGE_PORT}`;
    edgeEnv.STREAMFRONT_HEALTH_URL = compose.services.edge.environment.STREAMFRONT_HEALTH_URL.replace(
      ':8000',
      `:${edgeEnv.STREAMFRONT_EDGE_PORT}`,
    );
    const edge = run(startCommand(edgeCommand), edgeEnv);
    const res = await waitFor('edge /healthz through the edge', edge, async () => {
      const r = await fetch(`${edgeUrl}/healthz`);
      return r.ok ? r : undefined;
    });
    expect(res.headers.get('via')).toMatch(/cloudfront/i);

    expect(healthcheck(originEnv)).toEqual({ status: 0, stderr: '' });
    expect(healthcheck(edgeEnv)).toEqual({ status: 0, stderr: '' });

    edge.child.kill('SIGTERM');
    origin.child.kill('SIGTERM');
    expect((await edge.exited).code).toBe(0);
    expect((await origin.exited).code).toBe(0);
  }, 90_000);
});
