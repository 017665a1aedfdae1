// The header block built once per stored object (table): what it holds, and when there is none
// (the lane then leaves the hit to node:http, whose writeHead would refuse or rewrite it). Pure.
import { describe, expect, it } from 'vitest';
import { headBlockOf } from '../../../src/edge/hit-lane/head-block.js';

const CL = ['Content-Length', '5'];

describe('headBlockOf', () => {
  it('the status line and one line per hit header, as node:http writes them, then the X-Cache line and the Age name', () => {
    const b = headBlockOf(200, false, ['Content-Type', 'text/plain', 'Via', '1.1 x.cloudfront.net (CloudFront)', ...CL]);
    expect({ ...b, prefix: b?.prefix.toString('latin1') }).toEqual({
      prefix:
        'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nVia: 1.1 x.cloudfront.net (CloudFront)\r\nContent-Length: 5\r\n' +
        'X-Cache: Hit from cloudfront\r\nAge: ',
      hasDate: false,
      contentType: 'text/plain',
      contentLength: 5,
    });
  });

  it("the prefix is a buffer of its own (a slice of Node's shared pool would keep the whole pool alive)", () => {
    const b = headBlockOf(200, false, CL)!;
    expect(b.prefix.byteOffset).toBe(0);
    expect(b.prefix.buffer.byteLength).toBe(b.prefix.length);
  });

  it('notes a stored Date (node:http then adds none); Latin-1 values are kept', () => {
    const b = headBlockOf(200, false, ['Date', 'Tue, 01 Dec 2026 00:00:00 GMT', 'X-Name', 'caf\u00e9', ...CL]);
    expect(b?.hasDate).toBe(true);
    // One byte per character: é is 0xE9 on the wire, as node:http writes a Latin-1 header value.
    expect(b?.prefix.includes(Buffer.from('X-Name: caf\xe9\r\n', 'latin1'))).toBe(true);
    expect(b?.prefix.includes(Buffer.from('X-Name: caf\u00e9\r\n', 'utf8'))).toBe(false);
  });

  const none: { what: string; status?: number; isError?: boolean; headers: string[] }[] = [
    { what: 'a status other than 200', status: 203, headers: CL },
    { what: 'a cached error', status: 200, isError: true, headers: CL },
    { what: 'no Content-Length', headers: ['Content-Type', 'x'] },
    { what: 'two Content-Length', headers: [...CL, ...CL] },
    { what: 'a non-numeric Content-Length', headers: ['Content-Length', '5x'] },
    { what: 'CR LF in a value (header injection)', headers: ['X-A', 'a\r\nSet-Cookie: x=1', ...CL] },
    { what: 'a NUL in a value', headers: ['X-A', 'a\u0000', ...CL] },
    { what: 'a character beyond Latin-1', headers: ['X-A', '\u20ac', ...CL] },
    { what: 'a name that is not a token', headers: ['X A', 'b', ...CL] },
    { what: 'Connection', headers: ['Connection', 'close', ...CL] },
    { what: 'Transfer-Encoding', headers: ['Transfer-Encoding', 'chunked', ...CL] },
    { what: 'Keep-Alive', headers: ['Keep-Alive', 'timeout=1', ...CL] },
  ];
  for (const n of none) {
    it(`none for ${n.what}`, () => expect(headBlockOf(n.status ?? 200, n.isError ?? false, n.headers)).toBeUndefined());
  }
});
