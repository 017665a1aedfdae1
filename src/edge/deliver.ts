// Stage "deliver": every answer the edge writes to a viewer goes out through here — a hit, a
// streamed miss, a stale copy, a cached or edge-made error, a 304, ranges — and one function
// writes CloudFront's own response headers (RSP-01: Via, X-Amz-Cf-Pop, X-Cache, Age, X-Amz-Cf-Id).
import http from 'node:http';
import { createHash } from 'node:crypto';
import { noteResponseHead, type ResultType } from './access-log.js';
import type { RequestContext } from './context.js';
import type { StoredObject } from './store.js';
import type { FetchHead, FetchSubscriber, SharedFetch } from './shared-fetch.js';
import { pairsOf } from '../http/headers.js';
import { policyHeaders } from './policies/answer-headers.js';

/** What the server decides for a subscriber: stored objects and error pages (ERR-05) go through it. */
export interface SubscriberHooks {
  object(obj: StoredObject, result: ResultType, stale: boolean): void;
  /** True when a custom error page answers this status (the hook sends it). */
  errorPage(status: number): boolean;
  /** The origin transfer broke off before anything was sent. */
  brokeOff(): void;
}
import { ifRangeAllows, notModified, NOT_MODIFIED_HEADERS } from '../http/conditionals.js';
import { contentRange, decideRange, type RangeOptions } from '../http/ranges.js';
import { headerText, listValue, replaceHeader, type HeaderList } from '../http/headers.js';

/** The X-Cache value of each result (RSP-01); the hit lane's head blocks hold the Hit one. */
export const X_CACHE: Record<ResultType, string> = {
  Hit: 'Hit from cloudfront',
  RefreshHit: 'RefreshHit from cloudfront',
  Miss: 'Miss from cloudfront',
  Error: 'Error from cloudfront',
  LimitExceeded: 'Error from cloudfront',
  CapacityExceeded: 'Error from cloudfront',
  Redirect: 'Redirect from cloudfront',
};

const STALE_WARNING = '110 - "Response is Stale"';

export class Deliver {
  /** RSP-01: `Via: 1.1 <alphanumeric>.cloudfront.net (CloudFront)`, one name per edge. */
  readonly via: string;

  constructor(
    readonly pop: string,
    private readonly ranges: RangeOptions,
  ) {
    this.via = `1.1 ${createHash('md5').update(`${pop}:${process.pid}:${Date.now()}`).digest('hex')}.cloudfront.net (CloudFront)`;
  }

  /**
   * Every head a viewer gets is written here: the access log's facts (when it is on) are noted
   * from the very list written, with no wrapper around the response.
   */
  private head(v: RequestContext, status: number, headers: HeaderList): void {
    if (v.headersPolicy !== undefined) headers = policyHeaders(v, headers, this.pop);
    if (v.response !== undefined) noteResponseHead(v.response, headers);
    v.res.writeHead(status, headers);
  }

  /** The edge's identity headers (Via, X-Amz-Cf-Pop): precomputed once per stored object, or added per answer. */
  identity(h: HeaderList): HeaderList {
    h.push('Via', this.via, 'X-Amz-Cf-Pop', this.pop);
    return h;
  }

  /**
   * The one writer of CloudFront's response headers: identity (unless `h` already carries it, as
   * a stored object's precomputed list does), X-Cache for the result, Age on stored copies, and the
   * request's X-Amz-Cf-Id.
   */
  cloudfront(h: HeaderList, v: RequestContext, result: ResultType, opts: { age?: string; hasIdentity?: boolean } = {}): HeaderList {
    if (!opts.hasIdentity) this.identity(h);
    h.push('X-Cache', X_CACHE[result]);
    if (opts.age !== undefined) h.push('Age', opts.age);
    h.push('X-Amz-Cf-Id', v.requestId);
    return h;
  }

  /**
   * A complete stored object (hit, RefreshHit, stale copy, cached error): CND-02 conditionals and
   * RNG-01 ranges answered from it, else the object itself. The hit path: the header list was
   * built when the object was stored; only Age and the request's ids are added here.
   */
  object(v: RequestContext, obj: StoredObject, result: ResultType, stale: boolean): void {
    const age = String(Math.max(0, Math.floor(obj.initialAge + (Date.now() - obj.receivedAt) / 1000)));
    const rq = v.req.headers;
    if (obj.status === 200 && !obj.isError) {
      if (rq['if-none-match'] !== undefined || rq['if-modified-since'] !== undefined) {
        if (notModified(headerText(rq['if-none-match']), headerText(rq['if-modified-since']), obj.etag, obj.lastModified)) {
          return this.notModified(v, obj.headers, result, age);
        }
      }
      if (rq.range !== undefined && v.method === 'GET' && ifRangeAllows(headerText(rq['if-range']), obj.etag, obj.lastModified)) {
        return this.range(v, obj.hitHeaders, obj.body, result, age, true);
      }
    }
    this.whole(v, obj, result, age, stale);
  }

