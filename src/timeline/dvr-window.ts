// Pure: the DVR window rules every live manifest shares (TS HLS, LL-HLS, DASH). A manifest lists
// the newest segments covering the window; `dvr_window_length` shortens it, `start` begins it at
// the segment containing a time. Times are server-clock program date-times (ms since 1970), so the
// rules are the same whatever the format or packager run.

/** Segments a playlist of `windowSeconds` lists when segments are `segmentSeconds` long (at least 1). */
export function dvrSegmentCount(windowSeconds: number, segmentSeconds: number): number {
  return Math.max(1, Math.ceil(windowSeconds / segmentSeconds - 1e-9));
}

/** What a manifest request asks of the window (validated by origin/dvr-params.ts). */
export interface DvrSelection {
  /** The configured DVR window, seconds. */
  windowSeconds: number;
  /** `?dvr_window_length=`: list at most about this many seconds (never more than the window). */
  dvrWindowLength?: number;
  /** `?start=`: begin at the segment containing this time (ms since 1970). */
  startMs?: number;
}

/** One complete segment, in order: its program date-time and duration. */
export interface WindowItem {
  startMs: number;
  durationMs: number;
}

/**
 * Index of the first listed segment. From the newest backwards, segments are taken while those
 * taken cover less than the window (so the listing covers the window, or everything held), then
 * `start` moves the first one forward to the segment containing it, or the next one after a gap.
 * A start before the window is clamped to its first segment: a player reloading a start-over URL
 * keeps playing while the window slides past the start. A start after every segment's end (but not
 * in the future, which the parameter check refuses) begins at the newest segment.
 */
export function firstInWindow(items: readonly WindowItem[], sel: DvrSelection): number {
  if (items.length === 0) return 0;
  const limitMs = Math.min(sel.windowSeconds, sel.dvrWindowLength ?? Infinity) * 1000;
  let first = items.length;
  let covered = 0;
  while (first > 0 && covered < limitMs) covered += items[--first]!.durationMs;
  if (sel.startMs === undefined) return first;
  const t = sel.startMs;
  for (let i = first; i < items.length; i++) {
    const it = items[i]!;
    if (it.startMs + it.durationMs > t) return i;
  }
  return items.length - 1;
}
