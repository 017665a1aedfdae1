// GET /api/recordings scales: three hundred recordings written through the catalogue (index
// object and list pointers), listed by the origin over real HTTP a page at a time, newest first,
// each page reading only its own index objects; filtered by app and stream; bad parameters are a
// 400 with a reason; a DELETE takes a recording out of every list.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { startOrigin, type OriginHandle } from '../../src/origin/index.js';
import { putRecordingIndex, type RecordingInfo } from '../../src/recordings/catalogue.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RECORDING_LIST_PREFIX } from '../../src/recordings/listing-keys.js';
import { LocalStore } from '../../src/storage/local-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { recordingId, recordingIndexKey } from '../../src/timeline/output-layout.js';
import { waitFor } from '../packager/stack.js';

const TOKEN = 'a-list-admin-token-0123';
const COUNT = 300;
let dir: string;
let origin: OriginHandle;
let base: string;
let gets = 0;
const all: RecordingInfo[] = [];

/** The local store, counting the objects read (what a page costs). */
function counting(store: ObjectStore): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'get') return (...args: Parameters<ObjectStore['get']>) => (gets++, target.get(...args));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamfront-rec-list-'));
  const store = new LocalStore(dir);
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let i = 0; i < COUNT; i++) {
    // Every tenth pair starts in the same second: the ids break the tie.
    const start = new Date(t0 + Math.floor(i / 2) * (i % 10 === 0 ? 1 : 60) * 60_000 + (i % 2) * (i % 10 === 0 ? 0 : 1000));
    const info: RecordingInfo = {
      id: recordingId(start, i.toString(16).padStart(8, '0')),
      app: i % 3 === 0 ? 'cfx/st' : 'live',
      stream: `s${i % 5}`,
      start: start.toISOString(),
      end: new Date(start.getTime() + 30_000).toISOString(),
      duration: 30,
      size: 1000 + i,
      totalBytes: 3000 + i,
      segments: 15,
    };
    all.push(info);
  }
  // Written a few at a time, in no particular order.
  const shuffled = [...all].sort((a, b) => ((a.size * 7919) % 301) - ((b.size * 7919) % 301));
  for (let i = 0; i < shuffled.length; i += 25) await Promise.all(shuffled.slice(i, i + 25).map((r) => putRecordingIndex(store, r)));
  all.sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : a.id < b.id ? -1 : 1));
  const config = defaultConfig({ host: '127.0.0.1', originPort: 0, dataDir: dir, logLevel: 'silent', origin: { adminToken: TOKEN } });
  origin = await startOrigin({ config, registry: new LiveRegistry(), log: silentLogger(), store: counting(store) });
  base = `http://127.0.0.1:${origin.port}`;
}, 60_000);

