// A menu button with a list of radio-like choices (ARIA menu + menuitemradio):
// arrow keys, Home and End move, Enter or Space choose, Escape closes; focus
// goes back to the button whenever the menu closes from inside.
import { h } from './dom.js';

let count = 0;

export class Menu {
  /**
   * @param player the Player (one menu open at a time)
   * @param name the button's and the menu's accessible name
   * @param content what the button shows
   * @param items () => [{label, value, checked}], read each time it opens
   * @param select (value) => void
   */
  constructor(player, { name, content, items, select, cls = '' }) {
    const id = `ap-menu-${++count}`;
    Object.assign(this, { player, items, select, choices: [] });
    this.button = h('button', {
      type: 'button', class: `ap-btn ${cls}`, 'aria-label': name, 'aria-haspopup': 'true',
      'aria-expanded': 'false', 'aria-controls': id,
      onclick: () => (this.list.hidden ? this.open() : this.close()),
      onkeydown: (e) => {
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          this.open(e.key === 'ArrowUp' ? -1 : 0);
        }
      },
    }, content);
    this.list = h('ul', {
      role: 'menu', id, 'aria-label': name, class: 'ap-menu-list', hidden: true,
      onkeydown: (e) => this.key(e),
      onclick: (e) => {
        const item = e.target.closest('[role=menuitemradio]');
        if (item) this.choose(this.choices[item.dataset.i].value);
      },
    });
    this.el = h('div', { class: 'ap-menu', onfocusout: (e) => {
      if (!this.el.contains(e.relatedTarget)) this.close(false);
    } }, this.button, this.list);
  }

  /** Open with focus on the chosen item, or on item `at` (-1 is the last). */
  open(at) {
    this.player.openMenu?.close(false);
    this.player.openMenu = this;
    this.choices = this.items();
    this.list.replaceChildren(...this.choices.map(({ label, checked }, i) => h('li', { role: 'none' },
      h('button', { type: 'button', role: 'menuitemradio', tabindex: '-1', 'aria-checked': String(!!checked), 'data-i': i }, label))));
    this.list.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    // Opened flush with the button's right edge, then slid back inside the
    // viewport, so a menu is never cut off at 320 px.
    this.list.style.right = '';
    const { left, right } = this.list.getBoundingClientRect();
    const slide = Math.min(0, left - 4) || Math.max(0, right - (innerWidth - 4));
    if (slide) this.list.style.right = `${slide}px`;
    const checked = this.choices.findIndex((c) => c.checked);
    this.move(at ?? Math.max(0, checked));
  }

  close(returnFocus = true) {
    if (this.list.hidden) return;
    if (this.player.openMenu === this) this.player.openMenu = null;
    const hadFocus = this.list.contains(document.activeElement);
    this.list.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (returnFocus || hadFocus) this.button.focus();
  }

  choose(value) {
    this.close();
    this.select(value);
  }

  // Roving tabindex: the item with focus is the menu's one tab stop.
  move(to) {
    const items = [...this.list.querySelectorAll('[role=menuitemradio]')];
    const target = items[(to + items.length) % items.length];
    for (const item of items) item.tabIndex = item === target ? 0 : -1;
    target?.focus();
  }

  key(e) {
    const items = [...this.list.querySelectorAll('[role=menuitemradio]')];
    const here = items.indexOf(document.activeElement);
    const moves = { ArrowDown: here + 1, ArrowUp: here - 1, Home: 0, End: -1 };
    if (e.key in moves) this.move(moves[e.key]);
    else if (e.key === 'Escape') this.close();
    else if (e.key === 'Tab') {
      // Focus the button first, so Tab carries on from it to the next control.
      this.close();
      return;
    } else return;
    e.preventDefault();
    e.stopPropagation();
  }
}
