// The origin's only disk access: resolves a route's file strictly inside its format directory,
// reads manifests whole (ffmpeg replaces them by rename, so one open sees one complete version),
// opens media for streaming, and reads a stream's stream.json.
import { createHash } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { formatDir, STREAM_INFO_FILE, streamDir, type StreamInfoFile, type StreamKey } from '../streams/stream-key.js';
import { diskLocation, type MediaRoute } from './url-families.js';

/** Manifests are small; anything bigger is not ours and is not read into memory. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * The absolute path of a route's file, or undefined when it would leave its format directory.
 * The router has already matched the name against a strict pattern; this is the second wall.
 */
export function resolveRouteFile(dataDir: string, route: MediaRoute): string | undefined {
  const { format, file } = diskLocation(route);
  const dir = formatDir(dataDir, route.key, format);
  return resolveInside(dir, file);
}

/** `dir/rel` if it lies strictly inside `dir`, else undefined. */
export function resolveInside(dir: string, rel: string): string | undefined {
  const root = path.resolve(dir);
  const full = path.resolve(root, rel);
  return full.startsWith(root + path.sep) ? full : undefined;
}

export interface WholeFile {
  body: Buffer;
  mtime: Date;
}

export interface MediaFile {
  handle: FileHandle;
  size: number;
  mtime: Date;
  /** Strong: media files are written once (renamed into place, or complete per hls-readiness). */
  etag: string;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR';
}

/** O_NOFOLLOW: a symlink planted in a format directory is never followed. */
async function openRegular(file: string): Promise<{ handle: FileHandle; stat: Stats } | undefined> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return undefined;
    }
    return { handle, stat };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Reads a manifest whole from one open file. An empty file counts as absent: ffmpeg leaves 0-byte
 * HDS manifests when interrupted (FIELD-NOTES §4b), and a player must never get half a manifest.
 */
export async function readWholeFile(file: string): Promise<WholeFile | undefined> {
  const opened = await openRegular(file);
  if (!opened) return undefined;
  const { handle, stat } = opened;
  try {
    if (stat.size === 0 || stat.size > MAX_MANIFEST_BYTES) return undefined;
    const body = await handle.readFile();
    if (body.length === 0) return undefined;
    return { body, mtime: stat.mtime };
  } finally {
    await handle.close();
  }
}

/** Opens a media file for streaming; the caller closes `handle` (or hands it to a stream). */
export async function openMedia(file: string): Promise<MediaFile | undefined> {
  const opened = await openRegular(file);
  if (!opened) return undefined;
  const { handle, stat } = opened;
  return { handle, size: stat.size, mtime: stat.mtime, etag: fileEtag(stat) };
}

export function fileEtag(stat: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>): string {
  return `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
}

/** Strong ETag of served bytes (manifests: the rewritten body, so each family has its own). */
export function contentEtag(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"`;
}

/** The stream's stream.json as the packager wrote it, or undefined if absent or unreadable. */
export async function readStreamInfo(dataDir: string, key: StreamKey): Promise<StreamInfoFile | undefined> {
  const file = resolveInside(streamDir(dataDir, key), STREAM_INFO_FILE);
  if (!file) return undefined;
  const whole = await readWholeFile(file);
  if (!whole) return undefined;
  try {
    const info = JSON.parse(whole.body.toString('utf8')) as StreamInfoFile;
    return info && typeof info === 'object' ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Start time of the first Smooth fragment of one quality level on disk (`Fragments(video=670000)`
 * → 670000), for manifests that give none (see manifest-rewrite.ts). Undefined when none is there.
 */
export async function firstSmoothFragmentStart(mssDir: string, type: string, bitrate: string): Promise<number | undefined> {
  if (!/^(video|audio)$/.test(type) || !/^\d{1,12}$/.test(bitrate)) return undefined;
  const dir = resolveInside(mssDir, `QualityLevels(${bitrate})`);
  if (!dir) return undefined;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  const re = new RegExp(`^Fragments\\(${type}=(\\d{1,20})\\)$`);
  let min: number | undefined;
  for (const name of names) {
    const m = re.exec(name);
    if (m) min = min === undefined ? Number(m[1]) : Math.min(min, Number(m[1]));
  }
  return min;
}
