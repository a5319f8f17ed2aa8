/**
 * Progress reports, loaded by progress.js when playback first starts (or at
 * a later start, when it could not load then).
 *
 * Reports to `PUT <item URL>/progress` every 10 s while playing, on pause,
 * seek, end and track changes, and with `navigator.sendBeacon` (a POST of
 * text/plain JSON, which the server accepts as PUT) when the page is hidden
 * or closed, so the last position survives closing the tab. Each report
 * carries the ranges actually played since the previous one; the first
 * carries what the media element recorded as played before this module
 * arrived, but for what the viewer had forgotten by then. Works on the
 * Progress object `pr` (player, media, url, token, viewer, session, seq,
 * storing, forgotten).
 */
import { EVENT } from './constants.js';

const HEARTBEAT_MS = 10000;
const SEEK_SETTLE_MS = 1000;
const MAX_PENDING_RANGES = 32;

/** A TimeRanges object (or none) as a list of [start, end]. */
function ranges(timeRanges) {
  const list = [];
  for (let i = 0; i < (timeRanges?.length || 0); i++) list.push([timeRanges.start(i), timeRanges.end(i)]);
  return list;
}

/** The parts of the ranges `kept` outside every range in `gone`. */
function without(kept, gone) {
  for (const [from, to] of gone) {
    kept = kept.flatMap(([start, end]) => [[start, Math.min(end, from)], [Math.max(start, to), end]])
      .filter(([start, end]) => end > start);
  }
  return kept;
}

export class Reporter {
  constructor(pr) {
    const m = pr.media;
    // Played while this module loaded: the media keeps the record, and
    // progress.js what of it the viewer had forgotten.
    const pending = without(ranges(m.played), ranges(pr.forgotten));
    Object.assign(this, { pr, media: m, pending, open: null, trackState: this.tracksNow(pr.player) });
    this.listen();
    if (!m.paused) this.playing();
    else if (this.pending.length) {
      this.started = true;
      this.report(m.ended ? 'ended' : 'pause');
    }
  }

  /** Forget what is waiting to be reported (the viewer's history was erased). */
  forget() {
    this.pending = [];
    this.open = null;
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

  tracksNow(player) {
    const s = player.state;
    return { captions: s.captions || null, descriptions: !!s.descriptions };
  }

  // -- reporting -------------------------------------------------------------------

  body(event, played) {
    const { pr, media } = this;
    const d = media.duration;
    return JSON.stringify({
      ...(pr.token ? { viewer_token: pr.token } : { viewer: pr.viewer }),
      session: pr.session,
      seq: ++pr.seq,
      event,
      position: +Math.max(0, media.currentTime || 0).toFixed(3),
      duration: Number.isFinite(d) && d > 0 ? +d.toFixed(3) : null,
      rate: media.playbackRate || 1,
      ...this.trackState,
      played,
    });
  }

  report(event) {
    if (!this.pr.storing || !this.started) return;
    const played = this.take();
    const body = this.body(event, played);
    fetch(this.pr.url, {
      method: 'PUT', body, keepalive: true, headers: { 'Content-Type': 'application/json' },
    }).then(async (response) => {
      if (response.ok) {
        if ((await response.json()).stored === false) this.pr.storing = false;
      } else if (response.status === 429 || response.status >= 500) {
        this.pending.unshift(...played);
      }
    }, () => this.pending.unshift(...played));
  }

  /** The last word before the page goes away: a beacon outlives the page. */
  beacon(event) {
    if (!this.pr.storing || !this.started) return;
    const played = this.take();
    const body = this.body(event, played);
    if (!navigator.sendBeacon?.(this.pr.url, body)) {
      fetch(this.pr.url, { method: 'POST', body, keepalive: true }).catch(() => {});
    }
  }

  playing() {
    this.started = true;
    this.tick();
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.report('heartbeat'), HEARTBEAT_MS);
  }

  listen() {
    const m = this.media;
    const player = this.pr.player;
    let seekTimer = 0;
    m.addEventListener('timeupdate', () => {
      this.tick();
      if (this.pending.length >= MAX_PENDING_RANGES) this.report('heartbeat');
    });
    m.addEventListener('playing', () => this.playing());
    m.addEventListener('pause', () => {
      clearInterval(this.heartbeat);
      if (!m.ended) this.report('pause');
    });
    m.addEventListener('ended', () => {
      clearInterval(this.heartbeat);
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
      const now = this.tracksNow(player);
      if (now.captions === this.trackState.captions && now.descriptions === this.trackState.descriptions) return;
      // Time played so far was watched with the old tracks: report it under them.
      this.report('tracks');
      this.trackState = now;
    };
    player.on(EVENT.CAPTIONS, tracksChanged);
    player.on(EVENT.DESCRIPTIONS, tracksChanged);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.beacon('hidden');
    });
    addEventListener('pagehide', () => this.beacon('pagehide'));
  }
}
