// The hit lane against the pipeline alone: the same raw requests (lane-eligible ones, and every
// hostile or ineligible variant, alone and pipelined) go to an edge with the lane and to one
// without, over raw sockets; each answer must have the same status, the same header lines (the
// values of Date, X-Amz-Cf-Id, Age and Via aside) and the same body. The lane's own counters show
// it answered the eligible ones and handed off the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeInternals } from '../../../src/edge/index.js';
import { startTestEdge, startTestOrigin, type TestOrigin } from '../test-origin.js';
import { comparable, rawExchange } from './raw-http.js';
import { createRandom, seedHint } from '../../helpers/random.js';

let origin: TestOrigin;
let lane: EdgeInternals;
let slow: EdgeInternals;

const HOST = 'edge.test';
const edgeConfig = (hitLane: boolean) => ({
  hitLane,
  limits: { maxHeaderCount: 6, maxRequestBytes: 2048, maxUrlBytes: 1024 },
  distributions: [{ behaviors: [{ pathPattern: '/ck/*', cookies: { forward: 'whitelist', whitelist: ['s'] } }] }],
});

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}\r\n`;
const head = (path: string, extra = '') => `HEAD ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}\r\n`;

/** Requests the lane answers once the memo knows them. */
const FAST: { what: string; raw: string; head?: boolean }[] = [
  { what: 'GET, Host only', raw: get('/d/a.js') },
  { what: 'HEAD', raw: head('/d/a.js'), head: true },
  { what: 'Accept-Encoding gzip', raw: get('/d/a.js', 'Accept-Encoding: gzip, deflate\r\n') },
  {
    what: 'browser fields',
    raw: get(
      '/d/b.js',
      'User-Agent: test/1.0\r\nAccept: */*\r\nReferer: http://site.test/page\r\nCookie: a=1\r\nConnection: keep-alive\r\n',
    ),
  },
  { what: 'OWS around values, mixed-case names', raw: `GET /d/a.js HTTP/1.1\r\nHOST:${HOST} \t\r\nconnection:  Keep-Alive\r\n\r\n` },
  { what: '500 KiB object', raw: get('/d/big.bin') },
];

/** Requests the lane must hand to node:http (each answered as the pipeline answers it). */
const HOSTILE: { what: string; raw: string | Buffer; head?: boolean }[] = [
  {
    what: 'Content-Length with Transfer-Encoding',
    raw: get('/d/a.js', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n',
  },
  { what: 'two Content-Length', raw: get('/d/a.js', 'Content-Length: 0\r\nContent-Length: 5\r\n') },
  { what: 'Content-Length 0', raw: get('/d/a.js', 'Content-Length: 0\r\n') },
  { what: 'Transfer-Encoding chunked on a GET', raw: get('/d/a.js', 'Transfer-Encoding: chunked\r\n') + '0\r\n\r\n' },
  { what: 'space before the colon', raw: `GET /d/a.js HTTP/1.1\r\nHost : ${HOST}\r\n\r\n` },
  { what: 'space inside a field name', raw: get('/d/a.js', 'User Agent: x\r\n') },
  { what: 'NUL in a value', raw: get('/d/a.js', 'User-Agent: a\u0000b\r\n') },
  { what: 'CR without LF', raw: `GET /d/a.js HTTP/1.1\r\nHost: ${HOST}\rUser-Agent: y\r\n\r\n` },
  { what: 'LF without CR', raw: `GET /d/a.js HTTP/1.1\nHost: ${HOST}\n\n` },
  { what: 'bare LF ending one field', raw: `GET /d/a.js HTTP/1.1\r\nHost: ${HOST}\nUser-Agent: y\r\n\r\n` },
  { what: 'obs-fold', raw: get('/d/a.js', 'User-Agent: a\r\n b\r\n') },
  { what: 'obs-text', raw: Buffer.from(get('/d/a.js', 'User-Agent: caf\u00e9\r\n'), 'latin1') },
  { what: 'HTTP/1.0', raw: `GET /d/a.js HTTP/1.0\r\nHost: ${HOST}\r\n\r\n` },
  { what: 'Expect', raw: get('/d/a.js', 'Expect: 100-continue\r\n') },
  { what: 'Upgrade', raw: get('/d/a.js', 'Connection: Upgrade\r\nUpgrade: websocket\r\n') },
  { what: 'Connection: close', raw: get('/d/a.js', 'Connection: close\r\n') },
  { what: 'Connection naming a field', raw: get('/d/a.js', 'Connection: keep-alive, User-Agent\r\n') },
  { what: 'no Host', raw: 'GET /d/a.js HTTP/1.1\r\n\r\n' },
  { what: 'two Hosts', raw: get('/d/a.js', `Host: ${HOST}\r\n`) },
  { what: 'two Accept-Encoding', raw: get('/d/a.js', 'Accept-Encoding: gzip\r\nAccept-Encoding: br\r\n') },
  { what: 'Range', raw: get('/d/a.js', 'Range: bytes=0-9\r\n') },
  { what: 'If-None-Match', raw: get('/d/a.js', 'If-None-Match: *\r\n') },
  { what: 'If-Modified-Since', raw: get('/d/a.js', 'If-Modified-Since: Tue, 01 Dec 2099 00:00:00 GMT\r\n') },
  { what: 'Authorization', raw: get('/d/a.js', 'Authorization: Bearer abc\r\n') },
  { what: 'a custom field (keyed by the 2014 settings)', raw: get('/d/a.js', 'X-Variant: 2\r\n') },
  { what: 'lower-case method', raw: `get /d/a.js HTTP/1.1\r\nHost: ${HOST}\r\n\r\n` },
  { what: 'absolute-form target', raw: `GET http://${HOST}/d/a.js HTTP/1.1\r\nHost: ${HOST}\r\n\r\n` },
  { what: 'edge endpoint', raw: get('/_edge/health') },
  { what: 'control API path', raw: get('/2020-05-31/distribution') },
  { what: 'a query the memo does not know', raw: get('/d/a.js?v=2') },
  {
    what: 'more header lines than allowed',
    raw: get('/d/a.js', 'User-Agent: u\r\nAccept: a\r\nAccept-Language: l\r\nReferer: r\r\nPragma: p\r\nCookie: c=1\r\n'),
  },
  { what: 'more bytes than allowed', raw: get('/d/a.js', `Referer: ${'r'.repeat(2100)}\r\n`) },
  { what: 'target over the URL limit', raw: get(`/d/${'u'.repeat(1100)}`) },
  { what: 'POST', raw: `POST /d/a.js HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 0\r\n\r\n` },
  { what: 'a keyed cookie behaviour', raw: get('/ck/a.js', 'Cookie: s=1\r\n') },
];

