// The cache's memory accounting: what each part of a stored object is charged (from a table), that
// compaction drops what an object would keep alive beyond itself, that the charge is not below what
// V8 really spends (measured with forced collections), and the byte and count bounds.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { cacheKey, invalidationPath } from '../../src/edge/cache-key.js';
import { originPolicy } from '../../src/edge/freshness.js';
import { compact, footprintOf, heapBytesOf, ObjectStore, stringBytes, V8_COST, type StoredObject } from '../../src/edge/store.js';

function object(p: { key: string; invalidationPath?: string; headers?: [string, string][]; body?: Buffer; url?: string }): StoredObject {
  const headers = p.headers ?? [];
  const body = p.body ?? Buffer.alloc(0);
  return {
    key: p.key,
    invalidationPath: p.invalidationPath ?? p.key,
    status: 200,
    headers,
    body,
    policy: originPolicy(200, Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v])), p.url ?? p.invalidationPath ?? p.key),
    ttl: 60,
    receivedAt: Date.now(),
    initialAge: 0,
    freshUntil: Date.now() + 60_000,
    isError: false,
    hitHeaders: headers.flat(),
    size: 0,
  };
}

const LONG = 'k'.repeat(6000);
/** A string of its own, as the HTTP parser makes one per response (literals would be shared). */
const fresh = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');
const c = V8_COST;
const str = (chars: number, perChar = 1) => c.stringHeader + Math.ceil((chars * perChar) / 8) * 8;
/** The fixed part: base, the tuple-list and hit-header arrays. */
const fixed = c.objectBase + 2 * c.arrayHeader;
const perHeader = (name: number, value: number) =>
  c.arrayHeader + 4 * c.pointer + str(name) + str(value) + c.policyHeaderSlot + str(name) + c.pointer;

describe('what an object is charged (table)', () => {
  const rows: Array<{ what: string; o: Parameters<typeof object>[0]; heap: number; external: number }> = [
    { what: 'empty object, one-character key', o: { key: 'a' }, heap: fixed + str(1) + c.slicedString, external: 0 },
    {
      what: '6,000-character key, path inside the key',
      o: { key: `E\u0001${LONG}`, invalidationPath: LONG },
      heap: fixed + str(6002) + c.slicedString,
      external: 0,
    },
    {
      what: 'invalidation path that is not part of the key',
      o: { key: 'k1', invalidationPath: LONG },
      heap: fixed + str(2) + str(6000),
      external: 0,
    },
    {
      what: 'two-byte characters cost two bytes each',
      o: { key: 'é€'.repeat(100), invalidationPath: 'x€y' },
      heap: fixed + str(200, 2) + str(3, 2),
      external: 0,
    },
    {
      what: 'Latin-1 characters cost one byte',
      o: { key: 'é'.repeat(100), invalidationPath: 'é' },
      heap: fixed + str(100) + c.slicedString,
      external: 0,
    },
    {
      what: 'each header: tuple, hit-header slots and the policy copy of its name',
      o: {
        key: '/a',
        headers: [
          ['Content-Type', 'text/html'],
          ['X-Long', LONG],
        ],
      },
      heap: fixed + str(2) + c.slicedString + perHeader(12, 9) + perHeader(6, 6000),
      external: 0,
    },
    {
      what: '1 KiB body of its own',
      o: { key: '/b', body: Buffer.allocUnsafeSlow(1024) },
      heap: fixed + str(2) + c.slicedString,
      external: 1024,
    },
    {
      what: '500 KiB body',
      o: { key: '/c', body: Buffer.allocUnsafeSlow(500 * 1024) },
      heap: fixed + str(2) + c.slicedString,
      external: 500 * 1024,
    },
  ];
  for (const row of rows) {
    it(row.what, () => {
      const o = object(row.o);
      compact(o);
      expect(heapBytesOf(o)).toBe(row.heap);
      expect(footprintOf(o)).toBe(Math.ceil(row.heap * c.heapSlack) + row.external);
    });
  }

  it("the hit lane's head block: its objects on the heap and its bytes off it, built when the store keeps the object", () => {
    const headers: [string, string][] = [['Content-Type', 'text/html']];
    const o = object({ key: '/h', headers, body: Buffer.allocUnsafeSlow(10) });
    o.hitHeaders = [...headers.flat(), 'Content-Length', '10'];
    const store = new ObjectStore(1 << 20, 1 << 20);
    expect(store.set(o)).toBe(true);
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10\r\nX-Cache: Hit from cloudfront\r\nAge: ';
    expect(o.head?.prefix.toString('latin1')).toBe(text);
    const heap = fixed + str(2) + c.slicedString + perHeader(12, 9) + c.headBlock;
    expect(heapBytesOf(o)).toBe(heap);
    expect(o.size).toBe(Math.ceil(heap * c.heapSlack) + 10 + text.length);
  });

  it('no head block (and no charge for one) for a cached error', () => {
    const o = object({ key: '/e', body: Buffer.allocUnsafeSlow(10) });
    o.isError = true;
    o.status = 404;
    o.hitHeaders = ['Content-Length', '10'];
    new ObjectStore(1 << 20, 1 << 20).set(o);
    expect(o.head).toBeUndefined();
    expect(heapBytesOf(o)).toBe(fixed + str(2) + c.slicedString);
  });

  it('a body that is a view into a larger buffer is charged the whole buffer until compacted', () => {
    const socketRead = Buffer.allocUnsafeSlow(64 * 1024);
    const o = object({ key: '/v', body: socketRead.subarray(100, 1124) });
    expect(footprintOf(o) - Math.ceil(heapBytesOf(o) * c.heapSlack)).toBe(64 * 1024);
    compact(o);
    expect(o.body.length).toBe(1024);
    expect(o.body.buffer.byteLength).toBe(1024);
    expect(footprintOf(o) - Math.ceil(heapBytesOf(o) * c.heapSlack)).toBe(1024);
  });

  it('stringBytes: header plus characters rounded up to 8', () => {
    expect([stringBytes(''), stringBytes('a'), stringBytes('12345678'), stringBytes('123456789'), stringBytes('€')]).toEqual([
      16, 24, 24, 32, 24,
    ]);
  });
});

