// Start-up: live output left by an earlier run is removed before this run packages anything, so a
// stream published right after a restart never continues (or is served as) the previous run's
// playlist. Only what the packager writes is touched: `<dataDir>/streams/<app>/<name>`, minus
// the kept folders that hold recordings (KEPT_FOLDERS of the output layout); nothing outside `streams/`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { streamId } from '../streams/stream-key.js';
import { KEPT_FOLDERS, scanStreamDirs } from '../timeline/output-layout.js';

/**
 * Removes every stream's live output under `<dataDir>/streams`; returns the stream ids it
 * removed. A symlink where an app or stream directory should be is removed too (the link, never
 * its target): the packager must not write through a link planted in the data directory.
 */
export async function removeLeftovers(dataDir: string, log: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await scanStreamDirs(dataDir)) {
    if (entry.kind === 'app-link') {
      await fs.unlink(entry.path);
      log.warn({ path: entry.path }, 'removed a symlink planted where an app directory belongs');
      continue;
    }
    if (entry.kind === 'stream-link') {
      await fs.unlink(entry.path);
      log.warn({ path: entry.path }, 'removed a symlink planted where a stream directory belongs');
      continue;
    }
    const id = streamId(entry.key);
    try {
      await removeLiveOutput(entry.path);
      removed.push(id);
    } catch (err) {
      // A directory we cannot clean (read-only, permissions) must not stop the server: its
      // stream fails on its own when published, as an unwritable directory always does.
      log.warn({ stream: id, dir: entry.path, err: (err as Error).message }, 'cannot remove live output left by an earlier run');
    }
  }
  if (removed.length > 0) log.info({ streams: removed }, 'removed live output left by an earlier run');
  return removed;
}

/**
 * Removes a stream directory's live output (manifests, segments, the stream info file) and the
 * directory itself unless it holds recordings, which stay.
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
