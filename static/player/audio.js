/**
 * An audio item's compact player, on the watch page, in embeds and in the
 * inline component alike: artwork (the item's poster, else a neutral
 * picture), the title where the page around the player does not show it
 * (embeds and built players), and the controls beside them; the captions
 * below, as lines of text rather than over a picture (player.css). Loaded by
 * player.js, with extras.css, which holds the layout, for audio only.
 */
import { h, icon } from './dom.js';

// Bars of a sound meter: an image of sound, not of any one kind of audio.
const BARS = 'M4 10v4m4-7v10m4-13v16m4-13v10m4-7v4';

export default function install(p) {
  const { el, item } = p;
  const poster = item?.poster || el.dataset.poster;
  // The watch page's heading names the item just above the player.
  const title = (item || 'embed' in el.dataset) && (el.dataset.title || item?.title);
  const art = poster
    ? h('img', { class: 'ap-art', src: poster, alt: '', width: 96, height: 96 })
    : h('div', { class: 'ap-art' }, icon(BARS));
  p.stage.before(h('div', { class: 'ap-audio' },
    art,
    title && h('p', { class: 'ap-audio-title', lang: item?.language || el.dataset.titleLang, text: title }),
    p.controls.el));
}
