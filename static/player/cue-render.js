// The WebVTT layout of the player's caption overlay, after the W3C WebVTT
// "rules for updating the display of WebVTT text tracks": each cue's box
// from its line, position, size, align and vertical settings; snap-to-lines
// cues moved a line at a time until they overlap nothing and sit inside the
// title area (the video less what the controls cover); regions with
// roll-up; cue markup with :past/:future text; the file's STYLE blocks
// (cue-style.js). Loaded by cue-layout.js only for tracks that need it.
import { h } from './dom.js';
import { cueSheet } from './cue-style.js';

const still = matchMedia('(prefers-reduced-motion: reduce)');
// Scripts written right to left; the first strong character sets a cue's direction.
const STRONG = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]|\p{L}/u;
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/u;
const ROLL_MS = 433;

/** The direction of a cue's text: 'rtl' when its first strong character is right to left. */
export function direction(text) {
  const found = text.replace(/<[^>]*>/g, '').match(STRONG);
  return found && RTL.test(found[0]) ? 'rtl' : 'ltr';
}

/**
 * A cue's settings as the spec computes them, with the viewer's placement:
 * 'bottom' and 'top' put every cue on the last or first line, across the
 * video, outside any region.
 */
export function settings(cue, placement = 'authored', file = null) {
  const dir = direction(cue.text);
  const extra = { ...file?.cues.get(cueKey(cue.startTime, cue.text)) };
  let { line, snapToLines: snap, align } = cue;
  let vertical = cue.vertical || '';
  // Chromium keeps regions to itself: the file says which.
  let region = cue.region || file?.regions.get(extra.region) || null;
  extra.lineAlign ??= cue.lineAlign;
  extra.positionAlign ??= cue.positionAlign;
  if (placement != 'authored') {
    line = placement == 'top' ? 0 : -1;
    snap = true;
    vertical = '';
    region = null;
  }
  const start = dir == 'ltr' ? 'line-left' : 'line-right';
  const end = dir == 'ltr' ? 'line-right' : 'line-left';
  let posAlign = extra.positionAlign && extra.positionAlign != 'auto' ? extra.positionAlign
    : { left: 'line-left', right: 'line-right', start, end }[align] || 'center';
  let position = cue.position;
  if (position == 'auto') {
    position = { left: 0, right: 100, start: dir == 'ltr' ? 0 : 100, end: dir == 'ltr' ? 100 : 0 }[align] ?? 50;
  }
  const most = posAlign == 'line-left' ? 100 - position : posAlign == 'line-right' ? position
    : position <= 50 ? position * 2 : (100 - position) * 2;
  const size = Math.min(cue.size, most);
  const offset = posAlign == 'line-left' ? position : posAlign == 'line-right' ? position - size : position - size / 2;
  // Where the lines sit inside the box, as physical sides (vertical text: top and bottom).
  const textAlign = { left: 'left', right: 'right', start: dir == 'ltr' ? 'left' : 'right', end: dir == 'ltr' ? 'right' : 'left' }[align] || 'center';
  if (line == 'auto') line = snap ? -1 : 100;
  return { dir, vertical, snap, line: snap ? Math.round(line) : line, lineAlign: extra.lineAlign || 'start', size, offset, textAlign, region };
}

/**
 * The cue's text as elements the overlay and STYLE rules use: classes as
 * data-c (so the page's own class rules never reach a cue), the tag as
 * data-k, a voice's name as data-voice, <lang> as lang, and the text after
 * a timestamp in spans with data-ts (seconds) for :past and :future.
 */
export function markup(cue) {
  let at = null;
  const convert = (node) => {
    if (node.nodeType == Node.TEXT_NODE) {
      return at == null ? document.createTextNode(node.data) : h('span', { 'data-ts': at }, node.data);
    }
    if (node.nodeType == Node.PROCESSING_INSTRUCTION_NODE) {
      if (node.target == 'timestamp') at = node.data.split(':').reduce((a, b) => a * 60 + +b, 0);
      return null;
    }
    if (node.nodeType != Node.ELEMENT_NODE) return null;
    const tag = node.localName;
    const known = ['i', 'b', 'u', 'ruby', 'rt'].includes(tag);
    const kind = known ? tag : node.hasAttribute('title') ? 'v' : node.hasAttribute('lang') ? 'lang' : 'c';
    const el = h(known ? tag : 'span', {
      'data-k': kind,
      'data-c': node.className ? ` ${node.className} ` : null,
      'data-voice': kind == 'v' ? node.getAttribute('title') : null,
      lang: kind == 'lang' ? node.getAttribute('lang') : null,
    });
    for (const child of [...node.childNodes]) {
      const made = convert(child);
      if (made) el.append(made);
    }
    return el;
  };
  const root = h('span', { class: 'ap-cue' });
  for (const child of [...cue.getCueAsHTML().childNodes]) {
    const made = convert(child);
    if (made) root.append(made);
  }
  return root;
}

