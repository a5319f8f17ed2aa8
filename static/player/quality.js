// The quality menu's choices, loaded with it when the viewer first opens
// it: Auto, Data saver, each rendition by its height and the data it takes
// a minute, and Audio only. stream.js does what is chosen.

// Bits a second to megabytes a minute, as a person would say it: "about 5",
// "about 0.4".
function perMinute(p, bandwidth) {
  const mb = bandwidth * 60 / 8e6;
  return (mb < 1 ? Math.round(mb * 10) / 10 || 0.1 : Math.round(mb)).toLocaleString(p.lang);
}

/** The words for the choice `value`, as its menu item says them. */
export function label(p, value) {
  const stream = p.stream;
  const t = p.t;
  if (value == 'auto') return t('Auto');
  if (value == 'saver') return t('Data saver (up to 360p)');
  const found = value == 'audio' ? stream.audio : stream.video.find((r) => r.height == value);
  const name = value == 'audio' ? t('Audio only') : `${value}p`;
  return found?.bandwidth ? t('{name}, about {mb} MB a minute', { name, mb: perMinute(p, found.bandwidth) }) : name;
}

/** What the player says when `value` is chosen. */
export function said(p, value) {
  return p.t('Quality: {choice}', { choice: label(p, value) });
}

/** Add the quality menu to menu.js's menus. */
export function register(menus) {
  menus.MENUS.quality ??= [(value, p) => p.stream.choose(value), (p) => {
    const stream = p.stream;
    const values = ['auto', 'saver', ...stream.video.map((r) => r.height).reverse(), stream.audio && 'audio'];
    return values.filter(Boolean).map((value) => [label(p, value), value, value == stream.choice]);
  }];
}
