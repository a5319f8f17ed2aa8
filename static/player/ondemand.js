// Modules the player loads on demand (menu lists, what shortcut keys do, the
// dialogs' content, the resume offer, transcript search, progress reports):
// each fetched once and shared by whoever asks for it; and extras.css, the
// styles of what they build.
import { h } from './dom.js';

const modules = {};
// extras.css: a promise while it loads, true once it applies.
let sheet;

/**
 * Add extras.css once, after player.css so its rules win ties. Returns true
 * once it applies, else a promise that resolves when it does or rejects when
 * it cannot load (a later call adds it again).
 */
function styles() {
  return sheet ??= new Promise((resolve, reject) => {
    const url = (name) => new URL(name, import.meta.url).href;
    const link = h('link', {
      rel: 'stylesheet', href: url('extras.css'),
      onload: () => resolve(sheet = true),
      onerror: () => {
        link.remove();
        sheet = null;
        reject();
      },
    });
    const core = [...document.querySelectorAll('link')].find((el) => el.href == url('player.css'));
    if (core) core.after(link);
    else document.head.append(link);
  });
}

/**
 * Call `use(module)` with ./<name>.js (and, when `styled`, once extras.css
 * has applied or failed, so what it builds does not show unstyled while the
 * sheet is on its way): at once when both are here, so a key or a click acts
 * as if the code had always been here; else as soon as they arrive, in the
 * order asked; never when the module cannot load (a later call tries again).
 * A sheet that cannot load (a host's CSP, a network fault) stops nothing: a
 * plain menu or dialog still works, and the next call fetches the sheet again.
 * Returns what `use` returns, or a promise.
 */
export function withModule(name, use = () => {}, styled) {
  const got = modules[name] ??= import(`./${name}.js`).then((m) => (modules[name] = m), () => { delete modules[name]; });
  let css = styled && styles();
  if (css instanceof Promise) css = css.catch(() => {});
  return got instanceof Promise || css instanceof Promise
    ? Promise.all([got, css]).then(([m]) => m && use(m), () => {})
    : use(got);
}
