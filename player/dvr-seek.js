// The DVR seek bar: a range over what the player can seek to (the video element's seekable range,
// which hls.js and dash.js set from the DVR window the live manifest lists), the position in it,
// how far behind live that is, and a button back to live. A pure model plus a thin DOM binding,
// hooked into player.js with a few lines.

/** Seconds behind the live end below which the position counts as live (a player's own hold-back). */
export const LIVE_SLACK_SECONDS = 6;

/**
 * The bar's model from the seekable ranges ([[start, end], …]) and the position: the last range
 * (a live window), or null when there is nothing to seek in.
 */
export function seekBarModel(ranges, currentTime) {
  const last = ranges[ranges.length - 1];
  if (!last) return null;
  const [start, end] = last;
  if (!(end - start > 1)) return null;
  const position = Math.min(Math.max(currentTime, start), end);
  const behind = end - position;
  return {
    start,
    end,
    window: end - start,
    position,
    behind,
    fraction: (position - start) / (end - start),
    live: behind < LIVE_SLACK_SECONDS,
  };
}

/** Where a fraction (0…1) of the bar is, in media time. */
export function seekTarget(model, fraction) {
  return model.start + Math.min(1, Math.max(0, fraction)) * model.window;
}

/** `m:ss` (or `h:mm:ss`) of a duration in seconds. */
export function formatClock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The label beside the bar: live, or how far behind, out of how much window. */
export function seekLabel(model) {
  if (!model) return '';
  const window = `window ${formatClock(model.window)}`;
  return model.live ? `LIVE · ${window}` : `−${formatClock(model.behind)} · ${window}`;
}

function rangesOf(seekable) {
  const out = [];
  for (let i = 0; i < seekable.length; i++) out.push([seekable.start(i), seekable.end(i)]);
  return out;
}

/**
 * Binds the bar in `root` (an element holding `input[type=range]`, `.dvr-label`, `.dvr-live`) to
 * `video`. `update()` redraws it and returns the model (null: hidden, nothing to seek in).
 */
export function attachSeekBar(video, root) {
  const input = root.querySelector('input[type=range]');
  const label = root.querySelector('.dvr-label');
  const liveBtn = root.querySelector('.dvr-live');
  let dragging = false;
  let model = null;
  input.min = '0';
  input.max = '1000';
  input.addEventListener('input', () => {
    dragging = true;
    if (model) label.textContent = seekLabel(seekBarModel([[model.start, model.end]], seekTarget(model, Number(input.value) / 1000)));
  });
  input.addEventListener('change', () => {
    dragging = false;
    if (model) video.currentTime = seekTarget(model, Number(input.value) / 1000);
  });
  liveBtn.addEventListener('click', () => {
    if (model) video.currentTime = Math.max(model.start, model.end - LIVE_SLACK_SECONDS / 2);
  });
  return {
    update() {
      model = seekBarModel(rangesOf(video.seekable), video.currentTime);
      root.hidden = model === null;
      if (model && !dragging) {
        input.value = String(Math.round(model.fraction * 1000));
        label.textContent = seekLabel(model);
        liveBtn.disabled = model.live;
      }
      return model;
    },
  };
}
