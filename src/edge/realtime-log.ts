// Real-time logs (optional, as CloudFront's): one line per viewer request as soon as it is done,
// with a chosen list of fields, as TSV (CloudFront's format: no header, fields in the configured
// order) or as JSON lines, to stdout or a file. The line is pure; the writer is best effort with a
// bounded queue, so a slow reader loses lines, never memory.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { logEncode, type AccessLogRecord } from './access-log.js';
import { cmcdOf } from './cmcd.js';
import type { RealtimeField } from './realtime-fields.js';

/** What a line is made of: the access log record, the distribution, and the request's headers. */
export interface RealtimeInput {
  record: AccessLogRecord;
  distributionId: string;
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  headerCount: number;
}

const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);

/** Field → value (undefined when CloudFront would write `-`). */
export function realtimeValues(input: RealtimeInput, fields: readonly RealtimeField[]): (string | number | undefined)[] {
  const r = input.record;
  const cmcd = fields.some((f) => f.startsWith('cmcd-')) ? cmcdOf(input.rawQuery, input.headers) : {};
  return fields.map((f): string | number | undefined => {
    switch (f) {
      case 'timestamp':
        return (r.finishedAt / 1000).toFixed(3);
      case 'c-ip':
        return r.clientIp;
      case 'c-ip-version':
        return r.clientIp.includes(':') ? 'IPv6' : 'IPv4';
      case 'c-port':
        return r.clientPort;
      case 'time-to-first-byte':
        return r.timeToFirstByte?.toFixed(3);
      case 'sc-status':
        return r.status === 0 ? '000' : r.status;
      case 'sc-bytes':
        return r.scBytes;
      case 'cs-method':
        return r.method;
      case 'cs-protocol':
        return r.protocol;
      case 'cs-host':
        return r.distributionDomain;
      case 'cs-uri-stem':
        return r.uriStem;
      case 'cs-bytes':
        return r.csBytes;
      case 'x-edge-location':
        return r.edgeLocation;
      case 'x-edge-request-id':
        return r.requestId;
      case 'x-host-header':
        return r.hostHeader;
      case 'time-taken':
        return r.timeTaken.toFixed(3);
      case 'cs-protocol-version':
        return r.protocolVersion;
      case 'cs-user-agent':
        return r.userAgent;
      case 'cs-referer':
        return r.referer;
      case 'cs-cookie':
        return r.cookie;
      case 'cs-uri-query':
        return r.query || undefined;
      case 'x-edge-response-result-type':
        return r.responseResultType;
      case 'x-forwarded-for':
        return r.forwardedFor;
      case 'ssl-protocol':
        return r.sslProtocol;
      case 'ssl-cipher':
        return r.sslCipher;
      case 'x-edge-result-type':
        return r.resultType;
      case 'fle-encrypted-fields':
      case 'fle-status':
        return undefined;
      case 'sc-content-type':
        return r.contentType;
      case 'sc-content-len':
        return r.contentLength;
      case 'sc-range-start':
        return r.rangeStart;
      case 'sc-range-end':
        return r.rangeEnd;
      case 'x-edge-detailed-result-type':
        return r.detailedResultType;
      case 'cs-accept-encoding':
        return text(input.headers['accept-encoding']);
      case 'cs-accept':
        return text(input.headers['accept']);
      case 'cs-headers-count':
        return input.headerCount;
      case 'primary-distribution-id':
        return input.distributionId;
      case 'primary-distribution-dns-name':
        return r.distributionDomain;
      default:
        return cmcd[f];
    }
  });
}

export function realtimeLine(input: RealtimeInput, fields: readonly RealtimeField[], format: 'tsv' | 'json'): string {
  const values = realtimeValues(input, fields);
  if (format === 'json') {
    const o: Record<string, string | number | null> = {};
    fields.forEach((f, i) => (o[f] = values[i] ?? null));
    return JSON.stringify(o);
  }
  return values.map((v) => (v === undefined || v === '' ? '-' : typeof v === 'number' ? String(v) : logEncode(v))).join('\t');
}

/** Lines waiting for a slow destination, at most; later lines are dropped and counted. */
const MAX_QUEUED_LINES = 10_000;

export interface RealtimeLogOptions {
  fields: readonly RealtimeField[];
  format: 'tsv' | 'json';
  /** `-` for stdout, else a file appended to. */
  output: string;
  /** Percentage of requests logged (CloudFront's sampling rate, 1–100). */
  samplingRate: number;
}

export class RealtimeLogWriter {
  private readonly out: NodeJS.WritableStream;
  private readonly file?: WriteStream;
  private queued = 0;
  dropped = 0;

  constructor(
    private readonly opts: RealtimeLogOptions,
    private readonly log: Logger,
  ) {
    if (opts.output === '-') {
      this.out = process.stdout;
    } else {
      mkdirSync(dirname(opts.output), { recursive: true });
      this.file = createWriteStream(opts.output, { flags: 'a' });
      this.file.on('error', (err) => this.log.error({ err, path: opts.output }, 'real-time log write failed'));
      this.out = this.file;
    }
  }

  add(input: RealtimeInput): void {
    if (this.opts.samplingRate < 100 && Math.random() * 100 >= this.opts.samplingRate) return;
    if (this.queued >= MAX_QUEUED_LINES) {
      this.dropped++;
      return;
    }
    this.queued++;
    this.out.write(`${realtimeLine(input, this.opts.fields, this.opts.format)}\n`, () => this.queued--);
  }

  async close(): Promise<void> {
    if (this.dropped) this.log.warn({ dropped: this.dropped }, 'real-time log lines dropped: the destination was too slow');
    if (this.file) await new Promise<void>((r) => this.file!.end(() => r()));
  }
}
