// Faults on the stream path, each with the outcome the test asserts:
//  - the packager's ffmpeg is SIGKILLed while the publisher stays live → a new ffmpeg within 3 s,
//    the playlist continues at the same URL with #EXT-X-DISCONTINUITY and a continuous media
//    sequence, and no segment the playlist lists answers 404 afterwards;
//  - the publisher drops and reconnects within 10 s under the same name → the same URLs continue
//    with a discontinuity, and a player polling the old playlist sees no 404 storm;
//  - the publisher freezes without closing its TCP connection (an encoder whose network vanished):
//    the idle watchdog (N4) ends the stream within the idle timeout, the packager finishes the
//    playlist, and a new publisher can take the name over at once;
//  - a record-mode republish (`adbe-record-mode=record`, SPEC ING-01) restarts the stream: the
//    earlier segments are gone from the new playlist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { ffmpegReadersOf, isRunning, waitForExit } from '../helpers/proc.js';
import { fetchPlaylist, segmentUrl, waitForSegments, waitForSeqBeyond, type MediaPlaylist } from '../helpers/hls-live.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loopbackConfig } from '../helpers/server-process.js';

const IDLE_TIMEOUT_S = 3;
let work: string;
let server: RunningServer;
const publishers: Publisher[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const rtmpUrl = (app: string, nameAndQuery: string): string => `rtmp://127.0.0.1:${server.ports.rtmp}/${app}/${nameAndQuery}`;
const originUrl = (p: string): string => `http://127.0.0.1:${server.ports.origin}${p}`;

async function publish(url: string): Promise<Publisher> {
  const p = await startPublisher(url);
  publishers.push(p);
  return p;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-faults-pkg-'));
  const config = await loopbackConfig(path.join(work, 'data'), {
    originPort: await freePort(),
    edgePort: await freePort(),
    // A frozen encoder is cut off after this long (FIELD-NOTES §7 N4); small to keep the test short.
    ingest: { idleTimeoutSeconds: IDLE_TIMEOUT_S },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: false } });
}, 60_000);

