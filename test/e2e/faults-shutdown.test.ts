// SIGTERM to a real `streamfront start` process while two streams are live: every
// ffmpeg child exits, the final manifests are valid (HLS ends with #EXT-X-ENDLIST, HDS and Smooth
// manifests are complete documents, FIELD-NOTES §4b), the process exits 0 within 10 s, and no
// child process remains (checked through /proc).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDir, HDS_FILES, HLS_FILES, SMOOTH_FILES } from '../../src/timeline/output-layout.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { cmdline, descendantPids, ffmpegDescendants, isRunning } from '../helpers/proc.js';
import { waitForSegments } from '../helpers/hls-live.js';

let srv: ServerProcess | undefined;
const pubs: Publisher[] = [];

afterAll(async () => {
  for (const p of pubs) await p.stop().catch(() => {});
  await srv?.cleanup();
});

/** Every process on the machine whose argv mentions `needle` (pid → argv). */
function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (pid === process.pid || !isRunning(pid)) continue;
    const argv = cmdline(pid);
    if (argv.some((a) => a.includes(needle))) out.push(`${pid}: ${argv.join(' ')}`);
  }
  return out;
}

describe('graceful stop of a real server process', () => {
  it('SIGTERM during two live streams: ffmpeg children exit, manifests final, exit 0 within 10 s, nothing left', async () => {
    srv = await startServerProcess({ command: 'start', logLevel: 'info' });
    const names = ['one', 'two'];
    for (const n of names) pubs.push(await startPublisher(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/${n}`));
    for (const n of names) await waitForSegments(`http://127.0.0.1:${srv.ports.origin}/live/${n}/playlist.m3u8`, 2, 30_000);

    const ffmpegs = ffmpegDescendants(srv.pid);
    expect(ffmpegs.length, `packager ffmpeg children of the server: ${ffmpegs.map((p) => cmdline(p).join(' ')).join('\n')}`).toBe(2);
    const allChildren = descendantPids(srv.pid);

    const t0 = Date.now();
    srv.child.kill('SIGTERM');
    const exit = await Promise.race([srv.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    const seconds = (Date.now() - t0) / 1000;
    expect(exit, `no exit within 10 s of SIGTERM; output tail:\n${srv.output().slice(-3000)}`).toBeDefined();
    expect(exit!.code, `exit after SIGTERM: ${JSON.stringify(exit)}\n${srv.output().slice(-3000)}`).toBe(0);
    expect(seconds).toBeLessThanOrEqual(10);

    await new Promise((r) => setTimeout(r, 200));
    expect(allChildren.filter(isRunning), 'children of the server still running after it exited').toEqual([]);
    expect(
      processesMentioning(`127.0.0.1:${srv.ports.rtmp}/live/`).filter((l) => l.includes(' -i ')),
      'packagers of this server still running',
    ).toEqual([]);

    for (const n of names) {
      const key = { app: 'live', name: n };
      const hls = path.join(formatDir(srv.dataDir, key, 'hls'), HLS_FILES.playlist);
      expect(existsSync(hls), `${hls} is gone after the stop`).toBe(true);
      const m3u8 = readFileSync(hls, 'utf8');
      expect(m3u8.trimEnd().endsWith('#EXT-X-ENDLIST'), `${n}: HLS playlist does not end with #EXT-X-ENDLIST:\n${m3u8}`).toBe(true);
      const f4m = path.join(formatDir(srv.dataDir, key, 'hds'), HDS_FILES.manifest);
      if (existsSync(f4m)) expect(readFileSync(f4m, 'utf8'), `${n}: HDS manifest truncated (FIELD-NOTES §4b)`).toMatch(/<\/manifest>\s*$/);
      const ism = path.join(formatDir(srv.dataDir, key, 'mss'), SMOOTH_FILES.manifest);
      if (existsSync(ism)) expect(readFileSync(ism, 'utf8'), `${n}: Smooth manifest truncated`).toMatch(/<\/SmoothStreamingMedia>\s*$/);
    }
  });
});
