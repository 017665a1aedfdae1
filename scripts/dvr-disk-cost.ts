// Disk cost of the DVR window: bytes per minute of the 720p demo stream (the test pattern
// `npm run demo` publishes: 1280×720, 30 fps, about 1.7 Mbit/s, with its time code) as TS HLS
// segments and as CMAF DVR segments (video + audio tracks, in the store), in one run, and what the
// default 1800-s window costs per stream. Usage: npx tsx scripts/dvr-disk-cost.ts [seconds=60]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestPattern } from '../src/demo/test-pattern.js';
import { silentLogger } from '../src/log.js';
import { startServer } from '../src/server.js';
import { loopbackConfig } from '../test/helpers/server-process.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/dvr-disk-cost.ts [seconds=60]
  Bytes per minute of the 720p demo stream as TS HLS and as CMAF DVR segments, and the disk a
  default 1800-s DVR window costs per stream. seconds: 20..900 of publishing.`;
const args = helpOrArgs(USAGE, 1);
const seconds = numberArg(USAGE, args[0], 'seconds', 60, { min: 20, max: 900 });

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-dvr-cost-'));
const config = await loopbackConfig(dataDir, {
  // A window longer than the run: nothing is deleted, every segment is on disk to be counted.
  packager: { dvrWindowSeconds: seconds + 120, dvrMemorySegments: 3, cleanupDelaySeconds: 600 },
});
const server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: false } });
const origin = `http://127.0.0.1:${server.ports.origin}`;
const pattern = startTestPattern({ ffmpegPath: 'ffmpeg', rtmpUrl: `rtmp://127.0.0.1:${server.ports.rtmp}/live/cost`, log: silentLogger() });

try {
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const streamDir = path.join(dataDir, 'streams', 'live', 'cost');
  /** name → EXTINF seconds of a playlist. */
  const durations = async (url: string) => {
    const text = await (await fetch(url)).text();
    const out = new Map<string, number>();
    let d = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('#EXTINF:')) d = Number.parseFloat(line.slice(8));
      else if (line && !line.startsWith('#')) out.set(line.trim(), d);
    }
    return out;
  };
  /** Bytes per minute of the files in `dir` that `listed` gives a duration to. */
  const perMinute = (dir: string, listed: Map<string, number>) => {
    let bytes = 0;
    let secs = 0;
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (listed.has(e.name)) {
          bytes += fs.statSync(p).size;
          secs += listed.get(e.name)!;
        }
      }
    };
    if (fs.existsSync(dir)) walk(dir);
    return { bytes, secs, perMin: secs > 0 ? (bytes / secs) * 60 : 0 };
  };
  const ts = perMinute(path.join(streamDir, 'hls'), await durations(`${origin}/live/cost/playlist.m3u8`));
  const video = perMinute(path.join(streamDir, 'dvr'), await durations(`${origin}/live/cost/chunklist_sfm4s_video.m3u8`));
  const audio = perMinute(path.join(streamDir, 'dvr'), await durations(`${origin}/live/cost/chunklist_sfm4s_audio.m3u8`));
  // Nothing counted means nothing to divide by: say which and stop, rather than print NaN (seen on
  // a machine too busy to encode the 720p pattern in real time, whose first segments came late).
  const empty = Object.entries({ 'TS HLS': ts, 'CMAF video': video, 'CMAF audio': audio }).filter(([, c]) => c.secs === 0);
  if (empty.length > 0) {
    console.error(
      `no listed segment on disk after ${seconds} s for: ${empty.map(([n]) => n).join(', ')}. ` +
        'Is the machine busy (the test pattern must encode in real time)? Run it again with more seconds.',
    );
    process.exitCode = 1;
  } else {
    const cmaf = video.perMin + audio.perMin;
    const mib = (b: number) => (b / 1024 / 1024).toFixed(2);
    const window = 1800 / 60;
    console.log(`720p demo stream, ${seconds} s published (${ts.secs.toFixed(0)} s of TS, ${video.secs.toFixed(0)} s of CMAF counted)`);
    console.log(`TS HLS:             ${mib(ts.perMin)} MiB/min`);
    console.log(
      `CMAF (video+audio): ${mib(cmaf)} MiB/min  (video ${mib(video.perMin)}, audio ${mib(audio.perMin)}); CMAF/TS ${(cmaf / ts.perMin).toFixed(3)}`,
    );
    console.log(
      `Default 1800-s window per stream: TS ${mib(ts.perMin * window)} MiB + CMAF ${mib(cmaf * window)} MiB = ${mib((ts.perMin + cmaf) * window)} MiB`,
    );
  }
} finally {
  await pattern.stop();
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
