// What the player's two dialogs (dialog.js) say, and the dialogs
// themselves, loaded only for someone reaching for the player.
//
// Settings: every caption display setting of 47 CFR 79.103(c), applied at
// once to the captions and to a preview (as the --ap-cap-* properties
// player.css uses) and saved; each change and a reset said in the dialog's
// own status line (what is outside a modal dialog is inert, the player's
// status region too). Then the viewer's overrides of the file: where the
// captions sit and a timing offset (keys.js keeps and says them, also for
// its G and H keys).
//
// Keyboard shortcuts: the table of keys, and the switch for the character keys.
import { EVENT } from './constants.js';
import { h } from './dom.js';
import { wrapTab } from './focus.js';

const percents = (...list) => Object.fromEntries(list.map((n) => [`${n}%`, n / 100]));
const COLOURS = {
  White: '255 255 255', Yellow: '255 255 0', Cyan: '0 255 255', Green: '0 255 0',
  Magenta: '255 0 255', Red: '255 0 0', Blue: '0 0 255', Black: '0 0 0',
};
const SANS = 'system-ui, Arial, sans-serif';
const OPACITY = percents(0, 25, 50, 75, 100);

// Each setting: its --ap-cap-<key> property, label, default (player.css's
// fallback, so it needs no property) and choices, shown name → CSS value.
// The values of earlier versions' choices stay as they were, so saved
// styles still find their names.
const STYLE = {
  // Values for the `font` shorthand, whose size the cue's own font-size
  // overrides: the seven font categories of 79.103(c)(2).
  font: ['Font family', 'Proportional sans serif', {
    'Monospaced serif': '1em "Courier New", Courier, "Nimbus Mono PS", "FreeMono", monospace',
    'Proportional serif': '1em Georgia, "Times New Roman", serif',
    'Monospaced sans serif': '1em ui-monospace, "DejaVu Sans Mono", monospace',
    'Proportional sans serif': `1em ${SANS}`,
    Casual: '1em "Comic Sans MS", "Comic Neue", cursive',
    Cursive: '1em "Segoe Script", "Brush Script MT", "URW Chancery L", cursive',
    'Small capitals': `small-caps 1em ${SANS}`,
  }],
  size: ['Text size', '100%', percents(50, 75, 100, 125, 150, 175, 200)],
  color: ['Text colour', 'White', COLOURS],
  'text-opacity': ['Text opacity', '100%', percents(25, 50, 75, 100)],
  edge: ['Character edge', 'None', {
    None: 'none', Raised: '-1px -1px #fff9, 1px 1px #000', Depressed: '1px 1px #fff9, -1px -1px #000',
    Uniform: '-1px -1px #000, 1px -1px #000, -1px 1px #000, 1px 1px #000', 'Drop shadow': '.06em .06em .1em #000',
  }],
  bg: ['Background colour', 'Black', COLOURS],
  opacity: ['Background opacity', '75%', OPACITY],
  // The box behind a cue's lines.
  window: ['Window colour', 'Black', COLOURS],
  'window-opacity': ['Window opacity', '0%', OPACITY],
};
// Where captions sit (keys.js's overrides), by shown name.
const PLACES = { 'As authored': 'authored', 'Always at the bottom': 'bottom', 'Always at the top': 'top' };

const KEYS = [
  ['Space K', 'Play or pause'],
  ['← →', 'Back or forward 5 seconds'],
  ['J L', 'Back or forward 10 seconds'],
  ['↑ ↓', 'Volume up or down'],
  ['Home End', 'Go to the start or the end'],
  ['0–9', 'Jump to 0% to 90%'],
  ['M', 'Mute or unmute'],
  ['C', 'Captions on or off'],
  ['G H', 'Captions 0.1 seconds earlier or later'],
  ['D', 'Descriptions on or off'],
  ['T', 'Show or hide the transcript'],
  ['F', 'Full screen on or off'],
  ['< >', 'Slower or faster'],
  ['?', 'Show this list'],
];

/**
 * Open the dialog `d` (dialog.js) for `opener`, building it the first time:
 * the element, then its content from this module's export named `d.name`.
 */
export function show(d, opener) {
  const p = d.p;
  if (!d.el) {
    const id = `${p.uid}-${d.name}-title`;
    d.el = h('dialog', {
      class: 'ap-dialog', 'aria-labelledby': id, tabindex: -1,
      onkeydown: (e) => wrapTab(e, d.el),
      onclose: () => d.opener?.focus(),
    },
    h('h2', { id, text: d.title }),
    d.body,
    h('div', { class: 'ap-actions' }, h('button', { type: 'button', text: p.t('Close'), onclick: () => d.el.close() })));
    p.el.append(d.el);
    d.onOpen = { settings, shortcuts }[d.name](d);
  }
  d.onOpen?.();
  if (d.el.open) return;
  d.opener = opener;
  d.el.showModal();
  d.el.focus();
}

