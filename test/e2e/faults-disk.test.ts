// Data directory not writable or full: one stream's output directory is a full tmpfs,
// another's is a read-only mount (we run as root, where chmod would not stop a write). Outcome
// asserted: a clear error per affected stream in the log, the other stream keeps serving, the
// failing packager is restarted with back-off (not in a hot loop), and nothing crashes.
// Without mount privileges the test falls back to a regular file where the stream directory
// should be (mkdir then fails with ENOTDIR/EEXIST), which root cannot write through either.
// A third stream's directory is a tmpfs that fills up while the stream is live (with mount
// privileges only): players must never be told the stream ended (`#EXT-X-ENDLIST`, a recorded
// HDS manifest, a Smooth manifest that is no longer live), and packaging resumes once space returns.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';
import { streamDir } from '../../src/timeline/output-layout.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { ffmpegReadersOf } from '../helpers/proc.js';
import { expectAdvancing, fetchPlaylist, segmentUrl, waitForSeqBeyond, waitForSegments } from '../helpers/hls-live.js';
import { loopbackConfig } from '../helpers/server-process.js';

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
/** The stream whose disk fills while it is live (a 24 MiB tmpfs), when mounting works. */
let fillsMounted = false;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-faults-disk-'));
  dataDir = path.join(work, 'data');
  const full = streamDir(dataDir, { app: 'live', name: 'diskfull' });
  const ro = streamDir(dataDir, { app: 'live', name: 'readonly' });
  mkdirSync(full, { recursive: true });
  mkdirSync(ro, { recursive: true });
  victims.set('diskfull', tryMount(full, 'size=160k,mode=0755') ? 'tmpfs of 160 KiB' : 'n/a');
  victims.set('readonly', tryMount(ro, 'ro,size=64k') ? 'read-only tmpfs' : 'n/a');
  const fills = streamDir(dataDir, { app: 'live', name: 'fills' });
  mkdirSync(fills, { recursive: true });
  fillsMounted = tryMount(fills, 'size=24m,mode=0755');
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
    config: await loopbackConfig(dataDir, {
      originPort: await freePort(),
      edgePort: await freePort(),
      logLevel: 'info',
    }),
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
      summary.push(
        `${n} (${how}): ${spawned.get(n)!.size} packager starts in 15 s; log: ${mentions
          .slice(0, 3)
          .map((r) => `${r.level} ${String(r.msg)} ${JSON.stringify(r.err ?? r.error ?? r.reason ?? '').slice(0, 160)}`)
          .join(' | ')}`,
      );
      expect(mentions.length, `no warning/error log line names stream ${n} (${how})`).toBeGreaterThan(0);
      // "Clear" = the cause is named, not just "ffmpeg exited".
      const cause = /ENOSPC|No space left|EROFS|Read-only file system|ENOTDIR|Not a directory|EEXIST|EACCES|Permission denied/i;
      expect(
        mentions.some((r) => cause.test(JSON.stringify(r))),
        `${n} (${how}): no log line names the cause:\n${mentions
          .slice(0, 4)
          .map((r) => JSON.stringify(r).slice(0, 600))
          .join('\n')}`,
      ).toBe(true);
      // Back-off (restartMinSeconds 0.5 doubling to 10 s): a handful of attempts, not a hot loop.
      expect(spawned.get(n)!.size, `${n}: packager restarted ${spawned.get(n)!.size} times in 15 s`).toBeLessThanOrEqual(10);
    }
    console.info(`[faults-disk]\n  ${summary.join('\n  ')}`);
    // The healthy stream's publisher is still connected.
    expect(pubs[0]!.proc.exitCode).toBeNull();
  });
});

