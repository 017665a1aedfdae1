// What a recording of an ABR ladder costs to build, in one run: a synthetic event is captured as
// the live ladder leaves it (720p source + 480p + 360p + 240p TS segments, key frames aligned),
// then built three ways, alternately, `runs` times each:
//   baseline  the build of a ladder-less recording of the source alone (MP4 + VOD HLS + MPD)
//   ladder    the ladder build as the recorder runs it: every rung's VOD segments, the MPD with
//             one Representation per rung, and one MP4 per rung
//   no-dl     the same without the lower rungs' MP4 downloads (only the top rung's)
// It prints the median wall time and CPU time of each, their ratios to the baseline, and the bytes
// each writes (the lower rungs' MP4s are the extra store cost of offering them).
// Usage: npx tsx scripts/bench-vod-rungs.ts [seconds=120] [runs=3]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invocationArgv, type FfmpegInvocation } from '../src/packager/ffmpeg-args.js';
import { concatList, vodBuildInvocation, vodLadderBuildInvocation } from '../src/recordings/capture-rules.js';
import { CAPTURE_FILES, VOD_FILES } from '../src/timeline/output-layout.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-vod-rungs.ts [seconds=120] [runs=3]
  Build time (wall, CPU) and bytes of a ladder recording (720p + 480p + 360p + 240p) against the
  ladder-less build of its source alone, with and without the lower rungs' MP4 downloads.
  seconds: 20..1800 of synthetic event; runs: 1..9 builds of each kind.`;
const args = helpOrArgs(USAGE, 2);
const seconds = numberArg(USAGE, args[0], 'seconds', 120, { min: 20, max: 1800, integer: true });
const runs = numberArg(USAGE, args[1], 'runs', 3, { min: 1, max: 9, integer: true });
const ffmpeg = process.env.FFMPEG_PATH || 'ffmpeg';
const SEG = 2;
const RUNGS = [
  { name: 'source', height: 720, kbps: 2500 },
  { name: '480p', height: 480, kbps: 1200 },
  { name: '360p', height: 360, kbps: 700 },
  { name: '240p', height: 240, kbps: 400 },
];

function run(argv: string[], cwd: string): { wallMs: number; cpuMs: number } {
  const t0 = process.hrtime.bigint();
  // GNU time reports the child's user + system CPU seconds on its last stderr line.
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ffmpeg, '-y', ...argv], { cwd, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.slice(-800)}`);
  const [user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wallMs, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000 };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-bench-vod-'));
try {
  // The capture: one encode of the whole ladder (not measured), cut into 2 s segments per rung.
  console.log(`making a ${seconds} s capture of ${RUNGS.length} rungs in ${dir} …`);
  const split = `[0:v]split=${RUNGS.length}${RUNGS.map((_, i) => `[s${i}]`).join('')};${RUNGS.map((r, i) => `[s${i}]scale=-2:${r.height}[v${i}]`).join(';')}`;
  const outs = RUNGS.flatMap((r, i) => {
    fs.mkdirSync(path.join(dir, CAPTURE_FILES.sourceFolder, r.name), { recursive: true });
    return [
      ...['-map', `[v${i}]`, '-map', '1:a', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', `${r.kbps}k`, '-g', '50'],
      ...['-force_key_frames', `expr:gte(t,n_forced*${SEG})`, '-c:a', 'aac', '-b:a', '96k'],
      ...['-f', 'segment', '-segment_time', String(SEG), '-segment_format', 'mpegts', `src/${r.name}/%06d.ts`],
    ];
  });
  run(
    [
      ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=25:duration=${seconds}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
      ...['-filter_complex', split, ...outs],
    ],
    dir,
  );
  const count = fs.readdirSync(path.join(dir, 'src', 'source')).length;
  // Same names as the capture: src/<rung>/NNNNNN.ts; the ladder-less build reads src/NNNNNN.ts.
  for (let n = 0; n < count; n++)
    fs.linkSync(path.join(dir, CAPTURE_FILES.rungSource('source', n)), path.join(dir, CAPTURE_FILES.source(n)));
  const durations = Array<number>(count).fill(SEG);
  fs.writeFileSync(path.join(dir, CAPTURE_FILES.concatList), concatList(count, durations));
  for (const r of RUNGS)
    fs.writeFileSync(
      path.join(dir, CAPTURE_FILES.rungConcatList(r.name)),
      concatList(count, durations, (n) => CAPTURE_FILES.rungSource(r.name, n)),
    );

  const ladder = vodLadderBuildInvocation({
    captureDir: dir,
    segmentSeconds: SEG,
    rungs: RUNGS.map((r) => r.name),
    audio: true,
    aspect: { width: 1280, height: 720 },
    durations,
  });
  const lowerMp4s = new Set(RUNGS.slice(1).map((r) => `${CAPTURE_FILES.outputFolder}/${VOD_FILES.rungMp4(r.name)}`));
  const noDownloads: FfmpegInvocation = { ...ladder, outputs: ladder.outputs.filter((o) => !lowerMp4s.has(o.target)) };
  const kinds: Array<[string, FfmpegInvocation]> = [
    ['baseline', vodBuildInvocation({ captureDir: dir, segmentSeconds: SEG })],
    ['ladder', ladder],
    ['no-dl', noDownloads],
  ];
  const results = new Map<string, Array<{ wallMs: number; cpuMs: number; bytes: number; mp4Bytes: number }>>();
  const outDir = path.join(dir, CAPTURE_FILES.outputFolder);
  for (let i = 0; i < runs; i++) {
    for (const [name, inv] of kinds) {
      fs.rmSync(outDir, { recursive: true, force: true });
      fs.mkdirSync(outDir);
      const t = run(invocationArgv(inv), dir);
      const files = fs.readdirSync(outDir);
      const size = (f: string) => fs.statSync(path.join(outDir, f)).size;
      const bytes = files.reduce((a, f) => a + size(f), 0);
      const mp4Bytes = files.filter((f) => f.endsWith('.mp4') && f !== VOD_FILES.mp4).reduce((a, f) => a + size(f), 0);
      results.set(name, [...(results.get(name) ?? []), { ...t, bytes, mp4Bytes }]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = results.get('baseline')!;
  const baseWall = median(base.map((r) => r.wallMs));
  const baseCpu = median(base.map((r) => r.cpuMs));
  console.log(`event: ${seconds} s, ${count} segments per rung, ${runs} run(s) of each build, medians`);
  for (const [name] of kinds) {
    const rs = results.get(name)!;
    const wall = median(rs.map((r) => r.wallMs));
    const cpu = median(rs.map((r) => r.cpuMs));
    const mb = (n: number) => (n / 1e6).toFixed(1);
    console.log(
      `${name.padEnd(9)} wall ${wall.toFixed(0).padStart(6)} ms (x${(wall / baseWall).toFixed(2)})  cpu ${cpu.toFixed(0).padStart(6)} ms (x${(cpu / baseCpu).toFixed(2)})  writes ${mb(rs[0]!.bytes)} MB (lower rungs' MP4s ${mb(rs[0]!.mp4Bytes)} MB)`,
    );
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