const seconds = (stamp) => stamp.split(':').reduce((a, b) => a * 60 + +b, 0);
const cueKey = (start, text) => `${Math.round(start * 1000)}\n${text}`;
// WebVTT splits settings on ASCII whitespace alone (a no-break space is part of a value).
const SPACES = /[\t\n\f\r ]+/;
const LINE_NUMBER = /^-?\d+(\.\d+)?$/;

/** The spec's "parse a percentage string": the number, or null when it fails. */
function percent(value) {
  return /^\d+(\.\d+)?%$/.test(value) && parseFloat(value) <= 100 ? parseFloat(value) : null;
}

/** `name:value` pairs of a settings list, in order, as the spec splits them. */
function* pairs(text) {
  for (const token of text.split(SPACES)) {
    const at = token.indexOf(':');
    if (at > 0 && at < token.length - 1) yield [token.slice(0, at), token.slice(at + 1)];
  }
}

// A value and what follows its first comma (null without one), as line and position have.
const split = (value) => {
  const comma = value.indexOf(',');
  return comma < 0 ? [value, null] : [value.slice(0, comma), value.slice(comma + 1)];
};

/** A REGION block's settings; a setting the spec would not take leaves the default. */
function regionSettings(text) {
  const r = { id: '', width: 100, lines: 3, regionAnchorX: 0, regionAnchorY: 100, viewportAnchorX: 0, viewportAnchorY: 100, scroll: '' };
  for (const [name, value] of pairs(text)) {
    if (name == 'id') r.id = value;
    else if (name == 'width') r.width = percent(value) ?? r.width;
    else if (name == 'lines' && /^\d+$/.test(value)) r.lines = +value;
    else if (name == 'scroll' && value == 'up') r.scroll = 'up';
    else if (name == 'regionanchor' || name == 'viewportanchor') {
      const [first, second] = split(value);
      const [x, y] = second == null ? [null, null] : [percent(first), percent(second)];
      if (x == null || y == null) continue;
      if (name == 'regionanchor') [r.regionAnchorX, r.regionAnchorY] = [x, y];
      else [r.viewportAnchorX, r.viewportAnchorY] = [x, y];
    }
  }
  return r;
}

/**
 * A cue's position alignment, line alignment and region, by the spec's
 * "parse the WebVTT cue settings": a setting whose value it rejects changes
 * nothing, and a later line, a size other than 100 % or vertical text takes
 * the cue out of its region.
 */
function cueSettings(text, regions) {
  const set = {};
  let vertical = false;
  for (const [name, value] of pairs(text)) {
    const [main, tail] = split(value);
    if (name == 'region') set.region = regions.has(value) ? value : null;
    else if (name == 'vertical') {
      vertical ||= value == 'rl' || value == 'lr';
      if (vertical) set.region = null;
    } else if (name == 'line') {
      const number = main.endsWith('%') ? percent(main) : LINE_NUMBER.test(main) ? +main : null;
      if (number == null || (tail != null && !['start', 'center', 'end'].includes(tail))) continue;
      if (tail != null) set.lineAlign = tail;
      set.region = null;
    } else if (name == 'position') {
      if (percent(main) == null || (tail != null && !['line-left', 'center', 'line-right'].includes(tail))) continue;
      if (tail != null) set.positionAlign = tail;
    } else if (name == 'size') {
      const number = percent(value);
      if (number != null && number != 100) set.region = null;
    }
  }
  return set;
}

// A cue's timing line: the start, then the settings after the end time
// (spaces around the arrow are optional).
const TIMING = /^[\t\f ]*(\d[\d:.]*)[\t\f ]*-->[\t\f ]*\d[\d:.]*(.*)$/;

