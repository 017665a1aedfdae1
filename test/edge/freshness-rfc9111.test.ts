// RFC 9111 where CloudFront's guide is silent, on the pure freshness rules: HTTP-date parsing,
// Cache-Control parsing, invalid freshness information, Vary: *, 1xx, Authorization (§3.5) and
// which stored responses may be served stale on an origin error (§4.2.4).
import { describe, expect, it } from 'vitest';
import { behaviourTtl, errorTtl, originPolicy, parseCacheControl, staleOnErrorAllowed } from '../../src/edge/freshness.js';
import { parseHttpDate } from '../../src/http/http-date.js';

const TTL0 = { minTtl: 0, defaultTtl: 86400, maxTtl: 31536000 };
const TTL300 = { ...TTL0, minTtl: 300 };
const now = () => new Date().toUTCString();
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toUTCString();
/** TTL for raw response header lines `[name, value, …]` (a Date line is added). */
const ttlOfRaw = (raw: string[], ttl = TTL0, status = 200, auth?: string) =>
  behaviourTtl(originPolicy(status, ['Date', now(), ...raw], '/x', auth), status, ttl);

describe('HTTP-date (RFC 9110 §5.6.7)', () => {
  it.each([
    ['Sat, 30 Jun 2012 23:59:59 GMT', Date.UTC(2012, 5, 30, 23, 59, 59)],
    ['Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sun Nov  6 08:49:37 1994', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sun Nov 16 08:49:37 1994', Date.UTC(1994, 10, 16, 8, 49, 37)],
  ])('%j is a date', (text, ms) => expect(parseHttpDate(text)).toBe(ms));
  it.each([
    'Sat, 30 Jun 2012  23:59:59 GMT', // extra space
    ' Sat, 30 Jun 2012 23:59:59 GMT',
    'Sat, 30 Jun 2012 3:59:59 GMT', // one-digit hour
    'Sat, 30 Jun 12 23:59:59 GMT', // two-digit year in IMF-fixdate
    'Sat, 30 Jun 2012 23:59:59 +0000',
    'Sat, 30 jun 2012 23:59:59 GMT',
    'Sat, 31 Feb 2012 23:59:59 GMT',
    'Sat, 30 Jun 2012 24:00:00 GMT',
    'Sat, 30 Jun 2012 23:59:59 GMT, Sun, 01 Jul 2012 23:59:59 GMT', // two lines joined
    '2012-06-30T23:59:59Z',
    '0',
    '-1',
    '',
  ])('%j is not', (text) => expect(parseHttpDate(text)).toBeUndefined());
});

describe('Cache-Control parsing (RFC 9111 §5.2)', () => {
  it.each([
    ['Max-Age=60, No-Cache', { 'max-age': '60', 'no-cache': true }],
    ['PUBLIC,s-maxage = 5', { public: true, 's-maxage': '5' }],
    ['no-cache="Set-Cookie, X-A", max-age=60', { 'no-cache': 'Set-Cookie, X-A', 'max-age': '60' }],
    ['max-age=60, max-age=3600', { 'max-age': '60' }], // the first occurrence
    ['private="a\\"b", x-ext=1', { private: 'a"b', 'x-ext': '1' }],
    [' , ,max-age=1,', { 'max-age': '1' }],
  ])('%j', (value, want) => expect(Object.fromEntries(parseCacheControl(value))).toEqual(want));
});

describe('an invalid Expires counts as already stale (RFC 9111 §5.3)', () => {
  it.each(['Sat, 30 Jun 2099  23:59:59 GMT', 'Sat, 30 Jun 2099 3:59:59 GMT', 'Tomorrow', '0', 'Sat, 30 Jun 2099 23:59:59 CET'])(
    'Expires: %j → TTL 0 (MinTTL 0) and MinTTL (MinTTL 300)',
    (expires) => {
      expect(ttlOfRaw(['Expires', expires])).toBe(0);
      expect(ttlOfRaw(['Expires', expires], TTL300)).toBe(300);
    },
  );
  it('two Expires lines, even both valid and in the future, are invalid', () => {
    expect(ttlOfRaw(['Expires', inSeconds(600), 'Expires', inSeconds(900)])).toBe(0);
  });
  it('a valid Expires still gives the time until the date; max-age still wins over a bad Expires', () => {
    expect(ttlOfRaw(['Expires', inSeconds(600)])).toBeCloseTo(600, -1);
    expect(ttlOfRaw(['Cache-Control', 'max-age=60', 'Expires', 'garbage'])).toBe(60);
  });
});

describe('Cache-Control directive names are case-insensitive; invalid delta-seconds mean stale', () => {
  it.each([
    ['Max-Age=60', 60],
    ['MAX-AGE=60, S-MAXAGE=5', 5],
    ['No-Cache', null],
    ['NO-STORE', null],
    ['Private', null],
    ['max-age=abc', 0],
    ['max-age=-1', 0],
    ['max-age=1.5', 0],
    ['max-age="60"', 60], // RFC 9111 §5.2: senders should not quote, recipients accept it
    ['max-age=60, proxy-revalidate', 60], // revalidate-when-stale, not a shorter lifetime
    ['max-age=60, Must-Revalidate', 60],
    ['no-cache="Set-Cookie, X-A", max-age=60', 60],
  ])('Cache-Control: %j → %j', (cc, want) => expect(ttlOfRaw(['Cache-Control', cc])).toBe(want));
  it('MinTTL still applies to No-Cache / NO-STORE (TTL-04)', () => {
    expect(ttlOfRaw(['Cache-Control', 'No-Cache'], TTL300)).toBe(300);
    expect(ttlOfRaw(['Cache-Control', 'NO-STORE'], TTL300)).toBe(300);
  });
  it('error TTLs read the same normalised headers (ERR-02)', () => {
    expect(errorTtl(originPolicy(503, ['Date', now(), 'Cache-Control', 'Max-Age=900'], '/x'), 300)).toBe(900);
    expect(errorTtl(originPolicy(503, ['Date', now(), 'Expires', 'bogus'], '/x'), 300)).toBe(300);
  });
});

describe('responses that are never reused', () => {
  it.each(['*', 'Accept-Encoding, *', ' * '])('Vary: %j is never stored, whatever the TTLs (RFC 9111 §4.1)', (vary) => {
    expect(ttlOfRaw(['Cache-Control', 'max-age=60', 'Vary', vary])).toBeNull();
    expect(ttlOfRaw(['Vary', vary], TTL300)).toBeNull();
    expect(errorTtl(originPolicy(404, ['Vary', vary], '/x'), 300)).toBeNull();
  });
  it('Vary: Accept-Encoding or any other field is ignored (RSP-01)', () => {
    expect(ttlOfRaw(['Cache-Control', 'max-age=60', 'Vary', 'Accept-Encoding'])).toBe(60);
    expect(ttlOfRaw(['Cache-Control', 'max-age=60', 'Vary', 'User-Agent, Cookie'])).toBe(60);
  });
  it.each([100, 101, 102, 103])('%i is never cached', (status) => {
    expect(ttlOfRaw(['Cache-Control', 'max-age=60'], TTL300, status)).toBeNull();
  });
  it('a response to a request that carried Authorization: only with public, must-revalidate or s-maxage (RFC 9111 §3.5)', () => {
    const auth = 'Basic dXNlcjpwYXNz';
    expect(ttlOfRaw(['Cache-Control', 'max-age=60'], TTL0, 200, auth)).toBeNull();
    expect(ttlOfRaw([], TTL300, 200, auth)).toBeNull(); // neither DefaultTTL nor MinTTL makes it reusable
    expect(ttlOfRaw(['Cache-Control', 'public, max-age=60'], TTL0, 200, auth)).toBe(60);
    expect(ttlOfRaw(['Cache-Control', 'Public, Max-Age=60'], TTL0, 200, auth)).toBe(60);
    expect(ttlOfRaw(['Cache-Control', 'max-age=60, must-revalidate'], TTL0, 200, auth)).toBe(60);
    expect(ttlOfRaw(['Cache-Control', 's-maxage=30'], TTL0, 200, auth)).toBe(30);
    expect(errorTtl(originPolicy(403, ['Date', now()], '/x', auth), 300)).toBeNull();
    expect(ttlOfRaw(['Cache-Control', 'max-age=60'])).toBe(60); // the same response without Authorization
  });
});

describe('stale on an origin error (ERR-04) unless RFC 9111 §4.2.4 forbids it', () => {
  it.each([
    [[['Cache-Control', 'max-age=60']], true],
    [[], true],
    [[['Cache-Control', 'max-age=60, must-revalidate']], false],
    [[['cache-control', 'Max-Age=60, Must-Revalidate']], false],
    [[['Cache-Control', 'max-age=60, proxy-revalidate']], false],
    [[['Cache-Control', 'max-age=60, s-maxage=60']], false],
    [
      [
        ['Cache-Control', 'max-age=60'],
        ['Cache-Control', 'S-MAXAGE=1'],
      ],
      false,
    ], // a second line counts
    [[['Cache-Control', 'no-cache="must-revalidate", max-age=60']], true], // a field name, not the directive
  ] as [[string, string][], boolean][])('%j → %s', (headers, want) => expect(staleOnErrorAllowed(headers)).toBe(want));
});

describe('variants: Expires in every form a recipient meets', () => {
  const in10y = new Date(Date.now() + 10 * 365 * 86400_000);
  const year = in10y.getUTCFullYear();
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][in10y.getUTCDay()]!;
  const longDay = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][in10y.getUTCDay()]!;
  const mon = in10y.toUTCString().split(' ')[2]!;
  const dd = String(in10y.getUTCDate()).padStart(2, '0');
  it.each([
    ['IMF-fixdate', `${day}, ${dd} ${mon} ${year} 12:00:00 GMT`],
    ['RFC 850 (obsolete, two-digit year)', `${longDay}, ${dd}-${mon}-${String(year).slice(2)} 12:00:00 GMT`],
    ['asctime (obsolete)', `${day} ${mon} ${String(in10y.getUTCDate()).padStart(2, ' ')} 12:00:00 ${year}`],
  ])('a valid %s date ten years ahead is fresh up to MaxTTL', (_form, expires) => {
    expect(ttlOfRaw(['Expires', expires])).toBe(TTL0.maxTtl);
    expect(ttlOfRaw(['expires', expires], { ...TTL0, maxTtl: 600 })).toBe(600);
  });
  it.each([
    ['extra spaces', 'Sat, 30 Jun 2099  23:59:59 GMT'],
    ['a leading space inside', 'Sat,  30 Jun 2099 23:59:59 GMT'],
    ['a one-digit hour', 'Sat, 30 Jun 2099 3:59:59 GMT'],
    ['a three-digit hour', 'Sat, 30 Jun 2099 023:59:59 GMT'],
    ['an hour past 23', 'Sat, 30 Jun 2099 24:59:59 GMT'],
    ['a numeric zone', 'Sat, 30 Jun 2099 23:59:59 +0000'],
    ['UTC for GMT', 'Sat, 30 Jun 2099 23:59:59 UTC'],
    ['no zone', 'Sat, 30 Jun 2099 23:59:59'],
    ['a lower-case month', 'Sat, 30 jun 2099 23:59:59 GMT'],
    ['ISO 8601', '2099-06-30T23:59:59Z'],
    ['a bare year', '2099'],
    ['0', '0'],
    ['-1', '-1'],
    ['empty', ''],
    ['31 February', 'Sat, 31 Feb 2099 23:59:59 GMT'],
    ['two dates in one line', 'Sat, 30 Jun 2099 23:59:59 GMT, Sun, 01 Jul 2099 23:59:59 GMT'],
  ])('%s (%j) counts as already stale', (_what, expires) => {
    expect(ttlOfRaw(['Expires', expires])).toBe(0);
    expect(ttlOfRaw(['Expires', expires], TTL300)).toBe(300);
  });
  it('several Expires lines count as stale whatever their case, as does an Expires before Date', () => {
    expect(ttlOfRaw(['Expires', inSeconds(600), 'EXPIRES', inSeconds(600)])).toBe(0);
    expect(behaviourTtl(originPolicy(200, ['Date', inSeconds(900), 'Expires', inSeconds(600)], '/x'), 200, TTL0)).toBe(0);
  });
});

