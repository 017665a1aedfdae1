// Public entry of the HTTP origin: the express app and a listening server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { answerClientErrors, connectionGateFor, gateHttpServer, httpTimeoutOptions } from '../http/server-limits.js';
import { createOriginApp as buildApp, type OriginOptions } from './app.js';
import { openStore } from '../storage/open-store.js';

export type { OriginOptions } from './app.js';
export { manifestPaths, mediaPath, parseMediaPath, type ManifestPaths, type MediaRoute, type UrlFamily } from './url-families.js';
export type { FileKind } from './cache-policy.js';
export type { StreamDescription, StreamsResponse } from './streams-api.js';

export interface OriginHandle {
  port: number;
  close(): Promise<void>;
}

export function createOriginApp(opts: OriginOptions): express.Express {
  return buildApp({ ...opts, log: opts.log.child({ role: 'origin' }) });
}

/** Listens on config.host:config.originPort (0 = an ephemeral port, reported in `port`). */
export async function startOrigin(opts: OriginOptions): Promise<OriginHandle> {
  const log = opts.log.child({ role: 'origin' });
  // The recordings store: opened here (unless given) so that close releases its connections.
  const store = opts.store ?? openStore(opts.config);
  const app = buildApp({ ...opts, log, store });
  // Behind the edge, a viewer request of up to SPEC ORG-03's 20,480 bytes arrives with the edge's
  // own few headers added: Node's 16 KiB default would answer 431 to requests the edge accepted.
  // Slow or idle clients must not hold sockets forever, nor one client all of them.
  const server = http.createServer({ ...httpTimeoutOptions(opts.config.origin.http), maxHeaderSize: 24 * 1024 }, app);
  gateHttpServer(server, connectionGateFor(opts.config.origin.http), log, 'origin');
  // node:http's own statuses for a request it cannot take, answered after the requests the
  // connection pipelined before it (node:http's default handler would cut those off).
  answerClientErrors(server, (err) => {
    if (err.code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
    if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return '413 Payload Too Large';
    return err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(opts.config.originPort, opts.config.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'origin server error'));
  const port = (server.address() as AddressInfo).port;
  log.info({ host: opts.config.host, port, dataDir: opts.config.dataDir }, 'origin listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => {
        if (!opts.store) store.close?.();
      });
      return closing;
    },
  };
}
