// A modal dialog inside the player. Up front it is only a promise: the
// element itself, what it says (settings.js) and its styles (extras.css)
// come with the code that only someone reaching for the player downloads
// (player.js fetches it early), and are built at the first opening. Focus
// moves in (to the dialog itself, so its name is heard first), stays in
// (Tab wraps) and returns to whatever opened it when it closes (Escape
// included). Other modules and plugins may add their own sections to
// `body` at any time.
import { h } from './dom.js';
import { withModule } from './ondemand.js';

export class Dialog {
  /** `name`: the export of settings.js that fills it: (dialog) => optional function called at each opening. */
  constructor(p, title, name) {
    Object.assign(this, { p, title, name, body: h('div', { class: 'ap-dialog-body' }) });
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
      if (this.asked == asked && document.activeElement == opener) content.show(this, opener);
    }, true);
  }
}