describe('variants: Cache-Control', () => {
  it.each<[string[], number | null]>([
    [['Cache-Control', 'MAX-AGE=60'], 60],
    [['cache-control', 'Max-Age=60'], 60],
    [['Cache-Control', 'max-age="60"'], 60],
    [['Cache-Control', 'max-age=60, max-age=3600'], 60], // the first occurrence (RFC 9111 §4.2.1)
    [['Cache-Control', 'max-age=60', 'Cache-Control', 'max-age=3600'], 60],
    [['Cache-Control', 'max-age=-60'], 0],
    [['Cache-Control', 'max-age=+60'], 0],
    [['Cache-Control', 'max-age=6e1'], 0],
    [['Cache-Control', 'max-age='], 0],
    [['Cache-Control', 'max-age'], 0],
    [['Cache-Control', 'max-age=99999999999999999999'], TTL0.maxTtl], // > 2^31: 2147483648 (§1.2.2), then MaxTTL
    [['Cache-Control', 's-maxage=4294967296, max-age=1'], TTL0.maxTtl],
    [['Cache-Control', 'max-age=60, s-maxage=0'], 0],
    [['Cache-Control', 'max-age=60', 'Cache-Control', 'no-cache'], null], // split over lines
    [['Cache-Control', 'max-age=60', 'Cache-Control', 'No-Store'], null],
    [['Cache-Control', 'no-cache="Set-Cookie"', 'Cache-Control', 'max-age=60'], 60],
    [['Cache-Control', 'No-Cache="set-cookie", max-age=60'], 60],
    [['Cache-Control', 'no-cache=Set-Cookie, max-age=60'], 60], // the token form
    [['Cache-Control', 'private="X-A", max-age=60'], 60],
    [['Cache-Control', 'Private="X-A, X-B", max-age=60'], 60],
    // A qualified and an unqualified form of the same directive: the unqualified one applies.
    [['Cache-Control', 'no-cache="Set-Cookie", no-cache, max-age=60'], null],
    [['Cache-Control', 'no-cache="Set-Cookie", max-age=60', 'Cache-Control', 'no-cache'], null],
    [['Cache-Control', 'private="X-A", private, max-age=60'], null],
    [['Cache-Control', 'private="X-A", max-age=60', 'Cache-Control', 'PRIVATE'], null],
    // Commas and directive names inside a quoted string are text, not directives.
    [['Cache-Control', 'private="no-store, max-age=0", max-age=60'], 60],
    [['Cache-Control', 'x-ext="a, no-cache", max-age=60'], 60],
    [['Cache-Control', 'x-ext="a \\" no-store", max-age=60'], 60],
  ])('%j → %j', (raw, want) => expect(ttlOfRaw(raw)).toBe(want));
});

