// The only file that touches node-media-server 4.4.3. Every quirk of FIELD-NOTES §3 and §7 is
// handled here so the rest of ingest sees a small, exact API:
//   - two-level app `cfx/st` (§3): the protocol's connect is rewritten to a one-segment alias;
//   - FMS play names `mp4:x`, `x.flv` (SPEC RTMP-21/22): rewritten before NMS validates them;
//   - N1 and the later findings of §7: every RTMP session has a guard (./session-rules.ts) that
//     decides connect, publish and play before NMS sees them, drops media from any session that is
//     not its stream's accepted publisher, and destroys (never half-closes) a session it refuses;
//   - the chunk layer is read by ./rtmp-chunk-reader.ts under limits instead of NMS's reader, which
//     allocates declared lengths up front; NMS's unused 1 MiB FLV parser per session is not built;
//   - caps on connections in total and per address (src/net/connection-gate.ts), and a bounded
//     wait for a play of a stream that is not live;
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
import querystring from 'node:querystring';
import type NodeMediaServerClass from 'node-media-server';
import type { NmsAvPacket, NmsSession } from 'node-media-server';
import type { Logger } from '../log.js';
import { normalizeAddress } from '../net/address.js';
import { ConnectionGate, gateServer, type ConnectionLimits } from '../net/connection-gate.js';
import type { AudioInfo, VideoInfo } from '../streams/registry.js';
import { isValidStreamName } from '../streams/stream-key.js';
import { ChunkReader, type ChunkLimits } from './rtmp-chunk-reader.js';
import { messageAdmission, sessionStep, streamNameOf, type SessionEvent, type SessionState } from './session-rules.js';
import { livePlayName, NMS_CLOUDFRONT_ALIAS, nmsAppFor, type StreamQuery } from './stream-name.js';
import type { Result } from '../result.js';

const require = createRequire(import.meta.url);

const NMS_FLV = 'node-media-server/src/protocol/flv.js';
const NMS_RTMP = 'node-media-server/src/protocol/rtmp.js';
const NMS_CONTEXT = 'node-media-server/src/core/context.js';

/** The fields NMS 4.4.3's Flv constructor sets; checked against the real class so an upgrade fails loudly. */
const FLV_FIELDS = {
  parserBuffer: () => Buffer.alloc(13),
  parserState: () => 0,
  parserHeaderBytes: () => 0,
  parserTagBytes: () => 0,
  parserTagType: () => 0,
  parserTagSize: () => 0,
  parserTagTime: () => 0,
  // NMS starts at 1 MiB; its parserTagAlloc grows the buffer to the first tag's size.
  parserTagCapacity: () => 0,
  parserTagData: () => Buffer.alloc(0),
  parserPreviousBytes: () => 0,
  onPacketCallback: () => () => {},
} as const;

/**
 * NMS's RTMP protocol object builds an FLV parser with a 1 MiB buffer per connection, before any
 * handshake, and never uses it for RTMP (FIELD-NOTES §7). Before NMS is loaded, its FLV class is
 * replaced in the module cache by one that starts with an empty buffer; statics are untouched.
 */
function loadNodeMediaServer(): typeof NodeMediaServerClass {
  const flvPath = require.resolve(NMS_FLV);
  if (!require.cache[require.resolve(NMS_RTMP)]) {
    const Flv = require(flvPath) as new () => object;
    const real = Object.keys(Reflect.construct(Flv, [])).sort().join(',');
    const ours = Object.keys(FLV_FIELDS).sort().join(',');
    if (real !== ours) throw new Error(`node-media-server internals changed: Flv fields are ${real}, expected ${ours}`);
    const Small = new Proxy(Flv, {
      construct(target) {
        const o = Object.create(target.prototype as object) as Record<string, unknown>;
        for (const [k, make] of Object.entries(FLV_FIELDS)) o[k] = make();
        return o;
      },
    });
    require.cache[flvPath]!.exports = Small;
  }
  return (
    (require('node-media-server') as { default?: typeof NodeMediaServerClass }).default ??
    (require('node-media-server') as typeof NodeMediaServerClass)
  );
}

const NodeMediaServer = loadNodeMediaServer();

