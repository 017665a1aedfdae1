// Pure: the live timeline of one track (one rendition's video, or its audio): init segments,
// parts (one per CMAF fragment), segments made of parts and cut at key frames, program date-time,
// discontinuities and a bounded window. No I/O and no URL shapes; the clock is passed in.
import { IngestClock } from './ingest-clock.js';
import type { FragmentInfo, InitInfo } from './mp4-boxes.js';

/** One run of the packager: its own init segment and media clock. */
export interface Epoch {
  id: number;
  init: Buffer;
  info: InitInfo;
  /** Track time (timescale units) of the epoch's first part; undefined until it arrives. */
  firstStart?: number;
  /**
   * Media time (seconds, `ticks / timescale`) to server clock at ingest, shared by the tracks of
   * one packager run, whose media times are on one scale (see ingest-clock.ts).
   */
  clock: IngestClock;
}

export interface TimelinePart {
  /** Track-wide part number: names a part before anyone knows which segment it falls in. */
  seq: number;
  /** Media sequence number of the segment it belongs to, and its index in it. */
  msn: number;
  index: number;
  epoch: number;
  /** Track time and duration, in the epoch's timescale. */
  start: number;
  duration: number;
  /** Starts with a key frame (every audio part does). */
  independent: boolean;
  /** Server clock when its last byte arrived (ms since 1970). */
  arrivedMs: number;
  bytes: Buffer;
}

export interface TimelineSegment {
  msn: number;
  epoch: number;
  start: number;
  /** Sum of its parts' durations so far (timescale units). */
  duration: number;
  /** First segment after a packager restart or republish. */
  discontinuity: boolean;
  complete: boolean;
  /** Its parts while their bytes are in memory; empty once released to the DVR store (see release). */
  parts: TimelinePart[];
  /** Bytes and parts so far (kept when the parts are released), and when the last part arrived. */
  size: number;
  partCount: number;
  lastArrivedMs: number;
  /** The bytes are no longer in memory: they are in the DVR store, or were lost writing them there. */
  released: boolean;
}

export interface TrackOptions {
  /** Segment target, seconds: video cuts at the first key frame at or after it. */
  segmentSeconds: number;
  /** Part target, seconds (the packager's fragments are shorter than this). */
  partTargetSeconds: number;
  /** Complete segments kept at most (a bound on memory whatever the segment lengths). */
  keepSegments: number;
  /**
   * How far parts may arrive behind the ingest clock's mapping before it steps forward at a
   * segment boundary, ms (default: one part target).
   */
  clockToleranceMs?: number;
  /**
   * Seconds of complete segments kept (the DVR window plus a margin; the playlists list the
   * window): older ones are dropped from the front. Unset: only keepSegments bounds the window.
   */
  keepSeconds?: number;
  /** Numbers of the first segment and part (default 0); see StreamTimeline for why not 0. */
  firstMsn?: number;
  firstPartSeq?: number;
}

/** How a new part decides whether it starts a new segment. */
export type CutRule =
  /** Cut at a key frame once the open segment is about a target long (video, or a lone audio track). */
  | { kind: 'keyframes' }
  /** Cut where another track (the video) cut: `boundarySeconds` is its newest segment's start (media seconds). */
  | { kind: 'boundary'; boundarySeconds: number | undefined };

/**
 * Pure: does `part` (start in media seconds, duration in seconds) start a new segment,
 * given the open segment (undefined: none open)? Cuts land on the part nearest the target, so a
 * segment is a target long to within half a part.
 */
export function startsNewSegment(
  open: { startSeconds: number; independent?: boolean } | undefined,
  part: { startSeconds: number; durationSeconds: number; independent: boolean },
  rule: CutRule,
  opts: Pick<TrackOptions, 'segmentSeconds' | 'partTargetSeconds'>,
): boolean {
  if (!open) return true;
  if (!part.independent) return false;
  // A segment that began without a key frame (the very first, if the input starts mid-GOP) ends at
  // the first key frame, so every later segment can be decoded on its own.
  if (open.independent === false) return true;
  if (rule.kind === 'boundary') {
    // The cut goes to the part nearest the boundary, which may start before it: the open segment
    // belongs to that boundary already when it began within half a part of it.
    const from = rule.boundarySeconds === undefined ? undefined : rule.boundarySeconds - part.durationSeconds / 2;
    return from !== undefined && from > open.startSeconds && part.startSeconds >= from;
  }
  return part.startSeconds - open.startSeconds >= opts.segmentSeconds - opts.partTargetSeconds / 2;
}

/**
 * Pure: how many frames each video part holds so that parts tile a GOP of `gopSeconds`: the
 * packager's fragments are cut by duration and again at every key frame, so parts of the most
 * frames that fit PART-TARGET leave a short remainder before each key frame when the GOP is not
 * a multiple of them (4 frames = 0.13 s at 30 fps and 0.5 s parts). Picks, among part lengths of
 * at least half the most that fit, the one whose shortest part (the remainder, or a whole part
 * when the GOP divides evenly) is longest; on a tie the longer part (fewer requests).
 */
