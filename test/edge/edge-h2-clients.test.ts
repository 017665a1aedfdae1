// HTTPS and HTTP/2 at the edge (SPEC TLS-01/02) as clients nobody here wrote see it — openssl
// s_client, nghttp, h2load, node:http2 — and as a hostile client drives it with frames written by
// hand: connection-specific fields, an HPACK-indexed header block that is huge once decoded, more
// streams than allowed, header lists over the HTTP/1.1 limits, and a stream reset mid-response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import http2 from 'node:http2';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from './test-origin.js';
import { freePort } from '../helpers/ports.js';
import {
  answered,
  connectRawH2,
  frame,
  FRAME,
  H2_ERROR,
  indexed,
  indexedLiteral,
  literal,
  resetCode,
  statusOf,
} from '../helpers/h2-frames.js';
import type { EdgeInternals } from '../../src/edge/index.js';
import { accessLogEntries } from '../helpers/access-logs.js';
import { liveStream } from '../helpers/live-stream.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'streamfront-edge-h2-'));
const DOMAIN = 'd111111abcdef8.cloudfront.net';
let origin: TestOrigin;
/** Self-signed certificate, logs on. */
let edge: EdgeInternals;
/** Configured certificate and two SNI aliases. */
let sniEdge: EdgeInternals;
/** When the origin's slow, uncached stream was closed, and how much of it had been written. */
const slow = { closedAt: 0, written: 0, startedAt: 0 };

