// Links with data-share-for="<player id>" keep ?t= at the media's current
// second, and their [data-share-time] child shows it. Installed at the first
// play or seek: until then the page's own link is right.
import { clock } from './timefmt.js';

export default function install(p) {
  const links = document.querySelectorAll(`[data-share-for="${p.el.id}"]`);
  let shown = -1;
  const update = () => {
    const at = Math.floor(p.media.currentTime);
    if (at === shown) return;
    shown = at;
    for (const link of links) {
      const url = new URL(link.href);
      if (at) url.searchParams.set('t', at);
      else url.searchParams.delete('t');
      link.href = url;
      const time = link.querySelector('[data-share-time]');
      if (time) time.textContent = at ? ` (${clock(at)})` : '';
    }
  };
  for (const type of ['timeupdate', 'seeked']) p.media.addEventListener(type, update);
  update();
}
