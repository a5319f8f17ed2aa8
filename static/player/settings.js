// What the player's two dialogs (dialog.js) say, loaded only for someone
// reaching for the player.
//
// Settings: the caption style, applied at once to the captions and the
// preview (as the --ap-cap-* properties player.css uses) and saved; reset
// says what it did.
//
// Keyboard shortcuts: the table of keys, and the switch for the character keys.
import { EVENT } from './constants.js';
import { h } from './dom.js';

const percents = (...list) => Object.fromEntries(list.map((n) => [`${n}%`, n / 100]));
const COLOURS = {
  White: '255 255 255', Yellow: '255 255 0', Cyan: '0 255 255', Green: '0 255 0',
  Magenta: '255 0 255', Red: '255 0 0', Blue: '0 0 255', Black: '0 0 0',
};
const SANS = 'system-ui, Arial, sans-serif';

// Each setting: its --ap-cap-<key> property, label, default (player.css's
// fallback, so it needs no property) and choices, shown name → CSS value.
const STYLE = {
  size: ['Text size', '100%', percents(50, 75, 100, 125, 150, 175, 200)],
  color: ['Text colour', 'White', COLOURS],
  bg: ['Background colour', 'Black', COLOURS],
  opacity: ['Background opacity', '75%', percents(0, 25, 50, 75, 100)],
  // Values for the `font` shorthand, whose size the cue's own font-size overrides.
  font: ['Font', 'Sans-serif', {
    'Sans-serif': `1em ${SANS}`, Serif: '1em Georgia, "Times New Roman", serif',
    Monospace: '1em ui-monospace, "DejaVu Sans Mono", monospace', Casual: '1em "Comic Sans MS", "Comic Neue", cursive',
    'Small capitals': `small-caps 1em ${SANS}`,
  }],
  edge: ['Text edge', 'None', {
    None: 'none', Outline: '-1px -1px #000, 1px -1px #000, -1px 1px #000, 1px 1px #000',
    'Drop shadow': '.06em .06em .1em #000', Raised: '-1px -1px #fff9, 1px 1px #000', Depressed: '1px 1px #fff9, -1px -1px #000',
  }],
};

const KEYS = [
  ['Space K', 'Play or pause'],
  ['← →', 'Back or forward 5 seconds'],
  ['J L', 'Back or forward 10 seconds'],
  ['↑ ↓', 'Volume up or down'],
  ['Home End', 'Go to the start or the end'],
  ['0–9', 'Jump to 0% to 90%'],
  ['M', 'Mute or unmute'],
  ['C', 'Captions on or off'],
  ['D', 'Descriptions on or off'],
  ['T', 'Show or hide the transcript'],
  ['F', 'Full screen on or off'],
  ['< >', 'Slower or faster'],
  ['?', 'Show this list'],
];

export function settings(d) {
  const p = d.p;
  const t = p.t;
  const saved = p.prefs.get('captionCss', {});
  const selects = {};
  const note = h('p', { role: 'status', class: 'ap-note' });
  const apply = () => {
    const css = {};
    for (const [key, [, initial, choices]] of Object.entries(STYLE)) {
      const name = selects[key].value;
      if (name == initial) p.el.style.removeProperty(`--ap-cap-${key}`);
      else p.el.style.setProperty(`--ap-cap-${key}`, css[key] = choices[name]);
    }
    p.prefs.set('captionCss', css);
    note.textContent = '';
  };
  // First, before the sections other modules and plugins added.
  d.body.prepend(h('section', { class: 'ap-style' },
    h('h3', { text: t('Caption style') }),
    Object.entries(STYLE).map(([key, [label, initial, choices]]) => {
      const id = `${p.uid}-${key}`;
      const names = Object.keys(choices);
      selects[key] = h('select', { id, onchange: apply }, names.map((name) => h('option', { value: name, text: t(name) })));
      selects[key].value = names.find((name) => choices[name] == saved[key]) || initial;
      return h('p', { class: 'ap-field' }, h('label', { for: id, text: t(label) }), selects[key]);
    }),
    h('div', { class: 'ap-preview', 'aria-hidden': 'true' }, h('span', { class: 'ap-cue', text: t('Captions look like this.') })),
    h('p', { class: 'ap-actions' }, h('button', {
      type: 'button', text: t('Reset to defaults'),
      onclick: () => {
        for (const key in STYLE) selects[key].value = STYLE[key][1];
        apply();
        note.textContent = t('Caption style reset to the defaults.');
      },
    })),
    note));
  if (p.described && window.speechSynthesis) speech(d, t);
  if (p.progress) history(d.body, p.progress, t);
  return () => { note.textContent = ''; };
}

/** How descriptions are said, read by the descriptions plugin at each cue
 * ('speech' tells it when speaking is turned on or off). */
function speech(d, t) {
  const p = d.p;
  const hint = `${p.uid}-hint`;
  const speaking = p.prefs.get('speakDescriptions');
  const extended = d.check('extendedDescriptions', p.prefs.get('extendedDescriptions'), t('Extended descriptions'), null,
    { disabled: !speaking, 'aria-describedby': hint });
  d.body.append(h('section', {},
    h('h3', { text: t('Descriptions') }),
    d.check('speakDescriptions', speaking, t('Speak descriptions'), (on) => {
      extended.firstChild.disabled = !on;
      p.emit(EVENT.SPEECH);
    }),
    extended,
    h('p', { id: hint, class: 'ap-hint', text: t('Pauses the media while each description is spoken.') })));
}

/**
 * Erase the viewer's history on the server, then what the player keeps of
 * it (progress.js's state, here rather than there: only this dialog asks).
 * Resolves to the number of records erased.
 */
async function forget(pr) {
  const response = await fetch(new URL('/api/viewer/history', pr.url), { method: 'DELETE', headers: pr.headers() });
  if (!response.ok) throw new Error(`history not erased (${response.status})`);
  // What played so far stays out of reports, also of a reporter still to come.
  pr.forgotten = pr.media.played;
  pr.reporter?.forget();
  pr.dismiss();
  pr.renew();
  return (await response.json()).erased;
}

/** "Forget my viewing history", for a player whose progress plugin runs. */
function history(body, progress, t) {
  const note = h('p', { role: 'status', class: 'ap-note' });
  const button = h('button', {
    type: 'button', text: t('Forget my viewing history'),
    onclick: async () => {
      note.textContent = '';
      try {
        await forget(progress);
        note.textContent = t('Your viewing history has been forgotten.');
      } catch {
        note.textContent = t('Your viewing history could not be forgotten. Try again later.');
      }
    },
  });
  body.append(h('section', { class: 'ap-history' },
    h('h3', { text: t('Viewing history') }),
    h('p', { text: t('This player remembers where you stopped so you can resume.') }),
    h('p', { class: 'ap-actions' }, button),
    note));
}

export function shortcuts(d) {
  const p = d.p;
  const t = p.t;
  d.body.append(
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('Key') }), h('th', { scope: 'col', text: t('Action') }))),
      h('tbody', {}, KEYS.map(([keys, action]) => h('tr', {},
        // "Space K" is two keys, "0–9" a range of them.
        h('td', {}, keys.split(/([ –])/).map((key, i) => (i % 2 ? key : h('kbd', { text: t(key) })))),
        h('td', { text: t(action) }))))),
    d.check('shortcuts', p.keyboard.enabled, t('Single-key shortcuts (letters, digits and symbols)'), (on) => { p.keyboard.enabled = on; }));
}
