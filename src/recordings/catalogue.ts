// The recordings a store holds: one small JSON object per recording (`recordings/<id>.json`),
// written last, so a recording is listed only once all its files are stored. Reads, lookups by
// id and deletes; nothing here trusts a store object that does not match the schema.
import { buffer } from 'node:stream/consumers';
import { z } from 'zod';
import { isValidApp, isValidStreamName, type StreamKey } from '../streams/stream-key.js';
import { RECORDING_INDEX_PREFIX, isRecordingId, recordingIdOfIndexKey, recordingIndexKey, vodKey } from '../timeline/output-layout.js';
import type { ObjectStore } from '../storage/object-store.js';

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

/** Every recording, newest first. */
export async function listRecordings(store: ObjectStore): Promise<RecordingInfo[]> {
  const ids: string[] = [];
  for await (const o of store.list(RECORDING_INDEX_PREFIX)) {
    const id = recordingIdOfIndexKey(o.key);
    if (id !== undefined) ids.push(id);
  }
  // A few reads at a time: a long list must not open a connection per recording at once.
  const found: Array<RecordingInfo | undefined> = [];
  for (let i = 0; i < ids.length; i += 16) found.push(...(await Promise.all(ids.slice(i, i + 16).map((id) => findRecording(store, id)))));
  return found.filter((r): r is RecordingInfo => r !== undefined).sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : 0));
}

/** Removes a recording: its index first (it is no longer listed), then its files. */
export async function deleteRecording(store: ObjectStore, info: RecordingInfo): Promise<void> {
  await store.delete(recordingIndexKey(info.id));
  await store.deletePrefix(vodKey(recordingStreamKey(info), info.id));
}
