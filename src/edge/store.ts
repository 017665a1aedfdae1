// The in-memory cache: objects bounded by bytes and by count, least recently used evicted first
// (TTL-07). The byte bound is charged with what an object really costs in this process (V8 heap
// strings, arrays and objects, and the Buffer's backing store), not just its body: 80,000 cached
// error pages under 6,000-character URLs are mostly key, and charging only bodies let such a mix
// grow the process far past the bound.
import type CachePolicy from 'http-cache-semantics';
import { headBlockOf, type HeadBlock } from './hit-lane/head-block.js';

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
  /** The hit lane's precomputed header block (hit-lane/head-block.ts); the store sets it when it keeps the object. */
  head?: HeadBlock;
  /** Bytes charged against the store bound; the store sets it (footprintOf) when it keeps the object. */
  size: number;
  /**
   * The store's recency list (least recently used first): its neighbours while it is stored, so a
   * hit moves it to the end with a few pointer writes and no allocation. Set by the store only.
   */
  lruPrev?: StoredObject;
  lruNext?: StoredObject;
}

/**
 * What V8 (Node 20, 64-bit, no pointer compression) spends on the parts of a stored object, in
 * bytes. Measured with `process.memoryUsage()` after forced collections around thousands of real
 * objects built by the edge (test/edge/store-footprint.test.ts keeps the model honest).
 */
export const V8_COST = {
  /** Sequential string header (map, hash, length); characters follow, rounded up to 8 bytes. */
  stringHeader: 16,
  /** A substring sharing its parent's characters (SlicedString). */
  slicedString: 32,
  /** JSArray plus its FixedArray header; 8 bytes per element on top. */
  arrayHeader: 48,
  pointer: 8,
  /**
   * Everything of fixed size per object: the StoredObject, its Map entry, the CachePolicy with its
   * parsed Cache-Control objects, the Buffer (Uint8Array, ArrayBuffer, backing store record and
   * malloc header), the hit-header array and the Content-Length string.
   */
  objectBase: 1000,
  /**
   * The hit lane's HeadBlock object and its prefix Buffer (Uint8Array, ArrayBuffer, backing store
   * record and malloc header); the prefix's bytes are charged off the heap.
   */
  headBlock: 300,
  /** One header in the policy's header object (a lower-cased name of its own, a property slot). */
  policyHeaderSlot: 40,
  /**
   * Old-space pages committed per live heap byte under cache churn: a mark-compact moves only
   * sparse pages, so survivors interleaved with dead request strings keep pages resident (measured
   * 200 MB committed for 134 MB live). Heap bytes are charged with it; Buffer backing stores
   * (malloc) are not, they are returned whole.
   */
  heapSlack: 1.3,
} as const;

/** Bytes of a string's characters as V8 stores them: one byte each for Latin-1, else two. */
export function stringBytes(s: string): number {
  const perChar = /[^\u0000-\u00ff]/.test(s) ? 2 : 1;
  return V8_COST.stringHeader + roundUp8(s.length * perChar);
}

function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

/** Body and header bytes only (a lower bound, kept for callers that size an object before storing it). */
export function chargeOf(body: Buffer, headers: readonly [string, string][]): number {
  let n = body.buffer.byteLength;
  for (const [k, v] of headers) n += k.length + v.length;
  return n;
}

/**
 * The bytes an object costs once `compact()` has run: on the V8 heap its key, invalidation path (a
 * substring of the key when it is one), every header three times over (the tuple, the hit-header
 * list and the policy's copy), the hit lane's header block when there is one, and the fixed part,
 * with the heap's slack; off the heap the body's whole backing store and the head block's bytes.
 */
export function footprintOf(o: Pick<StoredObject, 'key' | 'invalidationPath' | 'headers' | 'body' | 'head'>): number {
  return Math.ceil(heapBytesOf(o) * V8_COST.heapSlack) + o.body.buffer.byteLength + (o.head?.prefix.length ?? 0);
}

/** The V8 heap part of footprintOf(), before the slack. */
export function heapBytesOf(o: Pick<StoredObject, 'key' | 'invalidationPath' | 'headers' | 'head'>): number {
  const c = V8_COST;
  let n = c.objectBase + stringBytes(o.key);
  if (o.head !== undefined) n += c.headBlock;
  n += o.key.includes(o.invalidationPath) ? c.slicedString : stringBytes(o.invalidationPath);
  for (const [name, value] of o.headers) {
    n += c.arrayHeader + 2 * c.pointer + stringBytes(name) + stringBytes(value); // the [name, value] tuple
    n += 2 * c.pointer; // its two slots in hitHeaders
    n += c.policyHeaderSlot + stringBytes(name); // the policy's lower-cased copy of the name
  }
  return n + c.arrayHeader * 2 + c.pointer * o.headers.length;
}

/**
 * A copy of `s` that shares no characters with any other string. A key built from slices of the
 * request URL would otherwise keep the whole URL (query strings it does not include, too) alive.
 */
