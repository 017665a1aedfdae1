// Memory bound: with the cache bounded at 256 MiB, request 2 GiB of distinct objects through
// the edge (running alone in a child process) and report its peak RSS (VmHWM); target < 256 + 150 MiB.
// Run: npx tsx scripts/bench-edge-memory.ts   Env: MEM_OBJECT_KIB (default 500), MEM_TOTAL_MIB (2048).
import http from 'node:http';
import { fetchOnce, mib, startBenchOrigin, startEdgeChild } from './bench-edge-common.js';
import { helpOrArgs, numberArg } from './script-args.js';

const CACHE = 256 * 1024 * 1024;
const USAGE = `Usage: npx tsx scripts/bench-edge-memory.ts
  Requests MEM_TOTAL_MIB of distinct objects through an edge whose cache is bounded at 256 MiB and prints its peak RSS.
  Environment: MEM_OBJECT_KIB (500), MEM_TOTAL_MIB (2048).`;
helpOrArgs(USAGE, 0);
const OBJECT = numberArg(USAGE, process.env.MEM_OBJECT_KIB, 'MEM_OBJECT_KIB', 500, { min: 1, max: 1024 * 1024 }) * 1024;
const TOTAL = numberArg(USAGE, process.env.MEM_TOTAL_MIB, 'MEM_TOTAL_MIB', 2048, { min: 1, max: 1024 * 1024 }) * 1024 * 1024;
const CONCURRENCY = 16;
const LIMIT = CACHE + 150 * 1024 * 1024;

const origin = await startBenchOrigin();
const edge = await startEdgeChild({ edge: { logs: { enabled: false }, cache: { maxBytes: CACHE } } }, origin.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
try {
  const baseline = edge.rss();
  const count = Math.ceil(TOTAL / OBJECT);
  let next = 0;
  let bytes = 0;
  let peakSampled = 0;
  const sampler = setInterval(() => (peakSampled = Math.max(peakSampled, edge.rss())), 100);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const r = await fetchOnce(agent, edge.port, `/obj/${OBJECT}/distinct-${i}.ts`);
        if (r.status !== 200 || r.bytes !== OBJECT) throw new Error(`bad response for object ${i}: ${r.status} ${r.bytes}`);
        bytes += r.bytes;
      }
    }),
  );
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const peak = edge.peakRss();
  const stats = await edge.stop();
  console.log(`memory: ${count} distinct ${OBJECT / 1024} KiB objects = ${mib(bytes)} MiB through an edge bounded at ${mib(CACHE)} MiB (${seconds.toFixed(1)} s)`);
  console.log(`  edge RSS at start ${mib(baseline)} MiB, peak RSS (VmHWM) ${mib(peak)} MiB, limit ${mib(LIMIT)} MiB → ${peak < LIMIT ? 'OK' : 'MISSED'}`);
  console.log(`  cache at the end: ${stats.objects} objects, ${mib(stats.cacheBytes ?? 0)} MiB charged, ${stats.evictions} evictions; origin requests ${origin.requests()}`);
  process.exitCode = peak < LIMIT ? 0 : 1;
} finally {
  agent.destroy();
  if (edge.child.exitCode === null) await edge.stop();
  await origin.close();
}
