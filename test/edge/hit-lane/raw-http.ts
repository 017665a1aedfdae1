// Raw HTTP/1.1 over net sockets for the hit lane's tests: send exact bytes, read back every
// response the server writes (framed by Content-Length, HEAD answers bodiless) until the
// connection closes or a quiet period passes (or, with `end`, until the server closes after the
// client half-closed).
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** [name, value] in the order written. */
  headers: [string, string][];
  body: Buffer;
}

export interface RawExchange {
  responses: RawResponse[];
  /** Bytes after the last complete response (none for a well-framed exchange). */
  trailing: Buffer;
  closed: boolean;
}

/** Sends each part in turn (waiting `gapMs` between them) and collects what comes back. */
export async function rawExchange(
  port: number,
  parts: (string | Buffer)[],
  opts: { heads?: boolean[]; quietMs?: number; gapMs?: number; maxMs?: number; count?: number; end?: boolean } = {},
): Promise<RawExchange> {
  // With `count`, the exchange is over once that many responses are in (and a short quiet after
  // them, to catch anything extra); without, once nothing has come for quietMs.
  const quietMs = opts.quietMs ?? (opts.count === undefined ? 400 : 40);
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let closed = false;
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const done = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(resolve, quietMs);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.count === undefined || parseResponses(Buffer.concat(chunks), opts.heads ?? []).responses.length >= opts.count) arm();
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
    setTimeout(resolve, opts.maxMs ?? 10_000).unref();
    if (opts.count === undefined) arm();
  });
  for (let i = 0; i < parts.length; i++) {
    if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
    socket.write(parts[i]!);
  }
  // `end`: half-close after the last part, as a client with nothing more to send; the server
  // answers what it has and closes, so the exchange ends without waiting out a quiet period.
  if (opts.end) socket.end();
  await done;
  socket.destroy();
  const { responses, trailing } = parseResponses(Buffer.concat(chunks), opts.heads ?? []);
  return { responses, trailing, closed };
}

/** Splits a byte stream into responses; `heads[i]` marks the i-th as an answer to HEAD (no body). */
export function parseResponses(all: Buffer, heads: boolean[]): { responses: RawResponse[]; trailing: Buffer } {
  const responses: RawResponse[] = [];
  let p = 0;
  while (p < all.length) {
    const end = all.indexOf('\r\n\r\n', p);
    if (end < 0) break;
    const lines = all.toString('latin1', p, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers = lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
    });
    const cl = headers.find(([n]) => n.toLowerCase() === 'content-length');
    const isHead = heads[responses.length] === true;
    const n = isHead || status === 304 || !cl ? 0 : Number(cl[1]);
    if (end + 4 + n > all.length) break;
    responses.push({ status, headers, body: all.subarray(end + 4, end + 4 + n) });
    p = end + 4 + n;
  }
  return { responses, trailing: all.subarray(p) };
}

/** Header values that differ per answer or per edge process by design. */
const VARYING = new Set(['date', 'x-amz-cf-id', 'age', 'via', 'x-amz-request-id', 'x-amzn-requestid']);

/** A response with the varying values masked, for comparing two edges' answers. */
export function comparable(r: RawResponse): { status: number; headers: string[]; body: string } {
  return {
    status: r.status,
    headers: r.headers.map(([n, v]) => `${n}: ${VARYING.has(n.toLowerCase()) ? '*' : v}`),
    body: r.body.toString('latin1').replace(/<RequestId>[^<]*<\/RequestId>/g, '<RequestId>*</RequestId>'),
  };
}