/** A checkbox of the dialog `d` saved as the preference `pref`, checked when `on`; `change(checked)` after each change. */
function check(d, pref, on, label, change, extra) {
  const p = d.p;
  const box = h('input', {
    type: 'checkbox', id: `${p.uid}-${pref}`, checked: !!on, ...extra,
    onchange: () => {
      p.prefs.set(pref, box.checked);
      change?.(box.checked);
    },
  });
  return h('p', { class: 'ap-check' }, box, h('label', { for: box.id, text: label }));
}

/** A labelled field of the dialog for `control`, whose id it gives. */
function field(p, key, label, control) {
  control.id = `${p.uid}-${key}`;
  return h('p', { class: 'ap-field' }, h('label', { for: control.id, text: label }), control);
}

export function settings(d) {
  const p = d.p;
  const t = p.t;
  const saved = p.prefs.get('captionCss', {});
  const selects = {};
  const note = h('p', { role: 'status', class: 'ap-note' });
  const say = (text) => { note.textContent = text; };
  // The overrides live in keys.js, which came with this module (the same
  // module instance ondemand.js holds); `words`, said at once, instead of
  // what keys.js says about the change.
  const keys = (use) => import('./keys.js').then(use, () => {});
  const override = (change, words) => {
    if (words) say(words);
    keys((k) => {
      const said = k.override(p, change);
      current();
      if (!words) say(said);
    });
  };
  const apply = () => {
    const css = {};
    for (const [key, [, initial, choices]] of Object.entries(STYLE)) {
      const name = selects[key].value;
      if (name == initial) p.el.style.removeProperty(`--ap-cap-${key}`);
      else p.el.style.setProperty(`--ap-cap-${key}`, css[key] = choices[name]);
    }
    p.prefs.set('captionCss', css);
  };
  const place = h('select', {
    onchange: () => override({ placement: PLACES[place.value] }, t('{setting}: {value}', { setting: t('Caption position'), value: t(place.value) })),
  },
    Object.keys(PLACES).map((name) => h('option', { value: name, text: t(name) })));
  const hint = `${p.uid}-offset-hint`;
  const offset = h('input', {
    type: 'number', min: -10, max: 10, step: 0.1, inputmode: 'decimal', 'aria-describedby': hint,
    onchange: () => override({ offset: +offset.value || 0 }),
  });
  // What the player uses now, also after the G and H keys.
  const current = () => keys((k) => {
    const now = k.overrides(p);
    place.value = Object.keys(PLACES).find((name) => PLACES[name] == now.placement);
    offset.value = now.offset;
  });
  // First, before the sections other modules and plugins added.
  d.body.prepend(h('section', { class: 'ap-style' },
    h('h3', { text: t('Caption style') }),
    Object.entries(STYLE).map(([key, [label, initial, choices]]) => {
      const names = Object.keys(choices);
      const select = selects[key] = h('select', {
        onchange: () => {
          apply();
          say(t('{setting}: {value}', { setting: t(label), value: t(select.value) }));
        },
      }, names.map((name) => h('option', { value: name, text: t(name) })));
      select.value = names.find((name) => choices[name] == saved[key]) || initial;
      return field(p, key, t(label), select);
    }),
    h('div', { class: 'ap-preview', 'aria-hidden': 'true' }, h('div', {}, h('span', { class: 'ap-cue', text: t('Captions look like this.') }))),
    h('h3', { text: t('Caption position and timing') }),
    field(p, 'placement', t('Caption position'), place),
    field(p, 'offset', t('Caption timing (seconds)'), offset),
    h('p', { id: hint, class: 'ap-hint', text: t('Above 0 shows captions later, below 0 earlier; G and H change it by 0.1 seconds.') }),
    h('p', { class: 'ap-actions' }, h('button', {
      type: 'button', text: t('Reset to defaults'),
      onclick: () => {
        for (const key in STYLE) selects[key].value = STYLE[key][1];
        apply();
        override({ placement: 'authored', offset: 0 }, t('Caption settings reset to the defaults.'));
      },
    })),
    note));
  if (p.described && window.speechSynthesis) speech(d, t);
  if (p.progress) history(d.body, p.progress, t);
  return () => {
    current();
    say('');
  };
}

/** How descriptions are said, read by the descriptions plugin at each cue
 * ('speech' tells it when speaking is turned on or off). */
function speech(d, t) {
  const p = d.p;
  const hint = `${p.uid}-hint`;
  const speaking = p.prefs.get('speakDescriptions');
  const extended = check(d, 'extendedDescriptions', p.prefs.get('extendedDescriptions'), t('Extended descriptions'), null,
    { disabled: !speaking, 'aria-describedby': hint });
  d.body.append(h('section', {},
    h('h3', { text: t('Descriptions') }),
    check(d, 'speakDescriptions', speaking, t('Speak descriptions'), (on) => {
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
    check(d, 'shortcuts', p.keyboard.enabled, t('Single-key shortcuts (letters, digits and symbols)'), (on) => { p.keyboard.enabled = on; }));
}
