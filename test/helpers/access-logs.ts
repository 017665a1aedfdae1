// The edge's gzip access-log files as a test reads them back: every `.gz` under a directory (the
// edge writes them per distribution and hour, at any depth), in file-name order, gunzipped whole.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LOG_FIELDS } from '../../src/edge/access-log.js';

export interface AccessLogFile {
  /** Path relative to the directory read. */
  name: string;
  /** Every line, the `#Version` and `#Fields` header lines included, without the final newline. */
  lines: string[];
}

export interface ReadOptions {
  /**
   * For a caller that polls while the edge runs: a file that does not gunzip yet (still being
   * written, completed at the writer's next flush) is left out, and a directory not made yet reads
   * as empty. Without it both throw.
   */
  skipIncomplete?: boolean;
}

/** The access-log files under `dir`, sorted by name. */
export function accessLogFiles(dir: string, opts: ReadOptions = {}): AccessLogFile[] {
  const out: AccessLogFile[] = [];
  let all: string[];
  try {
    all = readdirSync(dir, { recursive: true }) as string[];
  } catch (err) {
    if (opts.skipIncomplete && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const names = all.filter((n) => n.endsWith('.gz')).sort();
  for (const name of names) {
    let text: string;
    try {
      text = gunzipSync(readFileSync(join(dir, name))).toString();
    } catch (err) {
      if (opts.skipIncomplete) continue;
      throw err;
    }
    out.push({ name, lines: text.trimEnd().split('\n') });
  }
  return out;
}

/** The record lines of every access-log file under `dir` (header lines left out), files in name order. */
export function accessLogLines(dir: string, opts: ReadOptions = {}): string[] {
  return accessLogFiles(dir, opts).flatMap((f) => f.lines.filter((l) => l && !l.startsWith('#')));
}

/** accessLogLines() as objects by field name (LOG_FIELDS order). */
export function accessLogEntries(dir: string): Record<(typeof LOG_FIELDS)[number], string>[] {
  return accessLogLines(dir).map(
    (l) => Object.fromEntries(l.split('\t').map((v, i) => [LOG_FIELDS[i], v])) as Record<(typeof LOG_FIELDS)[number], string>,
  );
}
