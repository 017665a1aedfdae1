// The lane answers a stored object only while the store holds that very object, fresh: an
// invalidation, an eviction, a replacement and expiry each stop it answering the old copy (the
// request goes through the pipeline, which then re-fills the memo with what it found).
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeInternals } from '../../../src/edge/index.js';
import { get as httpGet, sleep, startTestEdge, startTestOrigin, type TestOrigin } from '../test-origin.js';
import { rawExchange, type RawResponse } from './raw-http.js';

let origin: TestOrigin;
let edge: EdgeInternals;
let small: EdgeInternals;
const versions = new Map<string, number>();
const HOST = 'edge.test';

const req = (path: string) => `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
const xcache = (r: RawResponse) => r.headers.find(([n]) => n === 'X-Cache')?.[1];

/** One lane-shaped GET on a connection of its own: the answer, and whether the lane wrote it. */
async function laneGet(e: EdgeInternals, path: string): Promise<{ r: RawResponse; byLane: boolean }> {
  const before = e.lane!.counts.answered;
  const x = await rawExchange(e.port, [req(path)], { count: 1 });
  expect(x.responses).toHaveLength(1);
  return { r: x.responses[0]!, byLane: e.lane!.counts.answered === before + 1 };
}

/** A miss, then a pipeline hit (which fills the memo); the next one is the lane's. */
async function prime(e: EdgeInternals, path: string): Promise<void> {
  await laneGet(e, path);
  await laneGet(e, path);
  const third = await laneGet(e, path);
  expect(third.byLane).toBe(true);
}

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (rq, res) => {
    const path = rq.url!.split('?')[0]!;
    const v = (versions.get(path) ?? 0) + 1;
    versions.set(path, v);
    const body = `${path} v${v}`;
    const maxAge = path.startsWith('/short/') ? 1 : 300;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': `max-age=${maxAge}`, 'Content-Length': String(body.length) });
    res.end(body);
  });
  edge = await startTestEdge(origin.url, { adminToken: 'secret-token-123' });
  small = await startTestEdge(origin.url, { cache: { maxBytes: 64 * 1024 * 1024, maxObjects: 2 } });
});

afterAll(async () => {
  await edge?.close();
  await small?.close();
  await origin?.close();
});

describe('the lane stops answering an object the store no longer holds', () => {
  it('invalidation (control API)', async () => {
    await prime(edge, '/inv/a.js');
    const batch = `<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/inv/a.js</Path></Items></Paths><CallerReference>lane1</CallerReference></InvalidationBatch>`;
    const inv = await httpGet(
      edge.port,
      '/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation',
      { Authorization: 'Bearer secret-token-123' },
      'POST',
      batch,
    );
    expect(inv.status).toBe(201);
    const after = await laneGet(edge, '/inv/a.js');
    expect([after.byLane, xcache(after.r), after.r.body.toString()]).toEqual([false, 'Miss from cloudfront', '/inv/a.js v2']);
    await laneGet(edge, '/inv/a.js'); // a pipeline hit: the memo now names the new copy
    const next = await laneGet(edge, '/inv/a.js');
    expect([next.byLane, next.r.body.toString()]).toEqual([true, '/inv/a.js v2']);
  });

  it('eviction (the store keeps 2 objects)', async () => {
    await prime(small, '/ev/a.js');
    await laneGet(small, '/ev/b.js');
    await laneGet(small, '/ev/c.js'); // /ev/a.js is the least recently used: evicted
    expect(small.server.store.size).toBe(2);
    const after = await laneGet(small, '/ev/a.js');
    expect([after.byLane, xcache(after.r), after.r.body.toString()]).toEqual([false, 'Miss from cloudfront', '/ev/a.js v2']);
  });

  it('the memo does not keep an evicted object (and its body) alive', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    await prime(small, '/pin/a.js');
    const entry = small.server.laneMemo!.find('GET', HOST, '/pin/a.js', undefined, undefined)!;
    expect(entry.obj.deref()).toBeDefined();
    await laneGet(small, '/pin/b.js');
    await laneGet(small, '/pin/c.js'); // /pin/a.js evicted
    await sleep(10);
    gc();
    await sleep(10);
    gc();
    expect(entry.obj.deref()).toBeUndefined();
  });

  it('a lane hit counts as a use (LRU): the lane-served object outlives one that was not used', async () => {
    await prime(small, '/lru/a.js');
    await laneGet(small, '/lru/b.js'); // stored; /lru/a.js is now the older
    expect((await laneGet(small, '/lru/a.js')).byLane).toBe(true); // bumps /lru/a.js
    await laneGet(small, '/lru/c.js'); // evicts /lru/b.js, not /lru/a.js
    expect((await laneGet(small, '/lru/a.js')).byLane).toBe(true);
  });

  it('replacement (another object stored under the same key)', async () => {
    await prime(edge, '/rep/a.js');
    const key = [...(edge.server.store as unknown as { map: Map<string, unknown> }).map.keys()].find((k) => k.endsWith('/rep/a.js'))!;
    const old = edge.server.store.get(key)!;
    edge.server.store.set({ ...old, body: Buffer.from('replaced'), hitHeaders: [...old.hitHeaders.slice(0, -2), 'Content-Length', '8'] });
    const after = await laneGet(edge, '/rep/a.js');
    expect([after.byLane, xcache(after.r), after.r.body.toString()]).toEqual([false, 'Hit from cloudfront', 'replaced']);
    const next = await laneGet(edge, '/rep/a.js');
    expect([next.byLane, next.r.body.toString()]).toEqual([true, 'replaced']);
  });

  it('expiry (max-age=1): the stale copy goes through the pipeline, which refreshes it', async () => {
    await prime(edge, '/short/a.js');
    await sleep(1200);
    const after = await laneGet(edge, '/short/a.js');
    expect(after.byLane).toBe(false);
    expect(xcache(after.r)).toMatch(/^(Miss|RefreshHit) from cloudfront$/);
    expect(after.r.body.toString()).toBe('/short/a.js v2');
  });
});
