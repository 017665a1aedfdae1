// The one storage contract for what outlives the live edge of a stream: DVR segments, recordings
// and VOD manifests. Keys are relative POSIX paths built only by `timeline/output-layout.ts`
// (never from request input without its parsers); the store decides where they live: a local
// directory (./local-store.ts) or an S3 bucket and prefix. Writers put whole objects once; readers
// get them whole or by byte range.
import type { Readable } from 'node:stream';

export interface StoredObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  /** Strong validator: objects are written once and never changed in place. */
  etag: string;
}

export interface StoredObject extends StoredObjectInfo {
  /** The bytes, whole or the requested range. */
  body: Readable;
}

/** Inclusive byte range, as HTTP ranges are. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectStore {
  /** What the store is, for logs and /api: `dir:/abs/path` or `s3://bucket/prefix`. */
  readonly description: string;
  /** Writes one object whole; resolves once it is durable (readers never see half of it). */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The object, or undefined when there is none. */
  get(key: string, range?: ByteRange): Promise<StoredObject | undefined>;
  head(key: string): Promise<StoredObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<StoredObjectInfo>;
  /** Removes one object; no error when it is already gone. */
  delete(key: string): Promise<void>;
  /** Removes every object under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
}

/** A key the stores accept: relative, `/`-separated, no empty, `.` or `..` segment, no NUL or backslash. */
export function isValidStoreKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024 || key.startsWith('/') || key.includes('\\') || key.includes('\0')) return false;
  return key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}
