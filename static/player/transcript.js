/**
 * Transcript plugin: makes the server-rendered transcript follow the media.
 *
 * Installed by player.js (default export `install(player)`) on the section
 * the player names (`player.transcript`, markup from templates/_transcript.html).
 * Without this script every cue is still a link to `?t=` on the watch page.
 * A built player's markup is made from the transcript JSON (transcript-build.js).
 *
 * - The current cue gets `aria-current="true"` (CSS highlights it). Cue
 *   times are read once into sorted arrays and the cue at a time is found by
 *   binary search; a `timeupdate` that stays in the same cue touches nothing,
 *   one that moves touches the old and the new cue only.
 * - Auto-scroll keeps the current cue in view by scrolling the transcript's
 *   own box (never the page). It stops as soon as the viewer scrolls that box
 *   (wheel, touch, scrollbar, keys) or moves focus into the cue list, and a
 *   "Resume auto-scroll" button starts it again.
 * - Clicking a cue, or Enter on it, seeks there.
 * - A search box marks matches and steps through them (transcript-search.js,
 *   loaded when the search box is first focused).
 */
import { EVENT, REQUEST } from './constants.js';
import { h, icon } from './dom.js';
import { withModule } from './ondemand.js';

const SEARCH_DELAY_MS = 250;
// Where a cue lands when auto-scroll moves: a third of the way down, so the
// lines just said stay in view above it.
const SCROLL_TO = 1 / 3;
// A scroll that leaves the box within this many pixels of where the script
// put it is the script's own.
const SCROLL_SLACK = 2;
const CHEVRON_UP = 'M6 15l6-6 6 6';
const CHEVRON_DOWN = 'M6 9l6 6 6-6';