/**
 * What Chromium reads from a file but does not expose on its cues: each
 * cue's position and line alignment and its region, and the REGION
 * definitions (above the first cue only). Returns
 * { cues: Map(key -> settings), regions: Map(id -> region) }.
 */
export function fileSettings(text) {
  const cues = new Map();
  const regions = new Map();
  // Only an empty line ends a block; a line with an arrow past a block's
  // second line starts a new one.
  const blocks = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split(/\n{2,}/).map((block) => block.split('\n'));
  let seenCue = false;
  for (let b = 1; b < blocks.length; b++) {
    const lines = blocks[b];
    const timing = lines.slice(0, 2).findIndex((line) => line.includes('-->'));
    if (timing < 0) {
      if (!seenCue && /^REGION[\t\f ]*$/.test(lines[0])) {
        const r = regionSettings(lines.slice(1).join('\n'));
        if (r.id) regions.set(r.id, r);
      }
      continue;
    }
    const next = lines.findIndex((line, i) => i > timing && line.includes('-->'));
    if (next > 0) blocks.splice(b + 1, 0, lines.splice(next));
    const found = lines[timing].match(TIMING);
    if (!found) continue;
    seenCue = true;
    cues.set(cueKey(seconds(found[1]), lines.slice(timing + 1).join('\n')), cueSettings(found[2], regions));
  }
  return { cues, regions };
}

const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const inside = (a, area) => a.left >= area.left - 0.5 && a.right <= area.right + 0.5 && a.top >= area.top - 0.5 && a.bottom <= area.bottom + 0.5;
// The share of box `a` outside `area`.
const outside = (a, area) => 1 - (Math.max(0, Math.min(a.right, area.right) - Math.max(a.left, area.left))
  * Math.max(0, Math.min(a.bottom, area.bottom) - Math.max(a.top, area.top))) / (a.width * a.height || 1);
const rect = (left, top, width, height) => ({ left, top, width, height, right: left + width, bottom: top + height });

export class Renderer {
  constructor(p) {
    this.p = p;
    this.box = p.captions.box;
    this.els = new Map();
    this.regions = new Map();
    this.sheets = new Map();
  }

  /** Back to the cheap renderer: drop what this one added. */
  clear() {
    this.box.classList.remove('ap-laid');
    this.box.removeAttribute('style');
    this.box.removeAttribute('lang');
    this.els.clear();
    this.regions.clear();
    this.sheet?.remove();
    this.sheet = null;
  }

  /** The video's picture inside the stage (object-fit: contain), in the stage's pixels. */
  picture() {
    const v = this.p.media;
    const W = v.clientWidth;
    const H = v.clientHeight;
    const ratio = v.videoWidth && v.videoHeight ? v.videoWidth / v.videoHeight : W / H;
    const w = Math.min(W, H * ratio);
    const hgt = Math.min(H, W / ratio);
    return { left: v.offsetLeft + (W - w) / 2, top: v.offsetTop + (H - hgt) / 2, width: w, height: hgt };
  }

  draw(track, file, cues, t, o) {
    const box = this.box;
    const area = this.picture();
    box.classList.add('ap-laid');
    box.lang = track.language || '';
    Object.assign(box.style, {
      left: `${area.left}px`, top: `${area.top}px`, width: `${area.width}px`, height: `${area.height}px`,
      bottom: 'auto', right: 'auto', padding: '0',
      // Nothing a cue paints (a file's outline or shadow) reaches past the picture.
      overflow: 'clip',
    });
    if (this.sheetFor !== file) {
      this.sheet?.remove();
      this.sheet = cueSheet(file.text, this.p.el);
      this.sheetFor = file;
      this.file = fileSettings(file.text);
    }
    if (o.force) this.layout(cues, area, o);
    // :past and :future, as playback moves through a cue's timestamps.
    for (const el of box.querySelectorAll('[data-ts]')) el.dataset.t = +el.dataset.ts <= t ? 'past' : 'future';
  }

