// LL-HLS through the edge: N simulated viewers do what hls.js does in low-latency mode (blocking
// playlist reloads for the next part, then the new parts) through an edge process, for a while.
// A counting proxy between the edge and the origin shows how many origin requests each distinct
// part and playlist version cost (target ≤ 1.05: the edge collapses held requests), and when each
// first came back from the origin, so the viewers' wait beyond that moment is measured too.
// Usage: npx tsx scripts/bench-llhls-edge.ts [viewers=200] [seconds=60]
//
// The edge runs as its own process (`streamfront edge`), so its CPU is its own; ingest, packager
// and origin run in this process with the viewers. Its distribution forwards the query string for
// `*.m3u8`, so `_HLS_msn`/`_HLS_part` are part of the cache key (AWS MediaPackage's advice).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../src/config/index.js';
import { silentLogger } from '../src/log.js';
import { startServer } from '../src/server.js';
import { freePort } from '../test/helpers/ports.js';
import { procInfo } from '../test/packager/stack.js';
import { startPublisher } from '../test/helpers/publisher.js';
import { startServerProcess } from '../test/helpers/server-process.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-llhls-edge.ts [viewers] [seconds]
  viewers   simulated LL-HLS viewers through the edge (1-1000, default 200)
  seconds   how long they watch (10-600, default 60)
Prints origin requests per distinct part and playlist version, the viewers' wait beyond each
part's first origin answer (p50/p99), and the edge process's CPU.`;
const args = helpOrArgs(USAGE, 2);
const viewers = numberArg(USAGE, args[0], 'viewers', 200, { min: 1, max: 1000, integer: true });
const seconds = numberArg(USAGE, args[1], 'seconds', 60, { min: 10, max: 600 });
const CLK_TCK = 100;
const PLAYLIST = '/live/bench/chunklist_sfm4s_video.m3u8';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-llbench-'));
const server = await startServer({
  config: defaultConfig({
    host: '127.0.0.1',
    rtmpPort: await freePort(),
    originPort: 0,
    dataDir,
    logLevel: 'silent',
    origin: { maxHeldRequests: 20_000 },
  }),
  log: silentLogger(),
  roles: { ingest: true, origin: true, edge: false },
});
const originPort = server.ports.origin;

// The counting proxy: every request the edge makes to the origin.
const originRequests = new Map<string, number>();
const firstAnswered = new Map<string, number>();
const proxy = http.createServer((req, res) => {
  const key = req.url ?? '';
  originRequests.set(key, (originRequests.get(key) ?? 0) + 1);
  const up = http.request({ host: '127.0.0.1', port: originPort, path: key, method: req.method, headers: req.headers }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
    ur.on('end', () => {
      if (ur.statusCode === 200 && !firstAnswered.has(key)) firstAnswered.set(key, Date.now());
    });
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

const cfgFile = path.join(dataDir, 'edge.json');
fs.writeFileSync(
  cfgFile,
  JSON.stringify({ edge: { distributions: [{ behaviors: [{ pathPattern: '*.m3u8', forwardQueryString: true }] }] } }),
);
const edge = await startServerProcess({ command: 'edge', extraArgs: ['--origin', proxyUrl, '--config', cfgFile], logLevel: 'warn' });
const edgeBase = `http://127.0.0.1:${edge.ports.edge}`;
const publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/bench`);

function lastPart(text: string): { msn: number; part: number } {
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  let part = -1;
  for (const l of text.split('\n')) {
    if (l.startsWith('#EXT-X-PART:')) part++;
    else if (l !== '' && !l.startsWith('#')) {
      msn++;
      part = -1;
    }
  }
  return { msn, part };
}

const waits: number[] = [];
const partWaits: number[] = [];
let viewerErrors = 0;
let viewerRequests = 0;
let stop = false;

async function viewer(): Promise<void> {
  const seen = new Set<string>();
  let text = await (await fetch(edgeBase + PLAYLIST)).text();
  while (!stop) {
    const { msn, part } = lastPart(text);
    const query = `?_HLS_msn=${msn}&_HLS_part=${part + 1}`;
    viewerRequests++;
    const res = await fetch(edgeBase + PLAYLIST + query).catch(() => undefined);
    if (!res || res.status !== 200) {
      viewerErrors++;
      await res?.arrayBuffer().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    text = await res.text();
    const got = Date.now();
    const first = firstAnswered.get(PLAYLIST + query);
    if (first !== undefined) waits.push(got - first);
    const uris = [...text.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !seen.has(u));
    for (const u of uris.slice(-3)) {
      seen.add(u);
      viewerRequests++;
      const r = await fetch(`${edgeBase}/live/bench/${u}`).catch(() => undefined);
      if (!r || r.status !== 200) viewerErrors++;
      await r?.arrayBuffer().catch(() => undefined);
      const f = firstAnswered.get(`/live/bench/${u}`);
      if (f !== undefined) partWaits.push(Date.now() - f);
    }
  }
}

function pct(a: number[], p: number): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

try {
  for (;;) {
    const r = await fetch(edgeBase + PLAYLIST);
    if (r.status === 200 && (await r.text()).includes('#EXT-X-PART:')) break;
    await new Promise((r2) => setTimeout(r2, 300));
  }
  originRequests.clear();
  firstAnswered.clear();
  const edgeTicks0 = procInfo(edge.pid)!.cpuTicks;
  const t0 = Date.now();
  process.stderr.write(`${viewers} LL-HLS viewers through the edge for ${seconds} s ...\n`);
  const running = Array.from({ length: viewers }, () => viewer().catch(() => void viewerErrors++));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  const elapsed = (Date.now() - t0) / 1000;
  const edgeCpu = (procInfo(edge.pid)!.cpuTicks - edgeTicks0) / CLK_TCK;
  await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 8000))]);

  const entries = [...originRequests.entries()];
  const playlistVersions = entries.filter(([k]) => k.startsWith(PLAYLIST) && k.includes('_HLS_msn='));
  const parts = entries.filter(([k]) => k.includes('/part_sfm4s_'));
  const sum = (e: Array<[string, number]>) => e.reduce((n, [, c]) => n + c, 0);
  console.log(
    `bench-llhls-edge: ${viewers} viewers, ${elapsed.toFixed(1)} s, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  console.log(`  viewer requests ${viewerRequests}, errors ${viewerErrors}`);
  console.log(
    `  origin requests per distinct blocking playlist version: ${(sum(playlistVersions) / Math.max(1, playlistVersions.length)).toFixed(3)} (${sum(playlistVersions)} for ${playlistVersions.length}; target ≤ 1.05)`,
  );
  console.log(
    `  origin requests per distinct part: ${(sum(parts) / Math.max(1, parts.length)).toFixed(3)} (${sum(parts)} for ${parts.length}; target ≤ 1.05)`,
  );
  console.log(
    `  viewer wait beyond the origin's first answer: playlist p50 ${pct(waits, 50)} ms, p99 ${pct(waits, 99)} ms; part p50 ${pct(partWaits, 50)} ms, p99 ${pct(partWaits, 99)} ms`,
  );
  console.log(
    `  edge process CPU: ${edgeCpu.toFixed(2)} s over ${elapsed.toFixed(1)} s (${((edgeCpu / elapsed) * 100).toFixed(1)} % of a core)`,
  );
} finally {
  stop = true;
  await publisher.stop();
  await edge.cleanup();
  await new Promise<void>((r) => {
    proxy.close(() => r());
    proxy.closeAllConnections();
  });
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