/** openssl s_client's report of one handshake (the peer certificate as PEM included). */
async function sClient(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} ${args.join(' ')} </dev/null 2>&1`], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return stdout;
}

async function subjectAltNames(pemText: string): Promise<string> {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pemText)![0];
  const file = join(work, `peer-${Date.now()}-${Math.random()}.pem`);
  writeFileSync(file, pem);
  const { stdout } = await run('openssl', ['x509', '-noout', '-subject', '-ext', 'subjectAltName', '-in', file], { encoding: 'utf8' });
  return stdout;
}

function h2(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
): Promise<{ status?: number; rst?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = session.request(headers);
    let status: number | undefined;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('error', (e: Error) => resolve({ status, rst: req.rstCode, error: e.message }));
    req.on('close', () => resolve({ status, rst: req.rstCode }));
    req.resume();
    req.end();
  });
}

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    const body = `${req.method} ${req.url}`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length), 'Cache-Control': 'max-age=60' });
    res.end(body);
  });
  origin.route('/slow/dropped.bin', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.write(Buffer.alloc(1024));
    const timer = setInterval(() => res.write(Buffer.alloc(1024)), 50);
    setTimeout(() => {
      clearInterval(timer);
      res.end();
    }, 3000);
    res.once('close', () => clearInterval(timer));
  });
  origin.route('/slow/uncached.bin', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' });
    slow.startedAt = Date.now();
    const chunk = Buffer.alloc(64 * 1024, 1);
    const timer = setInterval(() => {
      if (slow.written >= 400 * chunk.length) {
        clearInterval(timer);
        return void res.end();
      }
      slow.written += chunk.length;
      res.write(chunk);
    }, 20);
    res.once('close', () => {
      clearInterval(timer);
      slow.closedAt = Date.now();
    });
  });
  edge = await startTestEdge(origin.url, { logs: { enabled: true, flushSeconds: 3600 } }, join(work, 'data'), {
    edgeHttpsPort: await freePort(),
  });
  const dir = join(work, 'pems');
  mkdirSync(dir, { recursive: true });
  const make = (cn: string) =>
    generate([{ name: 'commonName', value: cn }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2 as const, value: cn }] }],
    });
  const certs = { main: await make('main.example.test'), a: await make('alias-a.example.test'), b: await make('alias-b.example.test') };
  for (const [name, c] of Object.entries(certs)) {
    writeFileSync(join(dir, `${name}.crt`), c.cert);
    writeFileSync(join(dir, `${name}.key`), c.private);
  }
  sniEdge = await startTestEdge(
    origin.url,
    {
      tls: {
        cert: join(dir, 'main.crt'),
        key: join(dir, 'main.key'),
        sni: [
          { hosts: ['alias-a.example.test'], cert: join(dir, 'a.crt'), key: join(dir, 'a.key') },
          { hosts: ['alias-b.example.test', 'www.alias-b.example.test'], cert: join(dir, 'b.crt'), key: join(dir, 'b.key') },
        ],
      },
    },
    join(work, 'sni'),
    { edgeHttpsPort: await freePort() },
  );
}, 60_000);

afterAll(async () => {
  await sniEdge?.close();
  await edge?.close();
  await origin?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('openssl s_client', () => {
  it('-alpn h2 negotiates h2, -alpn http/1.1 HTTP/1.1; only an unknown protocol is refused', async () => {
    expect(await sClient(edge.httpsPort, ['-alpn', 'h2'])).toMatch(/ALPN protocol: h2\b/);
    expect(await sClient(edge.httpsPort, ['-alpn', 'http/1.1'])).toMatch(/ALPN protocol: http\/1\.1\b/);
    // RFC 7301 §3.2: a client that offers only protocols the server does not speak gets the
    // no_application_protocol alert (a client that offers none gets HTTP/1.1).
    const refused = await sClient(edge.httpsPort, ['-alpn', 'spdy/3']).catch((e: { stdout: string }) => e.stdout);
    expect(refused).toMatch(/no application protocol/i);
    expect(await sClient(edge.httpsPort, [])).toMatch(/No ALPN negotiated/);
  });
  it('the self-signed certificate names localhost, 127.0.0.1 and the distribution’s domain name', async () => {
    for (const servername of ['localhost', DOMAIN]) {
      const sans = await subjectAltNames(await sClient(edge.httpsPort, ['-alpn', 'h2', '-servername', servername]));
      expect(sans).toContain('DNS:localhost');
      expect(sans).toContain('IP Address:127.0.0.1');
      expect(sans).toContain(`DNS:${DOMAIN}`);
    }
  });
  it.each([
    ['alias-a.example.test', 'alias-a.example.test'],
    ['alias-b.example.test', 'alias-b.example.test'],
    ['www.alias-b.example.test', 'alias-b.example.test'],
    ['ALIAS-A.example.test', 'alias-a.example.test'], // host names compare case-insensitively
    ['other.example.test', 'main.example.test'], // no SNI entry: the configured default
  ])('-servername %s gets the certificate for %s', async (servername, cn) => {
    const out = await sClient(sniEdge.httpsPort, ['-alpn', 'h2', '-servername', servername]);
    expect(out).toMatch(/ALPN protocol: h2\b/);
    expect(await subjectAltNames(out)).toContain(`CN = ${cn}`);
  });
  it('without SNI: the configured default certificate', async () => {
    expect(await subjectAltNames(await sClient(sniEdge.httpsPort, ['-alpn', 'h2', '-noservername']))).toContain('CN = main.example.test');
  });
});

describe('HTTP/2 requests real clients send', () => {
  it('nghttp: connection-specific fields make the request malformed (RFC 9113 §8.2.2): the stream is reset, the session serves on', async () => {
    for (const field of [
      'connection: close',
      'keep-alive: 5',
      'proxy-connection: keep-alive',
      'transfer-encoding: chunked',
      'upgrade: h2c',
      'te: gzip',
    ]) {
      const { stdout } = await run('nghttp', ['-nv', '-H', field, `https://127.0.0.1:${edge.httpsPort}/cs/${field.split(':')[0]}`], {
        encoding: 'utf8',
      }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
      expect(stdout, field).toMatch(/recv RST_STREAM[\s\S]*PROTOCOL_ERROR/);
      expect(stdout, field).not.toMatch(/:status: 200/);
    }
    const { stdout } = await run('nghttp', ['-nv', '-H', 'te: trailers', `https://127.0.0.1:${edge.httpsPort}/cs/te-trailers`], {
      encoding: 'utf8',
    });
    expect(stdout).toMatch(/:status: 200/); // the one TE value HTTP/2 allows
    for (const f of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te'])
      expect(origin.count(`/cs/${f}`), f).toBe(0);
  });
  it('frames by hand: a connection-specific field resets that stream only; the next stream on the session is answered', async () => {
    const c = await connectRawH2(edge.httpsPort, `127.0.0.1:${edge.httpsPort}`);
    try {
      c.get(1, '/raw/a', [literal('connection', 'close')]);
      c.get(3, '/raw/b', [literal('keep-alive', 'timeout=5')]);
      c.get(5, '/raw/c');
      await c.until((f) => answered(f, 5), 5000);
      expect(resetCode(c.frames, 1)).toBe(H2_ERROR.PROTOCOL_ERROR);
      expect(resetCode(c.frames, 3)).toBe(H2_ERROR.PROTOCOL_ERROR);
      expect(answered(c.frames, 5)).toBe(true);
      expect(origin.count('/raw/a') + origin.count('/raw/b')).toBe(0);
    } finally {
      c.close();
    }
  });
  it('Host without :authority, and :authority without Host, both route; h2load runs 400 requests on one connection, 100 at a time', async () => {
    const s = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    try {
      expect((await h2(s, { ':path': '/auth/only' })).status).toBe(200);
    } finally {
      s.close();
    }
    const c = await connectRawH2(edge.httpsPort, '');
    try {
      c.send(
        frame(
          FRAME.HEADERS,
          0x5,
          1,
          Buffer.concat([
            literal(':method', 'GET'),
            literal(':scheme', 'https'),
            literal(':path', '/host/only'),
            literal('host', 'localhost'),
          ]),
        ),
      );
      await c.until((f) => answered(f, 1) || resetCode(f, 1) !== undefined, 5000);
      expect(answered(c.frames, 1)).toBe(true);
    } finally {
      c.close();
    }
    const { stdout } = await run('h2load', ['-n', '400', '-c', '1', '-m', '100', `https://127.0.0.1:${edge.httpsPort}/h2load/x`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(stdout).toMatch(/400 succeeded, 0 failed, 0 errored/);
    expect(stdout).toMatch(/status codes: 400 2xx/);
  });
});

