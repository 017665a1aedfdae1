// Publisher connect → first HLS playlist that lists a segment, 2 s segments (target ≤ 3 s), for our
// ingest + packager and, in the same run, for nginx with Debian's libnginx-mod-rtmp (`hls on`,
// `hls_fragment 2s`) as the baseline. Both get the same 720p publisher with a 2 s GOP.
// Usage: npx tsx scripts/bench-latency.ts [rounds=5]
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/ports.js';
import { HD_720P, syntheticFlv } from '../test/helpers/media.js';
import { startPublisher } from '../test/helpers/publisher.js';
import { readText, startStack, waitFor } from '../test/packager/stack.js';
import { HLS_FILES } from '../src/timeline/output-layout.js';
import { helpOrArgs, numberArg } from './script-args.js';

const USAGE = `Usage: npx tsx scripts/bench-latency.ts [rounds=5]
  Publisher connect → first HLS playlist listing a segment, ours vs nginx-rtmp (needs nginx libnginx-mod-rtmp).
  rounds: 1..20 measurements of each.`;
const args = helpOrArgs(USAGE, 1);
const rounds = numberArg(USAGE, args[0], 'rounds', 5, { min: 1, max: 20, integer: true });
const NGINX_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

const listsSegment = (file: string) => () => (readText(file) ?? '').includes('#EXTINF');

/** Spawns the publisher and times until `playlist` lists a segment. */
async function measure(url: string, playlist: string, fixture: string): Promise<number> {
  const t0 = performance.now();
  const pub = await startPublisher(url, { file: fixture });
  try {
    await waitFor(`first segment in ${playlist}`, listsSegment(playlist), 20_000, 10);
    return performance.now() - t0;
  } finally {
    await pub.stop();
  }
}

async function startNginx(dir: string, port: number): Promise<ChildProcess> {
  const conf = path.join(dir, 'nginx.conf');
  fs.mkdirSync(path.join(dir, 'hls'), { recursive: true });
  fs.writeFileSync(
    conf,
    `
load_module ${NGINX_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    application live {
      live on;
      hls on;
      hls_path ${dir}/hls;
      hls_fragment 2s;
      hls_playlist_length 12s;
    }
  }
}
`,
  );
  const p = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(
    'nginx listening',
    async () => {
      if (p.exitCode !== null) throw new Error(`nginx exited: ${err}`);
      return new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
    },
    10_000,
  );
  return p;
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)]!;
  return `median ${(med / 1000).toFixed(2)} s, min ${(s[0]! / 1000).toFixed(2)} s, max ${(s.at(-1)! / 1000).toFixed(2)} s`;
}

const fixture = await syntheticFlv(HD_720P);
const stack = await startStack({ packager: { segmentSeconds: 2 } });
const nginxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-nginx-'));
const nginxPort = await freePort();
let nginx: ChildProcess | undefined;
try {
  nginx = await startNginx(nginxDir, nginxPort);
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate the two so machine load affects both alike.
    const name = `lat${i}`;
    ours.push(
      await measure(stack.rtmpUrl(`live/${name}`), path.join(stack.dir({ app: 'live', name }, 'hls'), HLS_FILES.playlist), fixture),
    );
    base.push(await measure(`rtmp://127.0.0.1:${nginxPort}/live/${name}`, path.join(nginxDir, 'hls', `${name}.m3u8`), fixture));
    process.stderr.write(`round ${i + 1}: ours ${(ours.at(-1)! / 1000).toFixed(2)} s, nginx ${(base.at(-1)! / 1000).toFixed(2)} s\n`);
  }
  console.log(
    `bench-latency: publisher start → first playlist listing a segment, 720p, 2 s GOP, 2 s segments, ${rounds} rounds, load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  console.log(`  streamfront (NMS ingest + ffmpeg packager): ${stats(ours)}  (target ≤ 3 s)`);
  console.log(`  nginx 1.22 + libnginx-mod-rtmp (hls on):    ${stats(base)}`);
} finally {
  if (nginx && nginx.exitCode === null) {
    nginx.kill('SIGQUIT');
    await new Promise((r) => setTimeout(r, 500));
    if (nginx.exitCode === null) nginx.kill('SIGKILL');
  }
  await stack.close();
  fs.rmSync(nginxDir, { recursive: true, force: true });
}
