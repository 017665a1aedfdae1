// SPEC TTL-04 row by row (and TTL-02, ERR-02) on the pure TTL functions.
import { describe, expect, it } from 'vitest';
import { behaviourTtl, errorTtl, forbidsCachingSetCookie, originPolicy } from '../../src/edge/freshness.js';

const ttlOf = (headers: Record<string, string>, minTtl: number, status = 200) =>
  behaviourTtl(originPolicy(status, { date: new Date().toUTCString(), ...headers }, '/x'), status, {
    minTtl,
    defaultTtl: 86400,
    maxTtl: 31536000,
  });
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toUTCString();

describe('TTL-04, MinTTL = 0', () => {
  it('max-age → max-age', () => expect(ttlOf({ 'cache-control': 'max-age=60' }, 0)).toBe(60));
  it('no max-age → 24 h', () => expect(ttlOf({}, 0)).toBe(86400));
  it('max-age + s-maxage → s-maxage', () => expect(ttlOf({ 'cache-control': 'max-age=60, s-maxage=5' }, 0)).toBe(5));
  it('Expires → until the date', () => expect(ttlOf({ expires: inSeconds(120) }, 0)).toBeCloseTo(120, -1));
  it('Expires in the past → 0 (every request goes to the origin)', () => expect(ttlOf({ expires: inSeconds(-120) }, 0)).toBe(0));
  it.each(['no-cache', 'no-store', 'private'])('%s → not cached', (cc) => expect(ttlOf({ 'cache-control': cc }, 0)).toBeNull());
});

describe('TTL-04, MinTTL = 300', () => {
  it('max-age → max(max-age, MinTTL)', () => {
    expect(ttlOf({ 'cache-control': 'max-age=60' }, 300)).toBe(300);
    expect(ttlOf({ 'cache-control': 'max-age=600' }, 300)).toBe(600);
  });
  it('no max-age → max(24 h, MinTTL)', () => expect(ttlOf({}, 300)).toBe(86400));
  it('max-age + s-maxage → max(s-maxage, MinTTL)', () => expect(ttlOf({ 'cache-control': 'max-age=900, s-maxage=5' }, 300)).toBe(300));
  it('Expires → until the date, then MinTTL', () => {
    expect(ttlOf({ expires: inSeconds(1000) }, 300)).toBeCloseTo(1000, -1);
    expect(ttlOf({ expires: inSeconds(-10) }, 300)).toBe(300);
  });
  it.each(['no-cache', 'no-store', 'private'])('%s → MinTTL', (cc) => expect(ttlOf({ 'cache-control': cc }, 300)).toBe(300));
});

describe('TTL-02 precedence and limits', () => {
  it('max-age wins over Expires', () => expect(ttlOf({ 'cache-control': 'max-age=10', expires: inSeconds(5000) }, 0)).toBe(10));
  it('MaxTTL caps', () =>
    expect(
      behaviourTtl(originPolicy(200, { 'cache-control': 'max-age=999999' }, '/x'), 200, { minTtl: 0, defaultTtl: 10, maxTtl: 100 }),
    ).toBe(100));
  it('Set-Cookie does not make an object uncacheable (cookies have their own rules)', () =>
    expect(ttlOf({ 'cache-control': 'max-age=60', 'set-cookie': 'a=1' } as Record<string, string>, 0)).toBe(60));
  it('CK-05: no-cache="Set-Cookie" only withholds the cookie', () => {
    expect(ttlOf({ 'cache-control': 'max-age=60, no-cache="Set-Cookie"' }, 0)).toBe(60);
    expect(forbidsCachingSetCookie({ 'cache-control': 'max-age=60, no-cache="Set-Cookie"' })).toBe(true);
    expect(forbidsCachingSetCookie({ 'cache-control': 'max-age=60' })).toBe(false);
  });
  it('statuses outside the cacheable set (206, 303, 401) are not cached', () => {
    for (const s of [206, 303, 401]) expect(ttlOf({ 'cache-control': 'max-age=60' }, 0, s)).toBeNull();
  });
});

describe('ERR-02 error TTLs', () => {
  const err = (headers: Record<string, string>, min: number, status = 503) =>
    errorTtl(originPolicy(status, { date: new Date().toUTCString(), ...headers }, '/x'), min);
  it('no header → exactly the error min TTL', () => expect(err({}, 300)).toBe(300));
  it('header → max(header, min)', () => {
    expect(err({ 'cache-control': 'max-age=1' }, 300)).toBe(300);
    expect(err({ 'cache-control': 'max-age=900' }, 300)).toBe(900);
    expect(err({ 'cache-control': 'max-age=1' }, 0, 404)).toBe(1);
  });
  it('min 0 and no header → not cached', () => expect(err({}, 0)).toBeNull());
});
