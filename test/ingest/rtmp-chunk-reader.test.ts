// The bounded RTMP chunk reader (src/ingest/rtmp-chunk-reader.ts): messages out of every header
// form, fed in every split, and each limit refusing with its code.
import { describe, expect, it } from 'vitest';
import { ChunkReader, type ChunkLimits, type ChunkMessage, type MessageAdmission } from '../../src/ingest/rtmp-chunk-reader.js';
import { chunk, chunkMessage, MSG, setChunkSizeMessage } from '../helpers/rtmp-raw.js';
import { createRandom } from '../helpers/random.js';

const LIMITS: ChunkLimits = { maxMessageBytes: 1 << 20, maxChunkSize: 65536, maxChunkStreams: 16 };
const rnd = createRandom();

function readAll(bytes: Buffer, limits = LIMITS, splits: 'one' | 'bytes' | 'random' = 'one') {
  const r = new ChunkReader(limits);
  const got: ChunkMessage[] = [];
  let result = r.push(Buffer.alloc(0), () => {});
  const pieces: Buffer[] = [];
  if (splits === 'one') pieces.push(bytes);
  else if (splits === 'bytes') for (let i = 0; i < bytes.length; i++) pieces.push(bytes.subarray(i, i + 1));
  else
    for (let i = 0; i < bytes.length;) {
      const n = rnd.int(1, 300);
      pieces.push(bytes.subarray(i, i + n));
      i += n;
    }
  for (const p of pieces) {
    result = r.push(p, (m) => got.push(m));
    if (!result.ok) break;
  }
  return { reader: r, got, result };
}

const payload = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 7) & 0xff));

describe('ChunkReader: messages', () => {
  const big = payload(1000, 3);
  const cases: { name: string; bytes: () => Buffer; want: Partial<ChunkMessage>[] }[] = [
    {
      name: 'one command in one chunk',
      bytes: () => chunkMessage({ csid: 3, type: MSG.command, payload: payload(50), timestamp: 5 }),
      want: [{ csid: 3, type: MSG.command, streamId: 0, clock: 5, payload: payload(50) }],
    },
    {
      name: 'a message over many 128-byte chunks',
      bytes: () => chunkMessage({ csid: 6, type: MSG.video, streamId: 1, payload: big, timestamp: 40 }),
      want: [{ csid: 6, type: MSG.video, streamId: 1, clock: 40, payload: big }],
    },
    {
      name: 'Set Chunk Size applies to the next message',
      bytes: () =>
        Buffer.concat([
          setChunkSizeMessage(4096),
          chunkMessage({ csid: 6, type: MSG.video, streamId: 1, payload: payload(9000), chunkSize: 4096 }),
        ]),
      want: [{ type: MSG.setChunkSize }, { type: MSG.video, payload: payload(9000) }],
    },
    {
      name: 'audio interleaved between the chunks of a video message',
      bytes: () => {
        const v = payload(300, 5);
        return Buffer.concat([
          chunk(0, 6, { timestamp: 100, length: 300, type: MSG.video, streamId: 1 }, v.subarray(0, 128)),
          chunk(0, 4, { timestamp: 90, length: 10, type: MSG.audio, streamId: 1 }, payload(10, 2)),
          chunk(3, 6, {}, v.subarray(128, 256)),
          chunk(3, 6, {}, v.subarray(256)),
        ]);
      },
      want: [
        { csid: 4, type: MSG.audio, clock: 90, payload: payload(10, 2) },
        { csid: 6, type: MSG.video, clock: 100, payload: payload(300, 5) },
      ],
    },
    {
      name: 'type 1, 2 and 3 headers add deltas to the clock (type 3 repeats the last delta)',
      bytes: () =>
        Buffer.concat([
          chunk(0, 4, { timestamp: 1000, length: 4, type: MSG.audio, streamId: 1 }, payload(4)),
          chunk(1, 4, { timestamp: 23, length: 5, type: MSG.audio }, payload(5)),
          chunk(2, 4, { timestamp: 21 }, payload(5)),
          chunk(3, 4, {}, payload(5)),
        ]),
      want: [
        { clock: 1000, payload: payload(4), streamId: 1 },
        { clock: 1023, payload: payload(5), streamId: 1 },
        { clock: 1044, payload: payload(5) },
        { clock: 1065, payload: payload(5) },
      ],
    },
    {
      name: 'extended timestamps, also on type 3 continuations',
      bytes: () => {
        const v = payload(200);
        return Buffer.concat([
          chunk(0, 6, { timestamp: 0x1234567, length: 200, type: MSG.video, streamId: 1 }, v.subarray(0, 128)),
          chunk(3, 6, { extended: 0x1234567 }, v.subarray(128)),
        ]);
      },
      want: [{ clock: 0x1234567, payload: payload(200) }],
    },
    {
      name: 'two- and three-byte chunk stream ids',
      bytes: () =>
        Buffer.concat([
          chunk(0, 64 + 10, { length: 3, type: MSG.data }, payload(3)),
          chunk(0, 64 + 300, { length: 3, type: MSG.data }, payload(3)),
        ]),
      want: [{ csid: 74 }, { csid: 364 }],
    },
    {
      name: 'an empty message is skipped; the next one is read',
      bytes: () =>
        Buffer.concat([
          chunk(0, 5, { length: 0, type: MSG.audio }, Buffer.alloc(0)),
          chunkMessage({ csid: 5, type: MSG.audio, payload: payload(3) }),
        ]),
      want: [{ type: MSG.audio, payload: payload(3) }],
    },
  ];
  for (const split of ['one', 'bytes', 'random'] as const) {
    it.each(cases)(
      `$name (fed ${split === 'one' ? 'at once' : split === 'bytes' ? 'byte by byte' : 'in random pieces'})`,
      ({ bytes, want }) => {
        const { got, result, reader } = readAll(bytes(), LIMITS, split);
        expect(result.ok).toBe(true);
        expect(got).toHaveLength(want.length);
        want.forEach((w, i) => expect(got[i]).toMatchObject(w));
        expect(reader.bufferedBytes).toBe(0);
      },
    );
  }
});

