// The only file that touches node-media-server 4.4.3. Every quirk of FIELD-NOTES §3 and §7 is
// handled here so the rest of ingest sees a small, exact API:
//   - two-level app `cfx/st` (§3): the protocol's connect is rewritten to a one-segment alias;
//   - FMS play names `mp4:x`, `x.flv` (SPEC RTMP-21/22): rewritten before NMS validates them;
//   - N1: refusals are decided synchronously in prePublish, the socket is destroyed (not half-closed),
//     the refused session's packets are dropped and its later events ignored;
//   - N2: no http/https listeners at all (our express origin serves HTTP);
//   - N3: stream state follows the publisher's socket `close`, not the 30 s-late donePublish, and
//     the stream's subscribers (our packager's ffmpeg, RTMP viewers) are told the stream ended;
//   - N4: an idle-publisher watchdog, and a deadline for connections that never publish or play;
//   - N5: our own port check (NMS calls process.exit(1) on EADDRINUSE), `record.auto:false`,
//     a private store directory, its console logger routed into pino at debug level, and its
//     store's SIGINT/SIGTERM handlers (which re-raise the signal) switched off.
import fs from 'node:fs/promises';
import net from 'node:net';
import { createRequire } from 'node:module';
import NodeMediaServer, { type NmsAvPacket, type NmsSession } from 'node-media-server';
import type { Logger } from '../log.js';
import { normalizeAddress } from '../net/address.js';
import type { AudioInfo, VideoInfo } from '../streams/registry.js';
import { appFromNms, livePlayName, NMS_CLOUDFRONT_ALIAS, nmsAppFor, type StreamQuery } from './stream-name.js';

const require = createRequire(import.meta.url);

export interface PublishRequest {
  sessionId: string;
  /** The app the client connected to (`cfx/st`, not NMS's alias); '' when NMS rejected the path. */
  app: string;
  name: string;
  query: StreamQuery;
  /** Peer address without the port. */
  ip: string;
}

export type PublishVerdict = { accept: true } | { accept: false; reason: string };

export interface MediaInfo {
  video?: VideoInfo;
  audio?: AudioInfo;
}

/** What ingest decides and learns; every callback runs synchronously on NMS's event. */
export interface RtmpIngestHooks {
  /** Called once per publish attempt, synchronously inside NMS's prePublish (FIELD-NOTES N1). */
  decidePublish(req: PublishRequest): PublishVerdict;
  /** Codecs of an accepted publisher, when its sequence headers arrive. */
  mediaInfo(sessionId: string, info: MediaInfo): void;
  /** Measured ingest bitrate of an accepted publisher, every few seconds. */
  bitrate(sessionId: string, kbps: number): void;
  /** The accepted publisher's socket closed (or was closed by the idle watchdog). */
  publisherClosed(sessionId: string, why: 'disconnected' | 'idle' | 'shutdown'): void;
  /** A play on `cfx/st/<name>`: the app that stream is live in, when it is not under `cfx/st` (see cloudFrontPlayApp). */
  cloudFrontPlayApp(name: string): string | undefined;
}

/** The running server's resolver for `cfx/st` plays; the protocol patch is process-wide, like NMS itself (N5). */
let resolveCloudFrontPlay: ((name: string) => string | undefined) | undefined;

export interface RtmpServerOptions {
  host: string;
  /** 0 = an ephemeral port. */
  port: number;
  /** A directory of NMS's own JSON store, created and removed by us. */
  storeDir: string;
  idleTimeoutMs: number;
  log: Logger;
  hooks: RtmpIngestHooks;
}

export interface RtmpServer {
  port: number;
  close(): Promise<void>;
}

interface RtmpProtocolProto {
  parserData(buffer: Buffer): string | null;
  onConnect(msg: { cmdObj?: { app?: unknown } }): unknown;
  onPlay(msg: { streamName?: unknown }): unknown;
  onPublish(msg: unknown): unknown;
}

const PATCHED = Symbol.for('streamfront.nms.patched');

