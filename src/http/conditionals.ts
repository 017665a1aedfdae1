// Conditional requests (RFC 9110 §13; SPEC CND-01/02, ORG-09), one rule for the origin and the
// edge. Pure.

/** An HTTP date (string as sent, or a Date) at HTTP's one-second resolution, or NaN. */
function seconds(d: string | Date): number {
  const ms = typeof d === 'string' ? Date.parse(d) : d.getTime();
  return Number.isNaN(ms) ? NaN : Math.floor(ms / 1000);
}

function opaqueTag(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * True when a GET/HEAD is answered 304 (RFC 9110 §13.2.2 order: If-None-Match, when present,
 * decides alone; weak comparison). `*` matches any current representation, alone or, leniently,
 * inside a list. ORG-09: without an ETag, If-None-Match never matches.
 */
/** Validators of an entity (strong ETag, Last-Modified). */
export interface Validators {
  etag: string;
  lastModified: Date;
}

export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string | undefined,
  lastModified: string | Date | undefined,
): boolean {
  if (ifNoneMatch !== undefined) {
    if (!etag) return false;
    const want = opaqueTag(etag);
    return ifNoneMatch
      .split(',')
      .map((t) => t.trim())
      .some((t) => t === '*' || (t !== '' && opaqueTag(t) === want));
  }
  if (ifModifiedSince !== undefined && lastModified !== undefined) {
    const since = seconds(ifModifiedSince);
    const modified = seconds(lastModified);
    return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
  }
  return false;
}

/** If-Range (RFC 9110 §13.1.5): a strong ETag compared strongly, or an HTTP date that equals Last-Modified. */
export function ifRangeAllows(ifRange: string | undefined, etag: string | undefined, lastModified: string | Date | undefined): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('W/')) return false;
  if (v.startsWith('"')) return !!etag && !etag.startsWith('W/') && v === etag;
  if (lastModified === undefined) return false;
  const a = seconds(v);
  return Number.isFinite(a) && a === seconds(lastModified);
}

/** Headers a 304 carries from the stored response (RFC 9110 §15.4.5). */
export const NOT_MODIFIED_HEADERS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified']);
