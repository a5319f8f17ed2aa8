// WebVTT for the caption editor: reading a file into blocks, writing it back,
// times, speakers and placement, and the readability numbers.
//
// A file becomes its header (the WEBVTT line and any STYLE, REGION or NOTE
// blocks before the first cue, kept as written) and a list of blocks. A cue
// block is split into fields a person edits; any other block (a NOTE between
// cues, or a cue whose timing line is broken, which the checker reports) is
// kept as raw text the person can fix. Writing gives back the same text for
// whatever was not edited, and notes each block's line numbers so the
// checker's problems can be shown beside the block they concern.

const TIME = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$/;

// Seconds from "hh:mm:ss.ttt", "mm:ss.ttt", "ss.t" or "ss"; NaN otherwise.
export function parseTime(text) {
  const value = String(text).trim();
  if (/^\d+(?:[.,]\d+)?$/.test(value)) return Number(value.replace(",", "."));
  const match = TIME.exec(value);
  if (!match) return NaN;
  const [, hours, minutes, seconds, fraction] = match;
  if (hours !== undefined && Number(minutes) > 59) return NaN;
  if (Number(seconds) > 59) return NaN;
  const ms = fraction ? Number(fraction.padEnd(3, "0")) : 0;
  return Number(hours || 0) * 3600 + Number(minutes) * 60 + Number(seconds) + ms / 1000;
}

// "00:01:05.200": the form WebVTT requires, always with hours.
export function formatTime(seconds) {
  const total = Math.max(0, Math.round(seconds * 1000));
  const ms = total % 1000;
  const s = Math.floor(total / 1000) % 60;
  const m = Math.floor(total / 60000) % 60;
  const h = Math.floor(total / 3600000);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(h)}:${two(m)}:${two(s)}.${String(ms).padStart(3, "0")}`;
}

// "1 minute 5.2 seconds": for announcements.
export function spokenTime(seconds) {
  const rounded = Math.round(seconds * 10) / 10;
  const minutes = Math.floor(rounded / 60);
  const rest = Math.round((rounded - minutes * 60) * 10) / 10;
  const parts = [];
  if (minutes) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  if (rest || !minutes) parts.push(`${rest} second${rest === 1 ? "" : "s"}`);
  return parts.join(" ");
}

const SPEAKER = /^<v((?:\.[^\s.>]+)*)[ \t]+([^>]*)>/;

// A cue's payload as {speaker, voice, closed, text}: a single leading
// <v.class Name> becomes the speaker (its classes in `voice`, and whether
// </v> closed it at the end in `closed`, so both are written back);
// anything else stays in the text as written.
export function splitSpeaker(payload) {
  const match = SPEAKER.exec(payload);
  const none = { speaker: "", voice: "", closed: false, text: payload };
  if (!match) return none;
  const rest = payload.slice(match[0].length);
  if (/<v[\s.>]/.test(rest)) return none;
  const closed = /<\/v>$/.test(rest);
  return { speaker: match[2].trim(), voice: match[1], closed,
    text: closed ? rest.slice(0, -4) : rest };
}

function joinSpeaker(block) {
  const speaker = block.speaker.trim();
  if (!speaker) return block.text;
  const end = block.closed ? "</v>" : "";
  return `<v${block.voice || ""} ${speaker}>${block.text}${end}`;
}

// Placement: "top" when the settings put the cue on the first line.
export function placementOf(settings) {
  return /(^|\s)line:0(%|\s|,|$)/.test(settings) ? "top" : "bottom";
}

export function withPlacement(settings, placement) {
  const kept = settings.split(/\s+/).filter((s) => s && !s.startsWith("line:"));
  if (placement === "top") kept.unshift("line:0");
  return kept.join(" ");
}

function cueFrom(lines) {
  const timingAt = lines[0].includes("-->") ? 0 : 1;
  const timing = /^(\S+)[ \t]+-->[ \t]+(\S+)(.*)$/.exec(lines[timingAt]);
  if (!timing) return null;
  const voice = splitSpeaker(lines.slice(timingAt + 1).join("\n"));
  return {
    type: "cue",
    id: timingAt ? lines[0] : "",
    start: timing[1],
    end: timing[2],
    settings: timing[3].trim(),
    ...voice,
  };
}

// {header, blocks}: see the comment at the top.
export function parseVtt(source) {
  const text = source.replace(/^\ufeff/, "").replace(/\r\n?/g, "\n");
  const chunks = text.split(/\n{2,}/);
  const headerParts = [chunks.shift() ?? "WEBVTT"];
  const blocks = [];
  for (const chunk of chunks) {
    const trimmed = chunk.replace(/^\n+|\n+$/g, "");
    if (!trimmed) continue;
    const lines = trimmed.split("\n");
    const isCue = lines[0].includes("-->") || (lines.length > 1 && lines[1].includes("-->"));
    const cue = isCue ? cueFrom(lines) : null;
    if (cue) blocks.push(cue);
    else if (!blocks.length && /^(STYLE|REGION|NOTE)\b/.test(lines[0])) headerParts.push(trimmed);
    else blocks.push({ type: "raw", text: trimmed });
  }
  return { header: headerParts.join("\n\n"), blocks };
}

function blockText(block) {
  if (block.type === "raw") return block.text;
  const settings = block.settings ? ` ${block.settings}` : "";
  const timing = `${block.start} --> ${block.end}${settings}`;
  const payload = joinSpeaker(block).replace(/\n{2,}/g, "\n");
  return [block.id, timing, payload].filter((part, i) => i > 0 || part).join("\n");
}

// {text, lines}: the file, and for each block its first and last line number.
export function serialize(doc) {
  const parts = [doc.header.trim() || "WEBVTT"];
  let line = parts[0].split("\n").length + 2;
  const lines = [];
  for (const block of doc.blocks) {
    const text = blockText(block);
    const count = text.split("\n").length;
    lines.push([line, line + count - 1]);
    parts.push(text);
    line += count + 1;
  }
  return { text: `${parts.join("\n\n")}\n`, lines };
}

export function blockKey(block) {
  return blockText(block);
}

// The text a viewer reads: tags removed, entities left as the checker counts them.
export function plainText(text) {
  return text.replace(/<[^>]*>/g, "").replace(/&amp;/g, "&").replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">").replace(/&nbsp;/g, " ");
}

// Reading rate (characters a second) and the longest line of a cue.
export function readability(block) {
  const plain = plainText(block.text);
  const lines = plain.split("\n");
  const characters = plain.replace(/\n/g, "").length;
  const duration = parseTime(block.end) - parseTime(block.start);
  return {
    rate: duration > 0 ? characters / duration : Infinity,
    longest: Math.max(0, ...lines.map((l) => [...l].length)),
    lines: lines.length,
  };
}

export function wordCount(text) {
  return plainText(text).split(/\s+/).filter(Boolean).length;
}