/** Index of the last of the ascending `values` that is at most `x`, or -1. */
export function lastAtOrBefore(values, x) {
  let low = 0;
  let high = values.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (values[mid] <= x) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** The transcript's cues in time order, with their times in typed arrays. */
export class CueIndex {
  constructor(links) {
    const start = (el) => +el.dataset.start || 0;
    // A stable sort: cues that start together keep their reading order.
    this.cues = links.map((el, i) => [start(el), i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => links[i]);
    const n = this.cues.length;
    this.starts = Float64Array.from(this.cues, start);
    this.ends = new Float64Array(n);
    // reach[i]: the latest end of cues 0..i, which bounds the walk back
    // through cues that overlap (a description over a caption).
    this.reach = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const end = +this.cues[i].dataset.end;
      this.ends[i] = end > this.starts[i] ? end : (i + 1 < n ? this.starts[i + 1] : Infinity);
      this.reach[i] = Math.max(this.ends[i], i ? this.reach[i - 1] : -Infinity);
    }
  }

  /**
   * Position (in `cues`) of the cue at `time`: the latest-starting cue still
   * showing, else the last one that started (between cues the one just said
   * stays current), -1 before the first.
   */
  at(time) {
    const last = lastAtOrBefore(this.starts, time);
    for (let i = last; i >= 0 && this.reach[i] > time; i--) {
      if (this.ends[i] > time) return i;
    }
    return last;
  }
}

class Transcript {
  constructor(player, section, body, links) {
    this.player = player;
    this.media = player.media;
    this.section = section;
    this.body = body;
    this.links = links;
    this.index = new CueIndex(links);
    this.current = -1;
    this.following = true;
    this.scrolledTo = body.scrollTop;
    this.query = '';
    this.matches = [];
    this.at = -1;
    this.buildTools();
    this.listen();
    this.update();
  }

  buildTools() {
    const t = this.player.t;
    const id = `${this.player.uid}-transcript-search`;
    const step = (cls, label, d, by) => h('button', {
      type: 'button', class: `ap-transcript-step ${cls}`, 'aria-label': t(label), disabled: true, onclick: () => this.step(by),
    }, icon(d));
    this.input = h('input', {
      type: 'search', id, class: 'ap-transcript-query', autocomplete: 'off', spellcheck: 'false',
      oninput: () => this.searchSoon(), onkeydown: (e) => this.searchKey(e),
      onfocus: () => withModule('transcript-search', undefined, true),
    });
    this.previous = step('ap-previous', 'Previous match', CHEVRON_UP, -1);
    this.next = step('ap-next', 'Next match', CHEVRON_DOWN, 1);
    this.count = h('span', { class: 'ap-transcript-count', role: 'status' });
    this.resumeButton = h('button', {
      type: 'button', class: 'ap-transcript-resume', hidden: true, text: t('Resume auto-scroll'), onclick: () => this.resume(),
    });
    // The player's words: the page may be in another language.
    this.body.before(h('div', { class: 'ap-transcript-tools', lang: this.player.lang },
      h('label', { for: id, text: t('Search transcript') }), this.input, this.previous, this.next, this.count, this.resumeButton));
  }

  listen() {
    const { body, media } = this;
    media.addEventListener('timeupdate', () => this.update());
    media.addEventListener('seeking', () => this.update());
    body.addEventListener('click', (e) => this.seekTo(e));
    // What the viewer does to scroll; the scroll event alone catches the scrollbar.
    body.addEventListener('wheel', () => this.pause(), { passive: true });
    body.addEventListener('touchmove', () => this.pause(), { passive: true });
    body.addEventListener('focusin', () => this.pause());
    body.addEventListener('scroll', () => {
      if (Math.abs(body.scrollTop - this.scrolledTo) > SCROLL_SLACK) this.pause();
    }, { passive: true });
    this.player.on(EVENT.TRANSCRIPT, ({ shown }) => {
      if (!shown) return;
      this.scrolledTo = body.scrollTop;
      if (this.following) this.reveal(this.index.cues[this.current]);
    });
  }

  /** Mark the cue at the media's time; touches no element unless the cue changed. */
  update() {
    const next = this.index.at(this.media.currentTime);
    if (next === this.current) return;
    const cues = this.index.cues;
    cues[this.current]?.removeAttribute('aria-current');
    cues[next]?.setAttribute('aria-current', 'true');
    this.current = next;
    if (this.following) this.reveal(cues[next]);
  }

  /** Scroll the transcript box (not the page) so `el` is in view, if it is not. */
  reveal(el, always = false) {
    const body = this.body;
    if (!el || !body.clientHeight) return;
    const box = body.getBoundingClientRect();
    const rect = el.getBoundingClientRect();
    if (!always && rect.top >= box.top && rect.bottom <= box.bottom) return;
    body.scrollTop += rect.top - box.top - body.clientHeight * SCROLL_TO;
    // Read back: the browser clamps at both ends.
    this.scrolledTo = body.scrollTop;
  }

  pause() {
    if (!this.following) return;
    this.following = false;
    this.resumeButton.hidden = false;
  }

  resume() {
    const hadFocus = document.activeElement === this.resumeButton;
    this.following = true;
    this.resumeButton.hidden = true;
    // The button disappears; the search box is the control just before it.
    if (hadFocus) this.input.focus();
    this.reveal(this.index.cues[this.current], true);
  }

  seekTo(e) {
    const cue = e.target.closest('.ap-transcript-cue');
    // Modified clicks keep their usual meaning (open the ?t= link elsewhere).
    if (!cue || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    this.player.request(REQUEST.SEEK, +cue.dataset.start || 0);
    // Marked now rather than at the 'seeking' event, so the cue lights up as it is chosen.
    this.update();
  }

  searchSoon() {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.search(), SEARCH_DELAY_MS);
  }

  searchKey(e) {
    if (e.key !== 'Enter' || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    this.search(() => this.step(e.shiftKey ? -1 : 1));
  }

  /**
   * Mark every match of the search box's text, then `then()`: at once when
   * the search code (transcript-search.js, fetched with the marks' styles
   * when the box is first focused) is here, so the answer comes with the key.
   */
  search(then) {
    clearTimeout(this.searchTimer);
    withModule('transcript-search', (finder) => {
      (this.finder = finder).search(this);
      then?.();
    }, true);
  }

  step(by) {
    // The buttons are enabled only once a search found matches, so the code is here.
    this.finder?.step(this, by);
  }
}

export default async function install(player) {
  const section = player.transcript;
  if (section && !section.isConnected) await (await import('./transcript-build.js')).default(player, section);
  const body = section?.querySelector('.ap-transcript-body');
  const links = body ? [...body.querySelectorAll('.ap-transcript-cue[data-start]')] : [];
  if (!links.length) return;
  new Transcript(player, section, body, links);
}
