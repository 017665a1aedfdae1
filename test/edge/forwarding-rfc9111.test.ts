// RFC 9110 §7.6.1 / RFC 9111 §3.1–3.2 on the pure forwarding rules: fields named in Connection,
// HTTP/2 pseudo-headers, the 304 header update, and a whitelisted Authorization (HDR-01/03).
import { describe, expect, it } from 'vitest';
import {
  connectionNominated,
  dropConnectionNominated,
  originRequestHeaders,
  selectedBy304,
  splitResponseHeaders,
  updateStoredHeaders,
  type ForwardingRules,
} from '../../src/edge/forwarding.js';
import { forbidsCachingSetCookie } from '../../src/edge/freshness.js';

const none: ForwardingRules = { headers: 'none', headerWhitelist: new Set(), cookies: 'none', cookieWhitelist: [], cacheOptions: false };
const fwd = (raw: string[], rules: Partial<ForwardingRules> = {}, method = 'GET') =>
  originRequestHeaders({
    method,
    rawHeaders: raw,
    rules: { ...none, ...rules },
    viewerIp: '192.0.2.1',
    cfId: 'ID',
    originHost: 'origin:80',
    cacheable: true,
  });

describe('Connection-named fields', () => {
  it.each([
    [['Connection', 'close'], ['close']],
    [
      ['Connection', 'X-A, x-b', 'connection', ' X-C ,,'],
      ['x-a', 'x-b', 'x-c'],
    ],
    [['X-A', '1'], []],
    [['Connection', 'Host, Content-Length, Transfer-Encoding, X-A'], ['x-a']], // framing and Host cannot be taken away
  ])('%j names %j', (raw, names) => expect([...connectionNominated(raw)]).toEqual(names));

  it('are not forwarded to the origin, whatever they are', () => {
    const h = fwd(['Connection', 'X-Secret, Cache-Control, Authorization', 'X-Secret', '1', 'Cache-Control', 'no-cache', 'X-Other', '2']);
    expect(h['x-secret']).toBeUndefined();
    expect(h['cache-control']).toBeUndefined();
    expect(h['x-other']).toBe('2');
    expect(h.connection).toBe('keep-alive'); // HDR-03: the edge's own
  });

  it('are neither passed to the viewer nor stored from the origin', () => {
    const split = splitResponseHeaders(
      ['Connection', 'X-Hop', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'Content-Type', 'text/plain'],
      'none',
      () => false,
      new Set(),
      false,
    );
    expect(split.viewer).toEqual([['Content-Type', 'text/plain']]);
    expect(split.stored).toEqual([['Content-Type', 'text/plain']]);
  });

  it('are removed from the viewer request once, so the cache key and the forwarded headers read the same fields', () => {
    const req = {
      rawHeaders: ['Host', 'a', 'Connection', 'keep-alive, X-Variant', 'X-Variant', 'blue', 'X-Kept', '1'],
      headers: { host: 'a', connection: 'keep-alive, X-Variant', 'x-variant': 'blue', 'x-kept': '1' } as Record<string, unknown>,
    };
    dropConnectionNominated(req);
    expect(req.rawHeaders).toEqual(['Host', 'a', 'Connection', 'keep-alive, X-Variant', 'X-Kept', '1']);
    expect(req.headers['x-variant']).toBeUndefined();
    expect(req.headers['x-kept']).toBe('1');
  });

  it('HTTP/2 pseudo-headers never become origin request headers', () => {
    const h = fwd([':method', 'GET', ':path', '/a', ':authority', 'cdn.example', ':scheme', 'https', 'X-A', '1'], {
      headers: 'whitelist',
      headerWhitelist: new Set([':path']),
    });
    expect(Object.keys(h).filter((n) => n.startsWith(':'))).toEqual([]);
    expect(h['x-a']).toBe('1');
  });
});

