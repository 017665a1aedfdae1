// Pure: the ISO BMFF (fMP4/CMAF) boxes the timeline needs. ffmpeg's mp4 muxer with
// `-movflags cmaf+empty_moov+default_base_moof+frag_keyframe` writes `ftyp`+`moov` (the init
// segment) and then one `moof`+`mdat` pair per fragment; each fragment becomes one part.
// Only the fields used for timing, key-frame flags and codec strings are read (ISO/IEC 14496-12).
import { fail, ok, type Result } from '../result.js';

export interface BoxHeader {
  type: string;
  /** Whole box size including the header. */
  size: number;
  headerSize: number;
}

/** The largest box accepted from the packager's pipe: bounds memory if the stream is garbage. */
export const MAX_BOX_BYTES = 64 * 1024 * 1024;

/** Reads a box header at `offset`, or undefined when fewer bytes than the header are there. */
export function readBoxHeader(buf: Buffer, offset = 0): Result<BoxHeader | undefined> {
  if (buf.length - offset < 8) return ok(undefined);
  let size = buf.readUInt32BE(offset);
  const type = buf.toString('latin1', offset + 4, offset + 8);
  let headerSize = 8;
  if (size === 1) {
    if (buf.length - offset < 16) return ok(undefined);
    const big = buf.readBigUInt64BE(offset + 8);
    if (big > BigInt(MAX_BOX_BYTES)) return fail(`box ${type} too large (${big} bytes)`);
    size = Number(big);
    headerSize = 16;
  } else if (size === 0) {
    return fail(`box ${type} extends to the end of the stream (not allowed in a live pipe)`);
  }
  if (!/^[\x20-\x7e]{4}$/.test(type)) return fail('not an ISO BMFF box (bad type)');
  if (size < headerSize) return fail(`box ${type} has size ${size}, smaller than its header`);
  if (size > MAX_BOX_BYTES) return fail(`box ${type} too large (${size} bytes)`);
  return ok({ type, size, headerSize });
}

/** The boxes directly inside `buf` (a box's payload), as [type, payload] pairs. */
export function childBoxes(buf: Buffer): Array<{ type: string; body: Buffer }> {
  const out: Array<{ type: string; body: Buffer }> = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const h = readBoxHeader(buf, off);
    if (!h.ok || !h.value || off + h.value.size > buf.length) break;
    out.push({ type: h.value.type, body: buf.subarray(off + h.value.headerSize, off + h.value.size) });
    off += h.value.size;
  }
  return out;
}

function child(buf: Buffer, type: string): Buffer | undefined {
  return childBoxes(buf).find((b) => b.type === type)?.body;
}

function path(buf: Buffer, ...types: string[]): Buffer | undefined {
  let cur: Buffer | undefined = buf;
  for (const t of types) {
    if (!cur) return undefined;
    cur = child(cur, t);
  }
  return cur;
}

export type TrackKind = 'video' | 'audio';

/** What an init segment (`ftyp`+`moov` with one track) says about its track. */
export interface InitInfo {
  kind: TrackKind;
  trackId: number;
  timescale: number;
  /** RFC 6381 codec string: `avc1.4d401f`, `mp4a.40.2`. */
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  /** `trex` defaults, used when a fragment's `tfhd` gives none. */
  defaultSampleDuration: number;
  defaultSampleFlags: number;
}

