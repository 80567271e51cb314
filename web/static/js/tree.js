// The lineage tree: our own layout and SVG rendering, with pan and zoom.
// Rows are generations (time flows down), leaves get consecutive columns and a parent sits over the
// middle of its children. The layout is iterative (no recursion), so a 5,000-deep chain is fine.

import { h, s, clear, fmtScore, fmtMoney, scoreColor, FLAG } from "./dom.js";

const COL = 26;
const ROW = 64;
const PAD = 40;
const LABELS = 64; // room left of the tree for the generation labels

/** x (column) and y (generation row) for every visible node. */
export function layout(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const kids = new Map();
  const roots = [];
  for (const n of nodes) {
    if (n.parent_id !== null && byId.has(n.parent_id)) {
      if (!kids.has(n.parent_id)) kids.set(n.parent_id, []);
      kids.get(n.parent_id).push(n.id);
    } else {
      roots.push(n.id);
    }
  }
  for (const list of kids.values()) list.sort((a, b) => a - b);
  const x = new Map();
  let nextLeaf = 0;
  for (const root of roots.sort((a, b) => a - b)) {
    // Post-order with an explicit stack: children are placed before their parent.
    const stack = [[root, false]];
    while (stack.length) {
      const [id, expanded] = stack.pop();
      const children = kids.get(id) || [];
      if (!children.length) { x.set(id, nextLeaf++); continue; }
      if (expanded) { x.set(id, (x.get(children[0]) + x.get(children[children.length - 1])) / 2); continue; }
      stack.push([id, true]);
      for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], false]);
    }
    nextLeaf += 0.5; // a little air between separate trees
  }
  const pos = new Map();
  for (const n of nodes) pos.set(n.id, { x: PAD + x.get(n.id) * COL, y: PAD + n.generation * ROW });
  const maxGen = Math.max(0, ...nodes.map((n) => n.generation));
  return { pos, width: PAD * 2 + Math.max(0, nextLeaf - 1) * COL, height: PAD * 2 + maxGen * ROW, maxGen };
}

function shape(node, p) {
  const { x, y } = p;
  switch (node.status) {
    case "seed":
      return s("path", { d: `M${x} ${y - 11}L${x + 11} ${y}L${x} ${y + 11}L${x - 11} ${y}Z` });
    case "rejected":
      return s("path", { d: `M${x - 7} ${y - 6}L${x + 7} ${y - 6}L${x} ${y + 7}Z` });
    case "failed":
      return s("rect", { x: x - 6, y: y - 6, width: 12, height: 12, rx: 1.5 });
    case "duplicate": // two overlapping squares, a "copy": its code is an earlier agent's
      return s("path", { d: `M${x - 7} ${y - 7}h10v10h-10ZM${x - 3} ${y - 3}h10v10h-10Z` });
    default:
      return s("circle", { cx: x, cy: y, r: node.status === "running" ? 7 : 8 });
  }
}

function edgePath(a, b) {
  const mid = (a.y + b.y) / 2;
  return `M${a.x} ${a.y}C${a.x} ${mid} ${b.x} ${mid} ${b.x} ${b.y}`;
}

export class LineageTree {
  /**
   * @param container element the tree fills
   * @param hrefFor   id -> the agent page's address (each node is a real link)
   */
  constructor(container, hrefFor) {
    this.hrefFor = hrefFor;
    this.view = null; // {k, tx, ty}; null until the first fit
    this.svg = s("svg", { class: "tree-svg", role: "img", "aria-label": "lineage tree" });
    this.viewport = s("g", { class: "viewport" });
    this.svg.append(this.viewport);
    this.tip = h("div", { class: "tree-tip", hidden: true });
    this.root = h("div", { class: "tree-wrap" }, this.svg, this.tip);
    clear(container).append(this.root);
    this.bindPanZoom();
    this.bindHover();
  }

  /** Draw ``nodes``; keeps the current pan/zoom unless this is the first draw. */
  render(nodes, bestPath) {
    this.nodes = new Map(nodes.map((n) => [n.id, n]));
    const { pos, width, height, maxGen } = layout(nodes);
    this.size = { width, height };
    const onPath = new Set(bestPath);
    const best = bestPath.length ? bestPath[bestPath.length - 1] : null;
    clear(this.viewport);

    const grid = s("g", { class: "gen-grid" });
    const step = Math.max(1, Math.ceil(maxGen / 40)); // at most ~40 labelled rows
    for (let g = 0; g <= maxGen; g += step) {
      const y = PAD + g * ROW;
      grid.append(s("line", { x1: -LABELS, x2: width, y1: y, y2: y }), s("text", { x: -LABELS, y: y - 6 }, `gen ${g}`));
    }
    this.viewport.append(grid);

    let edges = "";
    let bestEdges = "";
    for (const n of nodes) {
      if (n.parent_id === null || !pos.has(n.parent_id)) continue;
      const d = edgePath(pos.get(n.parent_id), pos.get(n.id));
      if (onPath.has(n.id) && onPath.has(n.parent_id)) bestEdges += d;
      else edges += d;
    }
    this.viewport.append(s("path", { class: "edges", d: edges || "M0 0" }), s("path", { class: "edges edges-best", d: bestEdges || "M0 0" }));

    const layer = s("g", { class: "nodes" });
    const flags = s("g", { class: "flags" }); // drawn over the nodes, never in the way of a click
    for (const n of nodes) {
      const p = pos.get(n.id);
      const mark = shape(n, p);
      const colour = scoreColor(n.score);
      const hollow = n.status === "failed" || n.status === "duplicate"; // never scored: no score colour
      mark.setAttribute("fill", hollow ? "#fff" : colour);
      // Zoomed far out, the stylesheet lets this (score-coloured) stroke give each node a visible dot.
      mark.setAttribute("stroke", n.status === "failed" ? "#b42318" : n.status === "duplicate" ? "#667085" : colour);
      const link = s("a", {
        href: this.hrefFor(n.id),
        class: `node node-${n.status}${onPath.has(n.id) ? " on-path" : ""}${n.id === best ? " best" : ""}${n.flag ? " flagged" : ""}`,
        "data-agent-id": n.id,
        "aria-label": `agent ${n.id}, ${n.status}${n.duplicate_of != null ? ` of agent ${n.duplicate_of}` : ""}, score ${fmtScore(n.score)}${n.flag ? ", flagged as a suspected reward hacker" : ""}`,
      }, mark);
      if (n.id === best) link.prepend(s("circle", { class: "best-ring", cx: p.x, cy: p.y, r: 14 }));
      layer.append(link);
      // A suspected reward hacker: a red ring and a flag over the node (its reason is in the tooltip).
      if (n.flag) {
        flags.append(s("g", { class: "flag-marker", "data-agent-id": n.id },
          s("circle", { class: "flag-ring", cx: p.x, cy: p.y, r: 12 }), s("text", { class: "flag-mark", x: p.x + 8, y: p.y - 8 }, FLAG)));
      }
    }
    this.viewport.append(layer, flags);
    if (!this.view) this.fit();
    else this.apply();
  }

