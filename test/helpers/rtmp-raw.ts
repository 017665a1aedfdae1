// A hand-rolled RTMP client for bad-input tests: it sends exactly the bytes a test wants
// (handshakes cut short, absurd chunk sizes and message lengths, malformed AMF commands, odd
// stream names) where a real encoder would refuse or normalise them. Not a player: it never
// decodes media.
import net from 'node:net';

export const HANDSHAKE_SIZE = 1536;

/** AMF0 values this client can encode. */
export type Amf0 = number | string | boolean | null | undefined | Amf0[] | { [k: string]: Amf0 };

/** AMF0 encoding of one value (numbers, strings incl. long strings, booleans, null, strict arrays, objects). */
export function amf0(value: Amf0): Buffer {
  if (typeof value === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0x00;
    b.writeDoubleBE(value, 1);
    return b;
  }
  if (typeof value === 'boolean') return Buffer.from([0x01, value ? 1 : 0]);
  if (typeof value === 'string') {
    const s = Buffer.from(value, 'utf8');
    if (s.length <= 0xffff) {
      const h = Buffer.alloc(3);
      h[0] = 0x02;
      h.writeUInt16BE(s.length, 1);
      return Buffer.concat([h, s]);
    }
    const h = Buffer.alloc(5);
    h[0] = 0x0c; // long string
    h.writeUInt32BE(s.length, 1);
    return Buffer.concat([h, s]);
  }
  if (value === null) return Buffer.from([0x05]);
  if (value === undefined) return Buffer.from([0x06]);
  if (Array.isArray(value)) {
    const h = Buffer.alloc(5);
    h[0] = 0x0a; // strict array
    h.writeUInt32BE(value.length, 1);
    return Buffer.concat([h, ...value.map(amf0)]);
  }
  const parts: Buffer[] = [Buffer.from([0x03])];
  for (const [k, v] of Object.entries(value)) {
    const key = Buffer.from(k, 'utf8');
    const kl = Buffer.alloc(2);
    kl.writeUInt16BE(key.length);
    parts.push(kl, key, amf0(v));
  }
  parts.push(Buffer.from([0x00, 0x00, 0x09]));
  return Buffer.concat(parts);
}

export function amf0Command(...values: Amf0[]): Buffer {
  return Buffer.concat(values.map(amf0));
}

export const MSG = {
  setChunkSize: 1,
  abort: 2,
  ack: 3,
  userControl: 4,
  windowAck: 5,
  peerBandwidth: 6,
  audio: 8,
  video: 9,
  data: 18,
  command: 20,
} as const;

/**
 * One RTMP message as chunks: a type-0 header on chunk stream `csid` (2–63), then type-3
 * continuation headers every `chunkSize` bytes. `declaredLength` lets a test lie about the length.
 */
export function chunkMessage(opts: {
  csid: number;
  type: number;
  streamId?: number;
  payload: Buffer;
  chunkSize?: number;
  declaredLength?: number;
  timestamp?: number;
}): Buffer {
  const { csid, type, payload } = opts;
  const chunkSize = opts.chunkSize ?? 128;
  if (csid < 2 || csid > 63) throw new Error('csid 2..63 only');
  const header = Buffer.alloc(12);
  header[0] = csid; // fmt 0
  header.writeUIntBE(Math.min(opts.timestamp ?? 0, 0xfffffe), 1, 3);
  header.writeUIntBE(opts.declaredLength ?? payload.length, 4, 3);
  header[7] = type;
  header.writeUInt32LE(opts.streamId ?? 0, 8);
  const parts: Buffer[] = [header];
  for (let off = 0; off < payload.length; off += chunkSize) {
    if (off > 0) parts.push(Buffer.from([0xc0 | csid]));
    parts.push(payload.subarray(off, off + chunkSize));
  }
  return Buffer.concat(parts);
}

