// Flash crowd: 500 concurrent requests for one cold 500 KiB segment must make exactly one
// origin request (request collapsing). Run: npx tsx scripts/bench-edge-flash.ts
import http from 'node:http';
import { fetchOnce, startBenchOrigin, startEdgeChild } from './bench-edge-common.js';
import { helpOrArgs } from './script-args.js';

helpOrArgs(
  `Usage: npx tsx scripts/bench-edge-flash.ts
  500 concurrent cold requests for one 500 KiB object through the edge; prints how many origin requests they made (target: 1).`,
  0,
);

const VIEWERS = 500;
const SIZE = 500 * 1024;

const origin = await startBenchOrigin();
const edge = await startEdgeChild({ edge: { logs: { enabled: false } } }, origin.url);
try {
  const agent = new http.Agent({ keepAlive: true, maxSockets: VIEWERS });
  // The origin waits 200 ms before answering, so all 500 requests are in flight together.
  const path = `/obj/${SIZE}/flash-segment.ts?delay=200`;
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: VIEWERS }, () => fetchOnce(agent, edge.port, path)));
  const ms = performance.now() - t0;
  const ok = results.filter((r) => r.status === 200 && r.bytes === SIZE).length;
  console.log(`flash crowd: ${VIEWERS} concurrent cold requests for a ${SIZE / 1024} KiB object`);
  console.log(`  complete 200 responses: ${ok}/${VIEWERS} in ${ms.toFixed(0)} ms`);
  const byResult = new Map<string, number>();
  for (const r of results) byResult.set(r.xcache, (byResult.get(r.xcache) ?? 0) + 1);
  console.log(`  X-Cache: ${[...byResult].map(([k, n]) => `${n} × ${k}`).join(', ')} (Hits arrived after the object was complete)`);
  console.log(`  origin requests: ${origin.requests()}  (target: exactly 1)`);
  agent.destroy();
  process.exitCode = origin.requests() === 1 && ok === VIEWERS ? 0 : 1;
} finally {
  await edge.stop();
  await origin.close();
}
