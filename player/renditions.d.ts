// Types of player/renditions.js for the TypeScript tests (the page itself is plain browser ES).
export interface Rendition {
  index: number;
  width: number;
  height: number;
  bitrate: number;
}
export type RenditionChoice = 'auto' | number;
export function hlsRenditions(levels: unknown): Rendition[];
export function dashRenditions(reps: unknown): Rendition[];
export function renditionLabel(r: Rendition): string;
export function choiceValue(choice: RenditionChoice | null | undefined): string;
export function parseChoice(value: string, renditions: readonly Rendition[]): RenditionChoice;
export interface RenditionPicker {
  state: { renditions: Rendition[]; choice: RenditionChoice; playing: number | null };
  update(renditions: Rendition[], playingIndex: number | null): void;
  reset(): void;
}
export function createRenditionPicker(select: unknown, onPick: (choice: RenditionChoice) => void): RenditionPicker;
export function attachHls(hls: unknown, Hls: unknown, picker: RenditionPicker): (choice: RenditionChoice) => void;
export function attachDash(player: unknown, dashjs: unknown, picker: RenditionPicker): (choice: RenditionChoice) => void;
