// SPEC LOG-01..05: line formatting, field order and LOG-03 encoding; the writer's batches.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import {
  AccessLogWriter,
  type AccessLogRecord,
  detailedResultType,
  formatLogLine,
  loggedResultType,
  logEncode,
  logFileName,
  LOG_FIELDS,
  responseFacts,
} from '../../src/edge/access-log.js';
import { accessLogLines } from '../helpers/access-logs.js';

describe('LOG-03 encoding', () => {
  it('encodes controls, non-ASCII and the listed characters', () => {
    expect(logEncode(' <>"#%{}|\\^~[]`\'')).toBe('%20%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60%27');
    expect(logEncode('\t\x01\x7f')).toBe('%09%01%7F');
    expect(logEncode('é')).toBe('%C3%A9');
    expect(logEncode('Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)')).toBe(
      'Mozilla/4.0%20(compatible;%20MSIE%207.0;%20Windows%20NT%205.1)',
    );
    expect(logEncode('a=b&c=d/x.y-z_(1),:;')).toBe('a=b&c=d/x.y-z_(1),:;');
  });

  // The encoding as first written (one regular expression, each match through Buffer.from), the
  // reference the table-driven, cached logEncode must equal code unit by code unit.
  const reference = (s: string) =>
    s.replace(/[\x00-\x20\x7f-\uffff<>"#%{}|\\^~[\]`']/g, (ch) => {
      let out = '';
      for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
      return out;
    });

  it('equals the reference for every UTF-16 code unit, lone surrogates included, at any position', () => {
    const bad: number[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, `a${ch}b`, `${ch}${ch} x`]) if (logEncode(s) !== reference(s)) bad.push(c);
    }
    expect(bad).toEqual([]);
    expect(logEncode('\u{1F600} ok')).toBe('%EF%BF%BD%EF%BF%BD%20ok'); // each surrogate half on its own, as before
  });

  it('equals the reference on repeated texts (the cache), long texts (not cached) and past the cache bound', () => {
    const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "x" caf\u00e9';
    for (let i = 0; i < 3; i++) expect(logEncode(ua)).toBe(reference(ua));
    const long = `${ua} `.repeat(20);
    expect(long.length).toBeGreaterThan(512);
    expect(logEncode(long)).toBe(reference(long));
    for (let i = 0; i < 3000; i++) {
      const s = `v ${i} <${i % 7}>`;
      expect(logEncode(s)).toBe(reference(s));
    }
    expect(logEncode(ua)).toBe(reference(ua));
  });
});

describe('LOG-04/05 line', () => {
  it('reproduces the guide example line field by field', () => {
    const line = formatLogLine({
      finishedAt: Date.UTC(2014, 4, 23, 1, 13, 12),
      edgeLocation: 'LAX1',
      scBytes: 2390282,
      clientIp: '192.0.2.202',
      method: 'GET',
      distributionDomain: 'd111111abcdef8.cloudfront.net',
      uriStem: '/soundtrack/happy.mp3',
      status: 304,
      referer: 'www.unknownsingers.com',
      userAgent: 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)',
      query: 'a=b&c=d',
      cookie: 'zip=50158',
      resultType: 'Hit',
      requestId: 'xGN7KWpVEmB9Dp7ctcVFQC4E-nrcOcEKS3QyAez--06dV7TEXAMPLE==',
      hostHeader: 'd111111abcdef8.cloudfront.net',
      protocol: 'http',
      csBytes: 0,
      timeTaken: 0.002,
    });
    expect(line).toBe(
      [
        '2014-05-23',
        '01:13:12',
        'LAX1',
        '2390282',
        '192.0.2.202',
        'GET',
        'd111111abcdef8.cloudfront.net',
        '/soundtrack/happy.mp3',
        '304',
        'www.unknownsingers.com',
        'Mozilla/4.0%20(compatible;%20MSIE%207.0;%20Windows%20NT%205.1)',
        'a=b&c=d',
        'zip=50158',
        'Hit',
        'xGN7KWpVEmB9Dp7ctcVFQC4E-nrcOcEKS3QyAez--06dV7TEXAMPLE==',
        'd111111abcdef8.cloudfront.net',
        'http',
        '0', // SPEC §9.23: an integer, not "-"
        '0.002',
        ...Array<string>(14).fill('-'), // later fields the 2014 record does not have
      ].join('\t'),
    );
    expect(line.split('\t').length).toBe(LOG_FIELDS.length);
  });
  it('empty fields are "-", an aborted viewer is status 000', () => {
    const line = formatLogLine({
      finishedAt: 0,
      edgeLocation: 'LOC1',
      scBytes: 0,
      clientIp: '127.0.0.1',
      method: 'GET',
      distributionDomain: 'd.cloudfront.net',
      uriStem: '/x',
      status: 0,
      resultType: 'Error',
      requestId: 'id',
      protocol: 'http',
      csBytes: 40,
      timeTaken: 1.23456,
    }).split('\t');
    expect(line[8]).toBe('000');
    expect([line[9], line[10], line[11], line[12], line[15]]).toEqual(['-', '-', '-', '-', '-']);
    expect(line[18]).toBe('1.235');
  });
});

