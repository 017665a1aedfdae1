// What a person sees: the log format decision, the ready and demo lines, --version, the one
// port-in-use line for every listener, and pretty logs on a real terminal (script(1) gives the
// CLI a pseudo-terminal) against JSON lines on a pipe.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveLogFormat, type LogFormat, type LogFormatSetting } from '../../src/log.js';
import { demoLine, playerUrl, portInUseMessage, readyLine, type ReadyFacts } from '../../src/startup-messages.js';
import { defaultConfig } from '../../src/config/index.js';
import { portTakenMeanwhile } from '../../src/server.js';
import { freePort } from '../helpers/ports.js';
import { descendantPids, isRunning, waitForExit } from '../helpers/proc.js';
import { CLI_FROM_SOURCE, loopbackArgs, REPO_ROOT } from '../helpers/server-process.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('resolveLogFormat', () => {
  const rows: Array<[LogFormatSetting, boolean, LogFormat]> = [
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['json', false, 'json'],
    ['pretty', false, 'pretty'],
    ['pretty', true, 'pretty'],
  ];
  it.each(rows)('%s with stdout TTY=%s → %s', (setting, tty, expected) => {
    expect(resolveLogFormat(setting, tty)).toBe(expected);
  });
});

describe('ready and demo lines', () => {
  const all: ReadyFacts = { host: '127.0.0.1', ports: { rtmp: 1935, origin: 8080, edge: 8000 }, publishKeyRequired: false };
  const rows: Array<[string, ReadyFacts, string]> = [
    [
      'all roles',
      all,
      'streamfront is ready. Publish: rtmp://127.0.0.1:1935/live/<stream>  Open the player: http://127.0.0.1:8000/?stream=live/<stream>',
    ],
    [
      'wildcard bind shows localhost',
      { ...all, host: '0.0.0.0' },
      'streamfront is ready. Publish: rtmp://localhost:1935/live/<stream>  Open the player: http://localhost:8000/?stream=live/<stream>',
    ],
    [
      'publish secret',
      { ...all, publishKeyRequired: true },
      'streamfront is ready. Publish: rtmp://127.0.0.1:1935/live/<stream>?key=<key from `streamfront publish-key`>  Open the player: http://127.0.0.1:8000/?stream=live/<stream>',
    ],
    [
      'origin role: player on the origin',
      { ...all, ports: { rtmp: 1935, origin: 8080, edge: 0 } },
      'streamfront is ready. Publish: rtmp://127.0.0.1:1935/live/<stream>  Open the player: http://127.0.0.1:8080/?stream=live/<stream>',
    ],
    [
      'edge alone: no publish URL',
      { ...all, ports: { rtmp: 0, origin: 0, edge: 8000 } },
      'streamfront is ready. Open the player: http://127.0.0.1:8000/?stream=live/<stream>',
    ],
    [
      'IPv6 loopback',
      { ...all, host: '::1' },
      'streamfront is ready. Publish: rtmp://[::1]:1935/live/<stream>  Open the player: http://[::1]:8000/?stream=live/<stream>',
    ],
  ];
  it.each(rows)('%s', (_name, facts, line) => {
    expect(readyLine(facts)).toBe(line);
    expect(readyLine(facts)).not.toContain('\n');
  });
  it('the demo line names the player of live/demo', () => {
    expect(demoLine(all)).toBe('Demo stream live/demo is starting. Open the player: http://127.0.0.1:8000/?stream=live/demo');
    expect(playerUrl({ ...all, ports: { rtmp: 0, origin: 0, edge: 0 } }, 'live/x')).toBeUndefined();
  });
});

