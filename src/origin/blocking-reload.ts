// Blocking playlist reload (RFC 8216bis §6.2.5.2; FIELD-NOTES §8 "LL-HLS"): the pure decision
// for `_HLS_msn`/`_HLS_part`/`_HLS_skip`, and the one bounded wait the origin uses for every held
// request (a blocking reload, the preload-hinted part, a segment still being produced).
import type { EventEmitter } from 'node:events';
import { fail, ok, type Result } from '../result.js';
import type { TrackTimeline } from '../timeline/track-timeline.js';

export interface LlHlsQuery {
  msn?: number;
  part?: number;
  skip: boolean;
}

const DECIMAL = /^\d{1,15}$/;

/**
 * Parses the LL-HLS query parameters (the raw values, absent → undefined). `_HLS_part` without
 * `_HLS_msn`, and anything but a decimal integer, is a 400.
 */
export function parseLlHlsQuery(raw: { msn?: string; part?: string; skip?: string }): Result<LlHlsQuery> {
  const num = (name: string, v: string | undefined): Result<number | undefined> => {
    if (v === undefined) return ok(undefined);
    return DECIMAL.test(v) ? ok(Number(v)) : fail(`${name} must be a decimal integer`);
  };
  const msn = num('_HLS_msn', raw.msn);
  if (!msn.ok) return msn;
  const part = num('_HLS_part', raw.part);
  if (!part.ok) return part;
  if (part.value !== undefined && msn.value === undefined) return fail('_HLS_part without _HLS_msn');
  if (raw.skip !== undefined && raw.skip !== 'YES' && raw.skip !== 'v2') return fail('_HLS_skip must be YES');
  return ok({ msn: msn.value, part: part.value, skip: raw.skip !== undefined });
}

export type BlockingDecision = { type: 'ready' } | { type: 'wait' } | { type: 'bad'; reason: string };

/**
 * Pure: can the playlist for (msn, part) be answered now? A part index past the last part of a
 * complete segment means part 0 of the next one (the spec says so); an msn more than two
 * segments beyond the last complete one is a 400; an ended track answers at once.
 */
export function blockingDecision(
  track: Pick<TrackTimeline, 'segments' | 'ended' | 'lastPart' | 'nextMsn'>,
  q: Pick<LlHlsQuery, 'msn' | 'part'>,
): BlockingDecision {
  if (q.msn === undefined) return { type: 'ready' };
  const complete = track.segments.filter((s) => s.complete);
  const lastComplete = complete.at(-1)?.msn ?? track.nextMsn - 1 - (track.segments.at(-1)?.complete === false ? 1 : 0);
  if (q.msn > lastComplete + 2)
    return { type: 'bad', reason: `_HLS_msn ${q.msn} is more than two segments beyond the last (${lastComplete})` };
  if (track.ended) return { type: 'ready' };
  if (q.part === undefined) return lastComplete >= q.msn ? { type: 'ready' } : { type: 'wait' };
  const last = track.lastPart;
  if (!last) return { type: 'wait' };
  if (last.msn > q.msn || (last.msn === q.msn && last.index >= q.part)) return { type: 'ready' };
  return { type: 'wait' };
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Resolves true as soon as `ready()` holds (checked now and on each `event` of `emitter`), or
 * false after `timeoutMs` or when `signal` aborts (the client went away). Never holds longer.
 */
export function holdUntil(
  emitter: EventEmitter,
  event: string,
  ready: () => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
  clock: Clock = realClock,
): Promise<boolean> {
  if (ready()) return Promise.resolve(true);
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clock.clearTimeout(timer);
      emitter.off(event, check);
      signal?.removeEventListener('abort', abort);
      resolve(v);
    };
    const check = () => {
      if (ready()) done(true);
    };
    const abort = () => done(false);
    const timer = clock.setTimeout(() => done(ready()), timeoutMs);
    emitter.on(event, check);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
