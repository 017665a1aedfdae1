// Integration: Debian's goaccess reads a real access log written by the edge with its built-in
// CLOUDFRONT format, which needs the standard log's fields after the 19 of 2014. Every line parses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import { LOG_FIELDS } from '../../src/edge/access-log.js';
import { rawExchange } from './hit-lane/raw-http.js';
import { accessLogFiles } from '../helpers/access-logs.js';

const run = promisify(execFile);
const hasGoaccess = (() => {
  try {
    execFileSync('goaccess', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let origin: TestOrigin;
const dir = mkdtempSync(join(tmpdir(), 'streamfront-goaccess-'));

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('/seg.ts', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Content-Length': '4000', 'Cache-Control': 'max-age=60' });
    res.end(Buffer.alloc(4000, 7));
  });
  origin.route('/live.m3u8', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'max-age=1' });
    res.end('#EXTM3U\n');
  });
  origin.route('/gone', (_req, res) => {
    res.writeHead(410, { 'Content-Type': 'text/plain' });
    res.end('gone');
  });
  origin.route('/broken', (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=1' });
    res.end('down');
  });
  origin.route('/slow', (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'Content-Length': '2' });
      res.end('ok');
    }, 300);
  });
});

afterAll(async () => {
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasGoaccess)('goaccess --log-format=CLOUDFRONT', () => {
  it('parses every line of a log the edge wrote', async () => {
    const edge = await startTestEdge(origin.url, { logs: { enabled: true, flushSeconds: 3600 } }, dir);
    const ua = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "quoted" \t tab' };
    await get(edge.port, '/seg.ts', ua);
    await get(edge.port, '/seg.ts', { ...ua, Range: 'bytes=0-999', 'X-Forwarded-For': '203.0.113.9' });
    await get(edge.port, '/seg.ts', { 'Accept-Encoding': 'gzip', Referer: 'http://player.example.com/watch?v=1#top' });
    await get(edge.port, '/seg.ts', {}, 'HEAD');
    await get(edge.port, '/live.m3u8?_HLS_msn=10&_HLS_part=2');
    await get(edge.port, '/no/such%20file.ts?x=%3Cscript%3E');
    await get(edge.port, '/gone');
    await get(edge.port, '/broken');
    await get(edge.port, '/seg.ts', { Cookie: 'a=1; b=2' }, 'OPTIONS');
    await get(edge.port, '/seg.ts', {}, 'POST', 'x=1');
    await get(edge.port, '/_edge/stats');
    // Keep-alive hits of one request text: the pipeline's hit fills the hit lane's memo, and the
    // lane answers and logs the rest with its own line form (hit-lane/log-line.ts).
    const laneRequest =
      'GET /seg.ts?v=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozilla/5.0 (X11) "quoted"\t tab\r\n' +
      'Referer: http://player.example.com/watch?v=1#top\r\nX-Forwarded-For: 203.0.113.9\r\nCookie: a=1; b=2\r\n\r\n';
    // One connection each: the lane hands a connection it cannot answer to node:http for good.
    for (let i = 0; i < 4; i++) await rawExchange(edge.port, [laneRequest], { count: 1 });
    expect(edge.lane!.counts.answered).toBeGreaterThanOrEqual(2);
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: edge.port, path: '/slow', agent: false });
      req.on('error', () => {});
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await sleep(400);
    await edge.close();

    const lines = accessLogFiles(join(dir, 'edge-logs')).flatMap((f) => f.lines);
    const records = lines.filter((l) => !l.startsWith('#'));
    expect(records.length).toBeGreaterThanOrEqual(15);
    for (const r of records) expect(r.split('\t').length).toBe(LOG_FIELDS.length);
    const aborted = records.filter((r) => r.split('\t')[8] === '000').length;
    expect(aborted).toBe(1);
    const logFile = join(dir, 'access.log');
    writeFileSync(logFile, lines.join('\n') + '\n');

    const report = async (...extra: string[]) => {
      const out = join(dir, `report-${extra.length}.json`);
      await run('goaccess', [logFile, '--log-format=CLOUDFRONT', '--no-global-config', '-o', out, ...extra], { timeout: 30_000 });
      return JSON.parse(readFileSync(out, 'utf8')).general as { total_requests: number; valid_requests: number; failed_requests: number };
    };
    // LOG-04's `000` (the viewer left before the status) is not an HTTP status, so goaccess's
    // default status check refuses exactly those lines, as it does on CloudFront's own logs.
    const strict = await report();
    expect(strict.total_requests).toBe(records.length);
    expect(strict.failed_requests).toBe(aborted);
    const lenient = await report('--no-strict-status');
    expect(lenient).toMatchObject({ total_requests: records.length, valid_requests: records.length, failed_requests: 0 });
  });
});
