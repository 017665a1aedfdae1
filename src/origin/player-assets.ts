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

/**
 * The players' browser builds, vendored from node_modules and served at `/vendor/<name>` so that
 * the page works with no internet and no CDN: request path → npm module specifier.
 * dash.js's package has an `exports` map, so it is named by its package name (its `require`
 * condition is the UMD build, which defines `window.dashjs`).
 */
export const VENDOR_ASSETS: Readonly<Record<string, string>> = {
  '/vendor/hls.min.js': 'hls.js/dist/hls.min.js',
  '/vendor/dash.all.min.js': 'dashjs',
};

/** Resolves a module specifier the way Node does; undefined when the package is not installed. */
function resolveModuleFile(specifier: string): string | undefined {
  try {
    const file = createRequire(import.meta.url).resolve(specifier);
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The vendored files that are installed: request path → file on disk (resolved once, at start). */
export function vendorAssetFiles(): ReadonlyMap<string, string> {
  const files = new Map<string, string>();
  for (const [urlPath, specifier] of Object.entries(VENDOR_ASSETS)) {
    const file = resolveModuleFile(specifier);
    if (file) files.set(urlPath, file);
  }
  return files;
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
