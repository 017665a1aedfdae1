// HTTP server hardening shared by origin and edge: the pure rules from tables, then both real
// servers on 127.0.0.1 attacked over raw TCP: a slow body, slow headers, an idle keep-alive
// connection, and more connections than the per-address and total caps allow (while another
// address is still served).
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { httpServerLimitsSchema, ORIGIN_HTTP_LIMITS } from '../../src/config/http-limits.js';
import { startEdge } from '../../src/edge/index.js';
import { httpTimeoutOptions, refusalReporter } from '../../src/http/server-limits.js';
import { silentLogger } from '../../src/log.js';
import { startOrigin } from '../../src/origin/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';

describe('httpTimeoutOptions (table)', () => {
  const rows: Array<
    [
      string,
      { h: number; r: number; i: number },
      { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number },
    ]
  > = [
    [
      'origin defaults',
      { h: 10, r: 30, i: 5 },
      { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5000, connectionsCheckingInterval: 1000 },
    ],
    [
      'edge defaults',
      { h: 10, r: 30, i: 65 },
      { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 65_000, connectionsCheckingInterval: 1000 },
    ],
    [
      'short timeouts are checked at a quarter of the shortest',
      { h: 1, r: 2, i: 1 },
      { headersTimeout: 1000, requestTimeout: 2000, keepAliveTimeout: 1000, connectionsCheckingInterval: 250 },
    ],
    [
      'the check never runs more often than every 100 ms',
      { h: 0.2, r: 0.3, i: 0.1 },
      { headersTimeout: 200, requestTimeout: 300, keepAliveTimeout: 100, connectionsCheckingInterval: 100 },
    ],
    [
      'headers timeout equal to the request timeout',
      { h: 30, r: 30, i: 5 },
      { headersTimeout: 30_000, requestTimeout: 30_000, keepAliveTimeout: 5000, connectionsCheckingInterval: 1000 },
    ],
  ];
  for (const [what, l, want] of rows) {
    it(what, () =>
      expect(httpTimeoutOptions({ headersTimeoutSeconds: l.h, requestTimeoutSeconds: l.r, idleTimeoutSeconds: l.i })).toEqual(want),
    );
  }
  const bad: Array<[string, { h: number; r: number; i: number }]> = [
    ['headers timeout above the request timeout (Node refuses it)', { h: 31, r: 30, i: 5 }],
    ['zero request timeout (would mean none)', { h: 0, r: 0, i: 5 }],
    ['zero idle timeout (would keep idle connections forever)', { h: 1, r: 2, i: 0 }],
  ];
  for (const [what, l] of bad) {
    it(`refused: ${what}`, () =>
      expect(() => httpTimeoutOptions({ headersTimeoutSeconds: l.h, requestTimeoutSeconds: l.r, idleTimeoutSeconds: l.i })).toThrow(
        RangeError,
      ));
  }
  it('the config schema refuses the same, naming the field', () => {
    const schema = httpServerLimitsSchema(ORIGIN_HTTP_LIMITS);
    const r = schema.safeParse({ headersTimeoutSeconds: 40 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('headersTimeoutSeconds');
    expect(schema.safeParse({ idleTimeoutSeconds: 0 }).success).toBe(false);
    expect(schema.safeParse({ maxConnectionsPerAddress: -1 }).success).toBe(false);
    expect(schema.parse({})).toEqual({
      headersTimeoutSeconds: 10,
      requestTimeoutSeconds: 30,
      idleTimeoutSeconds: 5,
      maxConnections: 4096,
      maxConnectionsPerAddress: 1024,
    });
  });
});

describe('refusalReporter', () => {
  it('reports the first refusal, then at most once per interval with the count since', () => {
    let t = 0;
    const lines: Array<[number, string]> = [];
    const report = refusalReporter(
      1000,
      (n, a) => lines.push([n, a]),
      () => t,
    );
    for (const [at, addr] of [
      [0, 'a'],
      [10, 'b'],
      [500, 'c'],
      [999, 'd'],
      [1000, 'e'],
      [1001, 'f'],
      [5000, 'g'],
    ] as const) {
      t = at;
      report(addr, 'cap');
    }
    expect(lines).toEqual([
      [1, 'a'],
      [4, 'e'],
      [2, 'g'],
    ]);
  });
});

// ---- both servers, attacked over raw TCP ------------------------------------------------------

interface Conn {
  socket: net.Socket;
  data: () => string;
  closed: Promise<number>;
}

/** A raw connection from `from` (a 127.x address); `closed` resolves with the ms it stayed open. */
function connect(port: number, from = '127.0.0.1'): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let text = '';
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - t0)));
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, data: () => text, closed }));
    socket.once('error', reject);
  });
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'open'> =>
  Promise.race([p, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);

/** Sends a complete GET and resolves with the status line (the connection stays open). */
function getOn(c: Conn, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const start = c.data().length;
    c.socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const t = setInterval(() => {
      const text = c.data().slice(start);
      if (text.includes('\r\n\r\n')) {
        clearInterval(t);
        resolve(text.split('\r\n')[0]!);
      }
    }, 10);
    void c.closed.then(() => {
      clearInterval(t);
      reject(new Error(`closed before a response to ${target}`));
    });
  });
}

const TIMEOUTS = { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2, idleTimeoutSeconds: 1 };
const CAPS = { maxConnections: 8, maxConnectionsPerAddress: 3 };
const servers: Array<{ close(): Promise<void> }> = [];
/** role → [timeouts port, caps port, path every server answers] */
const ports = new Map<string, { timeouts: number; caps: number; path: string }>();

