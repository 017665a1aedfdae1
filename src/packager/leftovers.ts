// Start-up: live output left by an earlier run is removed before this run packages anything, so a
// stream published right after a restart never continues (or is served as) the previous run's
// playlist. Only what the packager writes is touched: `<dataDir>/streams/<app>/<name>`, minus
// recordings (`recordings/` or `vod/` inside a stream directory); nothing outside `streams/`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { isValidApp, isValidStreamName, streamId } from '../streams/stream-key.js';

/** Folders inside a stream directory that hold recordings: they outlive the live stream. */
export const KEPT_FOLDERS: ReadonlySet<string> = new Set(['recordings', 'vod']);

/**
 * Removes every stream's live output under `<dataDir>/streams`; returns the stream ids it
 * removed. A symlink where an app or stream directory should be is removed too (the link, never
 * its target): the packager must not write through a link planted in the data directory.
 */
export async function removeLeftovers(dataDir: string, log: Logger): Promise<string[]> {
  const root = path.join(path.resolve(dataDir), 'streams');
  const removed: string[] = [];
  for (const a of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    const appDir = path.join(root, a.name);
    let app: string;
    try {
      app = decodeURIComponent(a.name);
    } catch {
      continue; // not a name the packager writes
    }
    if (!isValidApp(app)) continue;
    if (a.isSymbolicLink()) {
      await fs.unlink(appDir);
      log.warn({ path: appDir }, 'removed a symlink planted where an app directory belongs');
      continue;
    }
    if (!a.isDirectory()) continue;
    for (const n of await fs.readdir(appDir, { withFileTypes: true }).catch(() => [])) {
      if (!isValidStreamName(n.name)) continue;
      const dir = path.join(appDir, n.name);
      if (n.isSymbolicLink()) {
        await fs.unlink(dir);
        log.warn({ path: dir }, 'removed a symlink planted where a stream directory belongs');
        continue;
      }
      if (!n.isDirectory()) continue;
      const id = streamId({ app, name: n.name });
      try {
        await removeLiveOutput(dir);
        removed.push(id);
      } catch (err) {
        // A directory we cannot clean (read-only, permissions) must not stop the server: its
        // stream fails on its own when published, as an unwritable directory always does.
        log.warn({ stream: id, dir, err: (err as Error).message }, 'cannot remove live output left by an earlier run');
      }
    }
  }
  if (removed.length > 0) log.info({ streams: removed }, 'removed live output left by an earlier run');
  return removed;
}

/**
 * Removes a stream directory's live output (manifests, segments, stream.json) and the directory
 * itself unless it holds recordings, which stay.
 */
export async function removeLiveOutput(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (entries === null) return;
  const kept = entries.filter((e) => e.isDirectory() && KEPT_FOLDERS.has(e.name));
  await Promise.all(entries.filter((e) => !kept.includes(e)).map((e) => fs.rm(path.join(dir, e.name), { recursive: true, force: true })));
  if (kept.length > 0) return;
  await fs.rmdir(dir).catch((err: NodeJS.ErrnoException) => {
    // EBUSY: the directory is a mount point; emptied, it stays.
    if (err.code !== 'EBUSY' && err.code !== 'ENOENT') throw err;
  });
}
