// Data directory not writable or full: one stream's output directory is a full tmpfs,
// another's is a read-only mount (we run as root, where chmod would not stop a write). Outcome
// asserted: a clear error per affected stream in the log, the other stream keeps serving, the
// failing packager is restarted with back-off (not in a hot loop), and nothing crashes.
// Without mount privileges the test falls back to a regular file where the stream directory
// should be (mkdir then fails with ENOTDIR/EEXIST), which root cannot write through either.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { streamDir } from '../../src/streams/stream-key.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { ffmpegReadersOf } from '../helpers/proc.js';
import { expectAdvancing, waitForSegments } from '../helpers/hls-live.js';

let work: string;
let dataDir: string;
let server: RunningServer;
const pubs: Publisher[] = [];
const mounts: string[] = [];
const records: Array<Record<string, unknown>> = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tryMount(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    return true;
  } catch {
    return false;
  }
}

/** Victims: stream name → how its directory was made unwritable. */
const victims = new Map<string, string>();

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-faults-disk-'));
  dataDir = path.join(work, 'data');
  const full = streamDir(dataDir, { app: 'live', name: 'diskfull' });
  const ro = streamDir(dataDir, { app: 'live', name: 'readonly' });
  mkdirSync(full, { recursive: true });
  mkdirSync(ro, { recursive: true });
  victims.set('diskfull', tryMount(full, 'size=160k,mode=0755') ? 'tmpfs of 160 KiB' : 'n/a');
  victims.set('readonly', tryMount(ro, 'ro,size=64k') ? 'read-only tmpfs' : 'n/a');
  for (const [name, how] of victims) {
    if (how === 'n/a') {
      const dir = streamDir(dataDir, { app: 'live', name });
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(dir, 'not a directory');
      victims.set(name, 'a regular file in place of the stream directory');
    }
  }
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        try {
          records.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not JSON */
        }
      }
      cb();
    },
  });
  const log = pino({ level: 'info' }, sink);
  server = await startServer({
    config: defaultConfig({ host: '127.0.0.1', rtmpPort: await freePort(), originPort: await freePort(), edgePort: await freePort(), edgeHttpsPort: 0, dataDir, logLevel: 'info' }),
    log,
    roles: { ingest: true, origin: true, edge: false },
  });
}, 60_000);

afterAll(async () => {
  for (const p of pubs) await p.stop().catch(() => {});
  await server?.close();
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('unwritable and full data directories', () => {
  it('a clear error per affected stream; the healthy stream keeps serving; back-off, no crash', async () => {
    const rtmp = (n: string): string => `rtmp://127.0.0.1:${server.ports.rtmp}/live/${n}`;
    const okUrl = `http://127.0.0.1:${server.ports.origin}/live/healthy/playlist.m3u8`;
    pubs.push(await startPublisher(rtmp('healthy')));
    await waitForSegments(okUrl, 2, 30_000);
    for (const n of victims.keys()) pubs.push(await startPublisher(rtmp(n)));

    // For 15 s: the healthy stream advances, and we count packager (re)starts per victim.
    const spawned = new Map<string, Set<number>>([...victims.keys()].map((n) => [n, new Set<number>()]));
    const end = Date.now() + 15_000;
    let lastCheck = 0;
    while (Date.now() < end) {
      for (const n of victims.keys()) for (const p of ffmpegReadersOf(process.pid, rtmp(n))) spawned.get(n)!.add(p);
      if (Date.now() - lastCheck > 5000) {
        lastCheck = Date.now();
        await expectAdvancing(okUrl, 8000);
      }
      await sleep(100);
    }
    await expectAdvancing(okUrl, 8000);
    const api = await fetch(`http://127.0.0.1:${server.ports.origin}/api/streams`);
    expect(api.status).toBe(200);

    const summary: string[] = [];
    for (const [n, how] of victims) {
      const mentions = records.filter((r) => Number(r.level) >= 40 && JSON.stringify(r).includes(n));
      summary.push(`${n} (${how}): ${spawned.get(n)!.size} packager starts in 15 s; log: ${mentions.slice(0, 3).map((r) => `${r.level} ${String(r.msg)} ${JSON.stringify(r.err ?? r.error ?? r.reason ?? '').slice(0, 160)}`).join(' | ')}`);
      expect(mentions.length, `no warning/error log line names stream ${n} (${how})`).toBeGreaterThan(0);
      // "Clear" = the cause is named, not just "ffmpeg exited".
      const cause = /ENOSPC|No space left|EROFS|Read-only file system|ENOTDIR|Not a directory|EEXIST|EACCES|Permission denied/i;
      expect(mentions.some((r) => cause.test(JSON.stringify(r))), `${n} (${how}): no log line names the cause:\n${mentions.slice(0, 4).map((r) => JSON.stringify(r).slice(0, 600)).join('\n')}`).toBe(true);
      // Back-off (restartMinSeconds 0.5 doubling to 10 s): a handful of attempts, not a hot loop.
      expect(spawned.get(n)!.size, `${n}: packager restarted ${spawned.get(n)!.size} times in 15 s`).toBeLessThanOrEqual(10);
    }
    console.info(`[faults-disk]\n  ${summary.join('\n  ')}`);
    // The healthy stream's publisher is still connected.
    expect(pubs[0]!.proc.exitCode).toBeNull();
  });
});
