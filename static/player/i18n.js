// UI strings. Keys are the English text, so English needs no catalog (en.js
// holds only its plural forms) and a missing translation falls back to
// English; an entry may be an object of plural forms, chosen with
// Intl.PluralRules by the `n` variable.
import en from './i18n/en.js';

const CATALOGS = { uk: () => import('./i18n/uk.js') };

export class I18n {
  /** The catalog for `lang` ("uk-UA" → "uk"); English when there is none. */
  static async load(lang) {
    const code = lang.toLowerCase().split('-')[0];
    return CATALOGS[code] ? new I18n(code, (await CATALOGS[code]()).default) : new I18n('en', en);
  }

  constructor(lang, catalog) {
    Object.assign(this, { lang, catalog, plural: new Intl.PluralRules(lang) });
  }

  t(key, vars = {}) {
    let text = this.catalog[key] ?? en[key] ?? key;
    if (typeof text == 'object') text = text[this.plural.select(vars.n)] ?? text.other;
    return text.replace(/\{(\w+)\}/g, (whole, name) => vars[name] ?? whole);
  }
}
