// A menu button with a list of radio-like choices (ARIA menu + menuitemradio):
// arrow keys, Home and End move, Enter or Space choose, Escape closes; focus
// goes back to the button whenever the menu closes from inside.
import { h } from './dom.js';

export class Menu {
  /**
   * @param p the Player (one menu open at a time: p.openMenu)
   * @param name the button's and the menu's accessible name
   * @param cls the button's extra class
   * @param content what the button shows
   * @param items () => [[label, value, checked]], read each time it opens
   * @param select (value) => void
   */
  constructor(p, name, cls, content, items, select) {
    Object.assign(this, { p, items, select });
    this.button = h('button', {
      type: 'button', class: `ap-btn ${cls}`, 'aria-label': name, 'aria-haspopup': 'true', 'aria-expanded': 'false',
      onclick: () => (this.list.hidden ? this.open() : this.close()),
      onkeydown: (e) => {
        const to = { ArrowDown: 0, ArrowUp: -1 }[e.key];
        if (to != null) {
          e.preventDefault();
          this.open(to);
        }
      },
    }, content);
    this.list = h('ul', { role: 'menu', 'aria-label': name, class: 'ap-menu-list', hidden: true, onkeydown: (e) => this.key(e) });
    this.el = h('div', { class: 'ap-menu', onfocusout: (e) => this.el.contains(e.relatedTarget) || this.close(false) },
      this.button, this.list);
  }

  /** Open with focus on the checked item, or on item `at` (-1 is the last). */
  open(at) {
    this.p.openMenu?.close(false);
    this.p.openMenu = this;
    const items = this.items();
    this.list.replaceChildren(...items.map(([label, value, checked]) => h('li', { role: 'none' }, h('button', {
      type: 'button', role: 'menuitemradio', tabindex: -1, 'aria-checked': !!checked + '',
      onclick: () => {
        this.close();
        this.select(value);
      },
    }, label))));
    this.list.hidden = false;
    this.button.ariaExpanded = 'true';
    // Opened flush with the button's right edge, then slid back inside the
    // viewport, so a menu is never cut off at 320 px.
    this.list.style.right = '';
    const { left, right } = this.list.getBoundingClientRect();
    this.list.style.right = `${Math.min(0, left - 4) || Math.max(0, right - innerWidth + 4)}px`;
    this.move(at ?? Math.max(0, items.findIndex((item) => item[2])));
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
