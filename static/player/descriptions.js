/**
 * Descriptions plugin: says each `kind="descriptions"` cue.
 *
 * Installed by player.js (default export `install(player)`) when the media
 * has a descriptions track. While descriptions are on (the player keeps the
 * track in "hidden" mode), each cue, as it starts:
 *
 * - goes into the plugin's own polite live region, a line under the media
 *   (separate from the player's status region, so neither interrupts the
 *   other);
 * - is spoken with `speechSynthesis` when "Speak descriptions" is on
 *   (settings dialog, saved per browser);
 * - with "Extended descriptions" also on, pauses playback until the speech
 *   has ended, then resumes it (unless the viewer has pressed play in the
 *   meantime: from then on playback is theirs). Speech that fails, does not
 *   start within a moment (no voices, no speech service), never reports its
 *   end, or is cut short by a seek resumes playback too: the media is never
 *   left waiting.
 */
import { h } from './dom.js';

const SPEAK_PREF = 'speakDescriptions';
const EXTENDED_PREF = 'extendedDescriptions';
const START_TIMEOUT_MS = 2000;
// Chromium may stop a long utterance without an end event; a generous
// speaking time per character bounds the wait.
const END_TIMEOUT_MS = 5000;
const MS_PER_CHARACTER = 150;
// Same words twice in a row: emptied first, refilled after this delay, so they are heard twice.
const REPEAT_DELAY_MS = 100;

const base = (lang) => (lang || '').toLowerCase().split('-')[0];

function cueText(cue) {
  return cue.getCueAsHTML().textContent.replace(/\s+/g, ' ').trim();
}

class Descriptions {
  constructor(player) {
    this.player = player;
    this.media = player.media;
    this.tracks = player.tracks('descriptions');
    this.synth = window.speechSynthesis || null;
    this.speaking = !!this.synth && !!player.prefs.get(SPEAK_PREF, false);
    this.extended = !!player.prefs.get(EXTENDED_PREF, false);
    this.active = new Set();
    this.utterance = null;
    this.holding = false;
    this.region = h('p', { class: 'ap-described', 'aria-live': 'polite' });
    player.stage.after(this.region);
    if (this.synth) this.buildSettings();
    for (const track of this.tracks) track.addEventListener('cuechange', () => this.cueChange(track));
    player.on('descriptions', ({ on }) => on || this.stop());
    // A play during the pause is the viewer's; the speech ending must not touch playback after it.
    this.media.addEventListener('play', () => { this.holding = false; });
    // A seek cuts the description short, and ends the pause made for it.
    this.media.addEventListener('seeking', () => this.release());
  }

  buildSettings() {
    const { t, uid, prefs } = this.player;
    const hint = `${uid}-extended-hint`;
    const speak = h('input', { type: 'checkbox', id: `${uid}-speak-descriptions`, checked: this.speaking });
    const extended = h('input', {
      type: 'checkbox', id: `${uid}-extended-descriptions`, checked: this.extended,
      disabled: !this.speaking, 'aria-describedby': hint,
    });
    speak.addEventListener('change', () => {
      this.speaking = speak.checked;
      extended.disabled = !speak.checked;
      prefs.set(SPEAK_PREF, this.speaking);
      if (!this.speaking) this.release();
    });
    extended.addEventListener('change', () => {
      this.extended = extended.checked;
      prefs.set(EXTENDED_PREF, this.extended);
    });
    this.player.settings.body.append(h('section', { class: 'ap-descriptions-settings' },
      h('h3', { text: t('Descriptions') }),
      h('p', { class: 'ap-check' }, speak, h('label', { for: speak.id, text: t('Speak descriptions') })),
      h('p', { class: 'ap-check' }, extended, h('label', { for: extended.id, text: t('Extended descriptions') })),
      h('p', { id: hint, class: 'ap-hint', text: t('Pauses the media while each description is spoken.') })));
  }

  /** The track to follow: the captions' language, else the page's, else the first. */
  chosenTrack() {
    const wanted = [this.player.state.captions, this.player.lang].filter(Boolean).map(base);
    return wanted.map((lang) => this.tracks.find((track) => base(track.language) === lang)).find(Boolean) || this.tracks[0];
  }

  cueChange(track) {
    if (!this.player.state.descriptions || track !== this.chosenTrack()) return;
    const active = [...(track.activeCues || [])];
    // A cue still showing when another starts is not said again.
    const fresh = active.filter((cue) => !this.active.has(cue));
    this.active = new Set(active);
    if (!active.length) this.region.textContent = '';
    if (!fresh.length) return;
    const text = fresh.map(cueText).filter(Boolean).join(' ');
    if (!text) return;
    this.show(text);
    if (this.speaking) this.say(text, track.language);
  }

  show(text) {
    const region = this.region;
    clearTimeout(this.repeatTimer);
    if (region.textContent !== text) {
      region.textContent = text;
      return;
    }
    region.textContent = '';
    this.repeatTimer = setTimeout(() => { region.textContent = text; }, REPEAT_DELAY_MS);
  }

  say(text, lang) {
    const synth = this.synth;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang || this.player.lang;
    const voice = synth.getVoices().find((v) => base(v.lang) === base(utterance.lang));
    if (voice) utterance.voice = voice;
    // A description still being spoken when the next begins is out of date.
    this.silence();
    this.utterance = utterance;
    if (this.extended && !this.media.paused) {
      this.holding = true;
      this.player.request('pause');
    }
    const finish = () => this.finish(utterance);
    utterance.onend = finish;
    utterance.onerror = finish;
    utterance.onstart = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(finish, END_TIMEOUT_MS + text.length * MS_PER_CHARACTER);
    };
    this.timer = setTimeout(finish, START_TIMEOUT_MS);
    synth.speak(utterance);
  }

  /** Speech of `utterance` is over (ended, failed or timed out). */
  finish(utterance) {
    if (this.utterance === utterance) this.release();
  }

  /** Stop speaking and resume the playback the speech paused. */
  release() {
    this.silence();
    if (!this.holding) return;
    this.holding = false;
    if (this.media.paused) this.player.request('play');
  }

  silence() {
    clearTimeout(this.timer);
    if (!this.utterance) return;
    this.utterance = null;
    this.synth.cancel();
  }

  stop() {
    this.release();
    clearTimeout(this.repeatTimer);
    this.active = new Set();
    this.region.textContent = '';
  }
}

export default function install(player) {
  if (player.tracks('descriptions').length) new Descriptions(player);
}
