// The edge's HTTPS listener: one TLS server offering HTTP/2 and HTTP/1.1 by ALPN, feeding the same
// handler as the plain HTTP listener. HTTP/2 requests arrive through node:http2's compatibility API;
// the adapter below makes them look like what the handler reads (a Host header, a response that
// takes flat header lists and drops what HTTP/2 forbids), so the request path has one shape.
import http from 'node:http';
import http2 from 'node:http2';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { sniSelector, type ViewerTls } from './tls.js';

export type EdgeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** RFC 9113 §8.2.2: connection-specific fields a HTTP/2 message must not carry. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** A response header list (flat `[name, value, …]` or a record) without HTTP/2's forbidden fields. */
export function http2ResponseHeaders(headers: readonly string[] | Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower)) return;
    if (lower === 'te' && value.trim().toLowerCase() !== 'trailers') return;
    const prev = out[lower];
    out[lower] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(String(headers[i]), String(headers[i + 1]));
  } else {
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) add(name, String(v));
      else add(name, String(value));
    }
  }
  return out;
}

/**
 * The Host an HTTP/2 request stands for (RFC 9113 §8.3.1: :authority, which a Host field may
 * repeat but not contradict), or undefined when the two differ (a malformed request).
 */
export function http2Host(authority: string | undefined, host: string | undefined): { host: string | undefined } | undefined {
  if (authority === undefined) return { host };
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) return undefined;
  return { host: authority };
}

/**
 * The TLS socket under each HTTP/2 session. `session.socket` is a proxy that throws
 * (ERR_HTTP2_SOCKET_UNBOUND) once the session is gone, which is when a request whose viewer
 * closed the connection is logged; the handler reads the socket itself.
 */
const socketOfSession = new WeakMap<http2.Http2Session, tls.TLSSocket>();

/** Makes a compatibility-API request/response pair read and write as the handler expects; false when it answered a malformed request itself. */
function adaptHttp2(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): boolean {
  // The edge routes, redirects, signs and forwards by Host (CN-01, TLS-01, SIG-01, HDR-03): one Host.
  const authority = typeof req.headers[':authority'] === 'string' ? req.headers[':authority'] : undefined;
  const resolved = http2Host(authority, req.headers.host);
  if (!resolved) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(':authority and Host name different hosts\n');
    return false;
  }
  if (resolved.host !== undefined && req.headers.host === undefined) {
    req.headers.host = resolved.host;
    Object.defineProperty(req, 'rawHeaders', { value: [...req.rawHeaders, 'host', resolved.host], configurable: true, writable: true });
  }
  // HTTP/2 has no Transfer-Encoding: a body without Content-Length is simply DATA frames. The
  // handler recognises a body by one of the two, so such a request is marked as chunked.
  if (req.headers['content-length'] === undefined && !req.stream.endAfterHeaders) req.headers['transfer-encoding'] = 'chunked';
  // The compat API's `socket` is a proxy that falls back to the stream once the session is gone,
  // so at log time it would no longer look encrypted nor count bytes. The handler reads only the
  // peer address, `encrypted` and byte counters from it: give it the session's TLS socket itself
  // (its counters then include the session's other streams).
  const session = req.stream.session;
  const tlsSocket = session ? socketOfSession.get(session) : undefined;
  if (tlsSocket) Object.defineProperty(req, 'socket', { value: tlsSocket, configurable: true });
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string | string[]>) => http2.Http2ServerResponse;
  (res as unknown as { writeHead: unknown }).writeHead = (status: number, a?: unknown, b?: unknown) => {
    const headers = typeof a === 'string' ? b : a; // (status, statusMessage, headers): HTTP/2 has no reason phrase
    return writeHead(status, headers === undefined ? undefined : http2ResponseHeaders(headers as Record<string, unknown>));
  };
  const setHeader = res.setHeader.bind(res);
  (res as unknown as { setHeader: unknown }).setHeader = (name: string, value: number | string | readonly string[]) => {
    if (CONNECTION_SPECIFIC.has(name.toLowerCase())) return res;
    setHeader(name, value as string);
    return res;
  };
  // The handler logs a response as complete when it is `writableFinished` (http.ServerResponse).
  // A stream whose session was destroyed (the viewer's TCP connection dropped) reads as
  // writableFinished though it was never ended, and one reset by the viewer (RST_STREAM) may too:
  // complete means ended by the edge, flushed, and closed without an error code.
  const stream = res.stream;
  Object.defineProperty(res, 'writableFinished', {
    get: () =>
      res.writableEnded && stream.writableFinished && (stream.rstCode === undefined || stream.rstCode === http2.constants.NGHTTP2_NO_ERROR),
  });
  return true;
}

