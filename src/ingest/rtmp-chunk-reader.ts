// Pure: the RTMP chunk stream layer (Adobe's RTMP 1.0 specification, "chunking"), read under limits. node-media-server's own
// reader allocates each message's declared length (up to 16 MiB) per chunk stream as soon as a
// header arrives, and accepts any chunk size and any number of chunk streams, so a few KiB of
// headers can reserve gigabytes. This reader keeps what has really arrived, refuses a declared
// length, chunk size or chunk stream count over its caps, and bounds the bytes held in
// unfinished messages per connection.
import { fail, ok, type Result } from '../result.js';

export interface ChunkLimits {
  /** Largest declared message length accepted. */
  maxMessageBytes: number;
  /** Largest chunk size a client may set (Set Chunk Size). */
  maxChunkSize: number;
  /** Distinct chunk stream ids one connection may use. */
  maxChunkStreams: number;
}

/** One complete message, with the fields node-media-server's handlers read. */
export interface ChunkMessage {
  fmt: number;
  csid: number;
  type: number;
  streamId: number;
  /** The timestamp field of the last header (a delta for fmt 1–3), as NMS keeps it. */
  timestamp: number;
  /** The message's absolute timestamp. */
  clock: number;
  payload: Buffer;
}

export type ChunkErrorCode = 'message-too-long' | 'chunk-size' | 'chunk-streams' | 'buffered-bytes' | 'protocol' | 'not-admitted';

/**
 * Asked when a message starts, before any of its payload is kept: `keep` it, `discard` its bytes
 * as they arrive (a type nobody reads), or refuse it (the reason ends the connection).
 */
export type MessageAdmission = (header: { csid: number; type: number; length: number }) => Result<'keep' | 'discard'>;

const SET_CHUNK_SIZE = 1;
const ABORT = 2;
/** The RTMP specification allows chunk sizes 1..0x7fffffff; we also refuse tiny ones (a header per few bytes). */
const MIN_CHUNK_SIZE = 128;
const DEFAULT_CHUNK_SIZE = 128;
const HEADER_SIZES = [11, 7, 3, 0];

interface StreamState {
  csid: number;
  fmt: number;
  timestamp: number;
  length: number;
  type: number;
  streamId: number;
  clock: number;
  /** The header carried an extended timestamp (so do its type-3 continuations). */
  extended: boolean;
  /** The payload received so far of the message in progress. */
  parts: Buffer[];
  received: number;
  /** The message in progress is read and thrown away. */
  discard: boolean;
}

/**
 * Feeds bytes of one connection (after the handshake) and hands out complete messages.
 * After an error it refuses everything: the caller disconnects.
 */
export class ChunkReader {
  readonly #limits: ChunkLimits;
  readonly #streams = new Map<number, StreamState>();
  /** Bytes of a chunk header being assembled (at most 3 + 11 + 4). */
  #header = Buffer.alloc(18);
  #headerBytes = 0;
  /** The chunk stream whose payload bytes are arriving now, and how many of this chunk remain. */
  #current: StreamState | undefined;
  #chunkLeft = 0;
  #chunkSize = DEFAULT_CHUNK_SIZE;
  #buffered = 0;
  #error: Result<never, ChunkErrorCode> | undefined;
  readonly #admit: MessageAdmission;

  constructor(limits: ChunkLimits, admit: MessageAdmission = () => ok('keep')) {
    this.#limits = { ...limits };
    this.#admit = admit;
  }

  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** Bytes held in unfinished messages. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  get chunkStreams(): number {
    return this.#streams.size;
  }

