// The hit lane's parser, from tables: what it accepts (and reads out), and what it hands to
// node:http, with the reason. Pure.
import { describe, expect, it } from 'vitest';
import { laneShaped, memoKeyOf, parseLaneHead, type LaneRequest } from '../../../src/edge/hit-lane/parse-head.js';

const LIMITS = { maxUrlBytes: 64, maxRequestBytes: 256, maxHeaderCount: 4 };
const parse = (raw: string | Buffer) => parseLaneHead(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw, 0, LIMITS);
const H = 'Host: e.test\r\n';

describe('accepted: the narrow subset', () => {
  const rows: { what: string; raw: string; want: Partial<LaneRequest> }[] = [
    {
      what: 'GET with Host',
      raw: `GET /a HTTP/1.1\r\n${H}\r\n`,
      want: { method: 'GET', target: '/a', host: 'e.test', acceptEncoding: undefined },
    },
    { what: 'HEAD', raw: `HEAD /a?b=c HTTP/1.1\r\n${H}\r\n`, want: { method: 'HEAD', target: '/a?b=c' } },
    { what: 'OWS trimmed, no OWS', raw: 'GET / HTTP/1.1\r\nHost:e.test \t\r\n\r\n', want: { host: 'e.test' } },
    {
      what: 'Accept-Encoding read out',
      raw: `GET / HTTP/1.1\r\n${H}Accept-Encoding:  gzip, br \r\n\r\n`,
      want: { acceptEncoding: 'gzip, br' },
    },
    { what: 'an empty Accept-Encoding', raw: `GET / HTTP/1.1\r\n${H}Accept-Encoding:\r\n\r\n`, want: { acceptEncoding: '' } },
    { what: 'Connection: keep-alive (any case)', raw: `GET / HTTP/1.1\r\n${H}Connection: Keep-Alive\r\n\r\n`, want: { host: 'e.test' } },
    { what: 'name case kept as sent', raw: 'GET / HTTP/1.1\r\nhOsT: e.test\r\n\r\n', want: { rawHeaders: ['hOsT', 'e.test'] } },
    {
      what: 'a lane field in another case is read as in its usual case',
      raw: 'GET / HTTP/1.1\r\nHOST: e.test\r\naccept-encoding: gzip\r\ncOOKIE: a=1\r\nuser-agent: u\r\n\r\n',
      want: {
        host: 'e.test',
        acceptEncoding: 'gzip',
        cookie: 'a=1',
        userAgent: 'u',
        rawHeaders: ['HOST', 'e.test', 'accept-encoding', 'gzip', 'cOOKIE', 'a=1', 'user-agent', 'u'],
      },
    },
    {
      what: 'inner spaces and tabs of a value kept',
      raw: `GET / HTTP/1.1\r\n${H}User-Agent: a b\tc\r\n\r\n`,
      want: { rawHeaders: ['Host', 'e.test', 'User-Agent', 'a b\tc'] },
    },
    { what: 'a path under /20… that is no API version', raw: `GET /2024/seg.ts HTTP/1.1\r\n${H}\r\n`, want: { target: '/2024/seg.ts' } },
    { what: "recv's size count", raw: `GET /a HTTP/1.1\r\n${H}\r\n`, want: { headerBytes: 3 + 2 + 12 + 2 + (4 + 6 + 4) } },
  ];
  for (const r of rows) {
    it(r.what, () => {
      const got = parse(r.raw);
      expect(got.kind).toBe('request');
      expect(got).toMatchObject(r.want);
      expect((got as LaneRequest).end).toBe(Buffer.byteLength(r.raw, 'latin1'));
    });
  }

  it('parses from an offset, and stops at the end of the first head', () => {
    const one = `GET /a HTTP/1.1\r\n${H}\r\n`;
    const buf = Buffer.from(one + one.replace('/a', '/b'));
    const first = parseLaneHead(buf, 0, LIMITS) as LaneRequest;
    const second = parseLaneHead(buf, first.end, LIMITS) as LaneRequest;
    expect([first.target, second.target, second.end]).toEqual(['/a', '/b', buf.length]);
  });
});