export function videoPartFrames(partSeconds: number, fps: number, gopSeconds: number): number {
  const most = Math.max(1, Math.floor(partSeconds * fps + 1e-6));
  const gop = Math.max(1, Math.round(gopSeconds * fps));
  let best = most;
  let bestShortest = -1;
  for (let q = most; q >= Math.max(1, Math.ceil(most / 2)); q--) {
    const shortest = Math.min(q, gop % q || q);
    if (shortest > bestShortest) {
      best = q;
      bestShortest = shortest;
    }
  }
  return best;
}

export class TrackTimeline {
  readonly id: string;
  readonly opts: TrackOptions;
  readonly #epochs: Epoch[] = [];
  readonly #segments: TimelineSegment[] = [];
  #nextPartSeq = 0;
  #nextMsn = 0;
  /** Number of segments dropped from the front that started with a discontinuity (EXT-X-DISCONTINUITY-SEQUENCE). */
  #droppedDiscontinuities = 0;
  /** Longest segment seen, seconds: EXT-X-TARGETDURATION never shrinks during a stream. */
  #longestSegmentSeconds = 0;
  #longestPartSeconds = 0;
  #ended = false;
  #pendingDiscontinuity = false;
  /** The clock of this track's first run with a part: it fixes the DASH availabilityStartTime. */
  #firstClock: IngestClock | undefined;

  constructor(id: string, opts: TrackOptions) {
    this.id = id;
    this.opts = opts;
    this.#nextMsn = opts.firstMsn ?? 0;
    this.#nextPartSeq = opts.firstPartSeq ?? 0;
  }

