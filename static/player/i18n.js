// UI strings. Keys are the English text, so a missing translation falls back
// to English; a catalog entry may be an object of plural forms chosen with
// Intl.PluralRules by the `n` variable.
import en from './i18n/en.js';

const CATALOGS = { uk: () => import('./i18n/uk.js') };

export class I18n {
  /** The catalog for `lang` ("uk-UA" → "uk"); English when there is none. */
  static async load(lang) {
    const code = (lang || 'en').toLowerCase().split('-')[0];
    if (!CATALOGS[code]) return new I18n('en', en);
    return new I18n(code, (await CATALOGS[code]()).default);
  }

  constructor(lang, catalog) {
    this.lang = lang;
    this.catalog = catalog;
    this.plural = new Intl.PluralRules(lang);
    this.number = new Intl.NumberFormat(lang);
  }

  t(key, vars = {}) {
    let text = this.catalog[key] ?? en[key] ?? key;
    if (typeof text === 'object') text = text[this.plural.select(vars.n)] ?? text.other;
    return text.replace(/\{(\w+)\}/g, (whole, name) => vars[name] ?? whole);
  }
}
