// The edge's own endpoints, apart from the viewer path: `GET /_edge/stats` (JSON) and
// `/_edge/metrics` (Prometheus), SPEC MET-01/02. Never cached, never forwarded.
import { prometheusText } from './stats.js';
import type { RequestContext } from './context.js';

type Snapshot = Parameters<typeof prometheusText>[0][number];
type CacheFigures = Parameters<typeof prometheusText>[1];

export function serveEdgeEndpoint(v: RequestContext, edgeLocation: string, cacheFigures: CacheFigures, snaps: Snapshot[]): void {
  const wantsProm = v.path === '/_edge/metrics' || /(^|&)format=prometheus(&|$)/.test(v.rawQuery);
  if (v.path !== '/_edge/stats' && v.path !== '/_edge/metrics') {
    v.res.writeHead(404, { 'Content-Type': 'text/plain' });
    return void v.res.end('not found\n');
  }
  if (wantsProm) {
    v.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Cache-Control': 'no-store' });
    return void v.res.end(prometheusText(snaps, cacheFigures));
  }
  const total = {
    requests: snaps.reduce((n, s) => n + s.requests, 0),
    bytesDownloaded: snaps.reduce((n, s) => n + s.bytesDownloaded, 0),
    originRequests: snaps.reduce((n, s) => n + s.originRequests, 0),
  };
  v.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  v.res.end(JSON.stringify({ edgeLocation, cache: cacheFigures, total, distributions: snaps }, null, 2));
}
