// Edge faults, with the real origin behind a switchable HTTP relay so that the test can
// take the origin away (connection refused, as when the origin process is stopped) or make it
// stall, without restarting the ingest (node-media-server allows one instance per process).
//  - origin gone while the edge holds cached objects: stale copies are served (SPEC ERR-04),
//    uncached objects get 502/504 with `X-Cache: Error from cloudfront` (ERR-03, §9.16), the access
//    log and the stats record `Error`, and the edge recovers by itself when the origin returns;
//  - origin stalls beyond the response timeout: 3 attempts (ORG-02), then 504, and no socket to
//    the origin is left open; a body that stalls midway is cut and not cached (ORG-07).
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { fetchPlaylist, segmentUrl, waitForSegments, waitForSeqBeyond } from '../helpers/hls-live.js';
import { loopbackConfig } from '../helpers/server-process.js';
import { accessLogLines } from '../helpers/access-logs.js';

const NAME = 'edgefault';
const RESPONSE_TIMEOUT_S = 1;
const RETRIES = 2;
const ERROR_TTL_S = 2;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type RelayMode = 'up' | 'stall' | 'stall-body';

/** HTTP relay in front of the origin: forwards, stalls, or is switched off (connection refused). */
class OriginRelay {
  mode: RelayMode = 'up';
  readonly requests = new Map<string, number>();
  private server?: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly agent = new http.Agent({ keepAlive: true });
  constructor(
    readonly port: number,
    private readonly originPort: number,
  ) {}