/**
 * Rewrites what the RTMP protocol layer hands to NMS's session, before NMS's name check:
 * `cfx/st` → its alias (FIELD-NOTES §3), and a play name's `mp4:`/`.flv` forms → the live name.
 * Throws when the NMS internals it relies on are gone (an upgrade must fail loudly, not silently).
 */
export function installNmsProtocolPatches(): void {
  const Rtmp = require('node-media-server/src/protocol/rtmp.js') as { prototype: RtmpProtocolProto & { [PATCHED]?: boolean } };
  const proto = Rtmp?.prototype;
  if (!proto || typeof proto.parserData !== 'function' || typeof proto.onConnect !== 'function' || typeof proto.onPlay !== 'function' || typeof proto.onPublish !== 'function') {
    throw new Error('node-media-server internals changed: src/protocol/rtmp.js parserData/onConnect/onPlay/onPublish not found; the cfx/st adaptation cannot be installed');
  }
  if (proto[PATCHED]) return;
  // N7 (found by test/e2e/bad-input-rtmp): NMS parses client bytes without a try/catch, so one
  // malformed command (a connect whose tcUrl is not a URL, a publish or play whose name is null or
  // a number) throws out of the socket's 'data' handler and ends the whole process. A parse error
  // is returned as NMS's own error string instead: NMS logs it and ends that one session.
  const parserData = proto.parserData;
  proto.parserData = function (this: unknown, buffer: Buffer) {
    try {
      return parserData.call(this, buffer);
    } catch (err) {
      return `malformed RTMP input: ${(err as Error).message}`;
    }
  };
  const onConnect = proto.onConnect;
  const onPlay = proto.onPlay;
  proto.onConnect = function (this: unknown, msg) {
    if (msg?.cmdObj && typeof msg.cmdObj.app === 'string') {
      // A null alias (the literal alias) becomes a name NMS's own check refuses.
      msg.cmdObj.app = nmsAppFor(msg.cmdObj.app) ?? '!reserved';
    }
    return onConnect.call(this, msg);
  };
  proto.onPlay = function (this: { streamApp?: unknown }, msg) {
    if (msg && typeof msg.streamName === 'string') {
      const streamName = livePlayName(msg.streamName);
      msg.streamName = streamName;
      if (this.streamApp === NMS_CLOUDFRONT_ALIAS && resolveCloudFrontPlay) {
        const app = resolveCloudFrontPlay(streamName.split('?')[0]!);
        const nmsApp = app === undefined ? null : nmsAppFor(app);
        if (nmsApp) this.streamApp = nmsApp;
      }
    }
    return onPlay.call(this, msg);
  };
  proto[PATCHED] = true;
}

interface NmsLoggerLike {
  level: string;
  log(message: string, level?: string): void;
}

function routeNmsLogger(log: Logger): void {
  const nmsLogger = require('node-media-server/src/core/logger.js') as NmsLoggerLike;
  // NMS forces its console logger to debug (N5); everything it says goes to our debug level.
  nmsLogger.log = (message: string, level = 'info') => log.debug({ nmsLevel: level }, message);
}

/** Binds host:port briefly to learn whether it is free (and which port 0 gives). */
async function claimablePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === 'EADDRINUSE' ? `RTMP port ${host}:${port} is already in use` : `RTMP port ${host}:${port} unavailable: ${err.message}`));
    });
    srv.listen({ host, port, exclusive: true }, () => {
      const actual = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(actual));
    });
  });
}

function videoCodecName(id: number): string {
  if (id === 7) return 'h264';
  if (id === 12) return 'hevc';
  if (id === 2) return 'flv1';
  if (id === 4 || id === 5) return 'vp6';
  if (id > 0xffff) {
    const fourcc = Buffer.alloc(4);
    fourcc.writeUInt32BE(id >>> 0);
    const s = fourcc.toString('latin1');
    return ({ hvc1: 'hevc', av01: 'av1', vp09: 'vp9', avc1: 'h264' } as Record<string, string>)[s] ?? s;
  }
  return `flv-video-${id}`;
}

