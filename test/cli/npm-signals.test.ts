// `npm start` and `npm run demo` stop cleanly on SIGTERM sent to the npm process itself (what
// systemd, pm2, `timeout` or Docker without an init send). npm 11 signals only its direct child;
// the script shell (dash) does not pass the signal on, so the script must `exec` node. The test
// signals npm, then checks through /proc that every node and ffmpeg it started is gone and that
// the ports can be bound again.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canBind, freePort } from '../helpers/ports.js';
import { cmdline, descendantPids, ffmpegDescendants, isRunning, waitForExit } from '../helpers/proc.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { loopbackArgs, REPO_ROOT } from '../helpers/server-process.js';

async function until(what: string, check: () => boolean, timeoutMs: number, output: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// `npm start` and `npm run demo` compile the project (tsc) before node starts: on a loaded 2-core
// machine that alone has taken over 90 s. Start-up is not what is tested here, so its wait is long;
// the stop keeps its own bounds (expectCleanStop).
const START_MS = 240_000;
const TEST_MS = START_MS + 60_000;

const leftovers: number[] = [];
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  // A run that failed before its stop still has npm's whole tree: the script's shell and tsc (whose
  // `&& exec node` would start the server after the test), or node and its ffmpeg. Collect the
  // tree before killing npm, since its orphans are re-parented away from it.
  const tree = leftovers.splice(0).flatMap((pid) => [pid, ...descendantPids(pid)]);
  for (const pid of tree) {
    if (isRunning(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }
  for (const c of cleanups.splice(0)) await c();
});

async function runNpmScript(script: 'start' | 'demo', ownProcessGroup = false) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-npm-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const ports = { rtmp: await freePort(), origin: await freePort(), edge: await freePort() };
  const args = ['run', script, '--silent', '--', ...loopbackArgs(ports, path.join(work, 'data')), '--log-format', 'json'];
  const npm = spawn('npm', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: ownProcessGroup });
  leftovers.push(npm.pid!);
  let out = '';
  npm.stdout!.on('data', (d) => (out += d));
  npm.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  return { npm, ports, exited, output: () => out };
}

/** SIGTERM to npm; then nothing it started may be running and every port must be free. */
async function expectCleanStop(
  run: Awaited<ReturnType<typeof runNpmScript>>,
  signal: () => void = () => run.npm.kill('SIGTERM'),
): Promise<void> {
  const started = descendantPids(run.npm.pid!).filter(isRunning);
  leftovers.push(...started);
  const names = started.map((p) => path.basename(cmdline(p)[0] ?? '?'));
  expect(names).toContain('node');
  signal();
  const code = await Promise.race([run.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
  expect(code, run.output().slice(-2000)).toBe(0);
  for (const pid of started) expect(await waitForExit(pid, 5000), `${cmdline(pid).join(' ')} still running`).toBe(true);
  for (const port of Object.values(run.ports)) expect(await canBind(port), `port ${port} still taken`).toBe(true);
  expect(run.output()).toMatch(/"msg":"stopped"/);
  expect(run.output()).not.toMatch(/second signal/);
}

describe('npm scripts stop on SIGTERM to npm', () => {
  it(
    'npm start: server and packager ffmpeg gone, ports free',
    async () => {
      const run = await runNpmScript('start');
      await until('the ready line', () => /streamfront is ready\./.test(run.output()), START_MS, run.output);
      const publisher: Publisher = await startPublisher(`rtmp://127.0.0.1:${run.ports.rtmp}/live/sigterm`);
      cleanups.push(() => publisher.stop());
      await until('the packager ffmpeg', () => ffmpegDescendants(run.npm.pid!).length >= 1, 20_000, run.output);
      await expectCleanStop(run);
    },
    TEST_MS,
  );

  it(
    'npm run demo: server, test pattern and packager ffmpeg gone, ports free',
    async () => {
      const run = await runNpmScript('demo');
      await until('the demo line', () => /Open the player: \S+/.test(run.output()), START_MS, run.output);
      await until('two ffmpeg (test pattern, packager)', () => ffmpegDescendants(run.npm.pid!).length >= 2, 20_000, run.output);
      await expectCleanStop(run);
    },
    TEST_MS,
  );

  it(
    'Ctrl-C (SIGINT to the whole process group: node may get it from the terminal and again from npm) stops cleanly once',
    async () => {
      const run = await runNpmScript('start', true);
      await until('the ready line', () => /streamfront is ready\./.test(run.output()), START_MS, run.output);
      await expectCleanStop(run, () => process.kill(-run.npm.pid!, 'SIGINT'));
    },
    TEST_MS,
  );
});
