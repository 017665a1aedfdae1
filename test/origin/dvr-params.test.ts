// The DVR manifest parameters, from tables: what is accepted, what is refused with a 400 reason.
import { describe, expect, it } from 'vitest';
import { dvrQueryOf, parseDvrQuery, parseIsoDateTime, parseStart } from '../../src/origin/dvr-params.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const T = Date.UTC(2026, 11, 1, 10, 0, 0);

describe('parseStart', () => {
  it.each([
    ['1796119200', T],
    ['1796119200.5', T + 500],
    ['2026-12-01T10:00:00Z', T],
    ['2026-12-01t10:00:00z', T],
    ['2026-12-01T10:00Z', T],
    ['2026-12-01T10:00:00.250Z', T + 250],
    ['2026-12-01T11:00:00+01:00', T],
    ['2026-12-01T11:00:00+0100', T],
    ['2026-12-01T11:00:00+01', T],
    ['2026-12-01T05:30:00-04:30', T],
    // an unencoded `+` arrives as a space
    ['2026-12-01T11:00:00 01:00', T],
    // ffmpeg's program date-time form
    ['2026-12-01T10:00:00.000+0000', T],
  ])('%s', (raw, ms) => {
    expect(parseStart(raw)).toEqual({ ok: true, value: ms });
  });

  it.each([
    [''],
    ['now'],
    ['-5'],
    ['1e9'],
    ['0x10'],
    ['123456789012'], // milliseconds, not seconds
    ['2026-12-01T10:00:00'], // no zone: local time of whom?
    ['2026-12-01'],
    ['2026-13-01T10:00:00Z'],
    ['2026-02-30T10:00:00Z'],
    ['2026-12-01T24:00:00Z'],
    ['2026-12-01T10:60:00Z'],
    ['2026-12-01T10:00:61Z'],
    ['2026-12-01T10:00:00+25:00'],
    ['2026-12-01T10:00:00+01:60'],
    ['2026-12-01 10:00:00Z'],
    [' 1796119200'],
  ])('refuses %j', (raw) => {
    const r = parseStart(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^start must be/);
  });

  it('leap day exists only in leap years', () => {
    expect(parseIsoDateTime('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(parseIsoDateTime('2027-02-29T00:00:00Z')).toBeUndefined();
  });
});

describe('parseDvrQuery', () => {
  const q = (o: Record<string, string>) => (k: string) => o[k];
  it.each([
    [{}, { carry: '' }],
    [{ dvr_window_length: '60' }, { dvrWindowLength: 60, carry: 'dvr_window_length=60' }],
    [{ start: '1796119200' }, { startMs: T, carry: 'start=1796119200' }],
    [{ start: '2026-12-01T11:00:00+01:00' }, { startMs: T, carry: 'start=2026-12-01T11%3A00%3A00%2B01%3A00' }],
    [
      { dvr_window_length: '30', start: '1796119200' },
      { dvrWindowLength: 30, startMs: T, carry: 'dvr_window_length=30&start=1796119200' },
    ],
    [{ start: new Date(NOW).toISOString() }, { startMs: NOW, carry: `start=${encodeURIComponent(new Date(NOW).toISOString())}` }],
  ])('%j', (params, want) => {
    expect(parseDvrQuery(q(params), NOW)).toEqual({ ok: true, value: want });
  });

  it.each([
    [{ dvr_window_length: '0' }, /dvr_window_length must be/],
    [{ dvr_window_length: '-10' }, /dvr_window_length must be/],
    [{ dvr_window_length: '10.5' }, /dvr_window_length must be/],
    [{ dvr_window_length: '010' }, /dvr_window_length must be/],
    [{ dvr_window_length: '' }, /dvr_window_length must be/],
    [{ dvr_window_length: '1000000' }, /dvr_window_length must be/],
    [{ start: 'yesterday' }, /start must be/],
    [{ start: String(NOW / 1000 + 1) }, /in the future/],
    [{ start: '2027-01-01T00:00:00Z' }, /in the future/],
  ])('refuses %j', (params, why) => {
    const r = parseDvrQuery(q(params), NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it('dvrQueryOf refuses a repeated DVR parameter and ignores other ones', () => {
    expect(dvrQueryOf('/a/b/playlist.m3u8?start=1&start=2', NOW)).toEqual({ ok: false, reason: 'start given more than once' });
    expect(dvrQueryOf('/a/b/playlist.m3u8?x=1&x=2&dvr_window_length=5', NOW)).toEqual({
      ok: true,
      value: { dvrWindowLength: 5, carry: 'dvr_window_length=5' },
    });
  });
});
