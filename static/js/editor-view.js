// The caption editor's markup: one form (a fieldset with a legend) per
// block, with real labels, the readability meters and the checker's
// problems. Built with the DOM, never from HTML strings, since cue text is
// the publisher's own and may hold "<" and "&".

import { formatTime, parseTime, placementOf, readability, spokenTime, wordCount } from "./editor-vtt.js";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter(Boolean));
  return node;
}

function field(id, label, control, hintId) {
  control.id = id;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return el("div", { className: "ed-field" }, el("label", { for: id, text: label }), control);
}

function button(action, visible, hidden, extra = {}) {
  const node = el("button", { type: "button", className: "ed-button", "data-action": action, ...extra },
    visible);
  if (hidden) node.append(el("span", { className: "visually-hidden", text: hidden }));
  return node;
}

export function legendText(block, number) {
  if (block.type === "raw") return `Block ${number}: not a cue`;
  const start = parseTime(block.start);
  const end = parseTime(block.end);
  const times = Number.isFinite(start) && Number.isFinite(end)
    ? `${formatTime(start)} to ${formatTime(end)}` : "times not valid";
  const speaker = block.speaker ? `, ${block.speaker}` : "";
  return `Cue ${number}, ${times}${speaker}`;
}

function cueFields(block, uid, number) {
  const prefix = `b${uid}`;
  const start = el("input", { type: "text", value: block.start, "data-field": "start",
    inputmode: "decimal", autocomplete: "off", spellcheck: "false", className: "ed-time" });
  const end = el("input", { type: "text", value: block.end, "data-field": "end",
    inputmode: "decimal", autocomplete: "off", spellcheck: "false", className: "ed-time" });
  const speaker = el("input", { type: "text", value: block.speaker, "data-field": "speaker",
    autocomplete: "off" });
  const text = el("textarea", { rows: Math.max(2, block.text.split("\n").length),
    "data-field": "text" });
  text.value = block.text;
  const placement = el("select", { "data-field": "placement" },
    el("option", { value: "bottom", text: "Bottom (as usual)" }),
    el("option", { value: "top", text: "Top" }));
  placement.value = placementOf(block.settings);
  const times = el("div", { className: "ed-times" },
    field(`${prefix}-start`, "Start", start, "ed-time-hint"),
    field(`${prefix}-end`, "End", end, "ed-time-hint"));
  const textField = field(`${prefix}-text`, "Text", text);
  text.setAttribute("aria-describedby", `${prefix}-meters ${prefix}-problems`);
  const actions = el("div", { className: "ed-actions" },
    button("play", "Play", ` cue ${number}`),
    button("start-here", "Start at playhead", ` for cue ${number}`),
    button("end-here", "End at playhead", ` for cue ${number}`),
    button("split", "Split at cursor", ` cue ${number}`),
    button("merge", "Merge with next", ` cue ${number}`),
    button("insert", "Insert after", ` cue ${number}`),
    button("delete", "Delete", ` cue ${number}`, { className: "ed-button ed-button-danger" }));
  return [times, field(`${prefix}-speaker`, "Speaker (optional)", speaker), textField,
    field(`${prefix}-placement`, "Placement", placement),
    el("div", { className: "ed-meters", id: `${prefix}-meters` }),
    el("ul", { className: "ed-problems", id: `${prefix}-problems` }), actions];
}

function rawFields(block, uid, number) {
  const prefix = `b${uid}`;
  const text = el("textarea", { rows: Math.max(2, block.text.split("\n").length),
    "data-field": "raw", spellcheck: "false" });
  text.value = block.text;
  const textField = field(`${prefix}-raw`, "Text as written", text);
  text.setAttribute("aria-describedby", `${prefix}-hint ${prefix}-problems`);
  return [
    el("p", { className: "field-hint", id: `${prefix}-hint`,
      text: "The editor cannot read this block as a cue (a note, or a cue whose timing line"
        + " is not right). Fix it here, or delete it." }),
    textField, el("ul", { className: "ed-problems", id: `${prefix}-problems` }),
    el("div", { className: "ed-actions" }, button("delete", "Delete", ` block ${number}`,
      { className: "ed-button ed-button-danger" })),
  ];
}

export function renderBlock(block, number) {
  const legendId = `b${block.uid}-legend`;
  const fieldset = el("fieldset", { className: "ed-block" },
    el("legend", { id: legendId, text: legendText(block, number) }),
    ...(block.type === "raw" ? rawFields(block, block.uid, number)
      : cueFields(block, block.uid, number)));
  return el("li", { className: `ed-item ed-item-${block.type}`, "data-uid": block.uid },
    fieldset);
}

function meter(label, value, max) {
  return el("meter", { min: 0, max: max * 1.5, low: max * 0.9, high: max, optimum: 0,
    value: Math.min(value, max * 1.5), "aria-hidden": "true", title: label });
}

// The next dialogue cue's start at or after `start`, 0 gap inside one.
function gapBeforeDialogue(start, dialogue) {
  let next = Infinity;
  for (const [from, to] of dialogue) {
    if (from <= start && start < to) return 0;
    if (from >= start && from < next) next = from;
  }
  return next - start;
}

export function renderMeters(node, block, config) {
  node.replaceChildren();
  if (block.type !== "cue") return;
  if (config.kind === "descriptions") {
    const start = parseTime(block.start);
    const speaking = wordCount(block.text) / config.wordsPerSecond;
    const gap = Number.isFinite(start) ? gapBeforeDialogue(start, config.dialogue) : Infinity;
    const fits = speaking <= gap;
    const gapText = gap === Infinity ? "no dialogue follows"
      : `the gap before the next dialogue is ${spokenTime(gap)}`;
    node.append(el("p", { className: fits ? "ed-meter-ok" : "ed-meter-over",
      text: `Speaking takes about ${spokenTime(speaking)}; ${gapText}.`
        + (fits ? " It fits." : " It does not fit: shorten it, or let the player pause"
          + " for it (an extended description).") }));
    return;
  }
  if (config.kind === "chapters") return;
  const { rate, longest, lines } = readability(block);
  const rateText = Number.isFinite(rate) ? rate.toFixed(1) : "too many";
  const rateOver = rate > config.maxCharsPerSecond;
  const lineOver = longest > config.maxLineLength || lines > config.maxLines;
  node.append(
    el("p", { className: rateOver ? "ed-meter-over" : "ed-meter-ok" },
      `Reading rate: ${rateText} characters a second (limit ${config.maxCharsPerSecond}). `,
      meter("Reading rate", Number.isFinite(rate) ? rate : config.maxCharsPerSecond * 1.5,
        config.maxCharsPerSecond)),
    el("p", { className: lineOver ? "ed-meter-over" : "ed-meter-ok" },
      `Longest line: ${longest} of ${config.maxLineLength} characters; ${lines} line`
        + `${lines === 1 ? "" : "s"} (limit ${config.maxLines}). `,
      meter("Line length", longest, config.maxLineLength)));
}

export function renderProblems(node, problems) {
  node.replaceChildren(...problems.map((p) => el("li", {
    className: `ed-problem ed-problem-${p.severity}` },
  el("strong", { text: `Line ${p.line}, ${p.severity}:` }), ` ${p.message}`)));
}
