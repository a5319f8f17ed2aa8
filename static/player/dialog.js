// A modal dialog inside the player: focus moves in (to the dialog itself, so
// its name is heard first), stays in (Tab wraps) and returns to whatever
// opened it when it closes (Escape included). Most of what it says comes
// with settings.js, and its styles with extras.css, which only someone
// reaching for the player downloads (player.js fetches them early); other
// modules and plugins may add their own sections to `body` at any time.
import { h } from './dom.js';
import { wrapTab } from './focus.js';
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
    // Escape while it waits for its code: the viewer no longer wants it.
    p.el.addEventListener('keydown', (e) => { if (e.key == 'Escape') this.asked = null; });
  }

  open() {
    this.p.openMenu?.close(false);
    const opener = document.activeElement;
    const asked = this.asked = {};
    // Shown complete and styled, or not at all when that cannot load; not
    // either once the viewer pressed Escape or moved focus while it loaded.
    return withModule('settings', (content) => {
      if (this.asked != asked || document.activeElement != opener) return;
      if (!this.built) {
        this.built = true;
        this.onOpen = content[this.name](this);
      }
      this.onOpen?.();
      if (this.el.open) return;
      this.opener = opener;
      this.el.showModal();
      this.el.focus();
    }, true);
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