afterAll(async () => {
  await origin?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Page {
  recordings: Array<RecordingInfo & { urls: { mp4: string }; rungs: unknown[] }>;
  next?: string;
}

async function page(query: string): Promise<{ status: number; body: Page & { reason?: string }; reads: number }> {
  const before = gets;
  const res = await fetch(`${base}/api/recordings${query}`);
  return { status: res.status, body: (await res.json()) as Page & { reason?: string }, reads: gets - before };
}

/** Every page of a list, following `next`. */
async function walk(query: string, limit?: number): Promise<{ ids: string[]; pages: number; maxReads: number }> {
  const ids: string[] = [];
  let next: string | undefined;
  let pages = 0;
  let maxReads = 0;
  do {
    const params = new URLSearchParams(query);
    if (limit !== undefined) params.set('limit', String(limit));
    if (next !== undefined) params.set('next', next);
    const p = await page(`?${params.toString()}`);
    expect(p.status).toBe(200);
    expect(p.body.recordings.length).toBeLessThanOrEqual(limit ?? DEFAULT_PAGE_SIZE);
    maxReads = Math.max(maxReads, p.reads);
    ids.push(...p.body.recordings.map((r) => r.id));
    next = p.body.next;
    pages++;
    if (pages > 100) throw new Error('the list does not end');
  } while (next !== undefined);
  return { ids, pages, maxReads };
}

describe('GET /api/recordings, a page at a time', () => {
  it('lists every recording once, newest first, reading only each page’s index objects', async () => {
    const first = await page('');
    expect(first.status).toBe(200);
    expect(first.body.recordings).toHaveLength(DEFAULT_PAGE_SIZE);
    expect(first.body.recordings[0]).toMatchObject({ id: all[0]!.id, rungs: [] });
    expect(first.body.recordings[0]!.urls.mp4).toMatch(/\/recording\.mp4$/);
    expect(first.reads).toBe(DEFAULT_PAGE_SIZE);

    const walked = await walk('');
    expect(walked.ids).toEqual(all.map((r) => r.id));
    expect(walked.pages).toBe(Math.ceil(COUNT / DEFAULT_PAGE_SIZE));
    expect(walked.maxReads).toBeLessThanOrEqual(DEFAULT_PAGE_SIZE);

    const big = await walk('', MAX_PAGE_SIZE);
    expect(big.ids).toEqual(all.map((r) => r.id));
    expect(big.pages).toBe(2);
  });

  it('filters by app and by stream, paged the same way', async () => {
    const cfx = await walk('app=cfx%2Fst', 17);
    expect(cfx.ids).toEqual(all.filter((r) => r.app === 'cfx/st').map((r) => r.id));
    expect(cfx.maxReads).toBeLessThanOrEqual(17);
    const s1 = await walk('app=live&stream=s1', 7);
    expect(s1.ids).toEqual(all.filter((r) => r.app === 'live' && r.stream === 's1').map((r) => r.id));
    expect(s1.ids.length).toBeGreaterThan(20);
    expect((await walk('app=nobody')).ids).toEqual([]);
  });

  it.each([
    ['?limit=0', /limit/],
    [`?limit=${MAX_PAGE_SIZE + 1}`, /limit/],
    ['?limit=ten', /limit/],
    ['?next=bm90LWEtY3Vyc29y', /next/],
    ['?stream=s1', /stream needs app/],
    ['?app=..%2F..', /app/],
    ['?page=2', /unknown parameter/],
    ['?limit=5&limit=6', /twice/],
  ])('%s → 400 with a reason', async (query, reason) => {
    const p = await page(query);
    expect(p.status).toBe(400);
    expect(p.body.reason).toMatch(reason);
    expect(p.reads).toBe(0);
  });

  it('a DELETE takes a recording out of every list, pointers included', async () => {
    const victim = all.find((r) => r.app === 'live' && r.stream === 's2')!;
    const denied = await fetch(`${base}/api/recordings/${victim.id}`, { method: 'DELETE' });
    expect(denied.status).toBe(401);
    const res = await fetch(`${base}/api/recordings/${victim.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(204);
    const left = all.filter((r) => r.id !== victim.id);
    expect((await walk('', MAX_PAGE_SIZE)).ids).toEqual(left.map((r) => r.id));
    expect((await walk('app=live')).ids).toEqual(left.filter((r) => r.app === 'live').map((r) => r.id));
    expect((await walk('app=live&stream=s2')).ids).toEqual(left.filter((r) => r.app === 'live' && r.stream === 's2').map((r) => r.id));
    const pointers: string[] = [];
    for await (const o of new LocalStore(dir).list(RECORDING_LIST_PREFIX)) pointers.push(o.key);
    expect(pointers).toHaveLength(3 * left.length);
    expect(pointers.some((k) => k.endsWith(victim.id))).toBe(false);
  });

  it('lists recordings a store holds from before the list pointers (index objects only), once an origin starts', async () => {
    const old = await fs.mkdtemp(path.join(os.tmpdir(), 'streamfront-rec-list-old-'));
    const store = new LocalStore(old);
    const ids = ['20261001T100000Z-0000000a', '20261002T100000Z-0000000b'];
    // What the earlier version wrote: the index object alone.
    for (const id of ids) {
      const info = { ...all[0]!, id, app: 'live', stream: 'old', start: `${id.slice(0, 4)}-10-0${id[7]}T10:00:00.000Z` };
      await store.put(recordingIndexKey(id), Buffer.from(JSON.stringify(info)), 'application/json');
    }
    const config = defaultConfig({ host: '127.0.0.1', originPort: 0, dataDir: old, logLevel: 'silent' });
    const o = await startOrigin({ config, registry: new LiveRegistry(), log: silentLogger(), store });
    try {
      const url = `http://127.0.0.1:${o.port}/api/recordings?app=live&stream=old`;
      const listed = await waitFor(
        'the old recordings listed',
        async () => {
          const body = (await (await fetch(url)).json()) as Page;
          return body.recordings.length === 2 ? body.recordings.map((r) => r.id) : undefined;
        },
        10_000,
        100,
      );
      expect(listed).toEqual([...ids].reverse());
    } finally {
      await o.close();
      await fs.rm(old, { recursive: true, force: true });
    }
  });
});
