// A scripted origin for edge integration tests: node:http on 127.0.0.1, one handler per path,
// every request recorded (method, url, headers) so tests can count origin requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { startEdge, type EdgeInternals } from '../../src/edge/index.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestOrigin {
  url: string;
  port: number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  route(path: string, h: Handler): void;
  count(path: string): number;
  close(): Promise<void>;
}

export async function startTestOrigin(): Promise<TestOrigin> {
  const routes = new Map<string, Handler>();
  const requests: TestOrigin['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    const path = req.url!.split('?')[0]!;
    const h = routes.get(path) ?? routes.get('*');
    if (!h) {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=1' });
      return void res.end('no such object\n');
    }
    h(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    route: (p, h) => void routes.set(p, h),
    count: (p) => requests.filter((r) => r.url.split('?')[0] === p).length,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** An edge on an ephemeral port in front of `originUrl`, logs off unless `edge.logs` says otherwise, HTTPS off unless `top` sets a port. */
export async function startTestEdge(
  originUrl: string,
  edge: Record<string, unknown> = {},
  dataDir = '/tmp/streamfront-edge-test',
  top: Record<string, unknown> = {},
): Promise<EdgeInternals> {
  // HTTPS off unless a test asks for a port (`top.edgeHttpsPort`): parallel test files must not share 8443.
  const config = defaultConfig({
    host: '127.0.0.1',
    edgePort: 0,
    edgeHttpsPort: 0,
    dataDir,
    ...top,
    edge: { logs: { enabled: false }, ...edge },
  });
  return startEdge({ config, log: silentLogger(), originUrl });
}

export interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A plain GET (or other method) with node:http, no agent pooling surprises. */
export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