/** The basic header of a chunk: fmt and any chunk stream id (2–65599, one, two or three bytes). */
export function basicHeader(fmt: number, csid: number): Buffer {
  if (csid >= 2 && csid <= 63) return Buffer.from([(fmt << 6) | csid]);
  if (csid >= 64 && csid <= 319) return Buffer.from([fmt << 6, csid - 64]);
  if (csid >= 64 && csid <= 65599) return Buffer.from([(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8]);
  throw new Error(`csid ${csid} out of range`);
}

/**
 * One chunk with any header type (0–3): the fields that type carries, an extended timestamp when
 * the timestamp is 0xffffff or more (or `extended` for a type-3 continuation), then `data` as is.
 */
export function chunk(
  fmt: 0 | 1 | 2 | 3,
  csid: number,
  f: { timestamp?: number; length?: number; type?: number; streamId?: number; extended?: number },
  data: Buffer,
): Buffer {
  const ts = f.timestamp ?? 0;
  const ext = ts >= 0xffffff;
  const mh = Buffer.alloc([11, 7, 3, 0][fmt]!);
  if (fmt <= 2) mh.writeUIntBE(ext ? 0xffffff : ts, 0, 3);
  if (fmt <= 1) {
    mh.writeUIntBE(f.length ?? data.length, 3, 3);
    mh[6] = f.type ?? 0;
  }
  if (fmt === 0) mh.writeUInt32LE(f.streamId ?? 0, 7);
  const parts = [basicHeader(fmt, csid), mh];
  if (fmt <= 2 && ext) {
    const e = Buffer.alloc(4);
    e.writeUInt32BE(ts >>> 0);
    parts.push(e);
  } else if (fmt === 3 && f.extended !== undefined) {
    const e = Buffer.alloc(4);
    e.writeUInt32BE(f.extended >>> 0);
    parts.push(e);
  }
  parts.push(data);
  return Buffer.concat(parts);
}

export function setChunkSizeMessage(size: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(size >>> 0);
  return chunkMessage({ csid: 2, type: MSG.setChunkSize, payload: p });
}

export function connectCommand(app: string, tcUrl: string | undefined, extra: Record<string, Amf0> = {}): Buffer {
  const obj: Record<string, Amf0> = { app, flashVer: 'FMLE/3.0 (compatible; streamfront-test)', type: 'nonprivate', ...extra };
  if (tcUrl !== undefined) obj.tcUrl = tcUrl;
  return chunkMessage({ csid: 3, type: MSG.command, payload: amf0Command('connect', 1, obj) });
}

export function createStreamCommand(): Buffer {
  return chunkMessage({ csid: 3, type: MSG.command, payload: amf0Command('createStream', 2, null) });
}

/** `publish` on message stream 1 (what createStream returns on NMS). Big names use 4 KiB chunks. */
export function publishCommand(name: Amf0, chunkSize = 128): Buffer {
  return chunkMessage({ csid: 8, type: MSG.command, streamId: 1, payload: amf0Command('publish', 5, null, name, 'live'), chunkSize });
}

export function playCommand(name: Amf0, chunkSize = 128): Buffer {
  return chunkMessage({ csid: 8, type: MSG.command, streamId: 1, payload: amf0Command('play', 5, null, name), chunkSize });
}

export interface RawConn {
  socket: net.Socket;
  /** Every byte received so far. */
  received(): Buffer;
  /** Resolves when the peer closed (or errored); `true` when it did within `ms`. */
  closedWithin(ms: number): Promise<boolean>;
  /** Resolves once at least `n` bytes arrived (rejects on close/timeout). */
  readAtLeast(n: number, ms?: number): Promise<Buffer>;
  write(b: Buffer): Promise<void>;
  destroy(): void;
}

export function rawConnect(port: number, host = '127.0.0.1'): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const chunks: Buffer[] = [];
    let total = 0;
    let closed = false;
    const waiters: Array<() => void> = [];
    const wake = (): void => {
      for (const w of waiters.splice(0)) w();
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      total += d.length;
      wake();
    });
    socket.on('close', () => {
      closed = true;
      wake();
    });
    socket.on('error', () => {
      /* the server may reset us: that is an allowed outcome */
    });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve({
        socket,
        received: () => Buffer.concat(chunks),
        closedWithin: (ms) =>
          new Promise((res) => {
            if (closed) return res(true);
            const t = setTimeout(() => res(closed), ms);
            const check = (): void => {
              if (closed) {
                clearTimeout(t);
                res(true);
              } else waiters.push(check);
            };
            waiters.push(check);
          }),
        readAtLeast: (n, ms = 5000) =>
          new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`timed out waiting for ${n} bytes (got ${total})`)), ms);
            const check = (): void => {
              if (total >= n) {
                clearTimeout(t);
                res(Buffer.concat(chunks));
              } else if (closed) {
                clearTimeout(t);
                rej(new Error(`connection closed after ${total} of ${n} bytes`));
              } else waiters.push(check);
            };
            check();
          }),
        write: (b) =>
          new Promise((res) => {
            if (closed || socket.destroyed) return res();
            socket.write(b, () => res());
          }),
        destroy: () => socket.destroy(),
      });
    });
    socket.once('error', reject);
  });
}

