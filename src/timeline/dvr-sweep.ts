// The DVR objects a stream's earlier runs left in the store: a process that stopped (or crashed)
// never deleted its window, and a bucket shared by several origins has no start-up clean-up that
// could tell whose objects they are. A stream belongs to the origin it is published to, so when it
// starts publishing here, every run of that stream in the store but the ones live in this process
// is deleted; other streams' objects (another origin's) are never listed, let alone touched.
import type { StreamKey } from '../streams/stream-key.js';
import type { ObjectStore } from '../storage/object-store.js';
import { dvrRunOfKey, dvrStreamPrefix } from './output-layout.js';

export interface DvrSweepResult {
  deleted: number;
  runs: string[];
}

/**
 * Deletes the objects of `key`'s DVR runs that `live()` does not name. `live` is asked after the
 * listing, so a run that starts while the sweep lists (a new timeline) is kept. Throws on a store
 * error (the caller logs it; the next publish sweeps again).
 */
export async function sweepDvrRuns(store: ObjectStore, key: StreamKey, live: () => ReadonlySet<string>): Promise<DvrSweepResult> {
  const found: Array<{ key: string; run: string }> = [];
  for await (const o of store.list(dvrStreamPrefix(key))) {
    const run = dvrRunOfKey(key, o.key);
    if (run !== undefined) found.push({ key: o.key, run });
  }
  const keep = live();
  const gone = found.filter((o) => !keep.has(o.run));
  for (let i = 0; i < gone.length; i += 8) await Promise.all(gone.slice(i, i + 8).map((o) => store.delete(o.key)));
  return { deleted: gone.length, runs: [...new Set(gone.map((o) => o.run))] };
}