describe('ChunkReader: limits', () => {
  const headerOnly = (csid: number, length: number) => chunk(0, csid, { length, type: MSG.video, streamId: 1 }, Buffer.alloc(0));
  const cases: { name: string; limits?: Partial<ChunkLimits>; bytes: () => Buffer; code: string }[] = [
    { name: 'declared length over the cap', bytes: () => headerOnly(6, (1 << 20) + 1), code: 'message-too-long' },
    { name: 'declared 0xffffff', bytes: () => headerOnly(6, 0xffffff), code: 'message-too-long' },
    {
      name: 'type 1 header with a length over the cap',
      bytes: () =>
        Buffer.concat([
          chunkMessage({ csid: 4, type: 8, payload: payload(4) }),
          chunk(1, 4, { length: 0xfffff0, type: 8 }, Buffer.alloc(0)),
        ]),
      code: 'message-too-long',
    },
    { name: 'chunk size 0', bytes: () => setChunkSizeMessage(0), code: 'chunk-size' },
    { name: 'chunk size 1', bytes: () => setChunkSizeMessage(1), code: 'chunk-size' },
    { name: 'chunk size 0x7fffffff', bytes: () => setChunkSizeMessage(0x7fffffff), code: 'chunk-size' },
    { name: 'chunk size 0xffffffff', bytes: () => setChunkSizeMessage(0xffffffff), code: 'chunk-size' },
    {
      name: 'chunk size over the configured cap',
      limits: { maxChunkSize: 4096 },
      bytes: () => setChunkSizeMessage(8192),
      code: 'chunk-size',
    },
    {
      name: 'more chunk streams than the cap',
      bytes: () => Buffer.concat(Array.from({ length: 17 }, (_, i) => chunkMessage({ csid: 3 + i, type: MSG.data, payload: payload(2) }))),
      code: 'chunk-streams',
    },
    { name: 'a type 3 chunk on a chunk stream never started', bytes: () => chunk(3, 9, {}, payload(10)), code: 'protocol' },
    { name: 'a type 2 chunk on a chunk stream never started', bytes: () => chunk(2, 9, { timestamp: 1 }, payload(10)), code: 'protocol' },
    {
      name: 'unfinished messages over twice the message cap on one connection',
      limits: { maxMessageBytes: 64 * 1024, maxChunkSize: 65536 },
      bytes: () =>
        Buffer.concat([
          setChunkSizeMessage(16 * 1024),
          ...[4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((csid) =>
            chunk(0, csid, { length: 64 * 1024, type: MSG.video, streamId: 1 }, payload(16 * 1024)),
          ),
        ]),
      code: 'buffered-bytes',
    },
  ];
  it.each(cases)('$name → $code', ({ limits, bytes, code }) => {
    const { result, reader } = readAll(bytes(), { ...LIMITS, ...limits });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.reason.length).toBeGreaterThan(10);
    }
    // After an error the reader refuses everything.
    expect(reader.push(chunkMessage({ csid: 3, type: MSG.command, payload: payload(5) }), () => {}).ok).toBe(false);
  });

  it('allocates as bytes arrive: 60 chunk streams declaring 8 MiB each and sending one chunk hold 60 chunks', () => {
    const r = new ChunkReader({ maxMessageBytes: 8 << 20, maxChunkSize: 65536, maxChunkStreams: 64 });
    const parts = [];
    for (let csid = 4; csid < 64; csid++) parts.push(chunk(0, csid, { length: 8 << 20, type: MSG.video, streamId: 1 }, payload(128)));
    const res = r.push(Buffer.concat(parts), () => {});
    expect(res.ok).toBe(true);
    expect(r.bufferedBytes).toBe(60 * 128);
    expect(r.chunkStreams).toBe(60);
  });

  it('a new type 0 header mid-message discards the unfinished one', () => {
    const { got, result, reader } = readAll(
      Buffer.concat([
        chunk(0, 6, { length: 500, type: MSG.video, streamId: 1 }, payload(128)),
        chunkMessage({ csid: 6, type: MSG.video, streamId: 1, payload: payload(20, 9) }),
      ]),
    );
    expect(result.ok).toBe(true);
    expect(got.map((m) => m.payload)).toEqual([payload(20, 9)]);
    expect(reader.bufferedBytes).toBe(0);
  });
});

