/**
 * The embed page's module (templates/embed.html, GET /embed/<id>): the `end`
 * and `loop` parameters, controls laid over the picture in a frame too short
 * for them below it, and, with `api=1`, the postMessage API that the host
 * page drives (static/player/embed-api.js wraps it).
 *
 * Every message, both ways, is a plain object with channel: 'accessible-player'.
 *
 * Commands, accepted only from window.parent and, when PLAYER_EMBED_ORIGINS
 * is set, only from those origins (data-embed-origins on the player):
 *   {channel, command: 'play'}            {channel, command: 'pause'}
 *   {channel, command: 'seek', value: seconds}
 *   {channel, command: 'setCaptions', value: 'uk' | null}   (null: captions off)
 *   {channel, command: 'setVolume', value: 0…1}
 *   {channel, command: 'setRate', value: 0.5…2}
 *   {channel, command: 'hello'}           "I am listening": 'ready' again if the
 *                                         player is ready, for a host that came late
 * Anything else is ignored.
 *
 * Events, posted only to window.parent and always with an explicit target
 * origin, never "*":
 *   {channel, event, currentTime, duration, paused, muted, volume, rate, captions}
 *   event: 'ready', 'play', 'pause', 'timeupdate' (at most 4 a second, the
 *   latest position always sent), 'ended'
 *   (also when `end` is reached), 'error' (adds message), 'captionschange'
 *   (adds label); captions is the shown language or null.
 * The target origin is the origin of the last accepted command, else
 * location.ancestorOrigins[0], else document.referrer's origin, else the one
 * configured origin; with origins configured it must be one of them. While no
 * origin is known nothing is posted, and a host's 'hello' makes one known.
 */
import { EVENT, REQUEST } from './constants.js';
import { upgrade } from './player.js';

const CHANNEL = 'accessible-player';
const TIMEUPDATE_MS = 250;
// How long a video plays untouched before controls over its picture step aside.
const IDLE_MS = 3000;

function originOf(url) {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? '' : origin;
  } catch {
    return '';
  }
}

/** Pause at data-end once (or go back to the start with data-loop); calls `ended` when it does. */
function clip(player, ended) {
  const { el, media } = player;
  const end = +el.dataset.end || 0;
  if (!end) return;
  const start = +media.dataset.start || 0;
  let done = false;
  media.addEventListener('timeupdate', () => {
    if (done || media.paused || media.currentTime < end) return;
    if ('loop' in el.dataset) {
      player.request(REQUEST.SEEK, start);
      return;
    }
    // Once only: a viewer who presses Play again gets the rest of the media.
    done = true;
    player.request(REQUEST.PAUSE);
    ended();
  });
}

class EmbedApi {
  constructor(player) {
    this.player = player;
    this.allowed = (player.el.dataset.embedOrigins || '').split(/\s+/).filter(Boolean);
    this.target = this.allow(location.ancestorOrigins?.[0])
      || this.allow(originOf(document.referrer))
      || (this.allowed.length === 1 ? this.allowed[0] : '');
    this.lastTime = -Infinity;
    this.trailing = null;
    window.addEventListener('message', (e) => this.receive(e));
    const media = player.media;
    media.addEventListener('play', () => this.post('play'));
    media.addEventListener('pause', () => this.post('pause'));
    media.addEventListener('ended', () => this.post('ended'));
    media.addEventListener('timeupdate', () => this.timeupdate());
    player.on(EVENT.READY, () => this.post('ready'));
    player.on(EVENT.ERROR, () => this.error());
    player.on(EVENT.CAPTIONS, ({ track }) => this.post('captionschange', { label: track?.label || null }));
    // The player may have settled before this module got it.
    if (player.state.state === 'ready') this.post('ready');
    if (player.state.state === 'error') this.error();
  }

  /** At most one 'timeupdate' per TIMEUPDATE_MS; the last one of a burst is sent late, never dropped. */
  timeupdate() {
    const wait = this.lastTime + TIMEUPDATE_MS - performance.now();
    if (wait > 0) {
      this.trailing ??= setTimeout(() => {
        this.trailing = null;
        this.timeupdate();
      }, wait);
      return;
    }
    this.lastTime = performance.now();
    this.post('timeupdate');
  }