describe('HTTP/2 limits are those of HTTP/1.1', () => {
  it('more header lines than limits.maxHeaderCount: 431 on both, up to the count HTTP/1.1’s parser takes', async () => {
    const s = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    try {
      for (const n of [101, 150, 1000]) {
        const headers: http2.OutgoingHttpHeaders = { ':path': `/many/${n}` };
        const lines: Record<string, string> = {};
        for (let i = 0; i < n; i++) headers[`x-h${i}`] = lines[`x-h${i}`] = 'v';
        expect((await h2(s, headers)).status, `${n} over h2`).toBe(431);
        expect((await get(edge.port, `/many/${n}`, lines)).status, `${n} over HTTP/1.1`).toBe(431);
      }
      expect((await h2(s, { ':path': '/many/after' })).status).toBe(200); // the session is still usable
    } finally {
      s.close();
    }
  });
  it('a header block over limits.maxRequestBytes: 413 over h2 as over HTTP/1.1', async () => {
    const s = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    try {
      expect((await h2(s, { ':path': '/big/h2', 'x-big': 'a'.repeat(25_000) })).status).toBe(413);
      expect((await get(edge.port, '/big/h1', { 'x-big': 'a'.repeat(25_000) })).status).toBe(413);
    } finally {
      s.close();
    }
  });
  it('an HPACK-indexed block, 5 KB on the wire and 4 MB decoded, gets the 413 of an oversized header block; the session serves on', async () => {
    const c = await connectRawH2(edge.httpsPort, `127.0.0.1:${edge.httpsPort}`);
    try {
      const fields = [indexedLiteral('x-big', 'v'.repeat(4000)), ...Array.from({ length: 1000 }, () => indexed(62))];
      c.get(1, '/bomb', fields);
      c.get(3, '/bomb/after');
      await c.until((f) => answered(f, 3), 5000);
      expect(statusOf(c.frames, 1)).toBe(413); // recv's limit on the decoded block, as for HTTP/1.1
      expect(answered(c.frames, 3)).toBe(true);
      expect(origin.count('/bomb')).toBe(0);
    } finally {
      c.close();
    }
  });
  it('100 such blocks at once on one session: each is refused or answered 413, none reaches the origin, memory stays bounded', async () => {
    const c = await connectRawH2(edge.httpsPort, `127.0.0.1:${edge.httpsPort}`);
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      const ids = Array.from({ length: 100 }, (_, i) => 1 + 2 * i);
      // The first block puts the 4,000-byte field in the dynamic table; every block then names it 1,000 times.
      c.get(1, '/bombs/0', [indexedLiteral('x-big', 'v'.repeat(4000)), ...Array.from({ length: 1000 }, () => indexed(62))], true);
      for (const id of ids.slice(1))
        c.get(
          id,
          `/bombs/${id}`,
          Array.from({ length: 1000 }, () => indexed(62)),
          true,
        );
      await c.until(
        (f) => ids.every((id) => answered(f, id) || resetCode(f, id) !== undefined) || f.some((x) => x.type === FRAME.GOAWAY),
        15_000,
      );
      for (const id of ids) {
        const st = statusOf(c.frames, id);
        const rst = resetCode(c.frames, id);
        // Answered (recv's 413: later ones name the dynamic-table entry of the first, so only it is read), or refused.
        expect(answered(c.frames, id) || rst !== undefined, `stream ${id}`).toBe(true);
        if (id === 1) expect(st).toBe(413);
      }
      expect(peak - before).toBeLessThan(200e6); // 100 × 4 MB decoded would be 400 MB held at once
      expect(origin.requests.some((r) => r.url.startsWith('/bombs/'))).toBe(false);
    } finally {
      clearInterval(timer);
      c.close();
    }
  });
  it('at most 128 concurrent streams per session: the ones past it are refused (REFUSED_STREAM), the others answered', async () => {
    const c = await connectRawH2(edge.httpsPort, `127.0.0.1:${edge.httpsPort}`);
    try {
      // Each stream stays open (no END_STREAM), so all 200 would be concurrent.
      for (let i = 0; i < 200; i++) c.get(1 + 2 * i, `/streams/${i}`, [], true);
      const ids = Array.from({ length: 200 }, (_, i) => 1 + 2 * i);
      await c.until((f) => ids.every((id) => answered(f, id) || resetCode(f, id) === H2_ERROR.REFUSED_STREAM), 10_000);
      const refused = Array.from({ length: 200 }, (_, i) => 1 + 2 * i).filter((id) => resetCode(c.frames, id) === H2_ERROR.REFUSED_STREAM);
      expect(refused.length).toBe(72);
      expect(Array.from({ length: 128 }, (_, i) => 1 + 2 * i).every((id) => answered(c.frames, id))).toBe(true);
    } finally {
      c.close();
    }
  });
});

