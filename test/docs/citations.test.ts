// Every rule, section and defect the repository cites is defined in docs/, and no comment points
// at a tracker item. The matcher is tested from a table first, so that a typo'd ID is caught and
// ordinary text (UTF-8, RFC sections, ffmpeg flags) is not.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { citationsIn, definitionsIn, problemWith, type Citation } from './citation-scan.js';
import { REPO_ROOT } from '../helpers/server-process.js';

const rulesCatalogue = readFileSync(path.join(REPO_ROOT, 'docs/cloudfront-rules.md'), 'utf8');
const fieldNotes = readFileSync(path.join(REPO_ROOT, 'docs/field-notes.md'), 'utf8');
const defs = definitionsIn(rulesCatalogue, fieldNotes);

const brief = (cs: Citation[]): string[] => cs.map((c) => `${c.kind}:${c.ref}`);

describe('the citation matcher', () => {
  const rows: Array<[string, string[]]> = [
    ['// SPEC ORG-03: request limits', ['rule:ORG-03']],
    ['(TTL-01..07, ERR-01/02)', ['rule:TTL-01', 'rule:TTL-07', 'rule:ERR-01', 'rule:ERR-02']],
    ['SPEC MET-01/02/03 and STAT-01', ['rule:MET-01', 'rule:MET-02', 'rule:MET-03', 'rule:STAT-01']],
    ['a typo: SPEC ORG-30', ['rule:ORG-30']],
    ['a range the wrong way: CK-05..01', ['rule:CK-05', 'bad-range:CK-05..01']],
    ['UTF-8, UTF-16, SHA-256, ISO-8859-1, A-Z0-9, x-edge-location, AES128-GCM-SHA256, CVE-2024-12345', []],
    ['SPEC 4.3 cache key', ['spec-section:4.3']],
    ['SPEC §9.14: request collapsing', ['spec-section:9.14']],
    ['SPEC 9 item 19', ['spec-section:9.19']],
    ['(SPEC §4–6)', ['spec-section:4', 'spec-section:6']],
    ['SPEC 2.1–2.3', ['spec-section:2.1', 'spec-section:2.3']],
    ['FIELD-NOTES §4b/§4c', ['notes-section:4b', 'notes-section:4c']],
    ['FIELD-NOTES §7 N6', ['note:N6', 'notes-section:7']],
    ['// FIELD-NOTES §3 and §7 …\n//   - two-level app (§3)', ['notes-section:3', 'notes-section:7', 'notes-section:3']],
    ['RFC 9110 §13.2.2 and RFC 3986 §6.2.2', []],
    ['the next HLS draft (RFC 8216bis §4.4.3.8), draft-pantos-hls-rfc8216bis §6.2.5', []],
    [
      '// FIELD-NOTES §7 N4 …\n// chunk size (RTMP 1.0 §5.4.1; and §5.3.1.2), a box (ISO/IEC 14496-12 §8.8.7)',
      ['note:N4', 'notes-section:7'],
    ],
    ['conditional requests (RFC 9110 §13, SPEC CND-01/02) and ranges (RFC 9110 §14)', ['rule:CND-01', 'rule:CND-02']],
    ['a stray §9.16', ['unattributed-section:§9.16']],
    ['SPEC ERR-04\n\nlater §9.16', ['rule:ERR-04', 'unattributed-section:§9.16']],
    ['(N3/F1), N1–N7, F2:', ['note:N3', 'note:F1', 'note:N1', 'note:N7', 'note:F2']],
    ['N publishers, -f flv, f4m, #F1F1F1, NF1, N10x', []],
    ["restart (issue 5: resume within 3 s); Issue 4's target; issue #12", ['tracker:issue 5', 'tracker:Issue 4', 'tracker:issue #12']],
    ['result.error.issues[0], issuesOf({ x })', []],
  ];
  it.each(rows)('%j', (text, expected) => {
    expect(brief(citationsIn(text))).toEqual(expected);
  });

  it('reports each unresolved kind', () => {
    const found = citationsIn('SPEC ORG-30, SPEC §4.13, FIELD-NOTES §4e, N8, issue 2, §2.1').map((c) => problemWith(c, defs));
    expect(found.filter(Boolean)).toHaveLength(6);
    expect(citationsIn('SPEC ORG-03, SPEC §4.12, FIELD-NOTES §4b, N7, F2').map((c) => problemWith(c, defs))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('docs/ defines', () => {
  it('each rule and section once', () => {
    expect(defs.duplicates).toEqual([]);
  });
  it('the rule families of the catalogue, the §9 readings and every field-notes defect', () => {
    const families = new Set([...defs.rules].map((r) => r.split('-')[0]));
    expect([...families].sort()).toEqual([
      'CK',
      'CN',
      'CND',
      'DRO',
      'EDGE',
      'ERR',
      'GEO',
      'GZ',
      'HDR',
      'ING',
      'INV',
      'LIVE',
      'LOG',
      'MET',
      'ORG',
      'ORIGIN',
      'PC',
      'POL',
      'QS',
      'RNG',
      'RSP',
      'RTMP',
      'SIG',
      'STAT',
      'TLS',
      'TTL',
      'VOD',
    ]);
    expect(defs.rules.size).toBe(123);
    for (let i = 1; i <= 28; i++) expect(defs.specSections.has(`9.${i}`), `§9.${i}`).toBe(true);
    for (let i = 1; i <= 12; i++) expect(defs.specSections.has(`4.${i}`), `§4.${i}`).toBe(true);
    expect([...defs.notes].sort()).toEqual(['F1', 'F2', 'N1', 'N2', 'N3', 'N4', 'N5', 'N6', 'N7']);
  });
  it('and the README links them', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/\]\(docs\/cloudfront-rules\.md\)/);
    expect(readme).toMatch(/\]\(docs\/field-notes\.md\)/);
  });
});

const SCANNED = ['src', 'test', 'scripts', 'player', 'docker', 'docs', 'README.md', '.ci'];
/** The matcher's own table cites wrong IDs on purpose. */
const SKIPPED = new Set(['test/docs']);
const TEXT_FILE = /(\.(ts|js|mjs|cjs|md|ya?ml|html|css|json|sh)|Dockerfile|\/[^./]+)$/;

function filesUnder(rel: string): string[] {
  const abs = path.join(REPO_ROOT, rel);
  if (SKIPPED.has(rel)) return [];
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return [];
  if (st.isFile()) return TEXT_FILE.test('/' + rel) ? [rel] : [];
  return readdirSync(abs).flatMap((name) => filesUnder(path.posix.join(rel, name)));
}

describe('every citation in the repository resolves', () => {
  const files = SCANNED.flatMap(filesUnder);
  it('scans the tree', () => {
    expect(files).toContain('src/ingest/nms-adapter.ts');
    expect(files).toContain('scripts/soak');
  });
  it('no unresolved rule, section or defect, and no tracker reference', () => {
    const problems: string[] = [];
    for (const rel of files) {
      const text = readFileSync(path.join(REPO_ROOT, rel), 'utf8');
      if (text.includes('\0')) continue;
      // Inside docs/, a bare § refers to the page it is on.
      const own = rel === 'docs/cloudfront-rules.md' ? 'spec' : rel === 'docs/field-notes.md' ? 'notes' : undefined;
      for (const c of citationsIn(text, own)) {
        const problem = problemWith(c, defs);
        if (problem) problems.push(`${rel}:${c.line}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