describe('compaction', () => {
  it('the key no longer shares characters with the request URL; the path is a view into the key', () => {
    const url = `/live/${LONG}?${'q'.repeat(6000)}`;
    const path = url.slice(0, url.indexOf('?'));
    const key = cacheKey({
      distributionId: 'E1',
      behaviourIndex: 0,
      path,
      query: '',
      cookies: [],
      headers: [],
      gzip: false,
      method: 'GET',
    });
    const o = object({ key, invalidationPath: invalidationPath(path, ''), url: path, headers: [['Cache-Control', 'max-age=60']] });
    compact(o);
    expect(o.key).toBe(key);
    expect(o.invalidationPath).toBe(path);
    expect(o.policy.toObject().u).toBe(path);
    expect(o.policy.timeToLive()).toBeGreaterThan(0);
  });
});

describe('the charge against what V8 really spends', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const used = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, external: m.arrayBuffers };
  };
  const mixes: Array<{ what: string; make: (i: number) => StoredObject }> = [
    {
      // The request URL carries a 6,000-character query string the key does not include.
      what: 'tiny error pages under 6,000-character URLs',
      make: (i) => {
        const url = `/err/${LONG}/${i}?${'q'.repeat(6000)}${i}`;
        const path = url.slice(0, url.indexOf('?'));
        const key = cacheKey({
          distributionId: 'E1',
          behaviourIndex: 0,
          path,
          query: '',
          cookies: [],
          headers: [],
          gzip: false,
          method: 'GET',
        });
        const body = Buffer.from(`<html>Bad Request ${i}</html>`); // from the Buffer pool
        const headers: [string, string][] = [
          [fresh('Content-Type'), fresh('text/html')],
          [fresh('Date'), fresh(new Date().toUTCString())],
        ];
        return object({ key, invalidationPath: invalidationPath(path, ''), url: path, body, headers });
      },
    },
    {
      what: '1 KiB objects with the usual headers',
      make: (i) => {
        const path = `/obj/1024/small-${i}`;
        const key = cacheKey({
          distributionId: 'E1',
          behaviourIndex: 0,
          path,
          query: '',
          cookies: [],
          headers: [],
          gzip: false,
          method: 'GET',
        });
        const headers: [string, string][] = [
          [fresh('Content-Type'), fresh('application/octet-stream')],
          [fresh('Cache-Control'), fresh('max-age=3600')],
          [fresh('ETag'), fresh(`"e${i}"`)],
          [fresh('Date'), fresh(new Date().toUTCString())],
          [fresh('Last-Modified'), fresh(new Date(0).toUTCString())],
        ];
        return object({ key, invalidationPath: path, url: path, body: Buffer.allocUnsafeSlow(1024).fill(i & 0xff), headers });
      },
    },
  ];
  for (const mix of mixes) {
    it(`${mix.what}: charged at least the heap and memory measured, and not twice it`, () => {
      const n = 3000;
      const store = new ObjectStore(1024 ** 3, 1024 ** 2);
      const before = used();
      for (let i = 0; i < n; i++) expect(store.set(mix.make(i))).toBe(true);
      const after = used();
      // Everything the objects keep alive (the store's map included), after forced collections.
      const measured = after.heap - before.heap + (after.external - before.external);
      expect(store.size).toBe(n);
      const charged = store.bytes;
      // Charged (with the heap slack) ≥ measured; the model without the slack is within 25 % of it.
      expect(charged, `charged ${charged} for ${measured} measured`).toBeGreaterThanOrEqual(measured);
      expect(charged / c.heapSlack, `charged ${charged} for ${measured} measured`).toBeLessThan(measured * 1.25);
    });
  }
});