describe('variants: Vary: * and Authorization', () => {
  it.each<string[]>([
    ['Vary', '*'],
    ['vary', 'Accept-Encoding, *'],
    ['Vary', 'Accept-Encoding', 'Vary', '*'],
    ['Vary', 'Accept-Encoding,*,User-Agent'],
  ])('%j is never stored', (...raw) => expect(ttlOfRaw(['Cache-Control', 'public, max-age=60', ...raw], TTL300)).toBeNull());
  it.each<[string, number | null]>([
    ['max-age=60', null],
    ['Max-Age=60, Private="X"', null],
    ['PUBLIC, max-age=60', 60],
    ['max-age=60, MUST-REVALIDATE', 60],
    ['S-MAXAGE=30', 30],
    ['max-age=60', null],
    ['no-cache="public", max-age=60', null], // `public` as a field name is not the directive
    ['x-ext="public", max-age=60', null],
  ])('Authorization forwarded, Cache-Control %j → %j', (cc, want) =>
    expect(ttlOfRaw(['Cache-Control', cc], TTL0, 200, 'Bearer t')).toBe(want),
  );
});

describe('variants: stale on an origin error (RFC 9111 §4.2.4)', () => {
  it.each<[string[], boolean]>([
    [['max-age=60'], true],
    [['max-age=60, no-cache="Set-Cookie"'], true],
    [['max-age=60, private="X-A"'], true],
    [['max-age=60, MUST-REVALIDATE'], false],
    [['max-age=60', 'Proxy-Revalidate'], false],
    [['S-MaxAge=60'], false],
    // no-cache forbids any reuse without validation (§5.2.2.4), so a copy kept under a Minimum TTL
    // (TTL-04) is not served stale either; nor is one the origin said not to store at all.
    [['no-cache'], false],
    [['No-Cache', 'max-age=60'], false],
    [['no-cache="Set-Cookie", no-cache'], false],
    [['no-store'], false],
    [['private'], false],
    [['x-ext="must-revalidate, no-cache", max-age=60'], true],
  ])('%j → %s', (lines, want) => expect(staleOnErrorAllowed(lines.map((v) => ['Cache-Control', v] as [string, string]))).toBe(want));
});
