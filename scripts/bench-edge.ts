// Cached-hit throughput of the edge against nginx proxy_cache, same origin, same objects,
// same load generator (wrk), in one run. Then p99 latency of edge hits at half the edge's peak rate.
// Run: npx tsx scripts/bench-edge.ts   (or scripts/bench-edge)
// Env: BENCH_SECONDS (default 4 per wrk run), BENCH_ROUNDS (5), BENCH_CONNECTIONS (default 32), BENCH_LOGS=0 to turn both
// servers' access logs off (by default both log to files: the edge its gzip access logs, nginx buffered).
// The figures are medians of interleaved rounds: on a shared machine a median resists one round
// that other work slowed down, and interleaving makes slow periods hit both servers alike.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fetchOnce, pinned, startBenchOrigin, startEdgeChild } from './bench-edge-common.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-edge.ts   (or scripts/bench-edge for all edge benchmarks)
  Cached-hit throughput of the edge vs nginx proxy_cache with wrk (needs nginx wrk), then p99 at half load.
  Environment: BENCH_SECONDS (4 per wrk run), BENCH_ROUNDS (5), BENCH_CONNECTIONS (32),
  BENCH_LOGS=0 (both servers' access logs off; on by default), BENCH_PIN=0 (do not pin wrk and the server to separate CPUs).`;
helpOrArgs(USAGE, 0);
const SECONDS = numberArg(USAGE, process.env.BENCH_SECONDS, 'BENCH_SECONDS', 4, { min: 1, max: 600 });
const CONNECTIONS = numberArg(USAGE, process.env.BENCH_CONNECTIONS, 'BENCH_CONNECTIONS', 32, { min: 1, max: 10_000, integer: true });
const LOGS = process.env.BENCH_LOGS !== '0';
const ROUNDS = numberArg(USAGE, process.env.BENCH_ROUNDS, 'BENCH_ROUNDS', 5, { min: 1, max: 100, integer: true });
// With 2+ cores, wrk is pinned to CPU 0 and the server under test (edge or nginx, one process each)
// to CPU 1, so both servers get the same single core and the load generator never steals it.
const PIN = process.env.BENCH_PIN !== '0' && cpus().length >= 2;
const SERVER_CPU = PIN ? 1 : undefined;
const CLIENT_CPU = PIN ? 0 : undefined;
const NGINX = '/usr/sbin/nginx';
const OBJECTS = [
  { name: '1 KiB object', path: '/obj/1024/small.js', target: 0.85 },
  { name: '500 KiB segment', path: '/obj/512000/segment.ts', target: 1.0 },
];

/** The 1, 5 and 15 minute load averages, as uptime prints them. */
function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/** Median of a non-empty list (the mean of the middle two for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU seconds (user + system, all threads) each process has used so far, from /proc/<pid>/stat; a process gone is left out. */
function cpuSeconds(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // e.g. nginx's cache loader, which exits once it has loaded the cache
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on (the name may hold spaces)
    out.set(pid, (Number(f[11]) + Number(f[12])) / CLOCK_TICKS); // utime, stime (fields 14 and 15)
  }
  return out;
}

