// CPU cost of our packager (one ffmpeg writing HLS + HDS + Smooth) per minute of a 720p 2 Mbps
// stream, against one bare `ffmpeg -c copy -f hls` reading the same RTMP stream, in the same run.
// Target: ratio ≤ 1.5. Usage: npx tsx scripts/bench-packaging.ts [seconds=60]
//
// Measured: the reader that subscribes to the RTMP stream first pays noticeably more CPU (it is
// woken for every write; later readers get fuller reads). So two streams run side by side, one with
// the bare reader subscribed first and one with our packager first, and both ratios are printed.
//
// The CMAF output (two more fMP4 outputs on pipes into the timeline, for LL-HLS and DASH) is
// measured in the same run: a second packager, with CMAF on and its own data directory, packages
// the same two streams. It subscribes before today's packager (the position that costs more), so
// its figure is the conservative one. Its timeline work (fMP4 parsing, in memory) runs in this
// node process and is included in the node figure.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HD_720P, syntheticFlv } from '../test/helpers/media.js';
import { startPublisher, type Publisher } from '../test/helpers/publisher.js';
import { packagerPids, playlistWithSegments, procInfo, readText, startStack, waitFor } from '../test/packager/stack.js';
import { HLS_FILES } from '../src/timeline/output-layout.js';
import { helpOrArgs, numberArg } from './script-args.js';
import { startPackager } from '../src/packager/index.js';
import { silentLogger } from '../src/log.js';
import { TimelineStore } from '../src/timeline/stream-timeline.js';

const USAGE = `Usage: npx tsx scripts/bench-packaging.ts [seconds=60]
  CPU per minute of a 720p 2 Mbps stream: our three-format packager vs a bare ffmpeg -c copy -f hls.
  seconds: 10..600 of measurement after a warm-up.`;
const args = helpOrArgs(USAGE, 1);
const seconds = numberArg(USAGE, args[0], 'seconds', 60, { min: 10, max: 600 });
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64
const WARMUP_MS = 6000;
const PAGE_MB = 4096 / 1024 / 1024;

const fixture = await syntheticFlv(HD_720P);
const stack = await startStack({ packager: { segmentSeconds: 2 } }, false);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-bare-hls-'));
// Listener order = subscription order: the CMAF packager first, then today's.
const timelines = new TimelineStore();
const cmafPackager = await startPackager({
  config: { ...stack.config, dataDir: path.join(tmp, 'cmaf-data') },
  registry: stack.registry,
  log: silentLogger(),
  rtmpPort: stack.ingest.port,
  timelines,
});
const todayPackager = await startPackager({
  config: { ...stack.config, packager: { ...stack.config.packager, cmaf: { ...stack.config.packager.cmaf, enabled: false } } },
  registry: stack.registry,
  log: silentLogger(),
  rtmpPort: stack.ingest.port,
});
const bares: ChildProcess[] = [];
const pubs: Publisher[] = [];

/** FIELD-NOTES §4a, HLS only, same input, same segment length. */
function startBare(name: string): { proc: ChildProcess; dir: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const proc = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'error',
      '-rw_timeout',
      '6000000',
      '-i',
      stack.rtmpUrl(`live/${name}`),
      '-map',
      '0:v:0',
      '-map',
      '0:a:0',
      '-c',
      'copy',
      '-f',
      'hls',
      '-hls_time',
      '2',
      '-hls_list_size',
      '6',
      '-hls_delete_threshold',
      '3',
      '-hls_flags',
      'delete_segments+independent_segments',
      '-hls_segment_filename',
      path.join(dir, HLS_FILES.segmentPattern),
      path.join(dir, HLS_FILES.playlist),
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  bares.push(proc);
  return { proc, dir };
}

const packagerOf = (name: string, cmaf: boolean) => () =>
  packagerPids(stack.ingest.port).find((pid) => {
    const argv = readText(`/proc/${pid}/cmdline`) ?? '';
    return argv.includes(`/live/${name}\u0000`) && argv.includes('\u0000pipe:3\u0000') === cmaf;
  });