  error() {
    this.post('error', { message: this.player.el.querySelector('[role=alert]')?.textContent || '' });
  }

  /** `origin` when it may be talked to, else ''. */
  allow(origin) {
    return origin && (!this.allowed.length || this.allowed.includes(origin)) ? origin : '';
  }

  snapshot() {
    const { media, duration, state } = this.player;
    return {
      currentTime: media.currentTime, duration, paused: media.paused, muted: media.muted,
      volume: media.volume, rate: media.playbackRate, captions: state.captions || null,
    };
  }

  post(event, extra = {}) {
    if (!this.target || window.parent === window) return;
    window.parent.postMessage({ channel: CHANNEL, event, ...this.snapshot(), ...extra }, this.target);
  }

  receive(e) {
    const message = e.data;
    if (e.source !== window.parent || window.parent === window) return;
    if (!message || typeof message !== 'object' || message.channel !== CHANNEL) return;
    if (!this.allow(e.origin)) return;
    this.target = e.origin;
    const p = this.player;
    const { command, value } = message;
    const number = typeof value === 'number' && Number.isFinite(value);
    switch (command) {
      case 'play': p.request(REQUEST.PLAY); break;
      case 'pause': p.request(REQUEST.PAUSE); break;
      case 'seek': if (number) p.request(REQUEST.SEEK, value); break;
      case 'setCaptions':
        if (value === null || typeof value === 'string') p.request(REQUEST.CAPTIONS, value || '');
        break;
      case 'setVolume': if (number) p.request(REQUEST.VOLUME, value); break;
      case 'setRate': if (number) p.request(REQUEST.RATE, value); break;
      case 'hello': if (p.state.state === 'ready') this.post('ready'); break;
      default: break;
    }
  }
}

/**
 * A video frame too short for the picture and the controls and links under
 * it, by a quarter of the picture or more, gets body.ap-overlay: embed.css
 * lays them over the picture. There, while the video plays untouched for
 * IDLE_MS, body.ap-idle moves them aside; any pointer move, touch, key or
 * focus, a pause or the end ends it. Captions are placed again each time:
 * clear of the controls only while they show. Not with a transcript, which
 * takes the room below.
 */
function overlay(player) {
  const { el, media } = player;
  const controls = el.querySelector('.ap-controls');
  if (media.localName != 'video' || !controls || document.querySelector('.ap-embed-transcript')) return;
  const links = document.querySelector('.ap-embed-links');
  const body = document.body;
  const fit = () => {
    const shape = media.videoHeight / media.videoWidth || media.height / media.width || 9 / 16;
    const wanted = Math.min(innerWidth * shape, innerHeight);
    const room = innerHeight - controls.offsetHeight - (links?.offsetHeight || 0);
    body.classList.toggle('ap-overlay', room < 0.75 * wanted);
  };
  const sizes = new ResizeObserver(fit);
  for (const box of [body, controls]) sizes.observe(box);
  media.addEventListener('loadedmetadata', fit);

  let timer;
  const set = (on) => {
    if (body.classList.contains('ap-idle') == on) return;
    body.classList.toggle('ap-idle', on);
    player.captions?.render?.();
  };
  const wake = () => {
    clearTimeout(timer);
    set(false);
    if (!media.paused) timer = setTimeout(set, IDLE_MS, true);
  };
  for (const type of ['pointermove', 'pointerdown', 'keydown', 'focusin']) {
    document.addEventListener(type, wake, true);
  }
  for (const type of ['play', 'pause', 'ended']) media.addEventListener(type, wake);
}

const el = document.querySelector('[data-embed]');
if (el) {
  upgrade(el).then((player) => {
    const api = 'embedApi' in el.dataset ? new EmbedApi(player) : null;
    clip(player, () => api?.post('ended'));
    overlay(player);
  });
}
