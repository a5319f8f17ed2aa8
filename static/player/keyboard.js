// Single-key shortcuts (ACCESSIBILITY.md's table), active only while focus is
// inside the player, and the "Keyboard shortcuts" dialog that lists them and
// turns the character keys off (WCAG 2.1.4).
import { h, wrapTab } from './dom.js';
import { Dialog } from './dialog.js';
import { RATES } from './controls.js';
import { timePhrase } from './timefmt.js';

const TABLE = [
  [['Space', 'K'], 'Play or pause'],
  [['←', '→'], 'Back or forward 5 seconds'],
  [['J', 'L'], 'Back or forward 10 seconds'],
  [['↑', '↓'], 'Volume up or down'],
  [['Home', 'End'], 'Go to the start or the end'],
  [['0', '9'], 'Jump to 0% to 90%'],
  [['M'], 'Mute or unmute'],
  [['C'], 'Captions on or off'],
  [['D'], 'Descriptions on or off'],
  [['T'], 'Show or hide the transcript'],
  [['F'], 'Full screen on or off'],
  [['<', '>'], 'Slower or faster'],
  [['?'], 'Show this list'],
];

// Where a key belongs to the focused element, not to us.
const TEXT_FIELD = 'input:not([type=range],[type=checkbox],[type=radio],[type=button]),textarea,select,[contenteditable]';
const ACTIVATES = 'button,a[href],summary,input[type=checkbox],input[type=radio]';

export class Keyboard {
  constructor(player) {
    this.player = player;
    const t = player.t;
    this.enabled = player.prefs.get('shortcuts', true);
    const toggle = h('input', { type: 'checkbox', id: `${player.uid}-keys`, checked: this.enabled, onchange: () => {
      this.enabled = toggle.checked;
      player.prefs.set('shortcuts', this.enabled);
    } });
    this.dialog = new Dialog(player, t('Keyboard shortcuts'));
    this.dialog.el.classList.add('ap-keys');
    this.dialog.body.append(
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('Key') }), h('th', { scope: 'col', text: t('Action') }))),
        h('tbody', {}, TABLE.map(([keys, action]) => h('tr', {},
          h('td', {}, keys.map((k, i) => [i ? (k === '9' ? '–' : ' ') : '', h('kbd', { text: t(k) })])),
          h('td', { text: t(action) }))))),
      h('p', { class: 'ap-check' }, toggle,
        h('label', { for: toggle.id, text: t('Single-key shortcuts (letters, digits and symbols)') })));
    player.el.addEventListener('keydown', (e) => this.key(e));
  }

  key(e) {
    const p = this.player;
    const { key, target } = e;
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || target.closest('dialog,[role=menu]')) return;
    if (key === 'Tab') {
      if (p.state.fullscreen) wrapTab(e, p.el);
      return;
    }
    if (key === 'Escape') {
      if (p.state.fullscreen) p.request('fullscreen', false);
      return;
    }
    if (target.matches(TEXT_FIELD) || ((key === ' ' || key === 'Enter') && target.matches(ACTIVATES))) return;
    if (target.type === 'range' && /^(Arrow|Page|Home|End)/.test(key)) return;
    const character = key.length === 1 && key !== ' ';
    if (character && !this.enabled) return;
    const action = this.action(character ? key.toLowerCase() : key);
    if (!action) return;
    e.preventDefault();
    action();
  }

  action(key) {
    const p = this.player;
    const t = p.t;
    const m = p.media;
    const skip = (by) => () => {
      p.request('skip', by);
      p.announce(timePhrase(m.currentTime, t));
    };
    const volume = (by) => () => {
      p.request('volume', m.volume + by);
      p.announce(t('Volume {n}%', { n: Math.round(m.volume * 100) }));
    };
    const rate = (by) => () => {
      const next = RATES[RATES.indexOf(m.playbackRate) + by];
      if (next) p.request('rate', next);
      p.announce(t('Speed {rate}', { rate: p.controls.rateText(m.playbackRate) }));
    };
    if (/^[0-9]$/.test(key)) return () => p.request('seek', (p.duration * key) / 10);
    return {
      ' ': () => p.request('toggle'),
      k: () => p.request('toggle'),
      ArrowLeft: skip(-5), ArrowRight: skip(5), j: skip(-10), l: skip(10),
      ArrowUp: volume(0.05), ArrowDown: volume(-0.05),
      Home: () => p.request('seek', 0),
      End: () => p.request('seek', p.duration),
      m: () => {
        p.request('mute');
        p.announce(t(m.muted ? 'Muted' : 'Unmuted'));
      },
      c: p.captions.tracks.length && (() => {
        const track = p.request('captions');
        p.announce(track ? t('Captions: {label}', { label: track.label || track.language }) : t('Captions off'));
      }),
      d: p.tracks('descriptions').length && (() => {
        p.request('descriptions');
        p.announce(t(p.state.descriptions ? 'Descriptions on' : 'Descriptions off'));
      }),
      t: p.transcript && (() => p.request('transcript')),
      f: p.controls.fullscreen && (() => p.request('fullscreen')),
      '<': rate(-1),
      '>': rate(1),
      '?': () => p.request('shortcuts'),
    }[key];
  }
}
