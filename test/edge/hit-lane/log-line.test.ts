// The hit lane's access-log line (template + per-hit facts) against formatLogLine for the same
// record, field by field (table); and the seconds text both use against toFixed(3). Pure.
import { describe, expect, it } from 'vitest';
import { formatLogLine, LOG_FIELDS, logSeconds, type AccessLogRecord } from '../../../src/edge/access-log.js';
import { HitLine, hitLineTemplate, type HitLineConstants } from '../../../src/edge/hit-lane/log-line.js';

interface PerHit {
  finishedAt: number;
  scBytes: number;
  clientIp: string;
  referer?: string;
  userAgent?: string;
  requestId: string;
  csBytes: number;
  timeTaken: number;
  forwardedFor?: string;
  clientPort?: number;
  timeToFirstByte: number;
  done: boolean;
}

const BASE: HitLineConstants = {
  edgeLocation: 'LOC1',
  method: 'GET',
  distributionDomain: 'd111111abcdef8.cloudfront.net',
  uriStem: '/obj/1024/small.js',
  query: '',
  cookie: undefined,
  hostHeader: '127.0.0.1:8080',
  contentType: 'application/octet-stream',
  contentLength: 1024,
};
const HIT: PerHit = {
  finishedAt: Date.UTC(2026, 11, 1, 19, 35, 0, 123),
  scBytes: 1427,
  clientIp: '127.0.0.1',
  requestId: 'ar0wDjlp6qruD_snWbB9QW-2zxrXKNhXtrP8n4669Vh79XDZiaKTi0Xy',
  csBytes: 82,
  timeTaken: 0.00002,
  clientPort: 46822,
  timeToFirstByte: 0.00001,
  done: true,
};

/** The record the log stage (recordExchange) builds for a lane hit with these facts. */
function recordOf(c: HitLineConstants, h: PerHit): AccessLogRecord {
  return {
    finishedAt: h.finishedAt,
    edgeLocation: c.edgeLocation,
    scBytes: h.scBytes,
    clientIp: h.clientIp,
    method: c.method,
    distributionDomain: c.distributionDomain,
    uriStem: c.uriStem,
    status: 200,
    referer: h.referer,
    userAgent: h.userAgent,
    query: c.query,
    cookie: c.cookie,
    resultType: h.done ? 'Hit' : 'Error',
    requestId: h.requestId,
    hostHeader: c.hostHeader,
    protocol: 'http',
    csBytes: h.csBytes,
    timeTaken: h.timeTaken,
    forwardedFor: h.forwardedFor,
    sslProtocol: undefined,
    sslCipher: undefined,
    responseResultType: 'Hit',
    protocolVersion: 'HTTP/1.1',
    clientPort: h.clientPort,
    timeToFirstByte: h.timeToFirstByte,
    detailedResultType: h.done ? 'Hit' : 'ClientCommError',
    contentType: c.contentType,
    contentLength: c.contentLength,
    rangeStart: undefined,
    rangeEnd: undefined,
  };
}

function lineOf(c: HitLineConstants, h: PerHit): string {
  const port = h.clientPort === undefined ? '-' : String(h.clientPort);
  return new HitLine(
    hitLineTemplate(c),
    h.finishedAt,
    h.scBytes,
    h.clientIp,
    h.referer,
    h.userAgent,
    h.requestId,
    h.csBytes,
    h.timeTaken,
    h.forwardedFor,
    port,
    h.timeToFirstByte,
    h.done,
  ).format();
}

const byField = (line: string) => {
  const values = line.split('\t');
  return Object.fromEntries(LOG_FIELDS.map((f, i) => [f, values[i]]));
};

