// The HTTP rules the origin and the edge share (src/http): conditionals (CND-01/02, ORG-09) and
// byte ranges (RNG-01/02). Tables, with the cases where the two used to disagree.
import { describe, expect, it } from 'vitest';
import { entityTagList, ifRangeAllows, notModified } from '../../src/http/conditionals.js';
import { contentRange, decideRange } from '../../src/http/ranges.js';

const etag = '"abc"';
const lastModified = new Date('2026-11-25T12:00:00.700Z');
const lmText = 'Wed, 25 Nov 2026 12:00:00 GMT';

describe('notModified (RFC 9110 §13.2.2)', () => {
  it.each<[{ inm?: string; ims?: string }, boolean]>([
    [{ inm: '"abc"' }, true],
    [{ inm: 'W/"abc"' }, true],
    [{ inm: '"x", "abc"' }, true],
    [{ inm: '*' }, true],
    // Used to differ: `*` inside a list matched at the origin but not at the edge. Now both match.
    [{ inm: '"x", *' }, true],
    [{ inm: '"x"' }, false],
    [{ inm: '' }, false],
    [{ ims: 'Wed, 25 Nov 2026 12:00:00 GMT' }, true],
    [{ ims: 'Wed, 25 Nov 2026 12:00:05 GMT' }, true],
    [{ ims: 'Wed, 25 Nov 2026 11:59:59 GMT' }, false],
    [{ ims: 'not a date' }, false],
    // Not HTTP-dates, though Date.parse reads each of them as one (RFC 9110 §13.1.3: ignored).
    [{ ims: '2099' }, false],
    [{ ims: '1' }, false],
    [{ ims: 'Wed, 25 Nov 2099' }, false],
    [{ ims: '2099-11-25T12:00:00Z' }, false],
    [{ ims: 'Wed, 25 Nov 2099 12:00:00 +0000' }, false],
    [{ ims: 'wed, 25 nov 2099 12:00:00 gmt' }, false],
    [{ ims: 'Wed, 25 Nov 2026 12:00:00 GMT, Thu, 26 Nov 2026 12:00:00 GMT' }, false], // two members
    // The obsolete forms a recipient must accept.
    [{ ims: 'Wednesday, 25-Nov-26 12:00:00 GMT' }, true],
    [{ ims: 'Wed Nov 25 12:00:00 2026' }, true],
    [{ inm: '"abc",' }, true],
    [{ inm: ' ,"abc" ' }, true],
    [{ inm: 'abc' }, false], // not an entity-tag
    [{ inm: '"x"', ims: 'Wed, 25 Nov 2026 12:00:05 GMT' }, false],
    [{}, false],
  ])('%j → %s (Date and string Last-Modified agree)', (h, want) => {
    expect(notModified(h.inm, h.ims, etag, lastModified)).toBe(want);
    expect(notModified(h.inm, h.ims, etag, lmText)).toBe(want);
  });
  it('ORG-09: without an ETag, If-None-Match never matches (not even *)', () => {
    expect(notModified('*', undefined, undefined, lmText)).toBe(false);
    expect(notModified('"abc"', lmText, undefined, lmText)).toBe(false);
  });
});

describe('entity-tag lists (RFC 9110 §8.8.3)', () => {
  it.each([
    ['"a", W/"b" ,"c"', ['"a"', 'W/"b"', '"c"']],
    ['"a,b", "c"', ['"a,b"', '"c"']], // a comma is an etagc
    ['*', ['*']],
    ['"a", *', ['"a"', '*']],
    ['"a"junk, "b"', ['"a"', '"b"']],
    ['"unterminated', ['"unterminated']],
    [', ,', []],
  ])('%j → %j', (value, want) => expect(entityTagList(value)).toEqual(want));
  it('an ETag with a comma matches itself and no half of it', () => {
    expect(notModified('"a,b"', undefined, '"a,b"', undefined)).toBe(true);
    expect(notModified('"x", W/"a,b"', undefined, '"a,b"', undefined)).toBe(true);
    expect(notModified('"a', undefined, '"a,b"', undefined)).toBe(false);
    expect(notModified('b"', undefined, '"a,b"', undefined)).toBe(false);
  });
});