/** Parses the `moov` payload of an init segment holding one audio or video track. */
export function parseInit(moov: Buffer): Result<InitInfo> {
  const trak = child(moov, 'trak');
  if (!trak) return fail('moov has no trak');
  const tkhd = child(trak, 'tkhd');
  const mdhd = path(trak, 'mdia', 'mdhd');
  const hdlr = path(trak, 'mdia', 'hdlr');
  const stsd = path(trak, 'mdia', 'minf', 'stbl', 'stsd');
  if (!tkhd || !mdhd || !hdlr || !stsd) return fail('trak lacks tkhd/mdhd/hdlr/stsd');
  const trackId = tkhd[0] === 1 ? tkhd.readUInt32BE(4 + 16) : tkhd.readUInt32BE(4 + 8);
  const timescale = mdhd[0] === 1 ? mdhd.readUInt32BE(4 + 16) : mdhd.readUInt32BE(4 + 8);
  if (!timescale) return fail('mdhd timescale is 0');
  const handler = hdlr.toString('latin1', 8, 12);
  const kind: TrackKind | undefined = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : undefined;
  if (!kind) return fail(`unsupported track handler "${handler}"`);
  // stsd: fullbox header (4) + entry count (4), then sample entries.
  const entries = childBoxes(stsd.subarray(8));
  const entry = entries[0];
  if (!entry) return fail('stsd has no sample entry');
  let trex = path(moov, 'mvex', 'trex');
  if (trex && trex.readUInt32BE(4) !== trackId) trex = undefined;
  const defaults = {
    defaultSampleDuration: trex ? trex.readUInt32BE(12) : 0,
    defaultSampleFlags: trex ? trex.readUInt32BE(20) : 0,
  };
  if (kind === 'video') {
    // VisualSampleEntry: 8 bytes SampleEntry, 16 pre-defined/reserved, width, height, … 78 bytes in all.
    const width = entry.body.readUInt16BE(24);
    const height = entry.body.readUInt16BE(26);
    const config = childBoxes(entry.body.subarray(78));
    const avcC = config.find((b) => b.type === 'avcC')?.body;
    const hvcC = config.find((b) => b.type === 'hvcC')?.body;
    let codec = entry.type;
    if (avcC && avcC.length >= 4) codec = `${entry.type}.${avcC.subarray(1, 4).toString('hex')}`;
    else if (hvcC) codec = entry.type; // HEVC strings are not needed by the players this serves
    return ok({ kind, trackId, timescale, codec, width, height, ...defaults });
  }
  // AudioSampleEntry: 8 bytes SampleEntry, 8 reserved, channels, sample size, 4 reserved, rate 16.16: 28 bytes.
  const channels = entry.body.readUInt16BE(16);
  const sampleRate = entry.body.readUInt32BE(24) >>> 16;
  let codec = entry.type;
  if (entry.type === 'mp4a') {
    const esds = childBoxes(entry.body.subarray(28)).find((b) => b.type === 'esds')?.body;
    const oti = esds ? esdsObjectType(esds.subarray(4)) : undefined;
    codec = oti ? `mp4a.${oti.objectType.toString(16)}${oti.audioObjectType ? `.${oti.audioObjectType}` : ''}` : 'mp4a.40.2';
  }
  return ok({ kind, trackId, timescale, codec, sampleRate, channels, ...defaults });
}

/** ES_Descriptor → DecoderConfigDescriptor's objectTypeIndication and the AAC audio object type. */
function esdsObjectType(d: Buffer): { objectType: number; audioObjectType?: number } | undefined {
  let off = 0;
  const readDescriptor = (): { tag: number; len: number; start: number } | undefined => {
    if (off >= d.length) return undefined;
    const tag = d[off++];
    let len = 0;
    for (let i = 0; i < 4 && off < d.length; i++) {
      const b = d[off++];
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, len, start: off };
  };
  const es = readDescriptor();
  if (!es || es.tag !== 3) return undefined;
  const flags = d[off + 2];
  off += 3;
  if (flags & 0x80) off += 2;
  if (flags & 0x40) off += 1 + d[off];
  if (flags & 0x20) off += 2;
  const dc = readDescriptor();
  if (!dc || dc.tag !== 4) return undefined;
  const objectType = d[off];
  off += 13;
  const dsi = readDescriptor();
  if (!dsi || dsi.tag !== 5 || off >= d.length) return { objectType };
  return { objectType, audioObjectType: d[off] >> 3 };
}

/** Timing of one `moof`: where it starts on the track's timeline, how long it lasts, key frame or not. */
export interface FragmentInfo {
  sequence: number;
  /** tfdt baseMediaDecodeTime, in the track's timescale. */
  baseTime: number;
  /** Sum of the sample durations, in the track's timescale. */
  duration: number;
  sampleCount: number;
  /** The first sample is a sync sample (a key frame; every AAC frame is one). */
  startsWithKey: boolean;
}

const SAMPLE_IS_NON_SYNC = 0x10000;

/** Parses a `moof` payload (one `traf`). `defaults` are the track's `trex` values. */
export function parseFragment(
  moof: Buffer,
  defaults: Pick<InitInfo, 'defaultSampleDuration' | 'defaultSampleFlags'>,
): Result<FragmentInfo> {
  const mfhd = child(moof, 'mfhd');
  const traf = child(moof, 'traf');
  if (!mfhd || !traf) return fail('moof lacks mfhd/traf');
  const tfhd = child(traf, 'tfhd');
  const tfdt = child(traf, 'tfdt');
  if (!tfhd || !tfdt) return fail('traf lacks tfhd/tfdt');
  const sequence = mfhd.readUInt32BE(4);
  const baseTime = tfdt[0] === 1 ? Number(tfdt.readBigUInt64BE(4)) : tfdt.readUInt32BE(4);
  const tfFlags = tfhd.readUInt32BE(0) & 0xffffff;
  let o = 8; // version/flags + track_ID
  if (tfFlags & 0x1) o += 8;
  if (tfFlags & 0x2) o += 4;
  let defaultDuration = defaults.defaultSampleDuration;
  let defaultFlags = defaults.defaultSampleFlags;
  if (tfFlags & 0x8) {
    defaultDuration = tfhd.readUInt32BE(o);
    o += 4;
  }
  if (tfFlags & 0x10) o += 4;
  if (tfFlags & 0x20) defaultFlags = tfhd.readUInt32BE(o);

  let duration = 0;
  let sampleCount = 0;
  let startsWithKey: boolean | undefined;
  for (const box of childBoxes(traf)) {
    if (box.type !== 'trun') continue;
    const t = box.body;
    const flags = t.readUInt32BE(0) & 0xffffff;
    const count = t.readUInt32BE(4);
    let p = 8;
    if (flags & 0x1) p += 4;
    let firstFlags: number | undefined;
    if (flags & 0x4) {
      firstFlags = t.readUInt32BE(p);
      p += 4;
    }
    const per = (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0) + (flags & 0x400 ? 4 : 0) + (flags & 0x800 ? 4 : 0);
    if (p + per * count > t.length) return fail('trun shorter than its sample count');
    for (let i = 0; i < count; i++) {
      let q = p + i * per;
      let d = defaultDuration;
      if (flags & 0x100) {
        d = t.readUInt32BE(q);
        q += 4;
      }
      if (flags & 0x200) q += 4;
      let f = defaultFlags;
      if (flags & 0x400) f = t.readUInt32BE(q);
      if (i === 0 && firstFlags !== undefined) f = firstFlags;
      if (startsWithKey === undefined) startsWithKey = (f & SAMPLE_IS_NON_SYNC) === 0;
      duration += d;
    }
    sampleCount += count;
  }
  if (sampleCount === 0) return fail('moof has no samples');
  return ok({ sequence, baseTime, duration, sampleCount, startsWithKey: startsWithKey ?? true });
}

