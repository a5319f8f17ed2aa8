// A modal dialog inside the player: focus moves in (to the dialog itself, so
// its name is heard first), stays in (Tab wraps) and returns to whatever
// opened it when it closes (Escape included). Most of what it says, and its
// styles, come with settings.js, which only someone reaching for the player
// downloads (player.js fetches it early); other modules and plugins may add
// their own sections to `body` at any time.
import { h, wrapTab } from './dom.js';
import { withModule } from './ondemand.js';

export class Dialog {
  /** `name`: the export of settings.js that fills it: (dialog) => optional function called at each opening. */
  constructor(p, title, name) {
    const id = `${p.uid}-${name}-title`;
    Object.assign(this, { p, name, body: h('div', { class: 'ap-dialog-body' }) });
    this.el = h('dialog', {
      class: 'ap-dialog', 'aria-labelledby': id, tabindex: -1,
      onkeydown: (e) => wrapTab(e, this.el),
      onclose: () => this.opener?.focus(),
    },
    h('h2', { id, text: title }),
    this.body,
    h('div', { class: 'ap-actions' }, h('button', { type: 'button', text: p.t('Close'), onclick: () => this.el.close() })));
    p.el.append(this.el);
  }

  open() {
    this.p.openMenu?.close(false);
    this.opener = document.activeElement;
    // Shown complete and styled (settings.js brings both), or not at all when it cannot load.
    return withModule('settings', (content) => {
      if (!this.built) {
        this.built = true;
        this.onOpen = content[this.name](this);
      }
      this.onOpen?.();
      if (this.el.open) return;
      this.el.showModal();
      this.el.focus();
    });
  }

  /** A checkbox saved as the preference `pref`, checked when `on`; `change(checked)` after each change. */
  check(pref, on, label, change, extra) {
    const p = this.p;
    const box = h('input', {
      type: 'checkbox', id: `${p.uid}-${pref}`, checked: !!on, ...extra,
      onchange: () => {
        p.prefs.set(pref, box.checked);
        change?.(box.checked);
      },
    });
    return h('p', { class: 'ap-check' }, box, h('label', { for: box.id, text: label }));
  }
}
