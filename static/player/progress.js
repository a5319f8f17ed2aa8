/**
 * Progress plugin: reports what was played, offers to resume, forgets on request.
 *
 * Installed by player.js (default export `install(player)`). It
 *
 * - keeps an anonymous viewer id in the player's preferences (localStorage,
 *   which works in third-party iframes where cookies do not), or uses the
 *   host's signed token from `data-viewer-token` on the player wrapper;
 * - reports what is played (progress-report.js, loaded when playback first
 *   starts; its first report carries everything played before it arrived);
 * - asks `GET <item URL>/progress` on load and offers "Resume from 1:23" /
 *   "Start over" (or "Watch again" once finished): announced once, reachable
 *   by Tab right after the media, closed by either button, its close button or
 *   Escape, never trapping focus. A start time (`?t=`, `data-start` on the
 *   media) wins: no offer is made;
 * - gives `player.progress` to settings.js, whose "Forget my viewing
 *   history" button erases what the server keeps and then calls renew() for
 *   a new anonymous id.
 */
import { EVENT } from './constants.js';
import { withModule } from './ondemand.js';

const VIEWER_PREF = 'viewer';

function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function endpoint(player) {
  const base = new URL(player.itemUrl || `/api/media/${player.el.dataset.mediaId}`, location.href);
  base.pathname = base.pathname.replace(/\/$/, '') + '/progress';
  base.search = '';
  return base.href;
}

class Progress {
  constructor(player) {
    this.player = player;
    this.media = player.media;
    this.url = endpoint(player);
    this.session = randomId();
    this.seq = 0;
    // False once the server says it keeps nothing for this viewer.
    this.storing = true;
    // Reporting comes with the first play (now, if playing already), or the
    // next one if it could not load; it starts from the media's record of
    // what played, so what played while it loaded is reported too.
    const report = () => withModule('progress-report', (m) => { this.reporter ??= new m.Reporter(this); });
    this.media.addEventListener('play', report);
    if (!this.media.paused) report();
  }

  // -- who is watching ---------------------------------------------------------

  get token() {
    return this.player.el.dataset.viewerToken || null;
  }

  get viewer() {
    let id = this.player.prefs.get(VIEWER_PREF, null);
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      id = randomId();
      this.player.prefs.set(VIEWER_PREF, id);
    }
    return id;
  }

  headers() {
    return this.token ? { 'X-Player-Viewer-Token': this.token } : { 'X-Player-Viewer': this.viewer };
  }

  // -- the resume offer (shown by progress-offer.js) ----------------------------------

  /** Ask where to resume; the answer ends up in data-resume on the wrapper
   * ("resume", "watch_again" or "none") whether or not an offer is shown. */
  async offer() {
    const decided = (offer) => { this.player.el.dataset.resume = offer || 'none'; };
    if (+this.media.dataset.start > 0) return decided(null);
    let answer;
    try {
      const response = await fetch(this.url, { headers: this.headers() });
      if (!response.ok) return decided(null);
      answer = await response.json();
    } catch {
      return decided(null);
    }
    if (answer.tracking === false) this.storing = false;
    if (!answer.offer || this.playing || this.media.currentTime > 0) return decided(null);
    decided(answer.offer);
    const whenReady = () => this.show(answer);
    if (this.player.state.state === 'ready') whenReady();
    else {
      const stop = this.player.on(EVENT.READY, () => {
        stop();
        whenReady();
      });
    }
  }

  show(answer) {
    // Most visits have nothing to offer: the offer's code comes only when one does.
    withModule('progress-offer', (offer) => this.playing || offer.default(this, answer));
  }

  /** Whether the viewer has started playing (the offer is then moot). */
  get playing() {
    return !this.media.paused || this.media.played.length > 0;
  }

  dismiss() {
    if (!this.box) return;
    const hadFocus = this.box.contains(document.activeElement);
    this.box.remove();
    this.box = null;
    if (hadFocus) this.player.el.focus();
  }

  /** A new anonymous id and session, once the server has erased this viewer's history (settings.js). */
  renew() {
    if (!this.token) this.player.prefs.set(VIEWER_PREF, randomId());
    this.session = randomId();
    this.seq = 0;
  }
}

export default function install(player) {
  if (!player.itemUrl && !player.el.dataset.mediaId) return;
  const progress = new Progress(player);
  player.progress = progress;
  progress.offer();
}
