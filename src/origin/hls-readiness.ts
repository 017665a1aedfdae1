// Pure: is an HLS segment complete enough to serve? ffmpeg 5.1's hls muxer (no `temp_file` flag)
// buffers a segment in memory and, when it closes it, creates the segment file, writes it, and only then
// rewrites the playlist (measured: a segment file never appears before its playlist entry by more
// than that write). Segment numbers only grow, so a segment whose number is at most the highest one
// the current playlist lists is complete; a higher one is mid-write (or from a packager that writes
// in place) and is answered with a short-lived 404 (the origin's contract: "a segment that is not there yet is a
// 404 with a short max-age"), never with part of a segment that an edge would then cache for 60 s.
// HDS and Smooth fragments need no such rule: ffmpeg writes them to `*_temp`/`temp` and renames
// them into place.
import { hlsSegmentNumber, hlsSegmentRung } from '../timeline/output-layout.js';
import { baseName } from './manifest-rewrite.js';

/**
 * Highest segment number a playlist lists, or -1 when it lists none. `rung`: count only that ABR
 * rung's segments ('' = the ladder-less names); by default every segment name.
 */
export function highestListedSegment(playlist: string, rung?: string): number {
  let max = -1;
  for (const line of playlist.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const name = baseName(t);
    const n = hlsSegmentNumber(name);
    if (n !== undefined && (rung === undefined || hlsSegmentRung(name) === rung)) max = Math.max(max, n);
  }
  return max;
}

/** Segments of one rung are numbered on their own: only the same rung's listed names count. */
export function isSegmentReady(playlist: string, segmentName: string): boolean {
  const n = hlsSegmentNumber(segmentName);
  return n !== undefined && n <= highestListedSegment(playlist, hlsSegmentRung(segmentName));
}