/** Sends `raw` on a connection of its own to both edges; returns both answers. */
async function both(raw: (string | Buffer)[], heads: boolean[] = [], gapMs = 0, count?: number) {
  const [a, b] = await Promise.all([
    rawExchange(lane.port, raw, { heads, gapMs, count }),
    rawExchange(slow.port, raw, { heads, gapMs, count }),
  ]);
  return { lane: a, slow: b };
}

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    const size = req.url!.startsWith('/d/big') ? 500 * 1024 : 1024;
    const body = Buffer.alloc(size, (req.url!.length % 26) + 97);
    res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'max-age=300', ETag: '"v1"', 'Content-Length': String(size) });
    res.end(body);
  });
  [lane, slow] = await Promise.all([startTestEdge(origin.url, edgeConfig(true)), startTestEdge(origin.url, edgeConfig(false))]);
  // Fill both stores (a miss each) and the lane's memo (a pipeline hit each, on a connection the lane handed off).
  for (const e of [lane, slow]) {
    for (const f of FAST) await rawExchange(e.port, [f.raw], { heads: [!!f.head], count: 1 }); // a miss (or a pass, for HEAD)
    for (const f of FAST) await rawExchange(e.port, [f.raw], { heads: [!!f.head], count: 1 }); // a hit
  }
});

afterAll(async () => {
  await lane?.close();
  await slow?.close();
  await origin?.close();
});

describe('lane-eligible requests: answered by the lane, as the pipeline answers them', () => {
  for (const f of FAST) {
    it(f.what, async () => {
      const before = lane.lane!.counts.answered;
      const r = await both([f.raw], [!!f.head], 0, 1);
      expect(lane.lane!.counts.answered).toBe(before + 1);
      expect(r.lane.responses).toHaveLength(1);
      expect(r.lane.responses.map(comparable)).toEqual(r.slow.responses.map(comparable));
      expect(r.lane.responses[0]!.headers.find(([n]) => n === 'X-Cache')?.[1]).toBe('Hit from cloudfront');
      expect(r.lane.trailing.length).toBe(0);
    });
  }
});

