import { describe, expect, it } from 'vitest';
import { contentRange, decideRange, isNotModified } from '../../src/origin/http-conditional.js';

const v = { etag: '"abc"', lastModified: new Date('2026-11-25T12:00:00.700Z') };

describe('conditional GET (SPEC CND-01/02)', () => {
  it.each([
    [{ ifNoneMatch: '"abc"' }, true],
    [{ ifNoneMatch: 'W/"abc"' }, true],
    [{ ifNoneMatch: '"x", "abc"' }, true],
    [{ ifNoneMatch: '*' }, true],
    [{ ifNoneMatch: '"x"' }, false],
    [{ ifModifiedSince: 'Wed, 25 Nov 2026 12:00:00 GMT' }, true],
    [{ ifModifiedSince: 'Wed, 25 Nov 2026 12:00:05 GMT' }, true],
    [{ ifModifiedSince: 'Wed, 25 Nov 2026 11:59:59 GMT' }, false],
    [{ ifModifiedSince: 'not a date' }, false],
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    [{ ifNoneMatch: '"x"', ifModifiedSince: 'Wed, 25 Nov 2026 12:00:05 GMT' }, false],
    [{}, false],
  ])('%j → %s', (h, expected) => {
    expect(isNotModified(h, v)).toBe(expected);
  });
});

describe('single byte ranges (SPEC RNG-01/02)', () => {
  it.each([
    [undefined, { type: 'full' }],
    ['bytes=0-99', { type: 'partial', start: 0, end: 99 }],
    ['bytes=100-', { type: 'partial', start: 100, end: 999 }],
    ['bytes=-100', { type: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { type: 'partial', start: 0, end: 999 }],
    ['bytes=990-5000', { type: 'partial', start: 990, end: 999 }],
    ['bytes=1000-', { type: 'unsatisfiable' }],
    ['bytes=5000-6000', { type: 'unsatisfiable' }],
    ['bytes=-0', { type: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { type: 'full' }], // multi-range: 200 with the whole object
    ['bytes=300-400, 100-200', { type: 'full' }], // RNG-02
    ['bytes=5-1', { type: 'full' }], // invalid
    ['bytes=-', { type: 'full' }],
    ['items=0-1', { type: 'full' }],
    ['bytes=a-b', { type: 'full' }],
  ])('%s', (h, expected) => {
    expect(decideRange(h, 1000)).toEqual(expected);
  });

  it('honours If-Range only when it matches', () => {
    expect(decideRange('bytes=0-1', 10, '"abc"', v)).toEqual({ type: 'partial', start: 0, end: 1 });
    expect(decideRange('bytes=0-1', 10, '"old"', v)).toEqual({ type: 'full' });
    expect(decideRange('bytes=0-1', 10, 'W/"abc"', v)).toEqual({ type: 'full' });
    expect(decideRange('bytes=0-1', 10, 'Wed, 25 Nov 2026 12:00:00 GMT', v)).toEqual({ type: 'partial', start: 0, end: 1 });
    expect(decideRange('bytes=0-1', 10, 'Wed, 25 Nov 2026 11:00:00 GMT', v)).toEqual({ type: 'full' });
  });

  it('formats Content-Range', () => {
    expect(contentRange(0, 99, 1000)).toBe('bytes 0-99/1000');
  });
});
