// SPEC INV-01..06: invalidation requests, their limits and the CloudFront 2014-10-21 XML shapes.
// The objects go from the cache at once; the record reports InProgress for a short while and then
// Completed, as the real API does after 10–15 minutes.
import { XMLParser } from 'fast-xml-parser';

export const API_VERSION = '2014-10-21';
const NS = `http://cloudfront.amazonaws.com/doc/${API_VERSION}/`;
const MAX_PATH_CHARS = 4000; // INV-02

export interface InvalidationRecord {
  id: string;
  callerReference: string;
  paths: string[];
  createdAt: number;
}

export class InvalidationError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface InvalidationLimits {
  maxPathsInProgress: number;
  maxRequestsInProgress: number;
  reportInProgressSeconds: number;
}

/** Parses an InvalidationBatch body (2014-10-21 `Paths/Items/Path`, and the older flat `Path` list). */
export function parseInvalidationBatch(xml: string): { callerReference: string; paths: string[] } {
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ isArray: (name) => name === 'Path', parseTagValue: false, trimValues: true }).parse(xml, true);
  } catch (err) {
    throw new InvalidationError(400, 'MalformedInput', `body is not well-formed XML: ${(err as Error).message}`);
  }
  const batch = doc['InvalidationBatch'] as Record<string, unknown> | undefined;
  if (!batch || typeof batch !== 'object') throw new InvalidationError(400, 'MalformedInput', 'expected an InvalidationBatch element');
  const callerReference = String(batch['CallerReference'] ?? '');
  if (!callerReference) throw new InvalidationError(400, 'MissingArgument', 'CallerReference is required');
  let paths: unknown[];
  const block = batch['Paths'] as Record<string, unknown> | undefined;
  if (block && typeof block === 'object') {
    const items = block['Items'] as Record<string, unknown> | undefined | '';
    paths = items && typeof items === 'object' ? ((items['Path'] as unknown[]) ?? []) : [];
    const quantity = Number(block['Quantity']);
    if (!Number.isInteger(quantity) || quantity !== paths.length) {
      throw new InvalidationError(400, 'InconsistentQuantities', `Quantity ${String(block['Quantity'])} does not match ${paths.length} Path elements`);
    }
  } else {
    paths = (batch['Path'] as unknown[]) ?? [];
  }
  if (paths.length === 0) throw new InvalidationError(400, 'InvalidArgument', 'at least one Path is required');
  return { callerReference, paths: paths.map((p) => normaliseInvalidationPath(String(p))) };
}

/** INV-02: leading `/` optional, case-sensitive, no wildcards (a `*` is literal), ≤ 4000 chars. */
export function normaliseInvalidationPath(p: string): string {
  if (p.length === 0) throw new InvalidationError(400, 'InvalidArgument', 'empty Path');
  if (p.length > MAX_PATH_CHARS) throw new InvalidationError(400, 'InvalidArgument', `Path longer than ${MAX_PATH_CHARS} characters`);
  if (/[\x00-\x20\x7f-\uffff]/.test(p)) throw new InvalidationError(400, 'InvalidArgument', `Path must be URL-encoded: ${p.slice(0, 80)}`);
  return p.startsWith('/') ? p : `/${p}`;
}

/** One distribution's invalidations. */
export class InvalidationBook {
  private readonly records: InvalidationRecord[] = [];
  private seq = 0;

  constructor(
    readonly distributionId: string,
    private readonly limits: InvalidationLimits,
  ) {}

  status(r: InvalidationRecord, now = Date.now()): 'InProgress' | 'Completed' {
    return now - r.createdAt < this.limits.reportInProgressSeconds * 1000 ? 'InProgress' : 'Completed';
  }

  /** INV-04 limits; returns the existing record for a repeated CallerReference with the same paths. */
  create(batch: { callerReference: string; paths: string[] }, now = Date.now()): { record: InvalidationRecord; created: boolean } {
    const same = this.records.find((r) => r.callerReference === batch.callerReference);
    if (same) {
      if (same.paths.join('\n') === batch.paths.join('\n')) return { record: same, created: false };
      throw new InvalidationError(409, 'InvalidationBatchAlreadyExists', 'CallerReference already used with other paths');
    }
    if (batch.paths.length > this.limits.maxPathsInProgress) {
      throw new InvalidationError(400, 'BatchTooLarge', `at most ${this.limits.maxPathsInProgress} paths per invalidation (SPEC INV-04)`);
    }
    const inProgress = this.records.filter((r) => this.status(r, now) === 'InProgress');
    const pathsInProgress = inProgress.reduce((n, r) => n + r.paths.length, 0);
    if (pathsInProgress + batch.paths.length > this.limits.maxPathsInProgress) {
      throw new InvalidationError(400, 'TooManyInvalidationsInProgress', `more than ${this.limits.maxPathsInProgress} paths would be in progress (SPEC INV-04)`);
    }
    if (this.limits.maxRequestsInProgress > 0 && inProgress.length >= this.limits.maxRequestsInProgress) {
      throw new InvalidationError(400, 'TooManyInvalidationsInProgress', `at most ${this.limits.maxRequestsInProgress} invalidations in progress`);
    }
    const record: InvalidationRecord = {
      id: `I${(now.toString(36) + (++this.seq).toString(36)).toUpperCase().padStart(13, '0')}`,
      callerReference: batch.callerReference,
      paths: batch.paths,
      createdAt: now,
    };
    this.records.push(record);
    return { record, created: true };
  }

  get(id: string): InvalidationRecord | undefined {
    return this.records.find((r) => r.id === id);
  }

  /** Newest first, as the console lists them (INV-06). */
  list(): InvalidationRecord[] {
    return [...this.records].reverse();
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function invalidationXml(r: InvalidationRecord, status: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Invalidation xmlns="${NS}"><Id>${r.id}</Id><Status>${status}</Status>` +
    `<CreateTime>${new Date(r.createdAt).toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${r.paths.length}</Quantity><Items>` +
    r.paths.map((p) => `<Path>${esc(p)}</Path>`).join('') +
    `</Items></Paths><CallerReference>${esc(r.callerReference)}</CallerReference></InvalidationBatch></Invalidation>\n`
  );
}

export function invalidationListXml(items: { r: InvalidationRecord; status: string }[], marker: string, maxItems: number, nextMarker?: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<InvalidationList xmlns="${NS}"><Marker>${esc(marker)}</Marker>` +
    (nextMarker ? `<NextMarker>${nextMarker}</NextMarker>` : '') +
    `<MaxItems>${maxItems}</MaxItems><IsTruncated>${nextMarker ? 'true' : 'false'}</IsTruncated><Quantity>${items.length}</Quantity><Items>` +
    items
      .map(({ r, status }) => `<InvalidationSummary><Id>${r.id}</Id><CreateTime>${new Date(r.createdAt).toISOString()}</CreateTime><Status>${status}</Status></InvalidationSummary>`)
      .join('') +
    `</Items></InvalidationList>\n`
  );
}

export function errorXml(type: 'Sender' | 'Receiver', code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>\n`;
}