export interface PublishRequest {
  sessionId: string;
  /** The app the client connected to (`cfx/st`, not NMS's alias). */
  app: string;
  name: string;
  query: StreamQuery;
  /** Peer address, canonical (src/net/address.ts). */
  ip: string;
}

/** Accepted, or refused with the reason the adapter logs. */
export type PublishVerdict = Result;

export interface MediaInfo {
  video?: VideoInfo;
  audio?: AudioInfo;
}

/** What ingest decides and learns; every callback runs synchronously on the session's input. */
export interface RtmpIngestHooks {
  /** Called once per publish that passed the session rules, before node-media-server sees it. */
  decidePublish(req: PublishRequest): PublishVerdict;
  /** Codecs of an accepted publisher, when its sequence headers arrive. */
  mediaInfo(sessionId: string, info: MediaInfo): void;
  /** Measured ingest bitrate of an accepted publisher, every few seconds. */
  bitrate(sessionId: string, kbps: number): void;
  /** A session whose publish was accepted ended (its socket closed, or it was closed by us); once per session. */
  publisherClosed(sessionId: string, why: 'disconnected' | 'idle' | 'shutdown' | 'refused'): void;
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
  /** A publisher silent this long, or a connection that neither publishes nor plays this long, is closed. */
  idleTimeoutMs: number;
  /** A play of a stream that is not live is closed after this long if it still is not (0 = no wait). */
  playWaitMs: number;
  chunkLimits: ChunkLimits;
  connectionLimits: ConnectionLimits;
  log: Logger;
  hooks: RtmpIngestHooks;
}

export interface RtmpServer {
  port: number;
  /** Open RTMP connections (counted by the connection gate). */
  connections(): number;
  close(): Promise<void>;
}

/** What the protocol patches ask of a session's guard. */
interface ProtocolGuard {
  readonly dead: boolean;
  readonly reader: ChunkReader;
  connect(app: unknown): boolean;
  publish(rawName: unknown): boolean;
  published(): void;
  play(rawName: unknown): string | undefined;
  playing(): void;
  media(): boolean;
  violation(reason: string): void;
}

const GUARD = Symbol.for('streamfront.nms.guard');

interface RtmpPacketLike {
  header: { fmt: number; cid: number; timestamp: number; length: number; type: number; stream_id: number };
  clock: number;
  payload: Buffer;
  capacity: number;
  bytes: number;
}

interface RtmpInstance {
  [GUARD]?: ProtocolGuard;
  streamApp?: unknown;
  parserPacket: RtmpPacketLike;
  packetHandler(): void;
}

interface RtmpProtocolProto {
  parserData(this: RtmpInstance, buffer: Buffer): string | null;
  chunkRead(this: RtmpInstance, data: Buffer, p: number, bytes: number): string | null;
  dataHandler(this: RtmpInstance): void;
  packetHandler(this: RtmpInstance): void;
  onConnect(this: RtmpInstance, msg: { cmdObj?: { app?: unknown } }): unknown;
  onPlay(this: RtmpInstance, msg: { streamName?: unknown }): unknown;
  onPublish(this: RtmpInstance, msg: { streamName?: unknown }): unknown;
}

const PATCHED = Symbol.for('streamfront.nms.patched');

/**
 * Puts every session's guard between the RTMP protocol layer and NMS's session: the chunk reader,
 * connect/publish/play decisions, the media check, and the rewrites `cfx/st` → its alias
 * (FIELD-NOTES §3) and `mp4:x`/`x.flv` → `x` (SPEC RTMP-21/22). Throws when the NMS internals it
 * relies on are gone (an upgrade must fail loudly, not silently).
 */
