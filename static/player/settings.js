// The settings dialog. Its caption style section applies every change at
// once (to the captions and the preview) and saves it; reset says what it
// did. Plugins may append their own sections to `body`.
import { h } from './dom.js';
import { Dialog } from './dialog.js';
import { STYLE_CHOICES, STYLE_DEFAULTS } from './captions.js';

const FIELDS = {
  size: 'Text size', color: 'Text colour', background: 'Background colour',
  opacity: 'Background opacity', font: 'Font', edge: 'Text edge',
};

export class Settings extends Dialog {
  constructor(player) {
    const t = player.t;
    const reset = h('button', { type: 'button', text: t('Reset to defaults') });
    super(player, t('Settings'));
    this.el.classList.add('ap-settings');
    this.note = h('p', { role: 'status', class: 'ap-note' });
    this.selects = {};
    const rows = Object.entries(FIELDS).map(([name, label]) => {
      const id = `${player.uid}-${name}`;
      this.selects[name] = h('select', { id, onchange: () => this.change() },
        Object.keys(STYLE_CHOICES[name]).map((choice) => h('option', { value: choice, text: t(choice) })));
      return h('p', { class: 'ap-field' }, h('label', { for: id, text: t(label) }), this.selects[name]);
    });
    this.body.append(h('section', { class: 'ap-style' },
      h('h3', { text: t('Caption style') }),
      ...rows,
      h('div', { class: 'ap-preview', 'aria-hidden': 'true' }, h('span', { class: 'ap-cue', text: t('Captions look like this.') })),
      h('p', { class: 'ap-actions' }, reset),
      this.note));
    reset.addEventListener('click', () => {
      this.player.captions.style({});
      this.show();
      this.note.textContent = t('Caption style reset to the defaults.');
    });
  }

  open() {
    this.show();
    super.open();
  }

  show() {
    const current = this.player.captions.current;
    for (const [name, select] of Object.entries(this.selects)) select.value = current[name];
    this.note.textContent = '';
  }

  change() {
    const choices = {};
    for (const [name, select] of Object.entries(this.selects)) {
      if (select.value !== STYLE_DEFAULTS[name]) choices[name] = select.value;
    }
    this.player.captions.style(choices);
    this.note.textContent = '';
  }
}
