// The origin's only disk access: resolves a route's file strictly inside its format directory,
// reads manifests whole (ffmpeg replaces them by rename, so one open sees one complete version),
// opens media for streaming, and reads a stream's stream.json.
//
// Containment: every open names the trusted root it must stay in (the data directory, the player
// directory). O_NOFOLLOW refuses a symlink as the last component; a symlink in any directory
// component (`streams/live/evil -> /elsewhere`) is caught by asking the kernel where the opened
// descriptor really is (/proc/self/fd) and requiring exactly `<real root>/<relative path>`. The
// check is on the open file itself, so swapping a directory afterwards changes nothing, and it
// costs one readlink on procfs (no disk access) per open.
import { createHash } from 'node:crypto';
import { constants as fsConstants, readlinkSync, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { StreamKey } from '../streams/stream-key.js';
import type { ObjectStore } from '../storage/object-store.js';
import { readStoredSegment, type StoredSegment } from '../timeline/dvr-archive.js';
import { sourceFileIdentity } from '../timeline/dvr-ts-archive.js';
import {
  dvrPrefix,
  formatDir,
  isHlsSegmentName,
  isTsDvrRun,
  parseSmoothFragment,
  SMOOTH_FILES,
  STREAM_INFO_FILE,
  streamDir,
  type StreamInfoFile,
  tsDvrSegmentKey,
} from '../timeline/output-layout.js';
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

/** Real paths of trusted roots (configuration, not request input), computed once each. */
const realRoots = new Map<string, string>();

async function realRoot(root: string): Promise<string | undefined> {
  const given = path.resolve(root);
  const known = realRoots.get(given);
  if (known !== undefined) return known;
  try {
    const real = await fs.realpath(given);
    realRoots.set(given, real);
    return real;
  } catch (err) {
    if (isMissing(err)) return undefined; // not created yet: nothing to serve, ask again later
    throw err;
  }
}

/** Whether /proc/self/fd tells where a descriptor is (Linux); elsewhere realpath is the fallback. */
let procFdWorks: boolean | undefined;

/** Where an open descriptor really is; a file unlinked since it was opened keeps its old path. */
async function descriptorPath(handle: FileHandle, file: string): Promise<string> {
  if (procFdWorks !== false) {
    try {
      // procfs answers from memory: a synchronous readlink is cheaper than a thread-pool round trip.
      const link = readlinkSync(`/proc/self/fd/${handle.fd}`);
      procFdWorks = true;
      return link.endsWith(' (deleted)') ? link.slice(0, -' (deleted)'.length) : link;
    } catch (err) {
      if (procFdWorks) throw err;
      procFdWorks = false;
    }
  }
  return fs.realpath(file);
}

/** `file` relative to `root`, or undefined when it is not strictly inside it. */
function insideRoot(root: string, file: string): string | undefined {
  const rel = path.relative(path.resolve(root), path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : undefined;
}

/**
 * Opens a regular file that lies, with no symlink in any component below `root`, at `file`.
 * Anything else (missing, a directory, a symlink anywhere on the way) is undefined: not served.
 */
async function openRegular(root: string, file: string): Promise<{ handle: FileHandle; stat: Stats } | undefined> {
  const rel = insideRoot(root, file);
  if (rel === undefined) return undefined;
  const real = await realRoot(root);
  if (real === undefined) return undefined;
  let handle: FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  try {
    if ((await descriptorPath(handle, file)) !== path.join(real, rel)) {
      await handle.close();
      return undefined;
    }
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
export async function readWholeFile(root: string, file: string): Promise<WholeFile | undefined> {
  const opened = await openRegular(root, file);
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

/**
 * Opens a media file for streaming; the caller closes `handle` (or hands it to a stream). An empty
 * file counts as absent: ffmpeg renames a segment into place even when its writes failed (a full
 * disk), and no segment, fragment or player file is ever legitimately empty.
 */
export async function openMedia(root: string, file: string): Promise<MediaFile | undefined> {
  const opened = await openRegular(root, file);
  if (!opened) return undefined;
  const { handle, stat } = opened;
  if (stat.size === 0) {
    await handle.close();
    return undefined;
  }
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
  const whole = await readWholeFile(dataDir, file);
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
export async function firstSmoothFragmentStart(root: string, mssDir: string, type: string, bitrate: string): Promise<number | undefined> {
  if (!/^(video|audio)$/.test(type) || !/^\d{1,12}$/.test(bitrate)) return undefined;
  const dir = resolveInside(mssDir, SMOOTH_FILES.level(bitrate));
  if (!dir) return undefined;
  const rel = insideRoot(root, dir);
  const real = await realRoot(root);
  if (rel === undefined || real === undefined) return undefined;
  let names: string[];
  try {
    // Only names are read here (the fragments themselves are opened through openRegular).
    if ((await fs.realpath(dir)) !== path.join(real, rel)) return undefined;
    names = await fs.readdir(dir);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  let min: number | undefined;
  for (const name of names) {
    const f = parseSmoothFragment(name);
    if (f?.type === type) min = min === undefined ? Number(f.start) : Math.min(min, Number(f.start));
  }
  return min;
}

/**
 * A TS segment that has left the disk for the store (timeline/dvr-ts-archive.ts), through the read
 * path of the CMAF DVR segments; undefined when the stream keeps no TS DVR window in a store or the
 * store has no such segment. The store key comes from stream.json's run and a checked segment name,
 * never from the URL as such. A store error throws (the caller answers 503).
 */
export async function storedTsSegment(
  dataDir: string,
  store: ObjectStore,
  key: StreamKey,
  name: string,
): Promise<StoredSegment | undefined> {
  if (!isHlsSegmentName(name)) return undefined;
  const run = (await readStreamInfo(dataDir, key))?.tsDvrRun;
  if (typeof run !== 'string' || !isTsDvrRun(run)) return undefined;
  const seg = await readStoredSegment(store, tsDvrSegmentKey(dvrPrefix(key, run), name));
  // The validators it had on disk (the file's identity, kept with the object): a cache revalidating a
  // segment that moved to the store gets a 304, not the same bytes again.
  const source = sourceFileIdentity(seg?.metadata);
  if (!seg || !source || source.size !== seg.bytes.length) return seg;
  return { ...seg, etag: fileEtag(source), lastModified: new Date(Math.floor(source.mtimeMs / 1000) * 1000) };
}
