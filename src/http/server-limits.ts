// Hardening shared by every HTTP server of streamfront (origin, edge): slow-header, slow-body and
// idle timeouts, and caps on connections in total and per client address. Node's defaults let a
// client hold a socket for 300 s with a request body it never finishes, and cap nothing, so slow or
// idle clients exhaust file descriptors. Pure rules first, then the few lines that apply them.
import type http from 'node:http';
import type net from 'node:net';
import type { HttpServerLimits } from '../config/http-limits.js';
import type { Logger } from '../log.js';
import { ConnectionGate, gateServer } from '../net/connection-gate.js';

export type { HttpServerLimits } from '../config/http-limits.js';

export type HttpTimeoutOptions = Required<
  Pick<http.ServerOptions, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval'>
>;

/**
 * Pure: the `http.createServer` options for the limits (milliseconds). Node checks header and
 * request timeouts only every `connectionsCheckingInterval` (30 s by default), which would let a
 * 10 s timeout run to 40 s: the check runs at a quarter of the shortest timeout, 0.1–1 s.
 */
export function httpTimeoutOptions(
  l: Pick<HttpServerLimits, 'headersTimeoutSeconds' | 'requestTimeoutSeconds' | 'idleTimeoutSeconds'>,
): HttpTimeoutOptions {
  const headersTimeout = Math.round(l.headersTimeoutSeconds * 1000);
  const requestTimeout = Math.round(l.requestTimeoutSeconds * 1000);
  const keepAliveTimeout = Math.round(l.idleTimeoutSeconds * 1000);
  if (!(headersTimeout > 0 && requestTimeout > 0 && keepAliveTimeout > 0)) throw new RangeError('HTTP timeouts must be positive');
  // Node refuses a headers timeout longer than the request timeout.
  if (headersTimeout > requestTimeout) throw new RangeError('headersTimeoutSeconds must not exceed requestTimeoutSeconds');
  const connectionsCheckingInterval = Math.min(1000, Math.max(100, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)));
  return { headersTimeout, requestTimeout, keepAliveTimeout, connectionsCheckingInterval };
}

/** One gate per role, shared by all of the role's listeners (HTTP and HTTPS count together). */
export function connectionGateFor(l: Pick<HttpServerLimits, 'maxConnections' | 'maxConnectionsPerAddress'>): ConnectionGate {
  return new ConnectionGate({ maxConnections: l.maxConnections, maxPerAddress: l.maxConnectionsPerAddress });
}

/**
 * Pure: a log line for refused connections at most every `everyMs`, with how many were refused
 * since the last one, so a flood of connections cannot also flood the log.
 */
export function refusalReporter(
  everyMs: number,
  report: (count: number, address: string, reason: string) => void,
  now: () => number = Date.now,
) {
  let last = -Infinity;
  let pending = 0;
  return (address: string, reason: string): void => {
    pending++;
    const t = now();
    if (t - last < everyMs) return;
    last = t;
    report(pending, address, reason);
    pending = 0;
  };
}

/**
 * Counts `server`'s connections through `gate`: one over a cap is closed before the HTTP parser
 * (or TLS) sees it. Call after the server is created and before it listens; works for any
 * net.Server (http, https, http2).
 */
export function gateHttpServer(server: net.Server, gate: ConnectionGate, log: Logger, listener: string): void {
  const report = refusalReporter(1000, (count, address, reason) =>
    log.warn({ listener, address, refused: count, reason }, 'connection refused: over the connection cap'),
  );
  gateServer(server, gate, report);
}
