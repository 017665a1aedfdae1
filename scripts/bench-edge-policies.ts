// What the 2020 policies cost on a cached hit: requests/s of edge hits for the same 1 KiB object
// under the 2014 settings (the baseline), a cache policy (CachingOptimized), and a cache policy plus
// an origin request policy and a response headers policy (CORS, security headers, Server-Timing on
// every answer), measured with wrk in one run, interleaved rounds, medians, ratios to the baseline.
// Run: npx tsx scripts/bench-edge-policies.ts
// Env: BENCH_SECONDS (3 per wrk run), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32), BENCH_PIN=0 (no CPU pinning).
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import http from 'node:http';
import { pinned, startBenchOrigin, startEdgeChild, type EdgeChild } from './bench-edge-common.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-edge-policies.ts
  Cached-hit requests/s under the 2014 settings, a cache policy, and cache + origin request + response headers
  policies, with wrk (needs wrk); prints each figure and its ratio to the 2014 baseline.
  Environment: BENCH_SECONDS (3 per wrk run), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32), BENCH_PIN=0 (no CPU pinning).`;
helpOrArgs(USAGE, 0);
const SECONDS = numberArg(USAGE, process.env.BENCH_SECONDS, 'BENCH_SECONDS', 3, { min: 1, max: 60 });
const ROUNDS = numberArg(USAGE, process.env.BENCH_ROUNDS, 'BENCH_ROUNDS', 3, { min: 1, max: 20, integer: true });
const CONNECTIONS = numberArg(USAGE, process.env.BENCH_CONNECTIONS, 'BENCH_CONNECTIONS', 32, { min: 1, max: 1000, integer: true });
const PIN = process.env.BENCH_PIN !== '0' && cpus().length >= 2;
const PATH = '/obj/1024/small.js?v=1';
const HEADERS = { Origin: 'https://player.example', 'Accept-Encoding': 'gzip, br' };

const responseHeaders = {
  id: 'bench-rh',
  name: 'BenchHeaders',
  corsConfig: { accessControlAllowOrigins: ['https://player.example'], accessControlAllowMethods: ['GET', 'HEAD'], originOverride: true },
  securityHeadersConfig: {
    strictTransportSecurity: { accessControlMaxAgeSec: 31536000, override: true },
    contentTypeOptions: { override: true },
    frameOptions: { frameOption: 'DENY', override: true },
  },
  customHeadersConfig: { items: [{ header: 'X-Edge', value: 'streamfront', override: true }] },
  serverTimingHeadersConfig: { enabled: true, samplingRate: 100 },
};
const CONFIGS: { name: string; edge: Record<string, unknown> }[] = [
  { name: '2014 settings (baseline)', edge: { distributions: [{ behaviors: [] }] } },
  {
    name: 'cache policy CachingOptimized',
    edge: { distributions: [{ behaviors: [], defaultBehavior: { cachePolicyId: 'CachingOptimized' } }] },
  },
  {
    name: 'CachingOptimized + AllViewer + response headers policy',
    edge: {
      responseHeadersPolicies: [responseHeaders],
      distributions: [
        {
          behaviors: [],
          defaultBehavior: { cachePolicyId: 'CachingOptimized', originRequestPolicyId: 'AllViewer', responseHeadersPolicyId: 'bench-rh' },
        },
      ],
    },
  },
];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One GET with wrk's headers; resolves with X-Cache. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: PATH, headers: HEADERS, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['x-cache'])));
      })
      .on('error', reject);
  });
}

function wrk(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const headerArgs = Object.entries(HEADERS).flatMap(([n, v]) => ['-H', `${n}: ${v}`]);
    const [cmd, args] = pinned(PIN ? 0 : undefined, 'wrk', [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${SECONDS}s`,
      ...headerArgs,
      `http://127.0.0.1:${port}${PATH}`,
    ]);
    const p = spawn(cmd, args);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('exit', () => {
      if (/Non-2xx/.test(out)) console.log(`  warning: wrk saw non-2xx responses on port ${port}`);
      resolve(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN));
    });
  });
}

const origin = await startBenchOrigin();
const edges: EdgeChild[] = [];
try {
  for (const c of CONFIGS)
    edges.push(await startEdgeChild({ edge: { logs: { enabled: false }, ...c.edge } }, origin.url, [], PIN ? 1 : undefined));
  // Warm each edge with wrk's own headers: the object is cached, so every measured request is a hit.
  for (const e of edges) {
    await get(e.port);
    const hit = await get(e.port);
    if (hit !== 'Hit from cloudfront') throw new Error(`warm-up did not give a hit on ${e.port}: ${hit}`);
  }
  const rps: number[][] = CONFIGS.map(() => []);
  for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < edges.length; i++) rps[i]!.push(await wrk(edges[i]!.port));
  console.log(
    `edge hits of a 1 KiB object, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds` +
      (PIN ? ', wrk on CPU 0, edge on CPU 1' : ', no CPU pinning'),
  );
  const base = median(rps[0]!);
  CONFIGS.forEach((c, i) => {
    const m = median(rps[i]!);
    console.log(`  ${c.name.padEnd(56)} ${m.toFixed(0).padStart(7)} req/s   ${(m / base).toFixed(3)} × baseline`);
  });
  // Every measured request was a hit: one origin request per edge (the warm-up's miss).
  for (const e of edges.splice(0)) {
    const s = await e.stop();
    if (s.originRequests !== 1) console.log(`  warning: an edge made ${s.originRequests} origin requests (expected 1)`);
  }
} finally {
  for (const e of edges) await e.stop();
  await origin.close();
}
