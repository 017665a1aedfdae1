// A hit the lane answers is logged and counted as the pipeline logs and counts a hit: the same
// access-log line field by field (request id, times and client port aside), the same stats. The
// lane queues its own line form (hit-lane/log-line.ts); both are compared as the text the writer
// puts in the file. With a real-time log on, the lane logs through the log stage's full record
// instead (the real-time line needs it): that path is held to the same comparison.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeInternals } from '../../../src/edge/index.js';
import { formatLogLine, LOG_FIELDS, type AccessLogRecord, type PendingLogLine } from '../../../src/edge/access-log.js';
import { startTestEdge, startTestOrigin, type TestOrigin } from '../test-origin.js';
import { rawExchange } from './raw-http.js';

let origin: TestOrigin;
let dir: string;
/** Each queued line as the writer formats it, by field name, and which form it was queued in. */
type Line = Record<(typeof LOG_FIELDS)[number], string> & { queuedAs?: 'template' | 'record' };

const REQUEST =
  'GET /logs/a.js?x=1&y=%41 HTTP/1.1\r\nHost: edge.test\r\nUser-Agent: Lane Test/1.0\r\nReferer: http://site.test/p?q=1\r\n' +
  'Cookie: session=abc; theme=dark\r\nX-Forwarded-For: 203.0.113.9\r\nAccept-Encoding: gzip\r\n\r\n';
const HEAD_REQUEST = REQUEST.replace(/^GET/, 'HEAD');

/** Per answer or per connection by nature. */
const VARYING: string[] = ['date', 'time', 'x-edge-request-id', 'time-taken', 'time-to-first-byte', 'c-port'];
const fixed = (r: Line) => Object.fromEntries(Object.entries(r).filter(([k]) => !VARYING.includes(k) && k !== 'queuedAs'));
const byField = (line: string) => {
  const values = line.split('\t');
  expect(values).toHaveLength(LOG_FIELDS.length);
  return Object.fromEntries(LOG_FIELDS.map((f, i) => [f, values[i]!])) as Line;
};

/** An edge whose access-log writer also hands each queued line, formatted, to `lines`. */
async function startLoggingEdge(extra: Record<string, unknown>, lines: Line[]): Promise<EdgeInternals> {
  const edge = await startTestEdge(origin.url, { logs: { enabled: true, dir, includeCookies: true }, ...extra });
  const writer = [...edge.server.records.values()][0]!.accessLog!;
  const add = writer.add.bind(writer);
  writer.add = (r: AccessLogRecord | PendingLogLine) => {
    lines.push({ ...byField('format' in r ? r.format() : formatLogLine(r)), queuedAs: 'format' in r ? 'template' : 'record' });
    add(r);
  };
  return edge;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'streamfront-lane-logs-'));
  origin = await startTestOrigin();
  origin.route('/logs/a.js', (_rq, res) => {
    res.writeHead(200, { 'Content-Type': 'application/javascript', 'Cache-Control': 'max-age=300', 'Content-Length': '2000' });
    res.end('x'.repeat(2000));
  });
});

afterAll(async () => {
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const [title, extra] of [
  ['line template', {}],
  ['full record (real-time log on)', { realtimeLog: { enabled: true, output: join(tmpdir(), `streamfront-lane-rt-${process.pid}.log`) } }],
] as const)
  describe(`access log and stats of a lane hit: ${title}`, () => {
    let edge: EdgeInternals;
    const records: Line[] = [];
    beforeAll(async () => {
      edge = await startLoggingEdge(extra, records);
    });
    afterAll(async () => {
      await edge?.close();
      if ('realtimeLog' in extra) rmSync(extra.realtimeLog.output, { force: true });
    });

    async function send(raw: string, head = false) {
      const before = edge.lane!.counts.answered;
      const x = await rawExchange(edge.port, [raw], { heads: [head], count: 1 });
      await new Promise((r) => setTimeout(r, 20)); // the pipeline logs when the response closes
      return { x, byLane: edge.lane!.counts.answered > before, record: records.at(-1)! };
    }

    for (const [what, raw, head] of [
      ['GET', REQUEST, false],
      ['HEAD', HEAD_REQUEST, true],
    ] as const) {
      it(`${what}: the lane's record equals the pipeline's, field by field`, async () => {
        // A miss (or, for HEAD, a hit of what the GET stored), until the pipeline's hit fills the memo.
        let slow = await send(raw, head);
        if (slow.record['x-edge-result-type'] !== 'Hit') slow = await send(raw, head);
        const fast = await send(raw, head);
        expect([slow.byLane, fast.byLane]).toEqual([false, true]);
        expect([slow.record.queuedAs, fast.record.queuedAs]).toEqual(['record', 'realtimeLog' in extra ? 'record' : 'template']);
        expect(slow.record['x-edge-result-type']).toBe('Hit');
        expect(fixed(fast.record)).toEqual(fixed(slow.record));
        // The fields that vary are still there, and sane.
        expect(fast.record['x-edge-request-id']).toMatch(/^[A-Za-z0-9_-]{56}$/);
        expect(fast.record['x-edge-request-id']).toBe(fast.x.responses[0]!.headers.find(([n]) => n === 'X-Amz-Cf-Id')?.[1]);
        expect(`${fast.record.date} ${fast.record.time}`).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        expect(Number(fast.record['time-to-first-byte'])).toBeGreaterThanOrEqual(0);
        expect(Number(fast.record['time-taken'])).toBeGreaterThanOrEqual(Number(fast.record['time-to-first-byte']));
        expect(Number(fast.record['time-taken'])).toBeLessThan(1);
        expect(Number(fast.record['c-port'])).toBeGreaterThan(0);
        // Spot checks of what "equal" covered (LOG-03 encodes the spaces and the % of the query).
        expect(fast.record).toMatchObject({
          'sc-status': '200',
          'x-edge-result-type': 'Hit',
          'cs(Cookie)': 'session=abc;%20theme=dark',
          'x-forwarded-for': '203.0.113.9',
          'cs(User-Agent)': 'Lane%20Test/1.0',
          'cs-uri-query': 'x=1&y=%2541',
          'cs-protocol': 'http',
          'cs-protocol-version': 'HTTP/1.1',
          'sc-content-type': 'application/javascript',
          'sc-content-len': '2000',
          'cs-bytes': slow.record['cs-bytes'],
          'sc-bytes': slow.record['sc-bytes'],
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
