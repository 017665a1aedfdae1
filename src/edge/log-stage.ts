// The last stage (log): when a response closes, the distribution's counters are updated and the
// access-log record is queued (LOG-04: `000` when the viewer left before the status was sent).
// Nothing here formats or writes on the request's path: the writer does that on its flush.
import type { Socket } from 'node:net';
import { detailedResultType, loggedResultType, type AccessLogRecord, type ResponseFacts, type ResultType } from './access-log.js';
import type { RealtimeLogWriter } from './realtime-log.js';
import { viewerSchemeOf, type ViewerScheme } from './viewer-protocol.js';
import type { DistributionRecord, RequestContext } from './context.js';
import { headerText } from '../http/headers.js';
import type { HitLine } from './hit-lane/log-line.js';

/**
 * One finished exchange as the log stage needs it, from whichever path answered it: the staged
 * pipeline (logAndCount, from the request context and node:http's request and response) or the
 * hit lane (hit-lane/intake.ts), so both log and count the same fields the same way.
 */
export interface Exchange {
  rec: DistributionRecord;
  method: string;
  /** The canonical path (or the raw one when recv refused it). */
  path: string;
  rawQuery: string;
  /** 0 when no status was sent. */
  status: number;
  /** The whole response was handed to the connection. */
  done: boolean;
  result: ResultType;
  failover: boolean | undefined;
  scBytes: number;
  csBytes: number;
  ttl: number | undefined;
  requestId: string;
  viewerIp: string;
  startedAt: number;
  /** The response head's facts (deliver.ts or the lane's head block). */
  response: ResponseFacts | undefined;
  /** The viewer's fields, as node:http's req.headers holds them. */
  headers: Record<string, string | string[] | undefined>;
  headerCount: number;
  httpVersion: string;
  scheme: ViewerScheme;
  socket: Socket;
}

export function logAndCount(v: RequestContext, edgeLocation: string, includeCookies: boolean, realtime?: RealtimeLogWriter): void {
  const rec = v.rec;
  if (!rec) return;
  const { res, req } = v;
  recordExchange(
    {
      rec,
      method: v.method,
      path: v.path,
      rawQuery: v.rawQuery,
      status: res.headersSent ? res.statusCode : 0,
      done: res.writableFinished,
      result: v.result,
      failover: v.failover,
      scBytes: v.socket.bytesWritten - v.bytesWrittenAtStart,
      csBytes: v.headerBytes + Math.max(0, v.socket.bytesRead - v.bytesReadAtStart),
      ttl: v.ttl,
      requestId: v.requestId,
      viewerIp: v.viewerIp,
      startedAt: v.startedAt,
      response: v.response,
      headers: req.headers,
      headerCount: req.rawHeaders.length / 2,
      httpVersion: req.httpVersion,
      scheme: viewerSchemeOf(req),
      socket: v.socket,
    },
    edgeLocation,
    includeCookies,
    realtime,
  );
}

/** Counts the exchange in its distribution's stats and queues its access-log record and real-time line. */
export function recordExchange(x: Exchange, edgeLocation: string, includeCookies: boolean, realtime?: RealtimeLogWriter): void {
  const { rec, status, done, scBytes, csBytes } = x;
  const sent = loggedResultType(x.result, status);
  const result: ResultType = done ? sent : 'Error';
  // cs-uri-stem and the stats see the canonical path recv made (the raw one only if recv refused it).
  rec.stats.record({ method: x.method, status, result, scBytes, csBytes, url: x.path, ttl: x.ttl });
  const writer = rec.accessLog;
  if (!writer && !realtime) return;
  const h = x.headers;
  const tls = tlsOf(x.socket);
  const record: AccessLogRecord = {
    finishedAt: Date.now(),
    edgeLocation,
    scBytes,
    clientIp: x.viewerIp,
    method: x.method,
    distributionDomain: rec.dist.domainName,
    uriStem: x.path,
    status,
    referer: headerText(h.referer),
    userAgent: headerText(h['user-agent']),
    query: x.rawQuery,
    cookie: includeCookies ? headerText(h.cookie) : undefined,
    resultType: result,
    requestId: x.requestId,
    hostHeader: headerText(h.host),
    protocol: x.scheme,
    csBytes,
    timeTaken: (performance.now() - x.startedAt) / 1000,
    // The standard log's later fields.
    forwardedFor: headerText(h['x-forwarded-for']),
    // Named fields, not a spread: every record keeps one shape, so formatting them stays monomorphic.
    sslProtocol: tls?.protocol,
    sslCipher: tls?.cipher,
    responseResultType: sent,
    protocolVersion: PROTOCOL_VERSIONS[x.httpVersion] ?? `HTTP/${x.httpVersion}`,
    clientPort: x.socket.remotePort,
    timeToFirstByte: x.response?.firstByteAt === undefined ? undefined : (x.response.firstByteAt - x.startedAt) / 1000,
    detailedResultType: detailedResultType(result, !done, x.failover),
    contentType: x.response?.contentType,
    contentLength: x.response?.contentLength,
    rangeStart: status === 206 ? x.response?.rangeStart : undefined,
    rangeEnd: status === 206 ? x.response?.rangeEnd : undefined,
  };
  writer?.add(record);
  realtime?.add({ record, distributionId: rec.dist.id, rawQuery: x.rawQuery, headers: h, headerCount: x.headerCount });
}

/**
 * The log stage of a hit the lane answered with a line template (no real-time log): the same
 * counts as recordExchange makes for it, and its line queued without the full record.
 */
export function recordHitLine(rec: DistributionRecord, method: string, path: string, ttl: number | undefined, line: HitLine): void {
  const { scBytes, csBytes } = line;
  rec.stats.record({ method, status: 200, result: line.done ? 'Hit' : 'Error', scBytes, csBytes, url: path, ttl });
  rec.accessLog?.add(line);
}

/** cs-protocol-version for the versions Node parses (one string each, not one per request). */
const PROTOCOL_VERSIONS: Readonly<Record<string, string>> = { '1.1': 'HTTP/1.1', '2.0': 'HTTP/2.0', '1.0': 'HTTP/1.0' };

/** ssl-protocol / ssl-cipher of a TLS viewer connection (undefined on plain HTTP). */
function tlsOf(socket: Socket): { protocol?: string; cipher?: string } | undefined {
  const tls = socket as Socket & { encrypted?: boolean; getProtocol?: () => string | null; getCipher?: () => { name: string } };
  if (!tls.encrypted || !tls.getProtocol || !tls.getCipher) return undefined;
  return { protocol: tls.getProtocol() ?? undefined, cipher: tls.getCipher()?.name };
}
