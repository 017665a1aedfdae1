// Composition: starts the roles a command asks for, in dependency order, and stops them in
// reverse. A stream goes ingest → packager → files → origin; a viewer goes edge → origin.
import net from 'node:net';
import { loopbackFor, type Config } from './config/index.js';
import type { Logger } from './log.js';
import { LiveRegistry } from './streams/registry.js';
import { startIngest } from './ingest/index.js';
import { locateFfmpeg, startPackager } from './packager/index.js';
import { startOrigin } from './origin/index.js';
import { checkEdgeConfig, startEdge } from './edge/index.js';
import { portInUseMessage } from './startup-messages.js';
import { openStore } from './storage/open-store.js';
import { TimelineStore } from './timeline/stream-timeline.js';

export interface Roles {
  /** RTMP ingest plus the ffmpeg packager (they only make sense together). */
  ingest: boolean;
  origin: boolean;
  edge: boolean;
}

export interface RunningServer {
  /** Actual ports (useful when the configuration asked for 0); 0 for a role that is not running. */
  ports: { rtmp: number; origin: number; edge: number; /** HTTPS (h2, http/1.1) of the edge; 0 when off. */ edgeHttps: number };
  registry: LiveRegistry;
  /** The ffmpeg the packager uses, when ingest runs. */
  ffmpegPath?: string;
  close(): Promise<void>;
}

// Each role's start function tags its own log lines with `role`.
export async function startServer(opts: { config: Config; log: Logger; roles: Roles }): Promise<RunningServer> {
  const { config, log, roles } = opts;
  const registry = new LiveRegistry();
  // The CMAF timelines live in memory: LL-HLS and DASH are served by an origin in the same
  // process as the packager (an origin started alone serves the file-based formats only).
  // One store per process (the data directory, or the S3 bucket of `--store s3://…`): DVR segments
  // older than the live edge, recordings and VOD manifests; the origin reads them back from it.
  const store = openStore(config);
  const timelines = new TimelineStore({
    store,
    memorySegments: config.packager.dvrMemorySegments,
    log: log.child({ role: 'packager' }),
  });
  // Closed last: the packager's final writes go through it.
  const closers: Array<{ name: string; close: () => Promise<void> }> = [{ name: 'store', close: async () => store.close?.() }];
  const ports = { rtmp: 0, origin: 0, edge: 0, edgeHttps: 0 };
  let ffmpegPath: string | undefined;

  const close = async (): Promise<void> => {
    // Reverse order of start: the edge stops taking viewers first, then the origin; the packager
    // finishes its manifests (graceful ffmpeg stop) before ingest drops the publishers.
    while (closers.length) {
      const c = closers.pop()!;
      try {
        await c.close();
      } catch (err) {
        log.error({ err, role: c.name }, 'error while stopping');
      }
    }
  };

  // Everything that can be checked is checked before anything listens: a bad edge configuration
  // or a missing ffmpeg must not leave a half-started server accepting publishers.
  // The edge fronts edge.origin, else the origin on this machine (started here, or by `streamfront origin`).
  const edgeOrigin = (originPort: number) => config.edge.origin ?? `http://${loopbackFor(config.host)}:${originPort}`;
  if (roles.edge) checkEdgeConfig(config, edgeOrigin(config.originPort || 8080));
  const ffmpeg = roles.ingest ? await locateFfmpeg(config) : undefined;
  // A taken HTTP port is named before RTMP starts accepting publishers (ingest checks its own port).
  if (roles.origin) await ensurePortFree('HTTP origin', config.host, config.originPort);
  if (roles.edge) await ensurePortFree('edge', config.host, config.edgePort);
  if (roles.edge) await ensurePortFree('edge HTTPS', config.host, config.edgeHttpsPort); // 0 = HTTPS off

  try {
    if (roles.ingest) {
      const ingest = await startIngest({ config, registry, log });
      ports.rtmp = ingest.port;
      closers.push({ name: 'ingest', close: () => ingest.close() });
      const packager = await startPackager({ config, registry, log, rtmpPort: ingest.port, ffmpeg, timelines, store });
      ffmpegPath = packager.ffmpegPath;
      closers.push({ name: 'packager', close: () => packager.close() });
    }
    if (roles.origin) {
      // /api/streams lists the edge's HTTPS URLs once the edge (started next) listens.
      const edgeHttpsPort = () => ports.edgeHttps;
      const origin = await startOrigin({ config, registry, log, rtmpPort: ports.rtmp || config.rtmpPort, timelines, store, edgeHttpsPort });
      ports.origin = origin.port;
      closers.push({ name: 'origin', close: () => origin.close() });
    }
    if (roles.edge) {
      const edge = await startEdge({ config, log, originUrl: edgeOrigin(roles.origin ? ports.origin : config.originPort) });
      ports.edge = edge.port;
      ports.edgeHttps = edge.httpsPort;
      closers.push({ name: 'edge', close: () => edge.close() });
    }
  } catch (err) {
    await close();
    throw portTakenMeanwhile(err, config);
  }
  return { ports, registry, ffmpegPath, close };
}

/** Fails with the one-line port-in-use message when host:port cannot be bound (0 = any port: nothing to check). */
async function ensurePortFree(what: string, host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE' ? portInUseMessage(what, host, port) : `${what} port ${host}:${port} unavailable: ${err.message}`,
        ),
      );
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The same message when another process takes an HTTP port between the check and the listen. */
export function portTakenMeanwhile(err: unknown, config: Config): unknown {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e.code !== 'EADDRINUSE') return err;
  if (e.port === config.originPort) return new Error(portInUseMessage('HTTP origin', config.host, config.originPort));
  if (e.port === config.edgePort) return new Error(portInUseMessage('edge', config.host, config.edgePort));
  if (e.port === config.edgeHttpsPort) return new Error(portInUseMessage('edge HTTPS', config.host, config.edgeHttpsPort));
  return err;
}
