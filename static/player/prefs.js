// Viewer preferences, saved per browser. Every use of localStorage is a
// probe: it throws in some private modes and sandboxed frames, and then the
// player simply remembers nothing beyond the page.
const KEY = 'ap-player';

export class Preferences {
  constructor() {
    try {
      this.data = JSON.parse(localStorage.getItem(KEY));
    } catch {
      // Unusable storage or unreadable settings: start afresh.
    }
    if (typeof this.data != 'object' || !this.data) this.data = {};
  }

  get(name, fallback) {
    return name in this.data ? this.data[name] : fallback;
  }

  set(name, value) {
    this.data[name] = value;
    try {
      localStorage.setItem(KEY, JSON.stringify(this.data));
    } catch {
      // Quota or policy: the setting still applies on this page.
    }
  }
}
