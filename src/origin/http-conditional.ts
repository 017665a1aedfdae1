// Pure: conditional requests (RFC 9110 §13, SPEC CND-01/02) and single byte ranges (RFC 9110 §14,
// SPEC RNG-01/02) for the files the origin serves.

export interface Validators {
  /** Strong entity tag, quoted: `"abc"`. */
  etag: string;
  lastModified: Date;
}

export interface ConditionalHeaders {
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

/** Entity tags listed in an If-None-Match / If-Range header, without `W/` (weak comparison). */
function listedTags(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((t) => (t.startsWith('W/') ? t.slice(2) : t));
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * True when a GET/HEAD should be answered 304. If-None-Match wins over If-Modified-Since when both
 * are present (RFC 9110 §13.2.2); HTTP dates have one-second resolution.
 */
export function isNotModified(req: ConditionalHeaders, v: Validators): boolean {
  if (req.ifNoneMatch !== undefined) {
    const tags = listedTags(req.ifNoneMatch);
    return tags.includes('*') || tags.includes(opaque(v.etag));
  }
  if (req.ifModifiedSince !== undefined) {
    const since = Date.parse(req.ifModifiedSince);
    if (Number.isNaN(since)) return false;
    return Math.floor(v.lastModified.getTime() / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

export type RangeDecision =
  | { type: 'full' }
  | { type: 'partial'; start: number; end: number }
  | { type: 'unsatisfiable' };

/**
 * Decides how to answer a Range header for an entity of `size` bytes. One valid range → 206;
 * a valid range starting past the end → 416; a malformed header, several ranges (RNG-02 and the
 * issue allow 200 with the whole object) or a failed If-Range → the full entity.
 */
export function decideRange(rangeHeader: string | undefined, size: number, ifRange?: string, v?: Validators): RangeDecision {
  if (rangeHeader === undefined) return { type: 'full' };
  if (ifRange !== undefined && !ifRangeMatches(ifRange, v)) return { type: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(rangeHeader);
  if (!m) return { type: 'full' };
  const specs = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return { type: 'full' };
  const spec = /^(\d*)-(\d*)$/.exec(specs[0]);
  if (!spec || (spec[1] === '' && spec[2] === '')) return { type: 'full' };
  if (spec[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(spec[2]);
    if (n === 0 || size === 0) return { type: 'unsatisfiable' };
    return { type: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(spec[1]);
  const last = spec[2] === '' ? Number.MAX_SAFE_INTEGER : Number(spec[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last) || last < start) return { type: 'full' };
  if (start >= size) return { type: 'unsatisfiable' };
  return { type: 'partial', start, end: Math.min(last, size - 1) };
}

/** If-Range holds a strong ETag (strong comparison) or an HTTP date (exact match). */
function ifRangeMatches(ifRange: string, v: Validators | undefined): boolean {
  if (!v) return false;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === v.etag;
  if (value.startsWith('W/')) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(v.lastModified.getTime() / 1000);
}

export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}
