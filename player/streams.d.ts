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
  /** Root-relative URL of the stream's recording, when the server offers one. */
  recording?: string;
  paths?: unknown;
  urls?: unknown;
  rtmp?: unknown;
}
export interface UrlRow {
  family: string;
  url: string;
}
export interface TimeRangesLike {
  length: number;
  start(i: number): number;
  end(i: number): number;
}
export function defaultHlsPath(app: string, name: string): string;
export function normalizeStreams(json: unknown): PlayerStream[];
export function httpsPageUrl(json: unknown, loc: { protocol: string; hostname: string; pathname: string; search: string }): string | null;
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
export type PlayMode = 'llhls' | 'hls' | 'dash';
export const MODES: PlayMode[];
export const MODE_LABELS: Record<PlayMode, string>;
export const DEFAULT_MODE: PlayMode;
export function playbackModes(
  stream: Pick<PlayerStream, 'app' | 'name' | 'paths' | 'urls' | 'rtmp'>,
  pageOrigin: string,
): { llhls: string | null; hls: string; dash: string | null };
export function chooseMode(
  requested: string | null | undefined,
  modes: { llhls: string | null; hls: string; dash: string | null },
): { mode: PlayMode; url: string; fallback: string | null };
export function parseModeParam(search: string): PlayMode | null;
export function pageQuery(streamId: string, mode: PlayMode | null | undefined): string;
export function manifestState(text: string | null | undefined): 'live' | 'ended' | 'empty';
export function httpProblem(
  status: number,
  listed: boolean,
): { kind: 'protected' | 'not-found' | 'server'; title: string; body: string } | null;
export function programDateLatency(playingDate: Date | number | null | undefined, nowMs: number): number | null;
export function formatLatency(s: number | null | undefined): string;
