// The per-request context every stage reads and writes, and the one record the edge keeps per
// distribution (its configuration, counters and access log together; invalidations live in control/).
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { AccessLogWriter, ResponseFacts, ResultType } from './access-log.js';
import type { RuntimeDistribution } from './distribution.js';
import type { CanonicalRequest } from './recv.js';
import type { DistributionStats } from './stats.js';
import type { ResponseHeadersPolicy } from './policies/managed.js';

/** One viewer request on its way through the stages (recv → viewer checks → lookup → fetch → deliver → log). */
export interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  socket: Socket;
  startedAt: number;
  bytesWrittenAtStart: number;
  bytesReadAtStart: number;
  headerBytes: number;
  requestId: string;
  viewerIp: string;
  method: string;
  /** The request path: as sent until recv, then canonicalPath() of it (what stats, logs and the control API read). */
  path: string;
  /** The query string as sent (QS-03: logged in full). */
  rawQuery: string;
  /** Set by recv (stage 1); every later stage reads the request from it. */
  creq?: CanonicalRequest;
  /** The distribution the Host named (the first one until recv has run). */
  rec?: DistributionRecord;
  result: ResultType;
  ttl?: number;
  /** What the response's head said and when it was written (for the access log). */
  response?: ResponseFacts;
  /** The behaviour's response headers policy, applied by deliver to every head it writes. */
  headersPolicy?: ResponseHeadersPolicy;
  /** An origin group's secondary answered this request (origin failover). */
  failover?: boolean;
}

/** Everything the edge keeps for one distribution. */
export interface DistributionRecord {
  dist: RuntimeDistribution;
  stats: DistributionStats;
  /** Undefined when access logs are off. */
  accessLog?: AccessLogWriter;
}
