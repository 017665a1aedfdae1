import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionGate, gateServer } from '../../src/net/connection-gate.js';

type Step = ['admit', string, true | 'total' | 'per-address'] | ['release', string];

describe('ConnectionGate: caps in total and per address', () => {
  const cases: {
    name: string;
    limits: { maxConnections: number; maxPerAddress: number };
    steps: Step[];
    open: number;
    from: Record<string, number>;
  }[] = [
    {
      name: 'no caps admit everything',
      limits: { maxConnections: 0, maxPerAddress: 0 },
      steps: [
        ['admit', '1.1.1.1', true],
        ['admit', '1.1.1.1', true],
        ['admit', '2.2.2.2', true],
      ],
      open: 3,
      from: { '1.1.1.1': 2, '2.2.2.2': 1 },
    },
    {
      name: 'total cap',
      limits: { maxConnections: 2, maxPerAddress: 0 },
      steps: [
        ['admit', '1.1.1.1', true],
        ['admit', '2.2.2.2', true],
        ['admit', '3.3.3.3', 'total'],
        ['release', '1.1.1.1'],
        ['admit', '3.3.3.3', true],
      ],
      open: 2,
      from: { '1.1.1.1': 0, '2.2.2.2': 1, '3.3.3.3': 1 },
    },
    {
      name: 'per-address cap; other addresses unaffected',
      limits: { maxConnections: 10, maxPerAddress: 2 },
      steps: [
        ['admit', '1.1.1.1', true],
        ['admit', '1.1.1.1', true],
        ['admit', '1.1.1.1', 'per-address'],
        ['admit', '2.2.2.2', true],
      ],
      open: 3,
      from: { '1.1.1.1': 2, '2.2.2.2': 1 },
    },
    {
      name: 'spellings of one peer share a count',
      limits: { maxConnections: 0, maxPerAddress: 2 },
      steps: [
        ['admit', '10.0.0.1', true],
        ['admit', '::ffff:10.0.0.1', true],
        ['admit', '10.0.0.1:5555', 'per-address'],
        ['admit', '2001:DB8::1', true],
        ['admit', '2001:db8:0::1', true],
        ['admit', '[2001:db8::1]:9', 'per-address'],
      ],
      open: 4,
      from: { '10.0.0.1': 2, '::ffff:10.0.0.1': 2, '2001:db8::1': 2 },
    },
    {
      name: 'the total cap is checked before the per-address one',
      limits: { maxConnections: 1, maxPerAddress: 1 },
      steps: [
        ['admit', '1.1.1.1', true],
        ['admit', '1.1.1.1', 'total'],
      ],
      open: 1,
      from: { '1.1.1.1': 1 },
    },
    {
      name: 'a refused admit counts nothing; a release without an admit changes nothing',
      limits: { maxConnections: 1, maxPerAddress: 0 },
      steps: [
        ['admit', '1.1.1.1', true],
        ['admit', '2.2.2.2', 'total'],
        ['release', '2.2.2.2'],
        ['release', '3.3.3.3'],
      ],
      open: 1,
      from: { '1.1.1.1': 1, '2.2.2.2': 0 },
    },
    {
      name: 'release frees the per-address slot',
      limits: { maxConnections: 0, maxPerAddress: 1 },
      steps: [
        ['admit', '::1', true],
        ['admit', '::1', 'per-address'],
        ['release', '[::1]:4'],
        ['admit', '::1', true],
      ],
      open: 1,
      from: { '::1': 1 },
    },
  ];
  it.each(cases)('$name', ({ limits, steps, open, from }) => {
    const gate = new ConnectionGate(limits);
    for (const step of steps) {
      if (step[0] === 'release') {
        gate.release(step[1]);
        continue;
      }
      const r = gate.admit(step[1]);
      if (step[2] === true) expect(r).toEqual({ ok: true, value: undefined });
      else {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.code).toBe(step[2]);
          expect(r.reason).toMatch(/cap/);
        }
      }
    }
    expect(gate.open).toBe(open);
    for (const [addr, n] of Object.entries(from)) expect(gate.openFrom(addr)).toBe(n);
  });

  it.each([
    { maxConnections: -1, maxPerAddress: 0 },
    { maxConnections: 1.5, maxPerAddress: 0 },
    { maxConnections: 0, maxPerAddress: Number.NaN },
  ])('rejects bad limits %j', (limits) => {
    expect(() => new ConnectionGate(limits)).toThrow(/whole number/);
  });
});

describe('gateServer: a real TCP server', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function listen(gate: ConnectionGate, refused: string[]): Promise<{ server: net.Server; port: number; seen: () => number }> {
    let seen = 0;
    const server = net.createServer((socket) => {
      seen++;
      socket.write('hello\n');
    });
    gateServer(server, gate, (address, reason) => refused.push(`${address} ${reason}`));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { server, port: (server.address() as net.AddressInfo).port, seen: () => seen };
  }

  /** Connects and resolves with what happened first: the greeting, or the server ending the socket. */
  function connect(port: number): Promise<'greeted' | 'closed'> {
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      sockets.push(s);
      s.once('data', () => resolve('greeted'));
      s.once('close', () => resolve('closed'));
      s.once('error', () => {});
    });
  }

  it('destroys connections over the caps at once, never shows them to the server, and frees slots on close', async () => {
    const gate = new ConnectionGate({ maxConnections: 10, maxPerAddress: 3 });
    const refused: string[] = [];
    const { port, seen } = await listen(gate, refused);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await connect(port));
    expect(results).toEqual(['greeted', 'greeted', 'greeted', 'closed', 'closed']);
    expect(seen()).toBe(3);
    expect(gate.open).toBe(3);
    expect(gate.openFrom('127.0.0.1')).toBe(3);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/^127\.0\.0\.1 .*cap 3/);

    // Closing two admitted clients frees their slots once the server sees the close.
    for (const s of sockets.slice(0, 2)) s.destroy();
    const deadline = Date.now() + 2000;
    while (gate.open > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(gate.open).toBe(1);
    expect(await connect(port)).toBe('greeted');
    expect(gate.open).toBe(2);
  });
});
