// Merges defaults < JSON config file < environment < command-line flags into one validated Config.
// Every failure is a ConfigError carrying one clear line (the CLI prints it without a stack trace).
import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './index.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind = 'string' | 'int' | 'number' | 'list' | 'bool';

export interface CliOption {
  flag: string;
  env: string;
  /** The config key the flag and the variable set, as a path (`['packager', 'segmentSeconds']`). */
  path: string[];
  kind: Kind;
  help: string;
}

/** A row of OPTIONS: `key` is the dotted config key; the variable is STREAMFRONT_<FLAG> unless named. */
function option(
  flag: string,
  key: string,
  kind: Kind,
  help: string,
  env = `STREAMFRONT_${flag.toUpperCase().replaceAll('-', '_')}`,
): CliOption {
  return { flag, env, path: key.split('.'), kind, help };
}

/** Every setting that can come from a flag or an environment variable. */
export const OPTIONS: readonly CliOption[] = [
  option('host', 'host', 'string', 'address every listener binds to (default 127.0.0.1)'),
  option('rtmp-port', 'rtmpPort', 'int', 'RTMP ingest port (default 1935)'),
  option('origin-port', 'originPort', 'int', 'HTTP origin port (default 8080)'),
  option('edge-port', 'edgePort', 'int', 'edge emulator port (default 8000)'),
  option('edge-https-port', 'edgeHttpsPort', 'int', 'edge HTTPS port, HTTP/2 and HTTP/1.1 (default 8443; 0 = off)'),
  option('data-dir', 'dataDir', 'string', 'where packaged output is written (default ./data)'),
  option('log-level', 'logLevel', 'string', 'fatal|error|warn|info|debug|trace|silent (default info)'),
  option('log-format', 'logFormat', 'string', 'auto|json|pretty (default auto: pretty on a terminal)'),
  option('publish-secret', 'ingest.publishSecret', 'string', 'require a publish key derived from this secret'),
  option('publish-allow', 'ingest.publishAllow', 'list', 'comma-separated IPs/CIDRs allowed to publish (default any)'),
  option('ffmpeg-path', 'packager.ffmpegPath', 'string', 'ffmpeg binary (default: ffmpeg on PATH)', 'FFMPEG_PATH'),
  option('segment-seconds', 'packager.segmentSeconds', 'number', 'HLS/HDS/Smooth segment length (default 2)'),
  option('dvr-window', 'packager.dvrWindowSeconds', 'number', 'DVR window the live manifests list, seconds (default 1800)'),
  option('ladder', 'packager.ladder', 'string', 'ABR ladder: source (default, copy only) or default (source + 480p + 360p + 240p)'),
  option('part-seconds', 'packager.cmaf.partSeconds', 'number', 'LL-HLS / DASH part duration (default 0.5)'),
  option('record', 'packager.record', 'bool', 'keep every finished live event as VOD (true|false; default false; per stream: ?record=1)'),
  option('admin-token', 'origin.adminToken', 'string', 'bearer token for DELETE /api/recordings/<id> (default unset: 403)'),
  option('store', 'storage.store', 'string', 'where recordings and the DVR window go: data-dir (default) or s3://bucket/prefix'),
  option('s3-endpoint', 'storage.s3.endpoint', 'string', 'S3-compatible endpoint URL (path-style), e.g. http://127.0.0.1:4568'),
  option('s3-region', 'storage.s3.region', 'string', 'S3 region (default AWS_REGION, else us-east-1)'),
  option('s3-access-key-id', 'storage.s3.accessKeyId', 'string', 'S3 access key id (default: AWS_ACCESS_KEY_ID and the SDK chain)'),
  option(
    's3-secret-access-key',
    'storage.s3.secretAccessKey',
    'string',
    'S3 secret access key (default: AWS_SECRET_ACCESS_KEY and the SDK chain)',
  ),
  option(
    'origin',
    'edge.origin',
    'string',
    'origin URL the edge fronts (default http://127.0.0.1:<origin-port>)',
    'STREAMFRONT_EDGE_ORIGIN',
  ),
];

function convert(raw: string, kind: Kind, label: string): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(raw.trim())) return true;
      if (/^(false|0|no|off)$/i.test(raw.trim())) return false;
      throw new ConfigError(`${label}: expected true or false, got "${raw}"`);
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
        throw new ConfigError(`${label}: expected ${kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`);
      }
      return n;
    }
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

export interface ParsedArgs {
  /** Overrides from flags, shaped like Config. */
  overrides: Record<string, unknown>;
  configFile?: string;
  positionals: string[];
  help: boolean;
}

/** Parses `--flag value` and `--flag=value`; unknown flags are a ConfigError. */
export function parseArgs(argv: string[]): ParsedArgs {
  const overrides: Record<string, unknown> = {};
  const positionals: string[] = [];
  let configFile: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'help') {
      help = true;
      continue;
    }
    const takeValue = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`--${name}: missing value`);
      i++;
      return next;
    };
    if (name === 'config') {
      configFile = takeValue();
      continue;
    }
    const opt = OPTIONS.find((o) => o.flag === name);
    if (!opt) throw new ConfigError(`unknown flag --${name} (see --help)`);
    // A yes/no flag alone means yes; it takes a value only as `--flag=v` or a following true/false.
    if (opt.kind === 'bool' && eq === -1 && !/^(true|false|1|0|yes|no|on|off)$/i.test(argv[i + 1] ?? '')) {
      setPath(overrides, opt.path, true);
      continue;
    }
    setPath(overrides, opt.path, convert(takeValue(), opt.kind, `--${name}`));
  }
  return { overrides, configFile, positionals, help };
}

export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const opt of OPTIONS) {
    const raw = env[opt.env];
    if (raw !== undefined && raw !== '') setPath(overrides, opt.path, convert(raw, opt.kind, opt.env));
  }
  return overrides;
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--config ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`--config ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`--config ${file}: expected a JSON object`);
  return parsed;
}

/** Validates a merged object; the first problem becomes one line naming the field. */
export function validateConfig(merged: unknown): Config {
  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : '(root)';
  const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` ${issue.keys.join(', ')}` : '';
  throw new ConfigError(`config: ${field}: ${issue.message}${keys}`);
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config: Config; args: ParsedArgs } {
  const args = parseArgs(argv);
  const configFile = args.configFile ?? env.STREAMFRONT_CONFIG;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const merged = deepMerge(deepMerge(fromFile, envOverrides(env)), args.overrides);
  return { config: validateConfig(merged), args };
}