  /** A stored object as it is (no conditional or range applies). */
  whole(v: RequestContext, obj: StoredObject, result: ResultType, age: string, stale: boolean): void {
    const headers = this.cloudfront(obj.hitHeaders.slice(), v, result, { age, hasIdentity: true });
    if (stale) headers.push('Warning', STALE_WARNING);
    this.head(v, obj.status, headers);
    v.res.end(v.method === 'HEAD' ? undefined : obj.body);
  }

  /** The head of a miss streamed as the origin sends it (`base` carries the identity headers). */
  streamHead(v: RequestContext, status: number, base: HeaderList, isError: boolean): void {
    this.head(v, status, this.cloudfront(base.slice(), v, isError ? 'Error' : 'Miss', { hasIdentity: true }));
  }

  /** A miss answered from its complete body (a range whose length was unknown until the end). */
  body(v: RequestContext, status: number, baseHeaders: HeaderList, body: Buffer, etag?: string, lastModified?: string): void {
    const rq = v.req.headers;
    const base = replaceHeader(baseHeaders, 'Content-Length', String(body.length));
    if (status === 200 && rq.range !== undefined && ifRangeAllows(headerText(rq['if-range']), etag, lastModified)) {
      return this.range(v, base, body, 'Miss', undefined, true);
    }
    this.head(v, status, this.cloudfront(base, v, 'Miss', { hasIdentity: true }));
    v.res.end(body);
  }

  /** RNG-01/02 from a whole body: 206 for ordered ranges (multipart for several, up to the cap), 200 otherwise, 416 beyond the end. */
  range(v: RequestContext, baseHeaders: HeaderList, body: Buffer, result: ResultType, age: string | undefined, hasIdentity: boolean): void {
    const stamp = (h: HeaderList) => this.cloudfront(h, v, result, { age, hasIdentity });
    const r = decideRange(headerText(v.req.headers.range), body.length, this.ranges);
    if (r.kind === 'full') {
      this.head(v, 200, stamp(baseHeaders.slice()));
      return void v.res.end(body);
    }
    if (r.kind === 'unsatisfiable') {
      const h = replaceHeader(baseHeaders, 'Content-Length', '0');
      h.push('Content-Range', `bytes */${body.length}`);
      this.head(v, 416, stamp(h));
      return void v.res.end();
    }
    if (r.ranges.length === 1) {
      const { start, end } = r.ranges[0]!;
      const h = replaceHeader(baseHeaders, 'Content-Length', String(end - start + 1));
      h.push('Content-Range', contentRange(start, end, body.length));
      this.head(v, 206, stamp(h));
      return void v.res.end(body.subarray(start, end + 1));
    }
    const boundary = `CloudFront-${v.requestId.slice(0, 16)}`;
    const type = listValue(baseHeaders, 'content-type');
    const parts: Buffer[] = [];
    for (const { start, end } of r.ranges) {
      parts.push(
        Buffer.from(
          `\r\n--${boundary}\r\n${type ? `Content-Type: ${type}\r\n` : ''}Content-Range: ${contentRange(start, end, body.length)}\r\n\r\n`,
        ),
      );
      parts.push(body.subarray(start, end + 1));
    }
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
    const payload = Buffer.concat(parts);
    const h = replaceHeader(
      replaceHeader(baseHeaders, 'Content-Length', String(payload.length)),
      'Content-Type',
      `multipart/byteranges; boundary=${boundary}`,
    );
    this.head(v, 206, stamp(h));
    v.res.end(payload);
  }

  /** CND-02: 304 with the validators and caching headers of the copy. */
  notModified(v: RequestContext, stored: readonly [string, string][], result: ResultType, age?: string): void {
    const h: HeaderList = [];
    for (const [n, val] of stored) if (NOT_MODIFIED_HEADERS.has(n.toLowerCase())) h.push(n, val);
    this.head(v, 304, this.cloudfront(h, v, result, { age }));
    v.res.end();
  }

  /** A response the edge makes itself (errors, redirects): Server and Content-Length, then the CloudFront headers. */
  edgeMade(v: RequestContext, status: number, extra: [string, string][], body: string): void {
    const b = Buffer.from(body);
    const h: HeaderList = ['Server', 'CloudFront', 'Content-Length', String(b.length)];
    for (const [n, val] of extra) h.push(n, val);
    if (status >= 400) v.result = 'Error';
    this.head(v, status, this.cloudfront(h, v, v.result));
    v.res.end(v.method === 'HEAD' ? undefined : b);
  }

