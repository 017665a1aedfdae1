import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/index.js';
import { ConfigError, loadConfig, OPTIONS, parseArgs } from '../../src/config/load.js';
import { REPO_ROOT } from '../helpers/server-process.js';

describe('configuration loading', () => {
  it('has working defaults with no file, env or flags', () => {
    const { config } = loadConfig([], {});
    expect(config.host).toBe('127.0.0.1');
    expect(config.rtmpPort).toBe(1935);
    expect(config.originPort).toBe(8080);
    expect(config.edgePort).toBe(8000);
    // SPEC ORIGIN-01 defaults
    expect(config.origin.cacheControl).toMatchObject({
      HttpStreamingF4MMaxAge: 2,
      HttpStreamingBootstrapMaxAge: 2,
      HttpStreamingFragMaxAge: 60,
      m3u8MaxAge: 2,
      tsMaxAge: 60,
    });
    expect(config.ingest.publishSecret).toBeUndefined();
  });

  it('applies flags over env over file', () => {
    const { config } = loadConfig(['--rtmp-port', '19350', '--host=0.0.0.0'], {
      STREAMFRONT_RTMP_PORT: '2000',
      STREAMFRONT_ORIGIN_PORT: '9090',
      STREAMFRONT_PUBLISH_ALLOW: '10.0.0.0/8, 127.0.0.1',
    });
    expect(config.rtmpPort).toBe(19350);
    expect(config.host).toBe('0.0.0.0');
    expect(config.originPort).toBe(9090);
    expect(config.ingest.publishAllow).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('rejects unknown flags and bad values with one line naming the problem', () => {
    expect(() => parseArgs(['--rtmp-prot', '1'])).toThrow(ConfigError);
    expect(() => parseArgs(['--rtmp-prot', '1'])).toThrow(/unknown flag --rtmp-prot/);
    expect(() => loadConfig(['--rtmp-port', 'abc'], {})).toThrow(/--rtmp-port: expected an integer/);
    expect(() => loadConfig(['--rtmp-port', '70000'], {})).toThrow(/config: rtmpPort:/);
    expect(() => loadConfig(['--config', '/nonexistent/x.json'], {})).toThrow(/cannot read/);
  });
});

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
}

/** The JSON-schema types a config key accepts, or undefined when the schema has no such key. */
function typesAt(key: string[]): string[] | undefined {
  let node: JsonSchema | undefined = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  for (const k of key) node = node?.properties?.[k];
  if (!node) return undefined;
  return (node.anyOf ?? [node]).map((n) => n.type ?? 'any');
}

/** The configuration reference's rows: flag → [variable, config key]. */
function readmeRows(): Map<string, [string, string]> {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Configuration reference$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = [...section.matchAll(/^\| `--([\w-]+)` \| `(\w+)` \| `([\w.]+)` \|/gm)];
  return new Map(rows.map((m) => [m[1]!, [m[2]!, m[3]!]]));
}

describe('the flag and variable table (OPTIONS)', () => {
  const kinds: Record<string, string[]> = {
    string: ['string'],
    int: ['integer'],
    number: ['number', 'integer'],
    list: ['array'],
    bool: ['boolean'],
  };
  const readme = readmeRows();
  it.each(OPTIONS.map((o) => [o.flag, o] as const))('--%s sets a config key of its kind, as the README says', (flag, o) => {
    const types = typesAt(o.path);
    expect(types, `${o.path.join('.')} is not a config key`).toBeDefined();
    expect(
      types!.some((t) => t === 'any' || kinds[o.kind]!.includes(t)),
      `${o.path.join('.')} takes ${types}, not ${o.kind}`,
    ).toBe(true);
    expect(readme.get(flag), `README configuration reference row for --${flag}`).toEqual([o.env, o.path.join('.')]);
  });

  it('names each flag and each variable once, and the README lists no other', () => {
    expect(new Set(OPTIONS.map((o) => o.flag)).size).toBe(OPTIONS.length);
    expect(new Set(OPTIONS.map((o) => o.env)).size).toBe(OPTIONS.length);
    expect([...readme.keys()].sort()).toEqual(OPTIONS.map((o) => o.flag).sort());
  });
});
