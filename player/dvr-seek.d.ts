// Types of player/dvr-seek.js for the TypeScript tests (the page itself is plain browser ES).
import type { Seeker } from './seek-adapters.js';

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
export function attachSeekBar(root: HTMLElement): { use(seeker: Seeker | null): void; update(): SeekBarModel | null };
