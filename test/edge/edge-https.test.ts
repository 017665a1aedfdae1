// Integration: the edge's HTTPS listener (SPEC TLS-01/02) with real clients: curl over HTTP/2 and
// HTTP/1.1, a node:http2 client that verifies the self-signed certificate by its names, the
// TLS-01 redirect and 403s, cs-protocol in the access log, certificate files kept across restarts,
// configured and SNI certificates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import http2 from 'node:http2';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { generateKeyPairSync } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { startTestOrigin, startTestEdge, get, type TestOrigin } from './test-origin.js';
import { freePort } from '../helpers/ports.js';
import { startServerProcess } from '../helpers/server-process.js';
import type { EdgeInternals } from '../../src/edge/index.js';
import { LOG_FIELDS } from '../../src/edge/access-log.js';
import { accessLogLines } from '../helpers/access-logs.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'streamfront-edge-https-'));
let origin: TestOrigin;
let edge: EdgeInternals;

const BEHAVIOURS = [
  { pathPattern: '/r/*', viewerProtocolPolicy: 'redirect-to-https', allowedMethods: 'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE' },
  { pathPattern: '/s/*', viewerProtocolPolicy: 'https-only' },
  { pathPattern: '/hh/*', headers: { forward: 'whitelist', whitelist: ['Host'] } },
];

async function curl(args: string[]): Promise<{ status: number; version: string; headers: Record<string, string>; body: string }> {
  let { stdout } = await run('curl', ['-sS', '-i', '--max-time', '10', ...args], { encoding: 'utf8' });
  // With -L every response's head is printed: keep the last one.
  let split = stdout.indexOf('\r\n\r\n');
  while (/^HTTP\/[\d.]+ 3\d\d/.test(stdout) && stdout.slice(split + 4).startsWith('HTTP/')) {
    stdout = stdout.slice(split + 4);
    split = stdout.indexOf('\r\n\r\n');
  }
  const [statusLine, ...lines] = stdout.slice(0, split).split('\r\n');
  const m = /^HTTP\/([\d.]+) (\d{3})/.exec(statusLine!)!;
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const c = l.indexOf(':');
    headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
  }
  return { version: m[1]!, status: Number(m[2]), headers, body: stdout.slice(split + 4) };
}

/** One HTTP/2 request on a session; the response headers and body. */
function h2request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
): Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (head = h));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ headers: head, body: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.end();
  });
}

