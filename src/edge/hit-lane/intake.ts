// The hit lane's I/O: it takes each plain-HTTP connection of the edge's http.Server before
// node:http's parser does, answers the cached hits it is sure of straight from the socket (one
// precomputed head block plus a few per-request lines, then the stored body), and hands the
// connection to node:http — for good — at the first request it is not sure of, before writing a
// byte of that request's answer. IncomingMessage, ServerResponse and their stream machinery are
// most of what a small hit costs in node:http; the lane has none of them.
//
// What stays node:http's: the connection gate and caps (the lane sits inside the gate's listener,
// so each connection is counted once), every timeout of a request it does not answer (an
// incomplete head is handed off at once, so headersTimeout runs from node:http's own clock), every
// error answer (clientError), HTTPS and HTTP/2.
import type http from 'node:http';
import type { Socket } from 'node:net';
import { recordHitLine, type Exchange } from '../log-stage.js';
import { newRequestId } from '../request-id.js';
import type { ObjectStore, StoredObject } from '../store.js';
import { normalizeAddress } from '../../net/address.js';
import { HitLine } from './log-line.js';
import type { LookupMemo, MemoEntry } from './memo.js';
import { parseLaneHead, type LaneParseLimits, type LaneRequest } from './parse-head.js';

export interface HitLaneOptions {
  store: ObjectStore;
  memo: LookupMemo;
  limits: LaneParseLimits;
  /**
   * Logs and counts one lane answer through the log stage's full record, as for the pipeline's
   * answers (when the memo entry has no line template: no access log, or a real-time log).
   */
  record(x: Exchange): void;
}

/** Bodies up to this size go out in one buffer with their head (copying them costs less than a second write). */
const SMALL_BODY = 2048;

type ConnectionListener = (this: http.Server, socket: Socket) => void;

/** The viewer end of a lane connection, as its log lines need it (worked out once per connection). */
interface LaneViewer {
  socket: Socket;
  ip: string;
  /** c-port as text, `-` when the socket has no peer port. */
  portText: string;
}

/** What the lane did so far (tests and benchmarks read it). */
export interface HitLaneCounts {
  answered: number;
  handedOff: number;
}

export class HitLane {
  readonly counts: HitLaneCounts = { answered: 0, handedOff: 0 };
  /** Connections the lane holds (node:http's closeAllConnections does not know them). */
  private readonly open = new Set<LaneConnection>();
  /** The lane's one clock for its connections' timeouts (see sweep()). */
  private sweeper: NodeJS.Timeout | undefined;
  private server: http.Server | undefined;
  private nodeListeners: ConnectionListener[] = [];
  /** node:http's `Connection` / `Keep-Alive` lines and the blank line, as it writes them for this server. */
  private tail = '';
  /** `Date: <second>` as node:http writes it (utcDate) and `tail`, remade when the second changes. */
  private dateTail = '';
  private dateSecond = -1;
  private headersTimeoutMs = 0;
  private keepAliveTimeoutMs = 0;

  constructor(private readonly opts: HitLaneOptions) {}

  /**
   * Puts the lane in front of `server`'s HTTP parser: its 'connection' listeners are kept and
   * called for every connection the lane hands off. Call before the connection gate wraps the
   * server's listeners, so the gate counts each connection once.
   */
  attach(server: http.Server): void {
    this.server = server;
    this.nodeListeners = server.listeners('connection') as ConnectionListener[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => this.take(socket));
    this.headersTimeoutMs = server.headersTimeout;
    this.keepAliveTimeoutMs = server.keepAliveTimeout;
    // As node:http writes them on a kept-alive response (OutgoingMessage._storeHeader).
    const ka = this.keepAliveTimeoutMs > 0 ? `Keep-Alive: timeout=${Math.floor(this.keepAliveTimeoutMs / 1000)}\r\n` : '';
    this.tail = `Connection: keep-alive\r\n${ka}\r\n`;
    // node:http checks its headers and request timeouts on such an interval too
    // (connectionsCheckingInterval): a timeout fires at most a quarter of itself late.
    const every = Math.min(1000, Math.max(100, Math.floor(Math.min(this.headersTimeoutMs, this.keepAliveTimeoutMs || Infinity) / 4)));
    this.sweeper = setInterval(() => this.sweep(Date.now()), every);
    this.sweeper.unref();
  }

  /** Closes every connection the lane holds (the edge is closing). */
  closeAll(): void {
    clearInterval(this.sweeper);
    for (const c of this.open) c.socket.destroy();
    this.open.clear();
  }

