// Small SVG charts: lines, steps and scatter on numeric axes, a legend and a hover read-out.

import { h, s, clear } from "./dom.js";

const W = 640;
const H = 260;
const M = { top: 14, right: 16, bottom: 38, left: 56 };

export const PALETTE = ["#4f46e5", "#0d9488", "#d97706", "#db2777", "#2563eb", "#65a30d", "#7c3aed", "#dc2626"];

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function ticks(min, max, count, integer) {
  let step = niceStep(max - min, count);
  if (integer) step = Math.max(1, Math.round(step));
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * series: [{name, points: [[x, y], ...], kind: "line" | "step" | "scatter", color, dashed, pointColor}]
 * options: {xLabel, yLabel, yMin, yMax, xInteger, xFormat, yFormat, height}
 */
export function chart(container, series, options = {}) {
  const all = series.flatMap((sr) => sr.points).filter((p) => p[1] !== null && p[1] !== undefined);
  clear(container);
  if (!all.length) {
    container.append(h("div", { class: "chart-empty" }, options.empty || "No data yet."));
    return;
  }
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  let y0 = options.yMin ?? Math.min(...ys);
  let y1 = options.yMax ?? Math.max(...ys);
  if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const sx = (x) => M.left + ((x - x0) / (x1 - x0)) * iw;
  const sy = (y) => M.top + ih - ((y - y0) / (y1 - y0)) * ih;
  const xf = options.xFormat || ((v) => String(v));
  const yf = options.yFormat || ((v) => String(v));

  const svg = s("svg", { class: "chart-svg", viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": options.label || "chart" });
  const axes = s("g", { class: "axes" });
  for (const v of ticks(y0, y1, 5, false)) {
    axes.append(s("line", { class: "grid", x1: M.left, x2: W - M.right, y1: sy(v), y2: sy(v) }),
      s("text", { class: "tick", x: M.left - 8, y: sy(v) + 4, "text-anchor": "end" }, yf(v)));
  }
  for (const v of ticks(x0, x1, 8, options.xInteger)) {
    axes.append(s("line", { class: "tickmark", x1: sx(v), x2: sx(v), y1: M.top + ih, y2: M.top + ih + 5 }),
      s("text", { class: "tick", x: sx(v), y: M.top + ih + 18, "text-anchor": "middle" }, xf(v)));
  }
  axes.append(s("line", { class: "axis", x1: M.left, x2: W - M.right, y1: M.top + ih, y2: M.top + ih }));
  if (options.xLabel) axes.append(s("text", { class: "axis-label", x: M.left + iw / 2, y: H - 4, "text-anchor": "middle" }, options.xLabel));
  if (options.yLabel) {
    axes.append(s("text", { class: "axis-label", x: 14, y: M.top + ih / 2, "text-anchor": "middle",
      transform: `rotate(-90 14 ${M.top + ih / 2})` }, options.yLabel));
  }
  svg.append(axes);

  for (const sr of series) {
    const pts = sr.points.filter((p) => p[1] !== null && p[1] !== undefined);
    if (!pts.length) continue;
    if (sr.kind === "scatter") {
      const g = s("g", { class: "scatter" });
      // Thousands of points: one path of tiny circles instead of one element each.
      let d = "";
      for (const [x, y] of pts) d += `M${sx(x) - 3} ${sy(y)}a3 3 0 1 0 6 0a3 3 0 1 0 -6 0`;
      g.append(s("path", { d, fill: sr.color, "fill-opacity": 0.5, stroke: "#fff", "stroke-width": 0.8 }));
      svg.append(g);
      continue;
    }
    let d = `M${sx(pts[0][0])} ${sy(pts[0][1])}`;
    for (let i = 1; i < pts.length; i++) {
      if (sr.kind === "step") d += `H${sx(pts[i][0])}V${sy(pts[i][1])}`;
      else d += `L${sx(pts[i][0])} ${sy(pts[i][1])}`;
    }
    svg.append(s("path", { class: "series", d, stroke: sr.color, "stroke-dasharray": sr.dashed ? "5 4" : null }));
  }

  // Hover: a vertical rule at the nearest x and every line series' value there.
  const rule = s("line", { class: "hover-rule", y1: M.top, y2: M.top + ih, visibility: "hidden" });
  const hit = s("rect", { class: "hover-hit", x: M.left, y: M.top, width: iw, height: ih, fill: "transparent" });
  svg.append(rule, hit);
  const readout = h("div", { class: "chart-readout", hidden: true });
  const lines = series.filter((sr) => sr.kind !== "scatter");
  const allX = [...new Set(lines.flatMap((sr) => sr.points.map((p) => p[0])))].sort((a, b) => a - b);
  hit.addEventListener("pointermove", (e) => {
    if (!allX.length) return;
    const box = svg.getBoundingClientRect();
    const x = x0 + (((e.clientX - box.left) / box.width) * W - M.left) / iw * (x1 - x0);
    const nearest = allX.reduce((a, b) => (Math.abs(b - x) < Math.abs(a - x) ? b : a));
    rule.setAttribute("x1", sx(nearest));
    rule.setAttribute("x2", sx(nearest));
    rule.setAttribute("visibility", "visible");
    clear(readout).append(h("div", { class: "readout-x" }, `${options.xLabel || "x"}: ${xf(nearest)}`));
    for (const sr of lines) {
      const p = sr.points.find((q) => q[0] === nearest);
      if (p && p[1] !== null) readout.append(h("div", {}, h("span", { class: "swatch", dataset: { color: sr.color } }), `${sr.name}: ${yf(p[1])}`));
    }
    readout.querySelectorAll(".swatch").forEach((el) => { el.style.background = el.dataset.color; });
    readout.hidden = false;
  });
  hit.addEventListener("pointerleave", () => { rule.setAttribute("visibility", "hidden"); readout.hidden = true; });

  const legend = h("div", { class: "legend" });
  for (const sr of series) {
    const sw = h("span", { class: `swatch${sr.kind === "scatter" ? " swatch-dot" : ""}${sr.dashed ? " swatch-dashed" : ""}` });
    sw.style.background = sr.color;
    legend.append(h("span", { class: "legend-item" }, sw, sr.name));
  }
  container.append(h("div", { class: "chart" }, svg, readout), legend);
}
