// Bad input over HTTP on the origin and the edge: traversal in every encoding, NUL
// bytes, overlong URLs and headers (SPEC ORG-03 at the edge), malformed Range headers (RNG-02),
// invalid signed-URL parameters (SIG-05) and bad invalidation XML (INV-06). Every answer must be
// a 4xx (or a normal answer), never a 5xx or a crash, and never the content of a file outside
// the data directory: sentinel files are planted next to the data dir and must never come back.
// Paths go out over raw sockets (`net`) so that nothing normalises them on the way.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { createRandom, seedHint } from '../helpers/random.js';
import { expectAdvancing, waitForSegments, segmentUrl } from '../helpers/hls-live.js';
import { loopbackConfig } from '../helpers/server-process.js';

const rnd = createRandom();
const LIVE = 'httpsteady';
const ADMIN_TOKEN = 'test-admin-token-0123456789';
const DIST_ID = 'EDFDVBD6EXAMPLE';
const DIST_HOST = 'd111111abcdef8.cloudfront.net';
const KEY_PAIR_ID = 'APKATESTKEY0001';
const SENTINEL = `SENTINEL-${randomBytes(12).toString('hex')}`;
/** Names an origin might map a traversal onto (fixed output file names, SPEC 2.1 families). */
const SENTINEL_FILES = [
  'sentinel.txt',
  'index.m3u8',
  'playlist.m3u8',
  'Manifest',
  'manifest',
  'index.f4m',
  'seg_00001.ts',
  'stream.json',
  'passwd',
];

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});

let work: string;
let server: RunningServer;
let pub: Publisher;
let segmentPath: string;
let segmentSize = 0;

interface RawResponse {
  status: number;
  /** The connection closed without an HTTP response. */
  closedWithoutResponse: boolean;
  headers: Record<string, string>;
  body: Buffer;
  raw: Buffer;
}

/** Sends `request` verbatim and reads until the peer closes (Connection: close) or 5 s pass. */
function rawHttp(port: number, request: Buffer | string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      const headEnd = raw.indexOf('\r\n\r\n');
      const head = (headEnd >= 0 ? raw.subarray(0, headEnd) : raw).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        status: m ? Number(m[1]) : 0,
        closedWithoutResponse: !m,
        headers,
        body: headEnd >= 0 ? raw.subarray(headEnd + 4) : Buffer.alloc(0),
        raw,
      });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
    sock.on('connect', () => sock.write(request));
  });
}

