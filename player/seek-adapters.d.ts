// Types of player/seek-adapters.js for the TypeScript tests (the page itself is plain browser ES).
export type Ranges = Array<[number, number]>;
/** What the seek bar needs of an engine, in that engine's time base. */
export interface Seeker {
  ranges(): Ranges;
  position(): number;
  seek(t: number): void;
  goLive(slack: number): void;
}
export function timeRanges(seekable: { length: number; start(i: number): number; end(i: number): number } | null | undefined): Ranges;
export function dashWindowRanges(dvr: { start?: number; end?: number } | null | undefined): Ranges;
export function liveTarget(start: number, end: number, slack: number): number;
export function mediaElementSeeker(video: HTMLVideoElement): Seeker;
export function dashSeeker(player: unknown): Seeker;
