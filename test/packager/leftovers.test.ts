// A new run never serves a previous run's live media as live: the live output an earlier run left
// in the data directory is removed at start-up, before any publish (recordings stay, and nothing
// outside `streams/` is touched); a stream published right after the start has only new segments.
// Real ingest, packager (ffmpeg) and origin on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackConfig } from '../helpers/server-process.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { FORMAT_FOLDERS, HDS_FILES, HLS_FILES, STREAM_INFO_FILE, streamDir, streamsRoot } from '../../src/timeline/output-layout.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { parseMediaPlaylist, segmentUrl, waitForSegments } from '../helpers/hls-live.js';

const OLD_SEGMENT = 'OLD SEGMENT FROM AN EARLIER RUN';
const oldPlaylist = (n: number) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n${Array.from({ length: n }, (_, i) => `#EXTINF:2.000000,\n${HLS_FILES.segment(i)}\n`).join('')}`;

let work: string;
let dataDir: string;
let server: RunningServer;
let pub: Publisher | undefined;
const records: Array<Record<string, unknown>> = [];
const talk = () => streamDir(dataDir, { app: 'live', name: 'talk' });

/** A stream directory as an earlier run leaves it: playlist without ENDLIST, segments, stream.json, HDS. */
function plantStream(dir: string, segments: number): void {
  const hls = path.join(dir, FORMAT_FOLDERS.hls);
  const hds = path.join(dir, FORMAT_FOLDERS.hds);
  fs.mkdirSync(hls, { recursive: true });
  fs.mkdirSync(hds, { recursive: true });
  fs.writeFileSync(path.join(hls, HLS_FILES.playlist), oldPlaylist(segments));
  for (let i = 0; i < segments; i++) fs.writeFileSync(path.join(hls, HLS_FILES.segment(i)), OLD_SEGMENT);
  fs.writeFileSync(path.join(hds, HDS_FILES.manifest), '<manifest/>');
  fs.writeFileSync(
    path.join(dir, STREAM_INFO_FILE),
    JSON.stringify({ app: 'live', name: 'x', startedAt: new Date(Date.now() - 180_000).toISOString() }),
  );
  // Old, as files of three minutes ago would be.
  const then = new Date(Date.now() - 180_000);
  fs.utimesSync(path.join(hls, HLS_FILES.playlist), then, then);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-leftovers-'));
  dataDir = path.join(work, 'data');
  plantStream(talk(), 40);
  plantStream(streamDir(dataDir, { app: 'cfx/st', name: 'cam' }), 3);
  // Recordings stay: inside a stream directory, and anywhere outside streams/.
  fs.mkdirSync(path.join(talk(), 'recordings'), { recursive: true });
  fs.writeFileSync(path.join(talk(), 'recordings', 'earlier.flv'), 'RECORDING');
  fs.mkdirSync(path.join(dataDir, 'vod', 'live'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'vod', 'live', 'talk.mp4'), 'VOD');
  // A symlink planted where a stream directory belongs: the link goes, its target stays.
  fs.mkdirSync(path.join(work, 'elsewhere', FORMAT_FOLDERS.hls), { recursive: true });
  fs.writeFileSync(path.join(work, 'elsewhere', FORMAT_FOLDERS.hls, HLS_FILES.playlist), oldPlaylist(2));
  fs.symlinkSync(path.join(work, 'elsewhere'), streamDir(dataDir, { app: 'live', name: 'linked' }));
  // Not the packager's: left alone.
  fs.writeFileSync(path.join(streamsRoot(dataDir), 'README.txt'), 'operator notes');

  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        try {
          if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not JSON */
        }
      }
      cb();
    },
  });
  server = await startServer({
    config: await loopbackConfig(dataDir, { rtmpPort: 0, logLevel: 'info' }),
    log: pino({ level: 'info' }, sink),
    roles: { ingest: true, origin: true, edge: false },
  });
}, 60_000);

afterAll(async () => {
  await pub?.stop();
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('start-up removes the live output of an earlier run', () => {
  it('before any publish: old playlists are gone (404), recordings and foreign files stay, the removal is logged', async () => {
    const origin = `http://127.0.0.1:${server.ports.origin}`;
    for (const url of [
      '/live/talk/playlist.m3u8',
      '/live/talk/seg_00000.ts',
      '/live/talk/manifest.f4m',
      '/cfx/st/cam/playlist.m3u8',
      '/live/linked/playlist.m3u8',
    ]) {
      expect((await fetch(origin + url)).status, url).toBe(404);
    }
    expect(fs.existsSync(path.join(talk(), FORMAT_FOLDERS.hls))).toBe(false);
    expect(fs.existsSync(path.join(talk(), STREAM_INFO_FILE))).toBe(false);
    expect(fs.existsSync(streamDir(dataDir, { app: 'cfx/st', name: 'cam' }))).toBe(false);
    expect(fs.readFileSync(path.join(talk(), 'recordings', 'earlier.flv'), 'utf8')).toBe('RECORDING');
    expect(fs.readFileSync(path.join(dataDir, 'vod', 'live', 'talk.mp4'), 'utf8')).toBe('VOD');
    expect(fs.readFileSync(path.join(streamsRoot(dataDir), 'README.txt'), 'utf8')).toBe('operator notes');
    expect(fs.existsSync(streamDir(dataDir, { app: 'live', name: 'linked' }))).toBe(false);
    expect(fs.existsSync(path.join(work, 'elsewhere', FORMAT_FOLDERS.hls, HLS_FILES.playlist))).toBe(true);
    const line = records.find((r) => r.msg === 'removed live output left by an earlier run');
    expect(line?.streams).toEqual(expect.arrayContaining(['live/talk', 'cfx/st/cam']));
  });

  it('publishing the same name right after the start: the playlist has only new segments', async () => {
    pub = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/talk`);
    const url = `http://127.0.0.1:${server.ports.origin}/live/talk/playlist.m3u8`;
    const playlist = await waitForSegments(url, 2, 30_000);
    expect(playlist.mediaSequence).toBe(0);
    expect(playlist.segments.some((s) => s.discontinuity)).toBe(false);
    expect(playlist.segments.length).toBeLessThan(10); // not the 40 old ones
    for (const s of playlist.segments) {
      const body = Buffer.from(await (await fetch(segmentUrl(url, s.uri))).arrayBuffer());
      expect(body[0], `${s.uri} is not MPEG-TS`).toBe(0x47);
      expect(body.toString('latin1')).not.toContain(OLD_SEGMENT);
    }
    const text = await (await fetch(url)).text();
    expect(parseMediaPlaylist(text).ended).toBe(false);
    // stream.json belongs to this run.
    const info = JSON.parse(fs.readFileSync(path.join(talk(), STREAM_INFO_FILE), 'utf8')) as { startedAt: string };
    expect(Date.now() - Date.parse(info.startedAt)).toBeLessThan(60_000);
  });
});
