/**
 * Accessible Player: the entry module. Upgrades each [data-player] wrapping a
 * native <video>/<audio> (with <source> and <track> children) and builds one
 * in each [data-player-src="<ITEM JSON URL>"]. Without JavaScript the native
 * player, tracks and transcript still work.
 *
 * Wrapper options: id (named by the transcript's data-transcript-for),
 * data-title (names the player's region, as does a built player's ITEM title),
 * data-transcript-url (linked from the error state), data-duration (until
 * the media knows), data-captions (caption language when the viewer chose
 * none); data-start on the media: seconds to start at (?t=). Links with
 * data-share-for="<wrapper id>" keep ?t= current (share.js).
 *
 * Requests up, state down: controls call player.request(type, value) (the
 * names of requests and events are in constants.js); the
 * player acts on the media and reflects state as data-* on the wrapper
 * (data-state=loading|ready|error, data-paused, data-buffering, data-muted,
 * data-captions=<lang>, data-descriptions, data-transcript, data-fullscreen,
 * data-pip), in player.state, and as events.
 *
 * Plugins default-export install(player): transcript.js and progress.js
 * are imported here (the server sends them inside this module);
 * descriptions.js loads when descriptions are first turned on, audio.js
 * for audio, slow.js when loading lasts (data-slow-after on the wrapper:
 * seconds without progress before it says so, 20 by default); a plugin
 * that fails to load or install is skipped. What a viewer reaching for the
 * player needs next (the menus' lists, what shortcut keys do, the dialogs'
 * content, and the styles of menus and dialogs in extras.css) is fetched
 * when the pointer or focus first comes to it (ondemand.js); a part that
 * cannot load leaves the rest working, and what needs extras.css waits for
 * it. Plugins' API:
 *   el, media, stage (overlays go here), item (ITEM JSON if built, else null),
 *   itemUrl, described (the descriptions live region, or null),
 *   transcript (the element the Transcript button toggles, or null;
 *   built players get an empty, detached one for transcript.js to fill),
 *   state (read only), duration, lang, t(key, vars) (English key; {name}
 *   from vars; `n` picks the plural), announce(text) (polite status region),
 *   prefs.get(name, fallback) / prefs.set(name, value) (saved per browser),
 *   tracks(...kinds), addControl(el) (into the bar, after the speed menu),
 *   controls.menu(kind, name, cls, content, load) (a menu button, as the
 *   bar's; `load` brings menu.js, called as withModule is),
 *   settings.body (append a <section> with an <h3>; the Settings dialog,
 *   built when it first opens, shows it),
 *   on(type, fn) -> off(): 'state', 'ready', 'error', 'captions' {track},
 *   'descriptions' {on}, 'transcript' {shown}, 'speech' (speaking descriptions
 *   turned on or off); also DOM events "ap:<type>",
 *   request(type, value): play, pause, toggle, seek (s), skip (±s), volume
 *   (0–1), mute, rate, captions (lang, '' off), descriptions, transcript,
 *   fullscreen (true/false; omitted toggles), pip, settings, shortcuts, retry.
 * With descriptions on, the descriptions track is in "hidden" mode (cues and
 * cuechange work); the descriptions plugin does the speaking.
 */
import { EVENT, EVENT_PREFIX, REQUEST } from './constants.js';
import { h } from './dom.js';
import { I18n } from './i18n.js';
import { Preferences } from './prefs.js';
import { Captions } from './captions.js';
import { Controls } from './controls.js';
import { Keyboard } from './keyboard.js';
import { Dialog } from './dialog.js';
import { withModule } from './ondemand.js';
import transcript from './transcript.js';
import progress from './progress.js';

const BUILT_IN = { transcript, progress };
const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
// Fetched, with extras.css, when the pointer or focus first comes to a player.
const ON_DEMAND = ['menu', 'keys', 'settings'];
const FLAGS = ['paused', 'buffering', 'muted', 'descriptions', 'transcript', 'fullscreen', 'pip'];
// Announce only what lasts: a quick load or a short stall says nothing.
const LOADING_QUIET_MS = 500;
const BUFFERING_QUIET_MS = 1000;

let count = 0;

