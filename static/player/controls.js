// The control bar. Controls only ask (player.request); what they show comes
// back from the player's 'state' events. The menus' lists come from menu.js,
// loaded on demand.
import { EVENT, REQUEST } from './constants.js';
import { h, icon } from './dom.js';
import { withModule } from './ondemand.js';
import { clock, timePhrase } from './timefmt.js';

// Icons: lines on a 24×24 grid (player.css strokes them).
const PLAY = 'M8 5v14l11-7z';
const PAUSE = 'M6 5h4v14H6zm8 0h4v14h-4z';
const SOUND = 'M3 9v6h4l5 5V4L7 9zm12 0a4 4 0 0 1 0 6';
const MUTED = 'M3 9v6h4l5 5V4L7 9zm13 0 5 6m0-6-5 6';
const CHAPTERS = 'M9 6h11M9 12h11M9 18h11M4 6h1m-1 6h1m-1 6h1';
const TRANSCRIPT = 'M5 3h14v18H5zm4 5h6m-6 4h6m-6 4h3';
const SETTINGS = 'M4 7h16M4 17h16M9 4v6m6 4v6';
const PIP = 'M3 5h18v14H3zm9 7h6v4h-6z';
const FULL = 'M3 9V3h6m6 0h6v6m0 6v6h-6m-6 0H3v-6';
const EXIT = 'M9 3v6H3m18 0h-6V3m0 18v-6h6M3 15h6v6';

export class Controls {
  constructor(p) {
    this.p = p;
    const t = p.t;
    const video = p.media.tagName == 'VIDEO';
    const chapters = p.tracks('chapters')[0];
    const button = (cls, name, content, type, extra) => h('button', {
      type: 'button', class: `ap-btn ap-${cls}`, 'aria-label': name, onclick: () => p.request(type), ...extra,
    }, content);
    const glyph = (text) => h('span', { class: 'ap-glyph', 'aria-hidden': 'true', text });
    // Each [button, state flag, off, on]: a button named by the state gets
    // the name and icon of `off` or `on`; without them, aria-pressed follows the flag.
    this.toggles = [];
    const toggle = (b, flag, off, on) => {
      this.toggles.push([b, flag, off, on]);
      return b;
    };
    const named = (cls, type, flag, off, on) => toggle(button(cls, '', icon(''), type), flag, off, on);
    const pressed = (cls, type, name, content) => toggle(button(cls, name, content, type, { 'aria-pressed': 'false' }), type);

    this.seek = h('input', {
      type: 'range', class: 'ap-seek', min: 0, max: 0, step: 'any', value: 0, disabled: true, 'aria-label': t('Seek'),
      oninput: () => {
        p.request(REQUEST.SEEK, +this.seek.value);
        this.showTime(true);
      },
      onkeydown: (e) => this.seekKey(e),
      onblur: () => this.showTime(true),
    });
    this.volume = h('input', {
      type: 'range', class: 'ap-volume', min: 0, max: 100, step: 5, 'aria-label': t('Volume'),
      oninput: () => p.request(REQUEST.VOLUME, this.volume.value / 100),
    });
    this.clock = h('span', { 'aria-hidden': 'true' });
    this.spoken = h('span', { class: 'ap-sr' });
    this.chapter = h('span', { class: 'ap-chapter', lang: chapters?.language });
    // A menu button (kind: its entry in menu.js), which opens or closes its
    // menu, or with an arrow key opens it at the first or last item. What it
    // is asked while the menu's code loads (a click, or keys the open menu
    // would take) waits, to be done in order as if the menu had opened at
    // once; focus leaving the button drops it, so a menu never opens behind
    // the viewer. The menu's code comes as withModule('menu', use, true)
    // brings it (with extras.css), or as `load`, called the same way, does.
    // Plugins make theirs with it too (player.controls.menu: stream.js's
    // quality menu).
    const menu = this.menu = (kind, name, cls, content, load = withModule) => {
      let asked = [];
      const ask = (what) => {
        asked.push(what);
        load('menu', (m) => m.menu(p, kind, box).run(asked.splice(0)), true)?.then(() => { asked = []; });
      };
      const box = h('div', { class: 'ap-menu' }, h('button', {
        type: 'button', class: `ap-btn ${cls}`, 'aria-label': name, 'aria-haspopup': 'true', 'aria-expanded': 'false',
        onclick: () => ask('click'),
        onkeydown: (e) => {
          if ((asked.length ? /^(Arrow(Up|Down)|Home|End|Escape|Enter| )$/ : /^Arrow(Up|Down)$/).test(e.key)) {
            e.preventDefault();
            ask(e.key);
          }
        },
        onblur: () => { asked = []; },
      }, content));
      return box;
    };
    this.rate = glyph();
    // Named by render(), with the speed it shows.
    this.rateMenu = menu('rate', '', '', this.rate);
    this.fullscreen = video && document.fullscreenEnabled
      && named('fs', REQUEST.FULLSCREEN, 'fullscreen', [t('Full screen'), FULL], [t('Exit full screen'), EXIT]);
    if (chapters) {
      const show = () => { this.chapter.textContent = this.chapterNow()?.text || ''; };
      chapters.addEventListener('cuechange', show);
      p.media.querySelector('track[kind=chapters]').addEventListener('load', show);
    }
    this.el = h('div', { class: 'ap-controls', role: 'group', 'aria-label': t('Player controls') },
      this.seek,
      named('play', REQUEST.TOGGLE, 'paused', [t('Pause'), PAUSE], [t('Play'), PLAY]),
      named('mute', REQUEST.MUTE, 'muted', [t('Mute'), SOUND], [t('Unmute'), MUTED]),
      this.volume,
      h('span', { class: 'ap-time' }, this.clock, this.spoken),
      this.chapter,
      // A button that shows letters has a name that starts with them (WCAG 2.5.3: "click CC" works by voice).
      p.captions.tracks.length > 0 && menu('captions', `CC: ${t('Captions')}`, 'ap-cc', glyph('CC')),
      p.described && pressed('ad', REQUEST.DESCRIPTIONS, `AD: ${t('Descriptions')}`, glyph('AD')),
      chapters && menu('chapters', t('Chapters'), '', icon(CHAPTERS)),
      this.rateMenu,
      p.transcript && pressed('show-transcript', REQUEST.TRANSCRIPT, t('Transcript'), icon(TRANSCRIPT)),
      button('settings', t('Settings'), icon(SETTINGS), REQUEST.SETTINGS, { 'aria-haspopup': 'dialog' }),
      button('keys', `${t('Keyboard shortcuts')} (?)`, glyph('?'), REQUEST.SHORTCUTS, { 'aria-haspopup': 'dialog' }),
      video && document.pictureInPictureEnabled
        && named('pip', REQUEST.PIP, 'pip', [t('Picture in picture'), PIP], [t('Exit picture in picture'), PIP]),
      this.fullscreen);

    for (const type of ['timeupdate', 'durationchange', 'loadedmetadata', 'seeked']) {
      p.media.addEventListener(type, () => this.showTime(type != 'timeupdate'));
    }
    p.on(EVENT.STATE, (s) => this.render(s));
    p.on(EVENT.READY, () => this.showTime(true));
  }

