// What an access-log line costs the edge, piece by piece, on lines like a busy edge writes (hits of
// a few live streams' segments and playlists, several players' User-Agents, random request IDs):
//   1. formatting: formatLogLine from the log stage's full record against the hit lane's line
//      (template + per-hit facts, hit-lane/log-line.ts), µs per line;
//   2. compression: bytes out, ratio and CPU µs per line of zlib settings (gzipSync: one thread,
//      exact CPU), the chosen GZIP_OPTIONS among them, with a check that each output gunzips to the input;
//   3. the writer's stream: CPU per line (all threads) of feeding createGzip byte chunks of 64 and
//      256 KiB into a file, as AccessLogWriter does, with a zcat check of the file; and the same
//      stream with its output discarded, which sets the stream's own cost apart from the file's.
// Run: npx tsx scripts/bench-access-log.ts   Env: LOG_LINES (default 100000), LOG_REPEATS (3; the best run counts).
import { createGzip, constants, gunzipSync, gzipSync, type ZlibOptions } from 'node:zlib';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatLogLine, GZIP_OPTIONS, type AccessLogRecord } from '../src/edge/access-log.js';
import { HitLine, hitLineTemplate, type HitLineTemplate } from '../src/edge/hit-lane/log-line.js';
import { newRequestId } from '../src/edge/request-id.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-access-log.ts
  CPU per access-log line: formatting (full record vs the hit lane's template), zlib settings
  (bytes, ratio, µs per line), and the gzip stream's chunk size. Needs nothing but Node (zcat if present).
  Environment: LOG_LINES (100000), LOG_REPEATS (3).`;
helpOrArgs(USAGE, 0);
const LINES = numberArg(USAGE, process.env.LOG_LINES, 'LOG_LINES', 100_000, { min: 1000, max: 5_000_000, integer: true });
const REPEATS = numberArg(USAGE, process.env.LOG_REPEATS, 'LOG_REPEATS', 3, { min: 1, max: 50, integer: true });

const UAS = [
  undefined,
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)',
  'ExoPlayerLib/2.19.1',
];
const REFERERS = [undefined, 'https://player.example.com/watch?v=live1', 'https://www.example.org/'];

/** The i-th request of the synthetic traffic: which object, which viewer. */
function traffic(i: number) {
  const stream = `live${i % 4}`;
  const segment = Math.floor(i / 400);
  const playlist = i % 5 === 0;
  const viewer = (i * 7919) % 211;
  return {
    uriStem: playlist ? `/live/${stream}/playlist_sfm4s.m3u8` : `/live/${stream}/seg_${segment}.m4s`,
    contentType: playlist ? 'application/vnd.apple.mpegurl' : 'video/iso.segment',
    contentLength: playlist ? 1800 + (i % 4) : 480_000 + (segment % 97) * 13,
    clientIp: `198.51.100.${viewer}`,
    clientPort: 30_000 + ((i * 31) % 30_000),
    userAgent: UAS[viewer % UAS.length],
    referer: REFERERS[viewer % REFERERS.length],
  };
}

const base = { edgeLocation: 'LOC1', distributionDomain: 'd111111abcdef8.cloudfront.net', hostHeader: 'cdn.example.com' };
const start = Date.UTC(2026, 11, 1, 20, 0, 0);

type Traffic = ReturnType<typeof traffic>;

/** The record the log stage builds for one hit. */
function recordOf(i: number, t: Traffic, requestId: string): AccessLogRecord {
  return {
    finishedAt: start + i / 30,
    ...base,
    scBytes: t.contentLength + 420,
    clientIp: t.clientIp,
    method: 'GET',
    uriStem: t.uriStem,
    status: 200,
    referer: t.referer,
    userAgent: t.userAgent,
    query: '',
    cookie: undefined,
    resultType: 'Hit',
    requestId,
    protocol: 'http',
    csBytes: 180,
    timeTaken: 0.0002,
    forwardedFor: undefined,
    sslProtocol: undefined,
    sslCipher: undefined,
    responseResultType: 'Hit',
    protocolVersion: 'HTTP/1.1',
    clientPort: t.clientPort,
    timeToFirstByte: 0.0001,
    detailedResultType: 'Hit',
    contentType: t.contentType,
    contentLength: t.contentLength,
    rangeStart: undefined,
    rangeEnd: undefined,
  };
}

/** The hit lane's line for the same hit (the template comes with the memo entry; the port text with the connection). */
function hitLineOf(i: number, t: Traffic, tpl: HitLineTemplate, port: string, requestId: string): HitLine {
  return new HitLine(
    tpl,
    start + i / 30,
    t.contentLength + 420,
    t.clientIp,
    t.referer,
    t.userAgent,
    requestId,
    180,
    0.0002,
    undefined,
    port,
    0.0001,
    true,
  );
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** Best (least) CPU seconds of REPEATS runs of `fn`. */
async function bestCpu(fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let k = 0; k < REPEATS; k++) {
    const t0 = cpuNow();
    await fn();
    best = Math.min(best, cpuNow() - t0);
  }
  return best;
}
const perLine = (s: number) => `${((s / LINES) * 1e6).toFixed(2)} µs/line`;

console.log(
  `${LINES} lines, best of ${REPEATS} runs each; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);

