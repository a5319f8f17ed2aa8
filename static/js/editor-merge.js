// Lining up two versions of a track, block by block, for the conflict view:
// the blocks both have stay; where they differ, a "hunk" holds their blocks
// and yours, and the person picks one side per hunk.

import { blockKey } from "./editor-vtt.js";

// [{same: [blocks]} | {theirs: [blocks], yours: [blocks]}], in file order,
// from the longest common subsequence of the two block lists.
export function alignBlocks(theirs, yours) {
  const a = theirs.map(blockKey);
  const b = yours.map(blockKey);
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i * cols + j] = a[i] === b[j]
        ? table[(i + 1) * cols + j + 1] + 1
        : Math.max(table[(i + 1) * cols + j], table[i * cols + j + 1]);
    }
  }
  const parts = [];
  let hunk = null;
  const flush = () => {
    if (hunk) parts.push(hunk);
    hunk = null;
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      const last = parts[parts.length - 1];
      if (last && last.same) last.same.push(theirs[i]);
      else parts.push({ same: [theirs[i]] });
      i += 1;
      j += 1;
    } else {
      hunk = hunk || { theirs: [], yours: [] };
      if (j >= b.length || (i < a.length && table[(i + 1) * cols + j] >= table[i * cols + j + 1])) {
        hunk.theirs.push(theirs[i]);
        i += 1;
      } else {
        hunk.yours.push(yours[j]);
        j += 1;
      }
    }
  }
  flush();
  return parts;
}

// The blocks of a merge: each hunk's chosen side ("theirs" or "yours").
export function mergeBlocks(parts, choices) {
  const blocks = [];
  let hunk = 0;
  for (const part of parts) {
    if (part.same) blocks.push(...part.same);
    else {
      blocks.push(...(choices[hunk] === "theirs" ? part.theirs : part.yours));
      hunk += 1;
    }
  }
  return blocks.map((block) => ({ ...block }));
}
