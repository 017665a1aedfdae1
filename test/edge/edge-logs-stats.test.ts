// Integration: access log files (SPEC LOG-01..05) parsed back field by field, and /_edge/stats (MET-01/02).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import { LOG_FIELDS } from '../../src/edge/access-log.js';
import { accessLogFiles } from '../helpers/access-logs.js';

let origin: TestOrigin;
const dataDir = mkdtempSync(join(tmpdir(), 'streamfront-edge-logs-'));

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('/media/seg%201.ts', (_req, res) => {
    res.writeHead(200, { 'Content-Length': '1000', 'Cache-Control': 'max-age=60' });
    res.end(Buffer.alloc(1000, 1));
  });
  origin.route('/slow', (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'Content-Length': '2' });
      res.end('ok');
    }, 300);
  });
});

afterAll(async () => {
  await origin?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const readLogs = accessLogFiles;

describe('access logs', () => {
  it('writes hourly gzip files with #Version/#Fields and 19 tab-separated fields, LOG-03 encoded; 000 for aborts', async () => {
    const edge = await startTestEdge(origin.url, { logs: { enabled: true, prefix: 'myprefix', flushSeconds: 3600 } }, dataDir);
    const t0 = Date.now();
    const headers = { 'User-Agent': 'Mozilla/4.0 (compatible; MSIE 7.0)', Referer: 'http://www.example.com/page', Host: 'cdn.example.com' };
    await get(edge.port, '/media/seg%201.ts?a=b&c=d', headers);
    await get(edge.port, '/media/seg%201.ts?a=b&c=d', { ...headers, 'X-Forwarded-For': '192.0.2.7, 198.51.100.1', Range: 'bytes=100-199' });
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: edge.port, path: '/slow', agent: false });
      req.on('error', () => {});
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await sleep(400);
    await edge.close(); // flushes
    const files = readLogs(join(dataDir, 'edge-logs'));
    expect(files.length).toBe(1);
    const hour = new Date(t0).toISOString().slice(0, 13).replace('T', '-');
    expect(files[0]!.name).toMatch(new RegExp(`^myprefix/EDFDVBD6EXAMPLE\\.${hour}\\.[0-9A-F]+\\.gz$`));
    const [version, fields, ...lines] = files[0]!.lines;
    expect(version).toBe('#Version: 1.0');
    expect(fields).toBe(`#Fields: ${LOG_FIELDS.join(' ')}`);
    expect(lines.length).toBe(3);
    const rows = lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [LOG_FIELDS[i], v])));
    for (const l of lines) expect(l.split('\t').length).toBe(LOG_FIELDS.length);
    const [miss, hit, aborted] = rows as Record<string, string>[];
    expect(miss!['date']).toBe(new Date(t0).toISOString().slice(0, 10));
    expect(miss!['time']).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(miss!['x-edge-location']).toBe('LOC1');
    expect(Number(miss!['sc-bytes'])).toBeGreaterThan(1000); // body plus headers
    expect(miss!['c-ip']).toBe('127.0.0.1');
    expect(miss!['cs-method']).toBe('GET');
    expect(miss!['cs(Host)']).toBe('d111111abcdef8.cloudfront.net');
    expect(miss!['cs-uri-stem']).toBe('/media/seg%25201.ts'); // LOG-03: % → %25
    expect(miss!['sc-status']).toBe('200');
    expect(miss!['cs(Referer)']).toBe('http://www.example.com/page');
    expect(miss!['cs(User-Agent)']).toBe('Mozilla/4.0%20(compatible;%20MSIE%207.0)');
    expect(miss!['cs-uri-query']).toBe('a=b&c=d');
    expect(miss!['cs(Cookie)']).toBe('-');
    expect(miss!['x-edge-result-type']).toBe('Miss');
    expect(miss!['x-edge-request-id']).toMatch(/^[A-Za-z0-9_-]{56}$/);
    expect(miss!['x-host-header']).toBe('cdn.example.com');
    expect(miss!['cs-protocol']).toBe('http');
    expect(Number(miss!['cs-bytes'])).toBeGreaterThan(50);
    expect(miss!['time-taken']).toMatch(/^\d+\.\d{3}$/);
    // The later fields of the standard log.
    expect(miss!['x-forwarded-for']).toBe('-');
    expect([miss!['ssl-protocol'], miss!['ssl-cipher'], miss!['fle-status'], miss!['fle-encrypted-fields']]).toEqual(['-', '-', '-', '-']);
    expect(miss!['x-edge-response-result-type']).toBe('Miss');
    expect(miss!['x-edge-detailed-result-type']).toBe('Miss');
    expect(miss!['cs-protocol-version']).toBe('HTTP/1.1');
    expect(Number(miss!['c-port'])).toBeGreaterThan(0);
    expect(Number(miss!['time-to-first-byte'])).toBeLessThanOrEqual(Number(miss!['time-taken']));
    expect(miss!['time-to-first-byte']).toMatch(/^\d+\.\d{3}$/);
    expect(miss!['sc-content-len']).toBe('1000');
    expect([miss!['sc-range-start'], miss!['sc-range-end']]).toEqual(['-', '-']);
    expect(hit!['sc-status']).toBe('206');
    expect(hit!['x-forwarded-for']).toBe('192.0.2.7,%20198.51.100.1');
    expect(hit!['sc-content-len']).toBe('100'); // the range's length
    expect([hit!['sc-range-start'], hit!['sc-range-end']]).toEqual(['100', '199']);
    expect(hit!['c-port']).not.toBe(miss!['c-port']);
    expect(hit!['x-edge-result-type']).toBe('Hit');
    expect(hit!['x-edge-request-id']).not.toBe(miss!['x-edge-request-id']);
    expect(aborted!['sc-status']).toBe('000');
    expect(aborted!['x-edge-result-type']).toBe('Error');
    expect(aborted!['x-edge-detailed-result-type']).toBe('ClientCommError');
    expect(aborted!['time-to-first-byte']).toBe('-');
  });
});

describe('/_edge/stats', () => {
  it('reports MET-01/02 figures as JSON and as Prometheus text', async () => {
    const edge = await startTestEdge(origin.url);
    try {
      await get(edge.port, '/media/seg%201.ts');
      await get(edge.port, '/media/seg%201.ts');
      await get(edge.port, '/missing');
      const s = JSON.parse((await get(edge.port, '/_edge/stats')).body.toString());
      const d = s.distributions[0];
      expect(d.requests).toBe(3);
      expect(d.results).toMatchObject({ Hit: 1, Miss: 1, Error: 1 });
      expect(d.statusCounts).toMatchObject({ s2xx: 2, s4xx: 1 });
      expect(d['4xxErrorRate']).toBeCloseTo(100 / 3);
      expect(d.bytesFromMisses).toBeGreaterThan(1000);
      expect(d.bytesDownloaded).toBeGreaterThan(2000);
      expect(d.originRequests).toBe(2);
      expect(d.topObjects[0]).toMatchObject({ url: '/media/seg%201.ts', requests: 2, hits: 1, misses: 1 });
      expect(s.cache.objects).toBe(2);
      const prom = (await get(edge.port, '/_edge/stats?format=prometheus')).body.toString();
      expect(prom).toContain('streamfront_edge_requests_total{distribution="EDFDVBD6EXAMPLE"} 3');
      expect(prom).toContain('streamfront_edge_results_total{distribution="EDFDVBD6EXAMPLE",result="Hit"} 1');
      expect((await get(edge.port, '/_edge/metrics')).body.toString()).toContain('# TYPE streamfront_edge_requests_total counter');
    } finally {
      await edge.close();
    }
  });
});
