// The edge emulator role: a CloudFront web distribution in front of any HTTP origin (SPEC §4–6).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { buildDistribution } from './distribution.js';
import { answerClientErrors, connectionGateFor, gateHttpServer, httpTimeoutOptions } from '../http/server-limits.js';
import { EdgeServer } from './server.js';
import { HitLane } from './hit-lane/intake.js';
import { signingKeysOf } from './signing/keys.js';
import { viewerTls } from './tls.js';
import { listenHttps, type HttpsListener } from './https-listener.js';

export interface EdgeHandle {
  port: number;
  /** HTTPS port (HTTP/2 and HTTP/1.1), 0 when HTTPS is off (`edgeHttpsPort: 0`). */
  httpsPort: number;
  close(): Promise<void>;
}

export interface EdgeInternals extends EdgeHandle {
  /** The wiring behind the handle, for tests and benchmarks (store, stats, origin request counter). */
  server: EdgeServer;
  /** The hit lane, undefined when `edge.hitLane` is off. */
  lane: HitLane | undefined;
}

/**
 * Starts the edge on `config.host:config.edgePort` (0 = ephemeral). `originUrl` overrides
 * `config.edge.origin` as the origin of distributions that list none. Bad configuration (no origin,
 * unsupported origin URL) rejects with a message naming the field.
 */
/** Builds every distribution of the configuration; throws the first problem, naming the distribution. */
function buildDistributions(config: Config, originUrl: string | undefined) {
  return config.edge.distributions.map((d, i) => {
    try {
      return buildDistribution(d, originUrl, config.edge);
    } catch (err) {
      throw new Error(`edge.distributions[${i}]: ${(err as Error).message}`);
    }
  });
}

/** Checks the edge configuration against an origin URL without listening (start-up validation). */
export function checkEdgeConfig(config: Config, originUrl: string | undefined): void {
  buildDistributions(config, originUrl ?? config.edge.origin);
  signingKeysOf(config.edge); // a key that does not parse names its field
}

export async function startEdge(opts: { config: Config; log: Logger; originUrl?: string }): Promise<EdgeInternals> {
  const { config } = opts;
  const log = opts.log.bindings()['role'] === 'edge' ? opts.log : opts.log.child({ role: 'edge' });
  const edge = config.edge;
  const originUrl = opts.originUrl ?? edge.origin;
  const distributions = buildDistributions(config, originUrl);
  const logDir = edge.logs.enabled ? resolve(edge.logs.dir ?? join(config.dataDir, 'edge-logs')) : undefined;
  // TLS-02: certificates are read (or made) before anything listens, so a bad file fails the start.
  const tlsMaterial =
    config.edgeHttpsPort === 0
      ? undefined
      : await viewerTls(
          edge.tls,
          config.dataDir,
          distributions.map((d) => d.domainName),
        );
  const server = new EdgeServer({ cfg: edge, distributions, log, logDir, httpsPort: config.edgeHttpsPort });
  // ORG-03: Node's own header limit sits above ours so the edge can answer 413 itself; recv checks
  // Host itself (Node's check would run before the header-count limit and hide it).
  const httpServer = http.createServer(
    { ...httpTimeoutOptions(edge.http), maxHeaderSize: Math.max(edge.limits.maxRequestBytes * 2, 16384), requireHostHeader: false },
    server.handle,
  );
  // Node keeps only this many header lines and silently drops the rest: well above the edge's
  // limit, so recv sees the whole request (its size for 413, its line count for 431).
  httpServer.maxHeadersCount = Math.max(2000, edge.limits.maxHeaderCount + 1);
  // Caps on connections in total and per viewer address (one gate for every edge listener). A
  // connection over a cap is closed before the HTTP parser sees it, with no 503: to deliver one the
  // edge would have to read the request first (closing a socket with unread bytes sends a reset,
  // which can discard the 503 before the client reads it) and hold the socket until the client
  // has it — the very descriptor and memory the cap exists to bound. An over-cap connection from
  // one address is a client holding many already; nginx likewise drops a connection it has no
  // worker_connections slot for.
  const gate = connectionGateFor(edge.http);
  // The hit lane takes each connection before node:http's parser (and hands it back for anything
  // it does not answer); installed inside the gate, which counts each connection once.
  const lane =
    server.laneMemo === undefined
      ? undefined
      : new HitLane({
          store: server.store,
          memo: server.laneMemo,
          limits: edge.limits,
          record: server.recordLaneExchange,
        });
  lane?.attach(httpServer);
  gateHttpServer(httpServer, gate, log, 'edge');
  // ORG-03: a request larger than even Node's header limit would get Node's own 431, which
  // CloudFront never sends; answer 414 (the request line alone is too long) or 413 and close.
  answerClientErrors(httpServer, (err) => {
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      const firstLineEnd = err.rawPacket?.indexOf('\r\n') ?? -1;
      return firstLineEnd === -1 || firstLineEnd > edge.limits.maxUrlBytes ? '414 Request-URI Too Large' : '413 Request Entity Too Large';
    }
    return err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  });
  await new Promise<void>((resolvePromise, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.edgePort, config.host, () => {
      httpServer.off('error', reject);
      resolvePromise();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  let https: HttpsListener | undefined;
  if (tlsMaterial) {
    try {
      https = await listenHttps({
        host: config.host,
        port: config.edgeHttpsPort,
        tls: tlsMaterial,
        handler: server.handle,
        maxHeaderBytes: Math.max(edge.limits.maxRequestBytes * 2, 16384),
        maxHeaderPairs: httpServer.maxHeadersCount,
        onClientError: (err, socket) => httpServer.emit('clientError', err, socket),
      });
      // The same caps and per-address counts as the HTTP listener.
      gateHttpServer(https.server, gate, log, 'edge-https');
    } catch (err) {
      await new Promise<void>((r) => httpServer.close(() => r()));
      throw err;
    }
    log.info(
      { httpsPort: https.port, certificate: tlsMaterial.source, certFile: tlsMaterial.certFile, sniEntries: tlsMaterial.sni.length },
      'edge HTTPS listening (h2, http/1.1)',
    );
  }
  server.localAuthorities = [...localAuthoritiesOf(config.host, port), ...(https ? localAuthoritiesOf(config.host, https.port) : [])];
  log.info(
    {
      port,
      host: config.host,
      distributions: distributions.map((d) => ({
        id: d.id,
        origins: [
          ...new Set([d.defaultBehaviour, ...d.behaviours].map((b) => `${b.origin.hostname}:${b.origin.port}${b.origin.basePath}`)),
        ],
      })),
      logDir,
    },
    'edge listening',
  );
  let closing: Promise<void> | undefined;
  return {
    port,
    httpsPort: https?.port ?? 0,
    server,
    lane,
    close() {
      closing ??= (async () => {
        await https?.close();
        await new Promise<void>((r) => {
          httpServer.close(() => r());
          httpServer.closeAllConnections();
          lane?.closeAll(); // node:http does not know the connections the lane holds
        });
        await server.close();
      })();
      return closing;
    },
  };
}

/** The `host:port` names a viewer on this machine uses to reach the edge's listener. */
function localAuthoritiesOf(host: string, port: number): string[] {
  const names = new Set([host.includes(':') ? `[${host}]` : host]);
  if (host === '127.0.0.1' || host === '0.0.0.0' || host === '::' || host === '::1') names.add('localhost').add('127.0.0.1');
  if (host === '::' || host === '::1') names.add('[::1]');
  names.delete('0.0.0.0');
  names.delete('[::]');
  return [...names].map((n) => `${n}:${port}`);
}
