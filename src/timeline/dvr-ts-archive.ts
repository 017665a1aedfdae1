// The TS HLS DVR window beyond the live edge, with a store other than the data directory (an S3
// bucket). ffmpeg's hls muxer writes every segment to the stream's `hls/` folder and keeps listing
// the whole window in its media playlists; this archive follows those playlists and moves each
// finished segment older than the newest `liveEdgeSegments` of its playlist to the store (through
// the upload queue, so an outage is retried with back-off and never blocks ffmpeg), then deletes
// the local file. The origin serves a listed segment from disk while it is there, else from the
// store. Segments that leave the window (plus `marginSegments` for players a little behind) are
// deleted from the store, and from the disk if they are still there.
//
// ffmpeg runs without `delete_segments` here: ffmpeg 5.1 logs "failed to delete old segment …: No
// such file or directory" at error level for every segment already moved (measured), so the
// archive owns deletion in both places.
//
// Disk per stream: the live edge while the store takes writes; during an outage the unstored
// segments stay on disk and are served from there, up to the window plus the margin (what the local
// store costs anyway); a segment that leaves the window unstored is deleted and its upload
// abandoned (logged), so an outage longer than the window costs no more disk and the stream goes on.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { UploadQueue } from '../storage/upload-queue.js';
import { HLS_FILES, hlsRungOfPlaylist, hlsSegmentNumber, hlsSegmentRung, isHlsSegmentName, tsDvrSegmentKey } from './output-layout.js';

// ---------------------------------------------------------------------------------------------
// Pure: what to do at one look at the folder

