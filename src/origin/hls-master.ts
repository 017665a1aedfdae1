// Pure: the TS HLS master playlist of a stream with an ABR ladder (`playlist.m3u8`), one variant
// per rung. BANDWIDTH is the peak segment bitrate and AVERAGE-BANDWIDTH the mean over the
// segments listed now (RFC 8216 §4.3.4.2), measured from the files; a rung with no segment yet
// gets its target bitrate plus a tenth for the TS overhead. RESOLUTION comes from the ladder,
// CODECS from the segment's own bytes (./ts-codecs.ts).
import { baseName } from './manifest-rewrite.js';

export interface ListedSegment {
  /** The segment's file name (the URI's last component). */
  name: string;
  duration: number;
}

/** The segments a media playlist lists, with their EXTINF durations. */
export function listedTsSegments(playlist: string): ListedSegment[] {
  const out: ListedSegment[] = [];
  let duration: number | undefined;
  for (const raw of playlist.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) {
      const d = Number.parseFloat(line.slice('#EXTINF:'.length));
      duration = Number.isFinite(d) && d > 0 ? d : undefined;
    } else if (line !== '' && !line.startsWith('#')) {
      if (duration !== undefined) out.push({ name: baseName(line), duration });
      duration = undefined;
    }
  }
  return out;
}

export interface MeasuredSegment {
  bytes: number;
  duration: number;
}

/** Peak and average bitrate (bit/s) of segments; undefined when there are none. */
export function measuredBandwidth(segments: readonly MeasuredSegment[]): { peak: number; average: number } | undefined {
  const usable = segments.filter((s) => s.bytes > 0 && s.duration > 0);
  if (usable.length === 0) return undefined;
  const peak = Math.max(...usable.map((s) => (s.bytes * 8) / s.duration));
  const total = usable.reduce((a, s) => a + s.bytes, 0);
  const seconds = usable.reduce((a, s) => a + s.duration, 0);
  return { peak: Math.ceil(peak), average: Math.ceil((total * 8) / seconds) };
}

export interface TsVariant {
  /** The media playlist's name (`index_480p.m3u8`). */
  playlist: string;
  width?: number;
  height?: number;
  /** Measured from its segments, when it has some. */
  measured?: { peak: number; average: number };
  /** Target bitrate of the rung (video + audio), kbit/s: the estimate before anything is measured. */
  targetKbps?: number;
  /** RFC 6381 codec strings of its video and audio. */
  codecs: string[];
}

/** Bit/s a variant is announced with: measured peak, else its target plus TS overhead, else 2 Mbit/s. */
export function variantBandwidth(v: TsVariant): number {
  if (v.measured) return v.measured.peak;
  return Math.round((v.targetKbps ?? 2000) * 1000 * 1.1);
}

/** `prefix`: what the URL family puts before media names (manifestReferencePrefix). Highest variant first. */
export function tsMasterPlaylist(variants: readonly TsVariant[], prefix = ''): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const ordered = [...variants].sort((a, b) => variantBandwidth(b) - variantBandwidth(a));
  for (const v of ordered) {
    const attrs = [`BANDWIDTH=${variantBandwidth(v)}`];
    if (v.measured) attrs.push(`AVERAGE-BANDWIDTH=${v.measured.average}`);
    if (v.width && v.height) attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (v.codecs.length) attrs.push(`CODECS="${v.codecs.join(',')}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, prefix + v.playlist);
  }
  return `${lines.join('\n')}\n`;
}
