// Pure: is an HLS segment complete enough to serve? ffmpeg 5.1's hls muxer (no `temp_file` flag)
// buffers a segment in memory and, when it closes it, creates `seg_N.ts`, writes it, and only then
// rewrites the playlist (measured: a segment file never appears before its playlist entry by more
// than that write). Segment numbers only grow, so a segment whose number is at most the highest one
// the current playlist lists is complete; a higher one is mid-write (or from a packager that writes
// in place) and is answered with a short-lived 404 (the origin's contract: "a segment that is not there yet is a
// 404 with a short max-age"), never with part of a segment that an edge would then cache for 60 s.
// HDS and Smooth fragments need no such rule: ffmpeg writes them to `*_temp`/`temp` and renames
// them into place.
import { baseName } from './manifest-rewrite.js';

const SEGMENT_RE = /^seg_(\d{1,10})\.ts$/;

/** `seg_00042.ts` → 42. */
export function segmentNumber(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Highest segment number a playlist lists, or -1 when it lists none. */
export function highestListedSegment(playlist: string): number {
  let max = -1;
  for (const line of playlist.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const n = segmentNumber(baseName(t));
    if (n !== undefined) max = Math.max(max, n);
  }
  return max;
}

export function isSegmentReady(playlist: string, segmentName: string): boolean {
  const n = segmentNumber(segmentName);
  return n !== undefined && n <= highestListedSegment(playlist);
}