  /**
   * Times out the connections the lane holds, as node:http's socket timeouts would: one that has
   * sent no request within headersTimeout gets node:http's 408, one idle (nothing read, nothing
   * waiting to be written) for keepAliveTimeout after its last answer is closed. One interval for all of them, rather
   * than a socket timer each, which node:net would re-arm on every read and every write of a hit.
   */
  private sweep(now: number): void {
    for (const c of this.open) {
      if (c.timedOut) continue;
      if (c.socket.writableLength > 0) {
        // An answer still being written (a slow or paused reader) is not idleness: node:http
        // applies no idle timeout while it writes a response either. The clock restarts from the
        // last sweep that saw bytes waiting.
        c.lastActive = now;
        continue;
      }
      if (c.answered === 0) {
        if (now - c.lastActive < this.headersTimeoutMs) continue;
        c.timedOut = true;
        this.requestTimeout(c.socket);
      } else if (this.keepAliveTimeoutMs > 0 && now - c.lastActive >= this.keepAliveTimeoutMs) {
        c.timedOut = true;
        c.socket.destroy();
      }
    }
  }

  get connections(): number {
    return this.open.size;
  }

  private take(socket: Socket): void {
    new LaneConnection(this, socket);
  }

  /** @internal */ held(c: LaneConnection, yes: boolean): void {
    if (yes) this.open.add(c);
    else this.open.delete(c);
  }

  /** @internal Gives the connection to node:http with `rest` as the first bytes its parser reads. */
  handOff(socket: Socket, rest: Buffer | undefined): void {
    this.counts.handedOff++;
    socket.pause();
    if (rest !== undefined && rest.length > 0) socket.unshift(rest);
    for (const l of this.nodeListeners) l.call(this.server!, socket);
    socket.resume();
  }

  /** @internal node:http's answer to a connection that sent no request within headersTimeout (408 through clientError). */
  requestTimeout(socket: Socket): void {
    const err = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    if (this.server!.listenerCount('clientError') > 0) this.server!.emit('clientError', err, socket);
    else socket.destroy();
  }

  /**
   * Answers `r` when the memo has its hit and the store still holds that very object, fresh at
   * `now` (Date.now() when its bytes were read); false (nothing written) otherwise.
   */
  answer(socket: Socket, viewer: LaneViewer, r: LaneRequest, startedAt: number, now: number): boolean {
    const e = this.opts.memo.find(r.method, r.host, r.target, r.acceptEncoding, r.cookie);
    if (e === undefined) return false;
    const obj = e.obj.deref();
    const head = obj?.head;
    // The identity check is the whole invalidation protocol: eviction, replacement and
    // invalidation all leave another object (or none) under the key. get() bumps the LRU as any hit does.
    if (obj === undefined || head === undefined || !(now < obj.freshUntil) || this.opts.store.get(e.key) !== obj) return false;
    const requestId = newRequestId();
    const age = Math.max(0, Math.floor(obj.initialAge + (now - obj.receivedAt) / 1000));
    // The per-request characters only: the head block's bytes end with `Age: `.
    const rest = `${age}\r\nX-Amz-Cf-Id: ${requestId}\r\n${head.hasDate ? this.tail : this.dateAndTail(now)}`;
    const body = r.method === 'GET' ? obj.body : undefined;
    const headBytes = head.prefix.length + rest.length;
    const scBytes = headBytes + (body === undefined ? 0 : body.length);
    const small = body !== undefined && body.length <= SMALL_BODY;
    // A small answer is one buffer (from Node's pool at this size): one write, no writev list, for
    // the small hits that are all per-request cost.
    const out = Buffer.allocUnsafe(small ? scBytes : headBytes);
    head.prefix.copy(out, 0);
    (out as unknown as LatinWritable).latin1Write(rest, head.prefix.length);
    let large = false;
    if (small) {
      body.copy(out, headBytes);
      socket.write(out);
    } else {
      // Head and body in one writev. A large body may wait in the socket's buffer: it is logged
      // when the write completes, as the pipeline logs when the response closes, and a viewer that
      // leaves first is logged as an incomplete answer (not a complete Hit).
      large = body !== undefined;
      socket.cork();
      socket.write(out);
      // Node calls back without an error for a write the socket's destruction cut short: hence destroyed.
      if (body !== undefined) {
        socket.write(body, (err) => {
          const done = !err && !socket.destroyed;
          this.log(e, obj, viewer, r, requestId, scBytes, startedAt, done, Date.now(), performance.now(), firstByteAt);
        });
      }
      socket.uncork();
    }
    const firstByteAt = performance.now();
    this.counts.answered++;
    // A small answer is complete once written: its first byte is its last.
    if (!large) this.log(e, obj, viewer, r, requestId, scBytes, startedAt, true, now, firstByteAt, firstByteAt);
    return true;
  }

