// The ABR ladder's cost, in one run. Part 1: CPU per stream of our packager running the default
// preset (source + 480p + 360p + 240p, with HLS, HDS, Smooth and the CMAF pipes) against a plain
// ffmpeg doing the same ladder alone (same filter graph, same libx264/AAC settings, HLS only) on
// the same 720p RTMP stream at the same time. Target ratio ≤ 1.1. Part 2: how many 720p sources
// with the default ladder this machine sustains in real time: 1, 2, … streams, each step measured
// for a while; a step passes when every rung of every stream produced media at speed ≥ 1.0 and
// every rung's playlist stayed fresh (rewritten within two segment durations and a second).
// Usage: npx tsx scripts/bench-abr.ts [seconds=30] [maxStreams=3]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HD_720P, syntheticFlv } from '../test/helpers/media.js';
import { startPublisher, type Publisher } from '../test/helpers/publisher.js';
import { packagerPids, procInfo, readText, startStack, waitFor, type Stack } from '../test/packager/stack.js';
import { planLadder } from '../src/packager/abr-ladder.js';
import { invocationArgv, packagingInvocation } from '../src/packager/ffmpeg-args.js';
import { HLS_FILES } from '../src/timeline/output-layout.js';
import { TimelineStore } from '../src/timeline/stream-timeline.js';
import { startPackager } from '../src/packager/index.js';
import { silentLogger } from '../src/log.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-abr.ts [seconds=30] [maxStreams=3]
  CPU per stream of the default ABR preset (source + 480p + 360p + 240p) in our packager vs a plain
  ffmpeg doing the same ladder alone, same run; then how many 720p sources with the default ladder
  run in real time (speed >= 1.0, every playlist fresh).
  seconds: 10..300 of measurement per step; maxStreams: 1..8 streams tried at most.`;
const args = helpOrArgs(USAGE, 2);
const seconds = numberArg(USAGE, args[0], 'seconds', 30, { min: 10, max: 300 });
const maxStreams = numberArg(USAGE, args[1], 'maxStreams', 3, { min: 1, max: 8, integer: true });
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64
const WARMUP_MS = 8000;
const SEGMENT_SECONDS = 2;

const fixture = await syntheticFlv(HD_720P);
const rungs = planLadder('default', { width: HD_720P.width, height: HD_720P.height }).rungs;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-bench-abr-'));
const children: ChildProcess[] = [];
const pubs: Publisher[] = [];
let stack: Stack | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

/**
 * The plain ffmpeg: the same ladder (filter graph and every encoder option, taken from our
 * invocation so the settings cannot drift), writing only one HLS playlist per rung.
 */
function startBare(inputUrl: string): ChildProcess {
  const dir = path.join(tmp, 'bare');
  fs.mkdirSync(path.join(dir, 'hls'), { recursive: true });
  const inv = packagingInvocation({
    inputUrl,
    workDir: dir,
    segmentSeconds: SEGMENT_SECONDS,
    windowSegments: 6,
    hlsListSize: 6,
    extraWindowSegments: 3,
    transcodeVideo: false,
    transcodeAudio: false,
    appendHls: false,
    inputTimeoutSeconds: 6,
    rungs,
    hasAudio: true,
    sourceVideoKbps: HD_720P.videoKbps!,
  });
  const out = inv.outputs[0]!;
  const hlsOnly = out.target
    .split('|')
    .filter((s) => s.startsWith('[f=hls:'))
    .join('|');
  const argv = invocationArgv({ ...inv, outputs: [{ options: out.options, target: hlsOnly }] });
  const proc = spawn('ffmpeg', argv, { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] });
  children.push(proc);
  return proc;
}

function cpuTicks(pid: number): number {
  const p = procInfo(pid);
  if (!p) throw new Error(`pid ${pid} exited during the measurement`);
  return p.cpuTicks;
}

/** The segments a playlist lists now, by name, with their EXTINF seconds. */
function listed(file: string): Map<string, number> {
  const out = new Map<string, number>();
  const text = readText(file) ?? '';
  let d: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXTINF:')) d = Number.parseFloat(line.slice(8));
    else if (line.endsWith('.ts') && d !== undefined) {
      out.set(line.trim(), d);
      d = undefined;
    }
  }
  return out;
}

/**
 * Media seconds that appear in playlists after it starts watching (polled often enough that no
 * segment scrolls out of the sliding window unseen).
 */
class SegmentWatch {
  readonly #files: string[];
  readonly #old = new Set<string>();
  readonly #fresh = new Map<string, number>();
  constructor(files: string[]) {
    this.#files = files;
    for (const f of files) for (const seg of listed(f).keys()) this.#old.add(`${f}/${seg}`);
  }
  poll(): void {
    for (const f of this.#files) for (const [seg, d] of listed(f)) if (!this.#old.has(`${f}/${seg}`)) this.#fresh.set(`${f}/${seg}`, d);
  }
  seconds(): number {
    let s = 0;
    for (const d of this.#fresh.values()) s += d;
    return s;
  }
}

try {
  const timelines = new TimelineStore();
  stack = await startStack({ packager: { segmentSeconds: SEGMENT_SECONDS, ladder: 'default', cleanupDelaySeconds: 600 } }, false);
  const packager = await startPackager({
    config: stack.config,
    registry: stack.registry,
    log: silentLogger(),
    rtmpPort: stack.ingest.port,
    timelines,
  });
  cleanups.push(() => packager.close());
  const s = stack;
  const rungPlaylist = (name: string, rung: string) => path.join(s.dir({ app: 'live', name }, 'hls'), HLS_FILES.rungPlaylist(rung));
  const ours = (name: string) => () =>
    packagerPids(s.ingest.port).find(
      (pid) => (readText(`/proc/${pid}/cmdline`) ?? '').includes(`/live/${name}\u0000`) && pid !== bare?.pid,
    );
  const waitForRungs = (name: string) =>
    waitFor(
      `every rung of ${name}`,
      () => rungs.every((r) => (readText(rungPlaylist(name, r.name))?.match(/#EXTINF/g)?.length ?? 0) >= 1),
      60_000,
      200,
    );

  // Part 1: one stream, ours and the plain ffmpeg side by side.
  pubs.push(await startPublisher(s.rtmpUrl('live/s1'), { file: fixture }));
  await waitForRungs('s1');
  const bare = startBare(s.rtmpUrl('live/s1'));
  const oursPid = await waitFor('our packager', ours('s1'));
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const t0 = { ours: cpuTicks(oursPid), bare: cpuTicks(bare.pid!), node: cpuTicks(process.pid) };
  const start = Date.now();
  const load0 = os.loadavg()[0]!;
  process.stderr.write(`part 1: measuring ${seconds} s (one 720p ${HD_720P.videoKbps} kbit/s stream, default ladder) ...\n`);
  // Media each produced in the window (its lowest rung): on a machine too busy for real time the
  // CPU figures are compared per second of media, not per second of wall time.
  const oursMedia = new SegmentWatch([rungPlaylist('s1', rungs.at(-1)!.name)]);
  const bareMedia = new SegmentWatch([path.join(tmp, 'bare', 'hls', HLS_FILES.rungPlaylist(rungs.at(-1)!.name))]);
  while (Date.now() - start < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 500));
    oursMedia.poll();
    bareMedia.poll();
  }
  const elapsed = (Date.now() - start) / 1000;
  const pct = (ticks: number) => ((ticks / CLK_TCK / elapsed) * 100).toFixed(1);
  const oursCpu = cpuTicks(oursPid) - t0.ours;
  const bareCpu = cpuTicks(bare.pid!) - t0.bare;
  const nodeCpu = cpuTicks(process.pid) - t0.node;
  console.log(
    `bench-abr: ${os.cpus().length} cores, load average ${load0.toFixed(2)} at start / ${os.loadavg()[0]!.toFixed(2)} after part 1; ${elapsed.toFixed(1)} s`,
  );
  console.log(`  rungs: ${rungs.map((r) => `${r.name} ${r.width}x${r.height}${r.videoKbps ? ` ${r.videoKbps}k` : ' (copy)'}`).join(', ')}`);
  const perMedia = (ticks: number, media: number) => (media > 0 ? ((ticks / CLK_TCK / media) * 100).toFixed(1) : 'n/a');
  console.log(
    `  our packager (HLS x4 + HDS + Smooth + CMAF x5): ${pct(oursCpu)} % of a core; ${oursMedia.seconds().toFixed(1)} s of media (speed ${(oursMedia.seconds() / elapsed).toFixed(2)}), ${perMedia(oursCpu, oursMedia.seconds())} CPU-% per media second`,
  );
  console.log(
    `  plain ffmpeg, same ladder, HLS only:           ${pct(bareCpu)} % of a core; ${bareMedia.seconds().toFixed(1)} s of media (speed ${(bareMedia.seconds() / elapsed).toFixed(2)}), ${perMedia(bareCpu, bareMedia.seconds())} CPU-% per media second`,
  );
  console.log(`  ratio ours / plain, CPU per wall second: ${(oursCpu / bareCpu).toFixed(3)}  (target <= 1.1)`);
  if (oursMedia.seconds() > 0 && bareMedia.seconds() > 0)
    console.log(
      `  ratio ours / plain, CPU per media second:  ${(oursCpu / oursMedia.seconds() / (bareCpu / bareMedia.seconds())).toFixed(3)}  (the fair one when either falls behind real time)`,
    );
  console.log(`  for context, the node process (ingest relay, supervision, CMAF timeline): ${pct(nodeCpu)} % of a core`);
  bare.stdin?.write('q');
  await new Promise((r) => (bare.exitCode === null ? bare.once('exit', r) : r(null)));

  // Part 2: add streams until one of them cannot keep up.
  let sustained = 0;
  for (let n = 1; n <= maxStreams; n++) {
    const names = Array.from({ length: n }, (_, i) => `s${i + 1}`);
    for (const name of names.slice(pubs.length)) {
      pubs.push(await startPublisher(s.rtmpUrl(`live/${name}`), { file: fixture }));
    }
    try {
      for (const name of names) await waitForRungs(name);
    } catch {
      console.log(`  ${n} stream(s): not every rung started within 60 s: not sustained`);
      break;
    }
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const watches = names.map((name) => rungs.map((r) => new SegmentWatch([rungPlaylist(name, r.name)])));
    let maxAge = 0;
    const stepStart = Date.now();
    while (Date.now() - stepStart < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      for (const w of watches.flat()) w.poll();
      for (const name of names)
        for (const r of rungs) {
          const st = fs.statSync(rungPlaylist(name, r.name), { throwIfNoEntry: false });
          if (st) maxAge = Math.max(maxAge, (Date.now() - st.mtimeMs) / 1000);
        }
    }
    const stepSeconds = (Date.now() - stepStart) / 1000;
    // Speed: media seconds newly listed per wall second, the slowest rung of any stream (the
    // segment still being written at each end evens out over the window).
    let minSpeed = Infinity;
    for (const w of watches.flat()) minSpeed = Math.min(minSpeed, w.seconds() / stepSeconds);
    const fresh = maxAge <= 2 * SEGMENT_SECONDS + 1;
    const ok = minSpeed >= 0.95 && fresh;
    console.log(
      `  ${n} x 720p with the default ladder: slowest rung speed ${minSpeed.toFixed(2)}, oldest playlist ${maxAge.toFixed(1)} s, load average ${os.loadavg()[0]!.toFixed(2)} -> ${ok ? 'real time' : 'NOT real time'}`,
    );
    if (!ok) break;
    sustained = n;
  }
  console.log(
    `  sustained in real time: ${sustained} x 720p with the default ladder${sustained === maxStreams ? ` (the most tried; raise maxStreams)` : ''}`,
  );
  console.log('  (speed counts a window of whole segments, so >= 0.95 over the step is taken as real time)');
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(pubs.map((p) => p.stop()));
  for (const c of cleanups) await c();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
