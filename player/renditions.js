// The demo player's rendition picker: lists the rungs the playing engine offers (hls.js levels,
// dash.js video Representations), lets the viewer pin one or leave the choice to the player's
// ABR (auto), and shows which one plays. The pure rules come first (tested in
// test/player/renditions.test.ts); attachHls / attachDash are the thin wiring to each library.

/** The renditions of hls.js levels: [{ index, width, height, bitrate }], highest first. */
export function hlsRenditions(levels) {
  if (!Array.isArray(levels)) return [];
  return levels
    .map((l, index) => ({ index, width: Number(l?.width) || 0, height: Number(l?.height) || 0, bitrate: Number(l?.bitrate) || 0 }))
    .sort((a, b) => b.bitrate - a.bitrate || b.height - a.height);
}

/** The renditions of dash.js video Representations (dash.js 5: getRepresentationsByType('video')). */
export function dashRenditions(reps) {
  if (!Array.isArray(reps)) return [];
  return reps
    .map((r, i) => ({
      index: Number.isInteger(r?.index) ? r.index : i,
      width: Number(r?.width) || 0,
      height: Number(r?.height) || 0,
      bitrate: Number(r?.bandwidth) || 0,
    }))
    .sort((a, b) => b.bitrate - a.bitrate || b.height - a.height);
}

/** `720p · 2.5 Mbit/s`; a rendition without a height shows its bitrate only. */
export function renditionLabel(r) {
  const kbps = r.bitrate / 1000;
  const rate = kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbps)} kbit/s`;
  return r.height > 0 ? `${r.height}p · ${rate}` : rate;
}

/** The picker's value for a choice: 'auto' or the rendition's index as a string. */
export function choiceValue(choice) {
  return choice === 'auto' || choice == null ? 'auto' : String(choice);
}

/** The choice a picker value stands for: 'auto' or an index among `renditions`; anything else is auto. */
export function parseChoice(value, renditions) {
  if (typeof value !== 'string' || !/^\d{1,3}$/.test(value)) return 'auto';
  const n = Number(value);
  return renditions.some((r) => r.index === n) ? n : 'auto';
}

/**
 * The picker over a <select>: `update(renditions, playingIndex)` redraws it (only when the list
 * changed), `onPick(choice)` is called with 'auto' or an index. `state` is what the page's test
 * hook exposes: the list, the pinned choice and the playing rendition.
 */
export function createRenditionPicker(select, onPick) {
  const state = { renditions: [], choice: 'auto', playing: null };
  let drawn = '';
  select.addEventListener('change', () => {
    state.choice = parseChoice(select.value, state.renditions);
    onPick(state.choice);
  });
  return {
    state,
    update(renditions, playingIndex) {
      state.renditions = renditions;
      state.playing = playingIndex ?? null;
      const key = JSON.stringify(renditions);
      if (key !== drawn) {
        drawn = key;
        select.replaceChildren();
        const auto = document.createElement('option');
        auto.value = 'auto';
        auto.textContent = 'Auto';
        select.append(auto);
        for (const r of renditions) {
          const o = document.createElement('option');
          o.value = String(r.index);
          o.textContent = renditionLabel(r);
          select.append(o);
        }
      }
      select.value = choiceValue(state.choice);
      select.disabled = renditions.length < 2;
      const playing = renditions.find((r) => r.index === state.playing);
      select.title = playing ? `Playing ${renditionLabel(playing)}` : '';
    },
    reset() {
      state.choice = 'auto';
      this.update([], null);
    },
  };
}

/** Wires hls.js: its levels fill the picker; a pin sets `currentLevel` (-1 = auto). */
export function attachHls(hls, Hls, picker) {
  const refresh = () => picker.update(hlsRenditions(hls.levels), hls.currentLevel >= 0 ? hls.currentLevel : null);
  hls.on(Hls.Events.MANIFEST_PARSED, refresh);
  hls.on(Hls.Events.LEVEL_SWITCHED, refresh);
  hls.on(Hls.Events.LEVELS_UPDATED, refresh);
  return (choice) => {
    hls.currentLevel = choice === 'auto' ? -1 : choice;
    refresh();
  };
}

/** Wires dash.js 5: its video Representations fill the picker; a pin turns its video ABR off. */
export function attachDash(player, dashjs, picker) {
  const E = dashjs.MediaPlayer.events;
  const refresh = () => {
    const reps = typeof player.getRepresentationsByType === 'function' ? player.getRepresentationsByType('video') : [];
    const current = typeof player.getCurrentRepresentationForType === 'function' ? player.getCurrentRepresentationForType('video') : null;
    picker.update(dashRenditions(reps), Number.isInteger(current?.index) ? current.index : null);
  };
  player.on(E.STREAM_INITIALIZED, refresh);
  player.on(E.QUALITY_CHANGE_RENDERED, refresh);
  return (choice) => {
    const auto = choice === 'auto';
    player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
    if (!auto) player.setRepresentationForTypeByIndex('video', choice, true);
    refresh();
  };
}
