// RTMP ingest: accepts publishes (names, auth, one publisher per stream) and keeps the live
// registry exact. node-media-server stays behind ./nms-adapter.ts.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { LiveRegistry } from '../streams/registry.js';
import { cloudFrontPlayApp, streamId, type StreamKey } from '../streams/stream-key.js';
import { startRtmpServer, type PublishRequest, type PublishVerdict } from './nms-adapter.js';
import { decidePublish, ipAllowList, type PublishAuthPolicy } from './publish-auth.js';
import { parsePublish } from './stream-name.js';
import { compileCidr } from '../net/cidr.js';
import { fail, ok } from '../result.js';

export interface IngestHandle {
  port: number;
  /** Open RTMP connections. */
  connections(): number;
  close(): Promise<void>;
}

const LOOPBACK = [compileCidr('127.0.0.0/8'), compileCidr('::1/128')];

/** True when `host` only binds loopback (an address in 127/8 or ::1, or the name localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || LOOPBACK.some((m) => m(h));
}

/** The warning for an RTMP port reachable beyond this machine with no publish secret, or undefined. */
export function publishExposureWarning(host: string, publishSecret: string | undefined, port: number): string | undefined {
  if (publishSecret !== undefined || isLoopbackHost(host)) return undefined;
  const p = port === 0 ? 'the RTMP port' : `port ${port}`;
  return `RTMP ingest binds ${host} without a publish secret: anyone who can reach ${p} can publish. Set --publish-secret (or STREAMFRONT_PUBLISH_SECRET) to require publish keys`;
}

export async function startIngest(opts: { config: Config; registry: LiveRegistry; log: Logger }): Promise<IngestHandle> {
  const { config, registry } = opts;
  const log = opts.log.child({ role: 'ingest' });
  // Said first, as a verdict on the configuration, before anything can fail or listen.
  const exposure = publishExposureWarning(config.host, config.ingest.publishSecret, config.rtmpPort);
  if (exposure) log.warn({ host: config.host }, exposure);
  const policy: PublishAuthPolicy = {
    ...(config.ingest.publishSecret !== undefined ? { secret: config.ingest.publishSecret } : {}),
    allow: ipAllowList(config.ingest.publishAllow), // throws on a bad entry: fail at start-up
  };
  /** Accepted publisher sessions → their stream. */
  const live = new Map<string, StreamKey>();

  // The adapter logs every refusal (`publish refused`, with the reason) in one place, whatever refused it.
  const decide = (req: PublishRequest): PublishVerdict => {
    const refuse = (reason: string): PublishVerdict => fail(reason);
    const parsed = parsePublish(req.app, req.name, req.query);
    if (!parsed.ok) return refuse(parsed.reason);
    const { key, event, recordMode, record, presentedKey } = parsed.target;
    const auth = decidePublish(policy, key, req.ip, presentedKey);
    if (!auth.ok) return refuse(auth.reason);
    const added = registry.add({
      key,
      ...(event !== undefined ? { event } : {}),
      recordMode,
      ...(record !== undefined ? { record } : {}),
      sessionId: req.sessionId,
      publisherIp: req.ip,
      startedAt: new Date(),
      packaging: 'starting',
    });
    if (!added) {
      return refuse(
        registry.bySession(req.sessionId)
          ? 'this session already publishes a stream'
          : `stream ${streamId(key)} is already being published`,
      );
    }
    live.set(req.sessionId, key);
    log.info({ sessionId: req.sessionId, ip: req.ip, stream: streamId(key), event, recordMode, record }, 'publish start');
    return ok();
  };

  const rtmp = await startRtmpServer({
    host: config.host,
    port: config.rtmpPort,
    storeDir: path.join(path.resolve(config.dataDir), '.nms-store', `${process.pid}-${randomUUID().slice(0, 8)}`),
    idleTimeoutMs: config.ingest.idleTimeoutSeconds * 1000,
    playWaitMs: config.ingest.playWaitSeconds * 1000,
    chunkLimits: {
      maxMessageBytes: config.ingest.maxMessageBytes,
      maxChunkSize: config.ingest.maxChunkSize,
      maxChunkStreams: config.ingest.maxChunkStreams,
    },
    connectionLimits: { maxConnections: config.ingest.maxConnections, maxPerAddress: config.ingest.maxConnectionsPerAddress },
    log,
    hooks: {
      decidePublish: decide,
      mediaInfo(sessionId, info) {
        const key = live.get(sessionId);
        if (key) registry.update(key, info);
      },
      bitrate(sessionId, kbps) {
        const key = live.get(sessionId);
        if (key) registry.update(key, { bitrateKbps: kbps });
      },
      cloudFrontPlayApp(name) {
        return cloudFrontPlayApp(
          name,
          registry.list().map((s) => s.key),
        );
      },
      publisherClosed(sessionId, why) {
        const key = live.get(sessionId);
        if (!key) return;
        live.delete(sessionId);
        const removed = registry.removeSession(sessionId);
        if (removed) {
          const seconds = Math.round((Date.now() - removed.startedAt.getTime()) / 100) / 10;
          log.info({ sessionId, stream: streamId(key), why, seconds }, 'publish stop');
        }
      },
    },
  });
  log.info(
    { host: config.host, port: rtmp.port, publishAuth: policy.secret !== undefined, allowList: config.ingest.publishAllow },
    'RTMP ingest listening',
  );
  return { port: rtmp.port, connections: () => rtmp.connections(), close: () => rtmp.close() };
}
