// Small DOM helpers shared by the player's modules.

/**
 * Create an element. Props: `class`, `text`, `on<event>` listeners, anything
 * else becomes an attribute (`true` → empty attribute, null/false → skipped).
 * Children may be nested arrays; null, undefined and false ones are left out.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key == 'class') el.className = value;
    else if (key == 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  el.append(...children.flat(9).filter((c) => c != null && c !== false));
  return el;
}

// Icons are one path on a 24×24 grid, stroked (player.css), always decorative: the button names them.
export function icon(d) {
  const box = document.createElement('i');
  box.innerHTML = `<svg class="ap-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="${d}"/></svg>`;
  return box.firstChild;
}
