// How the DVR seek bar (player/dvr-seek.js) moves the engine playing now: the window it can seek
// in, where playback is, a seek and a return to live, each in that engine's own time base.
// - hls.js (and native HLS) follow the video element: its seekable range is the window the playlist
//   lists, and a seek set on `currentTime` is where they load from and stay.
// - dash.js must be asked. Its catch-up compares the live latency with the live delay it keeps, and
//   seeks back to live once the difference passes the maximum drift (from the MPD's
//   ServiceDescription Latency@max): a seek made behind its back on `currentTime` is such a drift,
//   and is undone within a second. Its own seek moves that live delay to the new position, so
//   catch-up holds the viewer there; its return to live restores the original delay. Its DVR window
//   (getDvrWindow) is the one it seeks in; the element's seekable range can lag behind it.

/** A window the bar can use: the last of the ranges, with finite ends. */
function finiteRange(start, end) {
  return Number.isFinite(start) && Number.isFinite(end) && end > start ? [[start, end]] : [];
}

/** The seekable ranges ([[start, end], …]) of a TimeRanges object. */
export function timeRanges(seekable) {
  const out = [];
  for (let i = 0; i < (seekable?.length ?? 0); i++) out.push([seekable.start(i), seekable.end(i)]);
  return out;
}

/** dash.js's DVR window ({ start, end, size, … }; {} before it has one) as seekable ranges. */
export function dashWindowRanges(dvr) {
  return finiteRange(dvr?.start, dvr?.end);
}

/**
 * Where "Go live" puts an element-driven engine in a window ending at `end`: `slack` before the
 * end. (Not hls.js's liveSyncPosition: for classic HLS that is three segments behind the
 * playlist's end, further than the bar counts as live.)
 */
export function liveTarget(start, end, slack) {
  return Math.max(start, end - slack);
}

/** hls.js and native HLS: the video element itself. */
export function mediaElementSeeker(video) {
  return {
    ranges: () => timeRanges(video.seekable),
    position: () => video.currentTime,
    seek(t) {
      video.currentTime = t;
    },
    goLive(slack) {
      const last = timeRanges(video.seekable).at(-1);
      if (last) video.currentTime = liveTarget(last[0], last[1], slack);
    },
  };
}

/** dash.js: a MediaPlayer, in its presentation time (the element's time base as dash.js sets it). */
export function dashSeeker(player) {
  // Every call throws until dash.js has initialised playback: there is nothing to seek in then.
  const attempt = (f, otherwise) => {
    try {
      return f();
    } catch {
      return otherwise;
    }
  };
  return {
    ranges: () => attempt(() => dashWindowRanges(player.getDvrWindow()), []),
    position: () => attempt(() => player.time(), NaN),
    seek(t) {
      attempt(() => player.seekToPresentationTime(t));
    },
    goLive() {
      attempt(() => player.seekToOriginalLive());
    },
  };
}
