// Hardening shared by every HTTP server of streamfront (origin, edge): slow-header, slow-body and
// idle timeouts, and caps on connections in total and per client address. Node's defaults let a
// client hold a socket for 300 s with a request body it never finishes, and cap nothing, so slow or
// idle clients exhaust file descriptors. Pure rules first, then the few lines that apply them.
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
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

/** A node:http client error: a parse error (HPE_*), or a request or headers timeout. */
export type ClientError = NodeJS.ErrnoException & { rawPacket?: Buffer };

/**
 * Answers the client errors of `server` (a request node:http cannot parse, a head over its size
 * limit, a request that took too long) with `statusOf(err)` and closes the connection, once the
 * requests node:http parsed before the bad bytes are answered: a client that pipelined complete
 * requests ahead of a bad one gets every answer, in order, then the error. node:http reports a
 * connection's parse error again for every chunk that follows; the first report decides.
 */
export function answerClientErrors(server: net.Server, statusOf: (err: ClientError) => string): void {
  const failing = new WeakSet<object>();
  server.on('clientError', (err: ClientError, socket: Duplex) => {
    if (!socket.writable) return void socket.destroy();
    if (failing.has(socket)) return;
    failing.add(socket);
    const status = statusOf(err);
    afterResponsesInFlight(socket, () => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    });
  });
}

/** A socket node:http serves: the response it is writing now, when one is in flight (node:http's own field). */
type ServedSocket = { _httpMessage?: http.ServerResponse | null };

/**
 * Runs `then` once no response is in flight on an HTTP/1.1 connection. node:http answers pipelined
 * requests in order, giving the socket each one's response in turn: requests it parsed before a
 * parse error (or a timeout) are answered first, so an error answer written in `then` goes after
 * them instead of cutting them off. A response the socket's closing ends counts as done.
 */
function afterResponsesInFlight(socket: Duplex, then: () => void): void {
  // node:http may still be emitting the requests it parsed with the bad bytes: look after this turn.
  setImmediate(() => whenIdle(socket as ServedSocket, then));
}

function whenIdle(socket: ServedSocket, then: () => void): void {
  // A response stays the socket's until its 'finish', when node:http's own listener (added first)
  // gives the socket the next queued response, if any.
  const current = socket._httpMessage;
  if (!current || current.destroyed) return then();
  const next = () => {
    current.off('finish', next);
    current.off('close', next);
    whenIdle(socket, then);
  };
  current.once('finish', next);
  current.once('close', next);
}
