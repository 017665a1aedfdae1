// Pure: the ABR ladder of one stream run. From the configured ladder (`packager.ladder`) and the
// source's size, the renditions ffmpeg produces: the source rung (copied when the input allows) and
// the transcoded rungs below the source's height, each with an even width from the source's aspect
// ratio. No I/O; ./ffmpeg-args.ts turns the plan into arguments.
import type { LadderConfig, LadderRungConfig } from '../config/index.js';

/** The `default` preset below the source rung (bitrates in kbit/s, Apple's authoring guide ranges). */
export const DEFAULT_LADDER: readonly LadderRungConfig[] = [
  { name: '480p', height: 480, videoBitrate: 1200, audioBitrate: 128 },
  { name: '360p', height: 360, videoBitrate: 700, audioBitrate: 96 },
  { name: '240p', height: 240, videoBitrate: 350, audioBitrate: 64 },
];

/** The name of the rung that carries the source (copied when it is H.264/AAC). */
export const SOURCE_RUNG = 'source';

export interface PlannedRung {
  name: string;
  /** True for the source rung (its video is copied unless the input needs a re-encode). */
  source: boolean;
  /** Output size; undefined for a source rung whose size the metadata did not give. */
  width?: number;
  height?: number;
  /** Transcoded rungs: target video / audio bitrate, kbit/s. */
  videoKbps?: number;
  audioKbps?: number;
}

export interface SourceSize {
  width?: number;
  height?: number;
}

/** The transcoded rungs a ladder setting asks for (none for `source`). */
export function ladderRungs(ladder: LadderConfig): readonly LadderRungConfig[] {
  if (ladder === 'source') return [];
  if (ladder === 'default') return DEFAULT_LADDER;
  return ladder;
}

/** Width of a rung of `height` for a `srcW`×`srcH` source: same aspect ratio, rounded to even. */
export function evenWidth(height: number, srcW: number, srcH: number): number {
  return Math.max(2, 2 * Math.round((height * srcW) / srcH / 2));
}

/**
 * The rungs of one run, highest first: the source, then every configured rung strictly below the
 * source's height (a rung at or above it would only upscale or duplicate the source). A ladder
 * with transcoded rungs needs the source size; when it is unknown the run is source only and the
 * result says why (`reason`), so the caller can log it.
 */
export function planLadder(ladder: LadderConfig, src: SourceSize): { rungs: PlannedRung[]; skipped: string[]; reason?: string } {
  const source: PlannedRung = {
    name: SOURCE_RUNG,
    source: true,
    ...(src.width && src.height ? { width: src.width, height: src.height } : {}),
  };
  const wanted = ladderRungs(ladder);
  if (wanted.length === 0) return { rungs: [source], skipped: [] };
  if (!src.width || !src.height) {
    return { rungs: [source], skipped: wanted.map((r) => r.name), reason: 'source size unknown (no width/height in the RTMP metadata)' };
  }
  const rungs: PlannedRung[] = [source];
  const skipped: string[] = [];
  for (const r of [...wanted].sort((a, b) => b.height - a.height)) {
    if (r.height >= src.height) {
      skipped.push(r.name);
      continue;
    }
    rungs.push({
      name: r.name,
      source: false,
      width: evenWidth(r.height, src.width, src.height),
      height: r.height,
      videoKbps: r.videoBitrate,
      audioKbps: r.audioBitrate,
    });
  }
  return { rungs, skipped };
}

/** True when a plan has more than the source rung: the outputs become multi-rendition. */
export function isAbr(rungs: readonly PlannedRung[]): boolean {
  return rungs.length > 1;
}

/**
 * The source rung's nominal bitrate for the HDS and Smooth manifests (which need one per stream,
 * and Smooth names a level's folder by it): the measured ingest rate, else 2000 kbit/s, moved off
 * any transcoded rung's bitrate so no two levels share a folder.
 */
export function sourceNominalKbps(measuredKbps: number | undefined, rungs: readonly PlannedRung[]): number {
  let kbps = Math.max(1, Math.round(measuredKbps ?? 2000));
  const taken = new Set(rungs.filter((r) => !r.source).map((r) => r.videoKbps));
  while (taken.has(kbps)) kbps++;
  return kbps;
}
