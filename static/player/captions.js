// Captions drawn by the player, above the controls, in the viewer's style.
// Tracks play in "hidden" mode: cues and cuechange work, the browser's own
// cue box stays off. The overlay is aria-hidden; the transcript is the
// screen reader's way to the same words.
//
// This is the cheap path: cues centred at the bottom. The cue-layout plugin
// (the WebVTT layout, STYLE blocks, the viewer's overrides) loads at the
// first cue change or override, or at once when an override is saved; it reads the track's file, saved
// overrides and the cues, and takes over render() and setOverrides() when
// any of them needs more than this.
import { h } from './dom.js';

export class Captions {
  constructor(p) {
    this.p = p;
    this.tracks = p.tracks('captions', 'subtitles');
    this.box = h('div', { class: 'ap-captions', 'aria-hidden': 'true' });
    p.stage.append(this.box);
    for (const track of this.tracks) track.addEventListener('cuechange', () => this.render(this.p.plugin('cue-layout')));
    // A track that finishes loading while paused gets no cuechange until time moves.
    for (const el of p.media.querySelectorAll('track')) el.addEventListener('load', () => this.render(true));
    // The saved caption style (settings.js): values of the --ap-cap-* properties player.css uses.
    for (const [name, value] of Object.entries(p.prefs.get('captionCss', {}))) p.el.style.setProperty(`--ap-cap-${name}`, value);
    // A saved override must hold from the first cue shown, paused at 0:00 too: load its code now.
    if (p.prefs.get('captionPlacement', 'authored') != 'authored' || +p.prefs.get('captionOffset', 0)) p.plugin('cue-layout');
  }

  /**
   * The viewer's overrides: `placement` 'authored' (default), 'bottom' or
   * 'top'; `offset` in seconds, -10..10. A positive offset shows cues later
   * (a cue shows while media time - offset is inside it). The plugin saves
   * them ('captionPlacement', 'captionOffset') and renders at once.
   */
  setOverrides(o) {
    this.wanted = o;
    this.p.plugin('cue-layout');
  }

  /** Show the track for `lang` ("" for none; an unknown language falls back to the first track). */
  select(lang) {
    const base = (code) => code.split('-')[0];
    const all = this.tracks;
    const chosen = lang ? all.find((t) => t.language == lang) || all.find((t) => base(t.language) == base(lang)) || all[0] : null;
    for (const track of all) track.mode = track == chosen ? 'hidden' : 'disabled';
    this.active = chosen;
    this.render(true);
    return chosen;
  }

  // Filtered by time even from activeCues: Chrome counts a cue active at its
  // end time, so at a boundary both the ending and the starting cue would show.
  render(scan) {
    const now = this.p.media.currentTime;
    const cues = (scan ? this.active?.cues : this.active?.activeCues) || [];
    this.box.replaceChildren(...[...cues].filter((cue) => cue.startTime <= now && now < cue.endTime)
      .map((cue) => h('div', {}, h('span', { class: 'ap-cue' }, cue.getCueAsHTML()))));
  }
}
