// CPU cost of our packager (one ffmpeg writing HLS + HDS + Smooth) per minute of a 720p 2 Mbps
// stream, against one bare `ffmpeg -c copy -f hls` reading the same RTMP stream, in the same run.
// Target (issue 2): ratio ≤ 1.5. Usage: npx tsx scripts/bench-packaging.ts [seconds=60]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HD_720P, syntheticFlv } from '../test/helpers/media.js';
import { startPublisher } from '../test/helpers/publisher.js';
import { packagerPids, playlistWithSegments, procInfo, startStack, waitFor } from '../test/packager/stack.js';

const seconds = Math.min(600, Math.max(10, Number(process.argv[2] ?? 60)));
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64
const WARMUP_MS = 6000;

const fixture = await syntheticFlv(HD_720P);
const stack = await startStack({ packager: { segmentSeconds: 2 } });
const key = { app: 'live', name: 'bench' };
const bareDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-bare-hls-'));
let bare: ReturnType<typeof spawn> | undefined;
let pub: Awaited<ReturnType<typeof startPublisher>> | undefined;
try {
  // FIELD-NOTES §4a, HLS only, same input, same segment length. It subscribes before the publish,
  // so both readers get the stream from its first packet.
  bare = spawn('ffmpeg', [
    '-hide_banner', '-nostats', '-loglevel', 'error', '-rw_timeout', '6000000', '-i', stack.rtmpUrl('live/bench'),
    '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '6',
    '-hls_delete_threshold', '3', '-hls_flags', 'delete_segments+independent_segments',
    '-hls_segment_filename', path.join(bareDir, 'seg_%05d.ts'), path.join(bareDir, 'index.m3u8'),
  ], { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise((r) => setTimeout(r, 1000));
  pub = await startPublisher(stack.rtmpUrl('live/bench'), { file: fixture });
  await playlistWithSegments(stack.dir(key, 'hls'), 1);
  const ours = await waitFor('packager pid', () => packagerPids(stack.ingest.port)[0]);
  await playlistWithSegments(bareDir, 1);
  await new Promise((r) => setTimeout(r, WARMUP_MS));

  const a0 = procInfo(ours)!;
  const b0 = procInfo(bare.pid!)!;
  const n0 = procInfo(process.pid)!;
  const t0 = Date.now();
  process.stderr.write(`measuring ${seconds} s (720p, ${HD_720P.videoKbps} kbit/s video) ...\n`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const a1 = procInfo(ours);
  const b1 = procInfo(bare.pid!);
  const n1 = procInfo(process.pid)!;
  const elapsed = (Date.now() - t0) / 1000;
  if (!a1 || !b1) throw new Error('a packager exited during the measurement');
  const perMinute = (ticks: number) => (ticks / CLK_TCK) * (60 / elapsed);
  const oursCpu = perMinute(a1.cpuTicks - a0.cpuTicks);
  const bareCpu = perMinute(b1.cpuTicks - b0.cpuTicks);
  const nodeCpu = perMinute(n1.cpuTicks - n0.cpuTicks);
  const page = 4096 / 1024 / 1024;
  console.log(`bench-packaging: ${elapsed.toFixed(1)} s of a 720p ~2.1 Mbit/s stream, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}`);
  console.log(`  our packager ffmpeg (HLS+HDS+Smooth): ${oursCpu.toFixed(3)} CPU-s per minute (${((oursCpu / 60) * 100).toFixed(2)} % of a core), RSS ${(a1.rssPages * page).toFixed(0)} MB`);
  console.log(`  bare ffmpeg -c copy -f hls:          ${bareCpu.toFixed(3)} CPU-s per minute (${((bareCpu / 60) * 100).toFixed(2)} % of a core), RSS ${(b1.rssPages * page).toFixed(0)} MB`);
  console.log(`  ratio ours / bare: ${(oursCpu / bareCpu).toFixed(2)}  (target ≤ 1.5)`);
  console.log(`  for context, the node process (RTMP ingest relaying to both readers + supervision): ${nodeCpu.toFixed(3)} CPU-s per minute`);
} finally {
  if (bare && bare.exitCode === null) {
    bare.stdin?.write('q');
    await new Promise((r) => setTimeout(r, 300));
    bare.kill('SIGKILL');
  }
  await pub?.stop();
  await stack.close();
  fs.rmSync(bareDir, { recursive: true, force: true });
}