function peerFingerprint(port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    const body = `${req.method} ${req.url}`;
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'max-age=60',
      Connection: 'keep-alive',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  origin.route('/r/echo', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = `${req.method} ${Buffer.concat(chunks).toString()}`;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  });
  edge = await startTestEdge(origin.url, { distributions: [{ behaviors: BEHAVIOURS }] }, join(work, 'data'), {
    edgeHttpsPort: await freePort(),
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('HTTPS listener, HTTP/2 and HTTP/1.1 by ALPN', () => {
  it('listens on the configured host only, beside the HTTP port', () => {
    expect(edge.httpsPort).toBeGreaterThan(0);
    expect(edge.httpsPort).not.toBe(edge.port);
    // Listening sockets on that port, from the kernel's table: local address 127.0.0.1 only.
    const hexPort = edge.httpsPort.toString(16).toUpperCase().padStart(4, '0');
    const listening = ['/proc/net/tcp', '/proc/net/tcp6']
      .flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').slice(1) : []))
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols[1]!.endsWith(`:${hexPort}`) && cols[3] === '0A')
      .map((cols) => cols[1]!.split(':')[0]);
    expect(listening).toEqual(['0100007F']);
  });

  it('curl --http2 -k gets HTTP/2 with no connection-specific headers; HTTP and HTTPS share one cache entry', async () => {
    const first = await curl(['--http2', '-k', `https://127.0.0.1:${edge.httpsPort}/shared.txt`]);
    expect(first.version).toBe('2');
    expect(first.status).toBe(200);
    expect(first.body).toBe('GET /shared.txt');
    expect(first.headers['x-cache']).toBe('Miss from cloudfront');
    for (const h of ['connection', 'keep-alive', 'transfer-encoding']) expect(first.headers[h]).toBeUndefined();
    const overHttp = await get(edge.port, '/shared.txt');
    expect(overHttp.headers['x-cache']).toBe('Hit from cloudfront');
    const over11 = await curl(['--http1.1', '-k', `https://127.0.0.1:${edge.httpsPort}/shared.txt`]);
    expect(over11.version).toBe('1.1');
    expect(over11.headers['x-cache']).toBe('Hit from cloudfront');
    expect(origin.count('/shared.txt')).toBe(1);
  });

  it('a node:http2 client verifies the self-signed certificate for 127.0.0.1 and localhost and multiplexes requests', async () => {
    const ca = readFileSync(join(work, 'data', 'edge-tls', 'self-signed-cert.pem'));
    for (const host of ['127.0.0.1', 'localhost']) {
      const session = http2.connect(`https://${host}:${edge.httpsPort}`, { ca });
      try {
        const answers = await Promise.all(
          [1, 2, 3, 4].map((i) => h2request(session, { ':method': 'GET', ':path': `/h2/${host}/${i}.txt`, 'accept-encoding': 'identity' })),
        );
        answers.forEach((a, i) => {
          expect(a.headers[':status']).toBe(200);
          expect(a.body.toString()).toBe(`GET /h2/${host}/${i + 1}.txt`);
          expect(a.headers['via']).toMatch(/cloudfront\.net \(CloudFront\)$/);
        });
        const head = await h2request(session, { ':method': 'HEAD', ':path': `/h2/${host}/1.txt` });
        expect(head.headers[':status']).toBe(200);
        expect(head.headers['x-cache']).toBe('Hit from cloudfront');
        expect(head.body.length).toBe(0);
      } finally {
        session.close();
      }
    }
    // The origin never sees HTTP/2 pseudo-headers as header fields.
    for (const r of origin.requests) expect(Object.keys(r.headers).some((n) => n.startsWith(':'))).toBe(false);
  });

  it('HTTP/2 :authority is the Host: forwarded when Host is whitelisted; a contradicting Host field is a 400', async () => {
    const session = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    try {
      const ok = await h2request(session, { ':method': 'GET', ':path': '/hh/a.txt' });
      expect(ok.headers[':status']).toBe(200);
      expect(origin.requests.find((r) => r.url === '/hh/a.txt')!.headers.host).toBe(`127.0.0.1:${edge.httpsPort}`);
      const bad = await h2request(session, {
        ':method': 'GET',
        ':path': '/hh/b.txt',
        ':authority': `127.0.0.1:${edge.httpsPort}`,
        host: 'other.example',
      });
      expect(bad.headers[':status']).toBe(400);
      expect(origin.count('/hh/b.txt')).toBe(0);
    } finally {
      session.close();
    }
  });

  it('an HTTP/2 request body without Content-Length reaches the origin whole', async () => {
    const session = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/r/echo' });
        let status = 0;
        let body = '';
        req.on('response', (h) => (status = Number(h[':status'])));
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.write('part one, ');
        setTimeout(() => req.end('part two'), 50);
      });
      expect(answer).toEqual({ status: 200, body: 'POST part one, part two' });
    } finally {
      session.close();
    }
  });

  it('an edge error that closes an HTTP/1.1 connection (413) is a plain 413 stream on HTTP/2', async () => {
    const session = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    try {
      const big = await h2request(session, { ':method': 'GET', ':path': '/big', 'x-filler': 'a'.repeat(25_000) });
      expect(big.headers[':status']).toBe(413);
      expect(big.headers['connection']).toBeUndefined();
      const after = await h2request(session, { ':method': 'GET', ':path': '/after-413.txt' });
      expect(after.headers[':status']).toBe(200); // the session survives
    } finally {
      session.close();
    }
  });
});

describe('ORG-03 limits over HTTPS/1.1 are those of the HTTP listener', () => {
  it.each([25_000, 60_000])('a %i-byte header gets what the HTTP listener answers (413/414), not Node’s 431', async (size) => {
    const args = ['-H', `X-Filler: ${'a'.repeat(size)}`];
    const overTls = await curl(['-k', '--http1.1', ...args, `https://127.0.0.1:${edge.httpsPort}/limits.txt`]);
    const plain = await curl([...args, `http://127.0.0.1:${edge.port}/limits.txt`]);
    expect([413, 414]).toContain(overTls.status);
    expect([413, 414]).toContain(plain.status);
  });
});

