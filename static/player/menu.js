// The control bar's menus (captions language, chapters, playback speed): a
// menu button with a list of radio-like choices (ARIA menu + menuitemradio).
// Arrow keys, Home and End move, Enter or Space choose, Escape closes; focus
// goes back to the button whenever the menu closes from inside. The buttons
// are the control bar's (controls.js); this module, fetched with extras.css
// when the pointer or focus first comes to the player, makes and runs their lists.
import { RATES, REQUEST } from './constants.js';
import { h } from './dom.js';
import { clock } from './timefmt.js';

// Each menu: the request its choice makes (or a function given the value),
// and its items, [[label, value, checked]], read at each opening. Modules
// loaded on demand add theirs (quality.js).
export const MENUS = {
  captions: [REQUEST.CAPTIONS, (p) => [[p.t('Off'), '', !p.state.captions],
    ...p.captions.tracks.map((track) => [track.label || track.language, track.language, track == p.captions.active])]],
  chapters: [REQUEST.SEEK, (p) => {
    const now = p.controls.chapterNow();
    return [...p.tracks('chapters')[0].cues || []].map((cue) => [
      [h('span', { text: cue.text }), h('span', { class: 'ap-dim', text: clock(cue.startTime) })], cue.startTime, cue == now]);
  }],
  rate: [REQUEST.RATE, (p) => RATES.map((rate) => [rate == 1 ? p.t('Normal') : p.controls.rateText(rate), rate, rate == p.media.playbackRate])],
};

const made = new WeakMap();

/**
 * The menu of the control bar's `box` (its .ap-menu, holding the button),
 * made at first use: `kind` names its entry in MENUS.
 */
export function menu(p, kind, box) {
  if (!made.has(box)) made.set(box, new Menu(p, box, ...MENUS[kind]));
  return made.get(box);
}

class Menu {
  constructor(p, box, type, items) {
    Object.assign(this, { p, type, items, button: box.firstChild });
    this.list = h('ul', {
      role: 'menu', class: 'ap-menu-list', hidden: true, onkeydown: (e) => this.key(e),
    });
    box.append(this.list);
    box.addEventListener('focusout', (e) => box.contains(e.relatedTarget) || this.close(false));
  }

  /**
   * Do what the button was asked (controls.js), in order: a click opens or
   * closes; while closed, Enter or Space opens and an arrow key opens at the
   * first or last item; while open, keys act as in the menu (asked while
   * this module loaded, they were pressed on the button).
   */
  run(asked) {
    for (const what of asked) {
      const at = { ArrowDown: 0, ArrowUp: -1 }[what];
      const choose = what == 'Enter' || what == ' ';
      if (what == 'click') this.toggle();
      else if (this.list.hidden) {
        if (at != null || choose) this.open(at);
      } else if (choose) this.list.querySelector('[tabindex="0"]').click();
      else this.key({ key: what, preventDefault() {}, stopPropagation() {} });
    }
  }

  toggle() {
    if (this.list.hidden) this.open();
    else this.close();
  }

  /** Open with focus on the checked item, or on item `at` (-1 is the last). */
  open(at) {
    const p = this.p;
    p.openMenu?.close(false);
    p.openMenu = this;
    const items = this.items(p);
    this.list.replaceChildren(...items.map(([label, value, checked]) => h('li', { role: 'none' }, h('button', {
      type: 'button', role: 'menuitemradio', tabindex: -1, 'aria-checked': !!checked + '',
      onclick: () => {
        if (this.type.call) this.type(value, p);
        else p.request(this.type, value);
        // Shown now, not at the media's event: the button focus returns to
        // is heard with its new name (the speed it shows).
        p.sync();
        this.close();
      },
    }, label))));
    // Named as its button is now (the speed button's name says the speed).
    this.list.ariaLabel = this.button.ariaLabel;
    this.list.hidden = false;
    this.button.ariaExpanded = 'true';
    this.place();
    if (!this.placing) addEventListener('resize', this.placing = () => this.list.hidden || this.place());
    this.move(at ?? Math.max(0, items.findIndex((item) => item[2])));
  }

  // Flush with the button's right edge, then slid back inside the viewport,
  // so a menu is never cut off at 320 px, also when the window narrows; above
  // the button, or below it where there is more room, and no taller than that.
  place() {
    const style = this.list.style;
    style.right = style.top = style.bottom = '';
    const { top, bottom } = this.button.getBoundingClientRect();
    const below = innerHeight - bottom > top;
    if (below) Object.assign(style, { top: 'calc(100% + .25rem)', bottom: 'auto' });
    style.maxHeight = `min(19rem, ${Math.max(below ? innerHeight - bottom : top, 80) - 8}px)`;
    const { left, right } = this.list.getBoundingClientRect();
    style.right = `${Math.min(0, left - 4) || Math.max(0, right - innerWidth + 4)}px`;
  }

  close(focus = true) {
    if (this.list.hidden) return;
    this.p.openMenu = null;
    focus ||= this.list.contains(document.activeElement);
    this.list.hidden = true;
    this.button.ariaExpanded = 'false';
    if (focus) this.button.focus();
  }

  // Roving tabindex: the item with focus is the menu's one tab stop.
  move(to) {
    const items = [...this.list.querySelectorAll('button')];
    const target = items.at(to % items.length);
    for (const item of items) item.tabIndex = item == target ? 0 : -1;
    target?.focus();
  }

  key(e) {
    const items = [...this.list.querySelectorAll('button')];
    const here = items.indexOf(document.activeElement);
    const to = { ArrowDown: here + 1, ArrowUp: here - 1, Home: 0, End: -1 }[e.key];
    // Tab: focus goes back to the button first, so Tab carries on from it to the next control.
    if (e.key == 'Tab') return this.close();
    if (to != null) this.move(to);
    else if (e.key == 'Escape') this.close();
    else return;
    e.preventDefault();
    e.stopPropagation();
  }
}