describe('handed off (with the reason)', () => {
  const rows: { what: string; raw: string | Buffer; reason: string | RegExp }[] = [
    { what: 'incomplete request line', raw: 'GET /a HTT', reason: 'incomplete head' },
    { what: 'incomplete head', raw: `GET /a HTTP/1.1\r\n${H}`, reason: 'incomplete head' },
    { what: 'only the method', raw: 'GE', reason: 'incomplete head' },
    { what: 'head missing the last LF', raw: `GET /a HTTP/1.1\r\n${H}\r`, reason: 'incomplete head' },
    { what: 'POST', raw: `POST /a HTTP/1.1\r\n${H}\r\n`, reason: 'method' },
    { what: 'lower-case method', raw: `get /a HTTP/1.1\r\n${H}\r\n`, reason: 'method' },
    { what: 'OPTIONS', raw: `OPTIONS /a HTTP/1.1\r\n${H}\r\n`, reason: 'method' },
    { what: 'absolute-form', raw: `GET http://e.test/a HTTP/1.1\r\n${H}\r\n`, reason: 'target form' },
    { what: 'asterisk-form', raw: `GET * HTTP/1.1\r\n${H}\r\n`, reason: 'target form' },
    { what: 'two spaces after the method', raw: `GET  /a HTTP/1.1\r\n${H}\r\n`, reason: 'target form' },
    { what: 'obs-text in the target', raw: Buffer.from(`GET /caf\u00e9 HTTP/1.1\r\n${H}\r\n`, 'latin1'), reason: 'target byte' },
    { what: 'tab in the target', raw: `GET /a\tb HTTP/1.1\r\n${H}\r\n`, reason: 'target byte' },
    { what: 'target over maxUrlBytes', raw: `GET /${'a'.repeat(64)} HTTP/1.1\r\n${H}\r\n`, reason: 'target length' },
    { what: 'HTTP/1.0', raw: `GET /a HTTP/1.0\r\n${H}\r\n`, reason: 'version' },
    { what: 'lower-case version', raw: `GET /a http/1.1\r\n${H}\r\n`, reason: 'version' },
    { what: 'bare LF after the request line', raw: `GET /a HTTP/1.1\n${H}\r\n`, reason: 'version' },
    { what: 'edge endpoint', raw: `GET /_edge/stats HTTP/1.1\r\n${H}\r\n`, reason: 'reserved path' },
    { what: 'control API', raw: `GET /2020-05-31/distribution HTTP/1.1\r\n${H}\r\n`, reason: 'reserved path' },
    { what: 'control API, other version, bare', raw: `GET /2014-10-21 HTTP/1.1\r\n${H}\r\n`, reason: 'reserved path' },
    {
      what: 'an escape that may decode to an API version',
      raw: `GET /2020%2D05-31/distribution HTTP/1.1\r\n${H}\r\n`,
      reason: 'reserved path',
    },
    { what: 'escaped first character (may decode to _edge)', raw: `GET /%5Fedge/stats HTTP/1.1\r\n${H}\r\n`, reason: 'reserved path' },
    { what: 'bare LF ending a field line', raw: `GET /a HTTP/1.1\r\nHost: e.test\n\r\n`, reason: 'LF without CR' },
    { what: 'CR without LF inside the head', raw: `GET /a HTTP/1.1\r\nHost: e.test\rX: y\r\n\r\n`, reason: 'CR without LF' },
    { what: 'CR without LF as the blank line', raw: `GET /a HTTP/1.1\r\n${H}\rX`, reason: 'CR without LF' },
    { what: 'obs-fold', raw: `GET /a HTTP/1.1\r\n${H}User-Agent: a\r\n b\r\n\r\n`, reason: 'field name' },
    { what: 'space before the colon', raw: 'GET /a HTTP/1.1\r\nHost : e.test\r\n\r\n', reason: 'field name' },
    { what: 'space inside a name', raw: `GET /a HTTP/1.1\r\n${H}User Agent: x\r\n\r\n`, reason: 'field name' },
    { what: 'empty name', raw: `GET /a HTTP/1.1\r\n${H}: x\r\n\r\n`, reason: 'field name' },
    { what: 'NUL in a value', raw: `GET /a HTTP/1.1\r\n${H}User-Agent: a\u0000b\r\n\r\n`, reason: 'field value byte' },
    { what: 'DEL in a value', raw: `GET /a HTTP/1.1\r\n${H}User-Agent: a\u007fb\r\n\r\n`, reason: 'field value byte' },
    {
      what: 'obs-text in a value',
      raw: Buffer.from(`GET /a HTTP/1.1\r\n${H}User-Agent: caf\u00e9\r\n\r\n`, 'latin1'),
      reason: 'field value byte',
    },
    { what: 'Transfer-Encoding', raw: `GET /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`, reason: 'field transfer-encoding' },
    { what: 'Content-Length', raw: `GET /a HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, reason: 'field content-length' },
    { what: 'Expect', raw: `GET /a HTTP/1.1\r\n${H}Expect: 100-continue\r\n\r\n`, reason: 'field expect' },
    { what: 'Upgrade', raw: `GET /a HTTP/1.1\r\n${H}Upgrade: h2c\r\n\r\n`, reason: 'field upgrade' },
    { what: 'Range', raw: `GET /a HTTP/1.1\r\n${H}Range: bytes=0-1\r\n\r\n`, reason: 'field range' },
    { what: 'If-None-Match', raw: `GET /a HTTP/1.1\r\n${H}If-None-Match: *\r\n\r\n`, reason: 'field if-none-match' },
    { what: 'If-Range', raw: `GET /a HTTP/1.1\r\n${H}If-Range: "x"\r\n\r\n`, reason: 'field if-range' },
    { what: 'Authorization', raw: `GET /a HTTP/1.1\r\n${H}Authorization: x\r\n\r\n`, reason: 'field authorization' },
    { what: 'a custom field', raw: `GET /a HTTP/1.1\r\n${H}X-Variant: 1\r\n\r\n`, reason: 'field x-variant' },
    { what: 'Connection: close', raw: `GET /a HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, reason: 'connection option' },
    {
      what: 'Connection naming a field',
      raw: `GET /a HTTP/1.1\r\n${H}Connection: keep-alive, Cookie\r\n\r\n`,
      reason: 'connection option',
    },
    { what: 'no Host', raw: 'GET /a HTTP/1.1\r\nAccept: */*\r\n\r\n', reason: 'no host' },
    { what: 'two Hosts', raw: `GET /a HTTP/1.1\r\n${H}host: f.test\r\n\r\n`, reason: 'duplicate host' },
    { what: 'two Cookie lines', raw: `GET /a HTTP/1.1\r\n${H}Cookie: a=1\r\nCookie: b=2\r\n\r\n`, reason: 'duplicate cookie' },
    { what: 'two Cookie lines in two cases', raw: `GET /a HTTP/1.1\r\n${H}Cookie: a=1\r\ncookie: b=2\r\n\r\n`, reason: 'duplicate cookie' },
    { what: 'a name one byte longer than a lane field', raw: `GET /a HTTP/1.1\r\n${H}Hosts: x\r\n\r\n`, reason: 'field hosts' },
    { what: 'a name one byte shorter than a lane field', raw: `GET /a HTTP/1.1\r\n${H}Cooki: x\r\n\r\n`, reason: 'field cooki' },
    { what: 'a lane field name with its last byte changed', raw: `GET /a HTTP/1.1\r\n${H}Pragmo: x\r\n\r\n`, reason: 'field pragmo' },
    {
      what: 'more lines than maxHeaderCount',
      raw: `GET /a HTTP/1.1\r\n${H}Accept: a\r\nReferer: r\r\nPragma: p\r\nCookie: c\r\n\r\n`,
      reason: 'header count',
    },
    { what: 'more bytes than maxRequestBytes', raw: `GET /a HTTP/1.1\r\n${H}Referer: ${'r'.repeat(250)}\r\n\r\n`, reason: 'request size' },
  ];
  for (const r of rows) {
    it(r.what, () => {
      const got = parse(r.raw);
      expect(got.kind).toBe('handoff');
      expect(got).toMatchObject({ reason: r.reason });
    });
  }

  it('every proper prefix of a valid head is incomplete (never a request, never a wrong reason)', () => {
    const raw = Buffer.from(`GET /a?b HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n`);
    for (let n = 0; n < raw.length; n++)
      expect(parseLaneHead(raw.subarray(0, n), 0, LIMITS)).toEqual({ kind: 'handoff', reason: 'incomplete head' });
    expect(parseLaneHead(raw, 0, LIMITS).kind).toBe('request');
  });
});