export class Player {
  constructor(el, media, i18n, item = null) {
    Object.assign(this, { el, media, i18n, item, lang: i18n.lang, uid: `ap${++count}` });
    this.t = (key, vars) => i18n.t(key, vars);
    this.itemUrl = el.dataset.item || el.dataset.playerSrc || null;
    this.prefs = new Preferences();
    this.transcript = el.id && document.querySelector(`[data-transcript-for="${el.id}"]`) || item && h('section', { class: 'ap-transcript' });
    const t = this.t;
    const defaultTrack = media.querySelector('track[default]');
    // The player chooses captions itself; a `default` track would otherwise
    // be shown natively on top of ours.
    defaultTrack?.removeAttribute('default');
    media.removeAttribute('controls');

    if (!el.id) el.id = this.uid;
    el.tabIndex = -1;
    el.setAttribute('role', 'region');
    // Named with the title, so a page with several players has regions a screen reader tells apart.
    const audio = media.tagName == 'AUDIO';
    const title = el.dataset.title || item?.title;
    el.setAttribute('aria-label', title
      ? t(audio ? 'Audio player: {title}' : 'Video player: {title}', { title })
      : t(audio ? 'Audio player' : 'Video player'));
    el.dataset.kind = media.tagName.toLowerCase();
    if (i18n.lang !== (el.closest('[lang]')?.lang || '').split('-')[0]) el.lang = i18n.lang;

    this.alert = h('p', { role: 'alert' });
    this.errorActions = h('p', { class: 'ap-actions' });
    this.stage = h('div', { class: 'ap-stage', onclick: (e) => e.target === media && this.request(REQUEST.TOGGLE) });
    media.before(this.stage);
    this.stage.append(media,
      h('div', { class: 'ap-wait' }, h('span', { class: 'ap-spinner' }), h('span', { text: t('Please wait') })),
      h('div', { class: 'ap-error' }, this.alert, this.errorActions));
    this.status = h('p', { role: 'status', class: 'ap-sr' });
    // The descriptions plugin's live region, under the media before anything is said into it.
    this.described = this.tracks('descriptions').length ? h('p', { class: 'ap-described', 'aria-live': 'polite' }) : null;
    if (this.described) this.stage.after(this.described);

    this.state = { state: 'loading', paused: true, volume: 1, rate: 1, captions: '' };
    this.captions = new Captions(this);
    for (const track of this.tracks('chapters')) track.mode = 'hidden';
    this.settings = new Dialog(this, t('Settings'), 'settings');
    this.controls = new Controls(this);
    this.keyboard = new Keyboard(this);
    this.el.append(this.controls.el, this.status);
    this.listen();
    for (const type of ['pointerover', 'focusin']) {
      el.addEventListener(type, () => ON_DEMAND.forEach((name) => withModule(name, undefined, true)), { once: true });
    }

    // Applying saved or default choices is not the viewer choosing: nothing is saved until then.
    const prefs = this.prefs;
    this.starting = true;
    media.volume = clamp(+prefs.get('volume', media.volume) || 0, 0, 1);
    if (!media.defaultMuted) media.muted = !!prefs.get('muted', false);
    media.playbackRate = media.defaultPlaybackRate = clamp(+prefs.get('rate', 1) || 1, 0.5, 2);
    this.lastCaptions = defaultTrack?.srclang || el.dataset.captions || this.captions.tracks[0]?.language || '';
    this.request(REQUEST.CAPTIONS, prefs.get('captions', defaultTrack || el.dataset.captions ? this.lastCaptions : ''));
    this.request(REQUEST.DESCRIPTIONS, prefs.get('descriptions', false));
    this.request(REQUEST.TRANSCRIPT, prefs.get('transcript', true));
    this.starting = false;
    this.sync();
    this.load(true);
    // Share links follow the time once it moves (share.js).
    if (document.querySelector(`[data-share-for="${el.id}"]`)) {
      for (const type of ['play', 'seeked']) media.addEventListener(type, () => this.plugin('share'), { once: true });
    }
    for (const name in BUILT_IN) this.plugin(name);
    // An HLS source brings what streams it (stream.js).
    if (media.querySelector('source[type$=mpegurl]')) this.plugin('stream');
    if (audio) withModule('audio', (m) => m.default(this), true);
  }

  /** Install a plugin once: one imported above, or ./<name>.js loaded now. */
  plugin(name) {
    this.plugins ??= {};
    this.plugins[name] ??= (async () => (BUILT_IN[name] || (await import(`./${name}.js`)).default)(this))()
      .catch(() => {});
  }

  get duration() {
    const own = this.media.duration;
    return Number.isFinite(own) && own > 0 ? own : +this.el.dataset.duration || 0;
  }

  tracks(...kinds) {
    return [...this.media.textTracks].filter((track) => kinds.includes(track.kind));
  }

  on(type, fn) {
    const listener = (e) => fn(e.detail);
    this.el.addEventListener(EVENT_PREFIX + type, listener);
    return () => this.el.removeEventListener(EVENT_PREFIX + type, listener);
  }

  emit(type, detail = {}) {
    this.el.dispatchEvent(new CustomEvent(EVENT_PREFIX + type, { detail }));
  }

  set(patch) {
    const s = Object.assign(this.state, patch);
    this.el.dataset.state = s.state;
    for (const flag of FLAGS) this.el.toggleAttribute(`data-${flag}`, !!s[flag]);
    if (s.captions) this.el.dataset.captions = s.captions;
    else delete this.el.dataset.captions;
    this.emit(EVENT.STATE, s);
  }

