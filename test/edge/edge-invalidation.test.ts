// Integration: the invalidation control API (SPEC INV-01..06) modelled on CloudFront 2014-10-21.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import type { EdgeInternals } from '../../src/edge/index.js';

const TOKEN = 'test-admin-token-1';
const DIST = 'EDFDVBD6EXAMPLE';
const API = `/2014-10-21/distribution/${DIST}/invalidation`;
const auth = { Authorization: `Bearer ${TOKEN}` };
const parser = new XMLParser({ isArray: (n) => n === 'Path' || n === 'InvalidationSummary' });

let origin: TestOrigin;
let edge: EdgeInternals;

const batch = (paths: string[], ref = `ref-${Math.random()}`) =>
  `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2014-10-21/"><Paths><Quantity>${paths.length}</Quantity><Items>${paths
    .map((p) => `<Path>${p}</Path>`)
    .join('')}</Items></Paths><CallerReference>${ref}</CallerReference></InvalidationBatch>`;

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    res.writeHead(200, { 'Cache-Control': 'max-age=3600' });
    res.end(`v@${Date.now()} ${req.url}`);
  });
  edge = await startTestEdge(origin.url, {
    adminToken: TOKEN,
    invalidation: { maxPathsInProgress: 5, reportInProgressSeconds: 0.4 },
    distributions: [{ behaviors: [{ pathPattern: '/smooth/*', smoothStreaming: true }, { pathPattern: '/qs/*', forwardQueryString: true }] }],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('invalidation control API', () => {
  it('is refused without the right bearer token, and disabled when no token is configured', async () => {
    expect((await get(edge.port, API, {}, 'POST', batch(['/a']))).status).toBe(403);
    const wrong = await get(edge.port, API, { Authorization: 'Bearer nope-nope-nope1' }, 'GET');
    expect(wrong.status).toBe(403);
    expect(parser.parse(wrong.body.toString()).ErrorResponse.Error.Code).toBe('AccessDenied');
    const plain = await startTestEdge(origin.url);
    try {
      expect((await get(plain.port, API, auth, 'GET')).status).toBe(403);
    } finally {
      await plain.close();
    }
  });

  it('POST removes every variant of the paths at once; GET shows InProgress then Completed', async () => {
    for (const h of [{}, { 'Accept-Encoding': 'gzip' }] as Record<string, string>[]) {
      await get(edge.port, '/inv/a.txt', h);
      expect((await get(edge.port, '/inv/a.txt', h)).headers['x-cache']).toBe('Hit from cloudfront');
    }
    await get(edge.port, '/inv/keep.txt');
    const r = await get(edge.port, API, { ...auth, 'Content-Type': 'text/xml' }, 'POST', batch(['inv/a.txt', '/inv/missing.txt']));
    expect(r.status).toBe(201);
    const inv = parser.parse(r.body.toString()).Invalidation;
    expect(inv.Status).toBe('InProgress');
    expect(inv.InvalidationBatch.Paths.Items.Path).toEqual(['/inv/a.txt', '/inv/missing.txt']);
    expect(r.headers.location).toMatch(new RegExp(`${API}/${inv.Id}$`));
    // INV-03: both the identity and the gzip copy are gone; other objects stay.
    expect((await get(edge.port, '/inv/a.txt')).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await get(edge.port, '/inv/a.txt', { 'Accept-Encoding': 'gzip' })).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await get(edge.port, '/inv/keep.txt')).headers['x-cache']).toBe('Hit from cloudfront');
    const one = await get(edge.port, `${API}/${inv.Id}`, auth);
    expect(parser.parse(one.body.toString()).Invalidation.Status).toBe('InProgress');
    await sleep(450);
    expect(parser.parse((await get(edge.port, `${API}/${inv.Id}`, auth)).body.toString()).Invalidation.Status).toBe('Completed');
    const list = parser.parse((await get(edge.port, API, auth)).body.toString()).InvalidationList;
    expect(list.Items.InvalidationSummary.map((s: { Id: string }) => s.Id)).toContain(inv.Id);
    expect((await get(edge.port, `${API}/INOSUCHID`, auth)).status).toBe(404);
  });

  it('INV-02: paths are exact: a folder does not cover its contents; a query variant is its own path', async () => {
    await get(edge.port, '/dir/file.txt');
    await get(edge.port, '/qs/x?v=1');
    await get(edge.port, '/qs/x?v=2');
    await get(edge.port, API, auth, 'POST', batch(['/dir/', '/qs/x?v=1']));
    expect((await get(edge.port, '/dir/file.txt')).headers['x-cache']).toBe('Hit from cloudfront');
    expect((await get(edge.port, '/qs/x?v=1')).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await get(edge.port, '/qs/x?v=2')).headers['x-cache']).toBe('Hit from cloudfront');
  });

  it('INV-04: more paths than allowed per request or in progress are refused', async () => {
    await sleep(450); // let earlier invalidations complete
    const big = await get(edge.port, API, auth, 'POST', batch(['/1', '/2', '/3', '/4', '/5', '/6']));
    expect(big.status).toBe(400);
    expect(parser.parse(big.body.toString()).ErrorResponse.Error.Code).toBe('BatchTooLarge');
    expect((await get(edge.port, API, auth, 'POST', batch(['/1', '/2', '/3']))).status).toBe(201);
    const over = await get(edge.port, API, auth, 'POST', batch(['/4', '/5', '/6']));
    expect(over.status).toBe(400);
    expect(parser.parse(over.body.toString()).ErrorResponse.Error.Code).toBe('TooManyInvalidationsInProgress');
    await sleep(450);
    expect((await get(edge.port, API, auth, 'POST', batch(['/4', '/5', '/6']))).status).toBe(201);
  });

  it('refuses Smooth-flagged paths, bad XML, wrong Quantity and unknown distributions', async () => {
    const smooth = await get(edge.port, API, auth, 'POST', batch(['/smooth/video.ism/Manifest']));
    expect(smooth.status).toBe(400);
    expect(smooth.body.toString()).toContain('Smooth');
    expect((await get(edge.port, API, auth, 'POST', '<InvalidationBatch><Paths>')).status).toBe(400);
    const wrongQty = batch(['/a', '/b']).replace('<Quantity>2</Quantity>', '<Quantity>3</Quantity>');
    expect((await get(edge.port, API, auth, 'POST', wrongQty)).status).toBe(400);
    expect((await get(edge.port, '/2014-10-21/distribution/ENOSUCHDIST/invalidation', auth, 'POST', batch(['/a']))).status).toBe(404);
  });
});
