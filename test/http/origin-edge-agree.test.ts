// One table of conditional and range requests sent to both users of src/http: the streamfront
// origin, and an edge in front of it, whose miss (streamed) and hit paths answer from the stored
// copy (CND-02, RNG-01). Their answers must agree, except where the explicit `multipart` option
// says otherwise (several ranges: multipart/byteranges at the edge, the whole entity at the origin).
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startOrigin, type OriginHandle } from '../../src/origin/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { silentLogger } from '../../src/log.js';
import { formatDir, HLS_FILES, STREAM_INFO_FILE, streamDir } from '../../src/timeline/output-layout.js';
import type { EdgeInternals } from '../../src/edge/index.js';
import { startTestEdge } from '../edge/test-origin.js';
import { liveStream } from '../helpers/live-stream.js';

const demo = { app: 'live', name: 'demo' };
const SIZE = 1880;
const SEGMENTS = 60;
let root: string;
let origin: OriginHandle;
let edge: EdgeInternals;

/** The validators the origin gives one segment (each file has its own). */
async function validatorsOf(target: string): Promise<{ etag: string; lm: string }> {
  const res = await fetch(`http://127.0.0.1:${origin.port}${target}`);
  await res.arrayBuffer();
  return { etag: res.headers.get('etag')!, lm: res.headers.get('last-modified')! };
}

/** A request sent byte for byte, with repeated header lines as given; status, Content-Range and body length. */
function raw(
  port: number,
  target: string,
  lines: [string, string][],
): Promise<{ status: number; range?: string; type?: string; body: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, end).toString('latin1').split('\r\n');
      const h = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({
        status: Number(head[0]!.split(' ')[1]),
        range: h.get('content-range'),
        type: h.get('content-type'),
        body: all.length - end - 4,
      });
    });
    const extra = lines.map(([n, v]) => `${n}: ${v}\r\n`).join('');
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`, 'latin1');
  });
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-agree-'));
  const dataDir = path.join(root, 'data');
  const hls = formatDir(dataDir, demo, 'hls');
  await fs.mkdir(hls, { recursive: true });
  await fs.writeFile(
    path.join(streamDir(dataDir, demo), STREAM_INFO_FILE),
    JSON.stringify({ ...demo, startedAt: new Date().toISOString() }),
  );
  let playlist = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n';
  for (let i = 1; i <= SEGMENTS; i++) {
    playlist += `#EXTINF:2.0,\n${HLS_FILES.segment(i)}\n`;
    await fs.writeFile(path.join(hls, HLS_FILES.segment(i)), Buffer.alloc(SIZE, 0x47));
  }
  await fs.writeFile(path.join(hls, HLS_FILES.playlist), playlist);
  const registry = new LiveRegistry();
  registry.add(liveStream(demo.app, demo.name, { video: { codec: 'h264' }, audio: { codec: 'aac' } }));
  origin = await startOrigin({
    config: defaultConfig({ host: '127.0.0.1', originPort: 0, dataDir }),
    registry,
    log: silentLogger(),
    rtmpPort: 19999,
  });
  edge = await startTestEdge(`http://127.0.0.1:${origin.port}`, {}, path.join(root, 'edge'));
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