describe('TLS-01 viewer protocol policy', () => {
  it('redirect-to-https: GET and HEAD over HTTP get 301 to the HTTPS port, same host, path and query', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await get(edge.port, '/r/a.m3u8?x=1&y=%20', { Host: 'cdn.example.com:8000' }, method);
      expect(r.status).toBe(301);
      expect(r.headers.location).toBe(`https://cdn.example.com:${edge.httpsPort}/r/a.m3u8?x=1&y=%20`);
    }
    expect(origin.count('/r/a.m3u8')).toBe(0);
  });

  it('redirect-to-https: the Location works with curl -L, which then gets the object over HTTPS', async () => {
    const r = await curl(['-k', '-L', '--http2', `http://127.0.0.1:${edge.port}/r/follow.txt?q=2`]);
    expect(r.status).toBe(200);
    expect(r.version).toBe('2');
    expect(r.body).toBe('GET /r/follow.txt');
  });

  it('redirect-to-https: other methods over HTTP get 403; over HTTPS they reach the origin', async () => {
    for (const method of ['POST', 'PUT', 'PATCH']) expect((await get(edge.port, '/r/form', {}, method, 'a=1')).status).toBe(403);
    for (const method of ['DELETE', 'OPTIONS']) expect((await get(edge.port, '/r/form', {}, method)).status).toBe(403);
    expect(origin.count('/r/form')).toBe(0);
    const overTls = await curl(['-k', '--http2', '-X', 'POST', '-d', 'a=1', `https://127.0.0.1:${edge.httpsPort}/r/form`]);
    expect(overTls.status).toBe(200);
    expect(overTls.body).toBe('POST /r/form');
  });

  it('https-only: 403 over HTTP, served over HTTPS', async () => {
    const plain = await get(edge.port, '/s/secret.txt');
    expect(plain.status).toBe(403);
    expect(plain.headers['x-cache']).toBe('Error from cloudfront');
    expect(origin.count('/s/secret.txt')).toBe(0);
    const overTls = await curl(['-k', '--http2', `https://127.0.0.1:${edge.httpsPort}/s/secret.txt`]);
    expect(overTls.status).toBe(200);
  });

  it('cs-protocol is logged as https for TLS requests and http otherwise', async () => {
    const dataDir = join(work, 'logs');
    const e = await startTestEdge(origin.url, { logs: { enabled: true, flushSeconds: 3600 } }, dataDir, {
      edgeHttpsPort: await freePort(),
    });
    await get(e.port, '/log/plain.txt');
    await curl(['-k', '--http2', `https://127.0.0.1:${e.httpsPort}/log/tls-h2.txt`]);
    await curl(['-k', '--http1.1', `https://127.0.0.1:${e.httpsPort}/log/tls-h1.txt`]);
    await e.close();
    const dir = join(dataDir, 'edge-logs');
    const lines = accessLogLines(dir).map((l) => l.split('\t'));
    const protocolOf = (stem: string) =>
      lines.find((f) => f[LOG_FIELDS.indexOf('cs-uri-stem')] === stem)?.[LOG_FIELDS.indexOf('cs-protocol')];
    expect(protocolOf('/log/plain.txt')).toBe('http');
    expect(protocolOf('/log/tls-h2.txt')).toBe('https');
    expect(protocolOf('/log/tls-h1.txt')).toBe('https');
    const h2line = lines.find((f) => f[LOG_FIELDS.indexOf('cs-uri-stem')] === '/log/tls-h2.txt')!;
    expect(Number(h2line[LOG_FIELDS.indexOf('sc-bytes')])).toBeGreaterThan(0);
    expect(h2line[LOG_FIELDS.indexOf('sc-status')]).toBe('200');
  });
});

