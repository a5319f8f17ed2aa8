// Single-key shortcuts (the table in settings.js's KEYS), active only while focus is
// inside the player. What each key does is in keys.js, fetched when the
// pointer or focus first comes to the player; a key pressed while it loads
// acts once it is here. The "Keyboard shortcuts" dialog lists them and turns
// the character keys off (WCAG 2.1.4); its content is in settings.js.
import { REQUEST } from './constants.js';
import { Dialog } from './dialog.js';
import { wrapTab } from './focus.js';
import { withModule } from './ondemand.js';

// Where every key belongs to the focused element, not to us (sliders keep
// only the keys they use; buttons and links Space and Enter).
const OWN_KEYS = 'input:not([type=range]),textarea,select,[contenteditable]';
// The keys keys.js acts on (character keys in lower case).
const SHORTCUTS = /^([ kjlmcghdtf<>?\d]|Arrow(Left|Right|Up|Down)|Home|End)$/;

export class Keyboard {
  constructor(p) {
    this.p = p;
    this.enabled = p.prefs.get('shortcuts', true);
    this.dialog = new Dialog(p, p.t('Keyboard shortcuts'), 'shortcuts');
    p.el.addEventListener('keydown', (e) => this.key(e));
  }

  key(e) {
    const p = this.p;
    const { key, target } = e;
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || target.closest('dialog,[role=menu]')) return;
    if (key == 'Tab') return p.state.fullscreen && wrapTab(e, p.el);
    if (key == 'Escape') return p.state.fullscreen && p.request(REQUEST.FULLSCREEN, false);
    if (target.matches(OWN_KEYS) || ((key == ' ' || key == 'Enter') && target.matches('button,[href]'))) return;
    if (target.type == 'range' && /^(Arrow|Page|Home|End)/.test(key)) return;
    const character = key.length == 1 && key != ' ';
    let shortcut = character ? key.toLowerCase() : key;
    // A non-Latin layout (Ukrainian) acts by the key's place: Л is K.
    if (key > '~') shortcut = e.code.match(/^Key(.)$/)?.[1].toLowerCase() || e.shiftKey && { Comma: '<', Period: '>' }[e.code] || shortcut;
    if ((character && !this.enabled) || !SHORTCUTS.test(shortcut)) return;
    e.preventDefault();
    // `?` asks for the dialog now, not once keys.js is here, so that an
    // Escape pressed while the dialog's code loads cancels it (dialog.js).
    if (shortcut == '?') p.request(REQUEST.SHORTCUTS);
    else withModule('keys', (keys) => keys.act(p, shortcut));
  }
}
