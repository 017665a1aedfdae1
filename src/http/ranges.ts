// Byte ranges (RFC 9110 §14; SPEC RNG-01/02), one rule for the origin and the edge. Where they
// differ (the edge answers several ranges as multipart/byteranges, the origin sends the whole
// file), that is the explicit `multipart` option. Pure.

export interface ByteSpan {
  start: number;
  /** Inclusive. */
  end: number;
}

export type RangeDecision = { kind: 'full' } | { kind: 'partial'; ranges: ByteSpan[] } | { kind: 'unsatisfiable' };

export interface RangeOptions {
  /** Several ranges may be answered (multipart/byteranges); otherwise they get the full object. */
  multipart: boolean;
  /** With multipart: more ranges than this get the full object (like nginx's max_ranges). */
  maxRanges?: number;
}

/**
 * How to answer `Range` for an entity of `size` bytes:
 * - no header, a unit other than bytes, or a syntax error → the full entity;
 * - RNG-02: ranges out of order, overlapping or invalid (`5-1`) → the full entity (200);
 * - several ranges without `multipart`, or more than `maxRanges` → the full entity;
 * - no range that starts inside the entity (`1000-` of 1000 bytes, `-0`) → unsatisfiable (416);
 * - otherwise the satisfiable ranges, clipped to the entity.
 */
export function decideRange(header: string | undefined, size: number, opts: RangeOptions): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const specs = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0) return { kind: 'full' };
  if (specs.length > 1 && (!opts.multipart || (opts.maxRanges !== undefined && specs.length > opts.maxRanges))) return { kind: 'full' };
  const ranges: ByteSpan[] = [];
  for (const spec of specs) {
    const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return { kind: 'full' };
    if (r[1] === '') {
      const suffix = Number(r[2]);
      if (!Number.isSafeInteger(suffix)) return { kind: 'full' };
      if (suffix === 0 || size === 0) continue; // unsatisfiable on its own
      ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(r[1]);
    const last = r[2] === '' ? Number.MAX_SAFE_INTEGER : Number(r[2]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last) || last < start) return { kind: 'full' };
    if (start >= size) continue;
    ranges.push({ start, end: Math.min(last, size - 1) });
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.start <= ranges[i - 1]!.end) return { kind: 'full' }; // overlapping or out of order
  }
  return { kind: 'partial', ranges };
}

export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}
