// Encoder-to-screen ("glass-to-glass") latency in headless Chromium through the edge.
//
// For each case, `streamfront demo` runs as a child process (ingest + packager + origin + edge, and
// the test-pattern publisher that stamps its wall-clock time code on every frame, see
// src/demo/time-code.ts). Chromium opens the player page on the edge in the case's mode; the page
// reads the time code of every frame it presents (requestVideoFrameCallback + canvas) and subtracts
// it from its own clock at the frame's display time. Same machine, same clock. The script prints
// the median and p95 of those per-frame latencies over the measuring window, next to the player
// library's own latency figure, and splits the budget into
//   pipeline = glass − player latency: capture → encode → RTMP → packager → the media being at the
//              live edge of the manifest the player reads (through the edge);
//   hold-back = player latency: how far behind that live edge the player chooses to play.
//
// Cases: classic TS HLS (hls.js defaults), LL-HLS with parts of 0.5 s and 0.333 s (hls.js
// lowLatencyMode), DASH low latency (dash.js). LL-HLS and DASH run only when /api/streams lists
// `paths.wowza.llhls` / `paths.wowza.dash`; the part duration is passed to the server as
// `--<part-flag> <seconds>` and the LL-HLS cases are skipped with a message when the server does
// not know that flag.
//
// --time-code-cost measures the time code's encoder cost instead: the demo's 720p30 encode with and
// without the strip, in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { latencySummary } from '../player/time-code.js';
import { testPatternArgs } from '../src/demo/test-pattern.js';
import { freePort } from '../test/helpers/ports.js';
import { CLI_FROM_SOURCE, loopbackArgs, REPO_ROOT } from '../test/helpers/server-process.js';
import { parseNumberArg } from './script-args.js';
import { clockTicksPerSecond, procStat } from '../test/helpers/proc.js';
import { launchChromium } from '../test/helpers/browser.js';
import { glassSamplesSince, readHook, until, type PlayMode } from '../test/helpers/browser-player.js';

const USAGE = `Usage: npx tsx scripts/bench-glass.ts [options]

Encoder-to-screen latency of the player page in headless Chromium through the edge.

Options:
  --seconds <n>        measuring window per case, after warm-up (default 60; at least 60 for a figure
                       worth quoting, at least 10 accepted)
  --warmup <n>         seconds of playback before measuring (default 10)
  --cases <list>       comma-separated among hls, llhls-0.5, llhls-0.333, dash (default: all)
  --part-flag <name>   the server flag that sets the LL-HLS part duration (default part-seconds)
  --time-code-cost     instead: CPU of the demo's 720p30 encode with and without the time code
  --help               this text
`;

interface Options {
  seconds: number;
  warmup: number;
  cases: string[];
  partFlag: string;
  timeCodeCost: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    seconds: 60,
    warmup: 10,
    cases: ['hls', 'llhls-0.5', 'llhls-0.333', 'dash'],
    partFlag: 'part-seconds',
    timeCodeCost: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === '--seconds') o.seconds = parseNumberArg(value(), '--seconds', 60, { min: 10, max: 1800 });
    else if (a === '--warmup') o.warmup = parseNumberArg(value(), '--warmup', 10, { min: 0, max: 120 });
    else if (a === '--cases')
      o.cases = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--part-flag') o.partFlag = value().replace(/^--/, '');
    else if (a === '--time-code-cost') o.timeCodeCost = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const c of o.cases)
    if (!/^(hls|dash|llhls-\d+(\.\d+)?)$/.test(c)) throw new Error(`unknown case ${c} (hls, llhls-<part seconds>, dash)`);
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(o.partFlag)) throw new Error('--part-flag must be a flag name');
  return o;
}

let opts: Options;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench-glass: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

interface Server {
  proc: ChildProcess;
  edge: string;
  output: () => string;
  stop(): Promise<void>;
}

