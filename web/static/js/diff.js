// Unified diffs rendered like a pull request: one collapsible block per file, old and new line
// numbers, additions and deletions coloured. Every line is text (textContent), whatever it holds.

import { h, clear } from "./dom.js";

const MAX_LINES = 4000; // rendered at once; the rest behind a button

/** Files of a `git diff` text: [{oldPath, newPath, meta: [...], hunks: [{header, lines: [...]}]}]. */
export function parseDiff(text) {
  const files = [];
  let file = null;
  let hunk = null;
  let oldNo = 0;
  let newNo = 0;
  for (const line of (text || "").split("\n")) {
    if (line.startsWith("diff --git ")) {
      const m = line.match(/^diff --git a\/(.*) b\/(.*)$/);
      file = { oldPath: m ? m[1] : line.slice(11), newPath: m ? m[2] : line.slice(11), meta: [], hunks: [], added: 0, removed: 0 };
      files.push(file);
      hunk = null;
    } else if (!file) {
      continue;
    } else if (line.startsWith("@@")) {
      const m = line.match(/^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/);
      oldNo = m ? Number(m[1]) : 0;
      newNo = m ? Number(m[2]) : 0;
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
    } else if (!hunk) {
      if (line.startsWith("--- ") || line.startsWith("+++ ")) continue;
      file.meta.push(line);
    } else if (line.startsWith("+")) {
      hunk.lines.push({ type: "add", text: line.slice(1), newNo: newNo++ });
      file.added++;
    } else if (line.startsWith("-")) {
      hunk.lines.push({ type: "del", text: line.slice(1), oldNo: oldNo++ });
      file.removed++;
    } else if (line.startsWith("\\")) {
      hunk.lines.push({ type: "note", text: line });
    } else if (line.length) { // a context line (git starts each with a space)
      hunk.lines.push({ type: "ctx", text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return files;
}

function row(cls, oldNo, newNo, sign, text) {
  return h("tr", { class: `dl dl-${cls}` },
    h("td", { class: "ln" }, oldNo ?? ""), h("td", { class: "ln" }, newNo ?? ""),
    h("td", { class: "sign" }, sign), h("td", { class: "code" }, text));
}

function fileBlock(file, budget) {
  const path = file.oldPath === file.newPath ? file.newPath : `${file.oldPath} → ${file.newPath}`;
  const body = h("tbody");
  let shown = 0;
  let hidden = 0;
  for (const hunk of file.hunks) {
    if (shown >= budget.left) { hidden += hunk.lines.length; continue; }
    body.append(h("tr", { class: "dl dl-hunk" }, h("td", { colspan: 4, class: "code" }, hunk.header)));
    for (const l of hunk.lines) {
      if (shown >= budget.left) { hidden++; continue; }
      const sign = l.type === "add" ? "+" : l.type === "del" ? "−" : "";
      body.append(row(l.type, l.oldNo, l.newNo, sign, l.text));
      shown++;
    }
  }
  budget.left -= shown;
  const meta = file.meta.filter((m) => !m.startsWith("index ")).join("  ");
  const summary = h("summary", { class: "diff-file-head" },
    h("span", { class: "diff-path" }, path),
    h("span", { class: "diff-counts" }, h("span", { class: "plus" }, `+${file.added}`), " ", h("span", { class: "minus" }, `−${file.removed}`)),
    meta ? h("span", { class: "diff-meta" }, meta) : null);
  const details = h("details", { class: "diff-file", open: true }, summary,
    file.hunks.length ? h("div", { class: "diff-scroll" }, h("table", { class: "diff-table" }, body)) : h("div", { class: "diff-note" }, meta || "No textual change (binary or mode only)."));
  if (hidden) details.append(h("div", { class: "diff-note" }, `${hidden} more lines not shown.`));
  return details;
}

/** Renders `text` (a unified diff) into `container`; `showAll` lifts the line budget. */
export function renderDiff(container, text, { showAll = false, truncated = false } = {}) {
  clear(container);
  const files = parseDiff(text);
  if (!files.length) {
    container.append(h("div", { class: "diff-empty" }, "No differences."));
    return;
  }
  const total = files.reduce((n, f) => n + f.hunks.reduce((m, hk) => m + hk.lines.length, 0), 0);
  const budget = { left: showAll ? Infinity : MAX_LINES };
  const list = h("div", { class: "diff-files" });
  for (const f of files) list.append(fileBlock(f, budget));
  container.append(list);
  if (!showAll && total > MAX_LINES) {
    container.append(h("button", { class: "btn", type: "button", onclick: () => renderDiff(container, text, { showAll: true, truncated }) },
      `Show all ${total.toLocaleString()} lines`));
  }
  if (truncated) container.append(h("div", { class: "diff-note" }, "The diff was cut at 2 MB; download the code for the rest."));
}
