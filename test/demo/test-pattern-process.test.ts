// Integration: the real test-pattern publisher against a real RTMP listener (ffmpeg `-listen 1`):
// it publishes H.264 + AAC, restarts with back-off when the server drops it, and stop() reaps it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startTestPattern, type TestPattern } from '../../src/demo/test-pattern.js';
import { freePort } from '../helpers/ports.js';

const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';
const dir = mkdtempSync(path.join(tmpdir(), 'sf-testpattern-'));
const children: ChildProcess[] = [];
let publisher: TestPattern | undefined;

/** An RTMP server for one publish: records `seconds` of it to a file, then exits (dropping the publisher). */
function rtmpListener(port: number, out: string, seconds: number): Promise<number | null> {
  const p = spawn(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-listen',
      '1',
      '-i',
      `rtmp://127.0.0.1:${port}/live/demo`,
      '-t',
      String(seconds),
      '-c',
      'copy',
      '-y',
      out,
    ],
    { stdio: 'ignore' },
  );
  children.push(p);
  return new Promise((resolve) => p.once('close', (code) => resolve(code)));
}

function probe(file: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('ffprobe', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'csv=p=0',
      file,
    ]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('close', () => resolve(out.trim()));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await publisher?.stop();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('startTestPattern', () => {
  it('publishes, restarts after the server drops it, and stop() reaps ffmpeg', async () => {
    const port = await freePort();
    const first = rtmpListener(port, path.join(dir, 'a.flv'), 2);
    await new Promise((r) => setTimeout(r, 300));
    publisher = startTestPattern({
      ffmpegPath: ffmpeg,
      rtmpUrl: `rtmp://127.0.0.1:${port}/live/demo`,
      log: silentLogger(),
      width: 320,
      height: 180,
      fps: 25,
    });
    expect(await first).toBe(0);
    expect(await probe(path.join(dir, 'a.flv'))).toBe('h264,320,180\naac');

    // The listener exited after 2 s, so the publisher died; a second listener gets the restarted one.
    const second = rtmpListener(port, path.join(dir, 'b.flv'), 1);
    expect(await second).toBe(0);
    expect(publisher.restarts).toBeGreaterThanOrEqual(1);
    expect(await probe(path.join(dir, 'b.flv'))).toContain('h264,320,180');

    // Keep one running against a listener that does not stop, then stop it.
    const third = rtmpListener(port, path.join(dir, 'c.flv'), 60);
    const deadline = Date.now() + 15_000;
    let pid: number | undefined;
    while (Date.now() < deadline) {
      pid = publisher.pid;
      if (pid !== undefined) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(pid).toBeTypeOf('number');
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await publisher.stop();
    expect(alive(pid!)).toBe(false);
    expect(publisher.pid).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(6000);
    // Stopped for good: no restart comes after stop().
    const restarts = publisher.restarts;
    await new Promise((r) => setTimeout(r, 1200));
    expect(publisher.restarts).toBe(restarts);
    expect(publisher.pid).toBeUndefined();
    void third;
  }, 45_000);
});