  private dateAndTail(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.dateTail = `Date: ${new Date(second * 1000).toUTCString()}\r\n${this.tail}`;
    }
    return this.dateTail;
  }

  /** The log stage for one lane answer: through the memo entry's line template, or the full record. */
  private log(
    e: MemoEntry,
    obj: StoredObject,
    viewer: LaneViewer,
    r: LaneRequest,
    requestId: string,
    scBytes: number,
    startedAt: number,
    done: boolean,
    finishedAt: number,
    lastByteAt: number,
    firstByteAt: number,
  ): void {
    if (e.hitLog !== undefined) {
      const timeTaken = (lastByteAt - startedAt) / 1000;
      const ttfb = (firstByteAt - startedAt) / 1000;
      const line = new HitLine(
        e.hitLog,
        finishedAt,
        scBytes,
        viewer.ip,
        r.referer,
        r.userAgent,
        requestId,
        r.headerBytes,
        timeTaken,
        r.forwardedFor,
        viewer.portText,
        ttfb,
        done,
      );
      recordHitLine(e.rec, r.method, e.path, obj.ttl, line);
      return;
    }
    const head = obj.head!;
    this.opts.record({
      rec: e.rec,
      method: r.method,
      path: e.path,
      rawQuery: e.rawQuery,
      status: 200,
      done,
      result: 'Hit',
      failover: undefined,
      scBytes,
      csBytes: r.headerBytes,
      ttl: obj.ttl,
      requestId,
      viewerIp: viewer.ip,
      startedAt,
      response: { firstByteAt, contentType: head.contentType, contentLength: head.contentLength },
      headers: headersOf(r.rawHeaders),
      headerCount: r.rawHeaders.length / 2,
      httpVersion: '1.1',
      scheme: 'http',
      socket: viewer.socket,
    });
  }

  get limits(): LaneParseLimits {
    return this.opts.limits;
  }
}

/**
 * One connection while the lane holds it. Requests are read from each chunk in turn; a chunk's
 * unread rest waits (the socket paused) while the connection's write buffer is over its
 * high-water mark, so a client that pipelines without reading holds at most one chunk and one
 * answer in memory, as node:http pauses such a client too.
 */
class LaneConnection {
  private pending: Buffer | undefined;
  /** Requests answered so far (the lane's sweep reads it). */
  answered = 0;
  /** When the connection was last active: opened, bytes read, the write buffer drained (Date.now()). */
  lastActive = Date.now();
  /** The sweep has timed it out (it is closing). */
  timedOut = false;
  private ended = false;
  private readonly viewer: LaneViewer;

  constructor(
    private readonly lane: HitLane,
    readonly socket: Socket,
  ) {
    const port = socket.remotePort;
    this.viewer = { socket, ip: normalizeAddress(socket.remoteAddress), portText: port === undefined ? '-' : String(port) };
    lane.held(this, true);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  private readonly onData = (chunk: Buffer): void => {
    const now = Date.now();
    this.lastActive = now;
    this.run(chunk, 0, now);
  };

  private readonly onDrain = (): void => {
    const now = Date.now();
    this.lastActive = now;
    const rest = this.pending;
    if (rest === undefined) return;
    this.pending = undefined;
    if (this.run(rest, 0, now)) this.socket.resume();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.pending === undefined) this.socket.end();
  };

  private readonly onError = (): void => {
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.pending = undefined;
    this.lane.held(this, false);
  };

  /**
   * Answers the requests of `buf` from `offset`, read at `now` (one clock reading for the chunk's
   * requests: their freshness, Age and log time); false when it stopped (paused or handed off).
   */
  private run(buf: Buffer, offset: number, now: number): boolean {
    const { socket, lane } = this;
    // Pipelined answers go out in one write; a lone request (the usual keep-alive case) is written
    // straight through, without the stream buffering a cork costs.
    let corked = false;
    try {
      while (offset < buf.length) {
        const startedAt = performance.now();
        const r = parseLaneHead(buf, offset, lane.limits);
        if (!corked && r.kind === 'request' && r.end < buf.length) {
          socket.cork();
          corked = true;
        }
        if (r.kind === 'handoff' || !lane.answer(socket, this.viewer, r, startedAt, now)) {
          this.release();
          lane.handOff(socket, offset === 0 ? buf : buf.subarray(offset));
          return false;
        }
        offset = r.end;
        this.answered++;
        if (socket.writableNeedDrain && offset < buf.length) {
          this.pending = buf.subarray(offset);
          socket.pause();
          return false;
        }
      }
    } finally {
      if (corked) socket.uncork();
    }
    if (this.ended) socket.end();
    return true;
  }

  /** Leaves the socket as node:http expects a fresh one: none of the lane's listeners or timers. */
  private release(): void {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('error', this.onError);
    s.off('close', this.onClose);
    s.off('drain', this.onDrain);
    this.lane.held(this, false);
  }
}

/** The viewer's fields as node:http's req.headers would hold them (the lane admits each field once). */
function headersOf(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return out;
}

/** Buffer's Latin-1 writer without the encoding dispatch of write() (present on every Buffer). */
interface LatinWritable {
  latin1Write(text: string, offset: number): number;
}