describe('a 304 updates the stored headers (RFC 9111 §3.2)', () => {
  const stored: [string, string][] = [
    ['Content-Type', 'text/plain'],
    ['Content-Encoding', 'gzip'],
    ['ETag', '"v1"'],
    ['Cache-Control', 'max-age=1'],
    ['X-Old', 'kept'],
    ['Link', '</a>; rel=preload'],
    ['Link', '</b>; rel=preload'],
    ['Vary', 'Accept-Encoding'],
  ];
  it('every field it carries replaces all stored lines of that name; new fields are added; the rest stay', () => {
    const after = updateStoredHeaders(stored, [
      ['Cache-Control', 'max-age=60'],
      ['ETag', '"v2"'],
      ['X-New', 'yes'],
      ['Link', '</c>; rel=preload'],
      ['x-old', 'replaced'],
    ]);
    expect(after).toEqual([
      ['Content-Type', 'text/plain'],
      ['Content-Encoding', 'gzip'],
      ['Vary', 'Accept-Encoding'],
      ['Cache-Control', 'max-age=60'],
      ['ETag', '"v2"'],
      ['X-New', 'yes'],
      ['Link', '</c>; rel=preload'],
      ['x-old', 'replaced'],
    ]);
  });
  it('never takes the framing, coding or Vary of the stored body from a 304', () => {
    const after = updateStoredHeaders(stored, [
      ['Content-Encoding', 'br'],
      ['Content-Length', '5'],
      ['Content-Range', 'bytes 0-1/2'],
      ['Vary', '*'],
    ]);
    expect(after).toEqual(stored);
  });
  it('the 304 passes through the storage rules first: Connection-named and hop-by-hop fields are not taken', () => {
    const validation = splitResponseHeaders(
      ['Connection', 'X-Hop', 'X-Hop', '1', 'Keep-Alive', 'x', 'X-Version', '2', 'Set-Cookie', 'a=1'],
      'none',
      () => false,
      new Set(),
      false,
    ).stored;
    expect(updateStoredHeaders([['X-Version', '1']], validation)).toEqual([['X-Version', '2']]);
  });
});

describe('Authorization (HDR-01/03)', () => {
  it('is removed from GET/HEAD unless whitelisted; a whitelisted one is forwarded (and RFC 9111 §3.5 then limits reuse)', () => {
    expect(fwd(['Authorization', 'Basic x'])['authorization']).toBeUndefined();
    expect(fwd(['Authorization', 'Basic x'], {}, 'HEAD')['authorization']).toBeUndefined();
    expect(fwd(['Authorization', 'Basic x'], { headers: 'whitelist', headerWhitelist: new Set(['authorization']) })['authorization']).toBe(
      'Basic x',
    );
  });
});

describe('fields named by no-cache="…" / private="…" go to this viewer but are not stored (RFC 9111 §3.1)', () => {
  it.each([
    [['Cache-Control', 'max-age=60, private="X-User"', 'X-User', 'alice', 'X-Public', 'p'], ['X-Public']],
    [['Cache-Control', 'No-Cache="X-A, x-b"', 'X-A', '1', 'X-B', '2', 'X-C', '3'], ['X-C']],
    [['Cache-Control', 'private="X-A"', 'Cache-Control', 'PRIVATE="X-B"', 'X-A', '1', 'X-B', '2'], []], // every occurrence counts
    [['Cache-Control', 'max-age=60', 'X-A', '1'], ['X-A']],
  ])('%j → stored %j', (raw, storedNames) => {
    const split = splitResponseHeaders(raw, 'none', () => false, new Set(), false);
    expect(split.stored.map(([n]) => n).filter((n) => n !== 'Cache-Control')).toEqual(storedNames);
    expect(split.viewer.length).toBe(raw.length / 2);
  });
  it('no-cache="Set-Cookie" keeps Set-Cookie out of the cache whatever the cookie rules (CK-05)', () => {
    const split = splitResponseHeaders(
      ['Cache-Control', 'no-cache="set-cookie"', 'Set-Cookie', 'a=1'],
      'all',
      () => true,
      new Set(['a']),
      false,
    );
    expect(split.viewer).toContainEqual(['Set-Cookie', 'a=1']);
    expect(split.stored.some(([n]) => n === 'Set-Cookie')).toBe(false);
  });
});

describe('which stored response a 304 selects (RFC 9111 §4.3.4)', () => {
  const LM = 'Wed, 25 Nov 2026 12:00:00 GMT';
  it.each<[[string, string][], string[], boolean]>([
    [[['ETag', '"a"']], ['ETag', '"a"'], true],
    [[['etag', '"a"']], ['ETAG', '"a"'], true],
    [[['ETag', '"a"']], ['ETag', '"b"'], false], // the object changed: the 304 is not about this copy
    [[['ETag', 'W/"a"']], ['ETag', '"a"'], false], // a strong validator needs a strong match
    [[['ETag', '"a"']], ['ETag', 'W/"a"'], true], // a weak one, a weak match
    [[['ETag', 'W/"a"']], ['ETag', 'W/"a"'], true],
    [[['ETag', 'W/"a"']], ['ETag', 'W/"b"'], false],
    [[], ['ETag', '"a"'], false],
    [[['Last-Modified', LM]], ['Last-Modified', LM], true],
    [[['Last-Modified', LM]], ['Last-Modified', 'Wednesday, 25-Nov-26 12:00:00 GMT'], true], // the same date in RFC 850 form
    [[['Last-Modified', LM]], ['Last-Modified', 'Thu, 26 Nov 2026 12:00:00 GMT'], false],
    [
      [
        ['ETag', '"a"'],
        ['Last-Modified', LM],
      ],
      ['ETag', '"a"', 'Last-Modified', 'Thu, 26 Nov 2026 12:00:00 GMT'],
      true,
    ], // the ETag decides
    [[['ETag', '"a"']], ['Cache-Control', 'max-age=60'], true], // no validator: the one stored response
  ])('stored %j, 304 %j → %s', (stored, got, want) => expect(selectedBy304(stored, got)).toBe(want));
});

