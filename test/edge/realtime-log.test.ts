// Real-time logs: CMCD parsing (CTA-5004) from tables, and a real edge writing TSV and JSON lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmcdOf, parseCmcd } from '../../src/edge/cmcd.js';
import { REALTIME_FIELDS } from '../../src/edge/realtime-fields.js';
import { defaultConfig } from '../../src/config/index.js';
import { startTestOrigin, startTestEdge, get, type TestOrigin } from './test-origin.js';

describe('CMCD', () => {
  it.each([
    [
      'br=3200,bs,d=4004,mtp=25400,ot=v,rtp=15000,sid="6e2fb550-c457-11e9-bb97-0800200c9a66",tb=6000',
      {
        'cmcd-encoded-bitrate': '3200',
        'cmcd-buffer-starvation': 'true',
        'cmcd-object-duration': '4004',
        'cmcd-measured-throughput': '25400',
        'cmcd-object-type': 'v',
        'cmcd-requested-maximum-throughput': '15000',
        'cmcd-session-id': '6e2fb550-c457-11e9-bb97-0800200c9a66',
        'cmcd-top-bitrate': '6000',
      },
    ],
    [
      'cid="a,b",nor="..%2F300kbps%2Fsegment35.m4v",sf=h,st=l,su,v=1',
      {
        'cmcd-content-id': 'a,b',
        'cmcd-next-object-request': '..%2F300kbps%2Fsegment35.m4v',
        'cmcd-streaming-format': 'h',
        'cmcd-stream-type': 'l',
        'cmcd-startup': 'true',
        'cmcd-version': '1',
      },
    ],
    ['bl=21300, pr=1.08, dl=18500', { 'cmcd-buffer-length': '21300', 'cmcd-playback-rate': '1.08', 'cmcd-deadline': '18500' }],
    ['xx=1,br=abc def,sid="unterminated,ot=a', {}],
    [`sid="${'x'.repeat(65)}",br=1`, { 'cmcd-encoded-bitrate': '1' }],
    ['', {}],
  ])('%s', (payload, want) => expect(parseCmcd(payload)).toEqual(want));

  it('reads the CMCD query parameter first, else the four CMCD headers', () => {
    expect(cmcdOf(`a=1&CMCD=${encodeURIComponent('br=800,sid="s1"')}`, { 'cmcd-object': 'br=1' })).toEqual({
      'cmcd-encoded-bitrate': '800',
      'cmcd-session-id': 's1',
    });
    expect(
      cmcdOf('', {
        'cmcd-object': 'br=3200,d=4004',
        'cmcd-request': 'bl=21300',
        'cmcd-session': 'sid="s2",st=v',
        'cmcd-status': 'rtp=15000',
      }),
    ).toEqual({
      'cmcd-encoded-bitrate': '3200',
      'cmcd-object-duration': '4004',
      'cmcd-buffer-length': '21300',
      'cmcd-session-id': 's2',
      'cmcd-stream-type': 'v',
      'cmcd-requested-maximum-throughput': '15000',
    });
    expect(cmcdOf('CMCD=%zz', {})).toEqual({});
  });
});

describe('real-time log config', () => {
  it('is off by default and refuses unknown fields, naming them', () => {
    expect(defaultConfig({}).edge.realtimeLog).toMatchObject({ enabled: false, format: 'tsv', output: '-', samplingRate: 100 });
    expect(() => defaultConfig({ edge: { realtimeLog: { fields: ['c-ip', 'no-such-field'] } } })).toThrow(/"realtimeLog",\s+"fields"/);
  });
});

describe('real-time log lines from a real edge', () => {
  let origin: TestOrigin;
  const dir = mkdtempSync(join(tmpdir(), 'streamfront-rtlog-'));
  beforeAll(async () => {
    origin = await startTestOrigin();
    origin.route('/v/seg1.m4s', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': '1000', 'Cache-Control': 'max-age=60' });
      res.end(Buffer.alloc(1000));
    });
  });
  afterAll(async () => {
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('TSV in the configured field order, CMCD from the query and from headers', async () => {
    const out = join(dir, 'rt.tsv');
    const fields = [
      'timestamp',
      'c-ip',
      'sc-status',
      'cs-uri-stem',
      'x-edge-result-type',
      'sc-content-len',
      'cmcd-session-id',
      'cmcd-encoded-bitrate',
      'cmcd-object-type',
      'cs-user-agent',
    ];
    const edge = await startTestEdge(origin.url, { realtimeLog: { enabled: true, output: out, fields } });
    const cmcd = encodeURIComponent('br=3200,ot=v,sid="abc-1"');
    await get(edge.port, `/v/seg1.m4s?CMCD=${cmcd}`, { 'User-Agent': 'hls.js test' });
    await get(edge.port, '/v/seg1.m4s', { 'CMCD-Object': 'br=800,ot=a', 'CMCD-Session': 'sid="abc-2"' });
    await get(edge.port, '/nope');
    await edge.close();
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(lines.length).toBe(3);
    for (const l of lines) expect(l.length).toBe(fields.length);
    const t = Number(lines[0]![0]);
    expect(Math.abs(t * 1000 - Date.now())).toBeLessThan(10_000);
    expect(lines[0]!.slice(1)).toEqual(['127.0.0.1', '200', '/v/seg1.m4s', 'Miss', '1000', 'abc-1', '3200', 'v', 'hls.js%20test']);
    expect(lines[1]!.slice(1)).toEqual(['127.0.0.1', '200', '/v/seg1.m4s', 'Hit', '1000', 'abc-2', '800', 'a', '-']);
    expect(lines[2]!.slice(2, 5)).toEqual(['404', '/nope', 'Error']);
  });

  it('JSON lines with every field', async () => {
    const out = join(dir, 'rt.json');
    const edge = await startTestEdge(origin.url, {
      realtimeLog: { enabled: true, output: out, format: 'json', fields: [...REALTIME_FIELDS] },
    });
    await get(edge.port, '/v/seg1.m4s', { 'CMCD-Request': 'bl=21300,su', Range: 'bytes=0-99', 'X-Forwarded-For': '192.0.2.4' });
    await edge.close();
    const o = JSON.parse(readFileSync(out, 'utf8').trim());
    expect(Object.keys(o)).toEqual([...REALTIME_FIELDS]);
    expect(o).toMatchObject({
      'c-ip-version': 'IPv4',
      'sc-status': 206,
      'cs-protocol-version': 'HTTP/1.1',
      'x-forwarded-for': '192.0.2.4',
      'sc-range-start': 0,
      'sc-range-end': 99,
      'sc-content-len': 100,
      'primary-distribution-id': 'EDFDVBD6EXAMPLE',
      'cmcd-buffer-length': '21300',
      'cmcd-startup': 'true',
      'cmcd-session-id': null,
      'fle-status': null,
    });
    expect(o['cs-headers-count']).toBeGreaterThanOrEqual(4);
  });
});
