// The control bar. Controls only ask (player.request); what they show comes
// back from player state ('state' events and the wrapper's data-* attributes).
import { h, icon } from './dom.js';
import { Menu } from './menu.js';
import { clock, timePhrase } from './timefmt.js';

export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];

const ICONS = {
  play: 'M8 5v14l11-7z',
  pause: 'M6 5h4v14H6zM14 5h4v14h-4z',
  sound: 'M3 9v6h4l5 5V4L7 9zM15 8a5 5 0 0 1 0 8v-2a3 3 0 0 0 0-4z',
  muted: 'M3 9v6h4l5 5V4L7 9zM15.5 9.5l1-1 2.5 2.5 2.5-2.5 1 1-2.5 2.5 2.5 2.5-1 1-2.5-2.5-2.5 2.5-1-1 2.5-2.5z',
  chapters: 'M4 6h2v2H4zM8 6h12v2H8zM4 11h2v2H4zM8 11h12v2H8zM4 16h2v2H4zM8 16h12v2H8z',
  transcript: 'M5 2h14v20H5zM7 4v16h10V4zM9 7h6v2H9zM9 11h6v2H9zM9 15h4v2H9z',
  settings: 'M3 6h8v2H3zM11 4h3v6h-3zM14 6h7v2h-7zM3 16h3v2H3zM6 14h3v6H6zM9 16h12v2H9z',
  pip: 'M2 4h20v16H2zM4 6v12h16V6zM12 11h6v5h-6z',
  full: 'M3 3h7v2H5v5H3zM14 3h7v7h-2V5h-5zM3 14h2v5h5v2H3zM19 14h2v7h-7v-2h5z',
  exit: 'M8 3h2v7H3V8h5zM14 3h2v5h5v2h-7zM3 14h7v7H8v-5H3zM14 14h7v2h-5v5h-2z',
};

export class Controls {
  constructor(player) {
    this.player = player;
    const p = player;
    const t = (key, vars) => p.t(key, vars);
    const ask = (type, value) => () => p.request(type, value);
    const button = (cls, name, content, onclick, extra = {}) =>
      h('button', { type: 'button', class: `ap-btn ap-${cls}`, 'aria-label': name, onclick, ...extra }, content);
    const glyph = (text) => h('span', { class: 'ap-glyph', 'aria-hidden': 'true', text });
    const has = (...kinds) => p.tracks(...kinds).length > 0;

    this.seek = h('input', {
      type: 'range', class: 'ap-seek', min: 0, max: 0, step: 'any', value: 0, disabled: true, 'aria-label': t('Seek'),
      oninput: () => { p.request('seek', +this.seek.value); this.showTime(true); },
      onkeydown: (e) => this.seekKey(e),
      onblur: () => this.showTime(true),
    });
    this.play = button('play', t('Play'), [icon(ICONS.play, 'ap-i-play'), icon(ICONS.pause, 'ap-i-pause')], ask('toggle'));
    this.mute = button('mute', t('Mute'), [icon(ICONS.sound, 'ap-i-sound'), icon(ICONS.muted, 'ap-i-muted')], ask('mute'));
    this.volume = h('input', {
      type: 'range', class: 'ap-volume', min: 0, max: 100, step: 5, 'aria-label': t('Volume'),
      oninput: () => p.request('volume', this.volume.value / 100),
    });
    this.clock = h('span', { 'aria-hidden': 'true' });
    this.spoken = h('span', { class: 'ap-sr' });
    this.chapter = h('span', { class: 'ap-chapter' });

    this.captionsMenu = has('captions', 'subtitles') ? new Menu(p, {
      name: t('Captions'), cls: 'ap-cc', content: glyph('CC'),
      items: () => [{ label: t('Off'), value: '', checked: !p.state.captions },
        ...p.captions.tracks.map((track) => ({ label: track.label || track.language, value: track.language, checked: track === p.captions.active }))],
      select: (lang) => p.request('captions', lang),
    }) : null;
    this.descriptions = has('descriptions') ? button('ad', t('Descriptions'), glyph('AD'), ask('descriptions'), { 'aria-pressed': 'false' }) : null;
    const chapters = p.tracks('chapters')[0];
    // Found from the cues, not activeCues: at a boundary Chrome counts both
    // chapters active, and a track that loads while paused has none yet.
    const chapter = () => {
      const now = p.media.currentTime;
      return [...(chapters.cues || [])].filter((cue) => cue.startTime <= now && now < cue.endTime).pop();
    };
    this.chaptersMenu = chapters ? new Menu(p, {
      name: t('Chapters'), content: icon(ICONS.chapters),
      items: () => [...(chapters.cues || [])].map((cue) => ({
        label: [h('span', { text: cue.text }), h('span', { class: 'ap-dim', text: clock(cue.startTime) })],
        value: cue.startTime, checked: chapter() === cue,
      })),
      select: (time) => p.request('seek', time),
    }) : null;
    const showChapter = () => { this.chapter.textContent = chapter()?.text || ''; };
    chapters?.addEventListener('cuechange', showChapter);
    p.media.querySelector('track[kind=chapters]')?.addEventListener('load', showChapter);
    this.rate = glyph('1×');
    this.rateMenu = new Menu(p, {
      name: t('Playback speed'), cls: 'ap-rate', content: this.rate,
      items: () => RATES.map((r) => ({ label: r === 1 ? t('Normal') : this.rateText(r), value: r, checked: r === p.media.playbackRate })),
      select: (rate) => p.request('rate', rate),
    });
    this.transcript = p.transcript ? button('show-transcript', t('Transcript'), icon(ICONS.transcript), ask('transcript'), { 'aria-pressed': 'false' }) : null;
    this.settings = button('settings', t('Settings'), icon(ICONS.settings), ask('settings'), { 'aria-haspopup': 'dialog' });
    const video = p.media.tagName === 'VIDEO';
    this.pip = video && document.pictureInPictureEnabled ? button('pip', t('Picture in picture'), icon(ICONS.pip), ask('pip')) : null;
    this.fullscreen = video && document.fullscreenEnabled
      ? button('fs', t('Full screen'), [icon(ICONS.full, 'ap-i-full'), icon(ICONS.exit, 'ap-i-exit')], ask('fullscreen')) : null;

    this.el = h('div', { class: 'ap-controls', role: 'group', 'aria-label': t('Player controls') },
      this.seek, this.play, this.mute, this.volume,
      h('span', { class: 'ap-time' }, this.clock, this.spoken), this.chapter,
      this.captionsMenu?.el, this.descriptions, this.chaptersMenu?.el, this.rateMenu.el,
      this.transcript, this.settings,
      button('keys', t('Keyboard shortcuts'), glyph('?'), ask('shortcuts'), { 'aria-haspopup': 'dialog' }),
      this.pip, this.fullscreen);

    for (const type of ['timeupdate', 'durationchange', 'loadedmetadata', 'seeked']) {
      p.media.addEventListener(type, () => this.showTime(type !== 'timeupdate'));
    }
    p.on('state', (s) => this.render(s));
    p.on('ready', () => this.showTime(true));
  }

