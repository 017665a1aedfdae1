// Two origin processes (node-media-server is one per process, N5) writing into one bucket (s3rver,
// one prefix), each owning the stream published to it.
// Each serves its DVR window from the bucket. When one restarts and its stream is published again,
// the DVR objects of that stream's earlier run (TS and CMAF) are swept from the bucket, and the other
// origin's stream is not touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Store } from '../../src/storage/s3-store.js';
import { dvrRunOfKey, dvrStreamPrefix, isHlsSegmentName } from '../../src/timeline/output-layout.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { s3StorageConfig, s3StoreFor, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const PREFIX = 'fleet';
const SEGMENT = 2;
const LIVE_EDGE = 3;
const ALPHA = { app: 'live', name: 'alpha' };
const BETA = { app: 'live', name: 'beta' };

interface Origin {
  dataDir: string;
  server: ServerProcess;
  publisher: Publisher;
  url: string;
}

let s3: TestS3;
let bucket: S3Store;
const dirs: string[] = [];
const running: Origin[] = [];

async function startOrigin(dataDir: string, stream: string): Promise<Origin> {
  const configFile = path.join(dataDir, '..', `${path.basename(dataDir)}.json`);
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      packager: { cleanupDelaySeconds: 300, segmentSeconds: SEGMENT, dvrWindowSeconds: 12, dvrMemorySegments: LIVE_EDGE },
      storage: s3StorageConfig(s3, PREFIX),
    }),
  );
  const server = await startServerProcess({ command: 'start', dataDir, logLevel: 'warn', extraArgs: ['--config', configFile] });
  const publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/${stream}`);
  const o = { dataDir, server, publisher, url: `http://127.0.0.1:${server.ports.origin}` };
  running.push(o);
  return o;
}

/** A graceful stop (SIGTERM: ffmpeg finishes, nothing is deleted from the bucket), then the helper's clean-up. */
async function stopOrigin(o: Origin): Promise<void> {
  running.splice(running.indexOf(o), 1);
  await o.publisher.stop();
  if (o.server.running()) {
    o.server.child.kill('SIGTERM');
    await Promise.race([o.server.exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
  await o.server.cleanup();
}

beforeAll(async () => {
  s3 = await startS3rver('fleet');
  bucket = s3StoreFor(s3, PREFIX);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-dvr-sweep-'));
  dirs.push(root);
  for (const name of ['a', 'b']) fs.mkdirSync(path.join(root, name));
});

afterAll(async () => {
  for (const o of [...running]) await stopOrigin(o).catch(() => undefined);
  bucket?.close();
  await s3?.dispose();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The stream's DVR objects in the bucket, by run. */
async function runsOf(key: { app: string; name: string }): Promise<Map<string, string[]>> {
  const runs = new Map<string, string[]>();
  for await (const o of bucket.list(dvrStreamPrefix(key))) {
    const run = dvrRunOfKey(key, o.key)!;
    runs.set(run, [...(runs.get(run) ?? []), o.key]);
  }
  return runs;
}

const tsRuns = (runs: Map<string, string[]>) => [...runs.keys()].filter((r) => r.startsWith('t'));
const cmafRuns = (runs: Map<string, string[]>) => [...runs.keys()].filter((r) => !r.startsWith('t'));

async function until(what: string, cond: () => Promise<boolean>, ms = 40_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The oldest segment the origin's TS playlist lists is not on its disk, and the origin serves it (from the bucket). */
async function expectDvrFromBucket(o: Origin, stream: string): Promise<void> {
  const text = await (await fetch(`${o.url}/live/${stream}/playlist.m3u8`)).text();
  const oldest = text.split('\n').find((l) => isHlsSegmentName(l.trim()))!;
  const local = fs.readdirSync(path.join(o.dataDir, 'streams', 'live', stream, 'hls'));
  expect(local).not.toContain(oldest);
  const res = await fetch(`${o.url}/live/${stream}/${oldest}`);
  expect(res.status).toBe(200);
  expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
}

describe('two origins, one bucket', () => {
  it('each serves its DVR from the bucket; a restart sweeps only its own stream’s earlier run', async () => {
    const [dirA, dirB] = [path.join(dirs[0]!, 'a'), path.join(dirs[0]!, 'b')];
    let a = await startOrigin(dirA, 'alpha');
    const b = await startOrigin(dirB, 'beta');
    // Both windows reach beyond their live edge: TS and CMAF objects of one run each.
    for (const [key, name] of [
      [ALPHA, 'alpha'],
      [BETA, 'beta'],
    ] as const) {
      await until(`${name}'s DVR objects`, async () => {
        const runs = await runsOf(key);
        return tsRuns(runs).length === 1 && cmafRuns(runs).length === 1 && [...runs.values()].every((k) => k.length >= 2);
      });
    }
    await expectDvrFromBucket(a, 'alpha');
    await expectDvrFromBucket(b, 'beta');
    const alphaBefore = await runsOf(ALPHA);
    const betaRuns = [...(await runsOf(BETA)).keys()].sort();

    // Origin A stops (its objects stay: nothing deletes them at a shutdown) and starts again.
    await stopOrigin(a);
    expect([...(await runsOf(ALPHA)).keys()].sort()).toEqual([...alphaBefore.keys()].sort());
    a = await startOrigin(dirA, 'alpha');
    await until('the earlier alpha run to be swept, the new one written', async () => {
      const runs = await runsOf(ALPHA);
      const old = [...alphaBefore.keys()].some((r) => runs.has(r));
      return !old && tsRuns(runs).length === 1 && (runs.get(tsRuns(runs)[0]!)?.length ?? 0) >= 2;
    });
    // Beta's run is the one it had, and still in the bucket.
    const betaNow = await runsOf(BETA);
    expect([...betaNow.keys()].sort()).toEqual(betaRuns);
    expect([...betaNow.values()].every((k) => k.length >= 1)).toBe(true);
    await expectDvrFromBucket(a, 'alpha');
    await expectDvrFromBucket(b, 'beta');
  }, 150_000);
});
