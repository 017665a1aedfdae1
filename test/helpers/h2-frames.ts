// A bare HTTP/2 client over TLS that writes frames byte by byte (RFC 9113 §4, HPACK RFC 7541
// literals and indexed fields, no Huffman): the requests real clients refuse to send, such as
// connection-specific fields, more streams than the server allows, or a header block that HPACK
// indexing makes small on the wire and huge once decoded. It reads back frame types only.
import tls from 'node:tls';

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
export const H2_ERROR = { NO_ERROR: 0, PROTOCOL_ERROR: 1, REFUSED_STREAM: 7, CANCEL: 8, ENHANCE_YOUR_CALM: 11 } as const;

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the pattern bits above the prefix. */
function hpackInt(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

const str = (s: string) => Buffer.concat([hpackInt(Buffer.byteLength(s), 7, 0), Buffer.from(s)]);

/** A literal field without indexing, new name (RFC 7541 §6.2.2). */
export const literal = (name: string, value: string) => Buffer.concat([Buffer.from([0]), str(name), str(value)]);
/** A literal field with incremental indexing, new name (§6.2.1): it becomes dynamic entry 62. */
export const indexedLiteral = (name: string, value: string) => Buffer.concat([Buffer.from([0x40]), str(name), str(value)]);
/** An indexed field (§6.1). */
export const indexed = (index: number) => hpackInt(index, 7, 0x80);

export interface RawH2 {
  frames: Frame[];
  send(buf: Buffer): void;
  /** HEADERS with END_HEADERS (and END_STREAM unless `open`) for a GET of `path`, extra header block bytes appended. */
  get(stream: number, path: string, extra?: Buffer[], open?: boolean): void;
  /** Resolves when `pred` holds for the frames read so far, or after `ms`. */
  until(pred: (frames: Frame[]) => boolean, ms: number): Promise<void>;
  closed: Promise<void>;
  close(): void;
}

export function connectRawH2(port: number, authority: string): Promise<RawH2> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false, servername: 'localhost' });
    const frames: Frame[] = [];
    let buf = Buffer.alloc(0);
    const waiters = new Set<() => void>();
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const f = { type: buf[3]!, flags: buf[4]!, stream: buf.readUInt32BE(5) & 0x7fffffff, payload: buf.subarray(9, 9 + len) };
        buf = buf.subarray(9 + len);
        frames.push(f);
        if (f.type === FRAME.SETTINGS && !(f.flags & 1)) socket.write(frame(FRAME.SETTINGS, 1, 0));
      }
      for (const w of waiters) w();
    });
    socket.on('error', () => {});
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') return reject(new Error(`ALPN gave ${String(socket.alpnProtocol)}`));
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(FRAME.SETTINGS, 0, 0)]));
      resolve({
        frames,
        closed,
        send: (b) => void socket.write(b),
        get(stream, path, extra = [], open = false) {
          const block = Buffer.concat([
            literal(':method', 'GET'),
            literal(':scheme', 'https'),
            literal(':path', path),
            literal(':authority', authority),
            ...extra,
          ]);
          socket.write(frame(FRAME.HEADERS, 0x4 | (open ? 0 : 0x1), stream, block));
        },
        until(pred, ms) {
          return new Promise<void>((done) => {
            const timer = setTimeout(finish, ms);
            function finish() {
              clearTimeout(timer);
              waiters.delete(check);
              done();
            }
            function check() {
              if (pred(frames)) finish();
            }
            waiters.add(check);
            socket.once('close', finish);
            check();
          });
        },
        close: () => socket.destroy(),
      });
    });
    socket.once('error', reject);
  });
}

/** The error code of the RST_STREAM the server sent for `stream`, if any. */
export function resetCode(frames: readonly Frame[], stream: number): number | undefined {
  const f = frames.find((x) => x.type === FRAME.RST_STREAM && x.stream === stream);
  return f ? f.payload.readUInt32BE(0) : undefined;
}

/** Whether the server answered `stream` with a HEADERS frame. */
export function answered(frames: readonly Frame[], stream: number): boolean {
  return frames.some((x) => x.type === FRAME.HEADERS && x.stream === stream);
}

/**
 * The :status of the server's HEADERS for `stream`, when the encoder sent it as a static-table
 * entry (200, 204, 206, 304, 400, 404, 500) or as a literal with an indexed name and a plain
 * (not Huffman-coded) value, as node:http2 does for the others; undefined otherwise.
 */
export function statusOf(frames: readonly Frame[], stream: number): number | undefined {
  const f = frames.find((x) => x.type === FRAME.HEADERS && x.stream === stream);
  if (!f) return undefined;
  const STATIC: Record<number, number> = { 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 };
  const first = f.payload[0]!;
  if (STATIC[first] !== undefined) return STATIC[first];
  // Literal (with, without or never indexing) whose name is static entry 8, :status.
  if (first === 0x48 || first === 0x08 || first === 0x18) {
    const len = f.payload[1]!;
    if (len & 0x80) return undefined; // Huffman-coded
    return Number(f.payload.subarray(2, 2 + len).toString('latin1'));
  }
  return undefined;
}