describe('the disk fills while a stream is live', () => {
  it.skipIf(!process.getuid || process.getuid() !== 0)(
    'no end of stream is published; packaging resumes once space returns',
    async (ctx) => {
      if (!fillsMounted) ctx.skip();
      const origin = `http://127.0.0.1:${server.ports.origin}`;
      const rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}/live/fills`;
      const pub = await startPublisher(rtmp);
      pubs.push(pub);
      const url = `${origin}/live/fills/playlist.m3u8`;
      // Steady state first: the window is full and old segments are being deleted (a trailer can
      // then free space by deleting one, and write its final playlist into it).
      await waitForSeqBeyond(url, 12, 60_000);
      await waitFor200(`${origin}/live/fills/manifest.f4m`);
      await waitFor200(`${origin}/live/fills/Manifest`);

      // What players would see, every 150 ms, from now until packaging has resumed.
      const ends: string[] = [];
      let polls = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          polls++;
          const pl = await fetchPlaylist(url, 3000);
          if (pl.status === 200 && pl.text.includes('#EXT-X-ENDLIST')) ends.push(`HLS playlist with #EXT-X-ENDLIST at poll ${polls}`);
          // The newest listed segment: never an empty body (a write that failed for lack of room).
          const newest = pl.playlist?.segments.at(-1);
          if (newest) {
            const seg = await fetch(segmentUrl(url, newest.uri));
            const bytes = (await seg.arrayBuffer()).byteLength;
            if (seg.status === 200 && bytes === 0) ends.push(`empty segment ${newest.uri} served at poll ${polls}`);
          }
          const f4m = await fetch(`${origin}/live/fills/manifest.f4m`).then(async (r) => [r.status, await r.text()] as const);
          if (f4m[0] === 200 && !/<streamType>\s*live\s*<\/streamType>/.test(f4m[1]))
            ends.push(`HDS manifest not live at poll ${polls}: ${f4m[1].slice(0, 200)}`);
          const ism = await fetch(`${origin}/live/fills/Manifest`).then(async (r) => [r.status, await r.text()] as const);
          if (ism[0] === 200 && !/IsLive="true"/i.test(ism[1]))
            ends.push(`Smooth manifest not live at poll ${polls}: ${ism[1].slice(0, 200)}`);
          await sleep(150);
        }
      })();

      const before = await fetchPlaylist(url);
      const lastBefore = before.playlist!.lastSeq;
      const dir = streamDir(dataDir, { app: 'live', name: 'fills' });
      const filler = path.join(dir, 'filler.bin');
      const mb = Buffer.alloc(1024 * 1024, 1);
      let filled = 0;
      try {
        for (;;) {
          appendFileSync(filler, mb);
          filled++;
        }
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      // For 8 s another writer takes whatever space appears (the stream's own deletions of old
      // segments included), as on a disk shared with something that fills it.
      const chunk = Buffer.alloc(4096, 2);
      const taker = setInterval(() => {
        try {
          for (;;) appendFileSync(filler, chunk);
        } catch {
          /* full again */
        }
      }, 2);
      await sleep(8000);
      clearInterval(taker);
      const fullLog = records.filter((r) => JSON.stringify(r).includes('fills') && /ENOSPC|No space left/i.test(JSON.stringify(r)));
      rmSync(filler, { force: true });
      // Space is back: the playlist advances past where it stood when the disk filled (back-off ≤ 10 s).
      const after = await waitForSeqBeyond(url, lastBefore + 1, 30_000);
      await sleep(1000);
      watching = false;
      await watcher;
      console.info(
        `[faults-disk] fills: ${filled} MiB filler, ${polls} polls, full-disk log lines ${fullLog.length}, seq ${lastBefore} → ${after.lastSeq}`,
      );
      expect(fullLog.length, 'the full disk was never hit or never logged').toBeGreaterThan(0);
      expect(ends).toEqual([]);
      expect(after.ended).toBe(false);
      expect(pub.proc.exitCode).toBeNull();
      expect(server.registry.get({ app: 'live', name: 'fills' })).toBeDefined();
    },
  );
});

async function waitFor200(url: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await fetch(url)).status === 200) return;
    await sleep(250);
  }
  throw new Error(`${url} never answered 200`);
}
