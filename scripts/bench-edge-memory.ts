// Memory bound of the edge cache: for each mix of objects, a fresh edge (alone in a child process,
// cache bounded at MEM_CACHE_MIB) is sent distinct objects worth several times its bound, and its
// peak RSS (VmHWM) is checked against RSS <= 1.25 x maxBytes + 150 MiB.
// Mixes: tiny cached 400s under 6,000-character URLs, 1 KiB objects, 500 KiB segments, and all
// three interleaved. Each mix stops at MEM_SECONDS (the machine is shared) and says how far it got.
// Run: npx tsx scripts/bench-edge-memory.ts [--help]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchOnce, mib, startEdgeChild } from './bench-edge-common.js';
import { exitWithUsage, helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-edge-memory.ts
  Prints, per object mix, the edge's peak RSS against 1.25 x maxBytes + 150 MiB (exit 1 if any mix misses).
  Environment: MEM_CACHE_MIB (256, edge.cache.maxBytes), MEM_FILL (3: bytes sent per mix as a multiple
  of the bound), MEM_SECONDS (60 per mix), MEM_MIXES (errors,small,segments,mixed), MEM_MAX_OBJECTS
  (edge.cache.maxObjects; default out of the way, so the byte accounting is what is measured).`;
helpOrArgs(USAGE, 0);
const CACHE = numberArg(USAGE, process.env.MEM_CACHE_MIB, 'MEM_CACHE_MIB', 256, { min: 16, max: 64 * 1024 }) * 1024 * 1024;
const FILL = numberArg(USAGE, process.env.MEM_FILL, 'MEM_FILL', 3, { min: 0.1, max: 100 });
const SECONDS = numberArg(USAGE, process.env.MEM_SECONDS, 'MEM_SECONDS', 60, { min: 1, max: 3600 });
const MIXES = (process.env.MEM_MIXES || 'errors,small,segments,mixed').split(',');
const MAX_OBJECTS = numberArg(USAGE, process.env.MEM_MAX_OBJECTS, 'MEM_MAX_OBJECTS', 100_000_000, { min: 1, max: 1e12, integer: true });
const CONCURRENCY = 16;
const LIMIT = 1.25 * CACHE + 150 * 1024 * 1024;
const LONG = 'k'.repeat(6000);

interface Kind {
  name: string;
  /** A distinct path for object i. */
  path(i: number): string;
  status: number;
  /** Cost estimate used only to decide how many requests fill the bound FILL times. */
  estimate: number;
}
const KINDS: Record<string, Kind> = {
  errors: { name: 'tiny 400s, 6,000-char keys', path: (i) => `/err/400/${LONG}/${i}`, status: 400, estimate: 8 * 1024 },
  small: { name: '1 KiB objects', path: (i) => `/obj/1024/small-${i}`, status: 200, estimate: 3 * 1024 },
  segments: { name: '500 KiB segments', path: (i) => `/obj/${500 * 1024}/seg-${i}.ts`, status: 200, estimate: 500 * 1024 },
};

/** Origin: `/obj/<bytes>/…` answers that many bytes (max-age 3600); `/err/<status>/…` a tiny error page. */
async function startOrigin(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  const big = Buffer.alloc(1024 * 1024, 0x61);
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    const url = req.url ?? '';
    const obj = /^\/obj\/(\d+)\//.exec(url);
    if (obj) {
      const size = Number(obj[1]);
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size),
        'Cache-Control': 'max-age=3600',
        ETag: '"bench"',
      });
      return void res.end(big.subarray(0, size));
    }
    const err = /^\/err\/(\d{3})\//.exec(url);
    const body = '<html><body>Bad Request</body></html>';
    // ERR-02: the 400 is cached for the error caching minimum TTL (300 s by default).
    res.writeHead(err ? Number(err[1]) : 404, { 'Content-Type': 'text/html', 'Content-Length': String(body.length) });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function runMix(mix: string, originUrl: string): Promise<boolean> {
  const kinds = mix === 'mixed' ? [KINDS.errors!, KINDS.small!, KINDS.segments!] : [KINDS[mix]!];
  // Mixed: per 100 requests, 60 error objects, 39 small ones and 1 segment (about a third of the bytes each way).
  const kindOf = (i: number): Kind => (kinds.length === 1 ? kinds[0]! : i % 100 === 0 ? kinds[2]! : i % 100 < 61 ? kinds[0]! : kinds[1]!);
  const perRequest =
    mix === 'mixed' ? (60 * KINDS.errors!.estimate + 39 * KINDS.small!.estimate + KINDS.segments!.estimate) / 100 : kinds[0]!.estimate;
  const count = Math.ceil((FILL * CACHE) / perRequest);
  const edge = await startEdgeChild({ edge: { logs: { enabled: false }, cache: { maxBytes: CACHE, maxObjects: MAX_OBJECTS } } }, originUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const baseline = edge.rss();
    let next = 0;
    let done = 0;
    let bytes = 0;
    const t0 = performance.now();
    const deadline = t0 + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count && performance.now() < deadline) {
          const i = next++;
          const kind = kindOf(i);
          const r = await fetchOnce(agent, edge.port, kind.path(i));
          if (r.status !== kind.status) throw new Error(`${kind.name}: object ${i} answered ${r.status}`);
          bytes += r.bytes;
          done++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const peak = edge.peakRss();
    const stats = await edge.stop();
    const charged = stats.cacheBytes ?? 0;
    const ok = peak <= LIMIT;
    console.log(
      `${mix}: ${done}/${count} requests (${kinds.map((k) => k.name).join(' + ')}), ${mib(bytes)} MiB of bodies, ${seconds.toFixed(1)} s${done < count ? ' (time limit)' : ''}`,
    );
    console.log(
      `  RSS at start ${mib(baseline)} MiB, peak ${mib(peak)} MiB; bound 1.25 x ${mib(CACHE)} + 150 = ${mib(LIMIT)} MiB → ${ok ? 'OK' : 'MISSED'}`,
    );
    console.log(
      `  cache at the end: ${stats.objects} objects, ${mib(charged)} MiB charged (${stats.objects ? Math.round(charged / stats.objects) : 0} B each), ${stats.evictions} evictions`,
    );
    return ok;
  } finally {
    agent.destroy();
    if (edge.child.exitCode === null) await edge.stop();
  }
}

for (const mix of MIXES) if (mix !== 'mixed' && !KINDS[mix]) exitWithUsage(USAGE, `MEM_MIXES: unknown mix "${mix}"`);
const origin = await startOrigin();
let allOk = true;
try {
  for (const mix of MIXES) {
    allOk = (await runMix(mix, origin.url)) && allOk;
  }
} finally {
  await origin.close();
}
process.exitCode = allOk ? 0 : 1;
