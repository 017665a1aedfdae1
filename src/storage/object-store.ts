// The one storage contract for what outlives the live edge of a stream: DVR segments, recordings
// and VOD manifests. Keys are relative POSIX paths built only by `timeline/output-layout.ts`
// (never from request input without its parsers); the store decides where they live: a local
// directory (./local-store.ts) or an S3 bucket and prefix. Writers put whole objects once; readers
// get them whole or by byte range.
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export interface StoredObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  /** Strong validator: objects are written once and never changed in place. */
  etag: string;
  /** The writer's metadata (PutOptions.metadata), where the store keeps it. */
  metadata?: Record<string, string>;
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

/** What a writer may say about an object beyond its type. */
export interface PutOptions {
  /** Sent with the object by a store that serves it itself (an S3 bucket behind a CDN). */
  cacheControl?: string;
  /**
   * Small facts kept with the object (S3 user metadata, `x-amz-meta-<name>`; lower-case names).
   * A directory keeps none: a reader must do without them.
   */
  metadata?: Record<string, string>;
}

export interface ListOptions {
  /** A key: the listing starts after it (a page of a long list without listing what came before). */
  startAfter?: string;
}

export interface ObjectStore {
  /** What the store is, for logs and /api: `dir:/abs/path` or `s3://bucket/prefix`. */
  readonly description: string;
  /** Writes one object whole; resolves once it is durable (readers never see half of it). */
  put(key: string, body: Buffer, contentType: string, options?: PutOptions): Promise<void>;
  /** Writes a file's bytes as one object without holding them in memory (see putFileInto). */
  putFile?(key: string, file: string, contentType: string, options?: PutOptions): Promise<void>;
  /** The object, or undefined when there is none. */
  get(key: string, range?: ByteRange): Promise<StoredObject | undefined>;
  head(key: string): Promise<StoredObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order; with `startAfter`, only keys after it (S3's StartAfter). */
  list(prefix: string, opts?: ListOptions): AsyncIterable<StoredObjectInfo>;
  /** Removes one object; no error when it is already gone. */
  delete(key: string): Promise<void>;
  /** Removes every object under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /** Releases connections (S3); nothing to do for a directory. */
  close?(): void;
}

/** A file into the store: streamed where the store can, else read whole and put. */
export async function putFileInto(store: ObjectStore, key: string, file: string, contentType: string, options?: PutOptions): Promise<void> {
  if (store.putFile) return store.putFile(key, file, contentType, options);
  return store.put(key, await readFile(file), contentType, options);
}

/** A key the stores accept: relative, `/`-separated, no empty, `.` or `..` segment, no NUL or backslash. */
export function isValidStoreKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024 || key.startsWith('/') || key.includes('\\') || key.includes('\0')) return false;
  return key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}
