// Modules the player loads on demand (menu lists, what shortcut keys do, the
// dialogs' content): each fetched once and shared by whoever asks for it.

const modules = {};

/**
 * Call `use(module)` with ./<name>.js: at once when it has loaded, so a key
 * or a click acts as if the code had always been here; else as soon as it
 * arrives, in the order asked; never when it cannot load (a later call
 * tries again). Returns what `use` returns, or a promise of it.
 */
export function withModule(name, use = () => {}) {
  const got = modules[name] ??= import(`./${name}.js`).then((m) => (modules[name] = m), () => { delete modules[name]; });
  return got instanceof Promise ? got.then((m) => m && use(m)) : use(got);
}
