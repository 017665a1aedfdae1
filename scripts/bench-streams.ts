// How many simultaneous 720p publishers (pre-encoded fixture, `-c copy`) this machine packages with
// every HLS playlist refreshed within target duration + 1 s. Steps up the count and stops at the
// first step that misses, or at the time cap. Prints CPU and RSS per stream.
// Target: ≥ 50. Usage: npx tsx scripts/bench-streams.ts [capSeconds=300] [steps=8,16,32,48,56,64,80,96,112,128]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HD_720P, syntheticFlv } from '../test/helpers/media.js';
import { startPublisher, type Publisher } from '../test/helpers/publisher.js';
import { packagerPids, procInfo, startStack, waitFor } from '../test/packager/stack.js';
import { HLS_FILES } from '../src/timeline/output-layout.js';
import { helpOrArgs, numberArg, numberListArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-streams.ts [capSeconds=300] [steps=8,16,32,48,56,64,80,96,112,128]
  How many simultaneous 720p publishers are packaged with every playlist fresh.
  capSeconds: 60..900 in all; steps: comma-separated publisher counts, 1..200 each.`;
const args = helpOrArgs(USAGE, 2);
const capMs = numberArg(USAGE, args[0], 'capSeconds', 300, { min: 60, max: 900 }) * 1000;
const steps = numberListArg(USAGE, args[1], 'steps', [8, 16, 32, 48, 56, 64, 80, 96, 112, 128], { min: 1, max: 200, integer: true });
const SEGMENT_S = 2;
const LIMIT_MS = (SEGMENT_S + 1) * 1000;
const WINDOW_MS = 15_000;
const POLL_MS = 100;
const CLK_TCK = 100;
const PAGE_MB = 4096 / 1024 / 1024;

const started = Date.now();
const fixture = await syntheticFlv(HD_720P);
const stack = await startStack({ packager: { segmentSeconds: SEGMENT_S } });
const publishers: Publisher[] = [];
const playlist = (i: number) => path.join(stack.dir({ app: 'live', name: `s${i}` }, 'hls'), HLS_FILES.playlist);
const mtime = (f: string) => {
  try {
    return fs.statSync(f).mtimeMs;
  } catch {
    return 0;
  }
};

interface StepResult {
  n: number;
  ok: boolean;
  worstGapMs: number;
  note?: string;
}
const results: StepResult[] = [];
console.log(
  `bench-streams: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, 720p ~2.1 Mbit/s publishers on the same machine, ${SEGMENT_S} s segments, limit ${LIMIT_MS / 1000} s between playlist updates, ${WINDOW_MS / 1000} s window per step`,
);
try {
  for (const n of steps) {
    if (Date.now() - started > capMs) {
      console.log(`time cap reached before step ${n}`);
      break;
    }
    while (publishers.length < n) {
      const i = publishers.length;
      publishers.push(await startPublisher(stack.rtmpUrl(`live/s${i}`), { file: fixture }));
      await new Promise((r) => setTimeout(r, 40));
    }
    try {
      await waitFor(`${n} playlists`, () => publishers.every((_, i) => mtime(playlist(i)) > 0), 30_000, 200);
    } catch {
      results.push({ n, ok: false, worstGapMs: Infinity, note: 'not every stream produced a playlist within 30 s' });
      console.log(`  ${n} streams: FAIL (not every stream produced a playlist within 30 s)`);
      break;
    }
    await new Promise((r) => setTimeout(r, 3000)); // settle after the start burst
    const pids = packagerPids(stack.ingest.port);
    const pubPids = publishers.map((p) => p.proc.pid!);
    const cpu0 = new Map([...pids, ...pubPids, process.pid].map((pid) => [pid, procInfo(pid)?.cpuTicks ?? 0]));
    const last = publishers.map((_, i) => mtime(playlist(i)));
    const lastChange = last.map(() => Date.now());
    const worst = last.map(() => 0);
    const t0 = Date.now();
    while (Date.now() - t0 < WINDOW_MS) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const m = mtime(playlist(i));
        if (m !== last[i]) {
          worst[i] = Math.max(worst[i]!, now - lastChange[i]!);
          last[i] = m;
          lastChange[i] = now;
        }
      }
    }
    const end = Date.now();
    for (let i = 0; i < n; i++) worst[i] = Math.max(worst[i]!, end - lastChange[i]!);
    const secs = (end - t0) / 1000;
    const pct = (pid: number) => {
      const p = procInfo(pid);
      return p ? ((p.cpuTicks - (cpu0.get(pid) ?? 0)) / CLK_TCK / secs) * 100 : NaN;
    };
    const pkCpu = pids.map(pct);
    const pubCpu = pubPids.map(pct);
    const nodeCpu = pct(process.pid);
    const pkRss = pids.map((pid) => (procInfo(pid)?.rssPages ?? 0) * PAGE_MB);
    const nodeRss = (procInfo(process.pid)?.rssPages ?? 0) * PAGE_MB;
    const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
    const worstGap = Math.max(...worst);
    const late = worst.filter((w) => w > LIMIT_MS).length;
    const restarting = stack.registry.list().filter((s) => s.packaging !== 'running').length;
    const ok = late === 0 && pids.length === n && restarting === 0;
    results.push({ n, ok, worstGapMs: worstGap });
    console.log(
      `  ${String(n).padStart(3)} streams: ${ok ? 'OK  ' : 'FAIL'} worst playlist gap ${(worstGap / 1000).toFixed(2)} s (${late} late), ` +
        `packagers ${pids.length}/${n}; per stream: packager ffmpeg ${avg(pkCpu).toFixed(2)} % CPU ${avg(pkRss).toFixed(0)} MB RSS, ` +
        `publisher ${avg(pubCpu).toFixed(2)} % CPU, node (RTMP ingest) ${(nodeCpu / n).toFixed(2)} % CPU; node total ${nodeCpu.toFixed(1)} % CPU ${nodeRss.toFixed(0)} MB RSS; load ${os.loadavg()[0]!.toFixed(1)}`,
    );
    if (!ok) break;
  }
  const best = results.filter((r) => r.ok).at(-1);
  console.log(
    `result: ${best ? best.n : 0} simultaneous streams packaged with every playlist fresh (target ≥ 50)${results.at(-1)?.ok === false ? `; ${results.at(-1)!.n} missed` : ''}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  await Promise.all(publishers.map((p) => p.stop()));
  await stack.close();
}
