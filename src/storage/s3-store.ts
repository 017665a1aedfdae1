// An ObjectStore in an S3 bucket under a key prefix, through @aws-sdk/client-s3. Path-style
// addressing by default, so any S3-compatible endpoint works, an IP one such as
// `http://127.0.0.1:4568` included (virtual-hosted style would need DNS for `<bucket>.<host>`).
// Credentials: the ones given (flags or config file), else the SDK's default chain (the standard
// AWS environment variables, shared config files, an EC2 instance role).
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { fail, ok, type Result } from '../result.js';
import {
  isValidStoreKey,
  type ByteRange,
  type ListOptions,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
  type StoredObjectInfo,
} from './object-store.js';

export interface S3Location {
  bucket: string;
  /** Key prefix without a trailing `/`; '' for the bucket's root. */
  prefix: string;
}

export interface S3StoreOptions extends S3Location {
  /** Any S3-compatible endpoint (`http://127.0.0.1:4568`); absent: AWS's own for the region. */
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`. */
  forcePathStyle: boolean;
  /** One request gives up after this long (the upload queue retries it). */
  requestTimeoutMs?: number;
}

const QUIET_SDK_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

// S3 bucket naming rules: 3–63 characters of lower-case letters, digits, `.` and `-`.
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Pure: `s3://bucket/some/prefix` → { bucket, prefix }; a clear reason for anything else. */
export function parseS3Url(url: string): Result<S3Location> {
  const m = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/.exec(url);
  if (!m) return fail(`expected s3://bucket/prefix, got ${JSON.stringify(url.slice(0, 200))}`);
  const bucket = m[1]!;
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) return fail(`invalid S3 bucket name ${JSON.stringify(bucket)}`);
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '' && !isValidStoreKey(prefix)) return fail(`invalid S3 key prefix ${JSON.stringify(prefix)}`);
  return ok({ bucket, prefix });
}

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(opts: S3StoreOptions) {
    this.#bucket = opts.bucket;
    this.#prefix = opts.prefix === '' ? '' : `${opts.prefix}/`;
    this.description = `s3://${opts.bucket}/${opts.prefix}`;
    const config: S3ClientConfig = {
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      // Checksums only where S3 requires them: S3-compatible stores differ in what they accept.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The upload queue retries with its own, longer back-off; one quick SDK retry is enough here.
      maxAttempts: 2,
      // Without a logger the SDK writes to the console (e.g. "An error was encountered in a
      // non-retryable streaming request." for each failed file upload); the upload queue logs failures.
      logger: QUIET_SDK_LOGGER,
      requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
      ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
      ...(opts.accessKeyId !== undefined && opts.secretAccessKey !== undefined
        ? { credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } }
        : {}),
    };
    this.#client = new S3Client(config);
  }

  #key(key: string): string {
    if (!isValidStoreKey(key)) throw new Error(`invalid store key ${JSON.stringify(key)}`);
    return this.#prefix + key;
  }

  async put(key: string, body: Buffer, contentType: string, options?: PutOptions): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: this.#key(key),
        Body: body,
        ContentLength: body.length,
        ContentType: contentType,
        ...(options?.cacheControl ? { CacheControl: options.cacheControl } : {}),
        ...(options?.metadata ? { Metadata: options.metadata } : {}),
      }),
    );
  }

  /** Streams a file up in one PUT (S3 takes up to 5 GB so): a recording's MP4 never sits in memory whole. */
  async putFile(key: string, file: string, contentType: string, options?: PutOptions): Promise<void> {
    const { size } = await fs.stat(file);
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: this.#key(key),
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: contentType,
        ...(options?.cacheControl ? { CacheControl: options.cacheControl } : {}),
        ...(options?.metadata ? { Metadata: options.metadata } : {}),
      }),
    );
  }

  async head(key: string): Promise<StoredObjectInfo | undefined> {
    if (!isValidStoreKey(key)) return undefined;
    try {
      const r = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
      return {
        key,
        size: r.ContentLength ?? 0,
        lastModified: r.LastModified ?? new Date(0),
        etag: r.ETag ?? '""',
        ...metadataOf(r.Metadata),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    if (!isValidStoreKey(key)) return undefined;
    try {
      const r = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      // The whole object's size: from Content-Range on a 206, else the length sent.
      const total = /\/(\d+)$/.exec(r.ContentRange ?? '')?.[1];
      return {
        key,
        size: total !== undefined ? Number(total) : (r.ContentLength ?? 0),
        lastModified: r.LastModified ?? new Date(0),
        etag: r.ETag ?? '""',
        ...metadataOf(r.Metadata),
        body: r.Body as Readable,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<StoredObjectInfo> {
    let token: string | undefined;
    do {
      const r = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#prefix + prefix,
          ...(token !== undefined ? { ContinuationToken: token } : {}),
          ...(opts.startAfter !== undefined ? { StartAfter: this.#prefix + opts.startAfter } : {}),
        }),
      );
      for (const o of r.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.#prefix)) continue;
        const key = o.Key.slice(this.#prefix.length);
        if (!isValidStoreKey(key)) continue; // written by someone else: not ours to name
        yield { key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0), etag: o.ETag ?? '""' };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    if (!isValidStoreKey(key)) return;
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    // One DELETE per object: DeleteObjects needs a Content-MD5 that not every S3-compatible store checks alike.
    const keys: string[] = [];
    for await (const o of this.list(prefix)) keys.push(o.key);
    for (let i = 0; i < keys.length; i += 8) await Promise.all(keys.slice(i, i + 8).map((k) => this.delete(k)));
  }

  close(): void {
    this.#client.destroy();
  }
}

function metadataOf(m: Record<string, string> | undefined): { metadata?: Record<string, string> } {
  return m && Object.keys(m).length > 0 ? { metadata: m } : {};
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
