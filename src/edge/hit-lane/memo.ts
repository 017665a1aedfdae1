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
import { memoKeyOf } from './parse-head.js';

/** The request fields an entry answers for: the parts of its memo key (memoKeyOf). */
export interface MemoRequest {
  method: string;
  host: string;
  target: string;
  acceptEncoding: string | undefined;
  cookie: string | undefined;
}

export interface MemoEntry {
  /** The request it was remembered for. */
  req: MemoRequest;
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
  /** Every entry, by memoKeyOf() of its request, oldest first. */
  private readonly map = new Map<string, MemoEntry>();
  /**
   * The entry remembered last for each target. A lookup whose other fields equal that entry's
   * (the usual case: one Host, one Accept-Encoding per player) is answered without building and
   * hashing the key text; any other goes through the key.
   */
  private readonly latest = new Map<string, MemoEntry>();
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

  /** The entry for a request with these fields, if any. */
  find(
    method: string,
    host: string,
    target: string,
    acceptEncoding: string | undefined,
    cookie: string | undefined,
  ): MemoEntry | undefined {
    const e = this.latest.get(target);
    if (e !== undefined) {
      const q = e.req;
      if (q.method === method && q.host === host && q.acceptEncoding === acceptEncoding && q.cookie === cookie) return e;
    }
    return this.map.get(memoKeyOf(method, host, target, acceptEncoding, cookie));
  }

  set(e: MemoEntry): void {
    const q = e.req;
    const key = memoKeyOf(q.method, q.host, q.target, q.acceptEncoding, q.cookie);
    const cost = charsOf(key, e);
    if (cost > this.maxChars) return;
    this.delete(key);
    while (this.map.size > 0 && (this.map.size >= this.maxEntries || this.keyChars + cost > this.maxChars)) {
      this.delete(this.map.keys().next().value!);
    }
    this.map.set(key, e);
    this.latest.set(q.target, e);
    this.keyChars += cost;
  }

  private delete(key: string): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    if (this.latest.get(e.req.target) === e) this.latest.delete(e.req.target);
    this.keyChars -= charsOf(key, e);
  }

  clear(): void {
    this.map.clear();
    this.latest.clear();
    this.keyChars = 0;
  }
}

/** The characters an entry holds: its key text, the request's fields (a copy of their own), and its own texts. */
function charsOf(key: string, e: MemoEntry): number {
  const q = e.req;
  const fields = q.host.length + q.target.length + (q.acceptEncoding?.length ?? 0) + (q.cookie?.length ?? 0);
  return key.length + fields + e.key.length + e.path.length + e.rawQuery.length + (e.hitLog?.chars ?? 0);
}
