// What each single-key shortcut does (the table in settings.js's KEYS) but `?`,
// which keyboard.js handles itself. keyboard.js decides when a key press is
// a shortcut; this module, fetched when the pointer or focus first comes to
// the player, acts on it. Also the viewer's caption overrides, which the G
// and H keys and the settings dialog change.
import { RATES, REQUEST } from './constants.js';
import { timePhrase } from './timefmt.js';

const OFFSET_LIMIT = 10;
const OFFSET_STEP = 0.1;

/**
 * The caption overrides in use: `placement` ('authored', 'bottom', 'top')
 * and `offset` in seconds; kept here as well as saved, since the captions
 * may save a change only once their layout code is here.
 */
export function overrides(p) {
  return p.captionOverrides ??= {
    placement: p.prefs.get('captionPlacement', 'authored'),
    offset: +p.prefs.get('captionOffset', 0) || 0,
  };
}

/**
 * Change the caption overrides by `change` (placement, offset), the offset
 * clamped to ±10 s in 0.1 s steps, and give them to the captions, which
 * save them and draw the cues again. Returns how the timing now stands, in words.
 */
export function override(p, change) {
  const now = Object.assign(overrides(p), change);
  const tenths = Math.round(Math.min(OFFSET_LIMIT, Math.max(-OFFSET_LIMIT, now.offset)) / OFFSET_STEP);
  now.offset = tenths / 10;
  p.captions.setOverrides({ ...now });
  const s = Math.abs(now.offset).toLocaleString(p.lang, { minimumFractionDigits: 1 });
  return p.t(tenths > 0 ? 'Captions {s} seconds later' : tenths < 0 ? 'Captions {s} seconds earlier' : 'Captions as timed in the file', { s });
}

/** Act on `key` (character keys in lower case) for the player `p`. */
export function act(p, key) {
  const t = p.t;
  const m = p.media;
  const ask = (type, value) => () => p.request(type, value);
  // Do, then say what it did.
  const say = (type, value, words) => () => {
    p.request(type, value);
    p.announce(words());
  };
  const skip = (by) => say(REQUEST.SKIP, by, () => timePhrase(m.currentTime, t));
  const volume = (by) => say(REQUEST.VOLUME, m.volume + by, () => t('Volume {n}%', { n: Math.round(m.volume * 100) }));
  // From any rate (the embed API sets unlisted ones) to the next listed one.
  const shift = (by) => () => p.announce(override(p, { offset: overrides(p).offset + by }));
  const rate = (by) => say(REQUEST.RATE, RATES.filter((r) => (r - m.playbackRate) * by > 0).at(by > 0 ? 0 : -1) || m.playbackRate,
    () => t('Speed {rate}', { rate: p.controls.rateText(m.playbackRate) }));
  const action = /^\d$/.test(key) ? ask(REQUEST.SEEK, (p.duration * key) / 10) : {
    ' ': ask(REQUEST.TOGGLE),
    k: ask(REQUEST.TOGGLE),
    ArrowLeft: skip(-5),
    ArrowRight: skip(5),
    j: skip(-10),
    l: skip(10),
    ArrowUp: volume(0.05),
    ArrowDown: volume(-0.05),
    Home: ask(REQUEST.SEEK, 0),
    End: ask(REQUEST.SEEK, p.duration),
    m: say(REQUEST.MUTE, undefined, () => t(m.muted ? 'Muted' : 'Unmuted')),
    c: p.captions.tracks.length > 0 && (() => {
      const track = p.request(REQUEST.CAPTIONS);
      p.announce(track ? t('Captions: {label}', { label: track.label || track.language }) : t('Captions off'));
    }),
    g: p.captions.tracks.length > 0 && shift(-OFFSET_STEP),
    h: p.captions.tracks.length > 0 && shift(OFFSET_STEP),
    d: p.described && say(REQUEST.DESCRIPTIONS, undefined, () => t(p.state.descriptions ? 'Descriptions on' : 'Descriptions off')),
    t: p.transcript && ask(REQUEST.TRANSCRIPT),
    f: p.controls.fullscreen && ask(REQUEST.FULLSCREEN),
    '<': rate(-1),
    '>': rate(1),
  }[key];
  if (action) action();
}
