// SPEC RNG-01/02: Range requests answered from a whole cached object. Pure.

export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; ranges: { start: number; end: number }[] }
  | { kind: 'unsatisfiable' };

/**
 * Decides how to answer `Range` against an object of `size` bytes:
 * - no header, a unit other than bytes, or a syntax error → the full object;
 * - RNG-02: ranges out of order or overlapping → 200 with the full object;
 * - every range beyond the end → 416;
 * - otherwise the ranges (end inclusive, clipped to the object).
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const ranges: { start: number; end: number }[] = [];
  let anySatisfiable = false;
  for (const spec of m[1]!.split(',')) {
    const r = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return { kind: 'full' };
    let start: number;
    let end: number;
    if (r[1] === '') {
      const suffix = Number(r[2]);
      if (suffix === 0) continue;
      start = Math.max(0, size - suffix);
      end = size - 1;
    } else {
      start = Number(r[1]);
      end = r[2] === '' ? size - 1 : Number(r[2]);
      if (end < start) return { kind: 'full' };
      if (end > size - 1) end = size - 1;
    }
    if (start >= size) {
      ranges.push({ start, end: start - 1 });
      continue;
    }
    anySatisfiable = true;
    ranges.push({ start, end });
  }
  if (!anySatisfiable) return { kind: 'unsatisfiable' };
  const usable = ranges.filter((r) => r.end >= r.start);
  for (let i = 1; i < usable.length; i++) {
    if (usable[i]!.start <= usable[i - 1]!.end) return { kind: 'full' }; // overlapping or out of order
  }
  return { kind: 'partial', ranges: usable };
}

/** If-Range: the range applies only when the validator still matches the cached copy (strong ETag or date). */
export function ifRangeAllows(ifRange: string | undefined, etag: string | undefined, lastModified: string | undefined): boolean {
  if (!ifRange) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return !!etag && !etag.startsWith('W/') && v === etag;
  return !!lastModified && Date.parse(v) === Date.parse(lastModified);
}