/** One thing the splitter found in the byte stream. */
export type SplitEvent =
  | { type: 'init'; bytes: Buffer; info: InitInfo }
  /** Bytes of the fragment being received, in order, as they arrive (for streaming a hinted part). */
  | { type: 'fragment-bytes'; chunk: Buffer }
  | { type: 'fragment'; bytes: Buffer; info: FragmentInfo }
  | { type: 'error'; reason: string };

/**
 * Splits the byte stream of one fMP4 output into the init segment and fragments, incrementally.
 * `ftyp`+`moov` form the init; each fragment is every box from the end of the previous `mdat`
 * through the next `mdat` (`styp`/`prft`/`moof`/`mdat`); `mfra`/`free`/`skip` at the end are dropped.
 * After an error the splitter ignores further input (the packager restarts the stream).
 */
export class Fmp4Splitter {
  #pending: Buffer = Buffer.alloc(0);
  #initParts: Buffer[] = [];
  #init: InitInfo | undefined;
  #fragParts: Buffer[] = [];
  #moof: Buffer | undefined;
  /** Bytes of the current box already passed on as fragment-bytes. */
  #streamed = 0;
  #failed = false;

  get init(): InitInfo | undefined {
    return this.#init;
  }

  push(chunk: Buffer): SplitEvent[] {
    if (this.#failed) return [];
    const events: SplitEvent[] = [];
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    for (;;) {
      const h = readBoxHeader(this.#pending);
      if (!h.ok) return this.#fail(events, h.reason);
      if (!h.value) break;
      const { type, size, headerSize } = h.value;
      const inFragment = this.#init !== undefined && !['mfra', 'free', 'skip'].includes(type);
      if (inFragment && this.#pending.length > this.#streamed) {
        // Stream what has arrived of a fragment box, before the box is complete.
        const upto = Math.min(size, this.#pending.length);
        events.push({ type: 'fragment-bytes', chunk: this.#pending.subarray(this.#streamed, upto) });
        this.#streamed = upto;
      }
      if (this.#pending.length < size) break;
      const box = this.#pending.subarray(0, size);
      this.#pending = this.#pending.subarray(size);
      this.#streamed = 0;
      if (!this.#init) {
        this.#initParts.push(box);
        if (type === 'moov') {
          const info = parseInit(box.subarray(headerSize));
          if (!info.ok) return this.#fail(events, info.reason);
          this.#init = info.value;
          events.push({ type: 'init', bytes: Buffer.concat(this.#initParts), info: info.value });
          this.#initParts = [];
        }
        continue;
      }
      if (!inFragment) continue;
      this.#fragParts.push(box);
      if (type === 'moof') this.#moof = box.subarray(headerSize);
      if (type === 'mdat') {
        if (!this.#moof) return this.#fail(events, 'mdat without moof');
        const info = parseFragment(this.#moof, this.#init);
        if (!info.ok) return this.#fail(events, info.reason);
        events.push({ type: 'fragment', bytes: Buffer.concat(this.#fragParts), info: info.value });
        this.#fragParts = [];
        this.#moof = undefined;
      }
    }
    // Keep the unparsed tail in its own buffer so the input chunks can be released.
    if (this.#pending.length) this.#pending = Buffer.from(this.#pending);
    return events;
  }

  #fail(events: SplitEvent[], reason: string): SplitEvent[] {
    this.#failed = true;
    this.#pending = Buffer.alloc(0);
    events.push({ type: 'error', reason });
    return events;
  }
}