/** CPU seconds used between two cpuSeconds() readings, by the processes present in both. */
function cpuUsed(before: Map<number, number>, after: Map<number, number>): number {
  let s = 0;
  for (const [pid, t] of after) if (before.has(pid)) s += t - before.get(pid)!;
  return s;
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Moves a process to a CPU list; one that has exited meanwhile (nginx's cache loader) is skipped. */
function retask(pid: string, cpuList: string): void {
  try {
    execFileSync('taskset', ['-p', '-c', cpuList, pid], { stdio: 'ignore' });
  } catch {
    // gone
  }
}

/**
 * The platform's own ceiling, as a control: a bare node:http server in its own process answering
 * `/obj/<bytes>/…` from one buffer in memory, no cache, no rules, no logs. It shows how much of
 * the gap to nginx is the edge's work and how much is Node's HTTP stack.
 */
async function startBareNode(): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const code = `
const http = require('node:http');
const big = Buffer.alloc(1024 * 1024, 0x61);
const s = http.createServer((req, res) => {
  const n = Number(/^\\/obj\\/(\\d+)\\//.exec(req.url)?.[1] ?? 0);
  res.writeHead(200, ['Content-Type', 'application/octet-stream', 'Content-Length', String(n), 'Cache-Control', 'max-age=3600', 'X-Cache', 'HIT']);
  res.end(big.subarray(0, n));
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write('READY ' + s.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();`;
  const [cmd, args] = pinned(SERVER_CPU, process.execPath, ['-e', code]);
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`bare node server exited early (${c})`)));
  });
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Runs wrk asynchronously (the event loop must stay free) and returns requests/s and latency percentiles. */
function wrk(
  url: string,
  seconds: number,
  connections: number,
  script?: string,
  pin = true,
): Promise<{ rps: number; p50: string; p99: string; out: string }> {
  return new Promise((resolve, reject) => {
    const [cmd, args] = pinned(pin ? CLIENT_CPU : undefined, 'wrk', [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      ...(script ? ['-s', script] : []),
      url,
    ]);
    const p = spawn(cmd, args);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('exit', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
      const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?';
      const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?';
      if (/Non-2xx/.test(out)) console.log(`  warning: wrk saw non-2xx responses for ${url}`);
      resolve({ rps, p50, p99, out });
    });
  });
}

/** Parses wrk's --latency percentile ("1.23ms", "800.00us", "1.2s") to milliseconds. */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/**
 * p99 of hits at a target rate: wrk paced by a Lua `delay()` (each of C connections waits D ms
 * between its requests, so the offered rate is about C·1000/(D + latency)). wrk measures each
 * request from when it is sent; at half load there is no queue for it to hide.
 */
async function pacedP99(
  url: string,
  rate: number,
  seconds: number,
  dir: string,
  pin: boolean,
): Promise<{ rps: number; p50: number; p99: number; connections: number; delay: number }> {
  const delay = 4; // ms between a connection's response and its next request
  const connections = Math.max(1, Math.round((rate * (delay + 0.7)) / 1000)); // ~0.7 ms per request plus timer slack
  const script = join(dir, 'paced.lua');
  writeFileSync(script, `function delay()\n  return ${delay}\nend\n`);
  const r = await wrk(url, seconds, connections, script, pin);
  return { rps: r.rps, p50: ms(r.p50), p99: ms(r.p99), connections, delay };
}

/**
 * nginx proxy_cache, 1 worker. The measured configuration is `sendfile on` with a buffered plain
 * access log. The controls change one thing each: `sendfile off` (nginx then reads the cached
 * file into its buffer and writes it, as Node writes a body from memory: how much of the 500 KiB
 * gap is zero-copy), and `gzip=1` on the access log (the same compression work as the edge's
 * gzip access logs).
 */