type Row = [string, (v: { etag: string; lm: string }) => [string, string][], number, number?];
const later = 'Sun Nov  6 08:49:37 2094'; // asctime, a form RFC 9110 §5.6.7 says a recipient must accept
const many = Array.from({ length: 300 }, (_, i) => `${i * 2}-${i * 2}`).join(',');
// [what, header lines, status at the origin, status at the edge when it differs]
const ROWS: Row[] = [
  ['nothing', () => [], 200],
  ['If-None-Match: the ETag', (v) => [['If-None-Match', v.etag]], 304],
  ['If-None-Match: the weak form of the ETag (weak comparison)', (v) => [['If-None-Match', `W/${v.etag}`]], 304],
  ['If-None-Match: a list with the ETag', (v) => [['If-None-Match', `"x", ${v.etag}`]], 304],
  [
    'If-None-Match: the ETag on a second line',
    (v) => [
      ['If-None-Match', '"x"'],
      ['If-None-Match', v.etag],
    ],
    304,
  ],
  ['If-None-Match: *', () => [['If-None-Match', '*']], 304],
  ['If-None-Match: * inside a list', () => [['If-None-Match', '"x", *']], 304],
  ['If-None-Match: a tag whose opaque part has a comma', (v) => [['If-None-Match', `"${v.etag.slice(1, -1)},x"`]], 200],
  ['If-None-Match: another tag', () => [['If-None-Match', '"x"']], 200],
  ['If-None-Match: the ETag unquoted', (v) => [['If-None-Match', v.etag.slice(1, -1)]], 200],
  [
    'If-None-Match wins over a matching If-Modified-Since',
    (v) => [
      ['If-None-Match', '"x"'],
      ['If-Modified-Since', v.lm],
    ],
    200,
  ],
  ['If-Modified-Since: Last-Modified', (v) => [['If-Modified-Since', v.lm]], 304],
  ['If-Modified-Since: a later asctime date', () => [['If-Modified-Since', later]], 304],
  ['If-Modified-Since: an earlier date', () => [['If-Modified-Since', 'Sat, 01 Jan 2000 00:00:00 GMT']], 200],
  ['If-Modified-Since: not a date', () => [['If-Modified-Since', 'not a date']], 200],
  ['If-Modified-Since: a bare year (Date.parse reads it)', () => [['If-Modified-Since', '2099']], 200],
  ['If-Modified-Since: a number (Date.parse reads it)', () => [['If-Modified-Since', '1']], 200],
  ['If-Modified-Since: a date without a time', () => [['If-Modified-Since', 'Sat, 30 Jun 2099']], 200],
  ['If-Modified-Since: ISO 8601', () => [['If-Modified-Since', '2099-06-30T00:00:00Z']], 200],
  ['If-Modified-Since: a numeric zone', () => [['If-Modified-Since', 'Tue, 30 Jun 2099 00:00:00 +0000']], 200],
  ['If-Modified-Since: two dates in one field', (v) => [['If-Modified-Since', `${v.lm}, ${later}`]], 200],
  ['Range: bytes=0-99', () => [['Range', 'bytes=0-99']], 206],
  ['Range: suffix', () => [['Range', 'bytes=-100']], 206],
  ['Range: open-ended', () => [['Range', 'bytes=1800-']], 206],
  ['Range: last byte past the end', () => [['Range', 'bytes=1800-999999']], 206],
  ['Range: whitespace around the parts', () => [['Range', ' bytes = 0-9 ']], 206],
  ['Range: unit in capitals', () => [['Range', 'Bytes=0-9']], 206],
  ['Range: another unit', () => [['Range', 'items=0-9']], 200],
  ['Range: a huge last position', () => [['Range', 'bytes=0-99999999999999999999']], 200],
  ['Range: a huge suffix', () => [['Range', 'bytes=-99999999999999999999']], 200],
  ['Range: starts past the end', () => [['Range', `bytes=${SIZE}-`]], 416],
  ['Range: empty suffix', () => [['Range', 'bytes=-0']], 416],
  ['Range: last before first', () => [['Range', 'bytes=9-1']], 200],
  ['Range: garbage', () => [['Range', 'bytes=a-b']], 200],
  ['Range: two ranges (multipart at the edge only)', () => [['Range', 'bytes=0-0,-1']], 200, 206],
  ['Range: overlapping ranges', () => [['Range', 'bytes=0-50,20-80']], 200],
  ['Range: ranges out of order', () => [['Range', 'bytes=100-200,0-10']], 200],
  ['Range: 300 ranges', () => [['Range', `bytes=${many}`]], 200],
  [
    'Range on two lines',
    () => [
      ['Range', 'bytes=0-9'],
      ['Range', 'bytes=20-29'],
    ],
    200,
  ],
  [
    'Range with If-Range: the ETag',
    (v) => [
      ['Range', 'bytes=0-9'],
      ['If-Range', v.etag],
    ],
    206,
  ],
  [
    'Range with If-Range: another ETag',
    () => [
      ['Range', 'bytes=0-9'],
      ['If-Range', '"x"'],
    ],
    200,
  ],
  [
    'Range with If-Range: a weak ETag',
    (v) => [
      ['Range', 'bytes=0-9'],
      ['If-Range', `W/${v.etag}`],
    ],
    200,
  ],
  [
    'Range with If-Range: Last-Modified',
    (v) => [
      ['Range', 'bytes=0-9'],
      ['If-Range', v.lm],
    ],
    206,
  ],
  [
    'Range with If-Range: a bare year',
    () => [
      ['Range', 'bytes=0-9'],
      ['If-Range', '2026'],
    ],
    200,
  ],
];

describe('origin and edge give one answer to the same conditional and range requests', () => {
  it.each(ROWS.map((r, i) => [i + 2, ...r] as const))('#%i %s', async (seg, _what, lines, atOrigin, atEdge) => {
    const target = `/live/demo/${HLS_FILES.segment(seg)}`;
    const hdrs = lines(await validatorsOf(target));
    const o = await raw(origin.port, target, hdrs);
    const miss = await raw(edge.port, target, hdrs); // the streamed miss answers from the origin's response
    const hit = await raw(edge.port, target, hdrs); // the hit from the stored copy
    expect(o.status).toBe(atOrigin);
    expect(miss.status).toBe(atEdge ?? atOrigin);
    expect(hit.status).toBe(atEdge ?? atOrigin);
    if (atEdge === undefined) {
      expect([miss.range, hit.range]).toEqual([o.range, o.range]);
      expect([miss.body, hit.body]).toEqual([o.body, o.body]);
    } else expect(hit.type).toMatch(/^multipart\/byteranges/);
  });
});
