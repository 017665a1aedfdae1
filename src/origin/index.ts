// Public entry of the HTTP origin: the express app and a listening server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { LiveRegistry } from '../streams/registry.js';
import { createOriginApp as buildApp, type OriginOptions } from './app.js';

export type { OriginOptions } from './app.js';
export { manifestPaths, mediaPath, parseMediaPath, type ManifestPaths, type MediaRoute, type UrlFamily } from './url-families.js';
export type { FileKind } from './cache-policy.js';
export type { StreamDescription, StreamsResponse } from './streams-api.js';

export interface OriginHandle {
  port: number;
  close(): Promise<void>;
}

export function createOriginApp(opts: { config: Config; registry: LiveRegistry; log: Logger; rtmpPort?: number }): express.Express {
  return buildApp({ ...opts, log: opts.log.child({ role: 'origin' }) });
}

/** Listens on config.host:config.originPort (0 = an ephemeral port, reported in `port`). */
export async function startOrigin(opts: OriginOptions): Promise<OriginHandle> {
  const log = opts.log.child({ role: 'origin' });
  const app = buildApp({ ...opts, log });
  const server = http.createServer(app);
  // Slow or idle clients must not hold sockets forever (players keep connections alive).
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
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
      });
      return closing;
    },
  };
}