export interface HttpsListener {
  server: http2.Http2SecureServer;
  port: number;
  close(): Promise<void>;
}

/** Listens on `host:port` with ALPN h2 and http/1.1; every request goes to `handler`. */
export async function listenHttps(opts: {
  host: string;
  port: number;
  tls: ViewerTls;
  handler: EdgeHandler;
  maxHeaderBytes: number;
  /** Header lines the HTTP/1.1 listener's parser takes (its `maxHeadersCount`). */
  maxHeaderPairs: number;
  /** Bad HTTP/1.1 requests over TLS get the same answers as on the HTTP listener (ORG-03: 413/414, not Node's 431). */
  onClientError?: (err: Error, socket: import('node:stream').Duplex) => void;
}): Promise<HttpsListener> {
  const contexts = opts.tls.sni.map((e) => tls.createSecureContext({ cert: e.identity.cert, key: e.identity.key }));
  const select = sniSelector(opts.tls.sni);
  const server = http2.createSecureServer(
    {
      cert: opts.tls.identity.cert,
      key: opts.tls.identity.key,
      allowHTTP1: true,
      ALPNProtocols: ['h2', 'http/1.1'],
      SNICallback: contexts.length
        ? (servername, cb) => {
            const i = select(servername);
            cb(null, i >= 0 ? contexts[i] : undefined);
          }
        : undefined,
      // ORG-03: the header block is bounded as on the HTTP listener (HTTP/2 counts it decoded).
      maxSessionMemory: 10,
      settings: { maxHeaderListSize: opts.maxHeaderBytes, maxConcurrentStreams: 128 },
      // As many header lines as the HTTP/1.1 parser takes (plus the four pseudo-headers), so that
      // the edge's own limit answers 431 on both (Node's default, 128, would reset the stream).
      maxHeaderListPairs: opts.maxHeaderPairs + 4,
    },
    (req, res) => {
      if (req.httpVersionMajor === 2 && !adaptHttp2(req, res)) return;
      opts.handler(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
    },
  );
  // HTTP/1.1 over TLS is parsed by node:http's machinery, which reads these from the server object;
  // they match the HTTP listener. `timeout` closes idle HTTP/2 sessions and TLS sockets, so an idle
  // client cannot hold a connection for ever.
  Object.assign(server, {
    maxHeaderSize: opts.maxHeaderBytes,
    maxHeadersCount: opts.maxHeaderPairs,
    keepAliveTimeout: 65_000,
    headersTimeout: 66_000,
  });
  server.setTimeout(65_000);
  if (opts.onClientError) server.on('clientError' as never, opts.onClientError);
  // A client that cannot complete a handshake (no SNI match, bad ALPN, plain HTTP) is dropped without noise.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  server.on('sessionError', () => {});
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<tls.TLSSocket>();
  // node:http2's own 'secureConnection' listener (added when the server was made, so it runs
  // first) creates the session and emits 'session' synchronously: the next TLS socket this
  // listener sees is that session's.
  let newSession: http2.ServerHttp2Session | undefined;
  server.on('session', (s) => {
    sessions.add(s);
    newSession = s;
    s.once('close', () => sessions.delete(s));
  });
  server.on('secureConnection', (s: tls.TLSSocket) => {
    if (newSession) socketOfSession.set(newSession, s);
    newSession = undefined;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
