import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that is free now and stays free until the test binds it: one below the
 * kernel's ephemeral range. A port from that range (what binding to 0 gives) can be taken in the
 * meantime as the local port of any outgoing connection, the server's own packager connecting to
 * its RTMP port included, and the test then fails with "port … is already in use".
 */
export async function freePort(): Promise<number> {
  const [low, high] = outsideEphemeralRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 in ${low}-${high}`);
}

/** Ports no outgoing connection is given: below ip_local_port_range (Linux; 32768-60999 by default). */
function outsideEphemeralRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (Number(first) > 12_000) ephemeralLow = Number(first);
  } catch {
    // not Linux: its default range starts at 49152, so the ports below 32768 are outside it too
  }
  return [10_000, Math.min(ephemeralLow, 32768) - 1];
}

/** Whether a port on 127.0.0.1 can be bound right now, by this process alone (nothing else holds it). */
export async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
