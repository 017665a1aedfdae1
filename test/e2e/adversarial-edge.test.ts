// Adversarial suite for the edge's trust boundary, against the real server (RTMP ingest, ffmpeg
// packaging, the origin that decodes paths, the edge in front): seeded and bounded in count and
// time. Percent-encoding and case variants against every behaviour, the signature check and the
// cache key; header floods and Host variants. A failure prints the seed to replay it.
import net from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { segmentUrl, waitForSegments } from '../helpers/hls-live.js';
import { createRandom, seedHint, type Random } from '../helpers/random.js';
import { loopbackConfig } from '../helpers/server-process.js';

const DOMAIN = 'd2222222abcdef8.cloudfront.net';
const KEY_ID = 'APKAADVERSARY001';
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const rnd: Random = createRandom();
const hint = seedHint(rnd.seed);
/** Wall-clock budget of each fuzz loop. */
const BUDGET_MS = 15_000;

let work: string;
let server: RunningServer;
const pubs: Publisher[] = [];

interface Raw {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request on its own connection, bytes exactly as given; status 0 = closed without an answer. */
function raw(port: number, request: string, timeoutMs = 5000): Promise<Raw> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: m ? Number(m[1]) : 0, headers, body: end < 0 ? '' : text.slice(end + 4) });
    };
    const timer = setTimeout(finish, timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', finish);
    s.on('error', finish);
    s.write(request);
  });
}

const edgeGet = (target: string, extra = '', host = DOMAIN) =>
  raw(server.ports.edge, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`);

/** A random spelling of `p` that canonicalPath() folds back into it: some unreserved characters escaped, in either case. */
function variant(p: string): string {
  let out = '';
  for (const ch of p) {
    if (/[A-Za-z0-9\-._~]/.test(ch) && rnd.next() < 0.3) {
      const hex = ch.charCodeAt(0).toString(16).padStart(2, '0');
      out += `%${rnd.next() < 0.5 ? hex.toUpperCase() : hex.toLowerCase()}`;
    } else out += ch;
  }
  return out === p ? variant(p) : out;
}

async function loop(count: number, body: (i: number) => Promise<void>): Promise<number> {
  const t0 = Date.now();
  let i = 0;
  for (; i < count && Date.now() - t0 < BUDGET_MS; i++) await body(i);
  return i;
}

let privateSegment: string;
let openSegment: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-adversarial-'));
  const config = await loopbackConfig(path.join(work, 'data'), {
    originPort: await freePort(),
    edgePort: await freePort(),
    edge: {
      logs: { enabled: false },
      keyPairs: [{ id: KEY_ID, publicKey: keys.publicKey, signer: 'self' }],
      distributions: [
        {
          domainName: DOMAIN,
          aliases: ['video.example.com'],
          behaviors: [
            { pathPattern: '/private/*', trustedSigners: ['self'] },
            { pathPattern: '*.m3u8', forwardQueryString: true },
            { pathPattern: '/live/*.ts' },
          ],
        },
      ],
    },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  pubs.push(await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/private/talk`));
  pubs.push(await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/open`));
  const privUrl = `http://127.0.0.1:${server.ports.origin}/private/talk/playlist.m3u8`;
  const openUrl = `http://127.0.0.1:${server.ports.origin}/live/open/playlist.m3u8`;
  privateSegment = new URL(segmentUrl(privUrl, (await waitForSegments(privUrl, 1, 30_000)).segments[0]!.uri)).pathname;
  openSegment = new URL(segmentUrl(openUrl, (await waitForSegments(openUrl, 1, 30_000)).segments[0]!.uri)).pathname;
}, 90_000);