describe('RST_STREAM mid-response', () => {
  it('a viewer that drops the TLS connection mid-response: logged as ClientCommError, and the edge serves on', async () => {
    const c = await connectRawH2(edge.httpsPort, `127.0.0.1:${edge.httpsPort}`);
    c.get(1, '/slow/dropped.bin');
    await c.until((f) => f.some((x) => x.type === FRAME.DATA && x.stream === 1), 5000);
    c.close(); // no RST_STREAM, no GOAWAY: the TCP connection is gone
    await sleep(300);
    const again = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    try {
      expect((await h2(again, { ':path': '/after/drop' })).status).toBe(200);
    } finally {
      again.close();
    }
  });
  it('stops the origin transfer of an uncached object, leaks nothing, and is logged as CloudFront logs a viewer that left', async () => {
    const s = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { rejectUnauthorized: false });
    let received = 0;
    await new Promise<void>((resolve) => {
      const req = s.request({ ':path': '/slow/uncached.bin' });
      req.on('data', (d: Buffer) => {
        received += d.length;
        if (received > 256 * 1024) req.close(http2.constants.NGHTTP2_CANCEL);
      });
      req.on('close', () => resolve());
      req.on('error', () => resolve());
      req.end();
    });
    // The same session serves the next request: one stream's reset is not the session's.
    expect((await h2(s, { ':path': '/after/reset' })).status).toBe(200);
    s.close();
    for (let i = 0; i < 50 && slow.closedAt === 0; i++) await sleep(100);
    expect(slow.closedAt).toBeGreaterThan(0);
    expect(slow.closedAt - slow.startedAt).toBeLessThan(5000); // the whole transfer takes 8 s
    expect(slow.written).toBeLessThan(400 * 64 * 1024);
    expect(JSON.parse((await get(edge.port, '/_edge/stats')).body.toString()).cache.inFlight).toBe(0);
    await edge.close();
    const dir = join(work, 'data', 'edge-logs');
    const lines = accessLogEntries(dir);
    const line = lines.find((f) => f['cs-uri-stem'] === '/slow/uncached.bin')!;
    expect(line).toBeDefined();
    expect(line['sc-status']).toBe('200'); // the status line had been sent
    expect(line['x-edge-result-type']).toBe('Error');
    expect(line['x-edge-detailed-result-type']).toBe('ClientCommError');
    expect(line['cs-protocol']).toBe('https');
    expect(line['cs-protocol-version']).toBe('HTTP/2.0');
    expect(Number(line['sc-bytes'])).toBeLessThan(400 * 64 * 1024);
    const normal = lines.find((f) => f['cs-uri-stem'] === '/after/reset')!;
    expect([normal['sc-status'], normal['x-edge-result-type'], normal['x-edge-detailed-result-type']]).toEqual(['200', 'Miss', 'Miss']);
    const dropped = lines.find((f) => f['cs-uri-stem'] === '/slow/dropped.bin')!;
    expect([dropped['sc-status'], dropped['x-edge-result-type'], dropped['x-edge-detailed-result-type']]).toEqual([
      '200',
      'Error',
      'ClientCommError',
    ]);
  });
});

