// A hit the lane answers is logged and counted as the pipeline logs and counts a hit: the same
// access-log record field by field (request id, times and client port aside), the same stats.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeInternals } from '../../../src/edge/index.js';
import type { AccessLogRecord } from '../../../src/edge/access-log.js';
import { startTestEdge, startTestOrigin, type TestOrigin } from '../test-origin.js';
import { rawExchange } from './raw-http.js';

let origin: TestOrigin;
let edge: EdgeInternals;
let dir: string;
const records: AccessLogRecord[] = [];

const REQUEST =
  'GET /logs/a.js?x=1&y=%41 HTTP/1.1\r\nHost: edge.test\r\nUser-Agent: Lane Test/1.0\r\nReferer: http://site.test/p?q=1\r\n' +
  'Cookie: session=abc; theme=dark\r\nX-Forwarded-For: 203.0.113.9\r\nAccept-Encoding: gzip\r\n\r\n';
const HEAD_REQUEST = REQUEST.replace(/^GET/, 'HEAD');

/** Per answer or per connection by nature. */
const VARYING: (keyof AccessLogRecord)[] = ['finishedAt', 'requestId', 'timeTaken', 'timeToFirstByte', 'clientPort'];
const fixed = (r: AccessLogRecord) => Object.fromEntries(Object.entries(r).filter(([k]) => !VARYING.includes(k as keyof AccessLogRecord)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'streamfront-lane-logs-'));
  origin = await startTestOrigin();
  origin.route('/logs/a.js', (_rq, res) => {
    res.writeHead(200, { 'Content-Type': 'application/javascript', 'Cache-Control': 'max-age=300', 'Content-Length': '2000' });
    res.end('x'.repeat(2000));
  });
  edge = await startTestEdge(origin.url, { logs: { enabled: true, dir, includeCookies: true } });
  const writer = [...edge.server.records.values()][0]!.accessLog!;
  const add = writer.add.bind(writer);
  writer.add = (r: AccessLogRecord) => {
    records.push(r);
    add(r);
  };
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(raw: string, head = false) {
  const before = edge.lane!.counts.answered;
  const x = await rawExchange(edge.port, [raw], { heads: [head], count: 1 });
  await new Promise((r) => setTimeout(r, 20)); // the pipeline logs when the response closes
  return { x, byLane: edge.lane!.counts.answered > before, record: records.at(-1)! };
}

describe('access log and stats of a lane hit', () => {
  for (const [what, raw, head] of [
    ['GET', REQUEST, false],
    ['HEAD', HEAD_REQUEST, true],
  ] as const) {
    it(`${what}: the lane's record equals the pipeline's, field by field`, async () => {
      // A miss (or, for HEAD, a hit of what the GET stored), until the pipeline's hit fills the memo.
      let slow = await send(raw, head);
      if (slow.record.resultType !== 'Hit') slow = await send(raw, head);
      const fast = await send(raw, head);
      expect([slow.byLane, fast.byLane]).toEqual([false, true]);
      expect(slow.record.resultType).toBe('Hit');
      expect(fixed(fast.record)).toEqual(fixed(slow.record));
      // The fields that vary are still there, and sane.
      expect(fast.record.requestId).toMatch(/^[A-Za-z0-9_-]{56}$/);
      expect(fast.record.requestId).toBe(fast.x.responses[0]!.headers.find(([n]) => n === 'X-Amz-Cf-Id')?.[1]);
      expect(fast.record.timeToFirstByte).toBeGreaterThanOrEqual(0);
      expect(fast.record.timeTaken).toBeGreaterThanOrEqual(fast.record.timeToFirstByte!);
      expect(fast.record.timeTaken).toBeLessThan(1);
      expect(fast.record.clientPort).toBeGreaterThan(0);
      // Spot checks of what "equal" covered.
      expect(fast.record).toMatchObject({
        status: 200,
        resultType: 'Hit',
        cookie: 'session=abc; theme=dark',
        forwardedFor: '203.0.113.9',
        userAgent: 'Lane Test/1.0',
        query: 'x=1&y=%41',
        protocol: 'http',
        protocolVersion: 'HTTP/1.1',
        contentType: 'application/javascript',
        contentLength: 2000,
        csBytes: slow.record.csBytes,
        scBytes: slow.record.scBytes,
      });
    });
  }

  it('the distribution stats change by a lane hit exactly as by a pipeline hit', async () => {
    const snap = () => numbers([...edge.server.records.values()][0]!.stats.snapshot());
    const raw = REQUEST.replace('x=1', 'x=2'); // the memo's key differs, the cache key does not (the query is not forwarded)
    const s1 = snap();
    const slow = await send(raw); // a pipeline hit
    const s2 = snap();
    const fast = await send(raw); // the lane's
    const s3 = snap();
    expect([slow.byLane, fast.byLane]).toEqual([false, true]);
    const delta = (a: Map<string, number>, b: Map<string, number>) =>
      [...b].filter(([k, v]) => !/Rate|Percent|Ratio/.test(k) && v !== a.get(k));
    expect(delta(s2, s3).map(([k]) => [k, s3.get(k)! - s2.get(k)!])).toEqual(delta(s1, s2).map(([k]) => [k, s2.get(k)! - s1.get(k)!]));
  });
});

/** Every numeric leaf of a stats snapshot, by its dotted path. */
function numbers(o: unknown, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (typeof o === 'number') out.set(prefix, o);
  else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) numbers(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}
