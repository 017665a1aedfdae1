// Soak / load run: N publishers and M simulated HLS viewers against a real
// `streamfront start` child process, through the edge, for a bounded time. Prints a summary
// table and exits non-zero when a target is missed.
//
//   npx tsx scripts/soak.ts [--publishers 8] [--viewers 300] [--duration 600] [--warmup 60]
//                           [--seed N] [--from-source] [--config file.json] [--edge-cache-mib N]
//                           [--json out.json] [--keep] [--quiet]
//
// Loopback only; every child it starts (server, publishers) is reaped, also on SIGINT.
//
// Measuring origin load independently of the edge's own counters: the edge is pointed (via
// `--origin`) at a small counting HTTP proxy in this process that forwards to the real origin,
// so "origin requests per distinct object" is counted on the wire between edge and origin.
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync, createWriteStream, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { freePort } from '../test/helpers/ports.js';
import { syntheticFlv, HD_720P } from '../test/helpers/media.js';
import { createRandom } from '../test/helpers/random.js';
import { parseMediaPlaylist as parsePlaylist } from '../test/helpers/hls-live.js';
import {
  clockTicksPerSecond,
  descendantPids,
  diskUsageBytes,
  ffmpegDescendants,
  isRunning,
  machineCpuTicks,
  openFdCount,
  rssBytes,
  sumUsage,
  waitForExit,
} from '../test/helpers/proc.js';
import { CLI_FROM_SOURCE, loopbackArgs } from '../test/helpers/server-process.js';
import { streamsRoot } from '../src/timeline/output-layout.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface SoakOptions {
  publishers: number;
  viewers: number;
  /** Total seconds viewers run, warm-up included. */
  durationSeconds: number;
  /** First part of the run after which RSS/fd/disk baselines are taken. */
  warmupSeconds: number;
  seed: number;
  /** Run `node --import tsx src/cli.ts` instead of `node dist/cli.js`. */
  fromSource: boolean;
  /** JSON config file passed to the server with --config (default: one setting edgeCacheMiB). */
  configFile?: string;
  /**
   * Edge cache bound. The store keeps expired objects (for stale serving, SPEC ERR-04) until LRU
   * eviction, so RSS grows until this bound is reached; it is sized (default publishers × 6 MiB,
   * at least 16 MiB, well above the live windows viewers ask for) to be reached during warm-up,
   * so that growth after warm-up measures leaks, not cache filling.
   */
  edgeCacheMiB?: number;
  /** Print progress lines to stderr. */
  verbose: boolean;
  /** Keep the temporary data dir and server log (for post-mortems). */
  keep: boolean;
}

export const DEFAULT_SOAK: SoakOptions = {
  publishers: 8,
  viewers: 300,
  durationSeconds: 600,
  warmupSeconds: 60,
  seed: 0,
  fromSource: false,
  verbose: true,
  keep: false,
};

export interface Target {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

/** What the viewers count: kept as they run, reported as they are. */
export interface ViewerCounts {
  playlistFetches: number;
  segmentFetches: number;
  errors: number;
  errorSamples: string[];
  segments404: number;
  segmentsLate: number;
  bytes: number;
}

export interface SoakReport {
  options: SoakOptions;
  seed: number;
  viewer: ViewerCounts & {
    xcache: Record<string, number>;
    latencyMs: { playlistP50: number; playlistP99: number; segmentP50: number; segmentP99: number; allP50: number; allP99: number };
  };
  origin: {
    requests: number;
    segmentRequests: number;
    distinctSegments: number;
    segmentRequestsPerObject: number;
    playlistRequests: number;
    playlistRequestsPerStreamPerSecond: number;
    statuses: Record<string, number>;
  };
  edgeHitRatio: number;
  edgeStats?: unknown;
  server: {
    pid: number;
    rssStart: number;
    rssEnd: number;
    rssGrowthPct: number;
    fdsStart: number;
    fdsEnd: number;
    ffmpegCount: number;
    ffmpegRssEnd: number;
    ffmpegCpuPctOfCore: number;
    serverCpuPctOfCore: number;
    diskStart: number;
    diskEnd: number;
    diskMax: number;
    diskAllEnd: number;
    stopExitCode: number | null;
    stopSeconds: number;
    childrenLeftAfterStop: number;
  };
  machine: {
    cores: number;
    load1Mean: number;
    load1Max: number;
    /** CPU used by this run (server, its ffmpeg children, publishers, the viewers' process), % of one core. */
    oursCpuPctOfCore: number;
    /** CPU used by everything else on the machine during the measured window, % of one core. */
    othersCpuPctOfCore: number;
  };
  publisherFailures: number;
  targets: Target[];
  ok: boolean;
  logTail: string;
}

// ---------------------------------------------------------------- small pure helpers

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- child processes

interface Children {
  all: Set<ChildProcess>;
}

function spawnTracked(children: Children, cmd: string, args: string[], opts: Parameters<typeof spawn>[2]): ChildProcess {
  const child = spawn(cmd, args, opts ?? {});
  children.all.add(child);
  child.on('exit', () => children.all.delete(child));
  return child;
}

async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive()) throw new Error('server exited during start-up');
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

