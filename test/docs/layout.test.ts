// The README's "How the code is laid out" block is checked against the tree: every folder under
// src/ is listed, and every folder and file the block names exists. Files are checked only where
// the block names them, so adding a file never breaks this test; adding or renaming a folder does.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/server-process.js';

/**
 * Folders that other branches add and the block already lists. They may be absent until those
 * branches are merged; once present they are checked like any other. Empty this set after merging.
 */
const ANNOUNCED = new Set(['src/timeline/', 'src/net/', 'src/edge/control/']);

interface LayoutLine {
  /** `src/cli.ts` or `src/edge/` as written in the first column. */
  entry: string;
  /** File names in the description (`nms-adapter.ts`), which must exist in the entry's folder. */
  files: string[];
}

export function layoutLines(readme: string): LayoutLine[] {
  const section = readme.split(/^## How the code is laid out$/m)[1];
  if (!section) throw new Error('README has no "How the code is laid out" section');
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the layout section has no code block');
  return block
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [entry = '', ...rest] = l.trim().split(/\s+/);
      const description = rest.join(' ');
      return { entry, files: [...description.matchAll(/(?<![\w/.-])([\w-]+(?:\.d)?\.ts)\b/g)].map((m) => m[1]!) };
    });
}

function srcFolders(rel = 'src'): string[] {
  return readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      const child = `${rel}/${d.name}`;
      return [`${child}/`, ...srcFolders(child)];
    });
}

const lines = layoutLines(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
const entries = lines.map((l) => l.entry);

describe('README "How the code is laid out"', () => {
  it('parses into entries', () => {
    expect(entries).toContain('src/ingest/');
    expect(entries).toContain('src/cli.ts');
  });

  it('lists every folder under src/', () => {
    const missing = srcFolders().filter((f) => !entries.includes(f));
    expect(missing, 'add these folders to the README layout block').toEqual([]);
  });

  it('names only folders and files that exist', () => {
    const problems: string[] = [];
    for (const { entry, files } of lines) {
      const abs = path.join(REPO_ROOT, entry);
      if (!existsSync(abs)) {
        if (!ANNOUNCED.has(entry)) problems.push(`${entry} does not exist`);
        continue;
      }
      const dir = entry.endsWith('/') ? abs : path.dirname(abs);
      if (entry.endsWith('/') !== statSync(abs).isDirectory()) problems.push(`${entry}: folder/file mismatch`);
      for (const f of files)
        if (!existsSync(path.join(dir, f))) problems.push(`${entry} names ${f}, which is not in ${path.relative(REPO_ROOT, dir) || '.'}`);
    }
    expect(problems).toEqual([]);
  });

  it('lists every top-level file of src/', () => {
    const top = readdirSync(path.join(REPO_ROOT, 'src'))
      .filter((n) => n.endsWith('.ts'))
      .map((n) => `src/${n}`);
    expect(top.filter((f) => !entries.includes(f))).toEqual([]);
  });
});
