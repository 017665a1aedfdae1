// Runs the edge alone in this process for the edge benchmarks, so figures (CPU, RSS) are its own.
// Usage: tsx scripts/bench-edge-child.ts '<json overrides for defaultConfig>' <originUrl>
// Prints `READY <port>` when listening; stops on SIGTERM/SIGINT or when stdin closes.
import { defaultConfig } from '../src/config/index.js';
import { silentLogger } from '../src/log.js';
import { startEdge } from '../src/edge/index.js';
import { exitWithUsage, helpOrArgs } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-edge-child.ts '<json overrides for defaultConfig>' <originUrl>
  The edge alone in one process, started by the edge benchmarks; prints READY <port>, stops on SIGTERM or when stdin closes.`;
const args = helpOrArgs(USAGE, 2);
let overrides: Record<string, unknown> = {};
try {
  overrides = JSON.parse(args[0] ?? '{}') as Record<string, unknown>;
} catch (err) {
  exitWithUsage(USAGE, `overrides: not JSON (${(err as Error).message})`);
}
const originUrl = args[1];
const config = defaultConfig({ host: '127.0.0.1', edgePort: 0, edgeHttpsPort: 0, ...overrides });
const edge = await startEdge({ config, log: silentLogger(), originUrl });
process.stdout.on('error', () => {}); // the parent may be gone already
process.stdout.write(`READY ${edge.port}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const s = edge.server.records.values().next().value!.stats.snapshot();
  process.stdout.write(
    `STATS ${JSON.stringify({ originRequests: edge.server.originRequests, requests: s.requests, cacheBytes: edge.server.store.bytes, objects: edge.server.store.size, evictions: edge.server.store.evictions, laneAnswered: edge.lane?.counts.answered ?? 0, laneHandedOff: edge.lane?.counts.handedOff ?? 0 })}\n`,
  );
  await edge.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
