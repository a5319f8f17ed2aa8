// A caption file's STYLE blocks, applied to the player's caption overlay
// only. The browser's own CSS parser reads them into a sheet that is never
// applied (so nothing in it can load or match anything); each rule whose
// selectors are all ::cue(...) selectors this module understands is rebuilt
// under the player's overlay from checked parts, and only the properties
// the CSS spec allows on cues are copied, through the CSSOM (no text of the
// file is ever pasted into CSS), minus any value that could load something.
// The viewer's own caption settings (the --ap-cap-* properties the settings
// dialog sets on the player) win over the file's.

// Properties the CSS pseudo-elements spec allows on ::cue, as longhand prefixes.
const ALLOWED = /^(color|opacity|visibility|text-decoration|text-shadow|background|outline|font|line-height|white-space|white-space-collapse|text-wrap|text-wrap-mode|text-combine-upright|ruby-position)(-|$)/;
// Values that could fetch something or read from outside the cue.
const UNSAFE = /url\(|image|element\(|src\(|paint\(|var\(|env\(|attr\(|\\|@|expression/i;
const IDENT = /^-?[_a-zA-Z][\w-]*$/;
const TAGS = ['c', 'i', 'b', 'u', 'v', 'lang', 'ruby', 'rt'];
// What the viewer's settings set, and the declarations that then win (as player.css computes them).
const VIEWER = [
  ['font', 'font: var(--ap-cap-font, 1em system-ui, Arial, sans-serif) !important; font-size: calc(var(--ap-cap-size, 1) * var(--ap-cap-base, 1.25rem)) !important'],
  ['size', 'font-size: calc(var(--ap-cap-size, 1) * var(--ap-cap-base, 1.25rem)) !important'],
  ['color', 'color: rgb(var(--ap-cap-color, 255 255 255) / var(--ap-cap-text-opacity, 1)) !important'],
  ['text-opacity', 'color: rgb(var(--ap-cap-color, 255 255 255) / var(--ap-cap-text-opacity, 1)) !important'],
  ['edge', 'text-shadow: var(--ap-cap-edge, none) !important'],
  ['bg', 'background: rgb(var(--ap-cap-bg, 0 0 0) / var(--ap-cap-opacity, .75)) !important'],
  ['opacity', 'background: rgb(var(--ap-cap-bg, 0 0 0) / var(--ap-cap-opacity, .75)) !important'],
];

/** The CSS text of a file's STYLE blocks (those before the first cue). */
export function styleBlocks(text) {
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n[^\S\n]*\n/);
  const css = [];
  for (const block of blocks.slice(1)) {
    if (block.includes('-->')) break;
    if (/^STYLE[^\S\n]*\n/.test(block.trimStart())) css.push(block.trimStart().replace(/^STYLE[^\S\n]*\n/, ''));
  }
  return css.join('\n');
}

/**
 * One ::cue selector as a selector inside the overlay of the player with
 * id `scope`, or null when it is anything else.
 */
export function translate(selector, scope) {
  const found = selector.trim().match(/^(?:video)?::cue(?:\((.*)\))?$/s);
  if (!found) return null;
  const root = `#${CSS.escape(scope)} .ap-captions .ap-cue`;
  if (found[1] == null) return root;
  const inner = found[1].trim();
  const id = inner.match(/^#(.+)$/);
  if (id) return /^[^\s>+~,()[\]]+$/.test(id[1]) ? `#${CSS.escape(scope)} .ap-captions [data-id="${CSS.escape(unescape(id[1]))}"] .ap-cue` : null;
  const parts = [];
  for (const piece of inner.split(/\s*(>)\s*|\s+/).filter(Boolean)) {
    if (piece == '>') {
      parts.push('>');
      continue;
    }
    const compound = compoundOf(piece);
    if (compound == null) return null;
    parts.push(compound);
  }
  // ::cue(x) matches x among the cue's own elements, the cue itself too.
  const chain = parts.join(' ');
  return `${root}:is(${chain}), ${root} ${chain}`;
}

function unescape(text) {
  return text.replace(/\\(.)/g, '$1');
}

// One compound selector inside ::cue(): a tag, .classes, [voice=...], :lang(), :past, :future.
function compoundOf(piece) {
  let rest = piece;
  let out = '';
  const tag = rest.match(/^[a-z]+/);
  if (tag) {
    if (!TAGS.includes(tag[0])) return null;
    out += `[data-k="${tag[0]}"]`;
    rest = rest.slice(tag[0].length);
  }
  while (rest) {
    let m;
    if ((m = rest.match(/^\.(-?[_a-zA-Z][\w-]*)/))) out += `[data-c~="${CSS.escape(m[1])}"]`;
    else if ((m = rest.match(/^\[voice(?:=("([^"\\]*)"|'([^'\\]*)'|(-?[_a-zA-Z][\w-]*)))?\]/))) {
      const name = m[2] ?? m[3] ?? m[4];
      out += name == null ? '[data-voice]' : `[data-voice="${CSS.escape(name)}"]`;
    } else if ((m = rest.match(/^:lang\(\s*([a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*)\s*\)/))) out += `:lang(${m[1]})`;
    else if ((m = rest.match(/^:(past|future)/))) out += `[data-t="${m[1]}"]`;
    else return null;
    rest = rest.slice(m[0].length);
  }
  return out || null;
}

/**
 * Apply the STYLE blocks of a file's `text` to the overlay of `player` (its
 * element). Returns an object whose remove() takes them away, or null when
 * the file has none.
 */
export function cueSheet(text, player) {
  const css = styleBlocks(text);
  if (!css.trim()) return null;
  const parsed = new CSSStyleSheet();
  try {
    parsed.replaceSync(css);
  } catch {
    return null;
  }
  const sheet = new CSSStyleSheet();
  for (const rule of parsed.cssRules) {
    if (!(rule instanceof CSSStyleRule)) continue;
    const selectors = splitSelectors(rule.selectorText).map((one) => translate(one, player.id));
    if (!selectors.length || selectors.includes(null)) continue;
    const declarations = [];
    for (const name of rule.style) {
      const value = rule.style.getPropertyValue(name);
      if (ALLOWED.test(name) && !UNSAFE.test(value)) declarations.push([name, value]);
    }
    if (!declarations.length) continue;
    const index = sheet.insertRule(`${selectors.join(', ')} {}`, sheet.cssRules.length);
    for (const [name, value] of declarations) sheet.cssRules[index].style.setProperty(name, value);
  }
  // The viewer's settings, where set, over the file's (on the cue and all inside it).
  const scope = `#${CSS.escape(player.id)}`;
  for (const [name, declarations] of VIEWER) {
    const at = `${scope}[style*="--ap-cap-${name}:"] .ap-captions`;
    sheet.insertRule(`${at} .ap-cue, ${at} .ap-cue * { ${declarations} }`, sheet.cssRules.length);
  }
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  return {
    remove() {
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
    },
  };
}

// Selectors separated by top-level commas (not those inside parentheses or quotes).
function splitSelectors(text) {
  const out = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch == '\\') i++;
      else if (ch == quote) quote = '';
    } else if (ch == '"' || ch == "'") quote = ch;
    else if (ch == '(') depth++;
    else if (ch == ')') depth--;
    else if (ch == ',' && !depth) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