  /**
   * A new packager run: new init, new media clock. The next segment carries a discontinuity.
   * `clock` is the run's ingest clock when other tracks share it (StreamTimeline), else a new one.
   */
  startEpoch(
    init: Buffer,
    info: InitInfo,
    clock = new IngestClock(this.opts.clockToleranceMs ?? this.opts.partTargetSeconds * 1000),
  ): Epoch {
    this.#closeOpen();
    const epoch: Epoch = { id: (this.#epochs.at(-1)?.id ?? -1) + 1, init, info, clock };
    this.#epochs.push(epoch);
    this.#pendingDiscontinuity = this.#segments.length > 0;
    this.#ended = false;
    this.#dropUnusedEpochs();
    return epoch;
  }

  /** Adds the next fragment as a part. `nowMs` is the server clock when its bytes arrived. */
  addPart(bytes: Buffer, frag: FragmentInfo, nowMs: number, rule: CutRule = { kind: 'keyframes' }): TimelinePart {
    const epoch = this.#epochs.at(-1);
    if (!epoch) throw new Error(`track ${this.id}: a part before any init segment`);
    const ts = epoch.info.timescale;
    epoch.firstStart ??= frag.baseTime;
    // Media seconds of the run: one scale for all its tracks (ffmpeg offsets them alike).
    const sec = (t: number) => t / ts;
    this.#firstClock ??= epoch.clock;
    let open = this.openSegment;
    if (open && open.epoch !== epoch.id) open = undefined;
    const cut = startsNewSegment(
      open ? { startSeconds: sec(open.start), independent: open.parts[0]?.independent } : undefined,
      { startSeconds: sec(frag.baseTime), durationSeconds: frag.duration / ts, independent: frag.startsWithKey },
      rule,
      this.opts,
    );
    // The track that decides its own cuts leads the run's clock: it may step only where it cuts.
    if (cut && rule.kind === 'keyframes') epoch.clock.boundary(frag.baseTime / ts);
    epoch.clock.observe(frag.baseTime / ts, (frag.baseTime + frag.duration) / ts, nowMs);
    if (cut) {
      this.#closeOpen();
      open = {
        msn: this.#nextMsn++,
        epoch: epoch.id,
        start: frag.baseTime,
        duration: 0,
        discontinuity: this.#pendingDiscontinuity,
        complete: false,
        parts: [],
        size: 0,
        partCount: 0,
        lastArrivedMs: nowMs,
        released: false,
      };
      this.#pendingDiscontinuity = false;
      this.#segments.push(open);
      this.#trim();
    }
    const part: TimelinePart = {
      seq: this.#nextPartSeq++,
      msn: open!.msn,
      index: open!.parts.length,
      epoch: epoch.id,
      start: frag.baseTime,
      duration: frag.duration,
      independent: frag.startsWithKey,
      arrivedMs: nowMs,
      bytes,
    };
    open!.parts.push(part);
    open!.duration += frag.duration;
    open!.size += bytes.length;
    open!.partCount++;
    open!.lastArrivedMs = nowMs;
    this.#longestPartSeconds = Math.max(this.#longestPartSeconds, frag.duration / ts);
    this.#longestSegmentSeconds = Math.max(this.#longestSegmentSeconds, open!.duration / ts);
    return part;
  }

  /** The publisher left: the open segment is complete and no more parts come (until a new epoch). */
  end(): void {
    this.#closeOpen();
    this.#ended = true;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Server clock at ingest of the start of this track's very first run (DASH availabilityStartTime). */
  get firstWallAnchorMs(): number | undefined {
    return this.#firstClock?.anchors[0]?.wallMs;
  }

  #closeOpen(): void {
    const open = this.openSegment;
    if (!open) return;
    if (open.parts.length === 0) this.#segments.pop();
    else open.complete = true;
  }

  #trim(): void {
    const complete = this.#segments.filter((s) => s.complete);
    let drop = complete.length - this.opts.keepSegments;
    const keepSeconds = this.opts.keepSeconds;
    if (keepSeconds !== undefined) {
      // Drop from the front while what remains still covers keepSeconds.
      let covered = complete.reduce((n, s) => n + s.duration / this.timescale(s.epoch), 0);
      let byTime = 0;
      for (const s of complete) {
        const d = s.duration / this.timescale(s.epoch);
        if (covered - d < keepSeconds) break;
        covered -= d;
        byTime++;
      }
      drop = Math.max(drop, byTime);
    }
    while (drop-- > 0 && this.#segments[0]?.complete) {
      const s = this.#segments.shift()!;
      if (s.discontinuity) this.#droppedDiscontinuities++;
    }
    this.#dropUnusedEpochs();
  }

  /**
   * The bytes of a complete segment leave memory (they are in the DVR store, or could not be put
   * there): its parts are no longer served from here, its size, duration and times stay listed.
   */
  release(msn: number): void {
    const s = this.segment(msn);
    if (!s || !s.complete || s.released) return;
    s.parts = [];
    s.released = true;
  }

  /** Init segments no listed segment refers to are released (the newest epoch always stays). */
  #dropUnusedEpochs(): void {
    const oldest = this.#segments[0]?.epoch;
    while (this.#epochs.length > 1 && (oldest === undefined || this.#epochs[0].id < oldest)) this.#epochs.shift();
  }

  // ---- queries -------------------------------------------------------------------------------

  get segments(): readonly TimelineSegment[] {
    return this.#segments;
  }

  /** The segment parts are being added to, if any. */
  get openSegment(): TimelineSegment | undefined {
    const last = this.#segments.at(-1);
    return last && !last.complete ? last : undefined;
  }

  get currentEpoch(): Epoch | undefined {
    return this.#epochs.at(-1);
  }

  epoch(id: number): Epoch | undefined {
    return this.#epochs.find((e) => e.id === id);
  }

  get epochs(): readonly Epoch[] {
    return this.#epochs;
  }

  /** Seq of the part that will be added next (the preload hint). */
  get nextPartSeq(): number {
    return this.#nextPartSeq;
  }

  /** MSN the next new segment will get. */
  get nextMsn(): number {
    return this.#nextMsn;
  }

  get discontinuitySequence(): number {
    return this.#droppedDiscontinuities;
  }

  get longestSegmentSeconds(): number {
    return this.#longestSegmentSeconds;
  }

  get longestPartSeconds(): number {
    return this.#longestPartSeconds;
  }

  /** The newest part, if any segment in the window has one. */
  get lastPart(): TimelinePart | undefined {
    return this.#segments.at(-1)?.parts.at(-1);
  }

  segment(msn: number): TimelineSegment | undefined {
    const first = this.#segments[0];
    if (!first) return undefined;
    const s = this.#segments[msn - first.msn];
    return s?.msn === msn ? s : undefined;
  }

  part(seq: number): TimelinePart | undefined {
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const parts = this.#segments[i].parts;
      if (parts.length === 0 || parts[0].seq > seq) continue;
      return parts[seq - parts[0].seq];
    }
    return undefined;
  }

  /** The first part seq still held (older ones are gone for good). */
  get oldestPartSeq(): number | undefined {
    return this.#segments[0]?.parts[0]?.seq;
  }

  /** Program date-time (ms since 1970, server clock at ingest) of track time `ticks` in an epoch. */
  pdtMs(epochId: number, ticks: number): number {
    const e = this.epoch(epochId);
    if (!e || e.firstStart === undefined) return NaN;
    return e.clock.wallAt(ticks / e.info.timescale);
  }

  timescale(epochId: number): number {
    return this.epoch(epochId)?.info.timescale ?? 1;
  }

  /** Peak bit rate over the complete segments held, bit/s (0 before the first one completes). */
  peakBitrate(): number {
    let peak = 0;
    for (const s of this.#segments) {
      if (!s.complete || s.duration === 0) continue;
      peak = Math.max(peak, (s.size * 8) / (s.duration / this.timescale(s.epoch)));
    }
    return Math.round(peak);
  }
}