async function startNginx(
  originPort: number,
  opts: { sendfile: boolean; gzipLog: boolean },
): Promise<{ port: number; stop: () => Promise<void>; prefix: string }> {
  const prefix = mkdtempSync(join(tmpdir(), 'streamfront-bench-nginx-'));
  mkdirSync(join(prefix, 'cache'));
  mkdirSync(join(prefix, 'logs'));
  const port = await freePort();
  // As root, nginx would drop its worker to `nobody`, which cannot write this private temp prefix.
  const user = process.getuid?.() === 0 ? 'user root root;' : '';
  const conf = `
${user}
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  ${LOGS ? `access_log ${prefix}/logs/access.log${opts.gzipLog ? '.gz' : ''} combined buffer=64k${opts.gzipLog ? ' gzip=1' : ''} flush=5s;` : 'access_log off;'}
  sendfile ${opts.sendfile ? 'on' : 'off'};
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy_temp;
  fastcgi_temp_path ${prefix}/fastcgi_temp;
  uwsgi_temp_path ${prefix}/uwsgi_temp;
  scgi_temp_path ${prefix}/scgi_temp;
  proxy_cache_path ${prefix}/cache levels=1:2 keys_zone=edge:10m max_size=1g inactive=60m use_temp_path=off;
  upstream origin { server 127.0.0.1:${originPort}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache edge;
      proxy_cache_valid 200 1h;
      add_header X-Cache $upstream_cache_status;
    }
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const [cmd, args] = pinned(SERVER_CPU, NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs', 'error.log')]);
  const child = spawn(cmd, args, { stdio: 'inherit' });
  // Wait until it accepts connections.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    prefix,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGQUIT'); // the master, by PID; it stops its worker
      }),
  };
}

execFileSync(NGINX, ['-v'], { stdio: 'ignore' });
const origin = await startBenchOrigin();
const logDir = mkdtempSync(join(tmpdir(), 'streamfront-bench-edge-logs-'));
const edge = await startEdgeChild(
  { edge: { logs: LOGS ? { enabled: true, dir: logDir } : { enabled: false } } },
  origin.url,
  [],
  SERVER_CPU,
);
// Control: the same edge with the hit lane off (edge.hitLane: false), every hit through node:http and the pipeline.
const noLaneLogDir = mkdtempSync(join(tmpdir(), 'streamfront-bench-edge-logs-'));
const edgeNoLane = await startEdgeChild(
  { edge: { hitLane: false, logs: LOGS ? { enabled: true, dir: noLaneLogDir } : { enabled: false } } },
  origin.url,
  [],
  SERVER_CPU,
);
const nginx = await startNginx(origin.port, { sendfile: true, gzipLog: false });
const nginxNoSendfile = await startNginx(origin.port, { sendfile: false, gzipLog: false });
const nginxGzipLog = await startNginx(origin.port, { sendfile: true, gzipLog: true });
const bare = await startBareNode();
const agent = new http.Agent({ keepAlive: true });
const masterPidOf = (n: { prefix: string }) => Number(readFileSync(join(n.prefix, 'nginx.pid'), 'utf8'));
const workerPidsOf = (n: { prefix: string }) =>
  execFileSync('pgrep', ['-P', String(masterPidOf(n))])
    .toString()
    .trim()
    .split(/\s+/)
    .map(Number);
const nginxMasterPid = () => masterPidOf(nginx);
const nginxWorkerPids = () => workerPidsOf(nginx);
const rows: string[] = [];
let failed = false;
try {
  console.log(
    `edge pid ${edge.pid} on :${edge.port}, nginx (1 worker, proxy_cache) on :${nginx.port} (controls: sendfile off :${nginxNoSendfile.port}, gzip=1 access log :${nginxGzipLog.port}), origin on :${origin.port}`,
  );
  console.log(`load average at the start: ${loadAverage()} (${cpus().length} CPUs; other work on the machine slows both servers alike)`);
  console.log(
    `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds, access logs ${LOGS ? 'on (both)' : 'off (both)'}; ` +
      (PIN ? 'wrk pinned to CPU 0, edge / nginx worker pinned to CPU 1' : 'no CPU pinning'),
  );
  for (const o of OBJECTS) {
    // Warm both caches and check that the next request is a hit.
    for (const port of [edge.port, edgeNoLane.port, nginx.port, nginxNoSendfile.port, nginxGzipLog.port]) {
      await fetchOnce(agent, port, o.path);
      const r = await fetchOnce(agent, port, o.path);
      if (!/^(Hit from cloudfront|HIT)$/.test(r.xcache)) throw new Error(`not a hit on :${port}: ${r.xcache}`);
    }
    // Warm-up (JIT, TCP autotuning), then interleave nginx, edge, nginx, edge, …; the median of
    // the rounds for each, so load from other work on a shared box hits both alike. The ratio is
    // also taken per round (each edge round against the nginx round just before it) and its
    // median printed: the pairing cancels slow periods that span one round pair.
    await wrk(`http://127.0.0.1:${edge.port}${o.path}`, 2, CONNECTIONS);
    await wrk(`http://127.0.0.1:${nginx.port}${o.path}`, 2, CONNECTIONS);
    await wrk(`http://127.0.0.1:${bare.port}${o.path}`, 2, CONNECTIONS);
    await wrk(`http://127.0.0.1:${edgeNoLane.port}${o.path}`, 2, CONNECTIONS);
    await wrk(`http://127.0.0.1:${nginxNoSendfile.port}${o.path}`, 2, CONNECTIONS);
    await wrk(`http://127.0.0.1:${nginxGzipLog.port}${o.path}`, 2, CONNECTIONS);
    const e: number[] = [];
    const nsf: number[] = [];
    const nsfEff: number[] = [];
    const ngz: number[] = [];
    const ngzEff: number[] = [];
    const nl: number[] = [];
    const nlEff: number[] = [];
    const n: number[] = [];
    const b: number[] = [];
    const bEff: number[] = [];
    const pairs: number[] = [];
    // Requests per CPU-second of the server under test (its own user + system time, the kernel's
    // socket work on its behalf included): what one hit costs, which other work on a shared box
    // cannot inflate the way it inflates wall-clock req/s.
    const eEff: number[] = [];
    const nEff: number[] = [];
    const measured = async (port: number, pidsOf: () => number[], eff: number[]) => {
      const pids = pidsOf();
      const c0 = cpuSeconds(pids);
      const r = await wrk(`http://127.0.0.1:${port}${o.path}`, SECONDS, CONNECTIONS);
      const cpu = cpuUsed(c0, cpuSeconds(pids));
      eff.push(cpu > 0 ? (r.rps * SECONDS) / cpu : NaN);
      return r;
    };
    let eLat = { p50: '', p99: '' };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which server goes first, so neither always runs right after the other's load.
      const first = round % 2 === 0 ? 'nginx' : 'edge';
      const runNginx = () => measured(nginx.port, () => [nginxMasterPid(), ...nginxWorkerPids()], nEff);
      const runEdge = () => measured(edge.port, () => [edge.pid], eEff);
      const x = await (first === 'nginx' ? runNginx() : runEdge());
      const y = await (first === 'nginx' ? runEdge() : runNginx());
      const [nr, er] = first === 'nginx' ? [x, y] : [y, x];
      b.push((await measured(bare.port, () => [bare.pid], bEff)).rps);
      nl.push((await measured(edgeNoLane.port, () => [edgeNoLane.pid], nlEff)).rps);
      nsf.push((await measured(nginxNoSendfile.port, () => [masterPidOf(nginxNoSendfile), ...workerPidsOf(nginxNoSendfile)], nsfEff)).rps);
      ngz.push((await measured(nginxGzipLog.port, () => [masterPidOf(nginxGzipLog), ...workerPidsOf(nginxGzipLog)], ngzEff)).rps);
      n.push(nr.rps);
      e.push(er.rps);
      pairs.push(er.rps / nr.rps);
      eLat = er;
    }
    const edgeRps = median(e);
    const nginxRps = median(n);
    const ratio = edgeRps / nginxRps;
    const pairRatio = median(pairs);
    const ok = ratio >= o.target;
    failed ||= !ok;
    console.log(`\n${o.name} (${o.path})`);
    console.log(`  nginx proxy_cache: ${nginxRps.toFixed(0)} req/s   (runs: ${n.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(
      `  streamfront edge : ${edgeRps.toFixed(0)} req/s   (runs: ${e.map((x) => x.toFixed(0)).join(', ')}; wrk latency at saturation p50 ${eLat.p50}, p99 ${eLat.p99})`,
    );
    console.log(
      `  ratio edge/nginx : ${ratio.toFixed(2)}  (target ≥ ${o.target}) ${ok ? 'OK' : 'MISSED'}   (median of per-round ratios ${pairRatio.toFixed(2)}: ${pairs.map((x) => x.toFixed(2)).join(', ')})`,
    );
    console.log(
      `  bare node:http   : ${median(b).toFixed(0)} req/s   (control: the platform's ceiling; runs: ${b.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `  edge, lane off   : ${median(nl).toFixed(0)} req/s   (control: edge.hitLane false; runs: ${nl.map((x) => x.toFixed(0)).join(', ')}; per CPU-second ${median(nlEff).toFixed(0)} req, lane on/off ${(median(eEff) / median(nlEff)).toFixed(2)})`,
    );
    const nsfWall = edgeRps / median(nsf);
    const nsfCpu = median(eEff) / median(nsfEff);
    console.log(
      `  nginx sendfile off: ${median(nsf).toFixed(0)} req/s   (control: no zero-copy from the cache file; runs: ${nsf.map((x) => x.toFixed(0)).join(', ')}; per CPU-second ${median(nsfEff).toFixed(0)} req; edge/this: wall ${nsfWall.toFixed(2)}, per CPU ${nsfCpu.toFixed(2)})`,
    );
    console.log(
      `  nginx gzip=1 log : ${median(ngz).toFixed(0)} req/s   (info: access log gzip-compressed, as the edge's; runs: ${ngz.map((x) => x.toFixed(0)).join(', ')}; per CPU-second ${median(ngzEff).toFixed(0)} req; edge/this: wall ${(edgeRps / median(ngz)).toFixed(2)}, per CPU ${(median(eEff) / median(ngzEff)).toFixed(2)})`,
    );
    const effRatio = median(eEff) / median(nEff);
    console.log(
      `  per CPU-second   : nginx ${median(nEff).toFixed(0)} req, edge ${median(eEff).toFixed(0)} req; ratio edge/nginx ${effRatio.toFixed(2)}   (edge runs: ${eEff.map((x) => x.toFixed(0)).join(', ')}; nginx runs: ${nEff.map((x) => x.toFixed(0)).join(', ')}; bare node:http ${median(bEff).toFixed(0)} req, ratio edge/bare ${(median(eEff) / median(bEff)).toFixed(2)})`,
    );
    // p99 at half the edge's peak rate. Pinning is lifted for this phase (edge threads may use any
    // CPU, wrk too): with other work on the box, a server held to one core waits on the scheduler,
    // which would measure the box, not the edge.
    const half = Math.floor(edgeRps / 2);
    if (PIN) execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(edge.pid)], { stdio: 'ignore' });
    const load = await pacedP99(`http://127.0.0.1:${edge.port}${o.path}`, half, SECONDS, nginx.prefix, false);
    if (PIN) execFileSync('taskset', ['-a', '-p', '-c', String(SERVER_CPU), String(edge.pid)], { stdio: 'ignore' });
    // Control: nginx under the same pacing (also unpinned) shows what the box itself adds to the tail.
    const nginxPid = nginxMasterPid();
    const nginxWorkers = nginxWorkerPids().map(String);
    if (PIN) for (const pid of [String(nginxPid), ...nginxWorkers]) retask(pid, `0-${cpus().length - 1}`);
    const control = await pacedP99(`http://127.0.0.1:${nginx.port}${o.path}`, half, SECONDS, nginx.prefix, false);
    if (PIN) for (const pid of [String(nginxPid), ...nginxWorkers]) retask(pid, String(SERVER_CPU));
    const p99ok = load.p99 < 10;
    failed ||= !p99ok;
    console.log(
      `  edge hits paced at ~${half} req/s (half of peak; wrk ${load.connections} connections, ${load.delay} ms Lua delay; achieved ${load.rps.toFixed(0)} req/s): p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms  (target p99 < 10 ms) ${p99ok ? 'OK' : 'MISSED'}`,
    );
    console.log(
      `  control: nginx hits under the same pacing (achieved ${control.rps.toFixed(0)} req/s): p50 ${control.p50.toFixed(2)} ms, p99 ${control.p99.toFixed(2)} ms`,
    );
    rows.push(
      `${o.name}: nginx ${nginxRps.toFixed(0)}/s, edge ${edgeRps.toFixed(0)}/s, ratio ${ratio.toFixed(2)} (per CPU-second ${effRatio.toFixed(2)}; against nginx sendfile off ${nsfWall.toFixed(2)} / per CPU ${nsfCpu.toFixed(2)}); hits p99 ${load.p99.toFixed(2)} ms at ${load.rps.toFixed(0)}/s (nginx same pacing: ${control.p99.toFixed(2)} ms)`,
    );
  }
  console.log(`\nsummary\n  ${rows.join('\n  ')}`);
  console.log(`load average at the end: ${loadAverage()}`);
} finally {
  agent.destroy();
  const s = await edge.stop();
  await edgeNoLane.stop();
  await nginx.stop();
  await nginxNoSendfile.stop();
  await nginxGzipLog.stop();
  await bare.stop();
  await origin.close();
  console.log(`edge origin requests during the run: ${s.originRequests} (all others were hits)`);
  console.log(`edge hit lane: ${JSON.stringify({ answered: s.laneAnswered, handedOff: s.laneHandedOff })}`);
  if (!process.env.BENCH_KEEP) for (const n of [nginx, nginxNoSendfile, nginxGzipLog]) rmSync(n.prefix, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
  rmSync(noLaneLogDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
