// Argument handling the scripts share: `--help` (or `-h`) prints the usage and exits 0 before any
// work starts; a number that does not parse, or an argument the script does not take, is one line
// on stderr plus the usage and exit 2, so a typo never runs a benchmark that prints NaN.

export class ScriptArgError extends Error {
  override name = 'ScriptArgError';
}

/** Prints `usage` and exits 0 when asked for help; exits 2 on more positionals than `maxPositionals`. */
export function helpOrArgs(usage: string, maxPositionals: number, argv: string[] = process.argv.slice(2)): string[] {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage.endsWith('\n') ? usage : usage + '\n');
    process.exit(0);
  }
  if (argv.length > maxPositionals) exitWithUsage(usage, `unexpected argument "${argv[maxPositionals]}"`);
  return argv;
}

export function exitWithUsage(usage: string, message: string): never {
  process.stderr.write(`${message}\n${usage}${usage.endsWith('\n') ? '' : '\n'}`);
  process.exit(2);
}

export interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
}

/** Pure: `raw` (undefined → `fallback`) as a number within the rule, or a ScriptArgError naming `label`. */
export function parseNumberArg(raw: string | undefined, label: string, fallback: number, rule: NumberRule): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ScriptArgError(`${label}: expected a number, got "${raw}"`);
  if (rule.integer && !Number.isInteger(n)) throw new ScriptArgError(`${label}: expected a whole number, got "${raw}"`);
  if (n < rule.min || n > rule.max) throw new ScriptArgError(`${label}: expected ${rule.min}..${rule.max}, got ${raw}`);
  return n;
}

/** Pure: a comma-separated list of whole numbers within the rule. */
export function parseNumberListArg(raw: string | undefined, label: string, fallback: number[], rule: NumberRule): number[] {
  if (raw === undefined || raw === '') return fallback;
  return raw.split(',').map((part, i) => parseNumberArg(part.trim() || 'missing', `${label}[${i}]`, 0, rule));
}

/** parseNumberArg, exiting with the usage on a bad value (for a script's top level). */
export function numberArg(usage: string, raw: string | undefined, label: string, fallback: number, rule: NumberRule): number {
  try {
    return parseNumberArg(raw, label, fallback, rule);
  } catch (err) {
    return exitWithUsage(usage, (err as Error).message);
  }
}

export function numberListArg(usage: string, raw: string | undefined, label: string, fallback: number[], rule: NumberRule): number[] {
  try {
    return parseNumberListArg(raw, label, fallback, rule);
  } catch (err) {
    return exitWithUsage(usage, (err as Error).message);
  }
}