const CASES: { what: string; c?: Partial<HitLineConstants>; h?: Partial<PerHit> }[] = [
  { what: 'a plain hit (wrk: Host only)' },
  { what: 'HEAD', c: { method: 'HEAD' } },
  {
    what: 'a browser hit: User-Agent, Referer, X-Forwarded-For, query and cookies (LOG-03 encoded)',
    c: { query: 'x=1&y=%41', cookie: 'session=abc; theme=dark' },
    h: {
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) "quoted" caf\u00e9',
      referer: 'http://site.test/p?q=1#frag',
      forwardedFor: '203.0.113.9, 198.51.100.7',
    },
  },
  {
    what: 'a uri-stem, Host and content type that need encoding',
    c: { uriStem: '/a b/%7E/[x]', hostHeader: 'h\u00f6st', contentType: 'text/plain; charset="x"' },
  },
  { what: 'empty Host, User-Agent and Referer values', c: { hostHeader: '' }, h: { userAgent: '', referer: '', forwardedFor: '' } },
  { what: 'no content type, no length', c: { contentType: undefined, contentLength: undefined } },
  { what: 'a large body the viewer cut short', h: { done: false, scBytes: 600, timeTaken: 0.25, timeToFirstByte: 0.0001 } },
  { what: 'no peer port', h: { clientPort: undefined } },
  { what: 'an IPv6 viewer', h: { clientIp: '2001:db8::1' } },
  { what: 'times around the three-decimal boundaries', h: { timeTaken: 0.0005, timeToFirstByte: 0.00049 } },
  { what: 'times of a slow hit', h: { timeTaken: 1.2345, timeToFirstByte: 0.9995 } },
  { what: 'the last millisecond of an hour', h: { finishedAt: Date.UTC(2026, 11, 31, 23, 59, 59, 999) } },
  { what: 'the first of a day', h: { finishedAt: Date.UTC(2027, 0, 1, 0, 0, 0, 0) } },
];

describe('HitLine.format equals formatLogLine for the same record', () => {
  for (const { what, c, h } of CASES) {
    it(what, () => {
      const constants = { ...BASE, ...c };
      const perHit = { ...HIT, ...h };
      const expected = formatLogLine(recordOf(constants, perHit));
      const got = lineOf(constants, perHit);
      expect(got.split('\t')).toHaveLength(LOG_FIELDS.length);
      expect(byField(got)).toEqual(byField(expected));
      expect(got).toBe(expected);
    });
  }

  it('the same template serves many hits, each with its own facts', () => {
    const t = hitLineTemplate(BASE);
    const a = new HitLine(t, HIT.finishedAt, 1, '10.0.0.1', undefined, 'A', 'id-a', 2, 0, undefined, '1', 0, true).format();
    const b = new HitLine(t, HIT.finishedAt + 1000, 3, '10.0.0.2', 'r', undefined, 'id-b', 4, 0.002, 'x', '2', 0.001, false).format();
    expect(byField(a)).toMatchObject({
      'sc-bytes': '1',
      'c-ip': '10.0.0.1',
      'cs(User-Agent)': 'A',
      'x-edge-request-id': 'id-a',
      'c-port': '1',
    });
    expect(byField(b)).toMatchObject({
      time: '19:35:01',
      'x-edge-result-type': 'Error',
      'x-edge-response-result-type': 'Hit',
      'x-edge-detailed-result-type': 'ClientCommError',
      'cs(Referer)': 'r',
      'x-forwarded-for': 'x',
      'time-taken': '0.002',
    });
  });

  it('counts the characters it holds (the memo bounds them)', () => {
    const t = hitLineTemplate({ ...BASE, uriStem: '/x'.repeat(500) });
    expect(t.chars).toBeGreaterThan(1000);
  });
});

describe('logSeconds', () => {
  const values = [
    0,
    -0,
    1e-9,
    0.0001,
    0.0003999,
    0.0004,
    0.00049,
    0.0004999,
    0.0005,
    0.00051,
    0.001,
    0.0015,
    0.9995,
    1.2345,
    12,
    -0.0001,
    NaN,
  ];
  for (const v of values) it(`${v} → toFixed(3)'s text`, () => expect(logSeconds(v)).toBe(v.toFixed(3)));
});