function get(port: number, target: string, headers: Record<string, string> = {}, host = '127.0.0.1'): Promise<RawResponse> {
  const lines = [
    `GET ${target} HTTP/1.1`,
    `Host: ${host}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ];
  return rawHttp(port, Buffer.from(lines.join('\r\n'), 'latin1'));
}

function ports(): Array<[string, number]> {
  return [
    ['origin', server.ports.origin],
    ['edge', server.ports.edge],
  ];
}

/** Never a 5xx, never a sentinel or a system file in the body. */
function assertSafe(what: string, r: RawResponse): void {
  const text = r.raw.toString('latin1');
  expect(text.includes(SENTINEL), `${what}: a file outside the data dir came back`).toBe(false);
  expect(/root:x:0:0:/.test(text), `${what}: /etc/passwd came back`).toBe(false);
  expect(r.status >= 500, `${what}: answered ${r.status}: ${text.slice(0, 300)}`).toBe(false);
}

async function assertStillServing(after: string): Promise<void> {
  for (const [role, port] of ports()) {
    const r = await get(port, `/live/${LIVE}/playlist.m3u8`);
    expect(r.status, `${role} after ${after}`).toBe(200);
  }
  await expectAdvancing(`http://127.0.0.1:${server.ports.origin}/live/${LIVE}/playlist.m3u8`, 8000);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-badhttp-'));
  const dataDir = path.join(work, 'data');
  mkdirSync(dataDir);
  // Sentinels next to the data dir, one level up and inside a sibling that looks like a stream tree.
  for (const dir of [work, path.join(work, 'streams'), path.join(work, 'live'), path.join(work, 'etc')]) {
    mkdirSync(dir, { recursive: true });
    for (const f of SENTINEL_FILES) writeFileSync(path.join(dir, f), `${SENTINEL}\n#EXTM3U\n`);
  }
  const config = await loopbackConfig(dataDir, {
    originPort: await freePort(),
    edgePort: await freePort(),
    edge: {
      adminToken: ADMIN_TOKEN,
      keyPairs: [{ id: KEY_PAIR_ID, publicKey, signer: 'self' }],
      distributions: [{ id: DIST_ID, domainName: DIST_HOST, behaviors: [{ pathPattern: '/private/*', trustedSigners: ['self'] }] }],
    },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  pub = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/${LIVE}`);
  const playlistUrl = `http://127.0.0.1:${server.ports.origin}/live/${LIVE}/playlist.m3u8`;
  const pl = await waitForSegments(playlistUrl, 2, 30_000);
  segmentPath = new URL(segmentUrl(playlistUrl, pl.segments[0]!.uri)).pathname;
  const seg = await fetch(`http://127.0.0.1:${server.ports.origin}${segmentPath}`);
  segmentSize = (await seg.arrayBuffer()).byteLength;
}, 120_000);

afterAll(async () => {
  await pub?.stop();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.error(`[bad-input-http] ${seedHint(rnd.seed)}`));
});

// ------------------------------------------------------------------------------- traversal

const UP = [
  '../',
  '..%2f',
  '..%2F',
  '%2e%2e/',
  '%2e%2e%2f',
  '%2E%2E%2F',
  '%252e%252e%252f',
  '..%252f',
  '..%5c',
  '..\\',
  '%2e%2e%5c',
  '.%2e/',
  '%2e./',
  '%c0%ae%c0%ae/',
  '..%c0%af',
  '..%e0%80%af',
  '..;/',
  '....//',
  './../',
  '..%00/',
  '%2e%2e%u2215',
];
const PREFIXES = [
  '/',
  '/live/',
  `/live/${LIVE}/`,
  `/live/${LIVE}/./`,
  '/hls-live/livepkgr/_definst_/ev/',
  `/${LIVE}.isml/`,
  '/live/x/QualityLevels(1)/',
  '/.//./',
  '//',
];
const SUFFIXES = ['sentinel.txt', 'index.m3u8', 'playlist.m3u8', 'Manifest', 'etc/passwd', 'stream.json'];

function traversalTargets(): string[] {
  const out = new Set<string>();
  for (const up of UP) {
    for (const prefix of PREFIXES) {
      for (const depth of [1, 3, 6, 12]) out.add(prefix + up.repeat(depth) + SUFFIXES[(depth + prefix.length) % SUFFIXES.length]!);
    }
  }
  // Absolute and odd forms.
  for (const t of [
    '/etc/passwd',
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    `/live/${LIVE}/%2fetc%2fpasswd`,
    `/live/${LIVE}/..`,
    '/live/..',
    '/..',
    '/.',
    '/\\..\\..\\sentinel.txt',
    `/live/${LIVE}\\..\\..\\..\\..\\sentinel.txt`,
    'http://127.0.0.1/../../sentinel.txt',
    '*',
    `/live/${LIVE}/playlist.m3u8/../../../../sentinel.txt`,
    `/live/${LIVE}/hls/../../../../../sentinel.txt`,
    `/live/${LIVE}.isml/manifest(format=m3u8-aapl).m3u8/../../../sentinel.txt`,
  ])
    out.add(t);
  // Seeded random mixtures of segments and encodings.
  for (let i = 0; i < 150; i++) {
    let p = rnd.pick(PREFIXES);
    for (let j = rnd.int(1, 10); j > 0; j--) p += rnd.pick([...UP, 'live/', `${LIVE}/`, './', '%2f', '%5c', '/']);
    out.add(p + rnd.pick(SUFFIXES));
  }
  return [...out];
}

describe('HTTP bad input on origin and edge', () => {
  it('path traversal in every encoding never returns a file outside the data dir, never 5xx', async () => {
    const targets = traversalTargets();
    const statuses = new Map<string, number>();
    for (const [role, port] of ports()) {
      for (const target of targets) {
        const r = await get(port, target);
        assertSafe(`${role} GET ${target}`, r);
        const k = `${role}:${r.closedWithoutResponse ? 'closed' : r.status}`;
        statuses.set(k, (statuses.get(k) ?? 0) + 1);
      }
    }
    // Helps the report say what each role answers.
    console.info(`[bad-input-http] ${targets.length} traversal targets per role: ${JSON.stringify(Object.fromEntries(statuses))}`);
    await assertStillServing('traversal attempts');
  });

  it('NUL bytes in the path (raw and encoded) get a 4xx', async () => {
    const targets = [
      `/live/${LIVE}/playlist.m3u8%00.ts`,
      `/live/${LIVE}%00/playlist.m3u8`,
      '/%00',
      `/live/${LIVE}/playlist.m3u8\u0000`,
      `/live/\u0000/../sentinel.txt`,
    ];
    for (const [role, port] of ports()) {
      for (const t of targets) {
        const r = await get(port, t);
        assertSafe(`${role} ${JSON.stringify(t)}`, r);
        if (!r.closedWithoutResponse) expect(r.status, `${role} ${JSON.stringify(t)}`).toBeGreaterThanOrEqual(400);
      }
    }
    await assertStillServing('NUL bytes');
  });

  it('edge: requests within the SPEC ORG-03 limits are served; larger ones get 413/414 or a closed connection', async () => {
    const edge = server.ports.edge;
    // Within limits: an ~8000-byte URL and an ~18000-byte request are ordinary requests.
    const longOk = await get(edge, `/live/${LIVE}/playlist.m3u8?pad=${'a'.repeat(7900)}`);
    expect(longOk.closedWithoutResponse).toBe(false);
    expect([413, 414, 431]).not.toContain(longOk.status);
    const bigHeadersOk = await get(edge, `/live/${LIVE}/playlist.m3u8`, { 'X-Pad': 'b'.repeat(18_000) });
    expect(bigHeadersOk.closedWithoutResponse, 'an 18 KB request (under 20480 bytes) was dropped').toBe(false);
    expect([413, 414, 431], `an 18 KB request (under 20480 bytes) got ${bigHeadersOk.status}`).not.toContain(bigHeadersOk.status);

    const overs: Array<[string, Promise<RawResponse>]> = [
      ['URL of 9000 bytes (> 8192)', get(edge, `/live/${LIVE}/${'c'.repeat(9000)}.ts`)],
      ['URL of 64 KiB', get(edge, `/${'d'.repeat(64 * 1024)}`)],
      ['one 30 KB header', get(edge, `/live/${LIVE}/playlist.m3u8`, { 'X-Pad': 'e'.repeat(30_000) })],
      [
        '300 headers of 100 bytes',
        get(edge, `/live/${LIVE}/playlist.m3u8`, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`X-H${i}`, 'f'.repeat(100)]))),
      ],
    ];
    const seen: string[] = [];
    const wrong: string[] = [];
    for (const [what, p] of overs) {
      const r = await p;
      assertSafe(`edge ${what}`, r);
      seen.push(`${what}: ${r.closedWithoutResponse ? 'closed' : r.status}`);
      if (!(r.closedWithoutResponse || r.status === 413 || r.status === 414)) wrong.push(`${what}: got ${r.status}`);
    }
    console.info(`[bad-input-http] edge ORG-03: ${seen.join('; ')}`);
    expect(wrong, 'SPEC ORG-03 wants 413/414 or a dropped connection').toEqual([]);
    await assertStillServing('overlong requests');
  });

  it('origin: overlong URLs and headers get a 4xx or a closed connection, never 5xx', async () => {
    const origin = server.ports.origin;
    const cases: Array<[string, Promise<RawResponse>]> = [
      ['URL of 64 KiB', get(origin, `/live/${'g'.repeat(64 * 1024)}/playlist.m3u8`)],
      ['stream name of 5000 bytes', get(origin, `/live/${'h'.repeat(5000)}/playlist.m3u8`)],
      ['one 30 KB header', get(origin, `/live/${LIVE}/playlist.m3u8`, { 'X-Pad': 'i'.repeat(30_000) })],
    ];
    for (const [what, p] of cases) {
      const r = await p;
      assertSafe(`origin ${what}`, r);
      if (!r.closedWithoutResponse) expect(r.status, `origin ${what}`).toBeGreaterThanOrEqual(400);
    }
    await assertStillServing('overlong requests to the origin');
  });

  it('malformed Range headers: 200/206/416 only; RNG-02 cases get 200 with the whole object at the edge', async () => {
    const malformed = [
      'bytes=abc',
      'bytes=',
      'bytes=-',
      'bytes=5-2',
      'bytes=--1',
      'bytes=-0',
      'items=0-1',
      'bytes=1e3-2e3',
      ' bytes = 0 - 1',
      'bytes=0-1\u0001',
      `bytes=${'0-0,'.repeat(2000)}0-0`,
      'bytes=999999999999999999999999-',
      'bytes=0-999999999999999999999999',
      `bytes=${'9'.repeat(400)}-`,
    ];
    // SPEC RNG-02: out of order, overlapping, invalid (negative) → 200 with the full object.
    const rng02 = ['bytes=300-400, 100-200', 'bytes=100-200, 150-250', 'bytes=-5--1'];
    for (const [role, port] of ports()) {
      for (const range of [...malformed, ...rng02]) {
        const r = await get(port, segmentPath, { Range: range });
        assertSafe(`${role} Range ${JSON.stringify(range.slice(0, 40))}`, r);
        if (r.closedWithoutResponse) continue; // the parser refused the header line itself
        expect([200, 206, 400, 416], `${role} Range ${JSON.stringify(range.slice(0, 40))} -> ${r.status}`).toContain(r.status);
        if (r.status === 206) {
          const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(r.headers['content-range'] ?? '');
          expect(m, `${role} 206 without a valid Content-Range for ${range}`).not.toBeNull();
          expect(r.body.length).toBe(Number(m![2]) - Number(m![1]) + 1);
        }
      }
      if (role === 'edge') {
        for (const range of rng02) {
          const r = await get(port, segmentPath, { Range: range });
          expect(r.status, `edge RNG-02 ${range}`).toBe(200);
          expect(r.body.length, `edge RNG-02 ${range}: full object`).toBe(segmentSize);
        }
      }
    }
    await assertStillServing('malformed Range headers');
  });

  it('invalid signed-URL parameters get 403 (or 400), never the object, never 5xx (SIG-05)', async () => {
    const base = `http://${DIST_HOST}/private/obj.txt`;
    const farFuture = Math.floor(Date.now() / 1000) + 3600;
    const good = getSignedUrl({ url: base, keyPairId: KEY_PAIR_ID, privateKey, dateLessThan: new Date(farFuture * 1000).toISOString() });
    const goodQuery = new URL(good).search.slice(1);
    const sig = new URLSearchParams(goodQuery).get('Signature')!;
    // Sanity: the well-signed URL passes the signature check (the object itself may be a 404).
    const ok = await get(server.ports.edge, `/private/obj.txt?${goodQuery}`, {}, DIST_HOST);
    expect(ok.status, `a correctly signed URL was refused: ${ok.raw.toString().slice(0, 300)}`).not.toBe(403);

    const b64 = (s: string): string => Buffer.from(s).toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
    const bad = [
      '',
      `Expires=${farFuture}`,
      `Expires=${farFuture}&Signature=${sig}`,
      `Expires=abc&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Expires=-1&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Expires=1e400&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Expires=${'9'.repeat(500)}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Expires=${farFuture}&Signature=%%%%&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Expires=${farFuture}&Signature=${'A'.repeat(10_000)}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Expires=${farFuture}&Signature=${sig}&Key-Pair-Id=UNKNOWNKEY`,
      `Expires=${farFuture}&Signature=${sig}&Key-Pair-Id=${'K'.repeat(5000)}`,
      `Expires=${farFuture}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}%00`,
      `Expires=${farFuture}&Expires=${farFuture + 1}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Policy=!!!notbase64&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Policy=${b64('not json')}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Policy=${b64('{"Statement":"x"}')}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Policy=${b64('{"Statement":[{"Resource":5,"Condition":{"DateLessThan":{"AWS:EpochTime":"soon"}}}]}')}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Policy=${b64('{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":99999999999},"IpAddress":{"AWS:SourceIp":"999.1.1.1/99"}}}]}')}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Policy=${b64('['.repeat(5000))}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      `Policy=${b64('x')}&Expires=${farFuture}&Signature=${sig}&Key-Pair-Id=${KEY_PAIR_ID}`,
      goodQuery.replace(/Signature=([^&])/, (_m, c: string) => `Signature=${c === 'A' ? 'B' : 'A'}`),
      goodQuery.replace(/Expires=\d+/, `Expires=${farFuture + 1}`),
    ];
    for (const q of bad) {
      const r = await get(server.ports.edge, `/private/obj.txt${q ? `?${q}` : ''}`, {}, DIST_HOST);
      assertSafe(`signed URL ${q.slice(0, 80)}`, r);
      expect([400, 403], `signed URL ${q.slice(0, 120)} -> ${r.status}`).toContain(r.status);
    }
    await assertStillServing('invalid signed URLs');
  });

  it('bad invalidation XML gets a 4xx, never 5xx; XXE is not expanded; no token → refused', async () => {
    const url = `/2014-10-21/distribution/${DIST_ID}/invalidation`;
    const post = (body: string | Buffer, token: string | null = ADMIN_TOKEN, contentType = 'text/xml'): Promise<RawResponse> => {
      const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      const head = [
        `POST ${url} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Connection: close',
        `Content-Type: ${contentType}`,
        `Content-Length: ${b.length}`,
      ];
      if (token) head.push(`Authorization: Bearer ${token}`);
      return rawHttp(server.ports.edge, Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n'), b]));
    };
    const batch = (paths: string[], quantity = paths.length, ref = `ref-${rnd.string(8)}`): string =>
      `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2014-10-21/"><Paths><Quantity>${quantity}</Quantity><Items>${paths.map((p) => `<Path>${p}</Path>`).join('')}</Items></Paths><CallerReference>${ref}</CallerReference></InvalidationBatch>`;

    // Sanity: a good batch is accepted (so the 4xx below are about the body, not the route).
    const good = await post(batch([`/live/${LIVE}/playlist.m3u8`]));
    expect(good.status, `valid invalidation: ${good.raw.toString().slice(0, 400)}`).toBe(201);
    const noToken = await post(batch(['/x']), null);
    expect([401, 403]).toContain(noToken.status);
    const wrongToken = await post(batch(['/x']), 'wrong-token-123456');
    expect([401, 403]).toContain(wrongToken.status);

    const bodies: Array<[string, string | Buffer]> = [
      ['empty body', ''],
      ['not XML', 'hello'],
      ['JSON', '{"Paths":["/x"]}'],
      ['truncated', batch(['/x']).slice(0, 80)],
      ['wrong root', '<Foo><Bar/></Foo>'],
      ['no CallerReference', '<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/x</Path></Items></Paths></InvalidationBatch>'],
      ['Quantity mismatch', batch(['/a', '/b'], 5)],
      ['Quantity not a number', batch(['/a']).replace('<Quantity>1</Quantity>', '<Quantity>many</Quantity>')],
      ['path of 5000 chars (INV-04: 4000)', batch([`/${'p'.repeat(5000)}`])],
      ['3001 paths (INV-04: 3000)', batch(Array.from({ length: 3001 }, (_, i) => `/p${i}`))],
      [
        'XXE',
        `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/&e;</Path></Items></Paths><CallerReference>xxe</CallerReference></InvalidationBatch>`,
      ],
      [
        'billion laughs',
        `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]><InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/&f;</Path></Items></Paths><CallerReference>bl</CallerReference></InvalidationBatch>`,
      ],
      ['deep nesting', `${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}`],
      ['random bytes', rnd.bytes(4096)],
      ['NUL in path', batch(['/x\u0000y'])],
    ];
    const seen: string[] = [];
    for (const [what, body] of bodies) {
      const r = await post(body);
      assertSafe(`invalidation ${what}`, r);
      seen.push(`${what}: ${r.closedWithoutResponse ? 'closed' : r.status}`);
      if (what === 'billion laughs' && r.status === 201) {
        // Acceptable only if the entities were left unexpanded (the path is the literal `/&f;`).
        expect(r.body.toString('utf8'), 'billion laughs: entities were expanded').not.toContain('aaaaaaaaaaaaaaaaaaaa');
        continue;
      }
      expect(r.closedWithoutResponse ? 0 : r.status, `invalidation ${what}: ${r.raw.toString().slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `invalidation ${what}`).toBeLessThan(500);
    }
    console.info(`[bad-input-http] invalidation: ${seen.join('; ')}`);
    await assertStillServing('bad invalidation XML');
  });
});