async function httpGetText(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

// ---------------------------------------------------------------- counting origin proxy

interface OriginCounter {
  port: number;
  perPath: Map<string, number>;
  statuses: Map<string, number>;
  close(): Promise<void>;
}

async function startCountingProxy(originPort: number): Promise<OriginCounter> {
  const perPath = new Map<string, number>();
  const statuses = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    perPath.set(key, (perPath.get(key) ?? 0) + 1);
    const up = http.request(
      { host: '127.0.0.1', port: originPort, method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        statuses.set(String(upRes.statusCode), (statuses.get(String(upRes.statusCode)) ?? 0) + 1);
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      statuses.set('proxy-error', (statuses.get('proxy-error') ?? 0) + 1);
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 30_000;
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  return {
    port,
    perPath,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

// ---------------------------------------------------------------- viewers

interface ViewerStats extends ViewerCounts {
  xcache: Map<string, number>;
  playlistMs: number[];
  segmentMs: number[];
  distinctSegmentPaths: Set<string>;
}

function newViewerStats(): ViewerStats {
  return {
    playlistFetches: 0,
    segmentFetches: 0,
    errors: 0,
    errorSamples: [],
    segments404: 0,
    segmentsLate: 0,
    bytes: 0,
    xcache: new Map(),
    playlistMs: [],
    segmentMs: [],
    distinctSegmentPaths: new Set(),
  };
}

function viewerCounts(stats: ViewerStats): ViewerCounts {
  const { playlistFetches, segmentFetches, errors, errorSamples, segments404, segmentsLate, bytes } = stats;
  return { playlistFetches, segmentFetches, errors, errorSamples, segments404, segmentsLate, bytes };
}

function noteError(stats: ViewerStats, what: string): void {
  stats.errors++;
  if (stats.errorSamples.length < 20) stats.errorSamples.push(`${new Date().toISOString()} ${what}`);
}

/**
 * One simulated HLS player: reloads the playlist every target duration (as hls.js does for a
 * live playlist), fetches each newly listed segment once, in order, starting 3 segments from
 * the live edge. "Late" = completed more than one target duration after it was first listed.
 */
async function runViewer(opts: {
  edgePort: number;
  playlistPath: string;
  startDelayMs: number;
  stopAt: number;
  stats: ViewerStats;
  signal: AbortSignal;
}): Promise<void> {
  const { stats } = opts;
  await sleep(opts.startDelayMs);
  const client = new Client(`http://127.0.0.1:${opts.edgePort}`, {
    pipelining: 1,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    keepAliveTimeout: 30_000,
  });
  const base = opts.playlistPath.slice(0, opts.playlistPath.lastIndexOf('/') + 1);
  let lastSeq = -1;
  const firstSeen = new Map<number, number>();
  try {
    while (Date.now() < opts.stopAt && !opts.signal.aborted) {
      const pollStart = Date.now();
      let target = 2;
      try {
        const t0 = performance.now();
        const res = await client.request({ path: opts.playlistPath, method: 'GET', signal: opts.signal });
        const text = await res.body.text();
        stats.playlistMs.push(performance.now() - t0);
        stats.playlistFetches++;
        const xc = String(res.headers['x-cache'] ?? 'none').split(' ')[0]!;
        stats.xcache.set(xc, (stats.xcache.get(xc) ?? 0) + 1);
        if (res.statusCode !== 200) {
          noteError(stats, `playlist ${opts.playlistPath} -> ${res.statusCode}`);
        } else {
          const pl = parsePlaylist(text);
          target = pl.targetDuration || 2;
          const now = Date.now();
          for (const s of pl.segments) if (!firstSeen.has(s.seq)) firstSeen.set(s.seq, now);
          let todo = pl.segments.filter((s) => s.seq > lastSeq);
          if (lastSeq < 0) todo = todo.slice(-3); // join at the live edge like a player
          for (const seg of todo) {
            if (Date.now() >= opts.stopAt || opts.signal.aborted) break;
            const segPath = seg.uri.startsWith('/') ? seg.uri : base + seg.uri;
            stats.distinctSegmentPaths.add(segPath);
            const s0 = performance.now();
            const r = await client.request({ path: segPath, method: 'GET', signal: opts.signal });
            let n = 0;
            for await (const chunk of r.body) n += (chunk as Buffer).length;
            stats.segmentMs.push(performance.now() - s0);
            stats.segmentFetches++;
            stats.bytes += n;
            const sx = String(r.headers['x-cache'] ?? 'none').split(' ')[0]!;
            stats.xcache.set(sx, (stats.xcache.get(sx) ?? 0) + 1);
            if (r.statusCode === 404) stats.segments404++;
            else if (r.statusCode !== 200) noteError(stats, `segment ${segPath} -> ${r.statusCode}`);
            else if (Date.now() - (firstSeen.get(seg.seq) ?? Date.now()) > target * 1000) stats.segmentsLate++;
            lastSeq = seg.seq;
          }
          for (const k of firstSeen.keys()) if (k < pl.mediaSequence) firstSeen.delete(k);
          if (pl.ended) noteError(stats, `playlist ${opts.playlistPath} ended (#EXT-X-ENDLIST) during the run`);
        }
      } catch (err) {
        if (opts.signal.aborted) break;
        noteError(stats, `${opts.playlistPath}: ${(err as Error).message}`);
      }
      const wait = pollStart + target * 1000 - Date.now();
      if (wait > 0) await sleep(Math.min(wait, Math.max(0, opts.stopAt - Date.now())));
    }
  } finally {
    await client.close().catch(() => {});
  }
}

// ---------------------------------------------------------------- the run

interface Sample {
  t: number;
  rss: number;
  fds: number;
  serverTicks: number;
  ffmpegTicks: number;
  ffmpegRss: number;
  ffmpegCount: number;
  /** Packaged stream output (<dataDir>/streams): must stay bounded by the live windows. */
  disk: number;
  /** Everything in the data dir, edge access logs included (these grow with traffic by design). */
  diskAll: number;
  /** Machine-wide busy CPU ticks and the part of them spent by this run's own processes. */
  machineBusyTicks: number;
  oursTicks: number;
  load1: number;
}

export async function runSoak(partial: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const o: SoakOptions = { ...DEFAULT_SOAK, ...partial };
  if (!o.seed) o.seed = (Date.now() ^ (process.pid << 8)) >>> 0;
  const rnd = createRandom(o.seed);
  const say = (msg: string): void => {
    if (o.verbose) process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  };
  const children: Children = { all: new Set() };
  const work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-soak-'));
  const dataDir = path.join(work, 'data');
  const logFile = path.join(work, 'server.log');
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // every viewer's requests listen on it
  let stopping = false;
  let counter: OriginCounter | undefined;
  let server: ChildProcess | undefined;
  const onSigint = (): void => {
    abort.abort();
  };
  process.once('SIGINT', onSigint);

  const killAll = async (): Promise<void> => {
    for (const c of children.all) if (c.pid && c !== server) c.kill('SIGKILL');
    if (server?.pid && isRunning(server.pid)) {
      server.kill('SIGKILL');
      await waitForExit(server.pid, 5000);
    }
  };

  try {
    say(`seed ${o.seed}; work dir ${work}`);
    const fixture = await syntheticFlv(HD_720P);
    const [rtmpPort, originPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    const originCounter = await startCountingProxy(originPort);
    counter = originCounter;

    let configFile = o.configFile;
    if (!configFile) {
      const cacheMiB = o.edgeCacheMiB ?? Math.max(16, o.publishers * 6);
      configFile = path.join(work, 'soak-config.json');
      writeFileSync(configFile, JSON.stringify({ edge: { cache: { maxBytes: cacheMiB * 1048576 } } }, null, 2));
      say(`edge cache bound ${cacheMiB} MiB (${configFile})`);
    }
    const useSource = o.fromSource || !existsSync(path.join(ROOT, 'dist/cli.js'));
    const entry = useSource ? CLI_FROM_SOURCE : [path.join(ROOT, 'dist/cli.js')];
    const args = [
      ...entry,
      'start',
      ...loopbackArgs({ rtmp: rtmpPort, origin: originPort, edge: edgePort }, dataDir),
      '--log-level',
      'warn',
      // A DVR window shorter than the warm-up: the disk check then measures leaks, not the window
      // filling (the window's own bound is tested in test/integration/dvr-window.test.ts).
      '--dvr-window',
      '12',
      '--origin',
      `http://127.0.0.1:${originCounter.port}`,
      '--config',
      configFile,
    ];
    say(`server: node ${args.join(' ')}`);
    const log = createWriteStream(logFile);
    server = spawnTracked(children, process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.pipe(log);
    server.stderr!.pipe(log);
    const serverPid = server.pid!;
    let serverExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    server.on('exit', (code, signal) => (serverExit = { code, signal }));
    const alive = (): boolean => serverExit === undefined;
    for (const p of [rtmpPort, originPort, edgePort]) await waitForPort(p, 60_000, alive);
    say(`server pid ${serverPid} up (rtmp ${rtmpPort}, origin ${originPort}, edge ${edgePort})`);

    // Publishers: the pre-encoded fixture looped with -c copy, so they cost almost no CPU.
    let publisherFailures = 0;
    const names = Array.from({ length: o.publishers }, (_, i) => `soak${i}`);
    for (const name of names) {
      const pub = spawnTracked(
        children,
        process.env.FFMPEG_PATH || 'ffmpeg',
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-re',
          '-stream_loop',
          '-1',
          '-i',
          fixture,
          '-c',
          'copy',
          '-f',
          'flv',
          `rtmp://127.0.0.1:${rtmpPort}/live/${name}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      pub.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      pub.on('exit', (code, signal) => {
        if (!abort.signal.aborted && !stopping) {
          publisherFailures++;
          say(`publisher ${name} exited (${code ?? signal}): ${err.trim().split('\n').pop() ?? ''}`);
        }
      });
      await sleep(150);
    }
    // Readiness is checked on the origin, not through the edge: asking the edge too early would
    // make it cache the 404 for the error-caching TTL (SPEC ERR-01/03).
    const readyBy = Date.now() + 60_000;
    for (const name of names) {
      for (;;) {
        if (Date.now() > readyBy) throw new Error(`stream live/${name} never listed a segment on the origin`);
        if (!alive()) throw new Error('server exited while streams started');
        const r = await httpGetText(`http://127.0.0.1:${originPort}/live/${name}/playlist.m3u8`).catch(() => ({ status: 0, text: '' }));
        if (r.status === 200 && parsePlaylist(r.text).segments.length >= 2) break;
        await sleep(250);
      }
    }
    say(`${names.length} streams live; starting ${o.viewers} viewers for ${o.durationSeconds} s (warm-up ${o.warmupSeconds} s)`);

    const stats = newViewerStats();
    const t0 = Date.now();
    const stopAt = t0 + o.durationSeconds * 1000;
    const staggerMs = Math.max(1000, o.warmupSeconds * 1000 * 0.6);
    const viewers = Array.from({ length: o.viewers }, (_, i) =>
      runViewer({
        edgePort,
        playlistPath: `/live/${names[i % names.length]}/playlist.m3u8`,
        startDelayMs: rnd.int(0, staggerMs),
        stopAt,
        stats,
        signal: abort.signal,
      }),
    );

    const samples: Sample[] = [];
    const sample = (): Sample => {
      const ff = ffmpegDescendants(serverPid);
      const u = sumUsage(ff);
      const serverTicks = sumUsage([serverPid]).cpuTicks;
      const publisherTicks = sumUsage([...children.all].filter((c) => c !== server && c.pid).map((c) => c.pid!)).cpuTicks;
      const self = process.cpuUsage();
      const selfTicks = ((self.user + self.system) / 1e6) * clockTicksPerSecond();
      return {
        t: Date.now(),
        rss: rssBytes(serverPid) ?? 0,
        fds: openFdCount(serverPid) ?? 0,
        serverTicks,
        ffmpegTicks: u.cpuTicks,
        ffmpegRss: u.rssBytes,
        ffmpegCount: ff.length,
        disk: diskUsageBytes(streamsRoot(dataDir)),
        diskAll: diskUsageBytes(dataDir),
        machineBusyTicks: machineCpuTicks().busy,
        oursTicks: serverTicks + u.cpuTicks + publisherTicks + selfTicks,
        load1: os.loadavg()[0]!,
      };
    };
    const warmEnd = t0 + o.warmupSeconds * 1000;
    let lastProgress = 0;
    while (Date.now() < stopAt && !abort.signal.aborted) {
      samples.push(sample());
      if (!alive()) throw new Error(`server exited during the run (${JSON.stringify(serverExit)})`);
      if (Date.now() - lastProgress > 30_000) {
        lastProgress = Date.now();
        const s = samples.at(-1)!;
        say(
          `t=${Math.round((Date.now() - t0) / 1000)}s load=${s.load1.toFixed(1)} rss=${mb(s.rss)} fds=${s.fds} ffmpeg=${s.ffmpegCount} disk=${mb(s.disk)} ` +
            `pl=${stats.playlistFetches} seg=${stats.segmentFetches} err=${stats.errors} 404=${stats.segments404} late=${stats.segmentsLate}`,
        );
      }
      await sleep(Math.min(2000, Math.max(0, stopAt - Date.now())));
    }
    await Promise.all(viewers);
    samples.push(sample());
    say('viewers done');

    // Baselines: mean of the samples in the 6 s after warm-up vs mean of the last 6 s.
    const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const afterWarm = samples.filter((s) => s.t >= warmEnd).slice(0, 3);
    const startSet = afterWarm.length ? afterWarm : samples.slice(0, 1);
    // End figures come from while viewers were still connected (the last sample is taken after they left).
    const during = samples.filter((s) => s.t < stopAt - 500);
    const endSet = (during.length >= 3 ? during : samples).slice(-3);
    const rssStart = mean(startSet.map((s) => s.rss));
    const rssEnd = mean(endSet.map((s) => s.rss));
    const fdsStart = Math.round(mean(startSet.map((s) => s.fds)));
    const fdsEnd = Math.round(mean(endSet.map((s) => s.fds)));
    const first = startSet[0]!;
    const measured = samples.filter((x) => x.t >= first.t);
    const last = samples.at(-1)!;
    const secs = Math.max(1, (last.t - first.t) / 1000);
    const hz = clockTicksPerSecond();

    let edgeStats: unknown;
    try {
      const r = await httpGetText(`http://127.0.0.1:${edgePort}/_edge/stats`);
      edgeStats = r.status === 200 ? JSON.parse(r.text) : { status: r.status };
    } catch (err) {
      edgeStats = { error: (err as Error).message };
    }

    // Stop: SIGTERM with the publishers still live (the realistic case), then check every
    // ffmpeg child went with it.
    stopping = true;
    const ffmpegBefore = descendantPids(serverPid);
    const stopStart = Date.now();
    server.kill('SIGTERM');
    const exited = await waitForExit(serverPid, 15_000);
    const stopSeconds = (Date.now() - stopStart) / 1000;
    await sleep(200);
    const childrenLeft = ffmpegBefore.filter(isRunning).length;
    if (!exited) say('server did not exit within 15 s of SIGTERM; killing it');
    for (const c of children.all) if (c !== server) c.kill('SIGKILL');

    // Origin traffic, counted between edge and origin.
    let segmentRequests = 0;
    let distinctSegments = 0;
    let playlistRequests = 0;
    let originRequests = 0;
    for (const [k, n] of originCounter.perPath) {
      originRequests += n;
      if (/\.ts(\?|$)/.test(k)) {
        segmentRequests += n;
        distinctSegments++;
      } else if (/\.m3u8(\?|$)/.test(k)) playlistRequests += n;
    }
    const perObject = distinctSegments ? segmentRequests / distinctSegments : 0;
    const hits = (stats.xcache.get('Hit') ?? 0) + (stats.xcache.get('RefreshHit') ?? 0);
    const totalX = [...stats.xcache.values()].reduce((a, b) => a + b, 0);
    const hitRatio = totalX ? hits / totalX : 0;
    const plSorted = [...stats.playlistMs].sort((a, b) => a - b);
    const segSorted = [...stats.segmentMs].sort((a, b) => a - b);
    const allSorted = [...stats.playlistMs, ...stats.segmentMs].sort((a, b) => a - b);
    const rssGrowthPct = rssStart ? ((rssEnd - rssStart) / rssStart) * 100 : 0;
    const diskStart = first.disk;
    const diskEnd = last.disk;
    const diskMax = Math.max(...samples.map((s) => s.disk));
    const lateFraction = stats.segmentFetches ? stats.segmentsLate / stats.segmentFetches : 0;

    const targets: Target[] = [
      { name: 'viewer errors', value: String(stats.errors), target: '0', ok: stats.errors === 0 },
      { name: 'listed segments 404', value: String(stats.segments404), target: '0', ok: stats.segments404 === 0 },
      {
        name: 'segments late (>1 target dur.)',
        value: `${stats.segmentsLate} (${(lateFraction * 100).toFixed(2)} %)`,
        target: '≤ 1 %',
        ok: lateFraction <= 0.01,
      },
      { name: 'origin req. per segment', value: perObject.toFixed(3), target: '≤ 1.05', ok: distinctSegments > 0 && perObject <= 1.05 },
      { name: 'edge hit ratio', value: `${(hitRatio * 100).toFixed(1)} %`, target: 'info', ok: true },
      {
        name: 'server RSS growth',
        value: `${mb(rssStart)} → ${mb(rssEnd)} (${rssGrowthPct.toFixed(1)} %)`,
        target: '< 10 %',
        ok: rssGrowthPct < 10,
      },
      {
        name: 'server open fds',
        value: `${fdsStart} → ${fdsEnd}`,
        target: 'flat (±max(8, 3 %))',
        ok: fdsEnd <= fdsStart + Math.max(8, fdsStart * 0.03),
      },
      {
        // Live windows: (window 6 + extra 3 + a few in flight) × 3 formats × ~0.55 MB per 2 s of 720p,
        // plus the 12-s DVR window of TS and CMAF (the HLS window before it was 12 s too).
        name: 'stream output on disk',
        value: `${mb(diskStart)} → ${mb(diskEnd)} (max ${mb(diskMax)})`,
        target: `bounded (max ≤ ${o.publishers} × 32 MiB, end ≤ 1.25× start + 8 MiB)`,
        ok: diskMax <= o.publishers * 32 * 1048576 && diskEnd <= diskStart * 1.25 + 8 * 1048576,
      },
      { name: 'publisher failures', value: String(publisherFailures), target: '0', ok: publisherFailures === 0 },
      {
        name: 'SIGTERM stop',
        value: `exit ${exited ? (serverExit?.code ?? '?') : 'none'} in ${stopSeconds.toFixed(1)} s, ${childrenLeft} children left`,
        target: 'exit 0 ≤ 10 s, 0 left',
        ok: exited && serverExit?.code === 0 && stopSeconds <= 10 && childrenLeft === 0,
      },
    ];

    let logTail = '';
    try {
      logTail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      /* no log */
    }
    const report: SoakReport = {
      options: o,
      seed: o.seed,
      viewer: {
        ...viewerCounts(stats),
        xcache: Object.fromEntries(stats.xcache),
        latencyMs: {
          playlistP50: percentile(plSorted, 50),
          playlistP99: percentile(plSorted, 99),
          segmentP50: percentile(segSorted, 50),
          segmentP99: percentile(segSorted, 99),
          allP50: percentile(allSorted, 50),
          allP99: percentile(allSorted, 99),
        },
      },
      origin: {
        requests: originRequests,
        segmentRequests,
        distinctSegments,
        segmentRequestsPerObject: perObject,
        playlistRequests,
        playlistRequestsPerStreamPerSecond: playlistRequests / Math.max(1, names.length) / Math.max(1, o.durationSeconds),
        statuses: Object.fromEntries(originCounter.statuses),
      },
      edgeHitRatio: hitRatio,
      edgeStats,
      server: {
        pid: serverPid,
        rssStart,
        rssEnd,
        rssGrowthPct,
        fdsStart,
        fdsEnd,
        ffmpegCount: last.ffmpegCount,
        ffmpegRssEnd: last.ffmpegRss,
        ffmpegCpuPctOfCore: ((last.ffmpegTicks - first.ffmpegTicks) / hz / secs) * 100,
        serverCpuPctOfCore: ((last.serverTicks - first.serverTicks) / hz / secs) * 100,
        diskStart,
        diskEnd,
        diskMax,
        diskAllEnd: last.diskAll,
        stopExitCode: serverExit?.code ?? null,
        stopSeconds,
        childrenLeftAfterStop: childrenLeft,
      },
      machine: {
        cores: os.cpus().length,
        load1Mean: measured.reduce((a, x) => a + x.load1, 0) / Math.max(1, measured.length),
        load1Max: Math.max(...measured.map((x) => x.load1)),
        oursCpuPctOfCore: ((last.oursTicks - first.oursTicks) / hz / secs) * 100,
        othersCpuPctOfCore: ((last.machineBusyTicks - first.machineBusyTicks - (last.oursTicks - first.oursTicks)) / hz / secs) * 100,
      },
      publisherFailures,
      targets,
      ok: targets.every((t) => t.ok),
      logTail,
    };
    return report;
  } finally {
    process.removeListener('SIGINT', onSigint);
    abort.abort();
    await killAll();
    await counter?.close();
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}

export function formatReport(r: SoakReport): string {
  const o = r.options;
  const lines: string[] = [];
  lines.push(
    `streamfront soak: ${o.publishers} publishers (720p 2 Mbps, -c copy), ${o.viewers} HLS viewers via the edge, ` +
      `${o.durationSeconds} s (warm-up ${o.warmupSeconds} s), seed ${r.seed}`,
  );
  const v = r.viewer;
  lines.push(
    `viewer requests: ${v.playlistFetches} playlists, ${v.segmentFetches} segments, ${mb(v.bytes)} received; X-Cache ${JSON.stringify(v.xcache)}`,
  );
  lines.push(
    `latency ms: playlist p50 ${v.latencyMs.playlistP50.toFixed(1)} p99 ${v.latencyMs.playlistP99.toFixed(1)}; ` +
      `segment p50 ${v.latencyMs.segmentP50.toFixed(1)} p99 ${v.latencyMs.segmentP99.toFixed(1)}; ` +
      `all p50 ${v.latencyMs.allP50.toFixed(1)} p99 ${v.latencyMs.allP99.toFixed(1)}`,
  );
  lines.push(
    `origin (counted between edge and origin): ${r.origin.requests} requests; ${r.origin.segmentRequests} for ${r.origin.distinctSegments} distinct segments; ` +
      `${r.origin.playlistRequests} playlist requests (${r.origin.playlistRequestsPerStreamPerSecond.toFixed(2)}/stream/s); statuses ${JSON.stringify(r.origin.statuses)}`,
  );
  const s = r.server;
  lines.push(
    `server pid ${s.pid}: CPU ${s.serverCpuPctOfCore.toFixed(1)} % of a core; ${s.ffmpegCount} ffmpeg children: CPU ${s.ffmpegCpuPctOfCore.toFixed(1)} % of a core in total, RSS ${mb(s.ffmpegRssEnd)} in total`,
  );
  const m = r.machine;
  lines.push(
    `machine: ${m.cores} cores, 1-min load mean ${m.load1Mean.toFixed(1)} max ${m.load1Max.toFixed(1)}; CPU of this run ${m.oursCpuPctOfCore.toFixed(0)} % of a core, ` +
      `of everything else ${m.othersCpuPctOfCore.toFixed(0)} % of a core`,
  );
  if (m.othersCpuPctOfCore > 40)
    lines.push('WARNING: other work was competing for the CPU during this run: latency and lateness figures are pessimistic.');
  lines.push(`data dir in total at the end (edge access logs included): ${mb(s.diskAllEnd)}`);
  const es = r.edgeStats as
    | {
        total?: { requests?: number; originRequests?: number };
        cache?: Record<string, number>;
        distributions?: Array<{ results?: Record<string, number> }>;
      }
    | undefined;
  if (es?.total) {
    lines.push(
      `edge /_edge/stats: ${es.total.requests} requests, ${es.total.originRequests} origin requests, results ${JSON.stringify(es.distributions?.[0]?.results ?? {})}, cache ${JSON.stringify(es.cache ?? {})}`,
    );
  }
  if (v.errorSamples.length) lines.push(`first viewer errors:\n  ${v.errorSamples.join('\n  ')}`);
  const w = [
    Math.max(...r.targets.map((t) => t.name.length)),
    Math.max(...r.targets.map((t) => t.value.length)),
    Math.max(...r.targets.map((t) => t.target.length)),
  ];
  lines.push('');
  lines.push(`${'metric'.padEnd(w[0]!)} | ${'value'.padEnd(w[1]!)} | ${'target'.padEnd(w[2]!)} | ok`);
  lines.push(`${'-'.repeat(w[0]!)}-+-${'-'.repeat(w[1]!)}-+-${'-'.repeat(w[2]!)}-+---`);
  for (const t of r.targets)
    lines.push(`${t.name.padEnd(w[0]!)} | ${t.value.padEnd(w[1]!)} | ${t.target.padEnd(w[2]!)} | ${t.ok ? 'yes' : 'NO'}`);
  lines.push('');
  lines.push(r.ok ? 'RESULT: all targets met' : `RESULT: targets missed (replay with --seed ${r.seed})`);
  return lines.join('\n');
}

function parseCli(argv: string[]): Partial<SoakOptions> & { json?: string } {
  const out: Partial<SoakOptions> & { json?: string } = {};
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag}: expected a non-negative number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    switch (a) {
      case '--publishers':
        out.publishers = Math.min(200, Math.max(1, Math.floor(num(a, v))));
        i++;
        break;
      case '--viewers':
        out.viewers = Math.min(5000, Math.floor(num(a, v)));
        i++;
        break;
      case '--duration':
        out.durationSeconds = Math.min(7200, Math.max(10, num(a, v)));
        i++;
        break;
      case '--warmup':
        out.warmupSeconds = num(a, v);
        i++;
        break;
      case '--seed':
        out.seed = Math.floor(num(a, v));
        i++;
        break;
      case '--config':
        out.configFile = v;
        i++;
        break;
      case '--edge-cache-mib':
        out.edgeCacheMiB = Math.max(1, num(a, v));
        i++;
        break;
      case '--json':
        out.json = v;
        i++;
        break;
      case '--from-source':
        out.fromSource = true;
        break;
      case '--keep':
        out.keep = true;
        break;
      case '--quiet':
        out.verbose = false;
        break;
      case '-h':
      case '--help':
        process.stdout.write(
          'Usage: scripts/soak [--publishers 8] [--viewers 300] [--duration 600] [--warmup S] [--seed N] [--from-source] [--config f.json] [--edge-cache-mib N] [--json out.json] [--keep] [--quiet]\n',
        );
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  if (out.durationSeconds !== undefined && out.warmupSeconds === undefined) {
    out.warmupSeconds = Math.min(60, Math.max(10, Math.round(out.durationSeconds * 0.2)));
  }
  return out;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const { json, ...opts } = cli;
  runSoak(opts).then(
    (report) => {
      process.stdout.write(formatReport(report) + '\n');
      if (json) writeFileSync(json, JSON.stringify(report, null, 2));
      process.exit(report.ok ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
