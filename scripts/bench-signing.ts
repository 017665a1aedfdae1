// What signing costs a cached hit. (1) verifySignedRequest per call for one player's signed
// cookies (custom policy, RSA-2048), without and with the memory of verified signatures.
// (2) Cached-hit throughput through an edge, with wrk: the same 1 KiB object on a public behaviour
// (the baseline) and on a behaviour trusting a key group, requested with getSignedCookies cookies,
// interleaved rounds in one run, median of each.
// Run: npx tsx scripts/bench-signing.ts
// Env: BENCH_SECONDS (3 per wrk run), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32), BENCH_CALLS (2000 verify calls).
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { defaultConfig } from '../src/config/index.js';
import { startEdge } from '../src/edge/index.js';
import { presentedCredentials } from '../src/edge/signing/credentials.js';
import { signingKeysOf } from '../src/edge/signing/keys.js';
import { verifySignedRequest } from '../src/edge/signing/verify.js';
import { silentLogger } from '../src/log.js';
import { fetchOnce, startBenchOrigin } from './bench-edge-common.js';
import { helpOrArgs, numberArg } from './script-args.js';
import http from 'node:http';

const USAGE = `Usage: npx tsx scripts/bench-signing.ts
  Cost of signed cookies: verify calls without and with the verified-signature memory, then edge
  hit throughput (wrk) for a signed-cookie behaviour against a public one. Needs wrk.
  Environment: BENCH_SECONDS (3 per wrk run), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32), BENCH_CALLS (2000).`;
helpOrArgs(USAGE, 0);
const SECONDS = numberArg(USAGE, process.env.BENCH_SECONDS, 'BENCH_SECONDS', 3, { min: 1, max: 60 });
const ROUNDS = numberArg(USAGE, process.env.BENCH_ROUNDS, 'BENCH_ROUNDS', 3, { min: 1, max: 20, integer: true });
const CONNECTIONS = numberArg(USAGE, process.env.BENCH_CONNECTIONS, 'BENCH_CONNECTIONS', 32, { min: 1, max: 1000, integer: true });
const CALLS = numberArg(USAGE, process.env.BENCH_CALLS, 'BENCH_CALLS', 2000, { min: 10, max: 1_000_000, integer: true });

const pair = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const KEY_ID = 'K2BENCH';
const signingCfg = { publicKeys: [{ id: KEY_ID, encodedKey: pair.publicKey }], keyGroups: [{ id: 'players', items: [KEY_ID] }] };
const cookiesFor = (resource: string): string =>
  Object.entries(
    getSignedCookies({
      keyPairId: KEY_ID,
      privateKey: pair.privateKey,
      policy: JSON.stringify({
        Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 3600 } } }],
      }),
    }) as unknown as Record<string, string>,
  )
    .map(([n, v]) => `${n}=${v}`)
    .join('; ');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function verifyCost(capacity: number): number {
  const keys = signingKeysOf({ keyPairs: [], ...signingCfg }, capacity);
  const resource = 'http://d111111abcdef8.cloudfront.net/live/talk/seg1.ts';
  const creds = presentedCredentials([], cookiesFor('http://d111111abcdef8.cloudfront.net/live/talk/*'));
  if (!creds.ok) throw new Error(creds.reason);
  const input = {
    credentials: creds.value,
    resources: [resource],
    viewerIp: '192.0.2.7',
    now: Math.floor(Date.now() / 1000),
    trust: { trustedSigners: [], trustedKeyGroups: ['players'] },
    keys,
  };
  if (!verifySignedRequest(input).ok) throw new Error('bench cookies do not verify');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) verifySignedRequest(input);
  return Number(process.hrtime.bigint() - t0) / 1000 / CALLS;
}

function wrk(url: string, cookie: string | undefined): Promise<number> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, ...(cookie ? ['-H', `Cookie: ${cookie}`] : []), url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (SECONDS + 30) * 1000 }, (err, out) => {
      if (err) return reject(err);
      if (/Non-2xx/.test(out)) return reject(new Error(`wrk saw non-2xx responses for ${url}:\n${out}`));
      resolve(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN));
    });
  });
}

async function main(): Promise<void> {
  const cold = verifyCost(0);
  const warm = verifyCost(1024);
  console.log(`verifySignedRequest, one player's custom-policy cookies, ${CALLS} calls:`);
  console.log(`  every call verified (memory off): ${cold.toFixed(1)} µs/call`);
  console.log(`  verified once, then remembered:   ${warm.toFixed(1)} µs/call  (${(cold / warm).toFixed(1)}× less)`);

  const work = mkdtempSync(join(tmpdir(), 'bench-signing-'));
  const origin = await startBenchOrigin();
  const config = defaultConfig({
    host: '127.0.0.1',
    edgePort: 0,
    edgeHttpsPort: 0,
    dataDir: work,
    logLevel: 'silent',
    edge: {
      logs: { enabled: false },
      ...signingCfg,
      distributions: [{ behaviors: [{ pathPattern: '/obj/1024/signed/*', trustedKeyGroups: ['players'] }] }],
    },
  });
  const edge = await startEdge({ config, log: silentLogger(), originUrl: origin.url });
  try {
    const base = `http://127.0.0.1:${edge.port}`;
    const publicUrl = `${base}/obj/1024/public/a.bin`;
    const signedUrl = `${base}/obj/1024/signed/a.bin`;
    const cookie = cookiesFor(`${base}/obj/1024/signed/*`);
    const agent = new http.Agent({ keepAlive: false });
    await fetchOnce(agent, edge.port, '/obj/1024/public/a.bin');
    const probe = await new Promise<number>((resolve, reject) =>
      http.get(signedUrl, { headers: { cookie } }, (r) => (r.resume(), resolve(r.statusCode!))).on('error', reject),
    );
    if (probe !== 200) throw new Error(`signed request answered ${probe}`);
    const pub: number[] = [];
    const signed: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      pub.push(await wrk(publicUrl, undefined));
      signed.push(await wrk(signedUrl, cookie));
    }
    const p = median(pub);
    const s = median(signed);
    console.log(`edge cached hits, 1 KiB, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds:`);
    console.log(`  public behaviour (baseline):        ${p.toFixed(0)} req/s`);
    console.log(`  signed cookies (key group):         ${s.toFixed(0)} req/s  (${((s / p) * 100).toFixed(0)}% of the baseline)`);
    console.log(`  origin requests: ${origin.requests()} (2 expected: one per object)`);
  } finally {
    await edge.close();
    await origin.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