  layout(cues, area, o) {
    const box = this.box;
    const W = area.width;
    const H = area.height;
    // The title area: the picture less what the controls cover at its bottom.
    const title = rect(0, 0, W, Math.max(H - Math.max(0, o.clear - (this.p.stage.clientHeight - area.top - H)), H / 4));
    const ease = still.matches ? '' : 'top .2s, left .2s';
    const before = new Map(this.els);
    this.els.clear();
    const keep = [];
    const output = [];
    const regionsUsed = new Map();
    for (const cue of cues) {
      const s = settings(cue, o.placement, this.file);
      if (s.region && !s.vertical) {
        const list = regionsUsed.get(s.region) || [];
        regionsUsed.set(s.region, list);
        list.push(cue);
        continue;
      }
      const old = before.get(cue);
      const el = old && old.placement == o.placement ? old.el : this.cueBox(cue, s);
      this.els.set(cue, { el, placement: o.placement });
      keep.push(el);
      if (!el.isConnected) box.append(el);
      this.place(el, s, W, H, title, output, old && el == old.el ? ease : '');
    }
    for (const [region, list] of regionsUsed) keep.push(this.region(region, list, W, H, output));
    for (const child of [...box.children]) if (!keep.includes(child)) child.remove();
  }

  cueBox(cue, s) {
    const inner = h('div', { dir: s.dir }, markup(cue));
    const el = h('div', { class: 'ap-cuebox', 'data-id': cue.id || null }, inner);
    // The lines' box keeps to the side the text aligns to (in vertical text, left is the top).
    Object.assign(el.style, {
      position: 'absolute', display: 'flex', flexDirection: 'column', overflow: 'clip', overflowClipMargin: '.3em',
      writingMode: s.vertical ? `vertical-${s.vertical}` : '',
      alignItems: { left: 'flex-start', right: 'flex-end', center: 'center' }[s.textAlign],
    });
    inner.style.textAlign = s.textAlign;
    return el;
  }

  // One cue box, after the spec's steps for snap-to-lines and percentage lines.
  place(el, s, W, H, title, output, ease) {
    const horizontal = !s.vertical;
    const full = horizontal ? H : W;
    el.style.transition = '';
    Object.assign(el.style, horizontal
      ? { width: `${s.size * W / 100}px`, height: '', left: `${s.offset * W / 100}px`, top: '0px' }
      : { height: `${s.size * H / 100}px`, width: '', top: `${s.offset * H / 100}px`, left: '0px' });
    const bw = el.offsetWidth;
    const bh = el.offsetHeight;
    const extent = horizontal ? bh : bw;
    let x = horizontal ? s.offset * W / 100 : 0;
    let y = horizontal ? 0 : s.offset * H / 100;
    let at;
    if (s.snap) {
      const step0 = lineStep(el, horizontal);
      let line = s.line;
      if (s.vertical == 'rl') line = -line - 1;
      let position = step0 * line;
      if (s.vertical == 'rl') position = position - extent + step0;
      let step = step0;
      if (line < 0) {
        position += full;
        step = -step;
      }
      const specified = position;
      let switched = false;
      const at0 = (pos) => (horizontal ? rect(x, pos, bw, bh) : rect(pos, y, bw, bh));
      const lo = horizontal ? title.top : title.left;
      const hi = horizontal ? title.bottom : title.right;
      // The spec's best position: the least of the box outside the title area.
      let best = position;
      let bestScore = Infinity;
      for (let guard = 0; guard < 400; guard++) {
        const r = at0(position);
        if (inside(r, title) && !output.some((b) => overlaps(r, b))) break;
        const score = outside(r, title);
        if (score < bestScore) [best, bestScore] = [position, score];
        // Switch direction when the first line would leave the title area.
        const first = s.vertical == 'rl' ? position + extent - step0 : position;
        const leaving = step < 0 ? first < lo : first + step0 > hi;
        if (!leaving) {
          position += step;
          continue;
        }
        if (switched) {
          // No free place: where least of it is outside the title area, so
          // never under the controls, on top of another cue if it must be.
          position = best;
          break;
        }
        position = specified;
        step = -step;
        switched = true;
      }
      at = at0(position);
    } else {
      // A percentage line: the box's start, centre or end at that share of the video.
      const shift = { start: 0, center: 0.5, end: 1 }[s.lineAlign] ?? 0;
      let pos = s.line * full / 100 - shift * extent;
      if (!horizontal && s.vertical == 'rl') pos = full - s.line * full / 100 - (1 - shift) * extent;
      at = horizontal ? rect(x, pos, bw, bh) : rect(pos, y, bw, bh);
      at = clampInto(at, title);
      // Chromium leaves overlapping percentage cues on top of each other; this moves one the least way clear.
      at = clearOf(at, output, title, horizontal);
    }
    el.style.transition = ease;
    el.style.left = `${at.left}px`;
    el.style.top = `${at.top}px`;
    output.push(at);
  }