  fit() {
    const box = this.svg.getBoundingClientRect();
    const w = box.width || 800;
    const hgt = box.height || 500;
    const width = this.size.width + LABELS;
    const k = Math.min(1.6, w / Math.max(width, 1), hgt / Math.max(this.size.height, 1));
    this.view = { k, tx: (w - width * k) / 2 + LABELS * k, ty: (hgt - this.size.height * k) / 2 };
    this.apply();
  }

  zoom(factor, cx, cy) {
    const box = this.svg.getBoundingClientRect();
    const px = cx ?? box.width / 2;
    const py = cy ?? box.height / 2;
    const k = Math.min(8, Math.max(0.02, this.view.k * factor));
    const f = k / this.view.k;
    this.view = { k, tx: px - (px - this.view.tx) * f, ty: py - (py - this.view.ty) * f };
    this.apply();
  }

  apply() {
    const { k, tx, ty } = this.view;
    this.viewport.setAttribute("transform", `translate(${tx} ${ty}) scale(${k})`);
    this.svg.classList.toggle("far", k < 0.45); // nodes under ~7 px: draw them as dots, edges fainter
  }

  bindPanZoom() {
    let drag = null;
    let moved = false;
    this.svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const box = this.svg.getBoundingClientRect();
      this.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - box.left, e.clientY - box.top);
    }, { passive: false });
    this.svg.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, tx: this.view.tx, ty: this.view.ty, id: e.pointerId };
      moved = false;
    });
    this.svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!moved && Math.hypot(dx, dy) > 4) {
        moved = true;
        this.svg.setPointerCapture(drag.id);
        this.svg.classList.add("dragging");
      }
      if (moved) {
        this.view = { ...this.view, tx: drag.tx + dx, ty: drag.ty + dy };
        this.apply();
      }
    });
    const end = () => { drag = null; this.svg.classList.remove("dragging"); };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
    // A drag that ends on a node is a pan, not a click on its link.
    this.svg.addEventListener("click", (e) => { if (moved) { e.preventDefault(); moved = false; } }, true);
  }

  bindHover() {
    this.svg.addEventListener("pointerover", (e) => {
      const link = e.target.closest && e.target.closest("a.node");
      if (!link) return;
      const n = this.nodes.get(Number(link.dataset.agentId));
      if (!n) return;
      clear(this.tip).append(...[ // (a plain Element.append would write a null as the text "null")
        h("div", { class: "tip-title" }, `Agent ${n.id}`, h("span", { class: `badge badge-${n.status}` }, n.status)),
        h("div", {}, `score ${fmtScore(n.score)}`, n.n_tasks ? ` · ${n.n_resolved}/${n.n_tasks} tasks` : "", ` · ${fmtMoney(n.cost_usd)}`),
        h("div", { class: "muted" }, `generation ${n.generation}`, n.parent_id !== null ? ` · parent ${n.parent_id}` : ""),
        n.target_task ? h("div", { class: "muted" }, `target: ${n.target_task}`) : null,
        n.duplicate_of != null ? h("div", { class: "muted", "data-role": "duplicate-of" }, `duplicate of agent ${n.duplicate_of}`) : null,
        n.flag ? h("div", { class: "tip-flag", "data-role": "flag" }, `${FLAG} flagged: ${n.flag.slice(0, 300)}`) : null,
        n.reason ? h("div", { class: "tip-reason" }, n.reason.slice(0, 200)) : null,
      ].filter(Boolean));
      const box = this.root.getBoundingClientRect();
      const r = link.getBoundingClientRect();
      this.tip.hidden = false;
      const left = Math.min(r.right - box.left + 10, box.width - 280);
      this.tip.style.left = `${Math.max(4, left)}px`;
      this.tip.style.top = `${Math.max(4, r.top - box.top - 8)}px`;
    });
    this.svg.addEventListener("pointerout", (e) => {
      if (e.target.closest && e.target.closest("a.node")) this.tip.hidden = true;
    });
  }
}