afterAll(async () => {
  for (const p of publishers) await p.stop().catch(() => {});
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Same sequence number → same URI in both playlists, for every segment they share. */
function assertContinuousNumbering(before: MediaPlaylist, after: MediaPlaylist): void {
  expect(after.mediaSequence, 'media sequence went backwards').toBeGreaterThanOrEqual(before.mediaSequence);
  const uriBySeq = new Map(before.segments.map((s) => [s.seq, s.uri]));
  for (const s of after.segments) {
    if (uriBySeq.has(s.seq)) expect(s.uri, `segment #${s.seq} changed its URI`).toBe(uriBySeq.get(s.seq));
  }
}

/** Polls a playlist for `ms`, fetching every listed segment once; returns the failures. */
async function watchListedSegments(playlist: string, ms: number): Promise<{ playlist404: number; segment404: string[]; polls: number }> {
  const seen = new Set<string>();
  const segment404: string[] = [];
  let playlist404 = 0;
  let polls = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    polls++;
    const r = await fetchPlaylist(playlist);
    if (r.status === 404) playlist404++;
    for (const s of r.playlist?.segments ?? []) {
      const u = segmentUrl(playlist, s.uri);
      if (seen.has(u)) continue;
      seen.add(u);
      const res = await fetch(u);
      await res.arrayBuffer();
      if (res.status === 404) segment404.push(`#${s.seq} ${s.uri}`);
    }
    await sleep(500);
  }
  return { playlist404, segment404, polls };
}

describe('packager and publisher faults', () => {
  it('SIGKILL of the packager ffmpeg: restart within 3 s, discontinuity, continuous sequence, no 404s', async () => {
    const name = 'killme';
    await publish(rtmpUrl('live', name));
    const playlist = originUrl(`/live/${name}/playlist.m3u8`);
    const before = await waitForSegments(playlist, 3, 30_000);
    const inputPrefix = rtmpUrl('live', name);
    const [victim, ...others] = ffmpegReadersOf(process.pid, inputPrefix);
    expect(victim, `no packager ffmpeg reading ${inputPrefix} among this process's children`).toBeDefined();
    expect(others).toEqual([]);

    const lastBefore = (await fetchPlaylist(playlist)).playlist!;
    const killedAt = Date.now();
    process.kill(victim!, 'SIGKILL');
    expect(await waitForExit(victim!, 2000)).toBe(true);

    let replacement: number | undefined;
    while (Date.now() - killedAt < 3000 && replacement === undefined) {
      replacement = ffmpegReadersOf(process.pid, inputPrefix).find((p) => p !== victim && isRunning(p));
      if (replacement === undefined) await sleep(50);
    }
    const restartMs = Date.now() - killedAt;
    expect(replacement, `no new packager ffmpeg within 3 s of the SIGKILL`).toBeDefined();

    // The first new segment closes one segment duration after the restart.
    const target = lastBefore.targetDuration || 2;
    const resumed = await waitForSeqBeyond(playlist, lastBefore.lastSeq, 3000 + target * 1000 + 1000);
    const settled = await waitForSeqBeyond(playlist, lastBefore.lastSeq + 1, 10_000);
    expect(settled.ended).toBe(false);
    assertContinuousNumbering(before, settled);
    assertContinuousNumbering(lastBefore, settled);
    const firstNew = settled.segments.find((s) => s.seq === lastBefore.lastSeq + 1);
    expect(firstNew, `segment #${lastBefore.lastSeq + 1} missing: numbering has a gap\n${JSON.stringify(settled)}`).toBeDefined();
    const discontinuity = settled.segments
      .filter((s) => s.seq > lastBefore.lastSeq - 1 && s.seq <= lastBefore.lastSeq + 2)
      .some((s) => s.discontinuity);
    expect(
      discontinuity,
      `no #EXT-X-DISCONTINUITY at the restart (restart took ${restartMs} ms)\n${(await fetchPlaylist(playlist)).text}`,
    ).toBe(true);
    expect(resumed.lastSeq).toBeGreaterThan(lastBefore.lastSeq);

    console.info(
      `[faults-packager] packager SIGKILL: new ffmpeg after ${restartMs} ms; first new segment #${resumed.lastSeq} listed ${Date.now() - killedAt} ms after the kill`,
    );
    const watch = await watchListedSegments(playlist, 6000);
    expect(watch.playlist404).toBe(0);
    expect(watch.segment404, 'listed segments that answered 404 after the restart').toEqual([]);
  });

  it('publisher drops and reconnects within 10 s: same URLs continue with a discontinuity, no 404 storm', async () => {
    const name = 'reconnect';
    const first = await publish(rtmpUrl('live', name));
    const playlist = originUrl(`/live/${name}/playlist.m3u8`);
    await waitForSegments(playlist, 3, 30_000);
    const before = (await fetchPlaylist(playlist)).playlist!;

    // An encoder losing its network: no RTMP goodbye, the TCP connection just dies.
    first.proc.kill('SIGKILL');
    await first.exited;
    const watching = watchListedSegments(playlist, 14_000); // an old player keeps polling throughout
    await sleep(4000);
    await publish(rtmpUrl('live', name));

    const after = await waitForSeqBeyond(playlist, before.lastSeq + 1, 15_000);
    expect(after.ended, 'the continued playlist still carries #EXT-X-ENDLIST').toBe(false);
    assertContinuousNumbering(before, after);
    const newOnes = after.segments.filter((s) => s.seq > before.lastSeq);
    const discAt = after.segments.find((s) => s.discontinuity && s.seq > before.lastSeq - 1);
    expect(discAt, `no #EXT-X-DISCONTINUITY where the new publisher starts\n${(await fetchPlaylist(playlist)).text}`).toBeDefined();
    expect(newOnes.length).toBeGreaterThan(0);

    const watch = await watching;
    expect(watch.playlist404, `playlist answered 404 on ${watch.playlist404} of ${watch.polls} polls during the reconnect`).toBe(0);
    expect(watch.segment404, 'listed segments that answered 404 during the reconnect').toEqual([]);
  });

  it('a frozen publisher (no bytes, socket open) is cut off by the idle watchdog; a new one takes over (N4)', async () => {
    const name = 'frozen';
    const first = await publish(rtmpUrl('live', name));
    const playlist = originUrl(`/live/${name}/playlist.m3u8`);
    await waitForSegments(playlist, 2, 30_000);
    const before = (await fetchPlaylist(playlist)).playlist!;
    const packager = ffmpegReadersOf(process.pid, rtmpUrl('live', name));
    expect(packager.length).toBe(1);

    process.kill(first.proc.pid!, 'SIGSTOP'); // the encoder stops sending; its TCP connection stays open
    try {
      const frozenAt = Date.now();
      let gone = false;
      while (Date.now() - frozenAt < (IDLE_TIMEOUT_S + 8) * 1000 && !gone) {
        gone = server.registry.get({ app: 'live', name }) === undefined;
        if (!gone) await sleep(100);
      }
      const seconds = (Date.now() - frozenAt) / 1000;
      console.info(
        `[faults-packager] frozen publisher: stream ended ${seconds.toFixed(1)} s after the freeze (idle timeout ${IDLE_TIMEOUT_S} s)`,
      );
      expect(gone, `stream still live ${seconds.toFixed(1)} s after its publisher froze`).toBe(true);
      expect(await waitForExit(packager[0]!, 8000), 'the packager of the frozen stream kept running').toBe(true);
      // The supervisor ends the playlist itself once ffmpeg has exited (ffmpeg writes with
      // omit_endlist, so a crash or a full disk never publishes an end): allow it that moment.
      let ended = await fetchPlaylist(playlist);
      for (const until = Date.now() + 5000; ended.status === 200 && !ended.playlist!.ended && Date.now() < until;) {
        await sleep(100);
        ended = await fetchPlaylist(playlist);
      }
      if (ended.status === 200) expect(ended.playlist!.ended, `playlist of the frozen stream was not finished:\n${ended.text}`).toBe(true);

      // The name is free again: a new encoder takes over and the URL continues.
      await publish(rtmpUrl('live', name));
      const after = await waitForSeqBeyond(playlist, before.lastSeq + 1, 20_000);
      expect(after.ended).toBe(false);
      assertContinuousNumbering(before, after);
    } finally {
      process.kill(first.proc.pid!, 'SIGCONT');
      first.proc.kill('SIGKILL');
    }
  });

  it('a record-mode republish restarts the stream instead of continuing it (SPEC ING-01)', async () => {
    const name = 'rec';
    const query = `${name}?adbe-live-event=ev1&adbe-record-mode=record`;
    const first = await publish(rtmpUrl('livepkgr', query));
    const playlist = originUrl(`/hls-live/livepkgr/_definst_/ev1/${name}.m3u8`);
    await waitForSegments(playlist, 4, 40_000);
    const before = (await fetchPlaylist(playlist)).playlist!;
    const beforeSeconds = before.segments.reduce((a, s) => a + s.duration, 0);
    expect(beforeSeconds).toBeGreaterThan(5);

    await first.stop();
    // Let the first run finish (ENDLIST written, or the playlist gone) before republishing.
    for (let i = 0; i < 40; i++) {
      const r = await fetchPlaylist(playlist);
      if (r.status === 404 || r.playlist?.ended) break;
      await sleep(250);
    }
    const republishedAt = Date.now();
    await publish(rtmpUrl('livepkgr', query));
    // The first live (not ended) playlist after the republish: a continued stream would still
    // list the earlier segments (more media than was published since), a restarted one does not.
    let now: MediaPlaylist | undefined;
    const end = Date.now() + 20_000;
    while (Date.now() < end && !now) {
      const r = await fetchPlaylist(playlist);
      if (r.playlist && !r.playlist.ended && r.playlist.segments.length > 0) now = r.playlist;
      else await sleep(200);
    }
    expect(now, `no live playlist after the record-mode republish; last answer:\n${(await fetchPlaylist(playlist)).text}`).toBeDefined();
    const listed = now!.segments.reduce((a, s) => a + s.duration, 0);
    const elapsed = (Date.now() - republishedAt) / 1000;
    expect(
      listed,
      `after a record-mode republish the playlist lists ${listed.toFixed(1)} s of media only ${elapsed.toFixed(1)} s after the republish:\n${JSON.stringify(now)}`,
    ).toBeLessThanOrEqual(elapsed + 1);
  });
});