function audioCodecName(id: number): string {
  return ({ 10: 'aac', 2: 'mp3', 14: 'mp3', 11: 'speex', 4: 'nellymoser', 5: 'nellymoser', 6: 'nellymoser', 7: 'pcm_alaw', 8: 'pcm_mulaw', 0: 'pcm', 3: 'pcm', 13: 'opus' } as Record<number, string>)[id] ?? `flv-audio-${id}`;
}

interface Tracked {
  session: NmsSession;
  lastBytes: number;
  lastChange: number;
  rateBytes: number;
  rateAt: number;
  video?: VideoInfo;
  audio?: AudioInfo;
  closedWhy?: 'idle' | 'shutdown';
}

export async function startRtmpServer(opts: RtmpServerOptions): Promise<RtmpServer> {
  const { host, log, hooks } = opts;
  installNmsProtocolPatches();
  resolveCloudFrontPlay = (name) => hooks.cloudFrontPlayApp(name);
  routeNmsLogger(log.child({ role: 'nms' }));
  const port = await claimablePort(host, opts.port);
  await fs.mkdir(opts.storeDir, { recursive: true });

  const nms = new NodeMediaServer({
    bind: host,
    rtmp: { port },
    // N2: no http/https port; N5: record.auto defaults to true.
    record: { auto: false, path: opts.storeDir },
    store: { path: opts.storeDir },
    webadmin: { enable: false },
    auth: { play: false, publish: false, secret: '' },
  });
  const internals = nms as unknown as {
    store?: { options?: { signals?: boolean } };
    rtmpServer?: { tcpServer?: net.Server; handleListenError?: unknown };
  };
  // The store's signal handlers flush and re-raise SIGINT/SIGTERM, which would cut our graceful shutdown short.
  if (internals.store?.options) internals.store.options.signals = false;
  const tcpServer = internals.rtmpServer?.tcpServer;
  if (!internals.rtmpServer || !tcpServer) throw new Error('node-media-server internals changed: rtmpServer.tcpServer not found');

  const accepted = new Map<string, Tracked>();

  // N4 before publish: NMS has no handshake timeout, so a connection that never publishes or plays
  // would hold a socket for ever. Each one gets `idleTimeoutMs` to get there.
  const engaged = new WeakSet<net.Socket>();
  tcpServer.on('connection', (socket: net.Socket) => {
    if (opts.idleTimeoutMs <= 0) return;
    const timer = setTimeout(() => {
      if (!engaged.has(socket)) {
        log.debug({ peer: `${socket.remoteAddress}:${socket.remotePort}` }, 'RTMP connection neither published nor played: closing');
        socket.destroy();
      }
    }, opts.idleTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  nms.on('prePlay', (session) => {
    if (session.socket) engaged.add(session.socket);
  });

  nms.on('prePublish', (session) => {
    const socket = session.socket;
    if (socket) engaged.add(socket);
    if (!socket || !session.rtmp) return; // only RTMP publishes exist here (no relay, no RTSP)
    // N3: our state follows the socket; NMS's resume grace would otherwise hold the name 30 s.
    if (session.broadcast) session.broadcast.publishGraceMs = 0;
    // NMS's `ip` is `addr:port`, ambiguous for IPv6: take the socket's own address.
    const ip = normalizeAddress(socket.remoteAddress);
    const verdict: PublishVerdict = session.streamPath
      ? hooks.decidePublish({ sessionId: session.id, app: appFromNms(session.streamApp), name: session.streamName, query: session.streamQuery ?? {}, ip })
      : { accept: false, reason: 'invalid app or stream name' };
    if (!verdict.accept) {
      // N1: drop anything this session already sent and cut it off before its bytes reach the broadcast.
      // Its later postPublish/donePublish need no guard: we never listen to them.
      session.rtmp.onPacketCallback = () => {};
      socket.destroy();
      return;
    }
    const now = Date.now();
    const tracked: Tracked = { session, lastBytes: session.inBytes, lastChange: now, rateBytes: session.inBytes, rateAt: now };
    accepted.set(session.id, tracked);
    const forward = session.rtmp.onPacketCallback;
    session.rtmp.onPacketCallback = (packet: NmsAvPacket) => {
      forward(packet);
      // Sequence headers (flags 0/2) for AAC/H.264/HEVC; other codecs (MP3, Sorenson…) have none,
      // so the first packet of a track names its codec too.
      if (packet.codec_type === 8 ? packet.flags === 0 || !tracked.audio : packet.codec_type === 9 && (packet.flags === 2 || !tracked.video)) {
        learnMedia(tracked, packet);
      }
    };
    socket.once('close', () => {
      accepted.delete(session.id);
      // N3: NMS never tells subscribers; end them so the packager's ffmpeg sees end-of-stream and writes its trailers.
      const broadcast = session.broadcast;
      if (broadcast && (broadcast.publisher === session || broadcast.publisher === null)) {
        for (const sub of broadcast.subscribers.values()) sub.socket?.end();
      }
      hooks.publisherClosed(session.id, tracked.closedWhy ?? 'disconnected');
    });
  });

  function learnMedia(t: Tracked, packet: NmsAvPacket): void {
    const s = t.session;
    if (packet.codec_type === 9) {
      t.video = {
        codec: videoCodecName(packet.codec_id),
        ...(s.videoWidth ? { width: s.videoWidth } : {}),
        ...(s.videoHeight ? { height: s.videoHeight } : {}),
        ...(s.videoFramerate ? { fps: s.videoFramerate } : {}),
      };
    } else {
      t.audio = {
        codec: audioCodecName(packet.codec_id),
        ...(s.audioSamplerate ? { sampleRate: s.audioSamplerate } : {}),
        ...(s.audioChannels ? { channels: s.audioChannels } : {}),
      };
    }
    hooks.mediaInfo(s.id, { ...(t.video ? { video: t.video } : {}), ...(t.audio ? { audio: t.audio } : {}) });
  }

  // N4: watchdog for publishers that stopped sending, plus the bitrate the registry shows.
  const RATE_WINDOW_MS = 5000;
  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const t of accepted.values()) {
      const bytes = t.session.inBytes;
      if (bytes !== t.lastBytes) {
        t.lastBytes = bytes;
        t.lastChange = now;
      } else if (opts.idleTimeoutMs > 0 && now - t.lastChange > opts.idleTimeoutMs && !t.closedWhy) {
        t.closedWhy = 'idle';
        log.warn({ sessionId: t.session.id, stream: t.session.streamPath, idleMs: now - t.lastChange }, 'publisher idle: disconnecting');
        t.session.socket?.destroy();
      }
      if (now - t.rateAt >= RATE_WINDOW_MS) {
        hooks.bitrate(t.session.id, Math.round(((bytes - t.rateBytes) * 8) / (now - t.rateAt)));
        t.rateBytes = bytes;
        t.rateAt = now;
      }
    }
  }, 1000);
  watchdog.unref();

  // N5: catch the listen error ourselves instead of NMS's process.exit(1).
  const listening = new Promise<void>((resolve, reject) => {
    internals.rtmpServer!.handleListenError = () => (err: Error) => reject(new Error(`RTMP listen on ${host}:${port} failed: ${err.message}`));
    tcpServer.once('listening', () => resolve());
  });
  const running = nms.run();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearInterval(watchdog);
    for (const t of accepted.values()) t.closedWhy ??= 'shutdown';
    await running.catch(() => {});
    const tcpClosed = tcpServer.listening ? new Promise<void>((resolve) => tcpServer.once('close', () => resolve())) : Promise.resolve();
    await nms.stop(); // closes the listener and destroys every RTMP socket: publisher `close` handlers run
    await tcpClosed;
    await fs.rm(opts.storeDir, { recursive: true, force: true });
  };
  try {
    await Promise.all([listening, running]);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return { port, close };
}