describe('laneShaped (a request node:http parsed) and the memo key', () => {
  const rows: { raw: string[]; version: string; want: boolean }[] = [
    { raw: ['Host', 'a'], version: '1.1', want: true },
    { raw: ['Host', 'a', 'Accept-Encoding', 'gzip', 'Connection', 'keep-alive'], version: '1.1', want: true },
    { raw: ['Host', 'a'], version: '1.0', want: false },
    { raw: [], version: '1.1', want: false },
    { raw: ['Host', 'a', 'Connection', 'close'], version: '1.1', want: false },
    { raw: ['Host', 'a', 'host', 'b'], version: '1.1', want: false },
    { raw: ['Host', 'a', 'X-Variant', '1'], version: '1.1', want: false },
    { raw: ['Host', 'a', 'Range', 'bytes=0-1'], version: '1.1', want: false },
  ];
  for (const r of rows)
    it(`${JSON.stringify(r.raw)} HTTP/${r.version} → ${r.want}`, () => expect(laneShaped(r.raw, r.version)).toBe(r.want));

  it('keys apart what the answer depends on: method, Host, target, Accept-Encoding, Cookie (absent ≠ empty)', () => {
    const keys = [
      memoKeyOf('GET', 'a', '/x', undefined, undefined),
      memoKeyOf('HEAD', 'a', '/x', undefined, undefined),
      memoKeyOf('GET', 'b', '/x', undefined, undefined),
      memoKeyOf('GET', 'a', '/x?', undefined, undefined),
      memoKeyOf('GET', 'a', '/x', '', undefined),
      memoKeyOf('GET', 'a', '/x', 'gzip', undefined),
      memoKeyOf('GET', 'a', '/x', undefined, ''),
      memoKeyOf('GET', 'a', '/x', undefined, 'a=1'),
      memoKeyOf('GET', 'a', '/x', undefined, 'a=2'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