describe('TLS-01 redirects as CloudFront logs them', () => {
  it('a redirect-to-https 301 says X-Cache Redirect and is logged and counted as Redirect, not Miss; its 403 is an Error', async () => {
    const dataDir = join(work, 'redirect-logs');
    const e = await startTestEdge(
      origin.url,
      { logs: { enabled: true, flushSeconds: 3600 }, distributions: [{ behaviors: BEHAVIOURS }] },
      dataDir,
      { edgeHttpsPort: await freePort() },
    );
    const r = await get(e.port, '/r/logged.m3u8?a=1');
    expect(r.status).toBe(301);
    expect(r.headers['x-cache']).toBe('Redirect from cloudfront');
    expect((await get(e.port, '/r/posted', {}, 'POST', 'a=1')).status).toBe(403);
    const results = e.server.records.values().next().value!.stats.snapshot().results;
    await e.close();
    expect(results).toMatchObject({ Redirect: 1, Miss: 0, Error: 1 });
    const dir = join(dataDir, 'edge-logs');
    const lines = accessLogLines(dir).map((l) => l.split('\t'));
    const field = (stem: string, name: (typeof LOG_FIELDS)[number]) =>
      lines.find((f) => f[LOG_FIELDS.indexOf('cs-uri-stem')] === stem)?.[LOG_FIELDS.indexOf(name)];
    expect(field('/r/logged.m3u8', 'sc-status')).toBe('301');
    expect(field('/r/logged.m3u8', 'x-edge-result-type')).toBe('Redirect');
    expect(field('/r/logged.m3u8', 'x-edge-response-result-type')).toBe('Redirect');
    expect(field('/r/logged.m3u8', 'x-edge-detailed-result-type')).toBe('Redirect');
    expect(field('/r/posted', 'x-edge-result-type')).toBe('Error');
  });
});

describe('signed URLs over HTTPS (SIG-01)', () => {
  it('a URL signed for https:// is accepted over HTTPS and refused over HTTP', async () => {
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const e = await startTestEdge(
      origin.url,
      {
        keyPairs: [{ id: 'APKAHTTPSTEST001', publicKey: keys.publicKey }],
        distributions: [{ defaultBehavior: { trustedSigners: ['self'] } }],
      },
      join(work, 'signed'),
      { edgeHttpsPort: await freePort() },
    );
    try {
      const sign = (url: string) =>
        getSignedUrl({
          url,
          keyPairId: 'APKAHTTPSTEST001',
          privateKey: keys.privateKey,
          dateLessThan: new Date(Date.now() + 3600_000).toISOString(),
        });
      const overTls = sign(`https://127.0.0.1:${e.httpsPort}/signed.txt`);
      expect((await curl(['-k', '--http2', overTls])).status).toBe(200);
      const query = new URL(overTls).search;
      expect((await get(e.port, `/signed.txt${query}`, { Host: `127.0.0.1:${e.httpsPort}` })).status).toBe(403);
      const overHttp = sign(`http://127.0.0.1:${e.port}/signed.txt`);
      expect((await get(e.port, `/signed.txt${new URL(overHttp).search}`)).status).toBe(200);
    } finally {
      await e.close();
    }
  });
});

