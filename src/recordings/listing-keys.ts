// Pure: the store keys that list recordings page by page, and the query of GET /api/recordings.
// Each recording has three small pointer objects beside its index object (`recordings/<id>.json`):
// one in the list of all recordings, one in its app's, one in its stream's. A pointer's name sorts
// newest first (the start time inverted, then the id), so a page is one key listing from a cursor
// plus reads of that page's index objects only, whatever the number of recordings. Each
// recording's objects are written by the one origin that recorded it and removed by a DELETE, so
// several origins writing one bucket never rewrite a shared object.
import { fail, ok, type Result } from '../result.js';
import { isValidApp, isValidStreamName } from '../streams/stream-key.js';
import { appFolderName, isRecordingId } from '../timeline/output-layout.js';

export const RECORDING_LIST_PREFIX = 'recording-list/';

/** Default and largest page of GET /api/recordings. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Which list: every recording, an app's, or one stream's (a stream is named within its app). */
export interface ListingScope {
  app?: string;
  stream?: string;
}

/** The key prefix of one list. The app is URI-encoded, so `cfx/st` stays one key segment. */
export function listingPrefix(scope: ListingScope): string {
  if (scope.stream !== undefined) {
    if (scope.app === undefined) throw new Error('a stream list needs its app');
    return `${RECORDING_LIST_PREFIX}stream/${appFolderName(scope.app)}/${scope.stream}/`;
  }
  if (scope.app !== undefined) return `${RECORDING_LIST_PREFIX}app/${appFolderName(scope.app)}/`;
  return `${RECORDING_LIST_PREFIX}all/`;
}

/**
 * `79738798866999_20261201T133000Z-9f86d081`: every digit of the id's UTC start replaced by its
 * nines' complement, so key order (ascending, as every store lists) is newest first; the id after
 * it breaks ties and names the recording.
 */
export function listingEntryName(id: string): string {
  if (!isRecordingId(id)) throw new Error(`invalid recording id ${JSON.stringify(id)}`);
  const digits = id.slice(0, 8) + id.slice(9, 15);
  return `${[...digits].map((d) => String(9 - Number(d))).join('')}_${id}`;
}

/** The recording an entry name points to, or undefined for anything else (its two halves must agree). */
export function idOfListingEntry(name: string): string | undefined {
  const m = /^(\d{14})_(.+)$/.exec(name);
  if (!m || !isRecordingId(m[2]!)) return undefined;
  return listingEntryName(m[2]!) === name ? m[2] : undefined;
}

/** The three pointer keys of one recording. */
export function listingKeys(rec: { app: string; stream: string; id: string }): string[] {
  const entry = listingEntryName(rec.id);
  return [listingPrefix({}), listingPrefix({ app: rec.app }), listingPrefix({ app: rec.app, stream: rec.stream })].map((p) => p + entry);
}

/** The opaque `next` of a page: where the following page starts (after this entry). */
export function encodeCursor(entryName: string): string {
  return Buffer.from(entryName, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  return idOfListingEntry(name) !== undefined && encodeCursor(name) === cursor ? name : undefined;
}

export interface ListQuery extends ListingScope {
  limit: number;
  /** The entry name the page starts after (a decoded `next`). */
  after?: string;
}

const LIST_PARAMS = new Set(['limit', 'next', 'app', 'stream']);

/** `?limit=&next=&app=&stream=` of GET /api/recordings; every other parameter, or a repeated one, is refused. */
export function parseListQuery(search: URLSearchParams): Result<ListQuery> {
  const seen = new Set<string>();
  for (const k of search.keys()) {
    if (!LIST_PARAMS.has(k)) return fail(`unknown parameter ${JSON.stringify(k.slice(0, 40))}: use limit, next, app, stream`);
    if (seen.has(k)) return fail(`parameter ${k} given twice`);
    seen.add(k);
  }
  const q: ListQuery = { limit: DEFAULT_PAGE_SIZE };
  const limit = search.get('limit');
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE_SIZE)
      return fail(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    q.limit = Number(limit);
  }
  const next = search.get('next');
  if (next !== null) {
    const after = decodeCursor(next);
    if (after === undefined) return fail('next is not a cursor this API gave');
    q.after = after;
  }
  const app = search.get('app');
  if (app !== null) {
    if (!isValidApp(app)) return fail('app is not a valid application name');
    q.app = app;
  }
  const stream = search.get('stream');
  if (stream !== null) {
    if (!isValidStreamName(stream)) return fail('stream is not a valid stream name');
    if (q.app === undefined) return fail('stream needs app (a stream is named within its application)');
    q.stream = stream;
  }
  return ok(q);
}
