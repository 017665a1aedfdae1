// The last stage (log): when a response closes, the distribution's counters are updated and the
// access-log record is queued (LOG-04: `000` when the viewer left before the status was sent).
// Nothing here formats or writes on the request's path: the writer does that on its flush.
import type { ResultType } from './access-log.js';
import type { RequestContext } from './context.js';
import { headerText } from '../http/headers.js';

export function logAndCount(v: RequestContext, edgeLocation: string, includeCookies: boolean): void {
  const rec = v.rec;
  if (!rec) return;
  const { res, req } = v;
  const status = res.headersSent ? res.statusCode : 0;
  const result: ResultType = res.writableFinished ? v.result : 'Error';
  const scBytes = v.socket.bytesWritten - v.bytesWrittenAtStart;
  const csBytes = v.headerBytes + Math.max(0, v.socket.bytesRead - v.bytesReadAtStart);
  // cs-uri-stem and the stats see the canonical path recv made (the raw one only if recv refused it).
  rec.stats.record({ method: v.method, status, result, scBytes, csBytes, url: v.path, ttl: v.ttl });
  const writer = rec.accessLog;
  if (!writer) return;
  const h = req.headers;
  writer.add({
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
    protocol: 'http',
    csBytes,
    timeTaken: (performance.now() - v.startedAt) / 1000,
  });
}
