// The last stage (log): when a response closes, the distribution's counters are updated and the
// access-log record is queued (LOG-04: `000` when the viewer left before the status was sent).
// Nothing here formats or writes on the request's path: the writer does that on its flush.
import type { Socket } from 'node:net';
import { detailedResultType, loggedResultType, type AccessLogRecord, type ResultType } from './access-log.js';
import type { RealtimeLogWriter } from './realtime-log.js';
import { viewerSchemeOf } from './viewer-protocol.js';
import type { RequestContext } from './context.js';
import { headerText } from '../http/headers.js';

export function logAndCount(v: RequestContext, edgeLocation: string, includeCookies: boolean, realtime?: RealtimeLogWriter): void {
  const rec = v.rec;
  if (!rec) return;
  const { res, req } = v;
  const status = res.headersSent ? res.statusCode : 0;
  const done = res.writableFinished;
  const sent = loggedResultType(v.result, status);
  const result: ResultType = done ? sent : 'Error';
  const scBytes = v.socket.bytesWritten - v.bytesWrittenAtStart;
  const csBytes = v.headerBytes + Math.max(0, v.socket.bytesRead - v.bytesReadAtStart);
  // cs-uri-stem and the stats see the canonical path recv made (the raw one only if recv refused it).
  rec.stats.record({ method: v.method, status, result, scBytes, csBytes, url: v.path, ttl: v.ttl });
  const writer = rec.accessLog;
  if (!writer && !realtime) return;
  const h = req.headers;
  const tls = tlsOf(v.socket);
  const record: AccessLogRecord = {
    finishedAt: Date.now(),
    edgeLocation,
    scBytes,
    clientIp: v.viewerIp,
    method: v.method,
    distributionDomain: rec.dist.domainName,
    uriStem: v.path,
    status,
    referer: headerText(h.referer),
    userAgent: headerText(h['user-agent']),
    query: v.rawQuery,
    cookie: includeCookies ? headerText(h.cookie) : undefined,
    resultType: result,
    requestId: v.requestId,
    hostHeader: headerText(h.host),
    protocol: viewerSchemeOf(req),
    csBytes,
    timeTaken: (performance.now() - v.startedAt) / 1000,
    // The standard log's later fields.
    forwardedFor: headerText(h['x-forwarded-for']),
    // Named fields, not a spread: every record keeps one shape, so formatting them stays monomorphic.
    sslProtocol: tls?.protocol,
    sslCipher: tls?.cipher,
    responseResultType: sent,
    protocolVersion: PROTOCOL_VERSIONS[req.httpVersion] ?? `HTTP/${req.httpVersion}`,
    clientPort: v.socket.remotePort,
    timeToFirstByte: v.response?.firstByteAt === undefined ? undefined : (v.response.firstByteAt - v.startedAt) / 1000,
    detailedResultType: detailedResultType(result, !done),
    contentType: v.response?.contentType,
    contentLength: v.response?.contentLength,
    rangeStart: status === 206 ? v.response?.rangeStart : undefined,
    rangeEnd: status === 206 ? v.response?.rangeEnd : undefined,
  };
  writer?.add(record);
  realtime?.add({ record, distributionId: rec.dist.id, rawQuery: v.rawQuery, headers: h, headerCount: req.rawHeaders.length / 2 });
}

/** cs-protocol-version for the versions Node parses (one string each, not one per request). */
const PROTOCOL_VERSIONS: Readonly<Record<string, string>> = { '1.1': 'HTTP/1.1', '2.0': 'HTTP/2.0', '1.0': 'HTTP/1.0' };

/** ssl-protocol / ssl-cipher of a TLS viewer connection (undefined on plain HTTP). */
function tlsOf(socket: Socket): { protocol?: string; cipher?: string } | undefined {
  const tls = socket as Socket & { encrypted?: boolean; getProtocol?: () => string | null; getCipher?: () => { name: string } };
  if (!tls.encrypted || !tls.getProtocol || !tls.getCipher) return undefined;
  return { protocol: tls.getProtocol() ?? undefined, cipher: tls.getCipher()?.name };
}