describe('--version and --help', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  it.each([[['--version']], [['start', '--version']], [['version']]])('%j prints the package version', (argv) => {
    const r = spawnSync(process.execPath, [...CLI_FROM_SOURCE, ...argv], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
  it('--help lists --version and --log-format', () => {
    const r = spawnSync(process.execPath, [...CLI_FROM_SOURCE, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: streamfront/);
    expect(r.stdout).toMatch(/--version/);
    expect(r.stdout).toMatch(/--log-format <value>\s+auto\|json\|pretty/);
  });
});

describe('a taken port is one friendly line', () => {
  it.each([
    ['rtmp', 'RTMP'],
    ['origin', 'HTTP origin'],
    ['edge', 'edge'],
    ['edgeHttps', 'edge HTTPS'],
  ] as const)('%s port', async (which, label) => {
    const ports = { rtmp: await freePort(), origin: await freePort(), edge: await freePort(), edgeHttps: await freePort() };
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(ports[which], '127.0.0.1', () => r()));
    try {
      const r = spawnSync(
        process.execPath,
        [...CLI_FROM_SOURCE, 'start', ...loopbackArgs(ports, path.join(work, `busy-${which}`)), '--log-format', 'json'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`streamfront: ${portInUseMessage(label, '127.0.0.1', ports[which])}\n`);
      expect(r.stderr).toMatch(/already in use/);
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m); // no stack trace
      // Nothing started listening before the refusal (the other ports are still free).
      for (const [name, port] of Object.entries(ports)) {
        if (name === which) continue;
        const free = await new Promise<boolean>((res) => {
          const s = net.createServer();
          s.once('error', () => res(false));
          s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
        });
        expect(free, `${name} port left listening`).toBe(true);
      }
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});

describe('a port taken between the check and the listen', () => {
  const config = defaultConfig({ host: '127.0.0.1', originPort: 18080, edgePort: 18000, edgeHttpsPort: 18443 });
  const inUse = (port: number) =>
    Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE', port });
  it.each([
    [18080, 'HTTP origin port 127.0.0.1:18080 is already in use'],
    [18000, 'edge port 127.0.0.1:18000 is already in use'],
    [18443, 'edge HTTPS port 127.0.0.1:18443 is already in use'],
  ])('port %i → "%s"', (port, message) => {
    expect((portTakenMeanwhile(inUse(port), config) as Error).message).toBe(message);
  });
  it('leaves other errors alone', () => {
    const other = Object.assign(new Error('boom'), { code: 'EACCES', port: 18080 });
    expect(portTakenMeanwhile(other, config)).toBe(other);
    const rtmp = new Error('RTMP port 127.0.0.1:1935 is already in use');
    expect(portTakenMeanwhile(rtmp, config)).toBe(rtmp);
  });
});

/** Runs the edge role alone (no ffmpeg needed) until its ready line, then SIGTERMs the CLI. */
async function edgeOutput(viaTerminal: boolean, extra: string[] = []): Promise<{ out: string; stdout: string }> {
  const port = await freePort();
  const argv = [
    ...CLI_FROM_SOURCE,
    'edge',
    ...loopbackArgs({ edge: port }, path.join(work, `edge-${port}`)),
    '--origin',
    'http://127.0.0.1:9',
    ...extra,
  ];
  const quoted = [process.execPath, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // script(1) from util-linux runs the command on a pseudo-terminal: stdout.isTTY is true there.
  const child = viaTerminal
    ? spawn('script', ['-qefc', quoted, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d) => ((out += d), (stdout += d)));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const end = Date.now() + 30_000;
    while (!/streamfront is ready/.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ready line:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300)); // let the log worker write what it has
  } finally {
    const cli = viaTerminal ? descendantPids(child.pid!).filter(isRunning) : [child.pid!];
    for (const pid of cli) process.kill(pid, 'SIGTERM');
    for (const pid of cli) await waitForExit(pid, 10_000);
    await exited;
  }
  return { out, stdout };
}

describe('log format on a real run', () => {
  it('a terminal gets pino-pretty lines', async () => {
    const { out } = await edgeOutput(true);
    expect(out).toMatch(/INFO.*edge listening/);
    expect(out).not.toMatch(/\{"level":/);
  });
  it('a pipe gets JSON lines, and the ready line goes to stderr', async () => {
    const { stdout } = await edgeOutput(false);
    const lines = stdout.split('\n').filter(Boolean);
    // stdout is for a machine: every line parses, and the person's line is not among them.
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toContain('edge listening');
    expect(msgs).toContain('streamfront ready');
  });
  it('--log-format json wins over a terminal', async () => {
    const { out } = await edgeOutput(true, ['--log-format', 'json']);
    expect(out).toMatch(/\{"level":30,.*"msg":"edge listening"/);
  });
});