export function installNmsProtocolPatches(): void {
  const Rtmp = require(NMS_RTMP) as { prototype: RtmpProtocolProto & { [PATCHED]?: boolean } };
  const proto = Rtmp?.prototype;
  const needed = ['parserData', 'chunkRead', 'dataHandler', 'packetHandler', 'onConnect', 'onPlay', 'onPublish'] as const;
  if (!proto || needed.some((m) => typeof proto[m] !== 'function')) {
    throw new Error(
      `node-media-server internals changed: src/protocol/rtmp.js ${needed.join('/')} not all found; the session guard cannot be installed`,
    );
  }
  if (proto[PATCHED]) return;
  const { parserData, dataHandler, onConnect, onPlay, onPublish } = proto;
  // N7: NMS parses client bytes without a try/catch, so one malformed command (a connect whose
  // tcUrl is not a URL, a truncated AMF value) throws out of the socket's 'data' handler and ends
  // the whole process. A parse error ends that one session instead.
  proto.parserData = function (buffer) {
    const guard = this[GUARD];
    if (guard?.dead) return null;
    try {
      return parserData.call(this, buffer);
    } catch (err) {
      const reason = `malformed RTMP input: ${(err as Error).message}`;
      if (!guard) return reason;
      guard.violation(reason);
      return null;
    }
  };
  proto.chunkRead = function (data, p, bytes) {
    const guard = this[GUARD];
    if (!guard) return 'RTMP session without a guard';
    if (guard.dead) return null;
    const pushed = guard.reader.push(data.subarray(p, p + bytes), (m) => {
      if (guard.dead) return;
      this.parserPacket = {
        header: { fmt: m.fmt, cid: m.csid, timestamp: m.timestamp, length: m.payload.length, type: m.type, stream_id: m.streamId },
        clock: m.clock,
        payload: m.payload,
        capacity: m.payload.length,
        bytes: 0,
      };
      // NMS drops a message whose clock ran past 32 bits; so do we.
      if (m.clock > 0xffffffff) return;
      this.packetHandler();
    });
    if (!pushed.ok) guard.violation(pushed.reason);
    return null;
  };
  proto.dataHandler = function () {
    if (!this[GUARD]?.media()) return;
    return dataHandler.call(this);
  };
  proto.onConnect = function (msg) {
    const guard = this[GUARD];
    const app = msg?.cmdObj?.app;
    if (!guard?.connect(app)) return;
    if (typeof app === 'string' && msg.cmdObj) {
      // A null alias (the literal alias) becomes a name NMS's own check refuses; the guard refuses it first anyway.
      msg.cmdObj.app = nmsAppFor(app) ?? '!reserved';
    }
    return onConnect.call(this, msg);
  };
  proto.onPublish = function (msg) {
    const guard = this[GUARD];
    if (!guard?.publish(msg?.streamName)) return;
    const result = onPublish.call(this, msg);
    guard.published();
    return result;
  };
  proto.onPlay = function (msg) {
    const guard = this[GUARD];
    const requested = guard?.play(msg?.streamName);
    if (requested === undefined) return;
    msg.streamName = requested;
    if (this.streamApp === NMS_CLOUDFRONT_ALIAS && resolveCloudFrontPlay) {
      const app = resolveCloudFrontPlay(requested.split('?')[0]!);
      const nmsApp = app === undefined ? null : nmsAppFor(app);
      if (nmsApp) this.streamApp = nmsApp;
    }
    const result = onPlay.call(this, msg);
    guard!.playing();
    return result;
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
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `RTMP port ${host}:${port} is already in use`
            : `RTMP port ${host}:${port} unavailable: ${err.message}`,
        ),
      );
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
  return (
    (
      {
        10: 'aac',
        2: 'mp3',
        14: 'mp3',
        11: 'speex',
        4: 'nellymoser',
        5: 'nellymoser',
        6: 'nellymoser',
        7: 'pcm_alaw',
        8: 'pcm_mulaw',
        0: 'pcm',
        3: 'pcm',
        13: 'opus',
      } as Record<number, string>
    )[id] ?? `flv-audio-${id}`
  );
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

