// Types of player/time-code.js for the TypeScript tests (the page itself is plain browser ES).
export const TIME_CODE_BLOCKS: number;
export const TIME_CODE_DATA_BITS: number;
export function timeCodeGeometry(width: number, height: number): { blockWidth: number; blockHeight: number } | null;
export function decodeTimeCode(data: ArrayLike<number>, stride: number, videoWidth: number, videoHeight: number): number | null;
export function unwrapTimeCode(code: number, nowMs: number): number;
export function latencySummary(values: number[]): { count: number; median: number | null; p95: number | null };
