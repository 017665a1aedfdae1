// SPEC INV-01..06 with today's CloudFront on top: invalidation batches, their path rules and
// limits, and one bounded book of records per distribution. Pure: no I/O, no clock of its own.
// The objects go from the cache at once; a record reports InProgress for a short while and then
// Completed, as the real API does after some minutes.
import { XMLParser } from 'fast-xml-parser';
import { canonicalPath } from '../../http/canonical-path.js';
import { HttpError } from '../../result.js';

/** INV-02: at most 4000 characters per path. */
const MAX_PATH_CHARS = 4000;

/** One path of a batch, as the viewer-side cache matches it. */
export interface InvalidationTarget {
  /** The path as the client sent it (with the leading `/` added), echoed back in the API. */
  given: string;
  /** Canonical path (plus any query), or the canonical prefix for a wildcard. */
  match: string;
  /** A path ending in `*` removes every object whose path starts with `match`. */
  wildcard: boolean;
}

export interface InvalidationRecord {
  id: string;
  callerReference: string;
  paths: string[];
  wildcardPaths: number;
  createdAt: number;
}

export interface InvalidationLimits {
  /** INV-04: paths in progress per distribution, and per batch. */
  maxPathsInProgress: number;
  /** Wildcard paths in progress per distribution (today's CloudFront: 15). */
  maxWildcardPathsInProgress: number;
  /** Optional cap on batches in progress (0 = none). */
  maxRequestsInProgress: number;
  reportInProgressSeconds: number;
  /** Completed records kept for Get/ListInvalidations; older ones are forgotten. */
  historyLimit: number;
}

const invalid = (message: string) => new HttpError(400, 'InvalidArgument', message);

/**
 * Parses an InvalidationBatch body (`Paths/Quantity/Items/Path`, the shape of 2014-10-21 and
 * 2020-05-31, and the older flat `Path` list). Every path goes through `invalidationTarget`.
 */
export function parseInvalidationBatch(xml: string): { callerReference: string; targets: InvalidationTarget[] } {
  if (xml.trim() === '') throw new HttpError(400, 'MissingBody', 'this operation requires an InvalidationBatch body');
  // No document type declarations: nothing in the API needs one, and their entities could expand
  // a small body into a large one.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new HttpError(400, 'MalformedInput', 'document type declarations are not accepted');
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ isArray: (name) => name === 'Path', parseTagValue: false, trimValues: true, processEntities: true }).parse(
      xml,
      true,
    );
  } catch (err) {
    throw new HttpError(400, 'MalformedInput', `body is not well-formed XML: ${(err as Error).message}`);
  }
  const batch = doc['InvalidationBatch'];
  if (!batch || typeof batch !== 'object') throw new HttpError(400, 'MalformedInput', 'expected an InvalidationBatch element');
  const b = batch as Record<string, unknown>;
  const callerReference = typeof b['CallerReference'] === 'string' ? b['CallerReference'] : '';
  if (!callerReference) throw invalid('CallerReference is required');
  let paths: unknown[];
  const block = b['Paths'];
  if (block && typeof block === 'object') {
    const p = block as Record<string, unknown>;
    const items = p['Items'];
    paths = items && typeof items === 'object' ? (((items as Record<string, unknown>)['Path'] as unknown[] | undefined) ?? []) : [];
    const quantity = Number(p['Quantity']);
    if (p['Quantity'] === undefined || !Number.isInteger(quantity) || quantity !== paths.length) {
      throw new HttpError(400, 'InconsistentQuantities', `Quantity ${String(p['Quantity'])} does not match ${paths.length} Path elements`);
    }
  } else {
    paths = (b['Path'] as unknown[] | undefined) ?? [];
  }
  if (paths.length === 0) throw invalid('at least one Path is required');
  return { callerReference, targets: paths.map((p) => invalidationTarget(typeof p === 'string' ? p : '')) };
}

/**
 * INV-02 as today's CloudFront applies it: leading `/` optional, case-sensitive, at most 4000
 * characters, URL-encoded, and a trailing `*` is a wildcard (a `*` anywhere else is literal).
 * The path part is put in the one canonical form viewer requests are cached under, so
 * `/pla%79er.js` and `/player.js` name the same object; a malformed escape is InvalidArgument.
 * The query part (objects cached with their query, QS-01) is compared as sent.
 */
export function invalidationTarget(raw: string): InvalidationTarget {
  if (raw.length === 0) throw invalid('empty Path');
  if (raw.length > MAX_PATH_CHARS) throw invalid(`Path longer than ${MAX_PATH_CHARS} characters`);
  if (/[\x00-\x20\x7f-\uffff]/.test(raw)) throw invalid(`Path must be URL-encoded: ${raw.slice(0, 80)}`);
  const given = raw.startsWith('/') ? raw : `/${raw}`;
  const wildcard = given.endsWith('*');
  const body = wildcard ? given.slice(0, -1) : given;
  const q = body.indexOf('?');
  const pathPart = q < 0 ? body : body.slice(0, q);
  // A wildcard prefix may end inside a segment (`/images/image*`, `/images/.*`): a partial last
  // segment of dots is a prefix of a name, not a dot-segment.
  const dots = wildcard && q < 0 ? (/\/(\.{1,2})$/.exec(pathPart)?.[1] ?? '') : '';
  const canon = canonicalPath(pathPart.slice(0, pathPart.length - dots.length));
  if (!canon.ok) throw invalid(`Path ${given.slice(0, 80)}: ${canon.reason}`);
  return { given, match: q < 0 ? canon.value + dots : `${canon.value}${body.slice(q)}`, wildcard };
}

