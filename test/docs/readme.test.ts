// README facts a new user acts on: the invalidation example is a complete batch the edge accepts,
// no command is macOS-only, and the CLI is shown in a form that runs after `npm ci`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInvalidationBatch } from '../../src/edge/invalidation.js';
import { REPO_ROOT } from '../helpers/server-process.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const codeBlocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
const shellLines = codeBlocks.filter((b) => b.lang === 'sh').flatMap((b) => b.body.split('\n'));

describe('README', () => {
  it('gives a batch.xml the invalidation API parses, with a CallerReference and its paths', () => {
    const xml = codeBlocks.find((b) => b.lang === 'xml' && b.body.includes('<InvalidationBatch'));
    expect(xml, 'an xml block with an InvalidationBatch').toBeDefined();
    const batch = parseInvalidationBatch(xml!.body);
    expect(batch.callerReference).not.toBe('');
    expect(batch.paths.length).toBeGreaterThan(0);
    expect(readme).toMatch(/--data-binary @batch\.xml/);
  });

  it('runs no macOS-only `open` in its shell examples', () => {
    expect(shellLines.filter((l) => /^\s*open\s/.test(l))).toEqual([]);
  });

  it('shows the CLI as `npx streamfront` or `node dist/cli.js`, never a bare `streamfront` command', () => {
    const bare = [...readme.matchAll(/`(streamfront\s+[a-z-]+[^`]*)`/g)].map((m) => m[1]);
    expect(bare).toEqual([]);
    expect(shellLines.filter((l) => /^\s*streamfront\s/.test(l))).toEqual([]);
  });

  it('points Smooth in a browser at dash.js with its MSS plugin', () => {
    expect(readme).toMatch(/dash\.js[\s\S]{0,80}MSS/);
  });
});