// ---- 1. formatting ----
// The traffic, IDs and templates are made first: only what the log stage does per hit is timed.
const hits = Array.from({ length: LINES }, (_, i) => traffic(i));
const ids = Array.from({ length: LINES }, () => newRequestId());
const ports = hits.map((t) => String(t.clientPort));
const templates = new Map<string, HitLineTemplate>();
const tpls = hits.map((t) => {
  let tpl = templates.get(t.uriStem);
  if (tpl === undefined) {
    tpl = hitLineTemplate({
      ...base,
      method: 'GET',
      uriStem: t.uriStem,
      query: '',
      cookie: undefined,
      contentType: t.contentType,
      contentLength: t.contentLength,
    });
    templates.set(t.uriStem, tpl);
  }
  return tpl;
});
let sink = 0;
const full = await bestCpu(() => {
  for (let i = 0; i < LINES; i++) sink += formatLogLine(recordOf(i, hits[i]!, ids[i]!)).length;
});
const lane = await bestCpu(() => {
  for (let i = 0; i < LINES; i++) sink += hitLineOf(i, hits[i]!, tpls[i]!, ports[i]!, ids[i]!).format().length;
});
// The two forms give the same text (the table test checks it field by field; here, on this traffic).
for (let i = 0; i < LINES; i++) {
  const a = formatLogLine(recordOf(i, hits[i]!, ids[i]!));
  const b = hitLineOf(i, hits[i]!, tpls[i]!, ports[i]!, ids[i]!).format();
  if (a !== b) throw new Error(`line ${i} differs:\n${a}\n${b}`);
}
console.log('\nformatting (the record or line built per hit, then formatted)');
console.log(`  full record + formatLogLine : ${perLine(full)}`);
console.log(`  hit lane HitLine.format     : ${perLine(lane)}   (${(full / lane).toFixed(2)}× less CPU)`);

// ---- 2. zlib settings ----
const text = hits.map((t, i) => formatLogLine(recordOf(i, t, ids[i]!)) + '\n').join('');
const input = Buffer.from(text, 'latin1');
console.log(
  `\ncompression of ${(input.length / 1024 / 1024).toFixed(1)} MiB (${(input.length / LINES).toFixed(0)} bytes per line), gzipSync`,
);
const SETTINGS: [string, ZlibOptions][] = [
  ['level 1, memLevel 8 (zlib default memLevel)', { level: 1 }],
  ['level 1, memLevel 9 (zlib default window)', { level: 1, memLevel: 9 }],
  [
    'level 1, memLevel 9, windowBits 13 (chosen)',
    { level: GZIP_OPTIONS.level, memLevel: GZIP_OPTIONS.memLevel, windowBits: GZIP_OPTIONS.windowBits },
  ],
  ['level 1, Z_FIXED', { level: 1, memLevel: 9, strategy: constants.Z_FIXED }],
  ['level 1, Z_RLE', { level: 1, strategy: constants.Z_RLE }],
  ['level 1, Z_HUFFMAN_ONLY', { level: 1, strategy: constants.Z_HUFFMAN_ONLY }],
  ['level 2, memLevel 9', { level: 2, memLevel: 9 }],
  ['level 6 (zlib default)', { level: 6 }],
  ['level 0 (stored, no compression)', { level: 0 }],
];
let reference = 0;
for (const [name, opts] of SETTINGS) {
  let out = Buffer.alloc(0);
  const cpu = await bestCpu(() => (out = gzipSync(input, opts)));
  if (!gunzipSync(out).equals(input)) throw new Error(`${name}: output does not gunzip to the input`);
  if (reference === 0) reference = cpu;
  console.log(
    `  ${name.padEnd(44)} ${String(out.length).padStart(10)} bytes  ratio ${(input.length / out.length).toFixed(2).padStart(5)}  ${perLine(cpu)}  (${(cpu / reference).toFixed(2)}× the first row's CPU)`,
  );
}

// ---- 3. the writer's stream: chunk size ----
console.log('\nthe gzip stream as AccessLogWriter feeds it (GZIP_OPTIONS, byte chunks; process CPU, zlib thread included)');
const dir = mkdtempSync(join(tmpdir(), 'streamfront-bench-access-log-'));
/** Feeds `input` to a gzip stream in `chunkBytes` pieces, one per turn of the event loop (the writer hands one chunk per batch). */
async function feedGzip(chunkBytes: number, out: Writable): Promise<void> {
  const gz = createGzip(GZIP_OPTIONS);
  const done = pipeline(gz, out);
  for (let i = 0; i < input.length; i += chunkBytes) {
    gz.write(input.subarray(i, i + chunkBytes));
    await new Promise((r) => setImmediate(r));
  }
  gz.end();
  await done;
}
try {
  for (const chunkBytes of [64 * 1024, 256 * 1024]) {
    const file = join(dir, `chunk-${chunkBytes}.gz`);
    const cpu = await bestCpu(() => feedGzip(chunkBytes, createWriteStream(file)));
    let zcat = 'zcat not found';
    try {
      zcat = execFileSync('zcat', [file], { maxBuffer: 1 << 30 }).equals(input) ? 'zcat reads it back byte for byte' : 'ZCAT DIFFERS';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    console.log(`  ${String(chunkBytes / 1024).padStart(3)} KiB chunks into a file: ${perLine(cpu)}   (${zcat})`);
  }
  const discard = () =>
    new Writable({
      write(_chunk, _encoding, cb) {
        cb();
      },
    });
  console.log(`  256 KiB chunks, output discarded: ${perLine(await bestCpu(() => feedGzip(256 * 1024, discard())))}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (sink < 0) console.log(sink);
