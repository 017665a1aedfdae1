// The hit lane's lookup memo: the staged pipeline's hit decisions for memo-safe requests, by the
// lane's key (memoKeyOf), so the lane can answer the next such request without the pipeline.
// Bounded in entries and in key bytes (a viewer cycling URL variants costs bounded memory); the
// oldest entry goes first. An entry names the very stored object the pipeline found: the lane
// answers only while the store still holds that object under that key (eviction, replacement and
// invalidation all end an entry's use with no bookkeeping here). The entry holds the object
// weakly: an object the store has let go is not kept alive by the memo (the store's byte bound
// stays the bound on what cached objects cost).
import type { DistributionRecord } from '../context.js';
import type { StoredObject } from '../store.js';
import type { HitLineTemplate } from './log-line.js';

export interface MemoEntry {
  /** The cache key the pipeline found the object under. */
  key: string;
  /** The stored object the pipeline answered with. */
  obj: WeakRef<StoredObject>;
  rec: DistributionRecord;
  /** canonicalPath() of the target (cs-uri-stem, stats). */
  path: string;
  /** The query as sent (the access log's cs-uri-query). */
  rawQuery: string;
  /**
   * The constant parts of this entry's access-log line, when the lane logs its hits through it:
   * the distribution has an access log and the edge no real-time log (whose lines take the whole
   * record). Undefined: the lane logs through the log stage's full record.
   */
  hitLog?: HitLineTemplate;
}

export class LookupMemo {
  private readonly map = new Map<string, MemoEntry>();
  private keyChars = 0;

  constructor(
    readonly maxEntries: number,
    /** Bound on the characters of all keys and paths held. */
    readonly maxChars: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get chars(): number {
    return this.keyChars;
  }

  get(key: string): MemoEntry | undefined {
    return this.map.get(key);
  }

  set(key: string, e: MemoEntry): void {
    const cost = charsOf(key, e);
    if (cost > this.maxChars) return;
    this.delete(key);
    while (this.map.size > 0 && (this.map.size >= this.maxEntries || this.keyChars + cost > this.maxChars)) {
      this.delete(this.map.keys().next().value!);
    }
    this.map.set(key, e);
    this.keyChars += cost;
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.keyChars -= charsOf(key, e);
  }

  clear(): void {
    this.map.clear();
    this.keyChars = 0;
  }
}

function charsOf(key: string, e: MemoEntry): number {
  return key.length + e.key.length + e.path.length + e.rawQuery.length + (e.hitLog?.chars ?? 0);
}
