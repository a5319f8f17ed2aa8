// The captions' second stage (captions.js loads it at the first cue change
// or override, or at once when an override is saved): the viewer's overrides
// (placement, timing offset), cues kept clear of the controls, and the choice
// of renderer. It reads the shown track's file once: cue settings or STYLE
// blocks bring cue-render.js (the WebVTT layout), as does a placement
// override; anything else keeps the cheap bottom-centre rendering, now
// shifted by the offset.
import { h } from './dom.js';

// A STYLE block, or a cue timing line with settings after its end time.
const RICH = /^STYLE|-->[^\S\n]*\S+[^\S\n]+\S/m;
const PLACEMENTS = ['authored', 'bottom', 'top'];
const still = matchMedia('(prefers-reduced-motion: reduce)');

/** Install on player `p`: takes over p.captions.render and setOverrides. */
export default function install(p) {
  const c = p.captions;
  const media = p.media;
  const files = new Map();
  let o = { placement: p.prefs.get('captionPlacement', 'authored'), offset: +p.prefs.get('captionOffset', 0) || 0 };
  let renderer = null;
  let shown = '';
  let cleared = 0;
  let timer;

  // The file behind a track, read once: { text, rich } (text '' when it cannot be read).
  function read(track) {
    if (!files.has(track)) {
      files.set(track, null);
      const url = [...media.querySelectorAll('track')].find((el) => el.track == track)?.src;
      (url ? fetch(url) : Promise.reject()).then((r) => (r.ok ? r.text() : '')).catch(() => '')
        .then((text) => files.set(track, { text, rich: RICH.test(text) }) && draw(true));
    }
    return files.get(track);
  }

  // How much of the stage's bottom the controls cover (an open menu over
  // the media; a bar drawn over it): cues at the bottom stay above it.
  function covered() {
    const stage = p.stage.getBoundingClientRect();
    let clear = 0;
    for (const el of p.el.querySelectorAll('.ap-controls, .ap-menu-list:not([hidden])')) {
      const r = el.getBoundingClientRect();
      if (r.width && r.height && r.top < stage.bottom && r.bottom > stage.top && r.left < stage.right && r.right > stage.left) {
        clear = Math.max(clear, stage.bottom - r.top);
      }
    }
    return Math.min(clear, stage.height);
  }

  function draw(force) {
    clearTimeout(timer);
    const track = c.active;
    const file = track && read(track);
    const t = media.currentTime - o.offset;
    const cues = [...(track?.cues || [])].filter((cue) => cue.startTime <= t && t < cue.endTime);
    // An audio player shows captions as lines of text under its controls: no picture to place them on.
    const rich = file && media.localName == 'video' && (file.rich || o.placement != 'authored');
    const key = cues.map((cue) => cue.startTime + cue.text).join('\n') + rich;
    const clear = covered();
    const box = c.box;
    if (rich && !renderer) {
      import('./cue-render.js').then((m) => {
        renderer ??= new m.Renderer(p);
        draw(true);
      }, () => {});
    }
    // Which renderer drew the cues (tests and styles can tell).
    box.dataset.layout = rich && renderer ? 'webvtt' : 'plain';
    if (rich && renderer) {
      renderer.draw(track, file, cues, t, { ...o, clear, force: force || key != shown || clear != cleared });
    } else if (force || key != shown) {
      renderer?.clear();
      // Cues at once stack upwards in their order, the first at the bottom (as the spec lays them out).
      box.replaceChildren(...cues.reverse().map((cue) => h('div', {}, h('span', { class: 'ap-cue' }, cue.getCueAsHTML()))));
    }
    if (!(rich && renderer)) {
      // Up from the bottom by what the controls cover; eased, unless the viewer asks for stillness.
      box.style.transition = still.matches ? '' : 'bottom .2s';
      box.style.bottom = clear ? `calc(.5rem + ${clear}px)` : '';
    }
    shown = key;
    cleared = clear;
    // The next cue boundary (or karaoke timestamp), in file time, while playing.
    if (!media.paused && track) {
      let next = Infinity;
      for (const cue of track.cues || []) {
        for (const edge of [cue.startTime, cue.endTime, ...(rich ? stamps(cue) : [])]) if (edge > t && edge < next) next = edge;
      }
      if (next < Infinity) timer = setTimeout(draw, Math.max(10, (next - t) * 1000 / (media.playbackRate || 1)));
    }
  }

  c.render = () => draw();
  c.setOverrides = ({ placement = o.placement, offset = o.offset } = {}) => {
    o = {
      placement: PLACEMENTS.includes(placement) ? placement : 'authored',
      offset: Math.round(Math.min(10, Math.max(-10, +offset || 0)) * 10) / 10,
    };
    p.prefs.set('captionPlacement', o.placement);
    p.prefs.set('captionOffset', o.offset);
    draw(true);
  };
  Object.defineProperty(c, 'overrides', { get: () => ({ ...o }), configurable: true });
  for (const type of ['play', 'pause', 'seeked', 'timeupdate', 'ratechange']) media.addEventListener(type, () => draw());
  // The controls and menus showing or hiding, the player resizing (full screen too).
  new ResizeObserver(() => draw(true)).observe(p.stage);
  new MutationObserver(() => draw()).observe(p.el, { subtree: true, attributeFilter: ['hidden', 'data-fullscreen'] });
  if (c.wanted) c.setOverrides(c.wanted);
  else draw(true);
}

// Karaoke timestamps inside a cue's text, in seconds.
function stamps(cue) {
  return (cue.text.match(/<(\d+:)?\d\d:\d\d\.\d{3}>/g) || []).map((tag) => tag.slice(1, -1).split(':').reduce((a, b) => a * 60 + +b, 0));
}