describe('ChunkReader: admission at the header', () => {
  const admit: MessageAdmission = ({ type }) =>
    type === 9 ? { ok: false, reason: 'no video here' } : type === 19 ? { ok: true, value: 'discard' } : { ok: true, value: 'keep' };

  it('a refused type ends the connection at its header, with nothing of its payload kept', () => {
    const r = new ChunkReader(LIMITS, admit);
    const res = r.push(chunk(0, 6, { length: 1 << 20, type: 9, streamId: 1 }, payload(100)), () => {});
    expect(res).toMatchObject({ ok: false, code: 'not-admitted', reason: 'no video here' });
    expect(r.bufferedBytes).toBe(0);
  });

  it('a discarded type is read and dropped without holding its bytes; later messages still arrive', () => {
    const r = new ChunkReader(LIMITS, admit);
    const got: ChunkMessage[] = [];
    const big = chunkMessage({ csid: 7, type: 19, payload: payload(100_000), chunkSize: 128 });
    let peak = 0;
    for (let i = 0; i < big.length; i += 1000) {
      expect(r.push(big.subarray(i, i + 1000), (m) => got.push(m)).ok).toBe(true);
      peak = Math.max(peak, r.bufferedBytes);
    }
    expect(peak).toBe(0);
    expect(r.push(chunkMessage({ csid: 3, type: MSG.command, payload: payload(30) }), (m) => got.push(m)).ok).toBe(true);
    expect(got.map((m) => m.type)).toEqual([MSG.command]);
  });
});
