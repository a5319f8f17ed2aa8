// Viewer preferences, saved per browser when storage is usable (it is not in
// some private modes and sandboxed frames; the player then remembers nothing).
const KEY = 'ap-player';

function storage() {
  try {
    localStorage.setItem(KEY + '-probe', '1');
    localStorage.removeItem(KEY + '-probe');
    return localStorage;
  } catch {
    return null;
  }
}

export class Preferences {
  constructor() {
    this.store = storage();
    let data = null;
    try {
      data = JSON.parse(this.store?.getItem(KEY));
    } catch {
      // Unreadable settings are dropped rather than breaking the player.
    }
    this.data = data && typeof data === 'object' ? data : {};
  }

  get(name, fallback) {
    return name in this.data ? this.data[name] : fallback;
  }

  set(name, value) {
    this.data[name] = value;
    try {
      this.store?.setItem(KEY, JSON.stringify(this.data));
    } catch {
      // Quota or policy errors: the setting still applies for this page.
    }
  }
}