describe('TLS-02 certificates', () => {
  it('the self-signed certificate is made once, kept as PEM in the data directory and reused after a restart', async () => {
    const dataDir = join(work, 'restart');
    const port = await freePort();
    const a = await startTestEdge(origin.url, {}, dataDir, { edgeHttpsPort: port });
    const first = await peerFingerprint(a.httpsPort);
    await a.close();
    const keyFile = join(dataDir, 'edge-tls', 'self-signed-key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const certPem = readFileSync(join(dataDir, 'edge-tls', 'self-signed-cert.pem'), 'utf8');
    const b = await startTestEdge(origin.url, {}, dataDir, { edgeHttpsPort: port });
    try {
      expect(await peerFingerprint(b.httpsPort)).toBe(first);
      expect(readFileSync(join(dataDir, 'edge-tls', 'self-signed-cert.pem'), 'utf8')).toBe(certPem);
    } finally {
      await b.close();
    }
    // A distribution name the kept certificate does not cover makes a new one.
    const c = await startTestEdge(origin.url, { distributions: [{ domainName: 'd2222222abcdef8.cloudfront.net' }] }, dataDir, {
      edgeHttpsPort: port,
    });
    try {
      expect(await peerFingerprint(c.httpsPort)).not.toBe(first);
    } finally {
      await c.close();
    }
  });

  it('configured cert/key and SNI certificates are served by name; a key that does not match fails the start', async () => {
    const dir = join(work, 'pems');
    const make = async (cn: string, names: string[]) => {
      return generate([{ name: 'commonName', value: cn }], {
        keySize: 2048,
        algorithm: 'sha256',
        extensions: [{ name: 'subjectAltName', altNames: names.map((n) => ({ type: 2 as const, value: n })) }],
      });
    };
    const main = await make('main.example.test', ['main.example.test']);
    const wild = await make('wild.example.test', ['*.wild.example.test']);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.crt'), main.cert);
    writeFileSync(join(dir, 'main.key'), main.private);
    writeFileSync(join(dir, 'wild.crt'), wild.cert);
    writeFileSync(join(dir, 'wild.key'), wild.private);
    const tlsCfg = {
      cert: join(dir, 'main.crt'),
      key: join(dir, 'main.key'),
      sni: [{ hosts: ['*.wild.example.test'], cert: join(dir, 'wild.crt'), key: join(dir, 'wild.key') }],
    };
    const e = await startTestEdge(origin.url, { tls: tlsCfg }, join(work, 'configured'), { edgeHttpsPort: await freePort() });
    try {
      const fpOf = (pem: string) => new X509Certificate(pem).fingerprint256;
      expect(await peerFingerprint(e.httpsPort, 'main.example.test')).toBe(fpOf(main.cert));
      expect(await peerFingerprint(e.httpsPort, 'a.wild.example.test')).toBe(fpOf(wild.cert));
      expect(await peerFingerprint(e.httpsPort, 'a.b.wild.example.test')).toBe(fpOf(main.cert)); // `*.` covers one label
      expect(existsSync(join(work, 'configured', 'edge-tls'))).toBe(false); // nothing self-signed was made
      const r = await curl([
        '--http2',
        '--cacert',
        join(dir, 'wild.crt'),
        '--resolve',
        `x.wild.example.test:${e.httpsPort}:127.0.0.1`,
        `https://x.wild.example.test:${e.httpsPort}/sni.txt`,
      ]);
      expect(r.status).toBe(200);
    } finally {
      await e.close();
    }
    await expect(
      startTestEdge(origin.url, { tls: { cert: join(dir, 'main.crt'), key: join(dir, 'wild.key') } }, join(work, 'bad'), {
        edgeHttpsPort: await freePort(),
      }),
    ).rejects.toThrow(/edge\.tls\.key does not belong to edge\.tls\.cert/);
    await expect(
      startTestEdge(origin.url, { tls: { cert: join(dir, 'missing.crt'), key: join(dir, 'main.key') } }, join(work, 'bad'), {
        edgeHttpsPort: await freePort(),
      }),
    ).rejects.toThrow(/edge\.tls\.cert: cannot read .*ENOENT/);
  });

  it('`streamfront edge --edge-https-port` serves HTTP/2 and keeps its certificate across a restart of the process', async () => {
    const dataDir = join(work, 'cli');
    const port = await freePort();
    const fingerprints: string[] = [];
    for (let i = 0; i < 2; i++) {
      const p = await startServerProcess({
        command: 'edge',
        dataDir,
        logLevel: 'info',
        extraArgs: ['--edge-https-port', String(port), '--origin', origin.url],
      });
      try {
        const deadline = Date.now() + 30_000;
        while (!p.output().includes('streamfront ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(p.output()).toContain(`"edgeHttps":"https://127.0.0.1:${port}/"`);
        expect(p.output()).toContain(i === 0 ? 'self-signed (new)' : 'self-signed (kept)');
        const r = await curl([
          '--http2',
          '--cacert',
          join(dataDir, 'edge-tls', 'self-signed-cert.pem'),
          `https://localhost:${port}/cli.txt`,
        ]);
        expect(r.version).toBe('2');
        expect(r.status).toBe(200);
        fingerprints.push(await peerFingerprint(port));
      } finally {
        await p.cleanup(); // SIGKILL: the kept files must not depend on a clean stop
      }
    }
    expect(fingerprints[1]).toBe(fingerprints[0]);
  });

  it('edgeHttpsPort 0 turns HTTPS off', async () => {
    const e = await startTestEdge(origin.url, {}, join(work, 'off'));
    try {
      expect(e.httpsPort).toBe(0);
    } finally {
      await e.close();
    }
  });
});
