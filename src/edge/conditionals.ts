// SPEC CND-02: viewer conditionals answered from the cached copy. Pure.

function etagList(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, ''));
}

/**
 * True when the viewer's copy is current and a 304 is the answer (RFC 9110 §13.2.2 order:
 * If-None-Match wins over If-Modified-Since; weak comparison for If-None-Match).
 * ORG-09: without an ETag, If-None-Match cannot match.
 */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string | undefined,
  lastModified: string | undefined,
): boolean {
  if (ifNoneMatch !== undefined) {
    if (!etag) return false;
    if (ifNoneMatch.trim() === '*') return true;
    return etagList(ifNoneMatch).includes(etag.replace(/^W\//, ''));
  }
  if (ifModifiedSince !== undefined && lastModified) {
    const since = Date.parse(ifModifiedSince);
    const modified = Date.parse(lastModified);
    return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
  }
  return false;
}

/** Headers a 304 carries from the stored response (RFC 9110 §15.4.5). */
export const NOT_MODIFIED_HEADERS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified']);
