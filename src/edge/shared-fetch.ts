// One origin response relayed to every viewer that asked for the same cache key while it was in
// flight (request collapsing, SPEC §9.14), bytes passed on as they arrive (SPEC §0 edge flow).
import type { StoredObject } from './store.js';
import type { ResultType } from './access-log.js';

/** What the viewers of a fetch get once the origin has answered. */
export type FetchHead =
  /** A complete object: RefreshHit after a 304, a stale copy on an origin error, a cached error. */
  | { kind: 'object'; obj: StoredObject; result: ResultType; stale: boolean }
  /** A response being relayed from the origin. */
  | {
      kind: 'stream';
      status: number;
      /** Viewer headers without the per-request ones (X-Cache, X-Amz-Cf-Id). */
      headers: string[];
      contentLength?: number;
      etag?: string;
      lastModified?: string;
      isError: boolean;
      ttl?: number;
    };

export interface FetchSubscriber {
  head(h: FetchHead): void;
  data(chunk: Buffer): void;
  /** The whole body when it was kept (retained for the cache), else undefined. */
  end(body: Buffer | undefined): void;
  /** The origin transfer broke off: the viewer's response cannot be completed (ORG-07). */
  fail(): void;
}

export class SharedFetch {
  head?: FetchHead;
  private chunks: Buffer[] = [];
  private bytes = 0;
  /**
   * With a known Content-Length the body is copied into one buffer of exactly that size as it
   * arrives, so the socket's chunks die young and no second copy is made at the end (memory bound).
   */
  private whole?: Buffer;
  /** Chunks are kept for late joiners and the cache until `dropRetained()`. */
  retaining = true;
  state: 'pending' | 'streaming' | 'ended' | 'failed' = 'pending';
  body?: Buffer;
  private readonly subs = new Set<FetchSubscriber>();
  /** Called when the last viewer leaves before the end (ORG-07: then nothing is cached). */
  onAbandoned?: () => void;
  abandoned = false;
  /** The answer came from an origin group's secondary (origin failover). */
  failedOver = false;

  get subscriberCount(): number {
    return this.subs.size;
  }

  subscribe(s: FetchSubscriber): void {
    if (this.head?.kind === 'object') return s.head(this.head);
    this.subs.add(s);
    // A viewer joined a transfer everyone else had left: it completes for this viewer, so it may be cached.
    if (this.abandoned && (this.state === 'pending' || this.state === 'streaming')) this.abandoned = false;
    if (!this.head) return;
    s.head(this.head);
    if (this.whole) {
      if (this.bytes > 0) s.data(this.whole.subarray(0, this.bytes));
    } else for (const c of this.chunks) s.data(c);
    if (this.state === 'ended') s.end(this.body);
    else if (this.state === 'failed') s.fail();
  }

  unsubscribe(s: FetchSubscriber): void {
    if (!this.subs.delete(s)) return;
    if (this.subs.size === 0 && (this.state === 'pending' || this.state === 'streaming')) {
      this.abandoned = true;
      this.onAbandoned?.();
    }
  }

  setHead(h: FetchHead): void {
    this.head = h;
    this.state = h.kind === 'stream' ? 'streaming' : 'ended';
    const subs = [...this.subs];
    if (h.kind === 'object') this.subs.clear();
    for (const s of subs) s.head(h);
  }

  /** The body will be `length` bytes (Content-Length): keep it in one buffer of that size. */
  expectLength(length: number): void {
    if (this.retaining && this.bytes === 0 && length > 0) this.whole = Buffer.allocUnsafeSlow(length);
  }

  push(chunk: Buffer): void {
    if (this.retaining) {
      if (this.whole && this.bytes + chunk.length <= this.whole.length) chunk.copy(this.whole, this.bytes);
      else {
        if (this.whole) {
          this.chunks = [this.whole.subarray(0, this.bytes)]; // longer than announced: fall back to a list
          this.whole = undefined;
        }
        this.chunks.push(chunk);
      }
      this.bytes += chunk.length;
    }
    for (const s of this.subs) s.data(chunk);
  }

  /** Stops keeping chunks (object too large or not cacheable); late joiners must not use this fetch. */
  dropRetained(): void {
    this.retaining = false;
    this.chunks = [];
    this.whole = undefined;
    this.bytes = 0;
  }

  finish(): Buffer | undefined {
    this.state = 'ended';
    if (this.retaining) {
      if (this.whole) this.body = this.bytes === this.whole.length ? this.whole : this.whole.subarray(0, this.bytes);
      // Always copied: a lone chunk may share its memory with the socket read it came from.
      else this.body = Buffer.concat(this.chunks, this.bytes);
    }
    this.chunks = [];
    this.whole = undefined;
    for (const s of [...this.subs]) s.end(this.body);
    this.subs.clear();
    return this.body;
  }

  fail(): void {
    this.state = 'failed';
    this.chunks = [];
    this.whole = undefined;
    for (const s of [...this.subs]) s.fail();
    this.subs.clear();
  }
}
