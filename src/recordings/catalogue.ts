// The recordings a store holds: one small JSON object per recording (`recordings/<id>.json`)
// and its list pointers (./listing-keys.ts), written last, so a recording is listed only once all
// its files are stored. Reads, lookups by id, pages of the list, and deletes; nothing here trusts
// a store object that does not match the schema.
import { buffer } from 'node:stream/consumers';
import { z } from 'zod';
import { isValidApp, isValidStreamName, type StreamKey } from '../streams/stream-key.js';
import { RECORDING_INDEX_PREFIX, isRecordingId, recordingIdOfIndexKey, recordingIndexKey, vodKey } from '../timeline/output-layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { encodeCursor, idOfListingEntry, listingKeys, listingPrefix, type ListQuery } from './listing-keys.js';

/** One ABR rung of a recording: what its master playlist announces for it. */
export const recordingRungSchema = z.object({
  name: z.string().regex(/^[a-z0-9]{1,16}$/),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  /** Peak and average bit/s of its VOD segments (the master's BANDWIDTH and AVERAGE-BANDWIDTH). */
  bandwidth: z.number().int().min(0),
  averageBandwidth: z.number().int().min(0).optional(),
  codecs: z.array(z.string().max(64)).max(4),
  /** Bytes of its MP4 download. */
  size: z.number().int().min(0),
});

export type RecordingRung = z.infer<typeof recordingRungSchema>;

export const recordingInfoSchema = z.object({
  id: z.string().refine(isRecordingId),
  app: z.string().refine(isValidApp),
  stream: z.string().refine(isValidStreamName),
  /** ISO times of the first publish and of the end of the last one. */
  start: z.string(),
  end: z.string(),
  /** Seconds of media. */
  duration: z.number().min(0),
  /** Bytes of the MP4 download. */
  size: z.number().int().min(0),
  /** Bytes of every file of the recording. */
  totalBytes: z.number().int().min(0),
  segments: z.number().int().min(0),
  /** With an ABR ladder: every rung, the top one (whose MP4 is `size`) first. Absent without one. */
  rungs: z.array(recordingRungSchema).min(2).max(16).optional(),
});

export type RecordingInfo = z.infer<typeof recordingInfoSchema>;

export function recordingStreamKey(info: RecordingInfo): StreamKey {
  return { app: info.app, name: info.stream };
}

/** The recording of `id`, or undefined when the store has none (or only an unreadable one). */
export async function findRecording(store: ObjectStore, id: string): Promise<RecordingInfo | undefined> {
  if (!isRecordingId(id)) return undefined;
  const obj = await store.get(recordingIndexKey(id));
  if (!obj) return undefined;
  if (obj.size > 64 * 1024) {
    obj.body.destroy();
    return undefined;
  }
  try {
    const parsed = recordingInfoSchema.safeParse(JSON.parse((await buffer(obj.body)).toString('utf8')));
    return parsed.success && parsed.data.id === id ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface RecordingPage {
  recordings: RecordingInfo[];
  /** The cursor of the next page; absent on the last. */
  next?: string;
}

/**
 * One page of a list, newest first: one key listing from the cursor (limit + 1 keys, the last
 * only to know whether a next page exists) and reads of this page's index objects, a few at a
 * time. A pointer whose recording is gone (a DELETE in progress) or does not belong to the list
 * is skipped, so a page may hold fewer than `limit`; its `next` still continues after it.
 */
export async function listRecordingsPage(store: ObjectStore, q: ListQuery): Promise<RecordingPage> {
  const prefix = listingPrefix(q);
  const names: string[] = [];
  let more = false;
  for await (const o of store.list(prefix, q.after !== undefined ? { startAfter: prefix + q.after } : {})) {
    const name = o.key.slice(prefix.length);
    if (idOfListingEntry(name) === undefined) continue;
    if (names.length === q.limit) {
      more = true;
      break;
    }
    names.push(name);
  }
  const found: Array<RecordingInfo | undefined> = [];
  for (let i = 0; i < names.length; i += 16) {
    found.push(...(await Promise.all(names.slice(i, i + 16).map((n) => findRecording(store, idOfListingEntry(n)!)))));
  }
  const recordings = found.filter(
    (r): r is RecordingInfo =>
      r !== undefined && (q.app === undefined || r.app === q.app) && (q.stream === undefined || r.stream === q.stream),
  );
  return more ? { recordings, next: encodeCursor(names[names.length - 1]!) } : { recordings };
}

export interface IndexObject {
  key: string;
  body: Buffer;
}

/**
 * The objects that make a stored recording known, in the order they are written once its files
 * are stored: its index object (found by id from then on), then its list pointers (listed from
 * then on). Rewritten whole by every build of a recording a republish continued.
 */
export function recordingIndexObjects(info: RecordingInfo): { index: IndexObject; pointers: IndexObject[] } {
  const pointer = Buffer.from(`${JSON.stringify({ id: info.id })}\n`);
  return {
    index: { key: recordingIndexKey(info.id), body: Buffer.from(`${JSON.stringify(info, null, 2)}\n`) },
    pointers: listingKeys(info).map((key) => ({ key, body: pointer })),
  };
}

/** Writes a recording's index objects straight to the store (the recorder writes them through its upload queue). */
export async function putRecordingIndex(store: ObjectStore, info: RecordingInfo): Promise<void> {
  const { index, pointers } = recordingIndexObjects(recordingInfoSchema.parse(info));
  await store.put(index.key, index.body, 'application/json');
  await Promise.all(pointers.map((p) => store.put(p.key, p.body, 'application/json')));
}

/**
 * The recordings whose index object has no pointer in the list of all recordings (stored before
 * the lists existed) get their pointers: two key listings, then reads of those recordings only, a
 * few at a time. Once per start of an origin; a pointer it writes is the same one the recorder
 * writes, so two origins doing it at once agree. Resolves with how many it listed.
 */
export async function addMissingListings(store: ObjectStore): Promise<number> {
  const all = listingPrefix({});
  const listed = new Set<string>();
  for await (const o of store.list(all)) {
    const id = idOfListingEntry(o.key.slice(all.length));
    if (id !== undefined) listed.add(id);
  }
  const missing: string[] = [];
  for await (const o of store.list(RECORDING_INDEX_PREFIX)) {
    const id = recordingIdOfIndexKey(o.key);
    if (id !== undefined && !listed.has(id)) missing.push(id);
  }
  let added = 0;
  for (let i = 0; i < missing.length; i += 8) {
    await Promise.all(
      missing.slice(i, i + 8).map(async (id) => {
        const info = await findRecording(store, id);
        if (!info) return;
        for (const p of recordingIndexObjects(info).pointers) await store.put(p.key, p.body, 'application/json');
        added++;
      }),
    );
  }
  return added;
}

/** Removes a recording: its index first (no page shows it from then on), then its list pointers, then its files. */
export async function deleteRecording(store: ObjectStore, info: RecordingInfo): Promise<void> {
  await store.delete(recordingIndexKey(info.id));
  await Promise.all(listingKeys(info).map((k) => store.delete(k)));
  await store.deletePrefix(vodKey(recordingStreamKey(info), info.id));
}
