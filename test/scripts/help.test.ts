// Every script under scripts/ answers --help with its usage (exit 0, a `Usage` line, no figures),
// and a bad number is refused with the usage instead of running into NaN results.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNumberArg, parseNumberListArg, ScriptArgError } from '../../scripts/script-args.js';
import { REPO_ROOT } from '../helpers/server-process.js';

/** Modules imported by the scripts, not run on their own. */
const LIBRARIES = new Set(['bench-edge-common.ts', 'script-args.ts']);
const scripts = readdirSync(path.join(REPO_ROOT, 'scripts')).filter((f) => !LIBRARIES.has(f));

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const file = path.join(REPO_ROOT, 'scripts', script);
  const [cmd, argv] = script.endsWith('.ts') ? [process.execPath, ['--import', 'tsx', file, ...args]] : [file, args];
  return spawnSync(cmd, argv, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
}

describe('scripts --help', () => {
  it('finds the scripts', () => {
    expect(scripts).toEqual(expect.arrayContaining(['bench-packaging.ts', 'bench-edge', 'soak', 'soak.ts']));
  });
  it.each(scripts)('%s --help prints its usage', (script) => {
    const r = run(script, ['--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: /m);
    expect(r.stdout).not.toMatch(/NaN/);
  });
});

describe('bad numbers are refused', () => {
  it.each([
    ['bench-packaging.ts', ['abc'], {}],
    ['bench-latency.ts', ['0'], {}],
    ['bench-streams.ts', ['300', '8,x'], {}],
    ['bench-edge.ts', [], { BENCH_SECONDS: 'four' }],
    ['bench-edge-memory.ts', [], { MEM_TOTAL_MIB: '-1' }],
    ['bench-packaging.ts', ['60', 'extra'], {}],
  ] as const)('%s %j %j → exit 2 with the usage', (script, args, env) => {
    const r = run(script, [...args], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^Usage: /m);
    expect(r.stdout).not.toMatch(/NaN/);
  });

  const rows: Array<[string | undefined, number | string]> = [
    [undefined, 60],
    ['', 60],
    ['30', 30],
    ['12.5', 12.5],
    ['abc', 'expected a number'],
    ['NaN', 'expected a number'],
    ['Infinity', 'expected a number'],
    ['5', 'expected 10..600'],
    ['601', 'expected 10..600'],
  ];
  it.each(rows)('parseNumberArg(%j) → %j', (raw, expected) => {
    if (typeof expected === 'number') expect(parseNumberArg(raw, 'seconds', 60, { min: 10, max: 600 })).toBe(expected);
    else expect(() => parseNumberArg(raw, 'seconds', 60, { min: 10, max: 600 })).toThrow(new RegExp(`seconds: ${expected}`));
  });
  it('parseNumberListArg checks every element', () => {
    expect(parseNumberListArg('8,16', 'steps', [1], { min: 1, max: 200, integer: true })).toEqual([8, 16]);
    expect(() => parseNumberListArg('8,,16', 'steps', [1], { min: 1, max: 200, integer: true })).toThrow(ScriptArgError);
    expect(() => parseNumberListArg('8,2.5', 'steps', [1], { min: 1, max: 200, integer: true })).toThrow(/whole number/);
  });
});
