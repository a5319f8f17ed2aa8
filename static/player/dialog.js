// A modal dialog inside the player: focus moves in, stays in (Tab wraps),
// and returns to whatever opened it when it closes (Escape included).
import { h, wrapTab } from './dom.js';

let count = 0;

export class Dialog {
  constructor(player, title, ...actions) {
    const id = `ap-dialog-${++count}`;
    this.body = h('div', { class: 'ap-dialog-body' });
    this.el = h('dialog', {
      class: 'ap-dialog', 'aria-labelledby': id,
      onkeydown: (e) => wrapTab(e, this.el),
      onclose: () => this.opener?.focus(),
    },
    h('h2', { id, text: title }),
    this.body,
    h('div', { class: 'ap-actions' }, ...actions,
      h('button', { type: 'button', text: player.t('Close'), onclick: () => this.el.close() })));
    this.player = player;
    player.el.append(this.el);
  }

  open() {
    this.player.openMenu?.close(false);
    this.opener = document.activeElement;
    this.el.showModal();
  }
}
