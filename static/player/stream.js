// Adaptive streaming, loaded only for media whose sources offer an HLS
// master playlist. The browser plays it itself where it can (Safari, iOS,
// current Chromium); elsewhere hls.js, fetched now and never before, from the
// player's data-hlsjs URL with its Subresource Integrity hash
// (data-hlsjs-integrity), plays it through Media Source Extensions; where
// neither works, or the playlist or hls.js cannot load, the progressive file
// the browser chose from the <source> list plays on, untouched.
//
// The choice of quality (quality.js lists it in a menu): 'auto', a
// rendition's height, 'saver' (Data saver: the lowest rendition first, never
// above 360p) or 'audio' (the audio-only rendition, the poster in the
// picture's place). Embed parameters (data-quality, data-audio-only) choose
// for the page; else the viewer's saved choice; else Data saver when the
// browser sends Save-Data. hls.js switches within the master playlist; the
// browser's own player is given a master playlist of the chosen renditions
// alone (a blob: URL). Every switch keeps the position and whether it plays;
// tracks, transcript and everything else stay with the one media element.
import { h, icon } from './dom.js';

const HLS = 'application/vnd.apple.mpegurl';
const SAVER_MAX = 360;
// Rising bars: more of the picture, more data.
const BARS = 'M5 20v-4m5 4v-8m5 8V8m5 12V4';

let library;

function hlsjs(src, integrity) {
  return library ??= new Promise((resolve, reject) => document.head.append(h('script', {
    src, integrity, crossorigin: 'anonymous',
    onload: () => resolve(window.Hls),
    onerror: () => reject(library = null),
  })));
}

/**
 * A master playlist's video renditions, lowest first ({height, bandwidth,
 * url, line}: line is its #EXT-X-STREAM-INF), the lines every subset keeps
 * (media groups, with absolute URIs), and the audio-only rendition ({url, bandwidth}).
 */
export function parse(text, base) {
  const lines = text.split(/\r?\n/);
  const abs = (uri) => new URL(uri, base).href;
  const keep = [];
  const video = [];
  let audio = null;
  let group = null;
  lines.forEach((line, i) => {
    const uri = line.match(/URI="([^"]*)"/);
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      const attr = (name) => line.match(new RegExp(`[:,]${name}=([^,]*)`))?.[1];
      const height = +attr('RESOLUTION')?.split('x')[1] || 0;
      const found = { height, bandwidth: +(attr('AVERAGE-BANDWIDTH') || attr('BANDWIDTH')) || 0,
        url: abs(lines.slice(i + 1).find((next) => next && next[0] != '#')), line };
      if (height) video.push(found);
      else audio ??= found;
    } else if (line.startsWith('#EXT-X-MEDIA:')) {
      keep.push(uri ? line.replace(uri[0], `URI="${abs(uri[1])}"`) : line);
      if (uri && line.includes('TYPE=AUDIO')) group ??= { url: abs(uri[1]), bandwidth: 0 };
    } else if (/^#EXT-X-(VERSION|INDEPENDENT)/.test(line)) keep.push(line);
  });
  return { keep, video: video.sort((a, b) => a.bandwidth - b.bandwidth), audio: audio || group };
}

export default async function install(p) {
  const source = p.media.querySelector(`source[type="${HLS}"]`);
  const stream = new Stream(p, source.src.split('#')[0]);
  await stream.start();
  return stream;
}

class Stream {
  constructor(p, master) {
    Object.assign(this, { p, master, media: p.media, native: !!p.media.canPlayType(HLS) });
  }

  async start() {
    const { p, media: m } = this;
    const d = p.el.dataset;
    const mse = !this.native && d.hlsjs && (window.MediaSource || window.ManagedMediaSource);
    if (!this.native && !mse) return;
    // What the browser began loading itself would share a slow line with
    // hls.js and the stream: it waits, and goes on if the stream does not come.
    const preload = m.preload;
    const stop = mse && !p.started;
    if (stop) {
      m.preload = 'none';
      m.load();
    }
    try {
      const [response, Hls] = await Promise.all([fetch(this.master), mse && hlsjs(d.hlsjs, d.hlsjsIntegrity)]);
      if (!response.ok || (mse && !Hls.isSupported())) throw response;
      Object.assign(this, parse(await response.text(), response.url), { Hls });
    } catch {
      if (stop) {
        m.preload = preload;
        m.load();
      }
      return;
    }
    if (p.item?.audio_only) this.audio = p.item.audio_only;
    // The stream's own captions are for players without ours (casting, TVs):
    // here the page's tracks are drawn, so the stream's stay off.
    const own = [...m.querySelectorAll('track')].map((el) => el.track);
    const quiet = () => {
      for (const track of m.textTracks) if (!own.includes(track)) track.mode = 'disabled';
    };
    m.textTracks.addEventListener('addtrack', quiet);
    m.textTracks.addEventListener('change', quiet);
    p.stream = this;
    const saved = p.prefs.get('quality', navigator.connection?.saveData ? 'saver' : 'auto');
    // Sound alone (an audio item) has nothing to choose between.
    const pictures = this.video.length > 0;
    this.choose(!pictures ? 'auto' : d.audioOnly != null ? 'audio' : d.quality || saved, true);
    if (pictures) p.addControl(this.button());
    p.emit('stream', { native: this.native });
  }

  /** Is `value` a choice this media offers? */
  offers(value) {
    return value == 'auto' || value == 'saver' || (value == 'audio' ? !!this.audio : this.video.some((r) => r.height == value));
  }

