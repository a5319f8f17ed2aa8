/**
 * Descriptions plugin: says each `kind="descriptions"` cue.
 *
 * Loaded by player.js when descriptions are first turned on. While they are
 * on (the player keeps the tracks in "hidden" mode), each cue, as it starts:
 *
 * - goes into the descriptions live region, a polite line under the media
 *   (`player.described`, made at start, so it is in place before anything is said
 *   into it; apart from the player's status region, so neither interrupts
 *   the other);
 * - is spoken with `speechSynthesis` when "Speak descriptions" is on
 *   (settings dialog, saved per browser, read at each cue);
 * - with "Extended descriptions" also on, pauses playback until the speech
 *   has ended, then resumes it (unless the viewer has pressed play in the
 *   meantime: from then on playback is theirs). Speech that fails, does not
 *   start within a moment (no voices, no speech service), never reports its
 *   end, or is cut short by a seek or by speaking being turned off, resumes
 *   playback too: the media is never left waiting.
 */
import { EVENT, REQUEST } from './constants.js';

const START_TIMEOUT_MS = 2000;
// Chromium may stop a long utterance without an end event; a generous
// speaking time per character bounds the wait.
const END_TIMEOUT_MS = 5000;
const MS_PER_CHARACTER = 150;

const base = (lang) => (lang || '').toLowerCase().split('-')[0];

class Descriptions {
  constructor(p) {
    this.p = p;
    this.region = p.described;
    this.said = new Set();
    for (const track of p.tracks('descriptions')) track.addEventListener('cuechange', () => this.cueChange(track));
    p.on(EVENT.DESCRIPTIONS, ({ on }) => on || this.stop());
    p.on(EVENT.SPEECH, () => this.release());
    // A play during the pause is the viewer's; the speech ending must not touch playback after it.
    p.media.addEventListener('play', () => { this.holding = false; });
    p.media.addEventListener('seeking', () => this.release());
    // Cues that started while this module was loading.
    this.cueChange(this.track());
  }

  /** The track to follow: the captions' language, else the page's, else the first. */
  track() {
    const tracks = this.p.tracks('descriptions');
    return [this.p.state.captions, this.p.lang].map((lang) => lang && tracks.find((track) => base(track.language) == base(lang)))
      .find(Boolean) || tracks[0];
  }

  cueChange(track) {
    if (!this.p.state.descriptions || track != this.track()) return;
    const active = [...track.activeCues || []];
    // A cue still showing when another starts is not said again.
    const fresh = active.filter((cue) => !this.said.has(cue));
    this.said = new Set(active);
    if (!active.length) this.region.textContent = '';
    const text = fresh.map((cue) => cue.getCueAsHTML().textContent.replace(/\s+/g, ' ').trim()).filter(Boolean).join(' ');
    if (!text) return;
    // The track's language, not the interface's.
    this.region.lang = track.language;
    this.show(text);
    if (window.speechSynthesis && this.p.prefs.get('speakDescriptions')) this.say(text, track.language);
  }

  show(text) {
    const region = this.region;
    clearTimeout(this.repeat);
    if (region.textContent != text) {
      region.textContent = text;
      return;
    }
    // The same words again: emptied first, so they are heard again.
    region.textContent = '';
    this.repeat = setTimeout(() => { region.textContent = text; }, 100);
  }

  say(text, lang) {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang || this.p.lang;
    utterance.voice = speechSynthesis.getVoices().find((v) => base(v.lang) == base(utterance.lang)) || null;
    // A description still being spoken when the next begins is out of date.
    this.silence();
    this.utterance = utterance;
    if (this.p.prefs.get('extendedDescriptions') && !this.p.media.paused) {
      this.holding = true;
      this.p.request(REQUEST.PAUSE);
    }
    const finish = () => this.utterance == utterance && this.release();
    utterance.onend = utterance.onerror = finish;
    utterance.onstart = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(finish, END_TIMEOUT_MS + text.length * MS_PER_CHARACTER);
    };
    this.timer = setTimeout(finish, START_TIMEOUT_MS);
    speechSynthesis.speak(utterance);
  }

  /** Stop speaking, and resume the playback the speech paused. */
  release() {
    this.silence();
    if (this.holding) {
      this.holding = false;
      if (this.p.media.paused) this.p.request(REQUEST.PLAY);
    }
  }

  silence() {
    clearTimeout(this.timer);
    if (!this.utterance) return;
    this.utterance = null;
    speechSynthesis.cancel();
  }

  stop() {
    this.release();
    clearTimeout(this.repeat);
    this.said = new Set();
    this.region.textContent = '';
  }
}

export default function install(player) {
  new Descriptions(player);
}
