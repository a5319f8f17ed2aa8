// Times for eyes ("3:46") and for ears ("3 minutes 46 seconds").

const whole = (seconds) => (Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0);
const pad = (n) => String(n).padStart(2, '0');

/** 5 → "0:05", 226 → "3:46", 3723 → "1:02:03" (the server's `clock` filter). */
export function clock(seconds) {
  const s = whole(seconds);
  const m = Math.floor(s / 60);
  const minutes = s < 3600 ? m : Math.floor(m / 60) + ':' + pad(m % 60);
  return `${minutes}:${pad(s % 60)}`;
}

/** 65 → "1 minute 5 seconds" in the catalog's language, with its plural forms. */
export function timePhrase(seconds, t) {
  const s = whole(seconds);
  const parts = [[Math.floor(s / 3600), '{n} hours'], [Math.floor(s / 60) % 60, '{n} minutes'], [s % 60, '{n} seconds']]
    .filter(([n]) => n).map(([n, key]) => t(key, { n }));
  return parts.join(' ') || t('{n} seconds', { n: 0 });
}
