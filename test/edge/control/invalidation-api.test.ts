// Integration: the control API (SPEC INV-01..06 and today's CloudFront API) over real HTTP with the
// Bearer token, on both API versions, against a real edge and origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from '../test-origin.js';
import type { EdgeInternals } from '../../../src/edge/index.js';

const TOKEN = 'test-admin-token-1';
const DIST = 'EDFDVBD6EXAMPLE';
const VERSIONS = ['2014-10-21', '2020-05-31'] as const;
const api = (v: string) => `/${v}/distribution/${DIST}/invalidation`;
const auth = { Authorization: `Bearer ${TOKEN}` };
const parser = new XMLParser({
  isArray: (n) => n === 'Path' || n === 'InvalidationSummary' || n === 'DistributionSummary',
  ignoreAttributes: false,
});
const parse = (b: Buffer) => parser.parse(b.toString());
const code = (b: Buffer) => parse(b).ErrorResponse.Error.Code as string;

let origin: TestOrigin;
let edge: EdgeInternals;

const batch = (paths: string[], ref = `ref-${Math.random()}`) =>
  `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>${paths.length}</Quantity><Items>${paths
    .map((p) => `<Path>${p}</Path>`)
    .join('')}</Items></Paths><CallerReference>${ref}</CallerReference></InvalidationBatch>`;

