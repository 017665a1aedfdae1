// Pure: finds the rule, section and note citations in a text, and the definitions in docs/.
// A citation is one of
//   - a rule ID: `ORG-03`, a range `TTL-01..07` (both ends), a list `RTMP-10/11` or `MET-01/02/03`;
//   - a SPEC section: `SPEC 4.3`, `SPEC §9.14`, `SPEC §4–6` (both ends), `SPEC 9 item 14` (= §9.14);
//   - a field-notes section: `FIELD-NOTES §4b`, `FIELD-NOTES §4b/§4c`;
//   - a field-notes defect: `N1`…`N7`, `F1`, `F2` as words of their own;
//   - a `§` whose document is the nearest `SPEC`, `FIELD-NOTES`, `RFC <n>`, `RTMP 1.0` or `ISO/IEC <n>`
//     before it in the same paragraph (another specification's sections are not ours to check); with
//     none, the `§` is unattributed;
//   - a tracker reference (`issue 5`), which is never allowed: it resolves to nothing in a clone.

export type CitationKind = 'rule' | 'spec-section' | 'notes-section' | 'note' | 'tracker' | 'unattributed-section' | 'bad-range';

export interface Citation {
  kind: CitationKind;
  /** The ID or section as it must be defined (`ORG-03`, `9.14`, `4b`, `N4`), or the text found. */
  ref: string;
  /** 1-based line of the citation in the scanned text. */
  line: number;
}

export type DefaultDocument = 'spec' | 'notes' | undefined;

