// The live timeline of one stream: one TrackTimeline per track, fed with the bytes of the
// packager's fMP4 outputs, plus change notifications for the origin's held requests (blocking
// playlist reloads, the preload-hinted part, a segment still being produced). In memory: the
// live edge lives here, with a bounded window per track.
import { EventEmitter } from 'node:events';
import type { ObjectStore } from '../storage/object-store.js';
import type { StreamKey } from '../streams/stream-key.js';
import { DvrArchive, type DvrArchiveLog } from './dvr-archive.js';
import { IngestClock } from './ingest-clock.js';
import { dvrPrefix } from './output-layout.js';
import { Fmp4Splitter, type FragmentInfo, type TrackKind } from './mp4-boxes.js';
import { TrackTimeline, type CutRule, type TimelinePart, type TrackOptions } from './track-timeline.js';

export interface StreamTimelineEvents {
  /** Any progress a held request may wait for: a part begins or completes, an init, the end. */
  change: [];
  /** Bytes of the next part of a track, as they arrive (before the part is complete). */
  grow: [trackId: string, chunk: Buffer];
  /** A part is complete. */
  part: [trackId: string, part: TimelinePart];
}

/** Track ids: one video and one audio track per rendition (`video`/`audio` for the only one today). */
export type TrackId = string;

export class StreamTimeline extends EventEmitter<StreamTimelineEvents> {
  readonly #tracks = new Map<TrackId, TrackTimeline>();
  readonly #opts: TrackOptions;
  readonly #now: () => number;
  /** Bytes of each track's next part received so far. */
  readonly #growing = new Map<TrackId, Buffer[]>();
  /** Start (media seconds) of the newest video segment, for aligning audio cuts. */
  #videoBoundary: number | undefined;
  /** End (media seconds) of the newest video part: every video cut before it is known. */
  #videoEdge: number | undefined;
  /**
   * Complete fragments of a track that follows the video's cuts, waiting until the video has
   * shown whether it cuts near them (its key-frame part completes after the audio part that
   * starts at the same time, so deciding at once would put the audio cut one part late).
   */
  readonly #held = new Map<TrackId, Array<{ bytes: Buffer; info: FragmentInfo; arrivedMs: number }>>();
  #ended = false;
  /**
   * The current packager run: its ingest clock, shared by its tracks (one media time scale), and
   * the tracks that joined it. A track joining twice means a new run.
   */
  #run: { clock: IngestClock; tracks: Set<TrackId> } | undefined;
  /** Where the DVR window's older segments are (unset: the whole window stays in memory). */
  archive: DvrArchive | undefined;

  constructor(opts: TrackOptions, now: () => number = Date.now) {
    super();
    this.setMaxListeners(0); // one listener per held request; bounded by the origin's limits
    this.#opts = opts;
    this.#now = now;
  }

  get options(): TrackOptions {
    return this.#opts;
  }

  track(id: TrackId): TrackTimeline | undefined {
    return this.#tracks.get(id);
  }

