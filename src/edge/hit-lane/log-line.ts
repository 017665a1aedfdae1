// The access-log line of a hit the lane answered, formatted from two parts: a template made once
// per memo entry (what is the same for every hit of one stored object under one lane key: uri-stem,
// query, Host, Cookie, content type and length, the edge location and distribution domain, the
// result types) and the few per-hit facts (time, sizes, viewer address and port, request id,
// User-Agent / Referer / X-Forwarded-For, timings). The text equals formatLogLine's for the same
// record, field by field (test/edge/hit-lane/log-line.test.ts). Pure.
import { logDateTime, logField, logSeconds, type PendingLogLine } from '../access-log.js';

/** What every hit of one memo entry logs alike. */
export interface HitLineConstants {
  edgeLocation: string;
  method: string;
  distributionDomain: string;
  uriStem: string;
  /** The query as sent, without `?` ('' when none). */
  query: string;
  /** The Cookie text, when the distribution logs cookies (it is part of the memo's key). */
  cookie: string | undefined;
  hostHeader: string;
  contentType: string | undefined;
  contentLength: number | undefined;
}

/**
 * The constant runs of a lane hit's line, between the per-hit fields. A lane answer is always a
 * 200 over plain HTTP/1.1, so status, protocol, version and the TLS fields are constant too;
 * an answer the viewer cut short (a large body, hit-lane/intake.ts) logs `Error` /
 * `ClientCommError` where a complete one logs `Hit`.
 */
export interface HitLineTemplate {
  /** TAB x-edge-location TAB */
  afterTime: string;
  /** TAB cs-method … sc-status TAB */
  afterIp: string;
  /** TAB cs-uri-query TAB cs(Cookie) TAB x-edge-result-type TAB, complete / cut short */
  beforeIdDone: string;
  beforeIdCut: string;
  /** TAB x-host-header TAB cs-protocol TAB */
  afterId: string;
  /** TAB ssl-protocol … fle-encrypted-fields TAB */
  beforePort: string;
  /** TAB x-edge-detailed-result-type … sc-range-end, complete / cut short */
  tailDone: string;
  tailCut: string;
  /** Characters held (the memo counts them against its bound). */
  chars: number;
}

export function hitLineTemplate(c: HitLineConstants): HitLineTemplate {
  const afterTime = `\t${c.edgeLocation}\t`;
  const afterIp = `\t${c.method}\t${c.distributionDomain}\t${logField(c.uriStem)}\t200\t`;
  const queryCookie = `\t${logField(c.query)}\t${logField(c.cookie)}\t`;
  const beforeIdDone = `${queryCookie}Hit\t`;
  const beforeIdCut = `${queryCookie}Error\t`;
  const afterId = `\t${logField(c.hostHeader)}\thttp\t`;
  // ssl-protocol, ssl-cipher, x-edge-response-result-type (the answer as sent was a Hit),
  // cs-protocol-version, fle-status, fle-encrypted-fields.
  const beforePort = '\t-\t-\tHit\tHTTP/1.1\t-\t-\t';
  const content = `\t${logField(c.contentType)}\t${c.contentLength === undefined ? '-' : String(c.contentLength)}\t-\t-`;
  const tailDone = `\tHit${content}`;
  const tailCut = `\tClientCommError${content}`;
  const chars =
    afterTime.length + afterIp.length + beforeIdDone.length + beforeIdCut.length + afterId.length + tailDone.length + tailCut.length;
  return { afterTime, afterIp, beforeIdDone, beforeIdCut, afterId, beforePort, tailDone, tailCut, chars };
}

/** One lane hit waiting in the access log's queue: its template and per-hit facts, formatted on the writer's batch. */
export class HitLine implements PendingLogLine {
  constructor(
    readonly t: HitLineTemplate,
    /** ms since epoch (LOG-04 date and time, and the hour file). */
    readonly finishedAt: number,
    readonly scBytes: number,
    readonly clientIp: string,
    readonly referer: string | undefined,
    readonly userAgent: string | undefined,
    readonly requestId: string,
    readonly csBytes: number,
    /** Seconds. */
    readonly timeTaken: number,
    readonly forwardedFor: string | undefined,
    /** c-port as text (`-` when unknown): the connection makes it once. */
    readonly clientPort: string,
    /** Seconds. */
    readonly timeToFirstByte: number,
    /** The whole answer was handed to the connection (else the viewer cut it short). */
    readonly done: boolean,
  ) {}

  format(): string {
    const t = this.t;
    return (
      logDateTime(this.finishedAt) +
      t.afterTime +
      String(this.scBytes) +
      '\t' +
      this.clientIp +
      t.afterIp +
      logField(this.referer) +
      '\t' +
      logField(this.userAgent) +
      (this.done ? t.beforeIdDone : t.beforeIdCut) +
      this.requestId +
      t.afterId +
      String(this.csBytes) +
      '\t' +
      logSeconds(this.timeTaken) +
      '\t' +
      logField(this.forwardedFor) +
      t.beforePort +
      this.clientPort +
      '\t' +
      logSeconds(this.timeToFirstByte) +
      (this.done ? t.tailDone : t.tailCut)
    );
  }
}