  /** Play the choice `value`; `initial` for the page's or saved one, which is neither announced nor saved. */
  choose(value, initial = false) {
    const { p } = this;
    if (!this.offers(value)) value = 'auto';
    const was = this.choice;
    this.choice = value;
    p.el.toggleAttribute('data-audio-only', value == 'audio');
    this.poster();
    if (!initial) {
      p.remember('quality', value);
      // Said in the menu's words, which quality.js holds.
      import('./quality.js').then((q) => p.announce(q.said(p, value)));
    }
    if (this.Hls) return this.hls && (value == 'audio') == (was == 'audio') ? this.level() : this.attach();
    this.listed = null;
    if (value == 'auto') return this.auto(initial);
    if (value == 'audio') return this.swap(this.audio.url);
    this.subset(this.video.filter((r) => (value == 'saver' ? r.height <= SAVER_MAX : r.height == value)));
  }

  // The browser's own player on Auto. Chromium's starts at the lowest
  // variant, then judges the line by how fast the first chunks came and
  // climbs at once to a rendition the line cannot carry (measured, throttled:
  // at 400 kbit/s the first 240p segment, then 720p, and no frame in 30 s;
  // at 2 Mbit/s 720p, the first frame 5 s later than on 240p). Where the
  // browser says how fast its line is (the Network Information API's
  // downlink; Safari, whose player adapts well, does not say), Auto lists
  // only the renditions whose average rate fits in it, the lowest at least,
  // and the browser adapts among those; when the line changes ('change'),
  // the list follows.
  auto(initial) {
    const down = navigator.connection?.downlink;
    const fit = down ? this.video.filter((r) => r.bandwidth <= down * 1e6) : this.video;
    const listed = Math.max(1, fit.length);
    if (this.listed == listed) return;
    const first = this.listed == null;
    this.listed = listed;
    if (first && !this.watching && navigator.connection) {
      this.watching = true;
      navigator.connection.addEventListener('change', () => this.choice == 'auto' && this.auto());
    }
    if (listed < this.video.length) return this.subset(this.video.slice(0, listed));
    // The master playlist the page gave is what the browser began with.
    return (first && initial) || this.swap(this.master);
  }

  // The browser's own player: a master playlist of `chosen` renditions alone
  // (the lowest, if none), as a blob: URL.
  subset(chosen) {
    const text = ['#EXTM3U', ...this.keep, ...(chosen.length ? chosen : this.video.slice(0, 1)).flatMap((r) => [r.line, r.url])];
    URL.revokeObjectURL(this.blob);
    this.swap(this.blob = URL.createObjectURL(new Blob([text.join('\n') + '\n'], { type: HLS })));
  }

  /**
   * Where to be after a switch: where the media is, or where the page starts
   * it. `seek` false leaves the seek to the caller (see place()).
   */
  resume(seek = true) {
    const m = this.media;
    const at = this.p.started ? m.currentTime : +m.dataset.start || 0;
    const playing = !m.paused;
    m.addEventListener('loadedmetadata', () => {
      if (seek && at) m.currentTime = at;
      if (playing) this.p.request('play');
    }, { once: true });
    return at;
  }

  // The element has a new source and no metadata yet: a position set now is
  // where it starts (HTML's default playback start position), and a seek the
  // viewer or the page asks for before the metadata comes replaces it, where
  // a seek on 'loadedmetadata' would undo that seek.
  place(at) {
    if (at) this.media.currentTime = at;
  }

  // The browser's own player: a new source.
  swap(url) {
    const at = this.resume(false);
    this.media.src = url;
    this.place(at);
  }

  // hls.js: a new instance for the master playlist or the audio rendition.
  attach() {
    const { Hls } = this;
    // Read before the old instance lets go of the media, which pauses it.
    const at = this.resume();
    this.hls?.destroy();
    const hls = this.hls = new Hls({
      enableWorker: false, startPosition: at || -1, enableWebVTT: false, enableIMSC1: false, enableCEA708Captions: false,
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.level(true));
    // A stream that cannot go on gives way to the progressive file, at the same place.
    hls.on(Hls.Events.ERROR, (event, data) => {
      if (!data.fatal) return;
      const at = this.resume(false);
      hls.destroy();
      this.hls = null;
      this.media.removeAttribute('src');
      this.media.load();
      this.place(at);
    });
    hls.loadSource(this.choice == 'audio' ? this.audio.url : this.master);
    hls.attachMedia(this.media);
  }

  // hls.js: the rendition for the choice, among its levels.
  level(starting) {
    const { hls, choice } = this;
    hls.subtitleTrack = -1;
    if (choice == 'audio') return;
    const levels = hls.levels;
    const at = levels.findIndex((level) => level.height == choice);
    hls.autoLevelCapping = choice == 'saver' ? Math.max(0, levels.findLastIndex((level) => level.height <= SAVER_MAX)) : -1;
    if (at >= 0 || !starting) hls.currentLevel = at;
    else if (choice == 'saver') hls.startLevel = 0;
  }

  /** The renditions now playing: [{height, bandwidth, url}] (their levels' order under hls.js). */
  playing() {
    return this.hls ? this.hls.levels.map((level) => ({ height: level.height, bandwidth: level.bitrate })) : this.video;
  }

  // A video showing audio alone shows its poster, as an audio player's artwork.
  poster() {
    const url = this.media.poster || this.p.item?.poster;
    this.p.stage.style.backgroundImage = this.choice == 'audio' && url ? `url("${url}")` : '';
  }

  // The menu button, one of the control bar's menus (controls.js): the
  // quality list joins menu.js's menus once both are here.
  button() {
    const { p } = this;
    const box = p.controls.menu('quality', p.t('Quality'), '', icon(BARS), (name, use) => Promise.all(
      [import('./menu.js'), import('./quality.js')]).then(([m, q]) => {
      q.register(m);
      use(m);
    }, () => {}));
    box.classList.add('ap-quality');
    return box;
  }
}