  announce(text) {
    // Emptied first, so the same words said twice are heard twice.
    this.status.textContent = '';
    clearTimeout(this.saying);
    this.said = text;
    this.saying = setTimeout(() => { this.status.textContent = text; }, 100);
  }

  // A state that is over must not stay in the status, where it is read later.
  unsay(key) {
    if (this.said == this.t(key)) this.announce('');
  }

  remember(name, value) {
    if (!this.starting) this.prefs.set(name, value);
  }

  addControl(el) {
    this.controls.add(el);
  }

  /** The one place that acts on the media element. Returns the captions track for 'captions'. */
  request(type, value) {
    const m = this.media;
    const s = this.state;
    switch (type) {
      case REQUEST.PLAY: return m.play().catch(() => {});
      case REQUEST.PAUSE: return m.pause();
      case REQUEST.TOGGLE: return this.request(m.paused || m.ended ? REQUEST.PLAY : REQUEST.PAUSE);
      case REQUEST.SEEK: m.currentTime = clamp(value, 0, this.duration); break;
      case REQUEST.SKIP: return this.request(REQUEST.SEEK, m.currentTime + value);
      case REQUEST.VOLUME:
        m.volume = clamp(value, 0, 1);
        if (m.volume > 0) m.muted = false;
        break;
      case REQUEST.MUTE: m.muted = value ?? !m.muted; break;
      case REQUEST.RATE: m.playbackRate = m.defaultPlaybackRate = clamp(value, 0.5, 2); break;
      case REQUEST.CAPTIONS: {
        const track = this.captions.select(value ?? (s.captions ? '' : this.lastCaptions));
        if (track) this.lastCaptions = track.language;
        this.remember('captions', track?.language || '');
        this.set({ captions: track?.language || '' });
        this.emit(EVENT.CAPTIONS, { track });
        return track;
      }
      case REQUEST.DESCRIPTIONS: {
        const on = !!(value ?? !s.descriptions);
        const tracks = this.tracks('descriptions');
        for (const track of tracks) track.mode = on ? 'hidden' : 'disabled';
        // Only someone who turns them on needs the plugin that says them.
        if (on && tracks.length) this.plugin('descriptions');
        this.remember('descriptions', on);
        this.set({ descriptions: on });
        return this.emit(EVENT.DESCRIPTIONS, { on });
      }
      case REQUEST.TRANSCRIPT: {
        if (!this.transcript) return;
        const shown = !!(value ?? !s.transcript);
        this.transcript.hidden = !shown;
        this.remember('transcript', shown);
        this.set({ transcript: shown });
        return this.emit(EVENT.TRANSCRIPT, { shown });
      }
      case REQUEST.FULLSCREEN:
        if (value ?? !document.fullscreenElement) return this.el.requestFullscreen?.().catch(() => {});
        return document.fullscreenElement && document.exitFullscreen();
      case REQUEST.PIP:
        if (document.pictureInPictureElement) return document.exitPictureInPicture();
        return m.requestPictureInPicture?.().catch(() => {});
      case REQUEST.SETTINGS: return this.settings.open();
      case REQUEST.SHORTCUTS: return this.keyboard.dialog.open();
      case REQUEST.RETRY: return this.load();
    }
  }

  listen() {
    const m = this.media;
    const on = (types, fn, capture) => types.split(' ').forEach((type) => m.addEventListener(type, fn, capture));
    on('loadedmetadata', () => this.ready());
    on('play pause ended volumechange ratechange', () => this.sync());
    on('volumechange', () => {
      this.prefs.set('volume', m.volume);
      this.prefs.set('muted', m.muted);
    });
    on('ratechange', () => this.prefs.set('rate', m.playbackRate));
    on('waiting', () => this.stall());
    on('playing pause emptied', () => this.unstall());
    on('enterpictureinpicture leavepictureinpicture', () => this.set({ pip: document.pictureInPictureElement === m }));
    // <source> errors do not bubble; only the last source failing leaves nothing to play.
    on('error', (e) => {
      const sources = m.querySelectorAll('source');
      if (e.target === m || e.target === sources[sources.length - 1]) this.fail();
    }, true);
    document.addEventListener('fullscreenchange', () => this.set({ fullscreen: document.fullscreenElement === this.el }));
  }

  sync() {
    const m = this.media;
    this.set({ paused: m.paused, muted: m.muted, volume: m.volume, rate: m.playbackRate });
  }