afterAll(async () => {
  await Promise.all(pubs.map((p) => p.stop()));
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe(`adversarial edge (${hint})`, () => {
  it('the origin really serves the private stream to anyone who reaches it (what the edge must guard)', async () => {
    const r = await raw(
      server.ports.origin,
      `GET ${variant('/private/talk/playlist.m3u8')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(r.status, 'the origin decodes the path, so only the edge stands between').toBe(200);
  });

  it('no encoding or case variant of a signed behaviour is served unsigned (playlist and segments)', async () => {
    const leaks: string[] = [];
    const n = await loop(300, async (i) => {
      const target = variant(i % 2 ? privateSegment : '/private/talk/playlist.m3u8');
      const host = rnd.pick([DOMAIN, 'video.example.com', 'unknown.example', `127.0.0.1:${server.ports.edge}`]);
      const r = await edgeGet(target, '', host);
      if (r.status !== 403) leaks.push(`${target} (Host ${host}) → ${r.status}`);
    });
    expect(n).toBeGreaterThan(20);
    expect(leaks, hint).toEqual([]);
  });

  it('a case change is another path (EDGE-05): it never reaches the signed content either', async () => {
    const r = await edgeGet('/Private/talk/playlist.m3u8');
    expect(r.body.includes('#EXTM3U'), `${hint}: /Private/ answered ${r.status}`).toBe(false);
  });

  it('a valid signed URL works in every encoding, and no mutation of it does', async () => {
    const signed = new URL(
      getSignedUrl({
        url: `http://${DOMAIN}/private/talk/playlist.m3u8`,
        keyPairId: KEY_ID,
        privateKey: keys.privateKey,
        dateLessThan: new Date(Date.now() + 600_000),
      }),
    );
    const q = signed.search;
    expect((await edgeGet(`/private/talk/playlist.m3u8${q}`)).status, hint).toBe(200);
    const wrong: string[] = [];
    await loop(60, async () => {
      const r = await edgeGet(`${variant('/private/talk/playlist.m3u8')}${q}`);
      if (r.status !== 200) wrong.push(`encoded variant → ${r.status}`);
    });
    const sig = /Signature=([^&]+)/.exec(q)![1]!;
    // Characters a request line can carry that are outside CloudFront's alphabet (a raw space would
    // end the request target and leave the signature intact).
    const junk = "!@$*()+/=,;:'";
    await loop(150, async () => {
      let m: string;
      switch (rnd.int(0, 4)) {
        case 0:
          m = q.replace(sig, sig + rnd.string(rnd.int(1, 3), junk));
          break;
        case 1: {
          const i = rnd.int(0, sig.length - 3);
          const c = sig[i]!;
          m = q.replace(sig, sig.slice(0, i) + (c === 'A' ? 'B' : 'A') + sig.slice(i + 1));
          break;
        }
        case 2:
          m = `${q}&Signature=${sig}`;
          break;
        case 3:
          m =
            q.replace(sig, sig.replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '=')) +
            (sig.includes('-') || sig.includes('~') ? '' : '!');
          break;
        default:
          m = q.replace('/private', '');
          m = m.replace(sig, `${sig}AAAA`);
      }
      if (m === q) return;
      const path = rnd.pick(['/private/talk/playlist.m3u8', privateSegment, '/private/other/playlist.m3u8']);
      const r = await edgeGet(`${path}${m}`, '', rnd.pick([DOMAIN, `${DOMAIN}/private/talk/x`, 'unknown.example']));
      if (r.status === 200) wrong.push(`${path}${m} → 200 (original ${q})`);
    });
    expect(wrong, hint).toEqual([]);
  });

  it('encoding variants are one cache key: the origin is asked once for a segment however it is spelled', async () => {
    const first = await edgeGet(openSegment);
    expect(first.status).toBe(200);
    const misses: string[] = [];
    await loop(150, async () => {
      const target = variant(openSegment);
      const query = rnd.next() < 0.3 ? `?${rnd.string(4)}=${rnd.string(6)}` : '';
      const extra = rnd.next() < 0.3 ? `Cache-Control: no-cache\r\nPragma: no-cache\r\n` : '';
      const r = await edgeGet(target + query, extra);
      if (r.headers['x-cache'] !== 'Hit from cloudfront') misses.push(`${target}${query} → ${r.status} ${r.headers['x-cache']}`);
      if (r.body.length !== first.body.length) misses.push(`${target}: body ${r.body.length} ≠ ${first.body.length}`);
    });
    expect(misses, hint).toEqual([]);
  });

  it('header floods and oversized requests are refused at intake; every viewer keeps getting the real playlist', async () => {
    const odd: string[] = [];
    await loop(25, async () => {
      const count = rnd.int(101, 3000);
      let flood = '';
      for (let i = 0; i < count; i++) flood += `X-${rnd.string(rnd.int(1, 12))}: ${rnd.string(rnd.int(0, 20))}\r\n`;
      const hostFirst = rnd.next() < 0.5;
      const req = `GET /live/open/playlist.m3u8 HTTP/1.1\r\n${hostFirst ? `Host: ${DOMAIN}\r\n` : ''}${flood}${hostFirst ? '' : `Host: ${DOMAIN}\r\n`}Connection: close\r\n\r\n`;
      const r = await raw(server.ports.edge, req);
      if (![0, 400, 413, 414, 431].includes(r.status)) odd.push(`${count} headers → ${r.status}`);
      const ok = await edgeGet('/live/open/playlist.m3u8');
      if (ok.status !== 200 || !ok.body.startsWith('#EXTM3U')) odd.push(`after a flood of ${count}: ${ok.status} ${ok.body.slice(0, 40)}`);
    });
    expect(odd, hint).toEqual([]);
  });

  it('Host variants: anything but host[:port] is a 400; duplicates too; valid names still work', async () => {
    const odd: string[] = [];
    await loop(120, async () => {
      const bad = rnd.pick([
        `${DOMAIN}${rnd.pick(['/', '?', '#', '\\', '@', ' ', ',', '%2F'])}${rnd.string(rnd.int(1, 8))}`, // (a trailing space alone is OWS, trimmed)
        `${rnd.string(3)}@${DOMAIN}`,
        `${DOMAIN}:${rnd.int(65536, 999999)}`,
        `${DOMAIN}:${rnd.string(2)}x`, // never all digits (a 3-digit string would be a valid port)
        `[${rnd.string(4, 'xyz')}]`,
      ]);
      const r = await edgeGet('/live/open/playlist.m3u8', '', bad);
      if (r.status !== 400) odd.push(`Host ${JSON.stringify(bad)} → ${r.status}`);
    });
    const dup = await raw(
      server.ports.edge,
      `GET /live/open/playlist.m3u8 HTTP/1.1\r\nHost: ${DOMAIN}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
    );
    if (dup.status !== 400) odd.push(`duplicate Host → ${dup.status}`);
    for (const good of [DOMAIN, `${DOMAIN.toUpperCase()}:8000`, 'video.example.com', 'other.example', `127.0.0.1:${server.ports.edge}`]) {
      const r = await edgeGet('/live/open/playlist.m3u8', '', good);
      if (r.status !== 200) odd.push(`Host ${good} → ${r.status}`);
    }
    expect(odd, hint).toEqual([]);
  });

  it('headers that would steer the origin never change what the next viewer gets', async () => {
    const steer = [
      'X-Forwarded-Host: evil.example',
      'X-Original-URL: /private/talk/playlist.m3u8',
      'X-Rewrite-URL: /private/talk/playlist.m3u8',
      'Forwarded: host=evil.example',
      `X-Pad: ${'p'.repeat(2000)}`,
    ];
    const odd: string[] = [];
    await loop(40, async () => {
      const seg = openSegment;
      await edgeGet(variant(seg), `${rnd.pick(steer)}\r\n`);
      const r = await edgeGet(seg);
      if (r.status !== 200) odd.push(`${seg} → ${r.status}`);
    });
    expect(odd, hint).toEqual([]);
  });
});
