// SPEC RNG-02 decisions and CND-02 matching. Pure.
import { describe, expect, it } from 'vitest';
import { decideRange as decide, type RangeOptions } from '../../src/http/ranges.js';
import { ifRangeAllows, notModified } from '../../src/http/conditionals.js';

/** The edge's options: several ranges answered as multipart. */
const decideRange = (h: string, size: number, opts: RangeOptions = { multipart: true }) => decide(h, size, opts);

describe('RNG-02', () => {
  it('single, suffix and open ranges', () => {
    expect(decideRange('bytes=0-9', 100)).toEqual({ kind: 'partial', ranges: [{ start: 0, end: 9 }] });
    expect(decideRange('bytes=-10', 100)).toEqual({ kind: 'partial', ranges: [{ start: 90, end: 99 }] });
    expect(decideRange('bytes=95-', 100)).toEqual({ kind: 'partial', ranges: [{ start: 95, end: 99 }] });
    expect(decideRange('bytes=90-200', 100)).toEqual({ kind: 'partial', ranges: [{ start: 90, end: 99 }] });
  });
  it('several ordered, non-overlapping ranges stay partial', () => {
    expect(decideRange('bytes=100-200, 300-400', 1000)).toEqual({
      kind: 'partial',
      ranges: [
        { start: 100, end: 200 },
        { start: 300, end: 400 },
      ],
    });
  });
  it('out of order, overlapping or invalid → 200 with the full object', () => {
    expect(decideRange('bytes=300-400, 100-200', 1000).kind).toBe('full');
    expect(decideRange('bytes=100-200, 150-250', 1000).kind).toBe('full');
    expect(decideRange('bytes=-5-10', 1000).kind).toBe('full');
    expect(decideRange('bytes=20-10', 1000).kind).toBe('full');
    expect(decideRange('items=0-1', 1000).kind).toBe('full');
  });
  it('beyond the end → unsatisfiable', () => expect(decideRange('bytes=2000-3000', 1000).kind).toBe('unsatisfiable'));
  it('If-Range must match the strong ETag or the date', () => {
    expect(ifRangeAllows('"a"', '"a"', undefined)).toBe(true);
    expect(ifRangeAllows('"a"', '"b"', undefined)).toBe(false);
    expect(ifRangeAllows('W/"a"', 'W/"a"', undefined)).toBe(false);
    expect(ifRangeAllows('Mon, 01 Jan 2024 00:00:00 GMT', undefined, 'Mon, 01 Jan 2024 00:00:00 GMT')).toBe(true);
  });
});

describe('CND-02', () => {
  const lm = 'Mon, 01 Jan 2024 00:00:00 GMT';
  it('If-None-Match (weak comparison, lists, *) wins over If-Modified-Since', () => {
    expect(notModified('"x", W/"a"', undefined, '"a"', lm)).toBe(true);
    expect(notModified('*', undefined, '"a"', lm)).toBe(true);
    expect(notModified('"b"', 'Tue, 02 Jan 2024 00:00:00 GMT', '"a"', lm)).toBe(false);
  });
  it('If-Modified-Since against Last-Modified', () => {
    expect(notModified(undefined, lm, undefined, lm)).toBe(true);
    expect(notModified(undefined, 'Sun, 31 Dec 2023 00:00:00 GMT', undefined, lm)).toBe(false);
  });
  it('ORG-09: without an ETag, If-None-Match never matches', () => expect(notModified('"a"', undefined, undefined, lm)).toBe(false));
});