describe("the standard log's later fields", () => {
  it("follow the 19 of 2014 in CloudFront's order", () => {
    expect(LOG_FIELDS.slice(19)).toEqual([
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
    ]);
  });

  it('are written as CloudFront writes them', () => {
    const line = formatLogLine({
      finishedAt: 0,
      edgeLocation: 'LOC1',
      scBytes: 600,
      clientIp: '127.0.0.1',
      method: 'GET',
      distributionDomain: 'd.cloudfront.net',
      uriStem: '/x.ts',
      status: 206,
      resultType: 'Hit',
      requestId: 'id',
      protocol: 'https',
      csBytes: 40,
      timeTaken: 0.01,
      forwardedFor: '192.0.2.1, 198.51.100.7',
      sslProtocol: 'TLSv1.3',
      sslCipher: 'TLS_AES_128_GCM_SHA256',
      responseResultType: 'Hit',
      protocolVersion: 'HTTP/1.1',
      clientPort: 53124,
      timeToFirstByte: 0.0042,
      detailedResultType: 'Hit',
      contentType: 'video/mp2t',
      contentLength: 100,
      rangeStart: 100,
      rangeEnd: 199,
    }).split('\t');
    expect(line.slice(19)).toEqual([
      '192.0.2.1,%20198.51.100.7',
      'TLSv1.3',
      'TLS_AES_128_GCM_SHA256',
      'Hit',
      'HTTP/1.1',
      '-',
      '-',
      '53124',
      '0.004',
      'Hit',
      'video/mp2t',
      '100',
      '100',
      '199',
    ]);
  });

  it.each([
    ['Hit', 200, 'Hit'],
    ['Miss', 200, 'Miss'],
    ['Miss', 410, 'Error'],
    ['Miss', 429, 'Error'],
    ['Hit', 404, 'Error'],
    ['Miss', 503, 'Error'],
    ['RefreshHit', 304, 'RefreshHit'],
  ] as const)('result %s with status %i is logged %s', (result, status, want) => expect(loggedResultType(result, status)).toBe(want));

  it('the detailed result names a viewer that left', () => {
    expect(detailedResultType('Error', true)).toBe('ClientCommError');
    expect(detailedResultType('Miss', false)).toBe('Miss');
  });

  it.each([
    [
      ['Content-Type', 'video/mp2t', 'Content-Length', '100', 'Content-Range', 'bytes 100-199/1000'],
      { contentType: 'video/mp2t', contentLength: 100, rangeStart: 100, rangeEnd: 199 },
    ],
    [
      [
        ['content-type', 'text/plain'],
        ['content-length', '5'],
      ],
      { contentType: 'text/plain', contentLength: 5 },
    ],
    [
      { 'Content-Type': 'application/json', 'Content-Length': 7 },
      { contentType: 'application/json', contentLength: 7 },
    ],
    [{ 'content-range': 'bytes */1000' }, {}],
    [undefined, {}],
  ])('response head %j', (headers, want) => expect(responseFacts(headers)).toEqual(want));
});

