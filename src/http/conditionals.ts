// Conditional requests (RFC 9110 §13; SPEC CND-01/02, ORG-09), one rule for the origin and the
// edge. Pure.
import { parseHttpDate } from './http-date.js';

/**
 * An HTTP-date (string as sent, or a Date) at HTTP's one-second resolution, or NaN when the
 * string is not an HTTP-date (RFC 9110 §13.1.3: such an If-Modified-Since is ignored).
 */
function seconds(d: string | Date): number {
  const ms = typeof d === 'string' ? (parseHttpDate(d.trim()) ?? NaN) : d.getTime();
  return Number.isNaN(ms) ? NaN : Math.floor(ms / 1000);
}

function opaqueTag(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * The members of an If-None-Match / If-Match list (RFC 9110 §8.8.3): entity-tags read whole,
 * so a comma inside an opaque-tag (`"a,b"`, which etagc allows) does not split it; anything that is
 * not an entity-tag (`*`, an unquoted word) is one member up to the next comma.
 */
export function entityTagList(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === ',' || value[i] === ' ' || value[i] === '\t')) i++;
    if (i >= n) break;
    const start = i;
    const quote = value.startsWith('W/"', i) ? i + 2 : value[i] === '"' ? i : -1;
    if (quote >= 0) {
      const close = value.indexOf('"', quote + 1);
      i = close < 0 ? n : close + 1;
      out.push(value.slice(start, i));
      while (i < n && value[i] !== ',') i++; // junk after a tag is not part of the next member
    } else {
      while (i < n && value[i] !== ',') i++;
      out.push(value.slice(start, i).trim());
    }
  }
  return out;
}

/** Validators of an entity (strong ETag, Last-Modified). */
export interface Validators {
  etag: string;
  lastModified: Date;
}

/**
 * True when a GET/HEAD is answered 304 (RFC 9110 §13.2.2 order: If-None-Match, when present,
 * decides alone; weak comparison). `*` matches any current representation, alone or, leniently,
 * inside a list. ORG-09: without an ETag, If-None-Match never matches. An If-Modified-Since that
 * is not an HTTP-date is ignored (RFC 9110 §13.1.3), never read by Date.parse's guesses.
 */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string | undefined,
  lastModified: string | Date | undefined,
): boolean {
  if (ifNoneMatch !== undefined) {
    if (!etag) return false;
    const want = opaqueTag(etag);
    return entityTagList(ifNoneMatch).some((t) => t === '*' || (t !== '' && opaqueTag(t) === want));
  }
  if (ifModifiedSince !== undefined && lastModified !== undefined) {
    const since = seconds(ifModifiedSince);
    const modified = seconds(lastModified);
    return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
  }
  return false;
}

/** If-Range (RFC 9110 §13.1.5): a strong ETag compared strongly, or an HTTP-date that equals Last-Modified. */
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