const RULE = /(?<![\w-])([A-Z]{2,7})-(\d{2})(?:(?:\.\.|…)(\d{2})|((?:\/\d{2})+))?(?!\w)/g;
const NOTE = /(?<![\w#])([NF]\d{1,2})(?!\w)/g;
const TRACKER = /\bissues?\s*#?\s*\d+/gi;
const SPEC_NUMBER = /\bSPEC\s+(?:(\d+)\s+item\s+(\d+)|(\d+(?:\.\d+)*)(?:\s*[–-]\s*(\d+(?:\.\d+)*))?)(?![\w.]*\d)/g;
const SECTION = /§\s*(\d+(?:\.\d+)*[a-z]?)(?:\s*[–-]\s*(\d+(?:\.\d+)*[a-z]?))?/g;
/** Document names a `§` can belong to: ours, or another specification's (whose sections are not ours to check). */
const DOCUMENT = /\bSPEC\b|\bFIELD-NOTES\b|\bRFC\s*\d{3,5}|\brfc\d{3,5}|\bRTMP\s+1\.0\b|\bISO(?:\/IEC)?\s+\d{3,5}(?:-\d+)?\b/g;
/** Standard names shaped like rule IDs (`UTF-16`): not citations. */
const NOT_RULE_FAMILIES = new Set(['UTF', 'UCS']);

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The document a `§` at `index` belongs to: the nearest name before it, within its paragraph. */
function documentBefore(text: string, index: number): 'spec' | 'notes' | 'external' | undefined {
  const paragraphStart = Math.max(text.lastIndexOf('\n\n', index), text.lastIndexOf('\n\r\n', index), 0);
  const window = text.slice(Math.max(paragraphStart, index - 400), index);
  let last: string | undefined;
  for (const m of window.matchAll(DOCUMENT)) last = m[0];
  if (!last) return undefined;
  if (last === 'SPEC') return 'spec';
  if (last === 'FIELD-NOTES') return 'notes';
  // RFC 9110, RFC 8216bis, rfc8216, RTMP 1.0, ISO/IEC 14496-12: that specification's own sections.
  return 'external';
}

const num = (s: string): number => Number(s);

export function citationsIn(text: string, defaultDocument?: DefaultDocument): Citation[] {
  const out: Citation[] = [];
  const add = (kind: CitationKind, ref: string, index: number): void => void out.push({ kind, ref, line: lineAt(text, index) });

  for (const m of text.matchAll(RULE)) {
    const [, family, first, rangeEnd, list] = m;
    if (NOT_RULE_FAMILIES.has(family!)) continue;
    add('rule', `${family}-${first}`, m.index);
    if (rangeEnd !== undefined) {
      if (num(rangeEnd) <= num(first!)) add('bad-range', m[0], m.index);
      else add('rule', `${family}-${rangeEnd}`, m.index);
    }
    for (const more of list?.split('/').filter(Boolean) ?? []) add('rule', `${family}-${more}`, m.index);
  }
  for (const m of text.matchAll(NOTE)) add('note', m[1]!, m.index);
  for (const m of text.matchAll(TRACKER)) add('tracker', m[0], m.index);
  for (const m of text.matchAll(SPEC_NUMBER)) {
    const [, itemSection, item, section, rangeEnd] = m;
    if (itemSection !== undefined) add('spec-section', `${itemSection}.${item}`, m.index);
    else {
      add('spec-section', section!, m.index);
      if (rangeEnd !== undefined) add('spec-section', rangeEnd, m.index);
    }
  }
  for (const m of text.matchAll(SECTION)) {
    const doc = documentBefore(text, m.index) ?? defaultDocument;
    if (doc === 'external') continue;
    const refs = [m[1]!, ...(m[2] !== undefined ? [m[2]] : [])];
    for (const ref of refs) {
      if (doc === 'spec') add('spec-section', ref, m.index);
      else if (doc === 'notes') add('notes-section', ref, m.index);
      else add('unattributed-section', `§${ref}`, m.index);
    }
  }
  return out;
}

export interface Definitions {
  rules: Set<string>;
  specSections: Set<string>;
  notesSections: Set<string>;
  notes: Set<string>;
  /** IDs or sections defined twice (each must have one entry). */
  duplicates: string[];
}

/**
 * Definitions are entries that start a line: `- **ORG-03** — …` or `- **§9.14** — …` and headings
 * `## §4.3 …` in the rules catalogue; `- **N4** — …` and `### §4b …` in the field notes.
 */
export function definitionsIn(rulesCatalogue: string, fieldNotes: string): Definitions {
  const defs: Definitions = { rules: new Set(), specSections: new Set(), notesSections: new Set(), notes: new Set(), duplicates: [] };
  const put = (set: Set<string>, key: string): void => {
    if (set.has(key)) defs.duplicates.push(key);
    set.add(key);
  };
  for (const m of rulesCatalogue.matchAll(/^- \*\*([A-Z]{2,7}-\d{2})\*\*/gm)) put(defs.rules, m[1]!);
  for (const m of rulesCatalogue.matchAll(/^(?:#{2,6} §|- \*\*§)(\d+(?:\.\d+)*)(?=[\s*])/gm)) put(defs.specSections, m[1]!);
  for (const m of fieldNotes.matchAll(/^#{2,6} §(\d+[a-z]?)(?=\s)/gm)) put(defs.notesSections, m[1]!);
  for (const m of fieldNotes.matchAll(/^- \*\*([NF]\d{1,2})\*\*/gm)) put(defs.notes, m[1]!);
  return defs;
}

/** Why a citation does not resolve, or undefined when it does. */
export function problemWith(c: Citation, defs: Definitions): string | undefined {
  switch (c.kind) {
    case 'rule':
      return defs.rules.has(c.ref) ? undefined : `rule ${c.ref} is not in docs/cloudfront-rules.md`;
    case 'spec-section':
      return defs.specSections.has(c.ref) ? undefined : `SPEC §${c.ref} is not a section of docs/cloudfront-rules.md`;
    case 'notes-section':
      return defs.notesSections.has(c.ref) ? undefined : `FIELD-NOTES §${c.ref} is not a section of docs/field-notes.md`;
    case 'note':
      return defs.notes.has(c.ref) ? undefined : `${c.ref} is not a defect in docs/field-notes.md`;
    case 'tracker':
      return `"${c.ref}" points at a tracker item; say what it means instead`;
    case 'unattributed-section':
      return `${c.ref} names no document: write SPEC ${c.ref}, FIELD-NOTES ${c.ref} or RFC <n> ${c.ref}`;
    case 'bad-range':
      return `range ${c.ref} does not go upwards`;
  }
}
