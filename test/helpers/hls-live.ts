// Reading a live HLS media playlist the way a player does: parse it, wait for segments, check
// that it keeps advancing. Shared by the fault, bad-input and soak code.

export interface PlaylistSegment {
  seq: number;
  uri: string;
  duration: number;
  /** An #EXT-X-DISCONTINUITY tag precedes this segment. */
  discontinuity: boolean;
}

export interface MediaPlaylist {
  targetDuration: number;
  mediaSequence: number;
  discontinuitySequence: number;
  segments: PlaylistSegment[];
  ended: boolean;
  /** Last listed sequence number, or mediaSequence - 1 when empty. */
  lastSeq: number;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  let targetDuration = 0;
  let mediaSequence = 0;
  let discontinuitySequence = 0;
  let ended = false;
  let pendingDuration = 0;
  let pendingDisc = false;
  const segments: PlaylistSegment[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(line.slice(22)) || 0;
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22)) || 0;
    else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) discontinuitySequence = Number(line.slice(30)) || 0;
    else if (line === '#EXT-X-DISCONTINUITY') pendingDisc = true;
    else if (line.startsWith('#EXT-X-ENDLIST')) ended = true;
    else if (line.startsWith('#EXTINF:')) pendingDuration = Number.parseFloat(line.slice(8)) || 0;
    else if (!line.startsWith('#')) {
      segments.push({ seq: mediaSequence + segments.length, uri: line, duration: pendingDuration, discontinuity: pendingDisc });
      pendingDuration = 0;
      pendingDisc = false;
    }
  }
  return { targetDuration, mediaSequence, discontinuitySequence, segments, ended, lastSeq: mediaSequence + segments.length - 1 };
}

export interface FetchedPlaylist {
  status: number;
  text: string;
  playlist?: MediaPlaylist;
}

export async function fetchPlaylist(url: string, timeoutMs = 5000): Promise<FetchedPlaylist> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, text, ...(res.status === 200 ? { playlist: parseMediaPlaylist(text) } : {}) };
  } catch (err) {
    return { status: 0, text: String((err as Error).message) };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until the playlist lists at least `n` segments; throws with the last answer on timeout. */
export async function waitForSegments(url: string, n: number, timeoutMs = 30_000): Promise<MediaPlaylist> {
  const end = Date.now() + timeoutMs;
  let last: FetchedPlaylist | undefined;
  while (Date.now() < end) {
    last = await fetchPlaylist(url);
    if (last.playlist && last.playlist.segments.length >= n) return last.playlist;
    await sleep(200);
  }
  throw new Error(`${url}: fewer than ${n} segments after ${timeoutMs} ms (last: ${last?.status} ${last?.text.slice(0, 300)})`);
}

/** Waits until the playlist lists a sequence number beyond `afterSeq`; returns the playlist. */
export async function waitForSeqBeyond(url: string, afterSeq: number, timeoutMs: number): Promise<MediaPlaylist> {
  const end = Date.now() + timeoutMs;
  let last: FetchedPlaylist | undefined;
  while (Date.now() < end) {
    last = await fetchPlaylist(url);
    if (last.playlist && last.playlist.lastSeq > afterSeq) return last.playlist;
    await sleep(200);
  }
  throw new Error(`${url}: no segment beyond #${afterSeq} within ${timeoutMs} ms (last: ${last?.status} ${last?.text.slice(0, 400)})`);
}

/** The live stream is healthy: its playlist gains a new segment within `timeoutMs`. */
export async function expectAdvancing(url: string, timeoutMs = 8000): Promise<MediaPlaylist> {
  const now = await fetchPlaylist(url);
  if (!now.playlist) throw new Error(`${url}: ${now.status} ${now.text.slice(0, 300)}`);
  if (now.playlist.ended) throw new Error(`${url}: playlist has ended (#EXT-X-ENDLIST)`);
  return waitForSeqBeyond(url, now.playlist.lastSeq, timeoutMs);
}

/** Resolves a playlist entry against the playlist URL. */
export function segmentUrl(playlistUrl: string, uri: string): string {
  return new URL(uri, playlistUrl).toString();
}
