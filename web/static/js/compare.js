// Compare runs: best score against generations and against dollars spent, every run on one chart.

import { h, api, main, clear, card, errorBox, setCrumbs, runUrl, fmtScore, fmtMoney, fmtInt } from "./dom.js";
import { chart, PALETTE } from "./charts.js";

function picker(all, chosen) {
  const form = h("div", { class: "picker" });
  for (const r of all) {
    const box = h("input", { type: "checkbox", checked: chosen.includes(r.dir), dataset: { run: r.dir } });
    form.append(h("label", { class: "check" }, box, r.dir));
  }
  const go = h("button", { class: "btn btn-primary", type: "button" }, "Compare");
  go.addEventListener("click", () => {
    const q = new URLSearchParams();
    form.querySelectorAll("input:checked").forEach((b) => q.append("run", b.dataset.run));
    location.href = `/compare?${q}`;
  });
  return card("Runs", form, go);
}

async function start() {
  setCrumbs([{ text: "Runs", href: "/" }, { text: "Compare" }]);
  const chosen = new URLSearchParams(location.search).getAll("run");
  const all = await api("/api/runs");
  const root = clear(main());
  root.append(h("div", { class: "page-head" }, h("div", { class: "title-row" }, h("h1", {}, "Compare runs"))));
  if (!chosen.length) {
    root.append(picker(all, chosen));
    return;
  }
  const q = new URLSearchParams();
  chosen.forEach((c) => q.append("run", c));
  const runs = await api(`/api/compare?${q}`);
  const color = (i) => PALETTE[i % PALETTE.length];
  const byGen = runs.map((r, i) => ({ name: r.dir, kind: "step", color: color(i), points: r.iterations.map((it) => [it.generation, it.best]) }));
  const byCost = runs.map((r, i) => ({ name: r.dir, kind: "line", color: color(i), points: r.iterations.map((it) => [it.cost, it.best]) }));
  const a = h("div", { id: "chart-gen" });
  const b = h("div", { id: "chart-cost" });
  root.append(h("div", { class: "grid-2" }, card("Best score against generations", a), card("Best score against dollars spent", b)));
  chart(a, byGen, { xLabel: "generation", yLabel: "best score", yMin: 0, yMax: 1, xInteger: true, yFormat: fmtScore });
  chart(b, byCost, { xLabel: "USD spent", yLabel: "best score", yMin: 0, yMax: 1, xFormat: fmtMoney, yFormat: fmtScore });
  const rows = runs.map((r, i) => {
    const last = r.iterations[r.iterations.length - 1] || {};
    const sw = h("span", { class: "swatch" });
    sw.style.background = color(i);
    return h("tr", {}, h("td", {}, sw, " ", h("a", { href: runUrl(r.dir) }, r.dir)), h("td", {}, r.status || ""),
      h("td", {}, fmtInt(last.generation)), h("td", {}, fmtScore(last.best)), h("td", {}, fmtMoney(last.cost)),
      h("td", {}, last.best && last.cost ? `${fmtMoney(last.cost / (last.best * 100))} per point` : "—"));
  });
  root.append(card("Summary", h("table", { class: "table" },
    h("thead", {}, h("tr", {}, ["Run", "Status", "Generations", "Best", "Spent", "Cost per score point"].map((x) => h("th", {}, x)))), h("tbody", {}, rows))));
  root.append(picker(all, chosen));
}

start().catch((err) => clear(main()).append(errorBox(err)));
