#!/usr/bin/env node
// streamfront command line: parse flags, load the configuration, start the chosen roles,
// and stop them on SIGINT/SIGTERM so that every ffmpeg child is reaped.
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, OPTIONS } from './config/load.js';
import { loopbackFor, type Config } from './config/index.js';
import { createLogger, resolveLogFormat, type Logger } from './log.js';
import { demoLine, displayHost, playerUrl, readyLine, type ReadyFacts } from './startup-messages.js';
import { startServer, type Roles, type RunningServer } from './server.js';
import { publishKey } from './ingest/publish-auth.js';
import { isValidApp, isValidStreamName } from './streams/stream-key.js';
import { startTestPattern } from './demo/test-pattern.js';

const COMMANDS: Record<string, { roles?: Roles; help: string }> = {
  start: { roles: { ingest: true, origin: true, edge: true }, help: 'RTMP ingest, packager, HTTP origin and the edge emulator (default)' },
  origin: {
    roles: { ingest: true, origin: true, edge: false },
    help: 'RTMP ingest, packager and HTTP origin only (the Docker origin role)',
  },
  edge: { roles: { ingest: false, origin: false, edge: true }, help: 'the edge emulator alone, in front of --origin' },
  demo: { roles: { ingest: true, origin: true, edge: true }, help: 'like start, plus a test-pattern publisher on live/demo' },
  'publish-key': { help: 'print the publish key for <app>/<stream> (needs --publish-secret)' },
};

const STOP_TIMEOUT_MS = 10_000;
/**
 * A second signal sooner than this is the same request delivered twice: Ctrl-C reaches every process
 * of the terminal's group, and npm forwards the SIGINT it got to its script's child as well.
 */
const DUPLICATE_SIGNAL_MS = 1_000;

function usage(): string {
  const lines = ['Usage: streamfront <command> [flags]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.help}`);
  lines.push('', '  --help                       this text', '  --version                    print the version and exit');
  lines.push('', 'Flags (each also an environment variable):');
  lines.push(`  --config <file>${' '.repeat(12)} JSON configuration file (STREAMFRONT_CONFIG)`);
  for (const o of OPTIONS) lines.push(`  --${o.flag} <value>`.padEnd(30) + ` ${o.help} (${o.env})`);
  return lines.join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function fail(message: string, code: number): never {
  process.stderr.write(`streamfront: ${message}\n`);
  process.exit(code);
}

function printUrls(config: Config, server: RunningServer, log: Logger): void {
  const shown = displayHost(config.host);
  const urls: Record<string, string> = {};
  if (server.ports.rtmp) urls.publish = `rtmp://${shown}:${server.ports.rtmp}/live/<stream>`;
  if (server.ports.origin) urls.origin = `http://${shown}:${server.ports.origin}/live/<stream>/playlist.m3u8`;
  if (server.ports.edge) urls.edge = `http://${shown}:${server.ports.edge}/`;
  const player = playerUrl(readyFacts(config, server), 'live/<stream>');
  if (player) urls.player = player;
  if (server.ports.edgeHttps) urls.edgeHttps = `https://${shown}:${server.ports.edgeHttps}/`;
  log.info({ ...urls, dataDir: config.dataDir, publishAuth: Boolean(config.ingest.publishSecret) }, 'streamfront ready');
}

function readyFacts(config: Config, server: RunningServer): ReadyFacts {
  return { host: config.host, ports: server.ports, publishKeyRequired: Boolean(config.ingest.publishSecret) };
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--version')) {
    process.stdout.write(version() + '\n');
    return;
  }
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(argv);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  const { config, args } = loaded;
  if (args.help) {
    process.stdout.write(usage() + '\n');
    return;
  }
  const [command = 'start', ...rest] = args.positionals;
  if (command === 'version') {
    process.stdout.write(version() + '\n');
    return;
  }
  const spec = COMMANDS[command];
  if (!spec) fail(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`, 2);

  if (command === 'publish-key') {
    const target = rest[0] ?? '';
    const slash = target.lastIndexOf('/');
    const app = target.slice(0, slash);
    const name = target.slice(slash + 1);
    if (!config.ingest.publishSecret) fail('publish-key needs --publish-secret (or STREAMFRONT_PUBLISH_SECRET)', 2);
    if (slash < 1 || !isValidApp(app) || !isValidStreamName(name)) fail('usage: streamfront publish-key <app>/<stream>', 2);
    process.stdout.write(publishKey(config.ingest.publishSecret, { app, name }) + '\n');
    return;
  }
  if (rest.length) fail(`unexpected argument "${rest[0]}"`, 2);

  const logFormat = resolveLogFormat(config.logFormat, Boolean(process.stdout.isTTY));
  const log = createLogger(config.logLevel, logFormat);
  // Lines for people go beside pretty logs; when stdout carries JSON for a machine they go to stderr.
  const say = (line: string): void => void (logFormat === 'json' ? process.stderr : process.stdout).write(line + '\n');
  let server: RunningServer;
  try {
    server = await startServer({ config, log, roles: spec.roles! });
  } catch (err) {
    fail((err as Error).message, 1);
  }
  printUrls(config, server, log);
  if (command !== 'demo') say(readyLine(readyFacts(config, server)));

  let demo: { stop(): Promise<void> } | undefined;
  if (command === 'demo') {
    const key = { app: 'live', name: 'demo' };
    const query = config.ingest.publishSecret ? `?key=${publishKey(config.ingest.publishSecret, key)}` : '';
    demo = startTestPattern({
      ffmpegPath: server.ffmpegPath!,
      rtmpUrl: `rtmp://${loopbackFor(config.host)}:${server.ports.rtmp}/live/demo${query}`,
      log: log.child({ role: 'demo' }),
    });
    say(demoLine(readyFacts(config, server)));
  }

  let stoppingSince: number | undefined;
  const stop = (signal: string): void => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      log.error('stop timed out; exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    void (async () => {
      await demo?.stop();
      await server.close();
      log.info('stopped');
      log.flush?.();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(err instanceof Error ? err.message : String(err), 1);
});
