// Single-key shortcuts (ACCESSIBILITY.md's table), active only while focus is
// inside the player. The "Keyboard shortcuts" dialog lists them and turns the
// character keys off (WCAG 2.1.4); its content is in settings.js.
import { wrapTab } from './dom.js';
import { Dialog } from './dialog.js';
import { RATES } from './controls.js';
import { timePhrase } from './timefmt.js';

// Where every key belongs to the focused element, not to us (sliders keep
// only the keys they use; buttons and links Space and Enter).
const OWN_KEYS = 'input:not([type=range]),textarea,select,[contenteditable]';

export class Keyboard {
  constructor(p) {
    this.p = p;
    this.enabled = p.prefs.get('shortcuts', true);
    this.dialog = new Dialog(p, p.t('Keyboard shortcuts'), 'shortcuts');
    p.el.addEventListener('keydown', (e) => this.key(e));
  }

  key(e) {
    const p = this.p;
    const { key, target } = e;
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || target.closest('dialog,[role=menu]')) return;
    if (key == 'Tab') return p.state.fullscreen && wrapTab(e, p.el);
    if (key == 'Escape') return p.state.fullscreen && p.request('fullscreen', false);
    if (target.matches(OWN_KEYS) || ((key == ' ' || key == 'Enter') && target.matches('button,[href]'))) return;
    if (target.type == 'range' && /^(Arrow|Page|Home|End)/.test(key)) return;
    const character = key.length == 1 && key != ' ';
    const action = (!character || this.enabled) && this.action(character ? key.toLowerCase() : key);
    if (action) {
      e.preventDefault();
      action();
    }
  }

  action(key) {
    const p = this.p;
    const t = p.t;
    const m = p.media;
    const ask = (type, value) => () => p.request(type, value);
    // Do, then say what it did.
    const say = (type, value, words) => () => {
      p.request(type, value);
      p.announce(words());
    };
    const skip = (by) => say('skip', by, () => timePhrase(m.currentTime, t));
    const volume = (by) => say('volume', m.volume + by, () => t('Volume {n}%', { n: Math.round(m.volume * 100) }));
    const rate = (by) => say('rate', RATES[RATES.indexOf(m.playbackRate) + by] || m.playbackRate,
      () => t('Speed {rate}', { rate: p.controls.rateText(m.playbackRate) }));
    if (/^\d$/.test(key)) return ask('seek', (p.duration * key) / 10);
    return {
      ' ': ask('toggle'),
      k: ask('toggle'),
      ArrowLeft: skip(-5),
      ArrowRight: skip(5),
      j: skip(-10),
      l: skip(10),
      ArrowUp: volume(0.05),
      ArrowDown: volume(-0.05),
      Home: ask('seek', 0),
      End: ask('seek', p.duration),
      m: say('mute', undefined, () => t(m.muted ? 'Muted' : 'Unmuted')),
      c: p.captions.tracks.length > 0 && (() => {
        const track = p.request('captions');
        p.announce(track ? t('Captions: {label}', { label: track.label || track.language }) : t('Captions off'));
      }),
      d: p.described && say('descriptions', undefined, () => t(p.state.descriptions ? 'Descriptions on' : 'Descriptions off')),
      t: p.transcript && ask('transcript'),
      f: p.controls.fullscreen && ask('fullscreen'),
      '<': rate(-1),
      '>': rate(1),
      '?': ask('shortcuts'),
    }[key];
  }
}