  get tracks(): TrackTimeline[] {
    return [...this.#tracks.values()];
  }

  /** Tracks of one kind, in the order they appeared. */
  tracksOf(kind: TrackKind): TrackTimeline[] {
    return this.tracks.filter((t) => t.currentEpoch?.info.kind === kind);
  }

  /** True after the publisher left (every track ended) until the next packager run. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * A sink for one fMP4 output of a new packager run (an epoch): feed it the output's bytes in
   * order. Returns a function that takes each chunk and reports a parse error, if any.
   */
  input(trackId: TrackId): (chunk: Buffer) => string | undefined {
    const splitter = new Fmp4Splitter();
    this.#ended = false;
    if (!this.#run || this.#run.tracks.has(trackId)) {
      this.#run = { clock: new IngestClock(this.#opts.clockToleranceMs ?? this.#opts.partTargetSeconds * 1000), tracks: new Set() };
    }
    this.#run.tracks.add(trackId);
    const clock = this.#run.clock;
    // The track exists from now on, so a master playlist waits for its init segment too.
    this.#trackFor(trackId);
    return (chunk) => {
      for (const ev of splitter.push(chunk)) {
        switch (ev.type) {
          case 'init': {
            const track = this.#trackFor(trackId);
            this.#release(true);
            track.startEpoch(ev.bytes, ev.info, clock);
            if (ev.info.kind === 'video') this.#videoBoundary = this.#videoEdge = undefined;
            this.#growing.set(trackId, []);
            this.emit('change');
            break;
          }
          case 'fragment-bytes': {
            const growing = this.#growing.get(trackId);
            growing?.push(ev.chunk);
            // Bytes behind held parts belong to a later part than the hinted one: kept, not streamed.
            if (this.#held.get(trackId)?.length) break;
            this.emit('grow', trackId, ev.chunk);
            // The first bytes of a part wake the requests held for the hinted part.
            if (growing?.length === 1) this.emit('change');
            break;
          }
          case 'fragment': {
            const track = this.#tracks.get(trackId)!;
            this.#growing.set(trackId, []);
            const held = { bytes: ev.bytes, info: ev.info, arrivedMs: this.#now() };
            if (this.#cutRule(track).kind === 'boundary' || this.#held.get(trackId)?.length) {
              this.#held.set(trackId, [...(this.#held.get(trackId) ?? []), held]);
              this.#release(false);
            } else {
              this.#add(track, held);
              if (track.currentEpoch?.info.kind === 'video') this.#release(false);
            }
            break;
          }
          case 'error':
            return ev.reason;
        }
      }
      return undefined;
    };
  }

  /**
   * Removes tracks a new packager run no longer produces (an ABR ladder shrinks on a republish
   * from a smaller source), so no master playlist or MPD lists a rendition nobody feeds.
   */
  dropTracks(ids: readonly TrackId[]): void {
    for (const id of ids) {
      this.#tracks.delete(id);
      this.#growing.delete(id);
    }
  }

  #trackFor(trackId: TrackId): TrackTimeline {
    let track = this.#tracks.get(trackId);
    if (!track) {
      // Numbers start from the clock (segments ≤ 1/s, parts ≤ 10/s): a stream that ends and
      // comes back under the same name never reuses a part or segment name an edge may still
      // hold in its cache.
      const now = this.#now();
      track = new TrackTimeline(trackId, { ...this.#opts, firstMsn: Math.floor(now / 1000), firstPartSeq: Math.floor(now / 100) });
      this.#tracks.set(trackId, track);
    }
    return track;
  }

  #add(track: TrackTimeline, f: { bytes: Buffer; info: FragmentInfo; arrivedMs: number }): void {
    const part = track.addPart(f.bytes, f.info, f.arrivedMs, this.#cutRule(track));
    const epoch = track.currentEpoch!;
    if (epoch.info.kind === 'video') {
      const ts = epoch.info.timescale;
      if (part.index === 0) this.#videoBoundary = part.start / ts;
      this.#videoEdge = Math.max(this.#videoEdge ?? 0, (part.start + part.duration) / ts);
    }
    this.emit('part', track.id, part);
    this.emit('change');
  }

  /**
   * Adds the held fragments whose cut can be decided: the video has passed their middle (every
   * video cut that could make them start a segment is known), or there is no video to wait for,
   * or they span a whole segment (a stalled video must not stall the audio). `all`: a run ends.
   */
  #release(all: boolean): void {
    for (const [id, queue] of this.#held) {
      const track = this.#tracks.get(id)!;
      const wasHeld = queue.length > 0;
      while (queue.length > 0) {
        const f = queue[0];
        const ts = track.currentEpoch!.info.timescale;
        const middle = (f.info.baseTime + f.info.duration / 2) / ts;
        const spanned = (queue.at(-1)!.info.baseTime + queue.at(-1)!.info.duration - f.info.baseTime) / ts;
        const decidable =
          all ||
          this.#cutRule(track).kind !== 'boundary' ||
          (this.#videoEdge !== undefined && this.#videoEdge > middle) ||
          spanned >= this.#opts.segmentSeconds;
        if (!decidable) break;
        queue.shift();
        this.#add(track, f);
      }
      // Bytes of the next part that came in while parts were held: the hinted part's, now.
      if (wasHeld && queue.length === 0) {
        const growing = this.#growing.get(id) ?? [];
        for (const chunk of growing) this.emit('grow', id, chunk);
        if (growing.length) this.emit('change');
      }
    }
  }

  /** Audio follows the video's segment boundaries when there is a video track (rendition alignment). */
  #cutRule(track: TrackTimeline): CutRule {
    const kind = track.currentEpoch?.info.kind;
    const hasVideo = this.tracks.some((t) => t !== track && t.currentEpoch?.info.kind === 'video' && !t.ended);
    if (kind === 'audio' && hasVideo) return { kind: 'boundary', boundarySeconds: this.#videoBoundary };
    return { kind: 'keyframes' };
  }

  /** Bytes received so far of the part with seq `seq` of a track, when it is the one being received. */
  growingBytes(trackId: TrackId, seq: number): Buffer[] | undefined {
    const track = this.#tracks.get(trackId);
    if (!track || track.nextPartSeq !== seq || track.ended) return undefined;
    if (this.#held.get(trackId)?.length) return [];
    return this.#growing.get(trackId) ?? [];
  }

  /** The publisher left: every track's open segment completes, playlists get their end tag. */
  end(): void {
    this.#release(true);
    for (const t of this.#tracks.values()) t.end();
    for (const id of this.#growing.keys()) this.#growing.set(id, []);
    this.#ended = true;
    this.emit('change');
  }
}

/** The DVR store of a process's timelines: segments older than the live edge go there. */
export interface TimelineArchiveOptions {
  store: ObjectStore;
  memorySegments: number;
  log?: DvrArchiveLog;
}

/** Every stream's timeline in this process, by stream id: the packager writes, the origin reads. */
export class TimelineStore {
  readonly #streams = new Map<string, StreamTimeline>();
  readonly #archive: TimelineArchiveOptions | undefined;

  constructor(archive?: TimelineArchiveOptions) {
    this.#archive = archive;
  }

  get(streamId: string): StreamTimeline | undefined {
    return this.#streams.get(streamId);
  }

  /** The stream's timeline, created on first use; a republish continues it (with a discontinuity). */
  open(streamId: string, opts: TrackOptions, key?: StreamKey): StreamTimeline {
    let t = this.#streams.get(streamId);
    if (!t) {
      t = new StreamTimeline(opts);
      if (this.#archive && key) {
        const a = this.#archive;
        // A folder per timeline: a stream that starts afresh never shares one with its clean-up.
        const run = Date.now().toString(36);
        t.archive = new DvrArchive({ store: a.store, memorySegments: a.memorySegments, prefix: dvrPrefix(key, run), log: a.log });
        t.archive.attach(t);
      }
      this.#streams.set(streamId, t);
    }
    return t;
  }

  /** Forgets a stream (its files are gone, or a record-mode republish starts afresh). */
  delete(streamId: string): void {
    const t = this.#streams.get(streamId);
    if (t && !t.ended) t.end();
    void t?.archive?.dispose();
    this.#streams.delete(streamId);
  }
}