describe('ifRangeAllows', () => {
  it.each([
    [undefined, true],
    ['"abc"', true],
    ['"old"', false],
    ['W/"abc"', false],
    [lmText, true],
    ['Wed, 25 Nov 2026 11:00:00 GMT', false],
    ['garbage', false],
    ['2026', false], // Date.parse would read a year
    ['Wed, 25 Nov 2026 12:00:00 +0000', false],
    ['Wednesday, 25-Nov-26 12:00:00 GMT', true],
  ])('%s → %s', (ifRange, want) => {
    expect(ifRangeAllows(ifRange, etag, lastModified)).toBe(want);
  });
  it('a weak stored ETag never satisfies If-Range', () => expect(ifRangeAllows('W/"a"', 'W/"a"', undefined)).toBe(false));
});

describe('decideRange: the same rule, multipart as an option', () => {
  const single = { multipart: false };
  const multi = { multipart: true, maxRanges: 4 };
  it.each([
    [undefined, { kind: 'full' }, { kind: 'full' }],
    ['bytes=0-99', { kind: 'partial', ranges: [{ start: 0, end: 99 }] }, { kind: 'partial', ranges: [{ start: 0, end: 99 }] }],
    ['bytes=100-', { kind: 'partial', ranges: [{ start: 100, end: 999 }] }, null],
    ['bytes=-100', { kind: 'partial', ranges: [{ start: 900, end: 999 }] }, null],
    ['bytes=-5000', { kind: 'partial', ranges: [{ start: 0, end: 999 }] }, null],
    ['bytes=990-5000', { kind: 'partial', ranges: [{ start: 990, end: 999 }] }, null],
    ['bytes = 0 - 9', { kind: 'partial', ranges: [{ start: 0, end: 9 }] }, null],
    ['bytes=1000-', { kind: 'unsatisfiable' }, { kind: 'unsatisfiable' }],
    ['bytes=5000-6000', { kind: 'unsatisfiable' }, null],
    ['bytes=-0', { kind: 'unsatisfiable' }, { kind: 'unsatisfiable' }],
    // Used to differ: several ranges are multipart at the edge, the whole entity at the origin.
    [
      'bytes=0-1,5-6',
      { kind: 'full' },
      {
        kind: 'partial',
        ranges: [
          { start: 0, end: 1 },
          { start: 5, end: 6 },
        ],
      },
    ],
    ['bytes=0-1,5-6,8-9,20-30,40-50', { kind: 'full' }, { kind: 'full' }], // over maxRanges
    ['bytes=300-400, 100-200', { kind: 'full' }, { kind: 'full' }], // RNG-02 out of order
    ['bytes=100-200, 150-250', { kind: 'full' }, { kind: 'full' }], // RNG-02 overlapping
    ['bytes=5-1', { kind: 'full' }, { kind: 'full' }],
    ['bytes=-', { kind: 'full' }, { kind: 'full' }],
    ['bytes=-5-10', { kind: 'full' }, { kind: 'full' }],
    ['items=0-1', { kind: 'full' }, { kind: 'full' }],
    ['bytes=a-b', { kind: 'full' }, { kind: 'full' }],
    ['bytes=99999999999999999999-', { kind: 'full' }, { kind: 'full' }],
  ])('%s', (h, wantSingle, wantMulti) => {
    expect(decideRange(h, 1000, single)).toEqual(wantSingle);
    expect(decideRange(h, 1000, multi)).toEqual(wantMulti ?? wantSingle);
  });
  it('2,000 one-byte ranges get the whole object, not a multipart answer 12× its size', () => {
    const h = `bytes=${Array.from({ length: 2000 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`;
    expect(decideRange(h, 19_000, { multipart: true, maxRanges: 16 })).toEqual({ kind: 'full' });
  });
  it('formats Content-Range', () => expect(contentRange(0, 99, 1000)).toBe('bytes 0-99/1000'));
});