describe('hostile and ineligible requests: handed to node:http, answered byte-for-byte as without the lane', () => {
  for (const h of HOSTILE) {
    it(h.what, async () => {
      const before = { ...lane.lane!.counts };
      const r = await both([h.raw], [!!h.head]);
      expect(lane.lane!.counts.answered).toBe(before.answered);
      expect(lane.lane!.counts.handedOff).toBe(before.handedOff + 1);
      expect(r.lane.responses.map(comparable)).toEqual(r.slow.responses.map(comparable));
      expect(r.lane.trailing.toString('latin1')).toBe(r.slow.trailing.toString('latin1'));
      expect(r.lane.closed).toBe(r.slow.closed);
    });
  }
});

describe('pipelined mixes: the lane answers the eligible prefix, node:http the rest', () => {
  const a = FAST[0]!.raw;
  const hd = FAST[1]!.raw;
  // `prefix`: the requests the lane answers; `rest`: the stream node:http gets from the first one it does not.
  const cases: { what: string; prefix: string[]; prefixHeads?: boolean[]; rest: string; restHeads?: boolean[]; split?: number }[] = [
    { what: 'fast, HEAD, fast in one write', prefix: [a, hd, a], prefixHeads: [false, true, false], rest: '' },
    { what: 'fast, fast, CL+TE smuggling attempt, fast', prefix: [a, a], rest: HOSTILE[0]!.raw + a },
    { what: 'fast, then a slow (Range), then fast', prefix: [a], rest: HOSTILE[20]!.raw + a },
    { what: 'slow first, then fast (stays with node:http)', prefix: [], rest: HOSTILE[21]!.raw + a },
    { what: 'fast, then a head split over two writes', prefix: [a], rest: a, split: 10 },
    { what: 'fast, then a body smuggled after Content-Length', prefix: [a], rest: get('/d/a.js', 'Content-Length: 30\r\n') + a },
    { what: 'fast, then a bare-LF request', prefix: [a], rest: String(HOSTILE[8]!.raw) },
    {
      what: 'fast, then TE chunked hiding a request',
      prefix: [a],
      rest: get('/d/a.js', 'Transfer-Encoding: chunked\r\n') + '0\r\n\r\n' + a,
    },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const before = lane.lane!.counts.answered;
      const joined = c.prefix.join('') + c.rest;
      const parts =
        c.split === undefined
          ? [joined]
          : [joined.slice(0, joined.length - c.rest.length + c.split), joined.slice(joined.length - c.rest.length + c.split)];
      const heads = [...(c.prefixHeads ?? c.prefix.map(() => false)), ...(c.restHeads ?? [])];
      const got = await rawExchange(lane.port, parts, { heads, gapMs: 50 });
      expect(lane.lane!.counts.answered - before).toBe(c.prefix.length);
      const slowPrefix = c.prefix.length ? await rawExchange(slow.port, [c.prefix.join('')], { heads: c.prefixHeads }) : undefined;
      const slowRest = c.rest ? await rawExchange(slow.port, [c.rest], { heads: c.restHeads }) : undefined;
      const expected = [...(slowPrefix?.responses ?? []), ...(slowRest?.responses ?? [])];
      expect(got.responses.map(comparable)).toEqual(expected.map(comparable));
      expect(got.trailing.toString('latin1')).toBe((slowRest ?? slowPrefix)!.trailing.toString('latin1'));
      expect(got.closed).toBe((slowRest ?? slowPrefix)!.closed);
    });
  }
});