/**
 * One matcher for a whole batch, so the cache is walked once however many paths it has:
 * exact paths by set lookup, wildcard prefixes by one lookup per distinct prefix length.
 */
export function batchMatcher(targets: readonly InvalidationTarget[]): (objectPath: string) => boolean {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  for (const t of targets) (t.wildcard ? prefixes : exact).add(t.match);
  const lengths = [...new Set([...prefixes].map((p) => p.length))].sort((a, b) => a - b);
  return (objectPath) => {
    if (exact.has(objectPath)) return true;
    for (const n of lengths) {
      if (n > objectPath.length) break;
      if (prefixes.has(objectPath.slice(0, n))) return true;
    }
    return false;
  };
}

/**
 * One distribution's invalidations, newest last. Ids sort in creation order (a fixed-width
 * base-36 time and sequence), so a list Marker keeps its place even after its record is pruned.
 */
export class InvalidationBook {
  private readonly records = new Map<string, InvalidationRecord>();
  private readonly byCaller = new Map<string, InvalidationRecord>();
  private lastTime = 0;
  private seq = 0;

  constructor(
    readonly distributionId: string,
    private readonly limits: InvalidationLimits,
  ) {}

  status(r: InvalidationRecord, now: number): 'InProgress' | 'Completed' {
    return now - r.createdAt < this.limits.reportInProgressSeconds * 1000 ? 'InProgress' : 'Completed';
  }

  inProgress(now: number): InvalidationRecord[] {
    const out: InvalidationRecord[] = [];
    for (const r of this.records.values()) if (this.status(r, now) === 'InProgress') out.push(r);
    return out;
  }

  /**
   * INV-04 limits. A repeated CallerReference with the same paths returns the existing record
   * (`created: false`); with other paths it is refused, as CloudFront does.
   */
  create(
    batch: { callerReference: string; targets: readonly InvalidationTarget[] },
    now: number,
  ): { record: InvalidationRecord; created: boolean } {
    const paths = batch.targets.map((t) => t.given);
    const same = this.byCaller.get(batch.callerReference);
    if (same) {
      if (same.paths.join('\n') === paths.join('\n')) return { record: same, created: false };
      throw new HttpError(409, 'InvalidationBatchAlreadyExists', 'CallerReference already used with other paths');
    }
    const { maxPathsInProgress, maxWildcardPathsInProgress, maxRequestsInProgress } = this.limits;
    if (paths.length > maxPathsInProgress) {
      throw new HttpError(413, 'BatchTooLarge', `at most ${maxPathsInProgress} paths per invalidation (SPEC INV-04)`);
    }
    const wildcardPaths = batch.targets.filter((t) => t.wildcard).length;
    const inProgress = this.inProgress(now);
    const pathsInProgress = inProgress.reduce((n, r) => n + r.paths.length, 0);
    if (pathsInProgress + paths.length > maxPathsInProgress) {
      throw new HttpError(
        400,
        'TooManyInvalidationsInProgress',
        `more than ${maxPathsInProgress} paths would be in progress (SPEC INV-04)`,
      );
    }
    const wildcardsInProgress = inProgress.reduce((n, r) => n + r.wildcardPaths, 0);
    if (wildcardsInProgress + wildcardPaths > maxWildcardPathsInProgress) {
      throw new HttpError(
        400,
        'TooManyInvalidationsInProgress',
        `more than ${maxWildcardPathsInProgress} wildcard paths would be in progress`,
      );
    }
    if (maxRequestsInProgress > 0 && inProgress.length >= maxRequestsInProgress) {
      throw new HttpError(400, 'TooManyInvalidationsInProgress', `at most ${maxRequestsInProgress} invalidations in progress`);
    }
    this.lastTime = Math.max(this.lastTime, now);
    const id = `I${this.lastTime.toString(36).toUpperCase().padStart(9, '0')}${(this.seq++ % 36 ** 4).toString(36).toUpperCase().padStart(4, '0')}`;
    const record: InvalidationRecord = { id, callerReference: batch.callerReference, paths, wildcardPaths, createdAt: now };
    this.records.set(id, record);
    this.byCaller.set(record.callerReference, record);
    this.prune(now);
    return { record, created: true };
  }

  /** Keeps at most `historyLimit` records; the oldest completed ones go first, in-progress ones stay. */
  private prune(now: number): void {
    for (const [id, r] of this.records) {
      if (this.records.size <= this.limits.historyLimit || this.status(r, now) === 'InProgress') break;
      this.records.delete(id);
      if (this.byCaller.get(r.callerReference) === r) this.byCaller.delete(r.callerReference);
    }
  }

  get(id: string): InvalidationRecord | undefined {
    return this.records.get(id);
  }

  get size(): number {
    return this.records.size;
  }

  /** INV-06: newest first; with a Marker, the records created before it. */
  page(marker: string, maxItems: number): { items: InvalidationRecord[]; nextMarker?: string } {
    const all = [...this.records.values()].reverse();
    const from = marker ? all.findIndex((r) => r.id < marker) : 0;
    const rest = from < 0 ? [] : all.slice(from);
    const items = rest.slice(0, maxItems);
    return rest.length > maxItems ? { items, nextMarker: items[items.length - 1]!.id } : { items };
  }
}
