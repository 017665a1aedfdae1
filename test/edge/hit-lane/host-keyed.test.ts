// A behaviour that keys the Host header or cookies (as the default distribution's manifests do,
// through the managed UseOriginCacheControlHeaders policies) is answered by the lane, and each Host
// text and each Cookie text gets its own object: both are part of the memo's own key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EdgeInternals } from '../../../src/edge/index.js';
import { startTestEdge, startTestOrigin, type TestOrigin } from '../test-origin.js';
import { rawExchange } from './raw-http.js';

let origin: TestOrigin;
let edge: EdgeInternals;
let manifests: EdgeInternals;

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (rq, res) => {
    const body = `${rq.url} for ${rq.headers.host}${rq.headers.cookie ? ` with ${rq.headers.cookie}` : ''}`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=300', 'Content-Length': String(body.length) });
    res.end(body);
  });
  edge = await startTestEdge(origin.url, {
    distributions: [{ aliases: ['a.test', 'b.test'], defaultBehavior: { headers: { forward: 'whitelist', whitelist: ['Host'] } } }],
  });
  manifests = await startTestEdge(origin.url); // the default distribution: *.m3u8 keys Host, cookies and the query
});

afterAll(async () => {
  await edge?.close();
  await manifests?.close();
  await origin?.close();
});

async function laneGet(host: string, e = edge, path = '/m/a.js', cookie?: string): Promise<{ body: string; byLane: boolean }> {
  const before = e.lane!.counts.answered;
  const head = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${cookie === undefined ? '' : `Cookie: ${cookie}\r\n`}\r\n`;
  const x = await rawExchange(e.port, [head], { count: 1 });
  expect(x.responses).toHaveLength(1);
  return { body: x.responses[0]!.body.toString(), byLane: e.lane!.counts.answered === before + 1 };
}

it('keys each Host text apart while the lane answers the hits', async () => {
  // A: miss, pipeline hit (fills the memo), then the lane.
  expect(await laneGet('a.test')).toEqual({ body: '/m/a.js for a.test', byLane: false });
  expect(await laneGet('a.test')).toEqual({ body: '/m/a.js for a.test', byLane: false });
  expect(await laneGet('a.test')).toEqual({ body: '/m/a.js for a.test', byLane: true });
  // B is another object: never A's answer, whether or not A is in the memo.
  expect(await laneGet('b.test')).toEqual({ body: '/m/a.js for b.test', byLane: false });
  expect(await laneGet('b.test')).toEqual({ body: '/m/a.js for b.test', byLane: false });
  expect(await laneGet('b.test')).toEqual({ body: '/m/a.js for b.test', byLane: true });
  expect(await laneGet('a.test')).toEqual({ body: '/m/a.js for a.test', byLane: true });
  expect(origin.requests.filter((r) => r.url === '/m/a.js')).toHaveLength(2);
});

it("the default distribution's manifests: each Cookie text is its own object, answered by the lane", async () => {
  const m = '/live/x/playlist.m3u8';
  const host = `127.0.0.1:${manifests.port}`;
  for (const cookie of [undefined, 'a=1', 'a=2']) {
    const want = `${m} for ${host}${cookie ? ` with ${cookie}` : ''}`;
    expect(await laneGet(host, manifests, m, cookie)).toEqual({ body: want, byLane: false });
    expect(await laneGet(host, manifests, m, cookie)).toEqual({ body: want, byLane: false });
    expect(await laneGet(host, manifests, m, cookie)).toEqual({ body: want, byLane: true });
  }
  expect(await laneGet(host, manifests, m, 'a=1')).toEqual({ body: `${m} for ${host} with a=1`, byLane: true });
});