/** `streamfront demo` from source on free loopback ports; rejects with the server's words if it exits. */
async function startDemo(extraArgs: string[]): Promise<Server> {
  const [rtmp, origin, edge] = [await freePort(), await freePort(), await freePort()];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-glass-'));
  // HTTPS off (loopbackArgs): the browser plays over HTTP, and 8443 may be another server's.
  const proc = spawn(
    process.execPath,
    [...CLI_FROM_SOURCE, 'demo', ...loopbackArgs({ rtmp, origin, edge }, dataDir), '--log-level', 'warn', ...extraArgs],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!/Open the player:/.test(out)) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(out.trim() || `server exited ${proc.exitCode}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server did not start in 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, edge: `http://127.0.0.1:${edge}`, output: () => out, stop };
}

/** live/demo's entry in /api/streams through the edge, once it is listed and packaging. */
async function demoEntry(edge: string): Promise<{ paths: { wowza: Record<string, string | undefined> } }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${edge}/api/streams`, { cache: 'no-store' });
      const body = (await res.json()) as { streams: Array<{ id: string; packaging: string; paths: { wowza: Record<string, string> } }> };
      const s = body.streams.find((x) => x.id === 'live/demo');
      if (s && s.packaging === 'running') return s;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('live/demo never appeared in /api/streams');
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface CaseResult {
  name: string;
  skipped?: string;
  engine?: string;
  frames?: number;
  glassMedian?: number;
  glassP95?: number;
  playerMedian?: number | null;
  pdtMedian?: number | null;
  fatalErrors?: string[];
  /** Mean of the 1-minute load average over the measuring window (the machine may be shared). */
  load?: number;
}

async function runCase(name: string): Promise<CaseResult> {
  const mode: PlayMode = name === 'hls' ? 'hls' : name === 'dash' ? 'dash' : 'llhls';
  const part = mode === 'llhls' ? name.slice('llhls-'.length) : undefined;
  let server: Server;
  try {
    server = await startDemo(part ? [`--${opts.partFlag}`, part] : []);
  } catch (err) {
    const msg = (err as Error).message;
    if (part && msg.includes(`--${opts.partFlag}`)) {
      return { name, skipped: `the server has no --${opts.partFlag} flag (no LL-HLS part duration to set): ${msg.split('\n')[0]}` };
    }
    throw err;
  }
  const browser = await launchChromium();
  try {
    const entry = await demoEntry(server.edge);
    if (mode !== 'hls' && !entry.paths.wowza[mode]) {
      return {
        name,
        skipped: `/api/streams does not list paths.wowza.${mode} (this server has no ${mode === 'dash' ? 'DASH' : 'LL-HLS'} output)`,
      };
    }
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${server.edge}/?stream=live/demo&mode=${mode}`);
    const h = await until(page, `${name}: playing`, (x) => x.state === 'playing', 60_000);
    if (h.mode !== mode) return { name, skipped: `the page played ${h.mode} instead (${h.modeFallback ?? 'no reason given'})` };
    await page.waitForTimeout(opts.warmup * 1000);
    const since = Date.now();
    const player: number[] = [];
    const pdt: number[] = [];
    const loads: number[] = [];
    const end = since + opts.seconds * 1000;
    while (Date.now() < end) {
      await page.waitForTimeout(1000);
      const x = await readHook(page);
      if (x.latency != null) player.push(x.latency);
      if (x.pdtLatency != null) pdt.push(x.pdtLatency);
      loads.push(os.loadavg()[0]);
    }
    const samples = (await glassSamplesSince(page, since)).map(([, ms]) => ms / 1000);
    const last = await readHook(page);
    const glass = latencySummary(samples);
    if (glass.count === 0) return { name, skipped: 'no frame with a readable time code was shown (is the demo time code on?)' };
    return {
      name,
      engine: last.engine ?? '',
      frames: glass.count,
      glassMedian: glass.median!,
      glassP95: glass.p95!,
      playerMedian: latencySummary(player).median,
      pdtMedian: latencySummary(pdt).median,
      fatalErrors: last.fatalErrors,
      load: loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length),
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

