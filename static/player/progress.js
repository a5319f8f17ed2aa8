/**
 * Progress plugin: reports what was played, offers to resume, forgets on request.
 *
 * Installed by player.js (default export `install(player)`). It
 *
 * - keeps an anonymous viewer id in the player's preferences (localStorage,
 *   which works in third-party iframes where cookies do not), or uses the
 *   host's signed token from `data-viewer-token` on the player wrapper;
 * - reports to `PUT <item URL>/progress` every 10 s while playing, on pause,
 *   seek, end and track changes, and with `navigator.sendBeacon` (a POST of
 *   text/plain JSON, which the server accepts as PUT) when the page is hidden
 *   or closed, so the last position survives closing the tab. Each report
 *   carries the ranges actually played since the previous one;
 * - asks `GET <item URL>/progress` on load and offers "Resume from 1:23" /
 *   "Start over" (or "Watch again" once finished): announced once, reachable
 *   by Tab right after the media, closed by either button, its close button or
 *   Escape, never trapping focus. A start time (`?t=`, `data-start` on the
 *   media) wins: no offer is made;
 * - gives `player.progress.forget()` (settings.js puts a "Forget my viewing
 *   history" button in the settings dialog) to erase what the server keeps
 *   and start a new anonymous id.
 */

const HEARTBEAT_MS = 10000;
const SEEK_SETTLE_MS = 1000;
const MAX_PENDING_RANGES = 32;
const VIEWER_PREF = 'viewer';

function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function endpoint(player, path) {
  const base = new URL(player.itemUrl || `/api/media/${player.el.dataset.mediaId}`, location.href);
  if (path) return new URL(path, base).href;
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
    this.pending = [];
    this.open = null;
    this.storing = true;
    this.trackState = this.tracksNow();
    this.listen();
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

  identity() {
    return this.token ? { viewer_token: this.token } : { viewer: this.viewer };
  }

  headers() {
    return this.token ? { 'X-Player-Viewer-Token': this.token } : { 'X-Player-Viewer': this.viewer };
  }

  // -- played ranges -------------------------------------------------------------

  /** Extend the range being played, or start a new one after a jump. */
  tick() {
    const now = this.media.currentTime;
    if (this.media.paused || this.media.seeking) return;
    // timeupdate fires every quarter second or so (once a second in a
    // background tab); a bigger step than playback could make is a jump.
    const step = 1.5 * Math.max(1, this.media.playbackRate) + 0.5;
    if (this.open && now >= this.open[1] && now - this.open[1] <= step) {
      this.open[1] = now;
    } else {
      this.close();
      this.open = [now, now];
    }
  }

  close() {
    if (this.open && this.open[1] > this.open[0]) this.pending.push(this.open);
    this.open = null;
  }

  take() {
    this.close();
    if (!this.media.paused && !this.media.ended) {
      const now = this.media.currentTime;
      this.open = [now, now];
    }
    const played = this.pending.map(([s, e]) => [+s.toFixed(3), +e.toFixed(3)]);
    this.pending = [];
    return played;
  }

  tracksNow() {
    const s = this.player.state;
    return { captions: s.captions || null, descriptions: !!s.descriptions };
  }

  // -- reporting -------------------------------------------------------------------

  body(event, played) {
    const d = this.media.duration;
    return JSON.stringify({
      ...this.identity(),
      session: this.session,
      seq: ++this.seq,
      event,
      position: +Math.max(0, this.media.currentTime || 0).toFixed(3),
      duration: Number.isFinite(d) && d > 0 ? +d.toFixed(3) : null,
      rate: this.media.playbackRate || 1,
      ...this.trackState,
      played,
    });
  }

  report(event) {
    if (!this.storing || !this.started) return;
    const played = this.take();
    const body = this.body(event, played);
    fetch(this.url, {
      method: 'PUT', body, keepalive: true, headers: { 'Content-Type': 'application/json' },
    }).then(async (response) => {
      if (response.ok) {
        if ((await response.json()).stored === false) this.storing = false;
      } else if (response.status === 429 || response.status >= 500) {
        this.pending.unshift(...played);
      }
    }, () => this.pending.unshift(...played));
  }

  /** The last word before the page goes away: a beacon outlives the page. */
  beacon(event) {
    if (!this.storing || !this.started) return;
    const played = this.take();
    const body = this.body(event, played);
    if (!navigator.sendBeacon?.(this.url, body)) {
      fetch(this.url, { method: 'POST', body, keepalive: true }).catch(() => {});
    }
  }

  listen() {
    const m = this.media;
    let heartbeat = 0;
    let seekTimer = 0;
    m.addEventListener('timeupdate', () => {
      this.tick();
      if (this.pending.length >= MAX_PENDING_RANGES) this.report('heartbeat');
    });
    m.addEventListener('playing', () => {
      this.started = true;
      this.tick();
      clearInterval(heartbeat);
      heartbeat = setInterval(() => this.report('heartbeat'), HEARTBEAT_MS);
    });
    m.addEventListener('pause', () => {
      clearInterval(heartbeat);
      if (!m.ended) this.report('pause');
    });
    m.addEventListener('ended', () => {
      clearInterval(heartbeat);
      this.report('ended');
    });
    m.addEventListener('seeking', () => {
      // What was played up to the jump ends where it was, not where it lands.
      this.close();
    });
    m.addEventListener('seeked', () => {
      clearTimeout(seekTimer);
      // Arrow-key scrubbing seeks many times a second; report where it settles.
      seekTimer = setTimeout(() => this.report('seek'), SEEK_SETTLE_MS);
    });
    const tracksChanged = () => {
      const now = this.tracksNow();
      if (now.captions === this.trackState.captions && now.descriptions === this.trackState.descriptions) return;
      // Time played so far was watched with the old tracks: report it under them.
      this.report('tracks');
      this.trackState = now;
    };
    this.player.on('captions', tracksChanged);
    this.player.on('descriptions', tracksChanged);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.beacon('hidden');
    });
    addEventListener('pagehide', () => this.beacon('pagehide'));
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
    if (!answer.offer || this.started || this.media.currentTime > 0) return decided(null);
    decided(answer.offer);
    const whenReady = () => this.show(answer);
    if (this.player.state.state === 'ready') whenReady();
    else {
      const stop = this.player.on('ready', () => {
        stop();
        whenReady();
      });
    }
  }

  async show(answer) {
    // Most visits have nothing to offer: the offer's code comes only when one does.
    const offer = (await import('./progress-offer.js')).default;
    if (!this.started) offer(this, answer);
  }

  dismiss() {
    if (!this.box) return;
    const hadFocus = this.box.contains(document.activeElement);
    this.box.remove();
    this.box = null;
    if (hadFocus) this.player.el.focus();
  }

  // -- forgetting ----------------------------------------------------------------------

  /** Erase this viewer's history on the server and start a new anonymous id. */
  async forget() {
    const response = await fetch(endpoint(this.player, '/api/viewer/history'), {
      method: 'DELETE', headers: this.headers(),
    });
    if (!response.ok) throw new Error(`history not erased (${response.status})`);
    this.pending = [];
    this.open = null;
    this.dismiss();
    if (!this.token) this.player.prefs.set(VIEWER_PREF, randomId());
    this.session = randomId();
    this.seq = 0;
    return (await response.json()).erased;
  }
}

export default function install(player) {
  if (!player.itemUrl && !player.el.dataset.mediaId) return;
  const progress = new Progress(player);
  player.progress = progress;
  progress.offer();
}
