// Types of player/dvr-seek.js for the TypeScript tests (the page itself is plain browser ES).
export interface SeekBarModel {
  start: number;
  end: number;
  window: number;
  position: number;
  behind: number;
  fraction: number;
  live: boolean;
}
export const LIVE_SLACK_SECONDS: number;
export function seekBarModel(ranges: Array<[number, number]>, currentTime: number): SeekBarModel | null;
export function seekTarget(model: SeekBarModel, fraction: number): number;
export function formatClock(seconds: number): string;
export function seekLabel(model: SeekBarModel | null): string;
export function attachSeekBar(video: HTMLVideoElement, root: HTMLElement): { update(): SeekBarModel | null };
