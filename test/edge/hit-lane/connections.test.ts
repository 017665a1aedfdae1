// The connections the lane holds: bounded per client (a client that pipelines without reading
// stops being read), timed out as node:http times them out, counted once by the connection gate,
// destroyed on error, and closed with the edge.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeInternals } from '../../../src/edge/index.js';
import { sleep, startTestEdge, startTestOrigin, type TestOrigin } from '../test-origin.js';
import { rawExchange } from './raw-http.js';

let origin: TestOrigin;
let edge: EdgeInternals;
let noLane: EdgeInternals;
const BIG = 500 * 1024;
const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: edge.test\r\n\r\n`;

const config = (hitLane: boolean) => ({
  hitLane,
  http: { idleTimeoutSeconds: 1, headersTimeoutSeconds: 1, requestTimeoutSeconds: 5 },
});

async function prime(e: EdgeInternals, path: string) {
  for (let i = 0; i < 2; i++) await rawExchange(e.port, [get(path)], { count: 1 });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket closes, with what it received and how long it stayed open. */
function closed(s: net.Socket): Promise<{ data: string; ms: number }> {
  const t0 = Date.now();
  let data = '';
  s.on('data', (c: Buffer) => (data += c.toString('latin1')));
  s.on('error', () => {});
  return new Promise((resolve) => s.once('close', () => resolve({ data, ms: Date.now() - t0 })));
}

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (rq, res) => {
    const n = rq.url!.startsWith('/big') ? BIG : 100;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'max-age=300', 'Content-Length': String(n) });
    res.end(Buffer.alloc(n, 0x61));
  });
  [edge, noLane] = await Promise.all([startTestEdge(origin.url, config(true)), startTestEdge(origin.url, config(false))]);
  await prime(edge, '/big.bin');
  await prime(edge, '/small.js');
});

afterAll(async () => {
  await edge?.close();
  await noLane?.close();
  await origin?.close();
});

describe('a client that pipelines without reading', () => {
  it('is paused: the lane answers only what the socket buffers hold, then all of it once the client reads', async () => {
    const N = 150;
    const s = await connect(edge.port);
    s.pause(); // the client reads nothing
    const before = edge.lane!.counts.answered;
    s.write(get('/big.bin').repeat(N));
    for (let i = 0; i < 150 && edge.lane!.counts.answered === before; i++) await sleep(20);
    await sleep(500);
    const whileStuck = edge.lane!.counts.answered - before;
    // Kernel buffers on both ends hold a few MB at most: a handful of 500 KiB answers, not N.
    expect(whileStuck).toBeGreaterThan(0);
    expect(whileStuck).toBeLessThan(40);
    let bytes = 0;
    const done = new Promise<void>((resolve) => {
      s.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes >= N * BIG) resolve();
      });
    });
    s.resume();
    await Promise.race([done, sleep(20_000)]);
    expect(edge.lane!.counts.answered - before).toBe(N);
    expect(bytes).toBeGreaterThan(N * BIG);
    s.destroy();
  }, 30_000);
});

describe('timeouts, as node:http applies them', () => {
  it.each([
    ['the lane', () => edge],
    ['node:http (lane off)', () => noLane],
  ])(
    '%s: an answer still being written is not idle: a client that reads after longer than idleTimeoutSeconds gets every byte',
    async (_, e) => {
      const N = 60; // 30 MB: more than the kernel's socket buffers hold, so writes stay pending
      const s = await connect(e().port);
      s.pause();
      s.write(get('/big.bin').repeat(N));
      await sleep(2500); // idleTimeoutSeconds is 1
      let bytes = 0;
      const done = new Promise<void>((resolve) => {
        s.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes >= N * BIG) resolve();
        });
      });
      const closedEarly = new Promise<void>((resolve) => s.once('close', () => resolve()));
      s.resume();
      await Promise.race([done, closedEarly, sleep(20_000)]);
      expect(bytes).toBeGreaterThan(N * BIG);
      s.destroy();
    },
    30_000,
  );

  it('an idle kept-alive connection is closed after idleTimeoutSeconds', async () => {
    const s = await connect(edge.port);
    const end = closed(s);
    const before = edge.lane!.counts.answered;
    s.write(get('/small.js'));
    const { data, ms } = await end;
    expect(edge.lane!.counts.answered).toBe(before + 1);
    expect(data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
  });

  it('a connection that sends nothing gets the same 408 as without the lane, after headersTimeoutSeconds', async () => {
    const [a, b] = await Promise.all([connect(edge.port), connect(noLane.port)]);
    const [ra, rb] = await Promise.all([closed(a), closed(b)]);
    expect(ra.data).toBe(rb.data);
    expect(ra.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(ra.ms).toBeLessThan(5000);
  });

  it('a head that stops halfway goes to node:http, whose headers timeout answers it', async () => {
    const [a, b] = await Promise.all([connect(edge.port), connect(noLane.port)]);
    const before = edge.lane!.counts.handedOff;
    for (const s of [a, b]) s.write('GET /small.js HTTP/1.1\r\nHost: edge');
    const [ra, rb] = await Promise.all([closed(a), closed(b)]);
    expect(edge.lane!.counts.handedOff).toBe(before + 1);
    expect(ra.data).toBe(rb.data);
    expect(ra.data).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('the connection gate and the edge closing', () => {
  it('counts each lane connection once (per-address cap 4)', async () => {
    const e = await startTestEdge(origin.url, { hitLane: true, http: { maxConnectionsPerAddress: 4 } });
    try {
      await prime(e, '/small.js');
      const socks = await Promise.all([0, 1, 2, 3].map(() => connect(e.port)));
      const ends = socks.map(closed);
      const before = e.lane!.counts.answered;
      for (const s of socks) s.write(get('/small.js'));
      for (let i = 0; i < 100 && e.lane!.counts.answered < before + 4; i++) await sleep(20);
      expect(e.lane!.counts.answered).toBe(before + 4);
      expect(e.lane!.connections).toBe(4);
      const fifth = closed(await connect(e.port));
      expect((await fifth).data).toBe(''); // refused before any parser
      socks[0]!.destroy();
      await ends[0];
      for (let i = 0; i < 50 && e.lane!.connections > 3; i++) await sleep(20);
      const again = await rawExchange(e.port, [get('/small.js')], { count: 1 });
      expect(again.responses.map((x) => x.status)).toEqual([200]);
      for (const s of socks) s.destroy();
      await Promise.all(ends);
    } finally {
      await e.close();
    }
  });

  it('a socket error destroys the connection quietly (a reset mid-answer)', async () => {
    const s = await connect(edge.port);
    s.write(get('/big.bin').repeat(20));
    await sleep(20);
    s.resetAndDestroy();
    await sleep(100);
    expect(edge.lane!.connections).toBe(0);
    const after = await rawExchange(edge.port, [get('/small.js')], { count: 1 });
    expect(after.responses.map((x) => x.status)).toEqual([200]);
  });

  it('a viewer that leaves before a large hit is written is counted as an incomplete answer, not a Hit', async () => {
    const stats = () => edge.server.records.values().next().value!.stats.snapshot().results;
    const before = stats();
    const s = await connect(edge.port);
    s.pause(); // read nothing: 100 answers of 500 KiB (50 MB) cannot all leave through the kernel's buffers
    s.write(get('/big.bin').repeat(100));
    await sleep(300);
    s.resetAndDestroy();
    await sleep(300);
    const after = stats();
    expect(after.Error - before.Error).toBeGreaterThan(0);
    expect(after.Hit - before.Hit).toBeLessThan(100);
  });

  it('closing the edge closes the connections the lane holds', async () => {
    const e = await startTestEdge(origin.url, { hitLane: true });
    await prime(e, '/small.js');
    const s = await connect(e.port);
    const end = closed(s);
    s.write(get('/small.js'));
    await sleep(100);
    expect(e.lane!.connections).toBe(1);
    const t0 = Date.now();
    await e.close();
    await end;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e.lane!.connections).toBe(0);
  });
});
