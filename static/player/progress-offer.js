/**
 * The resume offer, loaded by progress.js only when the server has one (its
 * styles are in player.css): "Resume from 1:23" / "Start over" (or "Watch
 * again" once finished) in a group after the media, announced once,
 * reachable by Tab, closed by any of its buttons or Escape, never trapping
 * focus; playing by other means answers it too.
 */
import { EVENT, REQUEST } from './constants.js';
import { h } from './dom.js';
import { clock } from './timefmt.js';

export default function show(pr, answer) {
  const t = pr.player.t;
  const at = clock(answer.resume_at);
  const resume = answer.offer === 'resume';
  const audio = pr.media.tagName === 'AUDIO';
  const again = audio ? t('Play again') : t('Watch again');
  const choose = (seconds) => () => {
    pr.dismiss();
    pr.player.request(REQUEST.SEEK, seconds);
    pr.player.request(REQUEST.PLAY);
  };
  const button = (text, onclick) => h('button', { type: 'button', text, onclick });
  const buttons = resume
    ? [button(t('Resume from {time}', { time: at }), choose(answer.resume_at)), button(t('Start over'), choose(0))]
    : [button(again, choose(0))];
  buttons.push(button(t('Dismiss'), () => pr.dismiss()));
  pr.box = h('div', {
    class: 'ap-resume', role: 'group', 'aria-label': resume ? t('Resume') : again,
    onkeydown: (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      pr.dismiss();
    },
  },
  h('p', { text: resume ? t('You stopped at {time}.', { time: at }) : t('You reached the end last time.') }),
  h('p', { class: 'ap-actions' }, buttons));
  pr.player.stage.after(pr.box);
  pr.player.announce(resume
    ? t('You stopped at {time}. Resume from {time}, or start over.', { time: at })
    : t(audio ? 'You reached the end last time. Play again?' : 'You reached the end last time. Watch again?'));
  // Playing by any other means (the play button, a shortcut) answers the offer.
  const stop = pr.player.on(EVENT.STATE, (s) => {
    if (!s.paused && pr.box) pr.dismiss();
    if (!pr.box) stop();
  });
}
