// The store's recency order (TTL-07: least recently used evicted first), kept as a list threaded
// through the objects: a table of operation sequences with the eviction order each must give, then
// long random sequences checked against a plain-array model of the same rules.
import { describe, expect, it } from 'vitest';
import { ObjectStore, type StoredObject } from '../../src/edge/store.js';
import { originPolicy } from '../../src/edge/freshness.js';

function object(key: string, invalidationPath = key): StoredObject {
  return {
    key,
    invalidationPath,
    status: 200,
    headers: [],
    body: Buffer.alloc(0),
    policy: originPolicy(200, {}, key),
    ttl: 60,
    receivedAt: Date.now(),
    initialAge: 0,
    freshUntil: Date.now() + 60_000,
    isError: false,
    hitHeaders: [],
    size: 0,
  };
}

type Op = ['set' | 'get' | 'delete' | 'invalidate', string];

describe('recency order (table)', () => {
  // maxObjects 3: a set into a full store evicts the least recently used; `survivors` are the keys
  // still stored after the ops.
  const rows: { what: string; ops: Op[]; survivors: string[] }[] = [
    {
      what: 'insertion order without hits',
      ops: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
        ['set', 'd'],
      ],
      survivors: ['b', 'c', 'd'],
    },
    {
      what: 'a hit on the oldest keeps it',
      ops: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
        ['get', 'a'],
        ['set', 'd'],
      ],
      survivors: ['a', 'c', 'd'],
    },
    {
      what: 'a hit on the newest changes nothing',
      ops: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
        ['get', 'c'],
        ['set', 'd'],
      ],
      survivors: ['b', 'c', 'd'],
    },
    {
      what: 'a hit in the middle',
      ops: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
        ['get', 'b'],
        ['get', 'a'],
        ['set', 'd'],
        ['set', 'e'],
      ],
      survivors: ['a', 'd', 'e'],
    },
    {
      what: 'replacing a key makes it the newest',
      ops: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
        ['set', 'a'],
        ['set', 'd'],
      ],
      survivors: ['a', 'c', 'd'],
    },
    {
      what: 'deleting the oldest, then the newest',
      ops: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
        ['delete', 'a'],
        ['delete', 'c'],
        ['set', 'd'],
        ['set', 'e'],
        ['set', 'f'],
      ],
      survivors: ['d', 'e', 'f'],
    },
    {
      what: 'invalidating the middle one',
      ops: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
        ['invalidate', 'b'],
        ['set', 'd'],
        ['set', 'e'],
      ],
      survivors: ['c', 'd', 'e'],
    },
    {
      what: 'emptied and refilled',
      ops: [
        ['set', 'a'],
        ['delete', 'a'],
        ['get', 'a'],
        ['set', 'b'],
        ['get', 'b'],
        ['set', 'c'],
        ['set', 'd'],
        ['set', 'e'],
      ],
      survivors: ['c', 'd', 'e'],
    },
  ];
  for (const row of rows) {
    it(row.what, () => {
      const store = new ObjectStore(1 << 30, 1 << 20, undefined, 3);
      for (const [op, key] of row.ops) {
        if (op === 'set') store.set(object(key));
        else if (op === 'get') store.get(key);
        else if (op === 'delete') store.delete(key);
        else store.invalidate('', key);
      }
      const all = [...new Set(row.ops.map(([, k]) => k))];
      expect(all.filter((k) => store.get(k) !== undefined).sort()).toEqual([...row.survivors].sort());
      expect(store.size).toBe(row.survivors.length);
    });
  }
});

describe('recency order against a model', () => {
  it('10,000 random operations on 40 keys evict exactly as a plain least-recently-used list does', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const cap = 12;
    const store = new ObjectStore(1 << 30, 1 << 20, undefined, cap);
    const model: string[] = []; // least recently used first
    const touch = (k: string) => {
      const i = model.indexOf(k);
      if (i >= 0) model.splice(i, 1);
      model.push(k);
    };
    for (let step = 0; step < 10_000; step++) {
      const key = `/k${rand(40)}`;
      const op = rand(10);
      if (op < 4) {
        store.set(object(key));
        const i = model.indexOf(key);
        if (i >= 0) model.splice(i, 1);
        if (model.length >= cap) model.shift();
        model.push(key);
      } else if (op < 8) {
        const got = store.get(key);
        expect(got !== undefined, `step ${step}: get ${key}`).toBe(model.includes(key));
        if (got) touch(key);
      } else if (op < 9) {
        expect(store.delete(key)).toBe(model.includes(key));
        const i = model.indexOf(key);
        if (i >= 0) model.splice(i, 1);
      } else {
        const n = store.invalidate('', key);
        const i = model.indexOf(key);
        expect(n).toBe(i >= 0 ? 1 : 0);
        if (i >= 0) model.splice(i, 1);
      }
      expect(store.size).toBe(model.length);
    }
    // Fill with new keys: the old ones are evicted in model order, oldest first (a get() of the one
    // just evicted finds nothing and bumps nothing).
    const expected = [...model];
    for (let i = 0; i < cap; i++) {
      store.set(object(`/new${i}`));
      if (model.length + i >= cap) {
        const gone = expected.shift()!;
        expect(store.get(gone), `${gone} evicted in order`).toBeUndefined();
      }
    }
    expect(expected).toEqual([]);
    expect(store.size).toBe(cap);
  });
});
