// Writes into the store that must not be lost to a passing outage and must never hold up the live
// stream: each job is retried with exponential back-off until it is stored (or the queue closes),
// every failure is logged, and the queue is bounded in jobs, so an endless outage costs a fixed
// amount of memory. A job names a file or a small buffer; a file is read only when it is sent.
import type { Logger } from '../log.js';
import { fail, ok, type Result } from '../result.js';
import { putFileInto, type ObjectStore, type PutOptions } from './object-store.js';

export interface UploadJob {
  key: string;
  contentType: string;
  options?: PutOptions;
  /** A file on disk (streamed when sent) or the bytes themselves. */
  source: { file: string } | { body: Buffer };
  /**
   * Aborted: the job is no longer wanted (a DVR segment that left the window during an outage).
   * It is dropped before its next attempt and its promise rejects with an AbortError; a send already
   * under way finishes (the caller deletes what it stored, if it must).
   */
  signal?: AbortSignal;
}

export interface UploadQueueOptions {
  /** Jobs waiting or in flight; more are refused (the caller keeps its local copy). */
  maxJobs: number;
  /** Jobs sent at once. */
  concurrency: number;
  retryMinMs: number;
  retryMaxMs: number;
}

/** Pure: the wait before retry `attempt` (1, 2, …): min, 2×min, 4×min … up to max. */
export function retryDelayMs(attempt: number, minMs: number, maxMs: number): number {
  return Math.round(Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1)));
}

interface Pending {
  job: UploadJob;
  attempt: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class UploadQueue {
  readonly #store: ObjectStore;
  readonly #opts: UploadQueueOptions;
  readonly #log: Logger;
  readonly #waiting: Pending[] = [];
  /** Jobs waiting out a back-off, with their timer. */
  readonly #retrying = new Map<NodeJS.Timeout, Pending>();
  #pending = 0;
  #running = 0;
  #closed = false;
  /** Failures so far (tests, /healthz). */
  failures = 0;

  constructor(store: ObjectStore, opts: UploadQueueOptions, log: Logger) {
    this.#store = store;
    this.#opts = opts;
    this.#log = log;
  }

  get store(): ObjectStore {
    return this.#store;
  }

  /** Jobs waiting, retrying or in flight. */
  get size(): number {
    return this.#pending;
  }

  /**
   * Accepts a job: the promise resolves once it is stored, rejects only when the queue closes
   * first. Refused (with the reason) when the queue is full or closed.
   */
  enqueue(job: UploadJob): Result<Promise<void>, 'full' | 'closed'> {
    if (this.#closed) return fail('upload queue closed', 'closed');
    if (this.#pending >= this.#opts.maxJobs) return fail(`upload queue full (${this.#opts.maxJobs} jobs)`, 'full');
    this.#pending++;
    const done = new Promise<void>((resolve, reject) => {
      const p: Pending = { job, attempt: 0, resolve, reject };
      this.#waiting.push(p);
      // Aborted while waiting its turn: its place is freed at once.
      job.signal?.addEventListener(
        'abort',
        () => {
          const i = this.#waiting.indexOf(p);
          if (i === -1) return;
          this.#waiting.splice(i, 1);
          this.#pending--;
          reject(abortError(job.key));
        },
        { once: true },
      );
    });
    this.#pump();
    return ok(done);
  }

  /** Stops retrying; jobs not yet stored reject. */
  close(): void {
    this.#closed = true;
    for (const [t, p] of this.#retrying) {
      clearTimeout(t);
      p.reject(new Error('upload queue closed'));
    }
    this.#retrying.clear();
    for (const p of this.#waiting.splice(0)) p.reject(new Error('upload queue closed'));
    this.#pending = 0;
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.#opts.concurrency && this.#waiting.length > 0) {
      const p = this.#waiting.shift()!;
      if (p.job.signal?.aborted) {
        this.#pending--;
        p.reject(abortError(p.job.key));
        continue;
      }
      this.#running++;
      void this.#send(p).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #send(p: Pending): Promise<void> {
    const { job } = p;
    try {
      if ('file' in job.source) await putFileInto(this.#store, job.key, job.source.file, job.contentType, job.options);
      else await this.#store.put(job.key, job.source.body, job.contentType, job.options);
      if (!this.#closed) this.#pending--;
      if (p.attempt > 0)
        this.#log.info({ key: job.key, attempts: p.attempt + 1, store: this.#store.description }, 'store write succeeded after retries');
      p.resolve();
    } catch (err) {
      this.failures++;
      p.attempt++;
      if (this.#closed) {
        p.reject(new Error(`upload queue closed (last error: ${(err as Error).message})`));
        return;
      }
      if (p.job.signal?.aborted) {
        this.#pending--;
        p.reject(abortError(job.key));
        return;
      }
      const delay = retryDelayMs(p.attempt, this.#opts.retryMinMs, this.#opts.retryMaxMs);
      this.#log.warn(
        { key: job.key, attempt: p.attempt, retryInMs: delay, store: this.#store.description, err: (err as Error).message },
        'store write failed: retrying',
      );
      const t = setTimeout(() => {
        this.#retrying.delete(t);
        p.job.signal?.removeEventListener('abort', onAbort);
        this.#waiting.push(p);
        this.#pump();
      }, delay);
      t.unref();
      this.#retrying.set(t, p);
      // An abort during the back-off frees the job's place at once (a long outage must not fill the queue).
      const onAbort = () => {
        if (!this.#retrying.delete(t)) return;
        clearTimeout(t);
        this.#pending--;
        p.reject(abortError(job.key));
      };
      p.job.signal?.addEventListener('abort', onAbort, { once: true });
    }
  }
}

function abortError(key: string): Error {
  const err = new Error(`store write of ${key} abandoned`);
  err.name = 'AbortError';
  return err;
}