/** Plain (non-digest) handshake: C0+C1, read S0+S1+S2, send C2 = S1. */
export async function handshake(conn: RawConn): Promise<void> {
  const c1 = Buffer.alloc(HANDSHAKE_SIZE);
  for (let i = 8; i < HANDSHAKE_SIZE; i++) c1[i] = (i * 7) & 0xff;
  await conn.write(Buffer.concat([Buffer.from([0x03]), c1]));
  const got = await conn.readAtLeast(1 + 2 * HANDSHAKE_SIZE);
  const s1 = got.subarray(1, 1 + HANDSHAKE_SIZE);
  await conn.write(Buffer.from(s1));
}

/** Connects, shakes hands, sends `connect` to `app` with a well-formed tcUrl. */
export async function connectedSession(port: number, app = 'live'): Promise<RawConn> {
  const conn = await rawConnect(port);
  await handshake(conn);
  await conn.write(connectCommand(app, `rtmp://127.0.0.1:${port}/${app}`));
  await conn.write(createStreamCommand());
  return conn;
}

/** One FLV tag: 8 audio, 9 video, 18 script data. */
export interface FlvTag {
  type: number;
  timestamp: number;
  data: Buffer;
}

/** The tags of an FLV file (header and back-pointers skipped). */
export function flvTags(flv: Buffer, max = Infinity): FlvTag[] {
  if (flv.subarray(0, 3).toString('latin1') !== 'FLV') throw new Error('not an FLV file');
  const tags: FlvTag[] = [];
  let p = flv.readUInt32BE(5) + 4;
  while (p + 11 <= flv.length && tags.length < max) {
    const type = flv[p]! & 0x1f;
    const size = flv.readUIntBE(p + 1, 3);
    const timestamp = flv.readUIntBE(p + 4, 3) | (flv[p + 7]! << 24);
    if (p + 11 + size > flv.length) break;
    tags.push({ type, timestamp, data: Buffer.from(flv.subarray(p + 11, p + 11 + size)) });
    p += 11 + size + 4;
  }
  return tags;
}

/**
 * FLV tags as the RTMP messages a publisher sends (metadata, sequence headers, frames), on
 * message stream `streamId`: what a session that only plays would send to inject media.
 */
export function mediaMessages(tags: readonly FlvTag[], streamId = 1, chunkSize = 128): Buffer {
  return Buffer.concat(
    tags.map((t) =>
      chunkMessage({
        csid: t.type === 8 ? 4 : t.type === 9 ? 6 : 5,
        type: t.type,
        streamId,
        payload: t.data,
        timestamp: t.timestamp,
        chunkSize,
      }),
    ),
  );
}

/** A session that connected and issued `play` for `name` on `app`; resolves once the server answered. */
export async function playingSession(port: number, app: string, name: string): Promise<RawConn> {
  const conn = await connectedSession(port, app);
  const before = conn.received().length;
  await conn.write(playCommand(name));
  await conn.readAtLeast(before + 1, 5000).catch(() => undefined);
  return conn;
}