  rateText(rate) {
    return `${rate.toLocaleString(this.p.lang)}×`;
  }

  /** Add a control (a plugin's) to the bar, after the speed menu. */
  add(el) {
    this.rateMenu.after(el);
  }

  /**
   * The chapter now, found from the cues, not activeCues: at a boundary
   * Chrome counts both chapters active, and a track that loads while paused has none yet.
   */
  chapterNow() {
    const now = this.p.media.currentTime;
    return [...this.p.tracks('chapters')[0].cues || []].filter((cue) => cue.startTime <= now && now < cue.endTime).pop();
  }

  render(s) {
    for (const [b, flag, off, on] of this.toggles) {
      const [name, d] = (s[flag] ? on : off) || [];
      if (!name) b.ariaPressed = !!s[flag];
      else if (b.ariaLabel != name) {
        b.ariaLabel = name;
        b.querySelector('path').setAttribute('d', d);
      }
    }
    const volume = Math.round(s.volume * 100);
    this.volume.value = volume;
    this.volume.ariaValueText = this.p.t('Volume {n}%', { n: volume });
    const rate = this.rateText(s.rate);
    this.rate.textContent = rate;
    this.rate.parentNode.ariaLabel = this.p.t('Playback speed: {rate}', { rate });
  }

  /**
   * Update the time display, and the seek slider unless it has focus during
   * play: a focused slider that changes every second makes screen readers chatter.
   */
  showTime(force) {
    const p = this.p;
    const now = p.media.currentTime;
    const total = p.duration;
    if (!force && Math.floor(now) == this.shown) return;
    this.shown = Math.floor(now);
    const spoken = p.t('{current} of {total}', { current: timePhrase(now, p.t), total: timePhrase(total, p.t) });
    this.clock.textContent = `${clock(now)} / ${clock(total)}`;
    this.spoken.textContent = spoken;
    this.seek.disabled = !total;
    this.seek.max = total;
    if (force || p.media.paused || document.activeElement != this.seek) {
      this.seek.value = now;
      this.seek.ariaValueText = spoken;
    }
  }

  seekKey(e) {
    const by = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -10, PageUp: 10 }[e.key];
    if (!by || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    this.p.request(REQUEST.SKIP, by);
    this.showTime(true);
  }
}
