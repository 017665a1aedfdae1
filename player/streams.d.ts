// Types of player/streams.js for the TypeScript tests (the page itself is plain browser ES).
export interface PlayerStream {
  id: string;
  app: string;
  name: string;
  event?: string;
  video?: { codec?: string; width?: number; height?: number; fps?: number };
  audio?: { codec?: string; sampleRate?: number; channels?: number };
  bitrateKbps?: number;
  startedAt?: string;
  transcoding: boolean;
  /** The origin's packager state: starting | running | restarting | stopping | stopped | failed. */
  packaging?: string;
  paths?: unknown;
  urls?: unknown;
  rtmp?: unknown;
}
export interface UrlRow { family: string; url: string }
export interface TimeRangesLike { length: number; start(i: number): number; end(i: number): number }
export function defaultHlsPath(app: string, name: string): string;
export function normalizeStreams(json: unknown): PlayerStream[];
export function parseStreamParam(search: string): { app: string; name: string; id: string } | null;
export function classifyUrl(url: string): string | null;
export function playbackUrls(stream: Pick<PlayerStream, 'app' | 'name' | 'paths' | 'urls' | 'rtmp'>, pageOrigin: string): UrlRow[];
export function hlsUrl(stream: Pick<PlayerStream, 'app' | 'name' | 'paths' | 'urls' | 'rtmp'>, pageOrigin: string): string;
export function classifyXCache(header: string | null | undefined): 'hit' | 'refresh' | 'miss' | 'error' | null;
export function createHitCounter(): {
  counts: { hit: number; refresh: number; miss: number; error: number; none: number };
  record(header: string | null | undefined): void;
  ratio(): number | null;
  reset(): void;
};
export function bufferAhead(ranges: TimeRangesLike, time: number): number;
export function formatBitrate(bitsPerSecond: number | null | undefined): string;
export function formatSeconds(s: number | null | undefined): string;
export function formatSince(iso: string | undefined, now?: number): string;
export function describeMedia(stream: Pick<PlayerStream, 'video' | 'audio' | 'bitrateKbps' | 'transcoding' | 'packaging'>): string;
