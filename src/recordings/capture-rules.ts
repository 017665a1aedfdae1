// Pure rules of a recording: which segments a live HLS playlist has finished, the capture's saved
// state, the concat list that joins the captured segments, and the one ffmpeg run that turns them
// into the VOD files (an MP4 with its index first, a VOD HLS playlist, a static DASH MPD).
import { z } from 'zod';
import type { FfmpegInvocation } from '../packager/ffmpeg-args.js';
import { CAPTURE_FILES, VOD_FILES, isHlsSegmentName } from '../timeline/output-layout.js';

export interface ListedSegment {
  /** The segment's file name in the live HLS folder (`seg_00042.ts`). */
  name: string;
  duration: number;
  /** An `#EXT-X-DISCONTINUITY` stands before it (a republish, an ffmpeg restart). */
  discontinuity: boolean;
}

export interface LivePlaylist {
  /** A master playlist's first variant (the source rendition), relative to the HLS folder. */
  variant?: string;
  segments: ListedSegment[];
}

/**
 * The segments a live media playlist lists: finished ones only, since the packager writes each
 * segment to a temp file and lists it after the rename. Names that are not the packager's
 * segment names are ignored; so is anything that is not a plain name (no `/`, no `..`).
 */
export function parseLivePlaylist(text: string): LivePlaylist {
  const segments: ListedSegment[] = [];
  let duration: number | undefined;
  let discontinuity = false;
  let expectVariant = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF')) {
      expectVariant = true;
      continue;
    }
    if (line.startsWith('#EXTINF:')) {
      const d = Number.parseFloat(line.slice('#EXTINF:'.length));
      duration = Number.isFinite(d) && d > 0 ? d : undefined;
      continue;
    }
    if (line === '#EXT-X-DISCONTINUITY') {
      discontinuity = true;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (expectVariant) {
      // One folder level at most, plain names: never outside the HLS folder.
      if (/^([A-Za-z0-9_-]{1,64}\/)?[A-Za-z0-9_-]{1,64}\.m3u8$/.test(line)) return { variant: line, segments: [] };
      expectVariant = false;
      continue;
    }
    const name = line.split('?')[0]!.split('/').pop()!;
    if (duration !== undefined && isHlsSegmentName(name) && !line.includes('..')) segments.push({ name, duration, discontinuity });
    duration = undefined;
    discontinuity = false;
  }
  return { segments };
}

export const captureStateSchema = z.object({
  app: z.string(),
  name: z.string(),
  id: z.string(),
  startedAt: z.string(),
  /** When the last publish of the recording ended (absent while it is live). */
  endedAt: z.string().optional(),
  segments: z.array(
    z.object({
      /** Source name in the live folder, to recognise a segment already captured. */
      from: z.string(),
      duration: z.number().positive(),
      discontinuity: z.boolean(),
    }),
  ),
  /** How many segments the last successful build and upload covered. */
  builtSegments: z.number().int().min(0).default(0),
});

export type CaptureState = z.infer<typeof captureStateSchema>;

/** ffconcat list of the captured segments, with their durations (timestamps then follow on). */
export function concatList(segmentCount: number, durations: readonly number[]): string {
  const lines = ['ffconcat version 1.0'];
  for (let i = 0; i < segmentCount; i++) {
    lines.push(`file '${CAPTURE_FILES.source(i)}'`, `duration ${durations[i]!.toFixed(6)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One ffmpeg run in the capture folder: the concat of the captured TS segments, copied (no
 * re-encode) into the three VOD outputs. `+faststart` moves the MP4's index (`moov`) before its
 * media (`mdat`), so a progressive download can start playing before it has the whole file.
 */
export function vodBuildInvocation(opts: { captureDir: string; segmentSeconds: number }): FfmpegInvocation {
  const out = (f: string) => `${CAPTURE_FILES.outputFolder}/${f}`;
  const maps = ['-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy'];
  // ADTS AAC from MPEG-TS must become MP4's AudioSpecificConfig in the mp4 and dash outputs.
  const toMp4Audio = ['-bsf:a', 'aac_adtstoasc'];
  const seg = String(opts.segmentSeconds);
  return {
    cwd: opts.captureDir,
    inputOptions: ['-hide_banner', '-nostats', '-loglevel', 'warning', '-f', 'concat', '-safe', '1'],
    input: CAPTURE_FILES.concatList,
    outputs: [
      { options: [...maps, ...toMp4Audio, '-movflags', '+faststart', '-f', 'mp4'], target: out(VOD_FILES.mp4) },
      {
        options: [
          ...maps,
          '-f',
          'hls',
          '-hls_time',
          seg,
          '-hls_playlist_type',
          'vod',
          '-hls_flags',
          'independent_segments',
          '-hls_segment_filename',
          out(VOD_FILES.segmentPattern),
        ],
        target: out(VOD_FILES.playlist),
      },
      {
        // The dash muxer keeps MPEG-TS's codec tags unless told the MP4 ones (video is always H.264 here).
        options: [
          ...maps,
          ...toMp4Audio,
          '-tag:v',
          'avc1',
          '-tag:a',
          'mp4a',
          '-f',
          'dash',
          '-seg_duration',
          seg,
          '-use_template',
          '1',
          '-use_timeline',
          '1',
        ],
        target: out(VOD_FILES.mpd),
      },
    ],
  };
}
