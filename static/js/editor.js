// The caption editor (templates/publish/editor.html): the media beside a list
// of cue forms, live checks, undo and redo, and saving with If-Match.
//
// State lives in `doc` ({header, blocks}); every change goes through
// `change()`, which records the state before it for undo. The list is built
// again after changes to its shape (split, merge, insert, delete, undo) and
// focus is put back on the same field; typing only updates that cue's
// legend, meters and the caption preview. Announcements go to one polite
// live region; refusals to an alert region.

import { alignBlocks, mergeBlocks } from "./editor-merge.js";
import { legendText, renderBlock, renderMeters, renderProblems } from "./editor-view.js";
import {
  formatTime, parseTime, parseVtt, plainText, serialize, spokenTime, withPlacement,
} from "./editor-vtt.js";

const CHECK_DELAY = 400;
const NUDGE = 0.1;
const MAX_UNDO = 200;

const root = document.querySelector("[data-editor]");
const config = JSON.parse(root.dataset.config);
const $ = (name) => root.querySelector(`[data-ed-${name}]`);
const list = $("list");
const media = $("media");
const csrf = document.querySelector("input[name=csrf_token]")?.value || "";

let doc = { header: "WEBVTT", blocks: [] };
let etag = "";
let savedText = "";
let nextUid = 1;
let undoStack = [];
let redoStack = [];
let lastTyping = null;
let checkTimer = 0;
let checkAbort = null;
let lastCounts = "";
let saving = false;
let playUntil = null;
let conflict = null;

function announce(text) {
  const region = $("status");
  // Cleared first, so the same words said twice are announced twice.
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}

function alertText(text) {
  const region = $("alert");
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}

function withUids(blocks) {
  return blocks.map((block) => ({ ...block, uid: nextUid++ }));
}

function snapshot() {
  return JSON.stringify(doc);
}

function indexOfUid(uid) {
  return doc.blocks.findIndex((b) => b.uid === uid);
}

// -- undo and redo ---------------------------------------------------------------

function record(label, typingKey = null) {
  if (typingKey && lastTyping === typingKey) return;
  lastTyping = typingKey;
  undoStack.push({ state: snapshot(), label });
  if (undoStack.length > MAX_UNDO) undoStack.shift();
  redoStack = [];
}

function restore(from, to, verb) {
  const entry = from.pop();
  if (!entry) {
    announce(`Nothing to ${verb.toLowerCase()}.`);
    return;
  }
  to.push({ state: snapshot(), label: entry.label });
  const focus = focusedField();
  doc = JSON.parse(entry.state);
  lastTyping = null;
  render(focus);
  changed();
  announce(`${verb === "Undo" ? "Undone" : "Redone"}: ${entry.label}.`);
}

const undo = () => restore(undoStack, redoStack, "Undo");
const redo = () => restore(redoStack, undoStack, "Redo");

// -- rendering -------------------------------------------------------------------

function focusedField() {
  const active = document.activeElement;
  const item = active?.closest?.("[data-uid]");
  if (!item || !list.contains(item)) return null;
  return { uid: Number(item.dataset.uid), field: active.dataset.field || null,
    action: active.dataset.action || null };
}

function focusOn(target) {
  if (!target) return;
  const item = list.querySelector(`[data-uid="${target.uid}"]`);
  if (!item) return;
  const selector = target.field ? `[data-field="${target.field}"]`
    : target.action ? `[data-action="${target.action}"]` : "input, textarea";
  const node = item.querySelector(selector) || item.querySelector("input, textarea");
  node?.focus();
  if (target.caret !== undefined && node?.setSelectionRange) {
    node.setSelectionRange(target.caret, target.caret);
  }
}

function render(focus) {
  list.replaceChildren(...doc.blocks.map((block, i) => renderBlock(block, i + 1)));
  doc.blocks.forEach((block) => updateMeters(block));
  focusOn(focus);
}

function itemOf(block) {
  return list.querySelector(`[data-uid="${block.uid}"]`);
}

function updateMeters(block) {
  const node = itemOf(block)?.querySelector(".ed-meters");
  if (node) renderMeters(node, block, config);
}

