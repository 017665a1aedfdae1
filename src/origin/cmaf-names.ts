// Pure: the file names of the CMAF output (LL-HLS and DASH share them), Wowza's `_sfm4s` style.
// Every URL family serves these names beside its CMAF manifests. The timeline numbers parts and
// segments; this is the one place those numbers become names and back.

/** LL-HLS master playlist and DASH manifest names of the Wowza family (the contract). */
export const CMAF_MASTER = 'playlist_sfm4s.m3u8';
export const CMAF_MPD = 'manifest_sfm4s.mpd';

/** A track id: `video`, `audio` (and `video1`… once there are renditions). */
const TRACK = '([a-z]{1,8}\\d{0,2})';
const NUM = '(\\d{1,15})';
const PLAYLIST_RE = new RegExp(`^chunklist_sfm4s_${TRACK}\\.m3u8$`);
const INIT_RE = new RegExp(`^init_sfm4s_${TRACK}_${NUM}\\.mp4$`);
const PART_RE = new RegExp(`^part_sfm4s_${TRACK}_${NUM}\\.m4s$`);
const SEGMENT_RE = new RegExp(`^seg_sfm4s_${TRACK}_${NUM}\\.m4s$`);

export type CmafFile =
  | { kind: 'cmaf-playlist'; track: string }
  | { kind: 'cmaf-init'; track: string; n: number }
  | { kind: 'cmaf-part'; track: string; n: number }
  | { kind: 'cmaf-segment'; track: string; n: number };

export const cmafNames = {
  playlist: (track: string) => `chunklist_sfm4s_${track}.m3u8`,
  init: (track: string, epoch: number) => `init_sfm4s_${track}_${epoch}.mp4`,
  part: (track: string, seq: number) => `part_sfm4s_${track}_${seq}.m4s`,
  segment: (track: string, msn: number) => `seg_sfm4s_${track}_${msn}.m4s`,
  /** DASH SegmentTemplate@media. */
  segmentTemplate: (track: string) => `seg_sfm4s_${track}_$Number$.m4s`,
};

export type CmafNames = typeof cmafNames;

/** A CMAF media or media-playlist name, or undefined when `file` is none. */
export function parseCmafFile(file: string): CmafFile | undefined {
  let m = PLAYLIST_RE.exec(file);
  if (m) return { kind: 'cmaf-playlist', track: m[1] };
  for (const [re, kind] of [[INIT_RE, 'cmaf-init'], [PART_RE, 'cmaf-part'], [SEGMENT_RE, 'cmaf-segment']] as const) {
    m = re.exec(file);
    if (m && Number.isSafeInteger(Number(m[2]))) return { kind, track: m[1], n: Number(m[2]) };
  }
  return undefined;
}
