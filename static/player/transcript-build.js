/**
 * A built player's transcript (the inline component has no server-rendered
 * one): fetched as JSON and made into the markup templates/_transcript.html
 * renders, with text set as text, never parsed as HTML. Loaded on demand by
 * transcript.js.
 */
import { h } from './dom.js';

/** Make a built player's section from the transcript JSON, as templates/_transcript.html would. */
export default async function make({ t, item, el, uid, lang }, section) {
  const entries = await fetch(item.transcript.json).then((r) => r.json()).catch(() => []);
  const body = h('div', { class: 'ap-transcript-body', lang: item.language });
  const id = `${uid}-transcript-heading`;
  let para;
  let last = {};
  for (const e of entries) {
    const { kind, speaker, start, text } = e;
    const d = kind === 'descriptions';
    if (kind === 'chapters') {
      body.append(h('h3', { class: 'ap-transcript-chapter', 'data-start': start, text }));
    } else {
      // The server numbers the paragraphs (player/transcripts/model.py decides where they break).
      if (e.paragraph !== last.paragraph) {
        body.append(para = h('p', { class: `ap-transcript-para${d ? ' ap-transcript-description' : ''}` },
          (d || speaker) && h('span', { class: d ? 'ap-transcript-label' : 'ap-transcript-speaker', text: d ? t('Description:') : `${speaker}:` })));
      }
      para.append(' ', h('a', {
        class: 'ap-transcript-cue', 'data-kind': d && kind, href: `${item.watch_url}?t=${start}`, 'data-start': start, 'data-end': e.end, text,
      }));
    }
    last = e;
  }
  // Nothing to show (or no answer): the server's transcript page says why.
  if (!entries.length) body.append(h('p', {}, h('a', { href: item.transcript.html, text: t('Read the transcript') })));
  section.setAttribute('aria-labelledby', id);
  section.dataset.transcriptFor = el.id;
  // Outside the player, which marks its own language.
  section.lang = lang;
  section.append(h('h2', { id, text: t('Transcript') }), body);
  el.after(section);
}