describe('bounds', () => {
  it('bytes: least recently used objects go first, the charge stays within the bound', () => {
    const one = footprintOf(object({ key: '/x0000', body: Buffer.allocUnsafeSlow(1000) }));
    const store = new ObjectStore(one * 10, 1 << 20);
    for (let i = 0; i < 10; i++) store.set(object({ key: `/x${String(i).padStart(4, '0')}`, body: Buffer.allocUnsafeSlow(1000) }));
    expect(store.size).toBe(10);
    store.get('/x0000'); // now most recently used
    store.set(object({ key: '/x0010', body: Buffer.allocUnsafeSlow(1000) }));
    expect(store.size).toBe(10);
    expect(store.get('/x0000')).toBeDefined();
    expect(store.get('/x0001')).toBeUndefined();
    expect(store.bytes).toBeLessThanOrEqual(store.maxBytes);
    expect(store.evictions).toBe(1);
  });

  it('count: at most maxObjects, however small they are', () => {
    const store = new ObjectStore(1 << 30, 1 << 20, undefined, 5);
    for (let i = 0; i < 12; i++) store.set(object({ key: `/t${i}` }));
    expect(store.size).toBe(5);
    expect(store.get('/t11')).toBeDefined();
    expect(store.get('/t6')).toBeUndefined();
    expect(store.evictions).toBe(7);
  });

  it('an object whose body exceeds maxObjectBytes, or whose footprint exceeds the bound, is not stored', () => {
    const store = new ObjectStore(10_000, 2_000);
    expect(store.set(object({ key: '/big', body: Buffer.allocUnsafeSlow(2_001) }))).toBe(false);
    expect(store.set(object({ key: `/${LONG}${LONG}` }))).toBe(false); // ~15.6 kB charged
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('replacing an object charges only the new copy', () => {
    const store = new ObjectStore(1 << 20, 1 << 20);
    store.set(object({ key: '/r', body: Buffer.allocUnsafeSlow(5000) }));
    store.set(object({ key: '/r', body: Buffer.allocUnsafeSlow(100) }));
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(footprintOf(store.get('/r')!));
  });

  it('asks for a collection after an eighth of the bound has been stored or evicted', () => {
    let hints = 0;
    const store = new ObjectStore(80_000, 20_000, () => hints++);
    for (let i = 0; i < 20; i++) store.set(object({ key: `/h${i}`, body: Buffer.allocUnsafeSlow(4000) }));
    // Churn = bytes stored + bytes evicted; a hint each time it passes 10 kB (one set adds at most
    // two objects' worth).
    const one = store.get('/h19')!.size;
    const churn = (20 + store.evictions) * one;
    expect(store.evictions).toBeGreaterThan(0);
    expect(hints).toBeLessThanOrEqual(churn / 10_000);
    expect(hints).toBeGreaterThanOrEqual(Math.floor(churn / (10_000 + 2 * one)));
  });
});
