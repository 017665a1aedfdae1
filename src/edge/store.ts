// The in-memory cache: objects bounded by bytes, least recently used evicted first (TTL-07).
import type CachePolicy from 'http-cache-semantics';

export interface StoredObject {
  key: string;
  /** INV-02/03: path (+ forwarded query) shared by all variants of the object. */
  invalidationPath: string;
  status: number;
  /** Origin headers kept for the cached copy (RSP-01 / cookie rules applied), without framing headers. */
  headers: [string, string][];
  body: Buffer;
  policy: CachePolicy;
  /** Edge TTL in seconds (TTL-04 or ERR-02). */
  ttl: number;
  /** Time the response was received (ms) and its age then (s, from the origin's Age header). */
  receivedAt: number;
  initialAge: number;
  /** Fresh until (ms since epoch); after that the next request revalidates (TTL-07). */
  freshUntil: number;
  /** ERR-04: after an origin failure, the stale copy is served without asking the origin until then (ms). */
  staleUntil?: number;
  etag?: string;
  lastModified?: string;
  /** Cached error (ERR-03): served with `X-Cache: Error from cloudfront`. */
  isError: boolean;
  /** Flat [name, value, …] header list for hits, precomputed once (Via, Pop, Content-Length included). */
  hitHeaders: string[];
  /** Bytes charged against the store bound. */
  size: number;
}

/** Per-object bookkeeping charged on top of the body (headers, strings, policy object). */
const OVERHEAD = 1024;

export function chargeOf(body: Buffer, headers: readonly [string, string][]): number {
  let n = OVERHEAD + body.length;
  for (const [k, v] of headers) n += k.length + v.length;
  return n;
}

export class ObjectStore {
  private readonly map = new Map<string, StoredObject>();
  bytes = 0;
  evictions = 0;
  private evictedSinceHint = 0;
  private readonly hintEvery: number;

  /**
   * `onEvictedBytes` is called each time about an eighth of the bound (at most 32 MiB) has been
   * evicted: evicted bodies are external memory that V8 only frees at a full GC, which by itself it
   * starts only after ~64 MiB of external growth, so the edge asks for one (see gc-hint.ts).
   */
  constructor(
    readonly maxBytes: number,
    readonly maxObjectBytes: number,
    private readonly onEvictedBytes?: () => void,
  ) {
    this.hintEvery = Math.min(32 * 1024 * 1024, Math.floor(maxBytes / 8));
  }

  get size(): number {
    return this.map.size;
  }

  /** Looks up and marks as most recently used. */
  get(key: string): StoredObject | undefined {
    const o = this.map.get(key);
    if (o !== undefined) {
      this.map.delete(key);
      this.map.set(key, o);
    }
    return o;
  }

  /** Stores (replacing any older copy); false when the object is larger than an object may be. */
  set(o: StoredObject): boolean {
    this.delete(o.key);
    if (o.size > this.maxObjectBytes || o.size > this.maxBytes) return false;
    while (this.bytes + o.size > this.maxBytes) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.evictedSinceHint += this.map.get(oldest.value)!.size;
      this.delete(oldest.value);
      this.evictions++;
    }
    if (this.onEvictedBytes && this.evictedSinceHint >= this.hintEvery) {
      this.evictedSinceHint = 0;
      this.onEvictedBytes();
    }
    this.map.set(o.key, o);
    this.bytes += o.size;
    return true;
  }

  delete(key: string): boolean {
    const o = this.map.get(key);
    if (!o) return false;
    this.map.delete(key);
    this.bytes -= o.size;
    return true;
  }

  /** INV-03: removes every variant whose invalidation path equals `path` (and key starts with `prefix`). */
  invalidate(prefix: string, path: string): number {
    let n = 0;
    for (const [key, o] of this.map) {
      if (o.invalidationPath === path && key.startsWith(prefix)) {
        this.delete(key);
        n++;
      }
    }
    return n;
  }

  /** INV-02/03 with wildcards: one pass removes every object under `prefix` whose invalidation path matches. */
  removeMatching(prefix: string, matches: (invalidationPath: string) => boolean): number {
    let n = 0;
    for (const [key, o] of this.map) {
      if (matches(o.invalidationPath) && key.startsWith(prefix)) {
        this.delete(key);
        n++;
      }
    }
    return n;
  }
}
