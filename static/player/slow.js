/**
 * Loading that makes no progress: after a while (20 s, or data-slow-after
 * seconds on the player's wrapper) the "Please wait" overlay says "This is
 * taking longer than usual", announced politely, and offers what the error
 * state offers (try again, download the media, read the transcript) while
 * loading carries on. Each `progress` event (bytes arriving) starts the wait
 * again, so a slow network that is getting there is left to it. Loaded by
 * player.js once loading has lasted long enough to be announced.
 */
import { EVENT } from './constants.js';
import { h } from './dom.js';

const SLOW_SECONDS = 20;

export default function install(p) {
  const after = (+p.el.dataset.slowAfter || SLOW_SECONDS) * 1000;
  const notice = h('div', { class: 'ap-slow' });
  const overlay = p.stage.querySelector('.ap-wait');
  let timer;
  // `then`: where focus goes if it was in the notice.
  const hide = (then) => {
    clearTimeout(timer);
    if (notice.contains(document.activeElement)) then?.focus();
    notice.remove();
    overlay.style.position = '';
  };
  // Loading is over: what was said of it must not stay in the status, where it is read later.
  const over = (then) => {
    hide(then);
    p.unsay('This is taking longer than usual.');
  };
  const wait = () => {
    hide(p.el);
    if (p.state.state === 'loading') timer = setTimeout(show, after);
  };
  const show = () => {
    const text = p.t('This is taking longer than usual.');
    notice.replaceChildren(h('p', { text }), h('p', { class: 'ap-actions' }, p.recovery()));
    overlay.append(notice);
    // Under the picture rather than over it: on a small screen the notice is taller than the picture.
    overlay.style.position = 'static';
    p.announce(text);
  };
  // loadstart: loading again, from "Try again".
  for (const type of ['loadstart', 'progress']) p.media.addEventListener(type, wait);
  p.on(EVENT.READY, () => over(p.el));
  p.on(EVENT.ERROR, () => over(p.errorActions.firstChild));
  wait();
}