beforeAll(async () => {
  const dataDir = path.join(os.tmpdir(), `streamfront-server-limits-${process.pid}`);
  const start = async (limits: Record<string, number>) => {
    const config = defaultConfig({
      host: '127.0.0.1',
      originPort: 0,
      edgePort: 0,
      edgeHttpsPort: 0,
      dataDir,
      origin: { http: limits },
      // The edge forwards every method, so a slow POST body streams through it to the origin.
      edge: {
        logs: { enabled: false },
        http: limits,
        distributions: [{ defaultBehavior: { allowedMethods: 'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE' } }],
      },
    });
    const origin = await startOrigin({ config, registry: new LiveRegistry(), log: silentLogger() });
    const edge = await startEdge({ config, log: silentLogger(), originUrl: `http://127.0.0.1:${origin.port}` });
    servers.push(edge, origin);
    return { origin: origin.port, edge: edge.port };
  };
  const t = await start(TIMEOUTS);
  const c = await start(CAPS);
  ports.set('origin', { timeouts: t.origin, caps: c.origin, path: '/healthz' });
  ports.set('edge', { timeouts: t.edge, caps: c.edge, path: '/healthz' });
});

afterAll(async () => {
  for (const s of servers) await s.close();
});

for (const role of ['origin', 'edge'] as const) {
  describe(`${role}: timeouts`, () => {
    it('a slow request body is closed after requestTimeoutSeconds (2 s)', async () => {
      const c = await connect(ports.get(role)!.timeouts);
      c.socket.write('POST /live/talk/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n');
      // One byte every 200 ms: never idle long enough for any other timeout.
      const drip = setInterval(() => c.socket.writable && c.socket.write('x'), 200);
      const openFor = await within(c.closed, 6000);
      clearInterval(drip);
      c.socket.destroy();
      expect(openFor, 'still open after 6 s').not.toBe('open');
      expect(openFor as number).toBeLessThan(2000 + 1500);
    });

    it('slow headers are closed after headersTimeoutSeconds (1 s)', async () => {
      const c = await connect(ports.get(role)!.timeouts);
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const drip = setInterval(() => c.socket.writable && c.socket.write('X-Slow: 1\r\n'), 200);
      const openFor = await within(c.closed, 6000);
      clearInterval(drip);
      c.socket.destroy();
      expect(openFor, 'still open after 6 s').not.toBe('open');
      expect(openFor as number).toBeLessThan(1000 + 1500);
      expect(c.data()).toMatch(/^HTTP\/1\.1 408/);
    });

    it('an idle keep-alive connection is closed after idleTimeoutSeconds (1 s)', async () => {
      const c = await connect(ports.get(role)!.timeouts);
      expect(await getOn(c, ports.get(role)!.path)).toMatch(/^HTTP\/1\.1 \d{3}/);
      const t0 = performance.now();
      const closed = await within(c.closed, 5000);
      c.socket.destroy();
      expect(closed, 'idle connection still open after 5 s').not.toBe('open');
      expect(performance.now() - t0).toBeLessThan(1000 + 1500);
    });
  });

  describe(`${role}: bad bytes after pipelined requests`, () => {
    it('every complete request before them is answered, in order, then 400 and the close', async () => {
      const c = await connect(ports.get(role)!.timeouts);
      const get = `GET ${ports.get(role)!.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
      c.socket.write(get + get + 'GET /healthz HTTP/1.1\nHost: 127.0.0.1\r\n\r\n'); // a bare LF ends the request line
      expect(await within(c.closed, 5000), 'still open after 5 s').not.toBe('open');
      const statuses = [...c.data().matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      expect(statuses, c.data()).toEqual([200, 200, 400]);
    });
  });

  describe(`${role}: connection caps`, () => {
    it('the per-address cap refuses the 4th connection from one address while another address is served', async () => {
      const port = ports.get(role)!.caps;
      const held = [await connect(port), await connect(port), await connect(port)];
      const fourth = await connect(port);
      expect(await within(fourth.closed, 2000), '4th connection from 127.0.0.1 not closed').not.toBe('open');
      expect(fourth.data()).toBe('');
      // Another address is served at once.
      const other = await connect(port, '127.0.0.2');
      expect(await getOn(other, ports.get(role)!.path)).toMatch(/^HTTP\/1\.1 \d{3}/);
      other.socket.destroy();
      // The held connections still work, and closing one admits a new one from the same address.
      expect(await getOn(held[0]!, ports.get(role)!.path)).toMatch(/^HTTP\/1\.1 \d{3}/);
      held[2]!.socket.destroy();
      await held[2]!.closed;
      await new Promise((r) => setTimeout(r, 50));
      const again = await connect(port);
      expect(await getOn(again, ports.get(role)!.path)).toMatch(/^HTTP\/1\.1 \d{3}/);
      for (const c of [...held, again]) c.socket.destroy();
      await Promise.all([...held, again].map((c) => c.closed));
    });

    it('the total cap refuses the 9th connection whatever its address', async () => {
      const port = ports.get(role)!.caps;
      const held: Conn[] = [];
      for (let i = 0; i < 8; i++) held.push(await connect(port, `127.0.0.${10 + Math.floor(i / 2)}`));
      await new Promise((r) => setTimeout(r, 50));
      const ninth = await connect(port, '127.0.0.99');
      expect(await within(ninth.closed, 2000), '9th connection not closed').not.toBe('open');
      expect(await getOn(held[7]!, ports.get(role)!.path)).toMatch(/^HTTP\/1\.1 \d{3}/);
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
    });
  });
}