  /** Start loading again ("Try again"); `initial` checks for a failure that came before the upgrade. */
  load(initial = false) {
    const m = this.media;
    clearTimeout(this.loadTimer);
    this.alert.textContent = '';
    this.errorActions.replaceChildren();
    this.stage.setAttribute('aria-busy', 'true');
    this.set({ state: 'loading', buffering: false });
    this.loadTimer = setTimeout(() => {
      if (this.state.state !== 'loading') return;
      this.announce(this.t('Loading, please wait'));
      // A load that lasts brings the code that tells when it stalls.
      this.plugin('slow');
    }, LOADING_QUIET_MS);
    if (!m.src && !m.querySelector('source')) return this.fail();
    if (!initial) return m.load();
    // A failure before the upgrade fired its event unheard, and one pending
    // as the element moved into the stage fires none: so look, now and
    // while loading. A just-built element reports NETWORK_NO_SOURCE until it
    // starts; after trying, only once every source failed.
    const failed = () => m.error || (m.networkState === m.NETWORK_NO_SOURCE && (m.currentSrc || !this.item));
    if (failed()) return this.fail();
    this.watch = setInterval(() => failed() && this.fail(), 250);
    if (m.readyState >= m.HAVE_METADATA) this.ready();
  }

  ready() {
    if (this.state.state === 'ready') return;
    clearTimeout(this.loadTimer);
    clearInterval(this.watch);
    this.unsay('Loading, please wait');
    this.stage.removeAttribute('aria-busy');
    const start = +this.media.dataset.start || 0;
    // Even when a #t= fragment already put it there: the seek also brings
    // share.js, so share links carry the start time from the first moment.
    if (start && !this.started) this.request(REQUEST.SEEK, start);
    this.started = true;
    this.set({ state: 'ready' });
    this.emit(EVENT.READY);
  }

  /** What the viewer can do when the media does not come: try again, download it, read the transcript. */
  recovery() {
    const t = this.t;
    const m = this.media;
    const download = m.currentSrc || m.querySelector('source')?.src || m.src;
    const transcript = this.el.dataset.transcriptUrl || this.item?.transcript?.html;
    return [h('button', { type: 'button', text: t('Try again'), onclick: () => this.request(REQUEST.RETRY) }),
      download ? h('a', { href: download, download: '', text: t('Download the media') }) : '',
      transcript ? h('a', { href: transcript, text: t('Read the transcript') }) : ''];
  }

  fail() {
    clearTimeout(this.loadTimer);
    clearInterval(this.watch);
    this.unstall();
    this.unsay('Loading, please wait');
    this.stage.removeAttribute('aria-busy');
    const hadFocus = this.controls.el.contains(document.activeElement);
    this.set({ state: 'error' });
    const actions = this.recovery();
    this.errorActions.replaceChildren(...actions);
    this.alert.textContent = this.t('No media source currently available');
    if (hadFocus) actions[0].focus();
    this.emit(EVENT.ERROR);
  }

  stall() {
    if (this.state.buffering || this.media.paused || this.state.state !== 'ready') return;
    this.set({ buffering: true });
    this.stallTimer = setTimeout(() => this.announce(this.t('Buffering')), BUFFERING_QUIET_MS);
  }

  unstall() {
    clearTimeout(this.stallTimer);
    this.unsay('Buffering');
    if (this.state.buffering) this.set({ buffering: false });
  }
}

function uiLanguage(el) {
  return new URLSearchParams(location.search).get('hl') || el.closest('[lang]')?.lang || 'en';
}

/** Upgrade a [data-player] element around a native media element; resolves to its Player. */
export function upgrade(el, item = null) {
  el.apPlayer ??= I18n.load(uiLanguage(el)).then((i18n) => new Player(el, el.querySelector('video,audio'), i18n, item));
  return el.apPlayer;
}

/** Build a player inside `el` from the ITEM JSON at its data-player-src. */
export async function build(el) {
  let item = null;
  try {
    const response = await fetch(el.dataset.playerSrc);
    if (response.ok) item = await response.json();
  } catch {
    // Unreachable item: the player shows its error state.
  }
  const { kind, poster, sources = [], tracks = [], duration } = item || {};
  const media = h(kind === 'audio' ? 'audio' : 'video', { preload: 'metadata', crossorigin: 'anonymous', playsinline: true, poster },
    sources.map((s) => h('source', { src: s.url, type: s.type })),
    tracks.map((tr) => h('track', { src: tr.url, kind: tr.kind, srclang: tr.srclang, label: tr.label })));
  el.dataset.duration ||= duration || '';
  // Captions on, as on the watch page: the UI's language, else the first track (Captions.select).
  el.dataset.captions ||= uiLanguage(el);
  el.classList.add('ap-player');
  el.replaceChildren(media);
  return upgrade(el, item);
}

for (const el of document.querySelectorAll('[data-player],[data-player-src]')) {
  if (el.querySelector('video,audio')) upgrade(el);
  else if (el.dataset.playerSrc) build(el);
}