  openSockets(): number {
    return [...this.sockets].filter((s) => !s.destroyed).length;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.requests.set(req.url ?? '', (this.requests.get(req.url ?? '') ?? 0) + 1);
      if (this.mode === 'stall') return; // never answer
      const up = http.request(
        { host: '127.0.0.1', port: this.originPort, path: req.url, method: req.method, headers: req.headers, agent: this.agent },
        (upRes) => {
          if (this.mode === 'stall-body') {
            // Headers and a first piece of the body, then silence.
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.once('data', (d: Buffer) => res.write(d.subarray(0, Math.min(d.length, 1000))));
            upRes.resume();
            return;
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Like stopping the origin process: the port refuses connections, open ones are reset. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.stop();
    this.agent.destroy();
  }
}

let work: string;
let origin: RunningServer;
let edge: RunningServer;
let relay: OriginRelay;
let pub: Publisher;
let logDir: string;

const originPl = (): string => `http://127.0.0.1:${origin.ports.origin}/live/${NAME}/playlist.m3u8`;
const edgeBase = (): string => `http://127.0.0.1:${edge.ports.edge}`;

async function edgeGet(p: string): Promise<{ status: number; xcache: string; body: Buffer; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(edgeBase() + p, { signal: AbortSignal.timeout(20_000) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, xcache: res.headers.get('x-cache') ?? '', body, ms: Date.now() - t0 };
}

function accessLogFields(): string[][] {
  return accessLogLines(logDir, { skipIncomplete: true }).map((l) => l.split('\t'));
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-faults-edge-'));
  logDir = path.join(work, 'edge-logs');
  origin = await startServer({
    config: await loopbackConfig(path.join(work, 'origin'), {
      originPort: await freePort(),
      edgePort: await freePort(),
    }),
    log: silentLogger(),
    roles: { ingest: true, origin: true, edge: false },
  });
  relay = new OriginRelay(await freePort(), origin.ports.origin);
  await relay.start();
  const errorTtl = Object.fromEntries([500, 502, 503, 504].map((c) => [String(c), ERROR_TTL_S]));
  edge = await startServer({
    config: await loopbackConfig(path.join(work, 'edge'), {
      originPort: await freePort(),
      edgePort: await freePort(),
      edge: {
        distributions: [
          {
            origins: [
              { id: 'origin', url: `http://127.0.0.1:${relay.port}`, responseTimeoutSeconds: RESPONSE_TIMEOUT_S, retries: RETRIES },
            ],
            errorCachingMinTtl: errorTtl,
          },
        ],
        logs: { enabled: true, dir: logDir, flushSeconds: 1 },
      },
    }),
    log: silentLogger(),
    roles: { ingest: false, origin: false, edge: true },
  });
  pub = await startPublisher(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/${NAME}`);
  await waitForSegments(originPl(), 3, 30_000);
}, 90_000);

afterAll(async () => {
  await pub?.stop();
  await edge?.close();
  await relay?.close();
  await origin?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('edge faults against the real origin', () => {
  it('origin gone: stale copies served, uncached → 502/504 Error, logged, and recovery when it returns', async () => {
    relay.mode = 'up';
    // Warm the edge: the playlist and every listed segment.
    const pl = await edgeGet(`/live/${NAME}/playlist.m3u8`);
    expect(pl.status).toBe(200);
    const cachedPl = pl.body.toString();
    const listed = (await fetchPlaylist(edgeBase() + `/live/${NAME}/playlist.m3u8`)).playlist!;
    const segPaths = listed.segments.map((s) => new URL(segmentUrl(edgeBase() + `/live/${NAME}/playlist.m3u8`, s.uri)).pathname);
    for (const p of segPaths) expect((await edgeGet(p)).status).toBe(200);
    expect((await edgeGet(segPaths[0]!)).xcache).toMatch(/^Hit from cloudfront/);

    await relay.stop();
    await sleep(2500); // the playlist's max-age=2 runs out: the edge must revalidate and cannot

    const stalePl = await edgeGet(`/live/${NAME}/playlist.m3u8`);
    expect(stalePl.status, 'expired playlist with the origin gone: the stale copy is served (ERR-04)').toBe(200);
    const staleText = stalePl.body.toString();
    expect(staleText.startsWith('#EXTM3U')).toBe(true);
    const cachedSeg = await edgeGet(segPaths.at(-1)!);
    expect(cachedSeg.status, 'a cached, still fresh segment keeps being served').toBe(200);

    // An object the edge never saw: the origin (still writing segments) has it, the edge cannot reach it.
    const fresh = await waitForSeqBeyond(originPl(), listed.lastSeq, 10_000);
    const uncachedPath = new URL(segmentUrl(originPl(), fresh.segments.at(-1)!.uri)).pathname;
    const uncached = await edgeGet(uncachedPath);
    expect([502, 504], `uncached object with the origin gone -> ${uncached.status}`).toContain(uncached.status);
    expect(uncached.xcache).toMatch(/^Error from cloudfront/);

    // Stats and the access log mark it `Error` (LOG-04 x-edge-result-type).
    const stats = (await (await fetch(`${edgeBase()}/_edge/stats`)).json()) as unknown;
    expect(JSON.stringify(stats)).toMatch(/"Error":[1-9]/);
    let errorLine: string[] | undefined;
    for (let i = 0; i < 30 && !errorLine; i++) {
      await sleep(200);
      errorLine = accessLogFields().find((f) => f[7] === uncachedPath && f[13] === 'Error');
    }
    expect(errorLine, `no access-log line with x-edge-result-type Error for ${uncachedPath}`).toBeDefined();
    expect(['502', '504']).toContain(errorLine![8]);

    // The origin returns: within the error-caching TTL (+ a poll) everything is fresh again.
    await relay.start();
    const backBy = Date.now() + (ERROR_TTL_S + 8) * 1000;
    let recovered = false;
    while (Date.now() < backBy && !recovered) {
      const p = await edgeGet(`/live/${NAME}/playlist.m3u8`);
      const seg = await edgeGet(uncachedPath);
      recovered = p.status === 200 && p.body.toString() !== cachedPl && seg.status === 200;
      if (!recovered) await sleep(500);
    }
    expect(recovered, 'the edge did not recover after the origin came back').toBe(true);
  });

  it('origin stalls: 3 attempts (ORG-02), then 504, no socket to the origin left open', async () => {
    relay.mode = 'stall';
    try {
      const p = `/live/${NAME}/stall-probe-${Date.now()}.ts`;
      const r = await edgeGet(p);
      expect(r.status).toBe(504);
      expect(r.xcache).toMatch(/^Error from cloudfront/);
      const attempts = relay.requests.get(p) ?? 0;
      expect(attempts, 'attempts to the origin (1 + retries)').toBe(RETRIES + 1);
      const budget = (RETRIES + 1) * RESPONSE_TIMEOUT_S * 1000;
      expect(r.ms).toBeGreaterThanOrEqual(budget - 200);
      expect(r.ms).toBeLessThan(budget + 3000);
      let open = relay.openSockets();
      for (let i = 0; i < 20 && open > 0; i++) {
        await sleep(100);
        open = relay.openSockets();
      }
      expect(open, 'sockets from the edge to the stalled origin still open after the 504').toBe(0);
    } finally {
      relay.mode = 'up';
    }
  });

  it('a body that stalls midway is cut off for the viewer and not cached (ORG-07)', async () => {
    const now = await waitForSeqBeyond(originPl(), (await fetchPlaylist(originPl())).playlist!.lastSeq, 10_000);
    const segPath = new URL(segmentUrl(originPl(), now.segments.at(-1)!.uri)).pathname;
    const full = Buffer.from(await (await fetch(`http://127.0.0.1:${origin.ports.origin}${segPath}`)).arrayBuffer());
    relay.mode = 'stall-body';
    let cut: { status: number; bytes: number; error?: string };
    try {
      const t0 = Date.now();
      try {
        const res = await fetch(edgeBase() + segPath, { signal: AbortSignal.timeout(20_000) });
        const body = Buffer.from(await res.arrayBuffer());
        cut = { status: res.status, bytes: body.length };
      } catch (err) {
        cut = { status: -1, bytes: 0, error: String((err as Error).cause ?? err) };
      }
      expect(Date.now() - t0, 'the viewer was held far beyond the origin timeout').toBeLessThan(
        (RETRIES + 1) * RESPONSE_TIMEOUT_S * 1000 + 5000,
      );
      if (cut.status === 200) expect(cut.bytes, 'a truncated body was passed off as complete').toBe(full.length);
    } finally {
      relay.mode = 'up';
    }
    await sleep(ERROR_TTL_S * 1000 + 200);
    const again = await edgeGet(segPath);
    expect(again.status).toBe(200);
    expect(again.body.length, 'the truncated copy was cached').toBe(full.length);
  });
});
