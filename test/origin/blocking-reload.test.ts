// Blocking playlist reload: the query rules, the decision from a timeline, and the bounded hold
// with a fake clock.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blockingDecision, holdUntil, parseLlHlsQuery } from '../../src/origin/blocking-reload.js';
import { feed, pattern } from '../timeline/fixture.js';

describe('LL-HLS query parameters', () => {
  it.each([
    [{}, { ok: true, value: { msn: undefined, part: undefined, skip: false } }],
    [{ msn: '12' }, { ok: true, value: { msn: 12, part: undefined, skip: false } }],
    [
      { msn: '12', part: '3', skip: 'YES' },
      { ok: true, value: { msn: 12, part: 3, skip: true } },
    ],
    [{ part: '3' }, { ok: false, reason: '_HLS_part without _HLS_msn' }],
    [{ msn: '-1' }, { ok: false, reason: '_HLS_msn must be a decimal integer' }],
    [{ msn: '1e3' }, { ok: false, reason: '_HLS_msn must be a decimal integer' }],
    [
      { msn: '1', part: 'x' },
      { ok: false, reason: '_HLS_part must be a decimal integer' },
    ],
    [{ msn: '9999999999999999' }, { ok: false, reason: '_HLS_msn must be a decimal integer' }],
    [{ skip: 'NO' }, { ok: false, reason: '_HLS_skip must be YES' }],
  ])('%o → %o', (raw, expected) => {
    expect(parseLlHlsQuery(raw)).toEqual(expected);
  });
});

describe('blockingDecision', () => {
  // Segments 0, 1 complete (4 parts each); segment 2 open with parts 0 and 1.
  const f = feed();
  f.add(pattern('Kppp Kppp Kp'));
  it.each([
    ['no _HLS_msn: answer now', {}, 'ready'],
    ['a complete segment', { msn: 1 }, 'ready'],
    ['the open segment, whole', { msn: 2 }, 'wait'],
    ['a part that exists', { msn: 2, part: 1 }, 'ready'],
    ['the next part', { msn: 2, part: 2 }, 'wait'],
    ['a part index past a complete segment: part 0 of the next', { msn: 1, part: 9 }, 'ready'],
    ['two segments beyond the last complete', { msn: 3, part: 0 }, 'wait'],
    ['more than two beyond', { msn: 4 }, 'bad'],
    ['an old segment', { msn: 0, part: 0 }, 'ready'],
  ])('%s', (_name, q, expected) => {
    expect(blockingDecision(f.track, q).type).toBe(expected);
  });

  it('the part index past the open segment waits for the next segment to begin', () => {
    const g = feed();
    g.add(pattern('Kppp Kppp'));
    // Segment 1 is open with 4 parts; part 4 of it is part 0 of segment 2 if a key frame comes.
    expect(blockingDecision(g.track, { msn: 1, part: 4 }).type).toBe('wait');
    g.add(pattern('K'));
    expect(blockingDecision(g.track, { msn: 1, part: 4 }).type).toBe('ready');
  });

  it('an ended track answers at once', () => {
    const g = feed();
    g.add(pattern('Kp'));
    g.track.end();
    expect(blockingDecision(g.track, { msn: 1, part: 0 }).type).toBe('ready');
  });
});

describe('holdUntil (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers as soon as the awaited change happens, not before', async () => {
    const e = new EventEmitter();
    let ready = false;
    let result: boolean | undefined;
    void holdUntil(e, 'change', () => ready, 6000).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(1000);
    e.emit('change');
    await Promise.resolve();
    expect(result).toBeUndefined();
    ready = true;
    e.emit('change');
    await Promise.resolve();
    expect(result).toBe(true);
    expect(e.listenerCount('change')).toBe(0);
  });

  it('gives up after the bound (three target durations) and leaves no listener', async () => {
    const e = new EventEmitter();
    let result: boolean | undefined;
    void holdUntil(e, 'change', () => false, 6000).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(5999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toBe(false);
    expect(e.listenerCount('change')).toBe(0);
  });

  it('stops holding when the client goes away', async () => {
    const e = new EventEmitter();
    const ac = new AbortController();
    const p = holdUntil(e, 'change', () => false, 6000, ac.signal);
    ac.abort();
    await expect(p).resolves.toBe(false);
    expect(e.listenerCount('change')).toBe(0);
  });

  it('a blocking reload for the next part resolves when the timeline adds it', async () => {
    const g = feed();
    g.add(pattern('Kppp Kp'));
    const e = new EventEmitter();
    const q = { msn: 1, part: 2 };
    let result: boolean | undefined;
    void holdUntil(e, 'change', () => blockingDecision(g.track, q).type === 'ready', 6000).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(400);
    expect(result).toBeUndefined();
    g.add(pattern('p'));
    e.emit('change');
    await Promise.resolve();
    expect(result).toBe(true);
  });
});