/**
 * CPU share of a core of the demo's 720p30 encode without and with the time code, both encodes
 * running side by side over the same window (so machine load hits both alike), writing FLV files.
 */
async function encodeCosts(seconds: number): Promise<{ without: number; withCode: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-tc-cost-'));
  const start = (timeCode: boolean) => {
    const args = testPatternArgs({ rtmpUrl: 'rtmp://127.0.0.1/live/x', width: 1280, height: 720, fps: 30, timeCode });
    args.splice(args.length - 1, 1, path.join(dir, `${timeCode}.flv`));
    const proc = spawn('ffmpeg', args, { stdio: ['pipe', 'ignore', 'ignore'] });
    return { proc, exited: new Promise<void>((resolve) => proc.once('exit', () => resolve())) };
  };
  const runs = [start(false), start(true)];
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const a = runs.map((r) => procStat(r.proc.pid!)?.cpuTicks ?? NaN);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = runs.map((r) => procStat(r.proc.pid!)?.cpuTicks ?? NaN);
    const wall = (performance.now() - t0) / 1000;
    const share = (i: number) => (b[i]! - a[i]!) / clockTicksPerSecond() / wall;
    return { without: share(0), withCode: share(1) };
  } finally {
    for (const r of runs) r.proc.stdin!.end('q');
    await Promise.all(runs.map((r) => r.exited));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const s = (v: number | null | undefined): string => (v == null ? '     –' : `${v.toFixed(2).padStart(6)}`);

if (opts.timeCodeCost) {
  const seconds = Math.min(opts.seconds, 60);
  process.stdout.write(`demo encode, 720p30 libx264 veryfast, both side by side for ${seconds} s\n`);
  const { without, withCode } = await encodeCosts(seconds);
  process.stdout.write(`  without time code: ${(without * 100).toFixed(1)} % of a core\n`);
  process.stdout.write(`  with time code:    ${(withCode * 100).toFixed(1)} % of a core\n`);
  process.stdout.write(
    `  ratio:             ${(withCode / without).toFixed(3)} (time code adds ${((withCode - without) * 100).toFixed(1)} points)\n`,
  );
  process.exit(0);
}

process.stdout.write(
  `glass-to-glass through the edge: ${opts.seconds} s per case after ${opts.warmup} s warm-up, headless Chromium, ${os.cpus().length} cores\n`,
);
const results: CaseResult[] = [];
for (const name of opts.cases) {
  process.stdout.write(`  ${name}: running…\n`);
  try {
    results.push(await runCase(name));
  } catch (err) {
    results.push({ name, skipped: `failed: ${(err as Error).message.split('\n')[0]}` });
  }
}
process.stdout.write(
  '\ncase          engine                        frames  glass median  glass p95  player latency  since ingest  pipeline  load\n',
);
for (const r of results) {
  if (r.skipped) {
    process.stdout.write(`${r.name.padEnd(13)} skipped: ${r.skipped}\n`);
    continue;
  }
  const pipeline = r.playerMedian != null ? r.glassMedian! - r.playerMedian : null;
  process.stdout.write(
    `${r.name.padEnd(13)} ${r.engine!.padEnd(29)} ${String(r.frames).padStart(6)}  ${s(r.glassMedian)} s     ${s(r.glassP95)} s   ${s(r.playerMedian)} s        ${s(r.pdtMedian)} s      ${s(pipeline)} s  ${r.load?.toFixed(1) ?? '–'}\n`,
  );
  if (r.fatalErrors?.length) process.stdout.write(`${''.padEnd(14)}fatal player errors: ${r.fatalErrors.join(', ')}\n`);
}
process.stdout.write(
  '\nglass = time code on the frame shown vs the page clock; player latency = hls.latency / dash.js getCurrentLiveLatency;\n',
);
process.stdout.write(
  'since ingest = page clock − program date-time of the frame shown; pipeline = glass − player latency (capture → live edge);\n' +
    `load = mean 1-minute load average over the case's window (${os.cpus().length} cores).\n`,
);
