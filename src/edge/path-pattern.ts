// SPEC EDGE-04/05: cache behaviour path patterns and first-match selection. Pure.

/**
 * Compiles a CloudFront path pattern: `*` matches any run of characters including `/`,
 * `?` exactly one character; everything else is literal and case-sensitive (EDGE-05).
 * A pattern without a leading `/` (CloudFront accepts `images/*.jpg`) is anchored at `/`.
 */
export function compilePathPattern(pattern: string): (path: string) => boolean {
  if (pattern === '*') return () => true;
  return compileWildcard(pattern.startsWith('/') || pattern.startsWith('*') ? pattern : `/${pattern}`);
}

/** `*` = any run of characters, `?` = one character, the rest literal; matches the whole string. */
export function compileWildcard(pattern: string): (text: string) => boolean {
  let src = '^';
  for (const ch of pattern) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  const re = new RegExp(src + '$', 's');
  return (text) => re.test(text);
}

/**
 * EDGE-04: behaviours are tried in list order, the first match wins, and the default (`*`)
 * behaviour is tried last. `path` is the URL path without its query string (EDGE-05).
 * Returns the index into `patterns`, or -1 for the default behaviour.
 */
export function matchBehaviour(matchers: readonly ((path: string) => boolean)[], path: string): number {
  for (let i = 0; i < matchers.length; i++) if (matchers[i]!(path)) return i;
  return -1;
}
