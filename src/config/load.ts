// Merges defaults < JSON config file < environment < command-line flags into one validated Config.
// Every failure is a ConfigError carrying one clear line (the CLI prints it without a stack trace).
import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './index.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind = 'string' | 'int' | 'number' | 'list' | 'bool';

/** Every setting that can come from a flag or an environment variable. */
export const OPTIONS: ReadonlyArray<{ flag: string; env: string; path: string[]; kind: Kind; help: string }> = [
  { flag: 'host', env: 'STREAMFRONT_HOST', path: ['host'], kind: 'string', help: 'address every listener binds to (default 127.0.0.1)' },
  { flag: 'rtmp-port', env: 'STREAMFRONT_RTMP_PORT', path: ['rtmpPort'], kind: 'int', help: 'RTMP ingest port (default 1935)' },
  { flag: 'origin-port', env: 'STREAMFRONT_ORIGIN_PORT', path: ['originPort'], kind: 'int', help: 'HTTP origin port (default 8080)' },
  { flag: 'edge-port', env: 'STREAMFRONT_EDGE_PORT', path: ['edgePort'], kind: 'int', help: 'edge emulator port (default 8000)' },
  {
    flag: 'edge-https-port',
    env: 'STREAMFRONT_EDGE_HTTPS_PORT',
    path: ['edgeHttpsPort'],
    kind: 'int',
    help: 'edge HTTPS port, HTTP/2 and HTTP/1.1 (default 8443; 0 = off)',
  },
  {
    flag: 'data-dir',
    env: 'STREAMFRONT_DATA_DIR',
    path: ['dataDir'],
    kind: 'string',
    help: 'where packaged output is written (default ./data)',
  },
  {
    flag: 'log-level',
    env: 'STREAMFRONT_LOG_LEVEL',
    path: ['logLevel'],
    kind: 'string',
    help: 'fatal|error|warn|info|debug|trace|silent (default info)',
  },
  {
    flag: 'log-format',
    env: 'STREAMFRONT_LOG_FORMAT',
    path: ['logFormat'],
    kind: 'string',
    help: 'auto|json|pretty (default auto: pretty on a terminal)',
  },
  {
    flag: 'publish-secret',
    env: 'STREAMFRONT_PUBLISH_SECRET',
    path: ['ingest', 'publishSecret'],
    kind: 'string',
    help: 'require a publish key derived from this secret',
  },
  {
    flag: 'publish-allow',
    env: 'STREAMFRONT_PUBLISH_ALLOW',
    path: ['ingest', 'publishAllow'],
    kind: 'list',
    help: 'comma-separated IPs/CIDRs allowed to publish (default any)',
  },
  {
    flag: 'ffmpeg-path',
    env: 'FFMPEG_PATH',
    path: ['packager', 'ffmpegPath'],
    kind: 'string',
    help: 'ffmpeg binary (default: ffmpeg on PATH)',
  },
  {
    flag: 'segment-seconds',
    env: 'STREAMFRONT_SEGMENT_SECONDS',
    path: ['packager', 'segmentSeconds'],
    kind: 'number',
    help: 'HLS/HDS/Smooth segment length (default 2)',
  },
  {
    flag: 'dvr-window',
    env: 'STREAMFRONT_DVR_WINDOW',
    path: ['packager', 'dvrWindowSeconds'],
    kind: 'number',
    help: 'DVR window the live manifests list, seconds (default 1800)',
  },
  {
    flag: 'ladder',
    env: 'STREAMFRONT_LADDER',
    path: ['packager', 'ladder'],
    kind: 'string',
    help: 'ABR ladder: source (default, copy only) or default (source + 480p + 360p + 240p)',
  },
  {
    flag: 'part-seconds',
    env: 'STREAMFRONT_PART_SECONDS',
    path: ['packager', 'cmaf', 'partSeconds'],
    kind: 'number',
    help: 'LL-HLS / DASH part duration (default 0.5)',
  },
  {
    flag: 'record',
    env: 'STREAMFRONT_RECORD',
    path: ['packager', 'record'],
    kind: 'bool',
    help: 'keep every finished live event as VOD (true|false; default false; per stream: ?record=1)',
  },
  {
    flag: 'admin-token',
    env: 'STREAMFRONT_ADMIN_TOKEN',
    path: ['origin', 'adminToken'],
    kind: 'string',
    help: 'bearer token for DELETE /api/recordings/<id> (default unset: 403)',
  },
  {
    flag: 'store',
    env: 'STREAMFRONT_STORE',
    path: ['storage', 'store'],
    kind: 'string',
    help: 'where recordings and the DVR window go: data-dir (default) or s3://bucket/prefix',
  },
  {
    flag: 's3-endpoint',
    env: 'STREAMFRONT_S3_ENDPOINT',
    path: ['storage', 's3', 'endpoint'],
    kind: 'string',
    help: 'S3-compatible endpoint URL (path-style), e.g. http://127.0.0.1:4568',
  },
  {
    flag: 's3-region',
    env: 'STREAMFRONT_S3_REGION',
    path: ['storage', 's3', 'region'],
    kind: 'string',
    help: 'S3 region (default AWS_REGION, else us-east-1)',
  },
  {
    flag: 's3-access-key-id',
    env: 'STREAMFRONT_S3_ACCESS_KEY_ID',
    path: ['storage', 's3', 'accessKeyId'],
    kind: 'string',
    help: 'S3 access key id (default: AWS_ACCESS_KEY_ID and the SDK chain)',
  },
  {
    flag: 's3-secret-access-key',
    env: 'STREAMFRONT_S3_SECRET_ACCESS_KEY',
    path: ['storage', 's3', 'secretAccessKey'],
    kind: 'string',
    help: 'S3 secret access key (default: AWS_SECRET_ACCESS_KEY and the SDK chain)',
  },
  {
    flag: 'origin',
    env: 'STREAMFRONT_EDGE_ORIGIN',
    path: ['edge', 'origin'],
    kind: 'string',
    help: 'origin URL the edge fronts (default http://127.0.0.1:<origin-port>)',
  },
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