describe('complete requests pipelined before bad bytes: each answered, in order, then the error', () => {
  // node:http reports the parse error while it is still answering the requests it parsed before
  // it; the edge's error answer waits for them (before, the pipeline's answers, which are
  // asynchronous, were cut off by the 400 and the close).
  const bad = `GET /d/a.js HTTP/1.1\nHost: ${HOST}\r\n\r\n`; // a bare LF ends the request line
  // [what, the bytes sent, whether the client half-closes after sending them]
  for (const [what, raw, end] of [
    ['two complete requests, then a bare LF', get('/d/a.js') + get('/d/b.js') + bad, false],
    ['a stray empty line between them', get('/d/a.js') + '\n' + get('/d/b.js') + bad, false],
    ['the client half-closes after sending', get('/d/a.js') + get('/d/b.js') + bad, true],
  ] as const) {
    it(what, async () => {
      for (const e of [lane, slow]) {
        const got = await rawExchange(e.port, [raw], { end });
        expect(got.responses.map((r) => r.status)).toEqual([200, 200, 400]);
        expect(got.responses.map((r) => r.body.length)).toEqual([1024, 1024, 0]);
        expect(got.closed).toBe(true);
      }
    });
  }
});

describe('seeded mutations of eligible requests: the same answers with and without the lane', () => {
  // Each mutant is a lane-eligible GET with one to four edits: a byte or field-line inserted
  // (CR, LF, NUL, obs-text, a colon, a second Host, Content-Length, Transfer-Encoding…), bytes
  // deleted, a letter's case doubled, a CRLF made a bare LF, another request pipelined after it.
  // Whatever the lane makes of it (an answer, or a hand-off of the exact bytes), the two edges'
  // answers, trailing bytes and closing must be the same. Every mutant is GET, so responses are
  // framed by Content-Length alone.
  const MUTANTS = 400;
  const INSERTS = [
    '\r',
    '\n',
    '\0',
    ' ',
    '\t',
    ':',
    '\x80',
    '\xff',
    'A',
    'a',
    '/',
    '?',
    '%',
    '#',
    '\r\n',
    '\r\n\r\n',
    `Host: ${HOST}\r\n`,
    'Content-Length: 3\r\n',
    'Transfer-Encoding: chunked\r\n',
    'HTTP/1.1',
    ',',
    '"',
    '\\',
    '\x0b',
    '\x7f',
  ];
  const LINES = [
    'User-Agent: fz',
    'Accept: */*',
    'Accept-Encoding: gzip, deflate',
    'Connection: keep-alive',
    'Referer: http://site.test/page',
    'Cookie: a=1',
  ];
  it(`${MUTANTS} mutants`, async () => {
    const rnd = createRandom();
    const eligible = () => {
      const lines = [`Host: ${HOST}`, ...LINES.filter(() => rnd.int(0, 2) === 0)].slice(0, 5);
      return `GET ${rnd.pick(['/d/a.js', '/d/b.js', '/d/a.js?v=2'])} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
    };
    const mutate = (s: string): string => {
      for (let k = rnd.int(1, 4); k > 0; k--) {
        const at = rnd.int(0, s.length);
        const op = rnd.int(0, 4);
        if (op === 0) s = s.slice(0, at) + rnd.pick(INSERTS) + s.slice(at);
        else if (op === 1) s = s.slice(0, at) + s.slice(at + rnd.int(1, 3));
        else if (op === 2) s = s.slice(0, at) + (s[at] ?? '').toUpperCase() + (s[at] ?? '').toLowerCase() + s.slice(at + 1);
        else if (op === 3) s += eligible();
        else s = s.slice(0, at) + s.slice(at).replace('\r\n', '\n');
      }
      return s;
    };
    const before = { ...lane.lane!.counts };
    const differ: string[] = [];
    for (let i = 0; i < MUTANTS; i++) {
      const raw = Buffer.from(mutate(eligible()), 'latin1');
      const [a, b] = await Promise.all([rawExchange(lane.port, [raw], { end: true }), rawExchange(slow.port, [raw], { end: true })]);
      const same =
        JSON.stringify(a.responses.map(comparable)) === JSON.stringify(b.responses.map(comparable)) &&
        a.trailing.equals(b.trailing) &&
        a.closed === b.closed;
      if (!same) differ.push(JSON.stringify(raw.toString('latin1')));
    }
    expect(differ, seedHint(rnd.seed)).toEqual([]);
    // Both paths were taken: some mutants are still the lane's, most are node:http's.
    expect(lane.lane!.counts.answered, seedHint(rnd.seed)).toBeGreaterThan(before.answered);
    expect(lane.lane!.counts.handedOff, seedHint(rnd.seed)).toBeGreaterThan(before.handedOff);
  }, 120_000);
});