  rateText(rate) {
    return `${this.player.i18n.number.format(rate)}×`;
  }

  /** Add a control (a plugin's) to the bar, before the settings buttons. */
  add(el) {
    this.el.insertBefore(el, this.rateMenu.el.nextSibling);
  }

  render(s) {
    const t = (key) => this.player.t(key);
    const label = (el, name) => el?.setAttribute('aria-label', name);
    label(this.play, t(s.paused ? 'Play' : 'Pause'));
    label(this.mute, t(s.muted ? 'Unmute' : 'Mute'));
    label(this.fullscreen, t(s.fullscreen ? 'Exit full screen' : 'Full screen'));
    label(this.pip, t(s.pip ? 'Exit picture in picture' : 'Picture in picture'));
    this.descriptions?.setAttribute('aria-pressed', String(!!s.descriptions));
    this.transcript?.setAttribute('aria-pressed', String(!!s.transcript));
    this.volume.value = Math.round(s.volume * 100);
    this.volume.setAttribute('aria-valuetext', this.player.t('Volume {n}%', { n: Math.round(s.volume * 100) }));
    this.rate.textContent = this.rateText(s.rate);
  }

  /**
   * Update the time display, and the seek slider unless it has focus during
   * play: a focused slider that changes every second makes screen readers chatter.
   */
  showTime(force) {
    const p = this.player;
    const now = p.media.currentTime;
    const total = p.duration;
    if (!force && Math.floor(now) === this.shown) return;
    this.shown = Math.floor(now);
    const spoken = p.t('{current} of {total}', { current: timePhrase(now, p.t), total: timePhrase(total, p.t) });
    this.clock.textContent = `${clock(now)} / ${clock(total)}`;
    this.spoken.textContent = spoken;
    this.seek.disabled = !total;
    this.seek.max = total;
    if (force || p.media.paused || document.activeElement !== this.seek) {
      this.seek.value = now;
      this.seek.setAttribute('aria-valuetext', spoken);
    }
  }

  seekKey(e) {
    const steps = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -10, PageUp: 10 };
    if (!(e.key in steps) || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    this.player.request('skip', steps[e.key]);
    this.showTime(true);
  }
}
