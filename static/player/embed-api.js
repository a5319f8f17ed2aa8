/**
 * AccessiblePlayerEmbed: drive an embedded Accessible Player from the host page.
 *
 * Load it as an ordinary script (no module, no build step) from the player's server:
 *
 *   <iframe id="lesson" src="https://media.example.org/embed/welcome?api=1"
 *           title="Welcome to Accessible Player" allow="fullscreen; picture-in-picture"></iframe>
 *   <script src="https://media.example.org/static/player/embed-api.js"></script>
 *   <script>
 *     const player = new AccessiblePlayerEmbed(document.getElementById('lesson'));
 *     player.on('timeupdate', (state) => console.log(state.currentTime));
 *     player.ready.then(() => player.seek(30));
 *   </script>
 *
 * The iframe's URL must carry api=1; the player then answers only its parent
 * page, and when the server sets PLAYER_EMBED_ORIGINS, only those origins.
 *
 * new AccessiblePlayerEmbed(iframe, {origin})
 *   origin: the player's origin; by default the origin of iframe.src.
 * Commands (sent at once when the player is ready, queued until then):
 *   play(), pause(), seek(seconds), setCaptions('uk' | null), setVolume(0–1), setRate(0.5–2)
 * Events: on(event, fn) returns a function that stops listening; fn gets the
 * player's state {currentTime, duration, paused, muted, volume, rate, captions}
 * (plus message on 'error', label on 'captionschange'). Events: 'ready',
 * 'play', 'pause', 'timeupdate' (up to 4 a second), 'ended', 'error', 'captionschange'.
 * Also: ready (a Promise of the state at 'ready'), state (the last state
 * received, or null), destroy() (stop listening; commands are dropped).
 */
(function () {
  'use strict';

  var CHANNEL = 'accessible-player';
  var EVENTS = ['ready', 'play', 'pause', 'timeupdate', 'ended', 'error', 'captionschange'];

  class AccessiblePlayerEmbed {
    constructor(iframe, options = {}) {
      if (!(iframe instanceof HTMLIFrameElement)) throw new TypeError('AccessiblePlayerEmbed needs an <iframe>.');
      this.iframe = iframe;
      this.origin = options.origin || new URL(iframe.src, location.href).origin;
      this.state = null;
      this.listeners = new Map(EVENTS.map((name) => [name, new Set()]));
      this.queue = [];
      this.isReady = false;
      this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
      this.onMessage = (e) => this.receive(e);
      this.onLoad = () => this.send('hello');
      window.addEventListener('message', this.onMessage);
      // The player may have said 'ready' before this script ran: 'hello'
      // asks it to say so again, now if its page is there (send() checks)
      // and whenever the frame loads.
      iframe.addEventListener('load', this.onLoad);
      this.send('hello');
    }

    play() { this.command('play'); }
    pause() { this.command('pause'); }
    seek(seconds) { this.command('seek', Number(seconds)); }
    setCaptions(lang) { this.command('setCaptions', lang ? String(lang) : null); }
    setVolume(volume) { this.command('setVolume', Number(volume)); }
    setRate(rate) { this.command('setRate', Number(rate)); }

    on(event, fn) {
      var set = this.listeners.get(event);
      if (!set) throw new RangeError('Unknown player event: ' + event + '. Known: ' + EVENTS.join(', '));
      set.add(fn);
      return () => set.delete(fn);
    }

    destroy() {
      window.removeEventListener('message', this.onMessage);
      this.iframe.removeEventListener('load', this.onLoad);
      this.queue = [];
      this.listeners.forEach((set) => set.clear());
    }

    command(name, value) {
      if (this.isReady) this.send(name, value);
      else this.queue.push([name, value]);
    }

    /**
     * Whether the frame holds the player's page yet. Until it does, it holds
     * the initial about:blank of this page's origin, which a message for the
     * player's origin would not reach (the browser logs the mismatch).
     */
    arrived() {
      var doc = null;
      try {
        doc = this.iframe.contentDocument;
      } catch (e) {
        // A page of another origin: the player's.
      }
      return !doc || doc.URL !== 'about:blank';
    }

    send(command, value) {
      var target = this.iframe.contentWindow;
      if (target && this.arrived()) target.postMessage({ channel: CHANNEL, command: command, value: value }, this.origin);
    }

    receive(e) {
      var data = e.data;
      if (e.source !== this.iframe.contentWindow || e.origin !== this.origin) return;
      if (!data || typeof data !== 'object' || data.channel !== CHANNEL || !this.listeners.has(data.event)) return;
      var state = Object.assign({}, data);
      delete state.channel;
      delete state.event;
      this.state = state;
      if (data.event === 'ready') {
        // Said again in answer to 'hello': listeners hear it once.
        if (this.isReady) return;
        this.isReady = true;
        this.resolveReady(state);
        this.queue.splice(0).forEach((args) => this.send(args[0], args[1]));
      }
      this.listeners.get(data.event).forEach((fn) => fn(state));
    }
  }

  window.AccessiblePlayerEmbed = AccessiblePlayerEmbed;
})();
