// Pure: the RFC 6381 codec strings (`avc1.4d401f`, `mp4a.40.2`) of an MPEG-TS segment, read from
// its first bytes: the H.264 sequence parameter set (profile, constraint flags, level) and the
// AAC ADTS header (object type). The TS master playlist's CODECS come from the bytes a player
// will decode, whatever encoder made them (a copied source rung included).

const TS_PACKET = 188;

export interface TsCodecs {
  video?: string;
  audio?: string;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** The payloads of the first PES packet of each elementary stream, joined per PID (what `bytes` holds of them). */
function pesPayloads(bytes: Uint8Array): Map<number, { streamId: number; data: number[] }> {
  const out = new Map<number, { streamId: number; data: number[] }>();
  for (let at = 0; at + TS_PACKET <= bytes.length; at += TS_PACKET) {
    if (bytes[at] !== 0x47) {
      // Lost sync: look for the next packet start.
      const next = bytes.indexOf(0x47, at + 1);
      if (next < 0) break;
      at = next - TS_PACKET;
      continue;
    }
    const pusi = (bytes[at + 1]! & 0x40) !== 0;
    const pid = ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!;
    const afc = (bytes[at + 3]! >> 4) & 0x3;
    if (afc === 0 || afc === 2) continue; // no payload
    let p = at + 4;
    if (afc === 3) p += 1 + bytes[at + 4]!;
    if (p >= at + TS_PACKET) continue;
    const entry = out.get(pid);
    if (pusi) {
      if (entry) continue; // only the first PES of a stream
      // PES: 00 00 01 <stream id> <length:2> <flags:2> <header length> …
      if (bytes[p] !== 0 || bytes[p + 1] !== 0 || bytes[p + 2] !== 1) continue;
      const streamId = bytes[p + 3]!;
      const isVideo = streamId >= 0xe0 && streamId <= 0xef;
      const isAudio = streamId >= 0xc0 && streamId <= 0xdf;
      if (!isVideo && !isAudio) continue;
      const payload = p + 9 + bytes[p + 8]!;
      out.set(pid, { streamId, data: Array.from(bytes.subarray(Math.min(payload, at + TS_PACKET), at + TS_PACKET)) });
    } else if (entry && entry.data.length < 4096) {
      entry.data.push(...bytes.subarray(p, at + TS_PACKET));
    }
  }
  return out;
}

/** `avc1.PPCCLL` from the first SPS (NAL type 7) after a start code. */
export function avcCodecOfAnnexB(data: ArrayLike<number>): string | undefined {
  for (let i = 0; i + 6 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1 && (data[i + 3]! & 0x1f) === 7) {
      return `avc1.${hex2(data[i + 4]!)}${hex2(data[i + 5]!)}${hex2(data[i + 6]!)}`;
    }
  }
  return undefined;
}

/** `mp4a.40.<object type>` from the first ADTS header. */
export function aacCodecOfAdts(data: ArrayLike<number>): string | undefined {
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0xff && (data[i + 1]! & 0xf6) === 0xf0) return `mp4a.40.${(data[i + 2]! >> 6) + 1}`;
  }
  return undefined;
}

/** The codecs of the first video and audio streams in the first bytes of a TS segment. */
export function tsCodecs(bytes: Uint8Array): TsCodecs {
  const out: TsCodecs = {};
  for (const { streamId, data } of pesPayloads(bytes).values()) {
    if (streamId >= 0xe0 && out.video === undefined) {
      const c = avcCodecOfAnnexB(data);
      if (c) out.video = c;
    } else if (streamId < 0xe0 && out.audio === undefined) {
      const c = aacCodecOfAdts(data);
      if (c) out.audio = c;
    }
  }
  return out;
}