describe('LOG-01 file name', () => {
  it('<prefix/><distId>.YYYY-MM-DD-HH.<id>.gz, a / added to the prefix', () => {
    const at = Date.UTC(2014, 10, 14, 20, 5);
    expect(logFileName('myprefix', 'EMLARXS9EXAMPLE', at, 'RT4KCN4SGK9')).toBe('myprefix/EMLARXS9EXAMPLE.2014-11-14-20.RT4KCN4SGK9.gz');
    expect(logFileName('myprefix/', 'EMLARXS9EXAMPLE', at, 'RT4KCN4SGK9')).toBe('myprefix/EMLARXS9EXAMPLE.2014-11-14-20.RT4KCN4SGK9.gz');
    expect(logFileName('', 'EMLARXS9EXAMPLE', at, 'X')).toBe('EMLARXS9EXAMPLE.2014-11-14-20.X.gz');
  });
});

describe('the writer queues records and formats them in batches off the request path', () => {
  const record = (i: number, finishedAt: number): AccessLogRecord => ({
    finishedAt,
    edgeLocation: 'LOC1',
    scBytes: i,
    clientIp: '127.0.0.1',
    method: 'GET',
    distributionDomain: 'd.cloudfront.net',
    uriStem: `/r/${i}`,
    status: 200,
    resultType: 'Hit',
    requestId: `id${i}`,
    protocol: 'http',
    csBytes: 40,
    timeTaken: 0,
  });
  const linesIn = accessLogLines;

  // [what, records added in one synchronous run, then in a second one after the loop turned]
  it.each([
    ['fewer than a batch', 10, 0],
    ['several batches queued while the loop is busy', 3000, 0],
    ['more than the queue bound in one run (drained at once)', 10_000, 0],
    ['a batch, the loop turns, then more', 1500, 1500],
  ])('%s: every record is written once, in order', async (_what, first, second) => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfront-access-log-'));
    try {
      const w = new AccessLogWriter(dir, '', 'EDIST', 3600, silentLogger());
      const at = Date.UTC(2026, 0, 1, 10, 0, 0);
      for (let i = 0; i < first; i++) w.add(record(i, at));
      await new Promise((r) => setImmediate(r));
      for (let i = first; i < first + second; i++) w.add(record(i, at));
      await w.close();
      const stems = linesIn(dir).map((l) => l.split('\t')[LOG_FIELDS.indexOf('cs-uri-stem')]);
      expect(stems).toEqual(Array.from({ length: first + second }, (_, i) => `/r/${i}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a record for the next hour goes to a file of its own; a flush while a batch is pending loses nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfront-access-log-'));
    try {
      const w = new AccessLogWriter(dir, '', 'EDIST', 3600, silentLogger());
      const h10 = Date.UTC(2026, 0, 1, 10, 59, 59);
      const h11 = Date.UTC(2026, 0, 1, 11, 0, 0);
      for (let i = 0; i < 2000; i++) w.add(record(i, i < 1000 ? h10 : h11));
      const flushed = w.flush(); // before the scheduled drains ran
      for (let i = 2000; i < 2100; i++) w.add(record(i, h11));
      await flushed;
      await w.close();
      const files = (readdirSync(dir) as string[]).filter((n) => n.endsWith('.gz'));
      expect(files.filter((n) => n.includes('2026-01-01-10'))).toHaveLength(1);
      expect(files.filter((n) => n.includes('2026-01-01-11'))).toHaveLength(2);
      const stems = linesIn(dir).map((l) => Number(l.split('\t')[LOG_FIELDS.indexOf('cs-uri-stem')]!.slice(3)));
      expect(stems.sort((a, b) => a - b)).toEqual(Array.from({ length: 2100 }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
