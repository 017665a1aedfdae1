// SPEC ORG-04 origin protocol policy and RSP-02 certificate checking: the pure endpoint table, then
// a real edge in front of an origin that listens on HTTP and on HTTPS with a self-signed certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { originEndpoint, originTransport } from '../../src/edge/origin-client.js';
import { originTarget } from '../../src/edge/distribution.js';
import { startTestEdge, get } from './test-origin.js';
import { freePort } from '../helpers/ports.js';
import type { EdgeInternals } from '../../src/edge/index.js';

describe('origin transport (ORG-04)', () => {
  it.each([
    ['http://o.example/', {}, { protocolPolicy: 'http-only', httpPort: 80, httpsPort: 443, tlsVerify: true }],
    ['http://o.example:8080/', {}, { protocolPolicy: 'http-only', httpPort: 8080, httpsPort: 443, tlsVerify: true }],
    ['https://o.example/', {}, { protocolPolicy: 'https-only', httpPort: 80, httpsPort: 443, tlsVerify: true }],
    ['https://o.example:8443/', { tlsVerify: false }, { protocolPolicy: 'https-only', httpPort: 80, httpsPort: 8443, tlsVerify: false }],
    [
      'http://o.example:8080/',
      { originProtocolPolicy: 'match-viewer', httpsPort: 8443 },
      { protocolPolicy: 'match-viewer', httpPort: 8080, httpsPort: 8443, tlsVerify: true },
    ],
  ] as const)('%s %j → %j', (url, cfg, want) => expect(originTransport(new URL(url), cfg)).toEqual(want));

  const t = (url: string, cfg = {}) => originTarget('o', url, 30, 2, cfg);
  it.each([
    ['http://o.example:8080/', {}, 'http', { scheme: 'http', port: 8080, hostHeader: 'o.example:8080' }],
    ['http://o.example:8080/', {}, 'https', { scheme: 'http', port: 8080, hostHeader: 'o.example:8080' }],
    ['https://o.example/', {}, 'http', { scheme: 'https', port: 443, hostHeader: 'o.example' }],
    ['http://o.example/', { originProtocolPolicy: 'https-only' }, 'http', { scheme: 'https', port: 443, hostHeader: 'o.example' }],
    ['https://o.example:8443/', { originProtocolPolicy: 'http-only' }, 'https', { scheme: 'http', port: 80, hostHeader: 'o.example' }],
    [
      'http://o.example:8080/',
      { originProtocolPolicy: 'match-viewer', httpsPort: 8443 },
      'http',
      { scheme: 'http', port: 8080, hostHeader: 'o.example:8080' },
    ],
    [
      'http://o.example:8080/',
      { originProtocolPolicy: 'match-viewer', httpsPort: 8443 },
      'https',
      { scheme: 'https', port: 8443, hostHeader: 'o.example:8443' },
    ],
    ['http://[::1]:8080/', { originProtocolPolicy: 'match-viewer' }, 'https', { scheme: 'https', port: 443, hostHeader: '[::1]' }],
  ] as const)('%s %j, viewer %s → %j', (url, cfg, viewer, want) => expect(originEndpoint(t(url, cfg), viewer)).toEqual(want));

  it('rejects other schemes', () => expect(() => originTarget('o', 'ftp://o/', 30, 2)).toThrow(/http:\/\/ and https:\/\//));
});

describe('HTTPS and match-viewer origins through a real edge', () => {
  let plain: http.Server;
  let secure: https.Server;
  let httpPort: number;
  let httpsPort: number;
  const seen: { scheme: string; host: string | undefined; path: string }[] = [];
  const edges: EdgeInternals[] = [];
  const run = promisify(execFile);

  const answer = (scheme: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ scheme, host: req.headers.host, path: req.url! });
    const body = `${scheme}:${req.url}`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length), 'Cache-Control': 'no-store' });
    res.end(body);
  };

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    plain = http.createServer(answer('http'));
    secure = https.createServer({ cert: pems.cert, key: pems.private }, answer('https'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    httpPort = (plain.address() as AddressInfo).port;
    httpsPort = (secure.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const e of edges) await e.close();
    for (const s of [plain, secure]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  const edgeWith = async (origin: Record<string, unknown>, https = false) => {
    const e = await startTestEdge(
      'http://unused.invalid',
      { distributions: [{ origins: [{ id: 'o', retries: 0, ...origin }], errorCachingMinTtl: { '502': 0 } }] },
      '/tmp/streamfront-origin-protocol',
      https ? { edgeHttpsPort: await freePort() } : {},
    );
    edges.push(e);
    return e;
  };

  it('a self-signed HTTPS origin: 502 with X-Cache Error (RSP-02) unless tlsVerify is false', async () => {
    const verified = await edgeWith({ url: `https://localhost:${httpsPort}` });
    const r = await get(verified.port, '/tls/a');
    expect(r.status).toBe(502);
    expect(r.headers['x-cache']).toBe('Error from cloudfront');
    // One the viewer can read: CloudFront's error page, framed.
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(r.body.toString()).toMatch(/502 Bad Gateway[\s\S]*could not be satisfied/);
    expect(seen.some((s) => s.path === '/tls/a')).toBe(false);
    const unverified = await edgeWith({ url: `https://localhost:${httpsPort}`, tlsVerify: false });
    const ok = await get(unverified.port, '/tls/b');
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('https:/tls/b');
    expect(seen.find((s) => s.path === '/tls/b')!.host).toBe(`localhost:${httpsPort}`);
  });

  it('https-only on an http:// URL sends TLS to the https port', async () => {
    const e = await edgeWith({ url: `http://127.0.0.1:${httpPort}`, originProtocolPolicy: 'https-only', httpsPort, tlsVerify: false });
    expect((await get(e.port, '/only/x')).body.toString()).toBe('https:/only/x');
  });

  it('match-viewer: HTTP viewers reach the HTTP port, HTTPS viewers (HTTP/2 too) the HTTPS port', async () => {
    const e = await edgeWith(
      { url: `http://127.0.0.1:${httpPort}`, originProtocolPolicy: 'match-viewer', httpsPort, tlsVerify: false },
      true,
    );
    expect((await get(e.port, '/mv/plain')).body.toString()).toBe('http:/mv/plain');
    const { stdout } = await run('curl', ['-sS', '-k', '--http2', `https://127.0.0.1:${e.httpsPort}/mv/tls`], { encoding: 'utf8' });
    expect(stdout).toBe('https:/mv/tls');
    expect(seen.find((s) => s.path === '/mv/tls')!.host).toBe(`127.0.0.1:${httpsPort}`);
    expect(seen.find((s) => s.path === '/mv/plain')!.host).toBe(`127.0.0.1:${httpPort}`);
  });
});
