// Web distribution access logs (SPEC LOG-01..05): W3C lines with the 19 fields of 2014 in order,
// then the 14 fields CloudFront's standard log added later (what log tools such as goaccess's
// CLOUDFRONT format expect), and hourly gzip files `<dir>/<prefix>/<distId>.YYYY-MM-DD-HH.<id>.gz`. Formatting is pure; the
// writer streams lines into one gzip file per hour bucket and completes it on each flush (LOG-02:
// one hour may have several files, an hour without requests has none).
import { createWriteStream, mkdirSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import type { Logger } from '../log.js';

/** LOG-04, in order. */
export const LOG_FIELDS = [
  'date',
  'time',
  'x-edge-location',
  'sc-bytes',
  'c-ip',
  'cs-method',
  'cs(Host)',
  'cs-uri-stem',
  'sc-status',
  'cs(Referer)',
  'cs(User-Agent)',
  'cs-uri-query',
  'cs(Cookie)',
  'x-edge-result-type',
  'x-edge-request-id',
  'x-host-header',
  'cs-protocol',
  'cs-bytes',
  'time-taken',
  // The standard log's later fields, in CloudFront's order.
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-response-result-type',
  'cs-protocol-version',
  'fle-status',
  'fle-encrypted-fields',
  'c-port',
  'time-to-first-byte',
  'x-edge-detailed-result-type',
  'sc-content-type',
  'sc-content-len',
  'sc-range-start',
  'sc-range-end',
] as const;

export const LOG_HEADER = `#Version: 1.0\n#Fields: ${LOG_FIELDS.join(' ')}\n`;

/**
 * LOG-04 x-edge-result-type values, and `Redirect`, which CloudFront logs today for its own
 * HTTP-to-HTTPS redirect (TLS-01).
 */
export type ResultType = 'Hit' | 'RefreshHit' | 'Miss' | 'LimitExceeded' | 'CapacityExceeded' | 'Error' | 'Redirect';

export interface AccessLogRecord {
  /** When the edge finished with the request (ms since epoch; LOG-04 `time`). */
  finishedAt: number;
  edgeLocation: string;
  /** Bytes sent to the viewer, headers included. */
  scBytes: number;
  clientIp: string;
  method: string;
  /** The distribution's own *.cloudfront.net name, even when a CNAME was used. */
  distributionDomain: string;
  uriStem: string;
  /** HTTP status, or 0 when the viewer closed the connection first (logged `000`). */
  status: number;
  referer?: string;
  userAgent?: string;
  /** Raw query string without `?` (QS-03: full, signing parameters included). */
  query?: string;
  cookie?: string;
  resultType: ResultType;
  requestId: string;
  hostHeader?: string;
  protocol: 'http' | 'https';
  csBytes: number;
  /** Seconds from receiving the request to writing the last byte. */
  timeTaken: number;
  // ---- the later fields; an absent one is logged `-` ----
  /** The viewer's own X-Forwarded-For header, as sent. */
  forwardedFor?: string;
  /** TLS version and OpenSSL cipher name of an HTTPS viewer connection. */
  sslProtocol?: string;
  sslCipher?: string;
  /** The result type of the response as sent (x-edge-result-type is `Error` if the viewer then left). */
  responseResultType?: ResultType;
  /** `HTTP/1.1`, `HTTP/2.0` … */
  protocolVersion?: string;
  /** The viewer's source port. */
  clientPort?: number;
  /** Seconds from receiving the request to writing the first byte of the response. */
  timeToFirstByte?: number;
  /** x-edge-result-type, or a finer reason for an Error (`ClientCommError`: the viewer left). */
  detailedResultType?: string;
  /** Content-Type of the response. */
  contentType?: string;
  /** Content-Length of the response: the bytes of the body (of the range, on a 206). */
  contentLength?: number;
  /** First and last byte of a 206's Content-Range. */
  rangeStart?: number;
  rangeEnd?: number;
}

/** The characters LOG-03 encodes (no global flag: a test keeps no lastIndex state). */
const LOG03_ANY = /[\x00-\x20\x7f-\uffff<>"#%{}|\\^~[\]`']/;

/** The `%XX` text of each ASCII code unit LOG-03 encodes (undefined: kept as it is). */
const ASCII_ESCAPES: (string | undefined)[] = Array.from({ length: 0x80 }, (_, c) =>
  LOG03_ANY.test(String.fromCharCode(c)) ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : undefined,
);

/** `%XX` for each UTF-8 byte of one UTF-16 code unit (a lone surrogate half is U+FFFD's bytes, as Buffer.from makes them). */
function escapeUnit(ch: string): string {
  let out = '';
  for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * LOG-03: RFC 1738 style encoding of control, non-ASCII and the listed unsafe characters, code
 * unit by code unit. User-Agents are full of spaces, so the ASCII escapes come from a table.
 */
export function logEncode(s: string): string {
  if (!LOG03_ANY.test(s)) return s; // the common case: nothing to encode, no copy
  if (s.length > ENCODED_MAX_CHARS) return encodeUnits(s);
  // A viewer sends the same User-Agent (and often Referer, Cookie) on every request.
  let e = encoded.get(s);
  if (e === undefined) {
    if (encoded.size >= ENCODED_MAX_ENTRIES) encoded.clear();
    e = encodeUnits(s);
    encoded.set(s, e);
  }
  return e;
}

/** Recent field texts and their encodings: bounded in entries and in the length of a text kept (~2 MiB at most). */
const encoded = new Map<string, string>();
const ENCODED_MAX_ENTRIES = 1024;
const ENCODED_MAX_CHARS = 512;

function encodeUnits(s: string): string {
  let out = '';
  let kept = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const esc = c < 0x80 ? ASCII_ESCAPES[c] : escapeUnit(s[i]!);
    if (esc === undefined) continue;
    out += s.slice(kept, i) + esc;
    kept = i + 1;
  }
  return out + s.slice(kept);
}

/** A field that may be empty or need LOG-03 encoding, as the line holds it (`-` when empty). */
export function logField(v: string | undefined): string {
  return v === undefined || v === '' ? '-' : logEncode(v);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** LOG-04 date and time of the last second formatted: lines of the same second reuse them. */
let stampSecond = NaN;
let stampText = '';

/** LOG-04 `date` TAB `time` of a moment (ms since epoch), UTC. */
export function logDateTime(at: number): string {
  const second = Math.floor(at / 1000);
  if (second !== stampSecond) {
    const d = new Date(second * 1000);
    const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    stampText = `${date}\t${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
    stampSecond = second;
  }
  return stampText;
}

/** time-taken / time-to-first-byte: seconds with three decimals. */
export function logSeconds(s: number): string {
  // Most hits take well under half a millisecond: the same text without toFixed's work.
  return s >= 0 && s < 0.0004 ? '0.000' : s.toFixed(3);
}

export function formatLogLine(r: AccessLogRecord): string {
  // One concatenation, no array per line (every hit is logged).
  return (
    logDateTime(r.finishedAt) +
    '\t' +
    r.edgeLocation +
    '\t' +
    String(r.scBytes) +
    '\t' +
    r.clientIp +
    '\t' +
    r.method +
    '\t' +
    r.distributionDomain +
    '\t' +
    logField(r.uriStem) +
    '\t' +
    (r.status === 0 ? '000' : String(r.status)) +
    '\t' +
    logField(r.referer) +
    '\t' +
    logField(r.userAgent) +
    '\t' +
    logField(r.query) +
    '\t' +
    logField(r.cookie) +
    '\t' +
    r.resultType +
    '\t' +
    r.requestId +
    '\t' +
    logField(r.hostHeader) +
    '\t' +
    r.protocol +
    '\t' +
    String(r.csBytes) +
    '\t' +
    logSeconds(r.timeTaken) +
    '\t' +
    logField(r.forwardedFor) +
    '\t' +
    logField(r.sslProtocol) +
    '\t' +
    logField(r.sslCipher) +
    '\t' +
    (r.responseResultType ?? '-') +
    '\t' +
    logField(r.protocolVersion) +
    '\t' +
    '-' + // fle-status: field-level encryption is not emulated
    '\t' +
    '-' + // fle-encrypted-fields
    '\t' +
    (r.clientPort === undefined ? '-' : String(r.clientPort)) +
    '\t' +
    (r.timeToFirstByte === undefined ? '-' : logSeconds(r.timeToFirstByte)) +
    '\t' +
    logField(r.detailedResultType) +
    '\t' +
    logField(r.contentType) +
    '\t' +
    (r.contentLength === undefined ? '-' : String(r.contentLength)) +
    '\t' +
    (r.rangeStart === undefined ? '-' : String(r.rangeStart)) +
    '\t' +
    (r.rangeEnd === undefined ? '-' : String(r.rangeEnd))
  );
}

/** x-edge-result-type as CloudFront logs it: any 4xx/5xx is an Error, whatever the cache did. */
export function loggedResultType(result: ResultType, status: number): ResultType {
  return status >= 400 ? 'Error' : result;
}

/**
 * x-edge-detailed-result-type: the result type, or why an Error happened when the edge knows;
 * `OriginFailover` when an origin group's secondary answered because the primary failed.
 */
export function detailedResultType(result: ResultType, viewerLeft: boolean, failedOver = false): string {
  return viewerLeft ? 'ClientCommError' : failedOver ? 'OriginFailover' : result;
}

/** What the access log needs from a response's headers, whichever form they were written in. */
export interface ResponseFacts {
  /** performance.now() when the status line and headers were written. */
  firstByteAt?: number;
  contentType?: string;
  contentLength?: number;
  rangeStart?: number;
  rangeEnd?: number;
}

/** Reads Content-Type, Content-Length and Content-Range from writeHead's headers argument (flat list, pairs or record). */
export function responseFacts(headers: unknown): Omit<ResponseFacts, 'firstByteAt'> {
  const out: Omit<ResponseFacts, 'firstByteAt'> = {};
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0]))
      for (const [n, v] of headers as [string, unknown][]) noteFact(out, String(n), String(v));
    else for (let i = 0; i + 1 < headers.length; i += 2) noteFact(out, String(headers[i]), String(headers[i + 1]));
  } else if (headers && typeof headers === 'object') {
    for (const [n, v] of Object.entries(headers)) if (v !== undefined) noteFact(out, n, Array.isArray(v) ? v.join(', ') : String(v));
  }
  return out;
}

/** The one header scan behind responseFacts: length checks first, so most names cost no lower-casing. */
function noteFact(out: Omit<ResponseFacts, 'firstByteAt'>, n: string, v: string): void {
  if (n.length === 12) {
    if (n.toLowerCase() === 'content-type') out.contentType = v;
  } else if (n.length === 14) {
    if (n.toLowerCase() === 'content-length' && DIGITS.test(v)) out.contentLength = Number(v);
  } else if (n.length === 13 && n.toLowerCase() === 'content-range') {
    const m = CONTENT_RANGE.exec(v);
    if (m) [out.rangeStart, out.rangeEnd] = [Number(m[1]), Number(m[2])];
  }
}

const DIGITS = /^\d+$/;
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\//;

/**
 * Notes a response head as it is written (deliver.ts writes every head a viewer gets, so it calls
 * this once per response): when, and the facts the access log reads from its headers.
 */
export function noteResponseHead(facts: ResponseFacts, headers: readonly string[]): void {
  facts.firstByteAt = performance.now();
  for (let i = 0; i + 1 < headers.length; i += 2) noteFact(facts, headers[i]!, headers[i + 1]!);
}

/** LOG-01 (PROJECT form): `<prefix/><distributionId>.YYYY-MM-DD-HH.<uniqueId>.gz`. */
export function logFileName(prefix: string, distributionId: string, at: number, uniqueId: string): string {
  const d = new Date(at);
  const stamp = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}-${pad2(d.getUTCHours())}`;
  const p = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `${p}${distributionId}.${stamp}.${uniqueId}.gz`;
}

/**
 * Records queued before they are formatted: a small batch holds the event loop only briefly
 * (~0.2 ms for 64 lines), so no viewer waits long behind it. Each batch's text is copied into a
 * byte chunk at once (its strings die young, in the GC's cheap generation) and the chunk goes into
 * the gzip stream when full: zlib costs less per line in long calls.
 */
const BATCH_LINES = 64;
/**
 * Bytes of formatted lines handed to the gzip stream at once: deflate costs less per line in long
 * calls (scripts/bench-access-log.ts prints 64 against 256 KiB).
 */
const GZIP_CHUNK_BYTES = 256 * 1024;
/** The access logs' gzip settings (see openFile). */
export const GZIP_OPTIONS = { level: 1, memLevel: 9, windowBits: 13, chunkSize: 64 * 1024 } as const;
/** A queue this long is drained at once, whatever the event loop is doing (the memory bound). */
const MAX_QUEUED = 64 * BATCH_LINES;

/**
 * A line queued in the form of its own formatter (the hit lane's lines, whose constant parts are
 * formatted once per stored object: hit-lane/log-line.ts); `format()` gives formatLogLine's text.
 */
export interface PendingLogLine {
  readonly finishedAt: number;
  format(): string;
}

type QueuedLine = AccessLogRecord | PendingLogLine;

const isPending = (r: QueuedLine): r is PendingLogLine => typeof (r as PendingLogLine).format === 'function';

interface OpenLogFile {
  gz: Gzip;
  /** Lines queued since the last batch: formatted only when the batch is written. */
  records: QueuedLine[];
  /** A drain is scheduled for after the current turn of the event loop. */
  draining: boolean;
  /** Formatted lines not yet handed to the gzip stream: `used` bytes of `chunk`. */
  chunk: Buffer | undefined;
  used: number;
  failed: boolean;
  done: Promise<void>;
}

/**
 * One gzip file per UTC hour bucket and flush period: lines stream into it in small batches (the
 * compression runs off the main thread, memory stays bounded), and the file is completed on each
 * flush. An hour with no requests has no file (LOG-02).
 */
export class AccessLogWriter {
  private readonly open = new Map<number, OpenLogFile>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly distributionId: string,
    flushSeconds: number,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), flushSeconds * 1000);
    this.timer.unref();
  }

  /**
   * Queues a record as it is (plain values). A full batch is formatted after the current turn of
   * the event loop, so no viewer's response waits on it; past MAX_QUEUED (a loop that never turns)
   * it is formatted at once.
   */
  add(r: AccessLogRecord | PendingLogLine): void {
    const hour = Math.floor(r.finishedAt / 3_600_000);
    const f = this.open.get(hour) ?? this.openFile(hour);
    const n = f.records.push(r);
    if (n < BATCH_LINES || f.draining) {
      if (n >= MAX_QUEUED) this.drain(f);
      return;
    }
    f.draining = true;
    setImmediate(() => this.drain(f));
  }

  private openFile(hour: number): OpenLogFile {
    const path = join(
      this.dir,
      logFileName(this.prefix, this.distributionId, hour * 3_600_000, randomBytes(6).toString('hex').toUpperCase()),
    );
    // Level 1: logs are highly compressible anyway. memLevel 9 (a 64 Ki-entry hash table and a
    // longer literal buffer, 128 KiB more per open file): the same bytes out to within 0.1 %,
    // 15-20 % less CPU per line on access logs. windowBits 13 (an 8 KiB window, some twenty lines):
    // a line's repeats (the same viewer, path, User-Agent) are in the lines just before it, so
    // the output is 0.6 % smaller, for no more CPU (2-14 % less in bench runs) and 48 KiB less
    // memory per open file (scripts/bench-access-log.ts prints the bytes and CPU of both windows).
    const gz = createGzip(GZIP_OPTIONS);
    const f: OpenLogFile = { gz, records: [], draining: false, chunk: undefined, used: 0, failed: false, done: Promise.resolve() };
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      this.log.error({ err, path }, 'access log directory cannot be created');
    }
    f.done = pipeline(gz, createWriteStream(path)).catch((err: unknown) => {
      f.failed = true;
      this.log.error({ err, path }, 'access log write failed'); // LOG-02: best effort
    });
    gz.write(LOG_HEADER);
    this.open.set(hour, f);
    return f;
  }

  /** Formats the queued records; the text goes to the gzip stream once it is long (or `final`, at flush). */
  private drain(f: OpenLogFile, final = false): void {
    f.draining = false;
    const records = f.records;
    f.records = [];
    // A file already completed by flush() has nothing left to write (flush drained it first).
    if (f.failed || f.gz.writableEnded) return;
    let text = '';
    for (const r of records) text += (isPending(r) ? r.format() : formatLogLine(r)) + '\n';
    // Every line is ASCII (LOG-03 encodes the free text; the config's names are ASCII by schema),
    // so its Latin-1 bytes are its UTF-8 ones, and Latin-1 costs a plain copy.
    if (f.chunk !== undefined && f.used + text.length > f.chunk.length) this.handChunk(f);
    if (text.length > GZIP_CHUNK_BYTES)
      f.gz.write(text, 'latin1'); // a queue drained at MAX_QUEUED
    else if (text.length > 0) {
      f.chunk ??= Buffer.allocUnsafeSlow(GZIP_CHUNK_BYTES);
      f.used += f.chunk.write(text, f.used, 'latin1');
    }
    if (final) this.handChunk(f);
  }

  /** Gives the filled part of the chunk to the gzip stream (which reads it later: a new chunk is taken next). */
  private handChunk(f: OpenLogFile): void {
    if (f.chunk !== undefined && f.used > 0) f.gz.write(f.chunk.subarray(0, f.used));
    f.chunk = undefined;
    f.used = 0;
  }

  /** Completes the open files; resolves when they are on disk. */
  async flush(): Promise<void> {
    const files = [...this.open.values()];
    this.open.clear();
    for (const f of files) {
      this.drain(f, true);
      if (!f.failed) f.gz.end();
    }
    await Promise.all(files.map((f) => f.done));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
