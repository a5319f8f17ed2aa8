// Small DOM helpers shared by the player's modules.

/**
 * Create an element. Props: `class`, `text`, `on<event>` listeners, anything
 * else becomes an attribute (`true` → empty attribute, null/false → skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  el.append(...children.flat(Infinity).filter((c) => c != null));
  return el;
}

// Icons are drawn on a 24×24 grid and always decorative: the button names them.
export function icon(d, cls = '') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'ap-icon ' + cls);
  svg.innerHTML = `<path d="${d}"/>`;
  return svg;
}

const TABBABLE = 'button,[href],input,select,textarea,[tabindex]:not([tabindex="-1"])';

/** Keep Tab and Shift+Tab cycling inside `box` (modal dialogs, full screen). */
export function wrapTab(event, box) {
  if (event.key !== 'Tab') return;
  const stops = [...box.querySelectorAll(TABBABLE)]
    .filter((el) => !el.disabled && el.getClientRects().length && !el.closest('[inert],[hidden]'));
  if (!stops.length) return;
  const first = stops[0];
  const last = stops[stops.length - 1];
  const here = document.activeElement;
  const leaving = event.shiftKey ? here === first || here === box : here === last;
  if (leaving || !box.contains(here)) {
    event.preventDefault();
    (event.shiftKey ? last : first).focus();
  }
}

export const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