/** Logs a repeated event at most once per interval; the ones it held back are counted in a line at the interval's end. */
function throttledWarn(log: Logger, everyMs: number): (fields: Record<string, unknown>, msg: string) => void {
  let last = 0;
  let skipped = 0;
  let flush: NodeJS.Timeout | undefined;
  return (fields, msg) => {
    const now = Date.now();
    if (now - last >= everyMs) {
      log.warn(fields, msg);
      last = now;
      return;
    }
    skipped++;
    flush ??= setTimeout(
      () => {
        flush = undefined;
        log.warn({ ...fields, alsoSince: skipped }, `${msg} (${skipped} more in the last ${everyMs / 1000} s)`);
        skipped = 0;
        last = Date.now();
      },
      everyMs - (now - last),
    );
    flush.unref();
  };
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
  const context = require(NMS_CONTEXT) as { sessions?: Map<string, NmsSession> };
  const sessions = context.sessions;
  if (!(sessions instanceof Map)) throw new Error('node-media-server internals changed: Context.sessions is not a Map');

  // Connection caps come first: a refused socket never reaches NMS, so it costs nothing but the accept.
  const gate = new ConnectionGate(opts.connectionLimits);
  const refusedLog = throttledWarn(log, 5000);
  gateServer(tcpServer, gate, (address, reason) => refusedLog({ peer: address, reason }, 'RTMP connection refused'));

  const accepted = new Map<string, Tracked>();
  /** A player queue this deep means it does not read (N4: NMS ignores back-pressure). */
  const maxPlayerBacklog = 4 * opts.chunkLimits.maxMessageBytes;

  /** Every RTMP session NMS creates gets its guard here, before its first byte is parsed. */
  function adopt(session: NmsSession): void {
    const socket = session.socket!;
    const rtmp = session.rtmp as unknown as RtmpInstance;
    const peer = normalizeAddress(socket.remoteAddress);
    let state: SessionState = { phase: 'handshake' };
    let dead = false;
    let publishAccepted = false;
    let tracked: Tracked | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let playWait: NodeJS.Timeout | undefined;
    const ctx = (): Record<string, unknown> => ({ sessionId: session.id, peer, phase: state.phase });
    const drop = (): void => {
      dead = true;
      socket.destroy();
    };
    const step = (event: SessionEvent): ReturnType<typeof sessionStep> => {
      const v = sessionStep(state, event);
      if (v.ok) state = v.state;
      return v;
    };
    const refusePublish = (reason: string, name?: string): false => {
      log.warn({ ...ctx(), app: state.app?.ok ? state.app.value : undefined, name, reason }, 'publish refused');
      drop();
      return false;
    };
    const engaged = (): void => {
      if (deadline) clearTimeout(deadline);
      deadline = undefined;
    };

    const guard: ProtocolGuard = {
      get dead() {
        return dead;
      },
      // Media from a session that is not the accepted publisher is refused at its header, before
      // any of its payload is kept; so are oversized commands.
      reader: new ChunkReader(opts.chunkLimits, ({ type, length }) => messageAdmission(state.phase, type, length)),
      violation(reason) {
        if (dead) return;
        log.warn({ ...ctx(), reason }, 'RTMP session dropped');
        drop();
      },
      connect(app) {
        const v = step({ kind: 'connect', app });
        if (!v.ok) guard.violation(v.reason);
        return v.ok;
      },
      publish(rawName) {
        const parsed = streamNameOf(rawName);
        const name = parsed.ok ? parsed.value.name : undefined;
        const v = step({ kind: 'publish' });
        if (!v.ok) return refusePublish(v.reason, name);
        if (!parsed.ok) return refusePublish(parsed.reason);
        const verdict = hooks.decidePublish({
          sessionId: session.id,
          app: state.app?.ok ? state.app.value : '',
          name: parsed.value.name,
          query: querystring.parse(parsed.value.query) as StreamQuery,
          ip: peer,
        });
        if (!verdict.ok) return refusePublish(verdict.reason, name);
        publishAccepted = true;
        engaged();
        return true;
      },
      published() {
        if (dead) return;
        if (!session.isPublisher) {
          // Our decision said yes but NMS's own check said no (its slot still held): same outcome as ours.
          refusePublish(`node-media-server refused it: ${session.streamPath || 'invalid path'} still has a publisher`, session.streamName);
          return;
        }
        // N3: our state follows the socket; NMS's resume grace would otherwise hold the name 30 s.
        if (session.broadcast) session.broadcast.publishGraceMs = 0;
        const now = Date.now();
        const t: Tracked = { session, lastBytes: session.inBytes, lastChange: now, rateBytes: session.inBytes, rateAt: now };
        tracked = t;
        accepted.set(session.id, t);
        const forward = session.rtmp!.onPacketCallback;
        session.rtmp!.onPacketCallback = (packet: NmsAvPacket) => {
          forward(packet);
          // Sequence headers (flags 0/2) for AAC/H.264/HEVC; other codecs (MP3, Sorenson…) have none,
          // so the first packet of a track names its codec too.
          if (packet.codec_type === 8 ? packet.flags === 0 || !t.audio : packet.codec_type === 9 && (packet.flags === 2 || !t.video)) {
            learnMedia(t, packet);
          }
        };
      },
      play(rawName) {
        const v = step({ kind: 'play' });
        const parsed = streamNameOf(rawName);
        const refuse = (reason: string): undefined => {
          log.info({ ...ctx(), name: parsed.ok ? parsed.value.name : undefined, reason }, 'play refused');
          drop();
          return undefined;
        };
        if (!v.ok) return refuse(v.reason);
        if (!parsed.ok) return refuse(parsed.reason);
        const requested = livePlayName(rawName as string);
        const name = requested.split('?')[0]!;
        if (!isValidStreamName(name))
          return refuse(`invalid stream name ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)}`);
        engaged();
        return requested;
      },
      playing() {
        if (dead) return;
        // N4: NMS writes to subscribers without back-pressure; a player that stops reading is dropped
        // before its queue grows without bound.
        const send = session.sendBuffer;
        session.sendBuffer = (buffer: Buffer) => {
          if (socket.writableLength > maxPlayerBacklog) return guard.violation(`player not reading: ${socket.writableLength} bytes queued`);
          send(buffer);
        };
        if (opts.playWaitMs > 0 && !session.broadcast?.publisher) {
          playWait = setTimeout(() => {
            if (!dead && !session.broadcast?.publisher) {
              log.info({ ...ctx(), stream: session.streamPath, waitedMs: opts.playWaitMs }, 'play of a stream that is not live: closing');
              drop();
            }
          }, opts.playWaitMs);
          playWait.unref();
        }
      },
      media() {
        const v = step({ kind: 'media' });
        if (!v.ok) guard.violation(v.reason);
        else if (!publishAccepted || !tracked) {
          guard.violation('media before the publish was accepted');
          return false;
        }
        return v.ok;
      },
    };
    rtmp[GUARD] = guard;

    // N4 before publish: NMS has no handshake timeout, so a connection that never publishes or plays
    // would hold a socket for ever. Each one gets `idleTimeoutMs` to get there.
    if (opts.idleTimeoutMs > 0) {
      deadline = setTimeout(() => {
        if (dead || state.phase === 'publishing' || state.phase === 'playing') return;
        log.debug({ ...ctx() }, 'RTMP connection neither published nor played: closing');
        drop();
      }, opts.idleTimeoutMs);
      deadline.unref();
    }

    socket.once('close', () => {
      dead = true;
      if (deadline) clearTimeout(deadline);
      if (playWait) clearTimeout(playWait);
      if (!publishAccepted) return;
      accepted.delete(session.id);
      // N3: NMS never tells subscribers; end them so the packager's ffmpeg sees end-of-stream and
      // writes its trailers, and destroy the ones that do not hang up.
      const broadcast = session.broadcast;
      if (tracked && broadcast && (broadcast.publisher === session || broadcast.publisher === null)) {
        for (const sub of broadcast.subscribers.values()) {
          sub.socket?.end();
          setTimeout(() => sub.socket?.destroy(), 5000).unref();
        }
      }
      hooks.publisherClosed(session.id, tracked ? (tracked.closedWhy ?? 'disconnected') : 'refused');
    });
  }

  const setSession = sessions.set;
  sessions.set = function (this: Map<string, NmsSession>, id: string, session: NmsSession) {
    if (session?.protocol === 'rtmp' && session.socket && session.rtmp) adopt(session);
    return setSession.call(this, id, session);
  };

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
    internals.rtmpServer!.handleListenError = () => (err: Error) =>
      reject(new Error(`RTMP listen on ${host}:${port} failed: ${err.message}`));
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
    delete (sessions as { set?: unknown }).set; // back to Map.prototype.set
  };
  try {
    await Promise.all([listening, running]);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return { port, connections: () => gate.open, close };
}