export function detachedString(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/**
 * Drops what an object would keep alive beyond itself, so footprintOf() is what it costs: the key
 * becomes a string of its own, the invalidation path (and the policy's URL, when it is the same
 * text) a substring of it, and a body that is a view into a larger buffer (a socket read, the
 * Buffer pool) gets a buffer of its own.
 */
export function compact(o: StoredObject): void {
  o.key = detachedString(o.key);
  const at = o.key.indexOf(o.invalidationPath);
  o.invalidationPath = at >= 0 ? o.key.slice(at, at + o.invalidationPath.length) : detachedString(o.invalidationPath);
  const saved = o.policy.toObject();
  if (typeof saved.u === 'string') {
    // The policy holds the origin URL: the same text as the invalidation path, or its own copy.
    saved.u = saved.u === o.invalidationPath ? o.invalidationPath : detachedString(saved.u);
    o.policy = (o.policy.constructor as typeof CachePolicy).fromObject(saved);
  }
  if (o.body.byteLength !== o.body.buffer.byteLength) {
    const own = Buffer.allocUnsafeSlow(o.body.byteLength);
    o.body.copy(own);
    o.body = own;
  }
}

export interface StoreLimits {
  /** Bound on the bytes charged (footprintOf) for all objects. */
  maxBytes: number;
  /** Bound on one object's body; larger objects are relayed, not stored. */
  maxObjectBytes: number;
  /** Bound on the number of objects, whatever their size. */
  maxObjects: number;
}

export class ObjectStore {
  private readonly map = new Map<string, StoredObject>();
  /** Least and most recently used ends of the recency list (threaded through the objects). */
  private oldest: StoredObject | undefined;
  private newest: StoredObject | undefined;
  bytes = 0;
  evictions = 0;
  private churnSinceHint = 0;
  private readonly hintEvery: number;
  readonly maxBytes: number;
  readonly maxObjectBytes: number;
  readonly maxObjects: number;

  /**
   * `onChurn` is called each time objects worth about an eighth of the bound (at most 32 MiB) have
   * been stored or evicted. Evicted bodies are external memory that V8 frees only at a full GC,
   * which by itself it starts only after ~64 MiB of external growth; and V8 lets its old space grow
   * to about twice the live heap before collecting it, while every miss also leaves the request's
   * own strings behind. A full GC at that pace keeps the process near the bound (see gc-hint.ts).
   */
  constructor(
    maxBytes: number,
    maxObjectBytes: number,
    private readonly onChurn?: () => void,
    maxObjects = Number.MAX_SAFE_INTEGER,
  ) {
    this.maxBytes = maxBytes;
    this.maxObjectBytes = maxObjectBytes;
    this.maxObjects = maxObjects;
    this.hintEvery = Math.min(32 * 1024 * 1024, Math.floor(maxBytes / 8));
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * Looks up and marks as most recently used. Every cached hit comes here: the bump relinks the
   * object at the new end of the list (O(1), nothing allocated), where a Map delete-and-set would
   * leave a deleted entry behind for each hit and make the Map rebuild its table as they pile up.
   */
  get(key: string): StoredObject | undefined {
    const o = this.map.get(key);
    if (o !== undefined && o !== this.newest) {
      this.unlink(o);
      this.append(o);
    }
    return o;
  }

  /**
   * Stores (replacing any older copy) and charges the object its footprint; false when it is larger
   * than an object may be. The object is compacted first (see compact()).
   */
  set(o: StoredObject): boolean {
    this.delete(o.key);
    if (o.body.byteLength > this.maxObjectBytes) return false;
    compact(o);
    // Built once per stored object: a hit through the hit lane then only adds its per-request lines.
    o.head = headBlockOf(o.status, o.isError, o.hitHeaders);
    o.size = footprintOf(o);
    if (o.size > this.maxBytes) return false;
    while (this.oldest !== undefined && (this.bytes + o.size > this.maxBytes || this.map.size >= this.maxObjects)) {
      this.churnSinceHint += this.oldest.size;
      this.delete(this.oldest.key);
      this.evictions++;
    }
    this.churnSinceHint += o.size;
    if (this.onChurn && this.churnSinceHint >= this.hintEvery) {
      this.churnSinceHint = 0;
      this.onChurn();
    }
    this.map.set(o.key, o);
    this.append(o);
    this.bytes += o.size;
    return true;
  }

  delete(key: string): boolean {
    const o = this.map.get(key);
    if (!o) return false;
    this.map.delete(key);
    this.unlink(o);
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

  private append(o: StoredObject): void {
    o.lruPrev = this.newest;
    o.lruNext = undefined;
    if (this.newest) this.newest.lruNext = o;
    else this.oldest = o;
    this.newest = o;
  }

  private unlink(o: StoredObject): void {
    if (o.lruPrev) o.lruPrev.lruNext = o.lruNext;
    else if (this.oldest === o) this.oldest = o.lruNext;
    if (o.lruNext) o.lruNext.lruPrev = o.lruPrev;
    else if (this.newest === o) this.newest = o.lruPrev;
    o.lruPrev = o.lruNext = undefined;
  }
}