  /** Reads `data`; `onMessage` gets each complete message in order. Stops at the first limit or protocol error. */
  push(data: Buffer, onMessage: (m: ChunkMessage) => void): Result<undefined, ChunkErrorCode> {
    if (this.#error) return this.#error;
    let p = 0;
    while (p < data.length) {
      if (this.#current) {
        const n = Math.min(this.#chunkLeft, data.length - p);
        const s = this.#current;
        if (!s.discard) {
          s.parts.push(Buffer.from(data.subarray(p, p + n))); // a copy: do not pin the socket's read buffer
          this.#buffered += n;
        }
        s.received += n;
        this.#chunkLeft -= n;
        p += n;
        if (this.#chunkLeft === 0) {
          this.#current = undefined;
          if (s.received === s.length) {
            const r = this.#complete(s, onMessage);
            if (!r.ok) return r;
          }
        }
        continue;
      }
      const b = data[p++]!;
      this.#header[this.#headerBytes++] = b;
      const need = this.#headerLength();
      if (need === undefined || this.#headerBytes < need) continue;
      const r = this.#startChunk();
      if (!r.ok) return r;
      this.#headerBytes = 0;
    }
    return ok();
  }

  /** Total header length once enough of it is known; undefined while the basic header is incomplete. */
  #headerLength(): number | undefined {
    const h = this.#header;
    const low = h[0]! & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    if (this.#headerBytes < basic) return undefined;
    const fmt = h[0]! >> 6;
    const base = basic + HEADER_SIZES[fmt]!;
    if (this.#headerBytes < base) return base;
    // Extended timestamp: a 0xffffff field, or for type 3 whatever the stream's last header said.
    let extended: boolean;
    if (fmt === 3) {
      extended = this.#streams.get(this.#csid(basic))?.extended ?? false;
    } else {
      extended = h.readUIntBE(basic, 3) === 0xffffff;
    }
    return extended ? base + 4 : base;
  }

  #csid(basic: number): number {
    const h = this.#header;
    if (basic === 2) return 64 + h[1]!;
    if (basic === 3) return 64 + h[1]! + h[2]! * 256;
    return h[0]! & 0x3f;
  }

  #startChunk(): Result<undefined, ChunkErrorCode> {
    const h = this.#header;
    const low = h[0]! & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const fmt = h[0]! >> 6;
    const csid = this.#csid(basic);
    let s = this.#streams.get(csid);
    if (!s) {
      if (fmt !== 0 && fmt !== 1) return this.#fail('protocol', `chunk stream ${csid} starts without a message header (type ${fmt})`);
      if (this.#streams.size >= this.#limits.maxChunkStreams) {
        return this.#fail('chunk-streams', `more than ${this.#limits.maxChunkStreams} chunk streams on one connection`);
      }
      s = { csid, fmt, timestamp: 0, length: 0, type: 0, streamId: 0, clock: 0, extended: false, parts: [], received: 0, discard: false };
      this.#streams.set(csid, s);
    }
    const starting = s.received === 0;
    if (!starting && fmt !== 3) {
      // A message's continuation chunks are type 3 (RTMP specification, chunk message header). A new header mid-message
      // discards the unfinished one (what librtmp does) rather than mixing two messages.
      if (!s.discard) this.#buffered -= s.received;
      s.parts = [];
      s.received = 0;
      s.discard = false;
    }
    let off = basic;
    if (fmt <= 2) {
      s.timestamp = h.readUIntBE(off, 3);
      off += 3;
    }
    if (fmt <= 1) {
      const length = h.readUIntBE(off, 3);
      if (length > this.#limits.maxMessageBytes) {
        return this.#fail('message-too-long', `declared message length ${length} over the cap of ${this.#limits.maxMessageBytes} bytes`);
      }
      s.length = length;
      s.type = h[off + 3]!;
      off += 4;
    }
    if (fmt === 0) {
      s.streamId = h.readUInt32LE(off);
      off += 4;
    }
    if (fmt !== 3) s.extended = s.timestamp === 0xffffff;
    s.fmt = fmt;
    const fresh = s.received === 0;
    if (fresh) {
      const field = s.extended ? h.readUInt32BE(off) : s.timestamp;
      // fmt 0 carries the absolute time; 1 and 2 a delta; a type-3 start repeats the last delta.
      s.clock = fmt === 0 ? field : s.clock + field;
      if (s.length === 0) {
        // An empty message carries nothing NMS could use (its handlers would read past the end): skip it.
        return ok();
      }
      const admitted = this.#admit({ csid: s.csid, type: s.type, length: s.length });
      if (!admitted.ok) return this.#fail('not-admitted', admitted.reason);
      s.discard = admitted.value === 'discard';
    }
    // Bound what one connection holds in unfinished messages: one full message and a second one
    // interleaved with it (audio between the chunks of a key frame).
    const left = s.length - s.received;
    const chunk = Math.min(this.#chunkSize, left);
    if (!s.discard && this.#buffered + chunk > 2 * this.#limits.maxMessageBytes) {
      return this.#fail('buffered-bytes', `unfinished messages on one connection over ${2 * this.#limits.maxMessageBytes} bytes`);
    }
    this.#current = s;
    this.#chunkLeft = chunk;
    return ok();
  }

  #complete(s: StreamState, onMessage: (m: ChunkMessage) => void): Result<undefined, ChunkErrorCode> {
    if (s.discard) {
      s.received = 0;
      s.discard = false;
      return ok();
    }
    const payload = s.parts.length === 1 ? s.parts[0]! : Buffer.concat(s.parts, s.received);
    this.#buffered -= s.received;
    s.parts = [];
    s.received = 0;
    if (s.type === SET_CHUNK_SIZE) {
      if (payload.length < 4) return this.#fail('protocol', 'Set Chunk Size without a size');
      const size = payload.readUInt32BE(0);
      if (size < MIN_CHUNK_SIZE || size > this.#limits.maxChunkSize) {
        return this.#fail('chunk-size', `chunk size ${size} outside ${MIN_CHUNK_SIZE}..${this.#limits.maxChunkSize}`);
      }
      this.#chunkSize = size;
    } else if (s.type === ABORT && payload.length >= 4) {
      const aborted = this.#streams.get(payload.readUInt32BE(0));
      if (aborted && aborted !== this.#current) {
        if (!aborted.discard) this.#buffered -= aborted.received;
        aborted.discard = false;
        aborted.parts = [];
        aborted.received = 0;
      }
    }
    onMessage({ fmt: s.fmt, csid: s.csid, type: s.type, streamId: s.streamId, timestamp: s.timestamp, clock: s.clock, payload });
    return ok();
  }

  #fail(code: ChunkErrorCode, reason: string): Result<never, ChunkErrorCode> {
    this.#error = fail(reason, code) as Result<never, ChunkErrorCode>;
    return this.#error;
  }
}