describe('CK-05: no-cache="Set-Cookie" in every form', () => {
  it.each<[string | string[], boolean]>([
    ['no-cache="Set-Cookie"', true],
    ['No-Cache="set-cookie"', true],
    ['no-cache="X-A, Set-Cookie"', true],
    ['no-cache=Set-Cookie', true],
    [['max-age=60', 'no-cache="set-cookie"'], true],
    ['no-cache="Set-Cookie2"', false],
    ['x-ext="no-cache=set-cookie"', false],
    ['private="Set-Cookie"', false], // private="…" is handled with the other fields that are not stored
    ['no-cache', false],
  ])('%j → %s', (cc, want) => expect(forbidsCachingSetCookie({ 'cache-control': cc })).toBe(want));
});

describe('variants: hop-by-hop and Connection-named fields, both directions, every forwarding mode', () => {
  const HOP = ['Keep-Alive', 'TE', 'Trailer', 'Upgrade', 'Proxy-Authorization', 'Proxy-Connection', 'Connection'];
  const modes: [string, Partial<ForwardingRules>][] = [
    ['none', {}],
    ['whitelisting them', { headers: 'whitelist', headerWhitelist: new Set(HOP.map((h) => h.toLowerCase()).concat('x-a', 'x-b', 'x-c')) }],
    ['forward all', { headers: 'all' }],
    ['a 2020 policy forwarding every viewer header', { policy: { forwarded: () => true, keyed: () => true, gzip: false, brotli: false } }],
  ];
  it.each(modes)('to the origin (%s): none of them, in any case, nor the fields any Connection line names', (_m, rules) => {
    for (const cacheable of [true, false]) {
      const raw = [
        'connection',
        'X-A',
        'CONNECTION',
        'x-b, X-C',
        ...HOP.flatMap((h) => [h.toUpperCase(), 'v']),
        ...['x-A', '1', 'X-b', '2', 'x-c', '3', 'X-Kept', 'k'],
      ];
      const h = originRequestHeaders({
        method: 'GET',
        rawHeaders: raw,
        rules: { ...none, ...rules },
        viewerIp: '192.0.2.1',
        cfId: 'ID',
        originHost: 'origin:80',
        cacheable,
      });
      for (const n of ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-a', 'x-b', 'x-c'])
        expect(h[n], `${n} (cacheable ${cacheable})`).toBeUndefined();
      expect(h.connection).toBe('keep-alive');
      if (rules.headers !== undefined || rules.policy) expect(h['x-kept']).toBe('k');
    }
  });
  it('from the origin: none of them reach the viewer or the cache, nor Proxy-Authenticate, nor what Connection names', () => {
    const raw = [
      'Connection',
      'X-A',
      'connection',
      'x-b,  X-C',
      ...['KEEP-ALIVE', 'timeout=5', 'Trailer', 'X-T', 'Upgrade', 'h2c', 'TE', 'trailers', 'Proxy-Connection', 'close'],
      ...['Proxy-Authenticate', 'Basic realm="proxy"', 'Proxy-Authentication-Info', 'nextnonce="x"'],
      ...['X-a', '1', 'x-B', '2', 'X-C', '3', 'Content-Type', 'text/plain'],
    ];
    for (const cookies of ['none', 'all'] as const) {
      const split = splitResponseHeaders(raw, cookies, () => true, new Set(), false);
      expect(split.viewer).toEqual([['Content-Type', 'text/plain']]);
      expect(split.stored).toEqual([['Content-Type', 'text/plain']]);
    }
  });
  it('a 304 cannot plant them in the stored copy', () => {
    const validation = splitResponseHeaders(
      ['Connection', 'X-New', 'X-New', 'n', 'Keep-Alive', 'timeout=1', 'Proxy-Authenticate', 'Basic', 'ETag', '"a"'],
      'none',
      () => false,
      new Set(),
      false,
    ).stored;
    expect(updateStoredHeaders([['ETag', '"a"']], validation)).toEqual([['ETag', '"a"']]);
  });
});