const cached = async (path: string) => (await get(edge.port, path)).headers['x-cache'];

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    res.writeHead(200, { 'Cache-Control': 'max-age=3600' });
    res.end(`v@${Date.now()} ${req.url}`);
  });
  edge = await startTestEdge(origin.url, {
    adminToken: TOKEN,
    invalidation: { maxPathsInProgress: 5, maxWildcardPathsInProgress: 3, reportInProgressSeconds: 0.4, historyLimit: 4 },
    distributions: [
      {
        behaviors: [
          { pathPattern: '/smooth/*', smoothStreaming: true },
          { pathPattern: '/qs/*', forwardQueryString: true },
        ],
      },
      { id: 'E2SECONDEXAMPLE', domainName: 'd2222222abcdef8.cloudfront.net', aliases: ['second.example.com'] },
    ],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('control API: access', () => {
  it('is refused without the right bearer token, and off when no credentials are configured', async () => {
    for (const v of VERSIONS) {
      const none = await get(edge.port, api(v), {}, 'POST', batch(['/a']));
      expect(none.status).toBe(403);
      expect(code(none.body)).toBe('AccessDenied');
      const wrong = await get(edge.port, api(v), { Authorization: 'Bearer nope-nope-nope1' }, 'GET');
      expect(wrong.status).toBe(403);
      expect(parse(wrong.body).ErrorResponse['@_xmlns']).toBe(`http://cloudfront.amazonaws.com/doc/${v}/`);
      expect(code(wrong.body)).toBe('AccessDenied');
    }
    const plain = await startTestEdge(origin.url);
    try {
      for (const v of VERSIONS) {
        const r = await get(plain.port, api(v), auth, 'GET');
        expect(r.status).toBe(403);
        expect(r.body.toString()).toContain('control API is off');
      }
    } finally {
      await plain.close();
    }
  });

  it('never treats an API path as a viewer request, whatever it is', async () => {
    const before = origin.requests.length;
    for (const v of VERSIONS) {
      for (const [path, method] of [
        [`/${v}/distribution/${DIST}/invalidation`, 'POST'],
        [`/${v}/cache-policy`, 'GET'],
        [`/${v}/`, 'GET'],
        [`/${v}/distribution/${DIST}/invalidation`, 'DELETE'],
      ] as const) {
        const r = await get(edge.port, path, {}, method, method === 'POST' ? batch(['/x']) : undefined);
        expect(r.status).toBe(403);
        expect(r.headers['content-type']).toBe('text/xml');
        const authed = await get(edge.port, path, auth, method, method === 'POST' ? batch(['/x']) : undefined);
        expect(authed.headers['content-type']).toBe('text/xml');
        expect(authed.headers['x-cache']).toBeUndefined();
      }
    }
    expect(origin.requests.length).toBe(before);
  });
});

describe('control API: invalidations', () => {
  it('POST removes every variant at once on either version; both versions see one store; InProgress then Completed', async () => {
    for (const h of [{}, { 'Accept-Encoding': 'gzip' }] as Record<string, string>[]) {
      await get(edge.port, '/inv/a.txt', h);
      expect((await get(edge.port, '/inv/a.txt', h)).headers['x-cache']).toBe('Hit from cloudfront');
    }
    await get(edge.port, '/inv/keep.txt');
    const r = await get(
      edge.port,
      api('2020-05-31'),
      { ...auth, 'Content-Type': 'text/xml' },
      'POST',
      batch(['inv/a.txt', '/inv/missing.txt']),
    );
    expect(r.status).toBe(201);
    expect(parse(r.body).Invalidation['@_xmlns']).toBe('http://cloudfront.amazonaws.com/doc/2020-05-31/');
    const inv = parse(r.body).Invalidation;
    expect(inv.Status).toBe('InProgress');
    expect(inv.Id).toMatch(/^I[0-9A-Z]{13}$/);
    expect(inv.InvalidationBatch.Paths.Items.Path).toEqual(['/inv/a.txt', '/inv/missing.txt']);
    expect(r.headers.location).toBe(`http://127.0.0.1:${edge.port}${api('2020-05-31')}/${inv.Id}`);
    expect((await get(edge.port, '/inv/a.txt')).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await get(edge.port, '/inv/a.txt', { 'Accept-Encoding': 'gzip' })).headers['x-cache']).toBe('Miss from cloudfront');
    expect(await cached('/inv/keep.txt')).toBe('Hit from cloudfront');
    // The other version reads the same record, in its own namespace.
    const old = await get(edge.port, `${api('2014-10-21')}/${inv.Id}`, auth);
    expect(old.status).toBe(200);
    expect(parse(old.body).Invalidation['@_xmlns']).toBe('http://cloudfront.amazonaws.com/doc/2014-10-21/');
    expect(parse(old.body).Invalidation.Status).toBe('InProgress');
    await sleep(450);
    for (const v of VERSIONS) expect(parse((await get(edge.port, `${api(v)}/${inv.Id}`, auth)).body).Invalidation.Status).toBe('Completed');
    const missing = await get(edge.port, `${api('2020-05-31')}/INOSUCHID`, auth);
    expect(missing.status).toBe(404);
    expect(code(missing.body)).toBe('NoSuchInvalidation');
  });

  it('a repeated CallerReference returns the same invalidation; with other paths it is refused', async () => {
    await sleep(450);
    const first = parse((await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/same'], 'ref-same'))).body).Invalidation;
    const again = await get(edge.port, api('2014-10-21'), auth, 'POST', batch(['/same'], 'ref-same'));
    expect(parse(again.body).Invalidation.Id).toBe(first.Id);
    const other = await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/other'], 'ref-same'));
    expect(other.status).toBe(409);
    expect(code(other.body)).toBe('InvalidationBatchAlreadyExists');
  });

  it('exact paths: a folder does not cover its contents; a query variant is its own path', async () => {
    await sleep(450);
    await get(edge.port, '/dir/file.txt');
    await get(edge.port, '/qs/x?v=1');
    await get(edge.port, '/qs/x?v=2');
    expect((await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/dir/', '/qs/x?v=1']))).status).toBe(201);
    expect(await cached('/dir/file.txt')).toBe('Hit from cloudfront');
    expect(await cached('/qs/x?v=1')).toBe('Miss from cloudfront');
    expect(await cached('/qs/x?v=2')).toBe('Hit from cloudfront');
  });

  it('a trailing * invalidates everything under it (paths, partial names, query variants); elsewhere * is literal', async () => {
    await sleep(450);
    const objects = ['/live/a/1.ts', '/live/a/2.ts', '/live/b.m3u8', '/lively.txt', '/other/1.ts', '/qs/y?v=1', '/qs/y?v=2', '/qs/z?v=1'];
    for (const p of objects) await get(edge.port, p);
    for (const p of objects) expect(await cached(p)).toBe('Hit from cloudfront');
    expect((await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/live/*', '/qs/y*', '/other/*.ts']))).status).toBe(201);
    for (const p of ['/live/a/1.ts', '/live/a/2.ts', '/live/b.m3u8', '/qs/y?v=1', '/qs/y?v=2'])
      expect(await cached(p), p).toBe('Miss from cloudfront');
    for (const p of ['/lively.txt', '/other/1.ts', '/qs/z?v=1']) expect(await cached(p), p).toBe('Hit from cloudfront');
    await sleep(450);
    expect((await get(edge.port, api('2014-10-21'), auth, 'POST', batch(['/*']))).status).toBe(201);
    for (const p of ['/lively.txt', '/other/1.ts', '/qs/z?v=1', '/inv/keep.txt']) expect(await cached(p), p).toBe('Miss from cloudfront');
  });

  it('paths are matched in the canonical form: an escape of an unreserved character names the same object', async () => {
    await sleep(450);
    await get(edge.port, '/canon/player.js');
    await get(edge.port, '/canon/x~y.js');
    expect((await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/canon/pla%79er.js', '/canon/x%7ey.js']))).status).toBe(201);
    expect(await cached('/canon/player.js')).toBe('Miss from cloudfront');
    expect(await cached('/canon/x~y.js')).toBe('Miss from cloudfront');
  });

  it('bad paths are InvalidArgument (400), never an internal error, and nothing is invalidated', async () => {
    await sleep(450);
    await get(edge.port, '/bad/keep.txt');
    for (const p of [
      '/bad/%zz',
      '/bad/%',
      '/bad/%4',
      '/bad/%2F',
      '/bad/%00',
      '/bad/../keep.txt',
      '/bad/%2e%2e/x',
      '/bad/a%4*',
      'a b',
      '',
    ]) {
      const body = p === '' ? batch(['/ok']).replace('<Path>/ok</Path>', '<Path></Path>') : batch(['/bad/keep.txt', p]);
      const r = await get(edge.port, api('2020-05-31'), auth, 'POST', body);
      expect(r.status, p).toBe(400);
      expect(code(r.body), p).toBe('InvalidArgument');
    }
    expect(await cached('/bad/keep.txt')).toBe('Hit from cloudfront');
  });

  it('limits: BatchTooLarge (413), TooManyInvalidationsInProgress for paths and wildcards', async () => {
    await sleep(450);
    const big = await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/1', '/2', '/3', '/4', '/5', '/6']));
    expect(big.status).toBe(413);
    expect(code(big.body)).toBe('BatchTooLarge');
    expect((await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/1', '/2', '/3']))).status).toBe(201);
    const over = await get(edge.port, api('2014-10-21'), auth, 'POST', batch(['/4', '/5', '/6']));
    expect(over.status).toBe(400);
    expect(code(over.body)).toBe('TooManyInvalidationsInProgress');
    await sleep(450);
    expect((await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/w1/*', '/w2/*']))).status).toBe(201);
    const wild = await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/w3/*', '/w4/*']));
    expect(wild.status).toBe(400);
    expect(code(wild.body)).toBe('TooManyInvalidationsInProgress');
    expect((await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/w3/*']))).status).toBe(201);
    const huge = await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/a'.repeat(600_000)]));
    expect(huge.status).toBe(413);
  });

  it('refuses Smooth-flagged paths, empty and bad XML, wrong Quantity and unknown distributions with their codes', async () => {
    await sleep(450);
    const smooth = await get(edge.port, api('2020-05-31'), auth, 'POST', batch(['/smooth/video.ism/Manifest']));
    expect(smooth.status).toBe(400);
    expect(smooth.body.toString()).toContain('Smooth');
    const empty = await get(edge.port, api('2020-05-31'), auth, 'POST', '');
    expect([empty.status, code(empty.body)]).toEqual([400, 'MissingBody']);
    const broken = await get(edge.port, api('2020-05-31'), auth, 'POST', '<InvalidationBatch><Paths>');
    expect([broken.status, code(broken.body)]).toEqual([400, 'MalformedInput']);
    const wrongQty = batch(['/a', '/b']).replace('<Quantity>2</Quantity>', '<Quantity>3</Quantity>');
    const qty = await get(edge.port, api('2020-05-31'), auth, 'POST', wrongQty);
    expect([qty.status, code(qty.body)]).toEqual([400, 'InconsistentQuantities']);
    for (const v of VERSIONS) {
      const r = await get(edge.port, `/${v}/distribution/ENOSUCHDIST/invalidation`, auth, 'POST', batch(['/a']));
      expect([r.status, code(r.body)]).toEqual([404, 'NoSuchDistribution']);
    }
  });

  it('history is bounded: the newest records are kept and listed newest first, with Marker/NextMarker paging', async () => {
    await sleep(450);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(
        parse((await get(edge.port, `/2020-05-31/distribution/E2SECONDEXAMPLE/invalidation`, auth, 'POST', batch([`/h${i}`]))).body)
          .Invalidation.Id,
      );
      await sleep(450); // completed, so it may be pruned
    }
    const list = (q: string) => get(edge.port, `/2020-05-31/distribution/E2SECONDEXAMPLE/invalidation${q}`, auth);
    const all = parse((await list('')).body).InvalidationList;
    expect(all.Items.InvalidationSummary.map((s: { Id: string }) => s.Id)).toEqual(ids.slice(2).reverse());
    expect(all.IsTruncated).toBe(false);
    expect(all.Items.InvalidationSummary[0].Status).toBe('Completed');
    expect((await get(edge.port, `/2020-05-31/distribution/E2SECONDEXAMPLE/invalidation/${ids[0]}`, auth)).status).toBe(404);
    const p1 = parse((await list('?MaxItems=3')).body).InvalidationList;
    expect(p1.IsTruncated).toBe(true);
    expect(p1.NextMarker).toBe(ids[3]);
    const p2 = parse((await list(`?MaxItems=3&Marker=${p1.NextMarker}`)).body).InvalidationList;
    expect(p2.Items.InvalidationSummary.map((s: { Id: string }) => s.Id)).toEqual([ids[2]]);
    expect(p2.IsTruncated).toBe(false);
    const bad = await list('?MaxItems=lots');
    expect([bad.status, code(bad.body)]).toEqual([400, 'InvalidArgument']);
  });
});

describe('control API: distributions', () => {
  it('GetDistribution (with ETag), GetDistributionConfig and ListDistributions answer per version, Deployed', async () => {
    for (const v of VERSIONS) {
      const d = await get(edge.port, `/${v}/distribution/${DIST}`, auth);
      expect(d.status).toBe(200);
      expect(d.headers.etag).toMatch(/^E[A-Z2-7]{13}$/);
      const dist = parse(d.body).Distribution;
      expect(dist['@_xmlns']).toBe(`http://cloudfront.amazonaws.com/doc/${v}/`);
      expect(dist.Id).toBe(DIST);
      expect(dist.Status).toBe('Deployed');
      expect(dist.DomainName).toBe('d111111abcdef8.cloudfront.net');
      expect(dist.DistributionConfig.Origins.Items.Origin.DomainName).toBe('127.0.0.1');
      expect(dist.DistributionConfig.Origins.Items.Origin.CustomOriginConfig.HTTPPort).toBe(origin.port);
      expect(dist.DistributionConfig.CacheBehaviors.Quantity).toBe(2);
      expect(dist.DistributionConfig.CacheBehaviors.Items.CacheBehavior[0].PathPattern).toBe('/smooth/*');
      expect(dist.DistributionConfig.CacheBehaviors.Items.CacheBehavior[0].SmoothStreaming).toBe(true);
      expect('ARN' in dist).toBe(v === '2020-05-31');
      const c = await get(edge.port, `/${v}/distribution/${DIST}/config`, auth);
      expect(c.headers.etag).toBe(d.headers.etag);
      expect(parse(c.body).DistributionConfig.Enabled).toBe(true);
      const list = parse((await get(edge.port, `/${v}/distribution`, auth)).body).DistributionList;
      expect(list.Quantity).toBe(2);
      expect(list.Items.DistributionSummary.map((s: { Id: string }) => s.Id)).toEqual([DIST, 'E2SECONDEXAMPLE']);
      expect(list.Items.DistributionSummary[1].Aliases.Items.CNAME).toBe('second.example.com');
      const page = parse((await get(edge.port, `/${v}/distribution?MaxItems=1`, auth)).body).DistributionList;
      expect([page.IsTruncated, page.NextMarker, page.Quantity]).toEqual([true, DIST, 1]);
      const rest = parse((await get(edge.port, `/${v}/distribution?MaxItems=1&Marker=${DIST}`, auth)).body).DistributionList;
      expect(rest.Items.DistributionSummary[0].Id).toBe('E2SECONDEXAMPLE');
      const none = await get(edge.port, `/${v}/distribution/ENOSUCH`, auth);
      expect([none.status, code(none.body)]).toEqual([404, 'NoSuchDistribution']);
    }
  });
});
