// Pure: the mapping from one packager run's media time to the server clock at ingest, shared by
// the run's tracks (program date-time in LL-HLS, availabilityStartTime and Period@start in DASH).
//
// The first anchor is the earliest `arrival − media time` over the run's first segment: a part
// cannot arrive before its last sample was ingested, and the first parts may arrive in a burst
// (the RTMP server's cached GOP), so the minimum converges on the ingest clock. After that the
// mapping is fixed, except that it steps forward at a segment boundary of the leading track when
// every part since the previous boundary arrived more than `toleranceMs` later than the mapping
// says. That happens when the source's media clock runs slower than the server clock (an encoder
// that cannot keep up with real time, a publisher whose clock drifts): a fixed mapping would then
// put the live edge ever further in the future of what exists, and a DASH player, which finds the
// live edge from availabilityStartTime and its own clock, asks for media that is not there yet.

/** From media time `fromSeconds` on, media time `s` was ingested at `wallMs + (s − fromSeconds) s`. */
export interface ClockAnchor {
  fromSeconds: number;
  wallMs: number;
}

export class IngestClock {
  readonly toleranceMs: number;
  readonly #anchors: ClockAnchor[] = [];
  /** Leading-track segment boundaries seen: the first anchor settles at the second. */
  #boundaries = 0;
  /** Least lateness (arrival − mapped time of a part's end) since the last boundary, ms. */
  #leastLateMs: number | undefined;

  constructor(toleranceMs: number) {
    this.toleranceMs = toleranceMs;
  }

  get anchors(): readonly ClockAnchor[] {
    return this.#anchors;
  }

  /** True once the first anchor is fixed (the leading track's first segment is complete). */
  get settled(): boolean {
    return this.#boundaries >= 2;
  }

  /** A part covering media time [startSeconds, endSeconds) was complete at `arrivalMs`. */
  observe(startSeconds: number, endSeconds: number, arrivalMs: number): void {
    const first = this.#anchors[0];
    if (!first) {
      this.#anchors.push({ fromSeconds: startSeconds, wallMs: arrivalMs - (endSeconds - startSeconds) * 1000 });
    } else if (!this.settled) {
      if (startSeconds < first.fromSeconds) {
        first.wallMs -= (first.fromSeconds - startSeconds) * 1000;
        first.fromSeconds = startSeconds;
      }
      first.wallMs = Math.min(first.wallMs, arrivalMs - (endSeconds - first.fromSeconds) * 1000);
    }
    const late = arrivalMs - this.wallAt(endSeconds);
    this.#leastLateMs = Math.min(this.#leastLateMs ?? late, late);
  }

  /**
   * The leading track starts a segment at `seconds`. Returns the new anchor when the mapping steps
   * forward here (by the least lateness of the parts since the previous boundary).
   */
  boundary(seconds: number): ClockAnchor | undefined {
    this.#boundaries++;
    const late = this.#leastLateMs;
    this.#leastLateMs = undefined;
    const last = this.#anchors.at(-1);
    if (!this.settled || late === undefined || late <= this.toleranceMs || !last || seconds <= last.fromSeconds) return undefined;
    const anchor = { fromSeconds: seconds, wallMs: this.wallAt(seconds) + late };
    this.#anchors.push(anchor);
    return anchor;
  }

  /** The anchor that maps media time `seconds` (the first one for times before it). */
  anchorFor(seconds: number): ClockAnchor | undefined {
    for (let i = this.#anchors.length - 1; i > 0; i--) if (this.#anchors[i].fromSeconds <= seconds) return this.#anchors[i];
    return this.#anchors[0];
  }

  /** Server clock (ms since 1970) at ingest of media time `seconds`; NaN before any part. */
  wallAt(seconds: number): number {
    const a = this.anchorFor(seconds);
    return a ? a.wallMs + (seconds - a.fromSeconds) * 1000 : NaN;
  }
}
