// The DVR window beyond the live edge: a stream's finished CMAF segments older than the newest
// `memorySegments` of each track are written to the object store and their bytes leave memory
// (the timeline keeps their times and sizes, so manifests still list them); they are read back
// when a player asks, and deleted from the store once the timeline's window has dropped them.
// Memory per stream is bounded by the live edge, the store by the window plus its margin.
import type { ObjectStore } from '../storage/object-store.js';
import { dvrSegmentKey } from './output-layout.js';
import type { StreamTimeline } from './stream-timeline.js';
import type { TrackTimeline } from './track-timeline.js';

export interface DvrArchiveLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DvrArchiveOptions {
  store: ObjectStore;
  /** Store prefix of this timeline's segments (output-layout dvrPrefix). */
  prefix: string;
  /** Complete segments per track kept in memory (the live edge: parts, delta updates, players near it). */
  memorySegments: number;
  log?: DvrArchiveLog;
}

/** Largest segment read back into memory for one answer. */
const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface StoredSegment {
  bytes: Buffer;
  etag: string;
  lastModified: Date;
  /** What the writer kept with it (e.g. the TS archive's source-file identity). */
  metadata?: Record<string, string>;
}

/**
 * The one read path of a DVR segment in the store (CMAF and TS): read whole into memory, so the
 * answer can take any range and a store that fails mid-body never sends a truncated 200. Undefined
 * when the object is not there (or larger than any segment the packager writes); a store error throws.
 */
export async function readStoredSegment(store: ObjectStore, key: string): Promise<StoredSegment | undefined> {
  const obj = await store.get(key);
  if (!obj || obj.size > MAX_SEGMENT_BYTES) {
    obj?.body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  for await (const c of obj.body) chunks.push(c as Buffer);
  return {
    bytes: Buffer.concat(chunks),
    etag: obj.etag,
    lastModified: obj.lastModified,
    ...(obj.metadata ? { metadata: obj.metadata } : {}),
  };
}

export class DvrArchive {
  readonly #o: DvrArchiveOptions;
  /** Segment numbers in the store, per track, oldest first. */
  readonly #written = new Map<string, number[]>();
  /** One chain of store operations per track: puts and deletes in order, never two at once. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #scheduled = new Set<string>();
  #failures = 0;
  #disposed = false;
  #detach: (() => void) | undefined;

  constructor(o: DvrArchiveOptions) {
    this.#o = o;
  }

  get prefix(): string {
    return this.#o.prefix;
  }

  /** Follows a stream: every time a track's segment completes, the track's window is synced. */
  attach(stream: StreamTimeline): void {
    const onPart = (trackId: string, part: { index: number }) => {
      if (part.index === 0) this.#schedule(stream, trackId);
    };
    stream.on('part', onPart);
    this.#detach = () => stream.off('part', onPart);
  }

  #schedule(stream: StreamTimeline, trackId: string): void {
    if (this.#scheduled.has(trackId) || this.#disposed) return;
    this.#scheduled.add(trackId);
    const prev = this.#chains.get(trackId) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        this.#scheduled.delete(trackId);
        const track = stream.track(trackId);
        if (track && !this.#disposed) await this.#sync(track);
      })
      .catch((err: unknown) => this.#o.log?.error({ track: trackId, err: (err as Error).message }, 'DVR archive sync failed'));
    this.#chains.set(trackId, next);
  }

  /** Puts what left the live edge, releases its bytes, deletes what left the window. */
  async #sync(track: TrackTimeline): Promise<void> {
    const { store, memorySegments, log } = this.#o;
    const held = track.segments.filter((s) => s.complete && !s.released);
    const out = held.slice(0, Math.max(0, held.length - memorySegments));
    const written = this.#written.get(track.id) ?? [];
    this.#written.set(track.id, written);
    for (const [i, s] of out.entries()) {
      if (this.#disposed) return;
      const body = Buffer.concat(s.parts.map((p) => p.bytes));
      try {
        await store.put(dvrSegmentKey(this.#o.prefix, track.id, s.msn), body, 'video/mp4');
        written.push(s.msn);
        track.release(s.msn);
        this.#failures = 0;
      } catch (err) {
        this.#failures++;
        // Kept in memory and tried again at the next segment; past twice the live edge the oldest
        // bytes go (those segments are then answered 404), so a failing store never grows memory.
        const drop = Math.max(0, held.length - i - (2 * memorySegments + 2));
        for (const d of out.slice(i, i + drop)) track.release(d.msn);
        const why = { track: track.id, msn: s.msn, err: (err as Error).message };
        if (drop > 0) log?.error({ ...why, dropped: drop }, 'DVR store failing: segment dropped from memory');
        else if (this.#failures === 1) log?.warn(why, 'DVR store write failed: kept in memory, retrying');
        break;
      }
    }
    // Segments the timeline's window no longer holds leave the store.
    const oldest = track.segments[0]?.msn ?? track.nextMsn;
    while (written.length > 0 && written[0]! < oldest) {
      const msn = written[0]!;
      try {
        await store.delete(dvrSegmentKey(this.#o.prefix, track.id, msn));
        written.shift();
      } catch (err) {
        log?.warn({ track: track.id, msn, err: (err as Error).message }, 'DVR store delete failed: retrying at the next segment');
        break;
      }
    }
  }

  /** A segment's bytes from the store, or undefined when it is not there. */
  async read(trackId: string, msn: number): Promise<Buffer | undefined> {
    if (!this.#written.get(trackId)?.includes(msn)) return undefined;
    return (await readStoredSegment(this.#o.store, dvrSegmentKey(this.#o.prefix, trackId, msn)))?.bytes;
  }

  /** Waits for the store operations scheduled so far (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
  }

  /** The timeline is gone: stop following it and remove everything it put in the store. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#detach?.();
    await this.idle().catch(() => undefined);
    try {
      await this.#o.store.deletePrefix(this.#o.prefix);
    } catch (err) {
      this.#o.log?.warn({ prefix: this.#o.prefix, err: (err as Error).message }, 'DVR store clean-up failed');
    }
  }
}
