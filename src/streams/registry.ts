// The live registry: which streams are being published now, with what media, and their
// lifecycle events. Ingest writes it; the packager and origin read it.
import { EventEmitter } from 'node:events';
import { streamId, type StreamKey } from './stream-key.js';

export interface VideoInfo {
  codec: string; // 'h264', 'hevc', ...
  width?: number;
  height?: number;
  fps?: number;
}

export interface AudioInfo {
  codec: string; // 'aac', 'mp3', ...
  sampleRate?: number;
  channels?: number;
}

export type PackagingState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface LiveStream {
  key: StreamKey;
  /** Adobe livepkgr event (`adbe-live-event`), when published that way (SPEC ING-01). */
  event?: string;
  /** `adbe-record-mode=record`: a republish discards the earlier segments (SPEC ING-01). */
  recordMode: boolean;
  /** `?record=1` / `?record=0` on publish: this event is (not) kept as VOD, over `packager.record`. */
  record?: boolean;
  /** The recording this publish is captured into (set by the packager). */
  recordingId?: string;
  /** Ingest session id of the publisher. */
  sessionId: string;
  publisherIp: string;
  startedAt: Date;
  video?: VideoInfo;
  audio?: AudioInfo;
  /** Measured ingest bitrate, kbit/s. */
  bitrateKbps?: number;
  packaging: PackagingState;
  /** True when the packager re-encodes because the input is not H.264/AAC. */
  transcoding?: boolean;
  /** The ABR rungs the packager produces now, highest first (absent: the source only). */
  rungs?: LiveStreamRung[];
}

/** One ABR rendition (the packager's stream.json entry of the same shape). */
export interface LiveStreamRung {
  name: string;
  source: boolean;
  width?: number;
  height?: number;
  videoKbps?: number;
  audioKbps?: number;
}

export interface RegistryEvents {
  publish: [stream: LiveStream];
  unpublish: [stream: LiveStream];
  update: [stream: LiveStream];
}

/**
 * Exact by construction: a stream has one publisher session and a session publishes at most one
 * stream, so when a session ends, removeSession ends everything it published.
 */
export class LiveRegistry extends EventEmitter<RegistryEvents> {
  readonly #streams = new Map<string, LiveStream>();
  /** Publisher session id → its stream id. */
  readonly #bySession = new Map<string, string>();

  get(key: StreamKey): LiveStream | undefined {
    return this.#streams.get(streamId(key));
  }

  list(): LiveStream[] {
    return [...this.#streams.values()];
  }

  /** Adds a live stream; returns false (and changes nothing) when that key is already live or the session already publishes one. */
  add(stream: LiveStream): boolean {
    const id = streamId(stream.key);
    if (this.#streams.has(id) || this.#bySession.has(stream.sessionId)) return false;
    this.#streams.set(id, stream);
    this.#bySession.set(stream.sessionId, id);
    this.emit('publish', stream);
    return true;
  }

  /** Merges fields into a live stream (codecs, bitrate, packaging state) and emits `update`. */
  update(key: StreamKey, patch: Partial<Omit<LiveStream, 'key'>>): void {
    const stream = this.#streams.get(streamId(key));
    if (!stream) return;
    Object.assign(stream, patch);
    this.emit('update', stream);
  }

  /** Removes a stream if `sessionId` still owns it; returns the removed record. */
  remove(key: StreamKey, sessionId?: string): LiveStream | undefined {
    const id = streamId(key);
    const stream = this.#streams.get(id);
    if (!stream || (sessionId !== undefined && stream.sessionId !== sessionId)) return undefined;
    this.#streams.delete(id);
    this.#bySession.delete(stream.sessionId);
    this.emit('unpublish', stream);
    return stream;
  }

  /** The stream a session publishes, if any. */
  bySession(sessionId: string): LiveStream | undefined {
    const id = this.#bySession.get(sessionId);
    return id === undefined ? undefined : this.#streams.get(id);
  }

  /** Ends what `sessionId` published (its session ended); returns the removed record. */
  removeSession(sessionId: string): LiveStream | undefined {
    const stream = this.bySession(sessionId);
    return stream ? this.remove(stream.key, sessionId) : undefined;
  }
}
