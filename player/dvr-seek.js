// The DVR seek bar: a range over what the engine playing can seek to (the DVR window the live
// manifest lists, as the engine reports it), the position in it, how far behind live that is, and
// a button back to live. A pure model plus a thin DOM binding; the binding reads and seeks through
// the engine's adapter (player/seek-adapters.js), which player.js hands it when playback starts.

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
  // A window too short to seek in, or no position yet (an engine that has not started): nothing to show.
  if (!(end - start > 1) || !Number.isFinite(currentTime)) return null;
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

/**
 * Binds the bar in `root` (an element holding `input[type=range]`, `.dvr-label`, `.dvr-live`) to
 * the engine's seeker (`use(seeker)`, null while nothing plays). `update()` redraws it and returns
 * the model (null: hidden, nothing to seek in).
 */
export function attachSeekBar(root) {
  const input = root.querySelector('input[type=range]');
  const label = root.querySelector('.dvr-label');
  const liveBtn = root.querySelector('.dvr-live');
  let dragging = false;
  let model = null;
  let seeker = null;
  input.min = '0';
  input.max = '1000';
  input.addEventListener('input', () => {
    dragging = true;
    if (model) label.textContent = seekLabel(seekBarModel([[model.start, model.end]], seekTarget(model, Number(input.value) / 1000)));
  });
  input.addEventListener('change', () => {
    dragging = false;
    if (model && seeker) seeker.seek(seekTarget(model, Number(input.value) / 1000));
  });
  liveBtn.addEventListener('click', () => {
    if (model && seeker) seeker.goLive(LIVE_SLACK_SECONDS / 2);
  });
  return {
    use(next) {
      seeker = next;
      dragging = false;
    },
    update() {
      model = seeker ? seekBarModel(seeker.ranges(), seeker.position()) : null;
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
