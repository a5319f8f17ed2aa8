// Captions drawn by the player, above the controls, in the viewer's style.
// Tracks play in "hidden" mode: cues and cuechange work, the browser's own
// cue box stays off. The overlay is aria-hidden; the transcript is the
// screen reader's way to the same words.
import { h } from './dom.js';

const COLOURS = {
  White: '255 255 255', Yellow: '255 255 0', Cyan: '0 255 255', Green: '0 255 0',
  Magenta: '255 0 255', Red: '255 0 0', Blue: '0 0 255', Black: '0 0 0',
};

/** Each setting's choices: the English name a viewer sees → its CSS value. */
export const STYLE_CHOICES = {
  size: { '50%': 0.5, '75%': 0.75, '100%': 1, '125%': 1.25, '150%': 1.5, '175%': 1.75, '200%': 2 },
  color: COLOURS,
  background: COLOURS,
  opacity: { '0%': 0, '25%': 0.25, '50%': 0.5, '75%': 0.75, '100%': 1 },
  font: {
    'Sans-serif': ['system-ui, Arial, sans-serif'], Serif: ['Georgia, "Times New Roman", serif'],
    Monospace: ['ui-monospace, "DejaVu Sans Mono", monospace'], Casual: ['"Comic Sans MS", "Comic Neue", cursive'],
    'Small capitals': ['system-ui, Arial, sans-serif', 'small-caps'],
  },
  edge: {
    None: 'none', Outline: '-1px -1px #000, 1px -1px #000, -1px 1px #000, 1px 1px #000',
    'Drop shadow': '.06em .06em .1em #000', Raised: '-1px -1px #fff9, 1px 1px #000', Depressed: '1px 1px #fff9, -1px -1px #000',
  },
};

export const STYLE_DEFAULTS = {
  size: '100%', color: 'White', background: 'Black', opacity: '75%', font: 'Sans-serif', edge: 'None',
};

export class Captions {
  constructor(player) {
    this.player = player;
    this.tracks = player.tracks('captions', 'subtitles');
    this.box = h('div', { class: 'ap-captions', 'aria-hidden': 'true' });
    player.stage.append(this.box);
    for (const track of this.tracks) track.addEventListener('cuechange', () => this.render());
    // A track that finishes loading while paused gets no cuechange until time moves.
    for (const el of player.media.querySelectorAll('track')) el.addEventListener('load', () => this.render(true));
    this.style(player.prefs.get('captionStyle', {}), false);
  }

  /** Show the track for `lang` ("" for none; an unknown language falls back to the first track). */
  select(lang) {
    const base = (code) => code.split('-')[0];
    const chosen = !lang ? null : this.tracks.find((t) => t.language === lang)
      || this.tracks.find((t) => base(t.language) === base(lang)) || this.tracks[0];
    for (const track of this.tracks) track.mode = track === chosen ? 'hidden' : 'disabled';
    this.active = chosen;
    this.render(true);
    return chosen;
  }

  // Filtered by time even from activeCues: Chrome counts a cue active at its
  // end time, so at a boundary both the ending and the starting cue would show.
  render(scan = false) {
    const now = this.player.media.currentTime;
    const cues = [...((scan ? this.active?.cues : this.active?.activeCues) || [])]
      .filter((cue) => cue.startTime <= now && now < cue.endTime);
    this.box.replaceChildren(...cues.map((cue) => h('div', {}, h('span', { class: 'ap-cue' }, cue.getCueAsHTML()))));
  }

  /** Apply and remember a style: {size, color, background, opacity, font, edge}, names as in STYLE_CHOICES. */
  style(choices, save = true) {
    const s = { ...STYLE_DEFAULTS, ...choices };
    const pick = (name) => STYLE_CHOICES[name][s[name]] ?? STYLE_CHOICES[name][STYLE_DEFAULTS[name]];
    const [family, variant = 'normal'] = pick('font');
    const vars = {
      size: pick('size'), color: `rgb(${pick('color')})`, bg: `rgb(${pick('background')} / ${pick('opacity')})`,
      font: family, variant, edge: pick('edge'),
    };
    for (const [name, value] of Object.entries(vars)) this.player.el.style.setProperty(`--ap-cap-${name}`, value);
    if (save) this.player.prefs.set('captionStyle', choices);
    this.current = s;
  }
}