describe('the HTTPS URLs the origin offers when its edge has HTTPS', () => {
  it('/api/streams through the edge over HTTP/2 lists the HTTPS port and HTTPS manifest URLs; the player page has the link', async () => {
    const { startOrigin } = await import('../../src/origin/index.js');
    const { LiveRegistry } = await import('../../src/streams/registry.js');
    const { defaultConfig } = await import('../../src/config/index.js');
    const { silentLogger } = await import('../../src/log.js');
    const registry = new LiveRegistry();
    registry.add(liveStream('live', 'demo', { startedAt: new Date() }));
    let httpsPort = 0;
    const o = await startOrigin({
      config: defaultConfig({ host: '127.0.0.1', originPort: 0, dataDir: join(work, 'origin-data') }),
      registry,
      log: silentLogger(),
      rtmpPort: 19999,
      edgeHttpsPort: () => httpsPort,
    });
    const e = await startTestEdge(`http://127.0.0.1:${o.port}`, {}, join(work, 'api-edge'), { edgeHttpsPort: await freePort() });
    try {
      const before = JSON.parse((await get(o.port, '/api/streams')).body.toString());
      expect(before.https).toBeUndefined(); // no edge with HTTPS yet
      httpsPort = e.httpsPort;
      const s = http2.connect(`https://127.0.0.1:${e.httpsPort}`, { rejectUnauthorized: false });
      try {
        const body = await new Promise<string>((resolve, reject) => {
          const req = s.request({ ':path': '/api/streams' });
          let text = '';
          req.setEncoding('utf8');
          req.on('data', (d: string) => (text += d));
          req.on('end', () => resolve(text));
          req.on('error', reject);
          req.end();
        });
        const json = JSON.parse(body);
        expect(json.https.port).toBe(e.httpsPort);
        expect(json.streams[0].httpsUrls.wowza.hls).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${e.httpsPort}/live/demo/`));
        expect(json.streams[0].urls.wowza.hls).toMatch(/^http:\/\//);
      } finally {
        s.close();
      }
      const page = (await get(e.port, '/')).body.toString();
      expect(page).toContain('id="https-link"');
    } finally {
      await e.close();
      await o.close();
    }
  });
});