function updateLegend(block) {
  const legend = itemOf(block)?.querySelector("legend");
  if (legend) legend.textContent = legendText(block, indexOfUid(block.uid) + 1);
}

function showCaption() {
  const now = media ? media.currentTime : 0;
  $("clock").textContent = formatTime(now);
  const showing = doc.blocks.filter((b) => b.type === "cue"
    && parseTime(b.start) <= now && now < parseTime(b.end));
  $("caption").textContent = showing.map((b) => plainText(b.text)).join("\n");
  if (playUntil !== null && now >= playUntil) {
    media.pause();
    playUntil = null;
  }
}

function changed() {
  const { text } = serialize(doc);
  const dirty = text !== savedText;
  $("save-state").textContent = dirty ? "You have changes that are not saved."
    : "All changes are saved.";
  scheduleCheck();
  showCaption();
}

// -- the checker ------------------------------------------------------------------

function scheduleCheck() {
  window.clearTimeout(checkTimer);
  checkTimer = window.setTimeout(runCheck, CHECK_DELAY);
}

function showProblems(problems, lines) {
  const perBlock = doc.blocks.map(() => []);
  const whole = [];
  for (const problem of problems) {
    let at = -1;
    lines.forEach(([first, last], i) => {
      if (problem.line >= first && problem.line <= last + 1) at = i;
    });
    if (at < 0 && lines.length && problem.line > lines[lines.length - 1][1]) {
      at = lines.length - 1;
    }
    (at >= 0 ? perBlock[at] : whole).push(problem);
  }
  doc.blocks.forEach((block, i) => {
    const node = itemOf(block)?.querySelector(".ed-problems");
    if (node) renderProblems(node, perBlock[i]);
    const item = itemOf(block);
    item?.classList.toggle("ed-has-error", perBlock[i].some((p) => p.severity === "error"));
    item?.querySelectorAll("input, textarea").forEach((input) => {
      if (perBlock[i].some((p) => p.severity === "error")) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
  });
  renderProblems($("file-problems"), whole);
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const counts = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
  $("summary").textContent = `Checker: ${counts}.`;
  if (lastCounts && counts !== lastCounts) announce(`Checker: ${counts}.`);
  lastCounts = counts;
}

async function runCheck() {
  checkAbort?.abort();
  checkAbort = new AbortController();
  const { text, lines } = serialize(doc);
  try {
    const response = await fetch(config.check, {
      method: "POST", body: text, signal: checkAbort.signal, credentials: "same-origin",
      headers: { "Content-Type": "text/vtt; charset=utf-8", "X-CSRF-Token": csrf },
    });
    if (!response.ok) return;
    const answer = await response.json();
    if (serialize(doc).text === text) showProblems(answer.problems, lines);
  } catch (error) {
    if (error.name !== "AbortError") $("summary").textContent = "The checker cannot be reached.";
  }
}

// -- editing ------------------------------------------------------------------------

function blockOf(node) {
  const item = node.closest("[data-uid]");
  return item ? doc.blocks[indexOfUid(Number(item.dataset.uid))] : null;
}

function onInput(event) {
  const fieldName = event.target.dataset.field;
  const block = blockOf(event.target);
  if (!fieldName || !block) return;
  record(`typing in cue ${indexOfUid(block.uid) + 1}`, `${block.uid}:${fieldName}`);
  const value = event.target.value;
  if (fieldName === "placement") block.settings = withPlacement(block.settings, value);
  else if (fieldName === "raw") block.text = value;
  else block[fieldName] = value;
  if (fieldName === "placement") lastTyping = null;
  updateLegend(block);
  updateMeters(block);
  changed();
}

function onChange(event) {
  const fieldName = event.target.dataset.field;
  if (fieldName !== "start" && fieldName !== "end") return;
  const block = blockOf(event.target);
  const seconds = parseTime(event.target.value);
  if (!block || !Number.isFinite(seconds)) return;
  const formatted = formatTime(seconds);
  if (formatted !== block[fieldName]) {
    block[fieldName] = formatted;
    event.target.value = formatted;
    updateLegend(block);
    changed();
  }
}

function setTime(block, fieldName, seconds, label) {
  record(label);
  lastTyping = null;
  block[fieldName] = formatTime(Math.max(0, seconds));
  const input = itemOf(block)?.querySelector(`[data-field="${fieldName}"]`);
  if (input) input.value = block[fieldName];
  updateLegend(block);
  updateMeters(block);
  changed();
}

function nudge(block, fieldName, delta) {
  const current = parseTime(block[fieldName]);
  if (!Number.isFinite(current)) return;
  const number = indexOfUid(block.uid) + 1;
  const name = fieldName === "start" ? "Start" : "End";
  setTime(block, fieldName, current + delta, `${name.toLowerCase()} of cue ${number} nudged`);
  announce(`${name} of cue ${number}: ${block[fieldName]}.`);
}

function fromPlayhead(block, fieldName) {
  if (!media) return;
  const number = indexOfUid(block.uid) + 1;
  const name = fieldName === "start" ? "Start" : "End";
  setTime(block, fieldName, media.currentTime, `${name.toLowerCase()} of cue ${number} set from the playhead`);
  announce(`${name} of cue ${number}: ${block[fieldName]}.`);
}

function shift(block, delta) {
  const start = parseTime(block.start);
  const end = parseTime(block.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start + delta < 0) return;
  const number = indexOfUid(block.uid) + 1;
  record(`cue ${number} moved`);
  lastTyping = null;
  block.start = formatTime(start + delta);
  block.end = formatTime(end + delta);
  const item = itemOf(block);
  item.querySelector('[data-field="start"]').value = block.start;
  item.querySelector('[data-field="end"]').value = block.end;
  updateLegend(block);
  changed();
  announce(`Cue ${number} now ${block.start} to ${block.end}.`);
}

function playCue(block) {
  const start = parseTime(block.start);
  const end = parseTime(block.end);
  if (!media || !Number.isFinite(start)) return;
  media.currentTime = start;
  playUntil = Number.isFinite(end) ? end : null;
  media.play().catch(() => alertText("The media cannot play here."));
}

function structural(label, apply, announcement) {
  record(label);
  lastTyping = null;
  const focus = apply();
  render(focus);
  changed();
  announce(typeof announcement === "function" ? announcement() : announcement);
}

function split(block, caret) {
  const i = indexOfUid(block.uid);
  const text = block.text;
  const at = caret ?? Math.floor(text.length / 2);
  const before = text.slice(0, at).trimEnd();
  const after = text.slice(at).trimStart();
  const start = parseTime(block.start);
  const end = parseTime(block.end);
  if (!before || !after || !Number.isFinite(start) || !Number.isFinite(end)) {
    announce("Put the cursor in the text where the cue should split, between words.");
    return;
  }
  const middle = Math.round((start + ((end - start) * before.length)
    / (before.length + after.length)) * 1000) / 1000;
  const second = { ...block, uid: nextUid++, id: "", start: formatTime(middle), text: after };
  structural(`split cue ${i + 1}`, () => {
    block.text = before;
    block.end = formatTime(middle);
    doc.blocks.splice(i + 1, 0, second);
    return { uid: second.uid, field: "text", caret: 0 };
  }, `Cue ${i + 1} split at ${spokenTime(middle)}: cue ${i + 2} starts there.`);
}

function merge(block) {
  const i = indexOfUid(block.uid);
  const next = doc.blocks[i + 1];
  if (!next || next.type !== "cue" || block.type !== "cue") {
    announce(`Cue ${i + 1} has no next cue to merge with.`);
    return;
  }
  structural(`merge of cues ${i + 1} and ${i + 2}`, () => {
    const sameSpeaker = next.speaker === block.speaker || !next.speaker;
    const caret = block.text.length + 1;
    const voice = sameSpeaker ? "" : `<v ${next.speaker}>`;
    block.text = `${block.text}\n${voice}${next.text}`;
    block.end = next.end;
    doc.blocks.splice(i + 1, 1);
    return { uid: block.uid, field: "text", caret };
  }, () => `Cues ${i + 1} and ${i + 2} merged; cue ${i + 1} now ends at ${block.end}.`);
}

function newCue(start, end) {
  return { type: "cue", uid: nextUid++, id: "", start: formatTime(start), end: formatTime(end),
    settings: "", speaker: "", text: "" };
}

function insertAfter(block) {
  const i = indexOfUid(block.uid);
  const from = parseTime(block.end);
  const start = Number.isFinite(from) ? from : 0;
  const next = doc.blocks.slice(i + 1).find((b) => b.type === "cue");
  const limit = next ? parseTime(next.start) : Infinity;
  const end = Math.max(start + 0.5, Math.min(start + 2, Number.isFinite(limit) ? limit : Infinity));
  const cue = newCue(start, end);
  structural(`insert after cue ${i + 1}`, () => {
    doc.blocks.splice(i + 1, 0, cue);
    return { uid: cue.uid, field: "text" };
  }, `Cue ${i + 2} inserted, ${cue.start} to ${cue.end}. Type its text.`);
}

function addAtPlayhead() {
  const now = media ? media.currentTime : 0;
  const at = doc.blocks.findIndex((b) => b.type === "cue" && parseTime(b.start) > now);
  const index = at < 0 ? doc.blocks.length : at;
  const cue = newCue(now, now + 2);
  structural("add a cue", () => {
    doc.blocks.splice(index, 0, cue);
    return { uid: cue.uid, field: "text" };
  }, `Cue ${index + 1} added, ${cue.start} to ${cue.end}. Type its text.`);
}

function remove(block) {
  const i = indexOfUid(block.uid);
  structural(`delete of cue ${i + 1}`, () => {
    doc.blocks.splice(i, 1);
    const neighbour = doc.blocks[i] || doc.blocks[i - 1];
    return neighbour ? { uid: neighbour.uid } : null;
  }, `Cue ${i + 1} deleted. Undo brings it back.`);
  if (!doc.blocks.length) $("add").focus();
}

function moveFocus(block, step) {
  const target = doc.blocks[indexOfUid(block.uid) + step];
  if (!target) return;
  const field = document.activeElement?.dataset?.field;
  focusOn({ uid: target.uid, field: target.type === "raw" ? "raw" : field === "raw" ? "text" : field });
}

const ACTIONS = {
  play: (block) => playCue(block),
  "start-here": (block) => fromPlayhead(block, "start"),
  "end-here": (block) => fromPlayhead(block, "end"),
  split: (block) => split(block, block.caret),
  merge,
  insert: insertAfter,
  delete: remove,
};

function onClick(event) {
  const action = event.target.closest("[data-action]");
  if (!action) return;
  const block = blockOf(action);
  if (block) ACTIONS[action.dataset.action](block);
}

function onSelect(event) {
  if (event.target.dataset.field !== "text") return;
  const block = blockOf(event.target);
  if (block) block.caret = event.target.selectionStart;
}

// Keys that act while focus is in a cue; every other key is left alone.
function onKeydown(event) {
  const block = blockOf(event.target);
  if (!block) return;
  const fieldName = event.target.dataset.field;
  const key = event.key;
  let handled = true;
  if ((key === "ArrowUp" || key === "ArrowDown") && !event.altKey && !event.ctrlKey
      && (fieldName === "start" || fieldName === "end")) {
    nudge(block, fieldName, (key === "ArrowUp" ? 1 : -1) * (event.shiftKey ? 1 : NUDGE));
  } else if (event.altKey && !event.ctrlKey && !event.metaKey) {
    const code = event.code;
    if (code === "KeyP") playCue(block);
    else if (key === "Enter") togglePlay();
    else if (code === "BracketLeft") ACTIONS["start-here"](block);
    else if (code === "BracketRight") ACTIONS["end-here"](block);
    else if (code === "Comma") shift(block, -NUDGE);
    else if (code === "Period") shift(block, NUDGE);
    else if (code === "KeyK") split(block, fieldName === "text" ? event.target.selectionStart : block.caret);
    else if (code === "KeyM") merge(block);
    else if (code === "KeyN") insertAfter(block);
    else if (key === "ArrowDown") moveFocus(block, 1);
    else if (key === "ArrowUp") moveFocus(block, -1);
    else handled = false;
  } else handled = false;
  if (handled) event.preventDefault();
}

function togglePlay() {
  if (!media) return;
  if (media.paused) media.play().catch(() => alertText("The media cannot play here."));
  else media.pause();
}

// Undo, redo and save anywhere in the editor; Ctrl or Cmd.
function onEditorKeydown(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
  const key = event.key.toLowerCase();
  if (key === "z" && !event.shiftKey) undo();
  else if (key === "y" || (key === "z" && event.shiftKey)) redo();
  else if (key === "s") save();
  else return;
  event.preventDefault();
}

// -- loading and saving -------------------------------------------------------------

function load(answer) {
  const parsed = parseVtt(answer.text);
  doc = { header: parsed.header, blocks: withUids(parsed.blocks) };
  etag = answer.etag;
  savedText = serialize(doc).text;
  undoStack = [];
  redoStack = [];
  lastTyping = null;
  render(null);
  changed();
}

async function fetchTrack() {
  const response = await fetch(config.text, { credentials: "same-origin", cache: "no-store" });
  if (response.redirected) {
    // Sent to the sign-in form: the session has ended.
    throw new Error("your session has ended. Sign in again, then reload this page.");
  }
  if (!response.ok) throw new Error(await errorMessage(response));
  return response.json();
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return body.error.message;
  } catch {
    if (response.status === 401 || response.status === 403) {
      return "Your session has ended or this page is out of date: sign in again in another"
        + " tab, then try again here. Your changes are still on this page.";
    }
    return `The server answered ${response.status}. Your changes are still on this page; try again.`;
  }
}

// Whether the text is saved when it ends.
async function save() {
  if (saving) return false;
  saving = true;
  let done = false;
  $("save").setAttribute("aria-disabled", "true");
  const { text, lines } = serialize(doc);
  try {
    announce("Saving…");
    const response = await fetch(config.text, {
      method: "PUT", body: text, credentials: "same-origin",
      headers: { "Content-Type": "text/vtt; charset=utf-8", "If-Match": etag, "X-CSRF-Token": csrf },
    });
    if (response.ok) {
      const answer = await response.json();
      etag = answer.etag;
      savedText = text;
      changed();
      announce(answer.version ? `Saved as version ${answer.version}.` : "Saved; nothing had changed.");
      $("save-state").textContent = answer.version
        ? `All changes are saved (version ${answer.version}).` : "All changes are saved.";
      done = true;
    } else if (response.status === 412) {
      await showConflict(await errorMessage(response));
    } else if (response.status === 422) {
      const body = await response.json();
      showProblems(body.error.details.problems || [], lines);
      const first = (body.error.details.problems || []).find((p) => p.severity === "error");
      alertText(`Not saved. ${body.error.message}`);
      if (first) focusFirstError();
    } else {
      alertText(`Not saved. ${await errorMessage(response)}`);
    }
  } catch {
    alertText("Not saved: the server cannot be reached. Your changes are still on this page; try again.");
  } finally {
    saving = false;
    $("save").removeAttribute("aria-disabled");
  }
  return done;
}

// Approving a draft says a person reviewed this text: unsaved changes are
// saved first, and If-Match names the text approved.
async function approve() {
  if (serialize(doc).text !== savedText && !(await save())) return;
  try {
    const response = await fetch(config.approve, {
      method: "POST", credentials: "same-origin",
      headers: { "If-Match": etag, "X-CSRF-Token": csrf },
    });
    if (response.ok) {
      $("approve").remove();
      $("draft-note").textContent = "Approved: this draft now counts as captions.";
      $("save").focus();
      announce("Approved. The track now counts as captions.");
    } else if (response.status === 412) {
      await showConflict(await errorMessage(response));
    } else {
      alertText(`Not approved. ${await errorMessage(response)}`);
    }
  } catch {
    alertText("Not approved: the server cannot be reached. Try again.");
  }
}

function focusFirstError() {
  const item = list.querySelector(".ed-has-error");
  item?.querySelector("input, textarea")?.focus();
}

// -- conflicts ----------------------------------------------------------------------

function blocksText(blocks) {
  if (!blocks.length) return "(nothing)";
  return serialize({ header: "WEBVTT", blocks }).text.split("\n\n").slice(1).join("\n\n").trim();
}

async function showConflict(message) {
  const theirs = await fetchTrack();
  const theirBlocks = withUids(parseVtt(theirs.text).blocks);
  const parts = alignBlocks(theirBlocks, doc.blocks);
  const hunks = parts.filter((p) => !p.same);
  conflict = { theirs, theirBlocks, parts };
  const panel = $("conflict");
  const places = hunks.length === 1 ? "1 place differs" : `${hunks.length} places differ`;
  $("conflict-message").textContent = `${message} ${places}. For each, keep their cues or`
    + " yours; then merge, check the result, and save again.";
  const body = $("conflict-body");
  body.replaceChildren(...hunks.map((hunk, n) => {
    const fieldset = document.createElement("fieldset");
    fieldset.className = "ed-hunk";
    const legend = document.createElement("legend");
    legend.textContent = `Difference ${n + 1} of ${hunks.length}`;
    fieldset.append(legend);
    for (const [side, label] of [["theirs", "Keep their version"], ["yours", "Keep your version"]]) {
      const id = `hunk-${n}-${side}`;
      const wrap = document.createElement("div");
      wrap.className = "ed-hunk-side";
      const radio = document.createElement("input");
      Object.assign(radio, { type: "radio", name: `hunk-${n}`, id, value: side, checked: side === "yours" });
      const labelNode = document.createElement("label");
      labelNode.htmlFor = id;
      labelNode.textContent = label;
      const pre = document.createElement("pre");
      pre.className = "ed-hunk-text";
      pre.textContent = blocksText(hunk[side]);
      wrap.append(radio, labelNode, pre);
      fieldset.append(wrap);
    }
    return fieldset;
  }));
  panel.hidden = false;
  panel.focus();
  alertText(message);
}

function closeConflict() {
  $("conflict").hidden = true;
  conflict = null;
}

function mergeConflict() {
  if (!conflict) return;
  const hunkCount = conflict.parts.filter((p) => !p.same).length;
  const choices = Array.from({ length: hunkCount }, (_, n) => (
    root.querySelector(`input[name="hunk-${n}"]:checked`)?.value || "yours"));
  const merged = mergeBlocks(conflict.parts, choices);
  record("merge with their version");
  lastTyping = null;
  doc = { header: parseVtt(conflict.theirs.text).header, blocks: merged };
  etag = conflict.theirs.etag;
  savedText = serialize(parseVtt(conflict.theirs.text)).text;
  closeConflict();
  render(null);
  changed();
  list.querySelector("input, textarea")?.focus();
  announce("Merged with their version. Save when the result is right.");
}

function takeTheirs() {
  if (!conflict) return;
  const { theirs } = conflict;
  closeConflict();
  load(theirs);
  list.querySelector("input, textarea")?.focus();
  announce("Their version is loaded; your changes were discarded.");
}

// -- start ----------------------------------------------------------------------------

function openHelp() {
  const dialog = $("help-dialog");
  dialog.showModal();
  dialog.querySelector("[data-ed-help-close]").focus();
}

async function start() {
  list.addEventListener("input", onInput);
  list.addEventListener("change", onChange);
  list.addEventListener("click", onClick);
  list.addEventListener("keydown", onKeydown);
  list.addEventListener("keyup", onSelect);
  list.addEventListener("mouseup", onSelect);
  list.addEventListener("focusout", () => { lastTyping = null; });
  list.addEventListener("select", onSelect);
  root.addEventListener("keydown", onEditorKeydown);
  $("save").addEventListener("click", save);
  $("undo").addEventListener("click", undo);
  $("redo").addEventListener("click", redo);
  $("add").addEventListener("click", addAtPlayhead);
  $("help").addEventListener("click", openHelp);
  $("approve")?.addEventListener("click", approve);
  $("help-dialog").addEventListener("close", () => $("help").focus());
  $("merge").addEventListener("click", mergeConflict);
  $("take-theirs").addEventListener("click", takeTheirs);
  // Leaving with changes not saved asks first (the browser's own question).
  window.addEventListener("beforeunload", (event) => {
    if (serialize(doc).text !== savedText) event.preventDefault();
  });
  media?.addEventListener("timeupdate", showCaption);
  media?.addEventListener("seeked", showCaption);
  try {
    load(await fetchTrack());
    $("loading").hidden = true;
    $("ready").hidden = false;
  } catch (error) {
    $("loading").textContent = `The track cannot be loaded: ${error.message}`;
  }
}

start();