  // A region: its box from width, lines and anchors; its cues stacked at the bottom,
  // rolling up (eased unless reduced motion is asked for) when scroll is "up".
  region(region, cues, W, H, output) {
    let held = this.regions.get(region);
    const width = region.width * W / 100;
    if (!held) {
      const lines = h('div', { class: 'ap-region-lines' });
      lines.style.cssText = 'position: absolute; left: 0; right: 0; bottom: 0';
      held = { el: h('div', { class: 'ap-region', 'data-id': region.id || null }, lines), lines, shown: [] };
      held.el.style.cssText = 'position: absolute; overflow: hidden';
      this.regions.set(region, held);
    }
    const { el, lines } = held;
    el.style.width = `${width}px`;
    if (!el.isConnected) this.box.append(el);
    const fresh = cues.filter((cue) => !held.shown.includes(cue));
    const before = lines.offsetHeight;
    lines.replaceChildren(...cues.map((cue) => {
      const s = settings(cue, 'authored', this.file);
      const made = h('div', { class: 'ap-cuebox', 'data-id': cue.id || null, dir: s.dir }, h('div', { dir: s.dir }, markup(cue)));
      made.style.cssText = 'display: flex; flex-direction: column; overflow: clip; overflow-clip-margin: .3em';
      made.style.alignItems = { left: 'flex-start', right: 'flex-end', center: 'center' }[s.textAlign];
      made.firstChild.style.textAlign = s.textAlign;
      return made;
    }));
    held.shown = cues;
    // The spec's 6vh a line is for 5vh text: here, `lines` lines of the cues' own text, as the viewer sized it.
    const height = region.lines * lineStep(lines.firstChild, true);
    Object.assign(el.style, {
      height: `${height}px`,
      left: `${region.viewportAnchorX * W / 100 - region.regionAnchorX * width / 100}px`,
      top: `${region.viewportAnchorY * H / 100 - region.regionAnchorY * height / 100}px`,
    });
    const rise = lines.offsetHeight - before;
    if (region.scroll == 'up' && fresh.length && rise > 0 && held.shown.length > fresh.length && !still.matches) {
      lines.animate([{ transform: `translateY(${rise}px)` }, { transform: 'none' }], { duration: ROLL_MS, easing: 'ease-out' });
    }
    output.push(rect(el.offsetLeft, el.offsetTop, width, height));
    return el;
  }
}

// The distance between lines: the box's extent over its number of lines.
function lineStep(el, horizontal) {
  const rects = [...el.querySelector('.ap-cue').getClientRects()];
  const starts = new Set(rects.map((r) => Math.round(horizontal ? r.top : r.left)));
  return (horizontal ? el.offsetHeight : el.offsetWidth) / Math.max(1, starts.size);
}

function clampInto(r, area) {
  const left = Math.min(Math.max(r.left, area.left), Math.max(area.left, area.right - r.width));
  const top = Math.min(Math.max(r.top, area.top), Math.max(area.top, area.bottom - r.height));
  return rect(left, top, r.width, r.height);
}

function clearOf(r, output, area, horizontal) {
  if (!output.some((b) => overlaps(r, b))) return r;
  const options = [];
  for (const b of output) {
    options.push(horizontal ? rect(r.left, b.top - r.height, r.width, r.height) : rect(b.left - r.width, r.top, r.width, r.height));
    options.push(horizontal ? rect(r.left, b.bottom, r.width, r.height) : rect(b.right, r.top, r.width, r.height));
  }
  const good = options.filter((c) => inside(c, area) && !output.some((b) => overlaps(c, b)));
  good.sort((a, b) => Math.abs(a.top - r.top) + Math.abs(a.left - r.left) - Math.abs(b.top - r.top) - Math.abs(b.left - r.left));
  return good[0] || r;
}