  /** A custom error page (ERR-05) or its fetch's own failure, sent with `status`. */
  page(v: RequestContext, status: number, headers: HeaderList, body: Buffer): void {
    this.head(v, status, this.cloudfront(headers.slice(), v, 'Error', { hasIdentity: true }));
    v.res.end(v.method === 'HEAD' ? undefined : body);
  }

  /** The head of a relayed (not cached) origin response; `origin` is the viewer part of its headers. */
  relayedHead(v: RequestContext, status: number, origin: HeaderList): void {
    this.head(v, status, this.cloudfront(origin, v, v.result));
  }

  /**
   * A viewer's subscription to a (collapsed) origin fetch, answering every representation it can
   * turn into: a complete object (RefreshHit, stale, cached error), the streamed miss with a 304
   * (CND-02) or a single range cut from the stream (RNG-01), or — when the length is unknown or
   * several ranges were asked — an answer from the whole body at the end.
   */
  subscriber(v: RequestContext, on: SubscriberHooks): FetchSubscriber & { fetch?: SharedFetch } {
    let mode: 'all' | 'none' | 'wait' | { start: number; end: number } = 'all';
    let sent = 0;
    const sub: FetchSubscriber & { fetch?: SharedFetch } = {
      head: (h: FetchHead) => {
        if (h.kind === 'object') {
          mode = 'none';
          v.res.off('close', leave);
          return on.object(h.obj, h.result, h.stale);
        }
        v.result = h.isError ? 'Error' : 'Miss';
        v.ttl = h.ttl;
        if (h.isError && on.errorPage(h.status)) {
          mode = 'none';
          return;
        }
        const rq = v.req.headers;
        if (h.status === 200 && (rq['if-none-match'] !== undefined || rq['if-modified-since'] !== undefined)) {
          if (notModified(headerText(rq['if-none-match']), headerText(rq['if-modified-since']), h.etag, h.lastModified)) {
            mode = 'none';
            return this.notModified(v, pairsOf(h.headers), v.result);
          }
        }
        if (h.status === 200 && rq.range !== undefined && ifRangeAllows(headerText(rq['if-range']), h.etag, h.lastModified)) {
          if (h.contentLength === undefined) {
            mode = 'wait'; // length unknown until the end: answer from the whole body
            return;
          }
          const r = decideRange(rq.range, h.contentLength, this.ranges);
          if (r.kind === 'partial' && r.ranges.length === 1) {
            const { start, end } = r.ranges[0]!;
            mode = { start, end };
            const headers = replaceHeader(h.headers, 'Content-Length', String(end - start + 1));
            headers.push('Content-Range', contentRange(start, end, h.contentLength));
            return this.streamHead(v, 206, headers, h.isError);
          }
          if (r.kind !== 'full') {
            mode = 'wait';
            return;
          }
        }
        this.streamHead(v, h.status, h.headers, h.isError);
      },
      data: (chunk: Buffer) => {
        if (mode === 'all') v.res.write(chunk);
        else if (typeof mode === 'object') {
          const from = Math.max(mode.start - sent, 0);
          const to = Math.min(mode.end + 1 - sent, chunk.length);
          if (to > from) v.res.write(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
        }
        sent += chunk.length;
      },
      end: (body: Buffer | undefined) => {
        v.res.off('close', leave);
        if (mode === 'wait') {
          const h = sub.fetch?.head;
          if (body && h && h.kind === 'stream') return this.body(v, 200, h.headers, body, h.etag, h.lastModified);
          return void v.res.destroy();
        }
        if (mode !== 'none') v.res.end();
      },
      fail: () => {
        v.res.off('close', leave);
        if (mode === 'none') return;
        if (!v.res.headersSent) return on.brokeOff();
        v.result = 'Error';
        v.res.destroy();
      },
    };
    const leave = () => sub.fetch?.unsubscribe(sub);
    v.res.once('close', leave);
    return sub;
  }
}

/** CloudFront-style error body. */
export function errorPage(status: number, message: string): string {
  const text = http.STATUS_CODES[status] ?? 'Error';
  return (
    `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n` +
    `<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>\n` +
    `<H1>${status} ${text}</H1>\n<H2>The request could not be satisfied.</H2>\n<P>${message.replace(/[<>&]/g, '')}</P>\n` +
    `<HR noshade size="1px">\nGenerated by cloudfront (CloudFront)\n</BODY></HTML>\n`
  );
}
