// Where the demo player's files and hls.js live on disk, and which of them the origin serves.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * `<repo>/player`, two levels above this module both from `src/origin/` (tsx, vitest) and from
 * `dist/origin/` (compiled).
 */
export function playerDir(): string {
  return fileURLToPath(new URL('../../player/', import.meta.url));
}

/** hls.js's browser build from node_modules, resolved the way Node resolves packages. */
export function hlsJsFile(): string | undefined {
  try {
    const file = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Player file names served at the root: one plain name with a known extension, nothing else. */
const PLAYER_FILE_RE = /^[A-Za-z0-9_-]{1,64}\.(html|js|mjs|css|svg|png|ico|json|map)$/;

const PLAYER_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

export function isPlayerFileName(name: string): boolean {
  return PLAYER_FILE_RE.test(name);
}

export function playerContentType(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return PLAYER_TYPES[ext] ?? 'application/octet-stream';
}

/** Short: the page changes with releases, not with streams. */
export const PLAYER_CACHE_CONTROL = 'max-age=60';

/** The page served at `/` when the player folder is missing. */
export const FALLBACK_INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>streamfront origin</title></head>
<body><h1>streamfront origin</h1>
<p>The demo player is not installed. Live streams: <a href="/api/streams">/api/streams</a>.
Health: <a href="/healthz">/healthz</a>.</p></body></html>
`;