/** The segment names a media playlist lists, in order (URIs reduced to their last component). */
export function listedSegmentNames(playlist: string): string[] {
  const out: string[] = [];
  for (const raw of playlist.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = line.split(/[?#]/)[0]!.split('/').pop()!;
    if (isHlsSegmentName(name)) out.push(name);
  }
  return out;
}

export interface TsOffloadState {
  /** The segments each media playlist read this time lists, in order (one entry per playlist). */
  playlists: ReadonlyArray<readonly string[]>;
  /** Segment files in the folder. */
  onDisk: ReadonlySet<string>;
  /** Segments in the store. */
  stored: ReadonlySet<string>;
  /** Segments being written to the store (queued, retrying or in flight). */
  uploading: ReadonlySet<string>;
  /** Newest segments of each playlist that stay on disk only. */
  liveEdge: number;
  /** Segments kept behind the oldest listed one (ffmpeg's hls_delete_threshold does the same). */
  margin: number;
}

export interface TsOffloadPlan {
  /** On disk, older than the live edge, not yet stored: to the store. */
  upload: string[];
  /** Local files to delete: stored already, or behind the window. */
  unlink: string[];
  /** Uploads no longer wanted (the segment left the window before the store took it). */
  abandon: string[];
  /** Store objects behind the window: deleted from the store. */
  forget: string[];
}

/**
 * One look at a rung's playlist and files. Segments are numbered per rung and only grow within a
 * run, so "behind the window" is a number below the oldest listed minus the margin. Segments of a
 * rung whose playlist was not read this time, and files newer than anything listed (ffmpeg is still
 * writing them), are left alone.
 */
export function planTsOffload(s: TsOffloadState): TsOffloadPlan {
  const plan: TsOffloadPlan = { upload: [], unlink: [], abandon: [], forget: [] };
  const known = new Set([...s.onDisk, ...s.stored, ...s.uploading]);
  for (const listed of s.playlists) {
    if (listed.length === 0) continue;
    const rung = hlsSegmentRung(listed[0]!);
    const numbers = listed.map((n) => hlsSegmentNumber(n)!);
    const cutoff = Math.min(...numbers) - s.margin;
    const old = new Set(listed.slice(0, Math.max(0, listed.length - s.liveEdge)));
    for (const name of [...known].sort()) {
      if (hlsSegmentRung(name) !== rung) continue;
      const n = hlsSegmentNumber(name)!;
      if (n < cutoff) {
        if (s.onDisk.has(name)) plan.unlink.push(name);
        if (s.uploading.has(name)) plan.abandon.push(name);
        if (s.stored.has(name)) plan.forget.push(name);
      } else if (old.has(name) && s.onDisk.has(name)) {
        if (s.stored.has(name)) plan.unlink.push(name);
        else if (!s.uploading.has(name)) plan.upload.push(name);
      }
    }
  }
  return plan;
}

/** The segment file's identity, kept with its object so that its validators stay the same once it is served from the store. */
export interface SourceFileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

export function sourceFileMetadata(st: SourceFileIdentity): Record<string, string> {
  return { 'source-ino': String(st.ino), 'source-size': String(st.size), 'source-mtime-ms': String(st.mtimeMs) };
}

/** The identity sourceFileMetadata wrote, or undefined when any part is missing or not a number. */
export function sourceFileIdentity(metadata: Record<string, string> | undefined): SourceFileIdentity | undefined {
  if (!metadata) return undefined;
  const [ino, size, mtimeMs] = ['source-ino', 'source-size', 'source-mtime-ms'].map((k) => Number(metadata[k] ?? NaN));
  return [ino, size, mtimeMs].every((n) => Number.isFinite(n!) && n! >= 0) ? { ino: ino!, size: size!, mtimeMs: mtimeMs! } : undefined;
}

// ---------------------------------------------------------------------------------------------
// I/O: following one stream's `hls/` folder

export interface TsDvrArchiveLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TsDvrArchiveOptions {
  /** The stream's `hls/` folder (ffmpeg's output). */
  hlsDir: string;
  /** Store prefix of this run (output-layout dvrPrefix with a tsDvrRun). */
  prefix: string;
  /** Every write goes through it; deletes go to its store directly. */
  queue: UploadQueue;
  liveEdgeSegments: number;
  marginSegments: number;
  /** Sent with each segment, for a CDN in front of the bucket (segments are immutable). */
  cacheControl: string;
  /** How often the playlists are read. */
  pollMs: number;
  log: TsDvrArchiveLog;
}

export class TsDvrArchive {
  readonly #o: TsDvrArchiveOptions;
  readonly #stored = new Set<string>();
  readonly #uploading = new Map<string, AbortController>();
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> = Promise.resolve();
  #disposed = false;
  #storeFailing = false;
  /** Segments deleted before the store took them (an outage longer than the window). */
  dropped = 0;

  constructor(o: TsDvrArchiveOptions) {
    this.#o = o;
  }

  get prefix(): string {
    return this.#o.prefix;
  }

  /** Segments in the store now (tests, logs). */
  get storedCount(): number {
    return this.#stored.size;
  }

  /** Follows the folder until stop() or dispose(). */
  start(): void {
    if (this.#timer || this.#disposed) return;
    this.#timer = setInterval(() => void this.sync(), this.#o.pollMs);
    this.#timer.unref();
  }

  /** One look at the folder (serialised with the timer's). */
  sync(): Promise<void> {
    this.#polling = this.#polling
      .then(() => this.#sync())
      .catch((err: unknown) => this.#o.log.warn({ dir: this.#o.hlsDir, err: (err as Error).message }, 'TS DVR archive sync failed'));
    return this.#polling;
  }

  async #sync(): Promise<void> {
    if (this.#disposed) return;
    const { hlsDir, queue, log } = this.#o;
    const names = await fs.readdir(hlsDir).catch(() => [] as string[]);
    const playlists: string[][] = [];
    for (const name of names) {
      if (name !== HLS_FILES.playlist && hlsRungOfPlaylist(name) === undefined) continue;
      const text = await fs.readFile(path.join(hlsDir, name), 'utf8').catch(() => '');
      const listed = listedSegmentNames(text);
      if (listed.length > 0) playlists.push(listed);
    }
    const plan = planTsOffload({
      playlists,
      onDisk: new Set(names.filter(isHlsSegmentName)),
      stored: this.#stored,
      uploading: new Set(this.#uploading.keys()),
      liveEdge: this.#o.liveEdgeSegments,
      margin: this.#o.marginSegments,
    });
    for (const name of plan.abandon) this.#uploading.get(name)?.abort();
    const droppedNow = plan.unlink.filter((n) => !this.#stored.has(n)).length;
    if (droppedNow > 0) {
      this.dropped += droppedNow;
      log.error(
        { dir: hlsDir, dropped: droppedNow, store: queue.store.description },
        'DVR store failing: TS segments left the window before the store took them (deleted; the live stream goes on)',
      );
    }
    await Promise.all(plan.unlink.map((n) => fs.rm(path.join(hlsDir, n), { force: true })));
    await Promise.all(plan.upload.map((name) => this.#upload(name)));
    for (const name of plan.forget) {
      try {
        await queue.store.delete(tsDvrSegmentKey(this.#o.prefix, name));
        this.#stored.delete(name);
      } catch (err) {
        log.warn({ segment: name, err: (err as Error).message }, 'DVR store delete failed: retrying at the next look');
        break;
      }
    }
  }

  async #upload(name: string): Promise<void> {
    const { hlsDir, queue, log } = this.#o;
    const abort = new AbortController();
    const file = path.join(hlsDir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st) return; // gone meanwhile (a record-mode republish cleared the folder)
    const r = queue.enqueue({
      key: tsDvrSegmentKey(this.#o.prefix, name),
      contentType: 'video/MP2T',
      options: { cacheControl: this.#o.cacheControl, metadata: sourceFileMetadata(st) },
      source: { file },
      signal: abort.signal,
    });
    // A full queue: the segment stays on disk (and is served from there) and is offered again at the next look.
    if (!r.ok) {
      if (!this.#storeFailing) log.warn({ segment: name, reason: r.reason }, 'TS DVR segment kept on disk: the store queue refused it');
      this.#storeFailing = true;
      return;
    }
    this.#uploading.set(name, abort);
    r.value.then(
      async () => {
        this.#uploading.delete(name);
        this.#stored.add(name);
        if (this.#storeFailing) log.info({ store: queue.store.description }, 'TS DVR store writes succeed again');
        this.#storeFailing = false;
        // Stored after the run ended: the clean-up has listed the prefix already.
        if (this.#disposed) return void queue.store.delete(tsDvrSegmentKey(this.#o.prefix, name)).catch(() => undefined);
        // Stored: the disk keeps only the live edge (a recording's hard link keeps its own copy).
        await fs.rm(file, { force: true });
      },
      () => {
        // Abandoned (left the window) or the queue closed: nothing stored, the next look decides.
        this.#uploading.delete(name);
      },
    );
  }

  /** Stops following the folder; what is stored stays (a later publish sweeps it). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#polling;
  }

  /** The run is over (its files are removed): uploads are abandoned and its objects deleted from the store. */
  async dispose(): Promise<void> {
    await this.stop();
    this.#disposed = true;
    for (const a of this.#uploading.values()) a.abort();
    try {
      await this.#o.queue.store.deletePrefix(this.#o.prefix);
      this.#stored.clear();
    } catch (err) {
      this.#o.log.warn({ prefix: this.#o.prefix, err: (err as Error).message }, 'TS DVR store clean-up failed (swept at the next publish)');
    }
  }
}