try {
  // Stream "bfirst": the bare reader subscribes before the publish, our packager after it.
  const b1 = startBare('bfirst');
  await new Promise((r) => setTimeout(r, 1000));
  pubs.push(await startPublisher(stack.rtmpUrl('live/bfirst'), { file: fixture }));
  // Stream "ofirst": our packager subscribes at publish time, the bare reader afterwards.
  pubs.push(await startPublisher(stack.rtmpUrl('live/ofirst'), { file: fixture }));
  await playlistWithSegments(stack.dir({ app: 'live', name: 'ofirst' }, 'hls'), 1);
  const b2 = startBare('ofirst');
  await playlistWithSegments(stack.dir({ app: 'live', name: 'bfirst' }, 'hls'), 1);
  await playlistWithSegments(b1.dir, 1);
  await playlistWithSegments(b2.dir, 1);
  const o1 = await waitFor('packager bfirst', packagerOf('bfirst', false));
  const o2 = await waitFor('packager ofirst', packagerOf('ofirst', false));
  const c1 = await waitFor('CMAF packager bfirst', packagerOf('bfirst', true));
  const c2 = await waitFor('CMAF packager ofirst', packagerOf('ofirst', true));
  await waitFor('CMAF parts', () => timelines.get('live/ofirst')?.track('video')?.lastPart !== undefined);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const partsBefore = timelines.get('live/ofirst')!.track('video')!.nextPartSeq;

  const pids = { o1, o2, c1, c2, b1: b1.proc.pid!, b2: b2.proc.pid!, node: process.pid };
  const t0s = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procInfo(pid)!.cpuTicks]));
  const t0 = Date.now();
  process.stderr.write(`measuring ${seconds} s (2 × 720p, ${HD_720P.videoKbps} kbit/s video) ...\n`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (Date.now() - t0) / 1000;
  const perMin: Record<string, number> = {};
  const rss: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) {
    const p = procInfo(pid);
    if (!p) throw new Error(`${k} (pid ${pid}) exited during the measurement`);
    perMin[k] = ((p.cpuTicks - t0s[k]!) / CLK_TCK) * (60 / elapsed);
    rss[k] = p.rssPages * PAGE_MB;
  }
  const f = (k: string) =>
    `${perMin[k]!.toFixed(3)} CPU-s/min (${((perMin[k]! / 60) * 100).toFixed(2)} % of a core, RSS ${rss[k]!.toFixed(0)} MB)`;
  const r1 = perMin.o1! / perMin.b1!;
  const r2 = perMin.o2! / perMin.b2!;
  const total = (perMin.o1! + perMin.o2!) / (perMin.b1! + perMin.b2!);
  console.log(
    `bench-packaging: ${elapsed.toFixed(1)} s, two 720p ~2.1 Mbit/s streams, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  console.log(
    `  stream A, bare reader subscribed first:   ours (HLS+HDS+Smooth) ${f('o1')}; bare -f hls ${f('b1')}; ratio ${r1.toFixed(2)}`,
  );
  console.log(
    `  stream B, our packager subscribed first:  ours (HLS+HDS+Smooth) ${f('o2')}; bare -f hls ${f('b2')}; ratio ${r2.toFixed(2)}`,
  );
  console.log(
    `  same position: ours first / bare first ${(perMin.o2! / perMin.b1!).toFixed(2)}, ours second / bare second ${(perMin.o1! / perMin.b2!).toFixed(2)}`,
  );
  console.log(`  ratio ours / bare over both orders: ${total.toFixed(2)}  (target ≤ 1.5)`);
  const cmafVsToday = (perMin.c1! + perMin.c2!) / (perMin.o1! + perMin.o2!);
  const parts = timelines.get('live/ofirst')!.track('video')!.nextPartSeq - partsBefore;
  console.log(`  with the CMAF output (HLS+HDS+Smooth + fMP4 video/audio pipes): stream A ${f('c1')}; stream B ${f('c2')}`);
  console.log(
    `  ratio CMAF packager / today's packager over both streams: ${cmafVsToday.toFixed(2)}; CMAF / bare: ${((perMin.c1! + perMin.c2!) / (perMin.b1! + perMin.b2!)).toFixed(2)}`,
  );
  console.log(`  (${parts} video parts of stream B reached the timeline during the measurement, ${(parts / elapsed).toFixed(2)}/s)`);
  console.log(
    `  for context, the node process (RTMP ingest relaying 2 streams to 6 readers + supervision + the CMAF timelines of 2 streams): ${perMin.node!.toFixed(3)} CPU-s/min`,
  );
} finally {
  for (const b of bares) {
    if (b.exitCode === null) {
      b.stdin?.write('q');
      setTimeout(() => b.kill('SIGKILL'), 1000).unref();
    }
  }
  await Promise.all(bares.map((b) => (b.exitCode === null ? new Promise((r) => b.once('exit', r)) : null)));
  await Promise.all(pubs.map((p) => p.stop()));
  await Promise.all([cmafPackager.close(), todayPackager.close()]);
  await stack.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
