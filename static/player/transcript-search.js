/**
 * The transcript's search, loaded by transcript.js when the box is first
 * focused (with extras.css, which styles the marks): matches are wrapped in
 * <mark> (text nodes are split and wrapped; cue text is never parsed as
 * HTML), counted in the polite status next to the box, and stepped through
 * with Enter / Shift+Enter or the arrow buttons.
 * Works on the Transcript object `tr` (links, input, previous, next, count,
 * query, matches, at, pause(), reveal(), player).
 */

function escapeRegExp(text) {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** Wrap characters [from, to) of a cue, given as [text node, offset] runs, in <mark>s; returns them. */
function wrapRange(runs, from, to) {
  const marks = [];
  for (const [node, offset] of runs) {
    const a = Math.max(from - offset, 0);
    const b = Math.min(to - offset, node.data.length);
    if (a >= b) continue;
    const piece = a ? node.splitText(a) : node;
    if (b - a < piece.data.length) piece.splitText(b - a);
    const mark = document.createElement('mark');
    piece.before(mark);
    mark.append(piece);
    marks.push(mark);
  }
  return marks;
}

/** Wrap matches in <mark>s, cue by cue in reading order; returns one array of marks per match. */
function mark(links, pattern) {
  const matches = [];
  for (const cue of links) {
    const runs = [];
    let text = '';
    const walker = document.createTreeWalker(cue, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      runs.push([walker.currentNode, text.length]);
      text += walker.currentNode.data;
    }
    const found = [...text.matchAll(pattern)].filter((m) => m[0].length);
    // Last first: splitting a text node keeps its start, so earlier offsets stay right.
    const marks = found.reverse().map((m) => wrapRange(runs, m.index, m.index + m[0].length));
    matches.push(...marks.reverse());
  }
  return matches;
}

function unmark(matches) {
  const parents = new Set();
  for (const m of matches.flat()) {
    parents.add(m.parentNode);
    m.replaceWith(...m.childNodes);
  }
  for (const parent of parents) parent.normalize();
}

/** Mark every match of the search box's text (case-insensitive; any run of spaces matches any other). */
export function search(tr) {
  const query = tr.input.value.trim();
  if (query === tr.query) return;
  const t = tr.player.t;
  tr.query = query;
  unmark(tr.matches);
  tr.matches = query ? mark(tr.links, new RegExp(query.split(/\s+/).map(escapeRegExp).join('\\s+'), 'giu')) : [];
  tr.at = -1;
  const n = tr.matches.length;
  tr.previous.disabled = tr.next.disabled = !n;
  tr.count.textContent = !query ? '' : n ? t('{n} matches', { n }) : t('No matches');
}

/** Go to the next (1) or previous (-1) match, show it, and say which it is. */
export function step(tr, by) {
  const n = tr.matches.length;
  if (!n) return;
  for (const m of tr.matches[tr.at] || []) m.classList.remove('ap-match-current');
  tr.at = tr.at < 0 ? (by > 0 ? 0 : n - 1) : (tr.at + by + n) % n;
  const marks = tr.matches[tr.at];
  for (const m of marks) m.classList.add('ap-match-current');
  // The viewer is looking at the match now, not at the playing cue.
  tr.pause();
  tr.reveal(marks[0]);
  tr.count.textContent = tr.player.t('Match {i} of {n}', { i: tr.at + 1, n });
}
