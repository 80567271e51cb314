// The runs page: every run under the run root, refreshed while any of them works; pick two or
// more to compare.

import { h, api, main, clear, badge, errorBox, setCrumbs, setLive, every, runUrl, fmtScore, fmtMoney, fmtInt, fmtTime, fmtAgo } from "./dom.js";

const chosen = new Set();

function scoreBar(score) {
  const bar = h("span", { class: "bar-fill" });
  bar.style.width = `${Math.round((score || 0) * 100)}%`;
  return h("span", { class: "score-cell" }, h("span", { class: "bar" }, bar), fmtScore(score));
}

function compareButton() {
  const names = [...chosen];
  const button = document.getElementById("compare");
  if (!button) return;
  button.toggleAttribute("disabled", names.length < 2);
  button.textContent = names.length < 2 ? "Select two or more runs to compare" : `Compare ${names.length} runs`;
}

function table(runs) {
  const rows = runs.map((r) => {
    const box = h("input", { type: "checkbox", "aria-label": `select ${r.dir}`, checked: chosen.has(r.dir), dataset: { run: r.dir } });
    box.addEventListener("change", () => { box.checked ? chosen.add(r.dir) : chosen.delete(r.dir); compareButton(); });
    const c = r.counts;
    return h("tr", { dataset: { run: r.dir } },
      h("td", {}, box),
      h("td", {}, h("a", { class: "run-link", href: runUrl(r.dir) }, r.dir), r.name && r.name !== r.dir ? h("div", { class: "muted small" }, r.name) : null),
      h("td", {}, badge(r.status)),
      h("td", {}, fmtInt(r.agents), h("div", { class: "muted small" }, `${(c.seed || 0) + (c.valid || 0)} archived · ${c.rejected || 0} rejected${c.failed ? ` · ${c.failed} failed` : ""}`)),
      h("td", {}, fmtInt(r.generations)),
      h("td", {}, scoreBar(r.best_score)),
      h("td", {}, fmtMoney(r.cost_usd)),
      h("td", {}, fmtTime(r.started)),
      h("td", { title: fmtTime(r.last_activity) }, fmtAgo(r.last_activity)));
  });
  return h("table", { class: "table runs-table" },
    h("thead", {}, h("tr", {}, ["", "Run", "Status", "Attempts", "Generations", "Best score", "Cost", "Started", "Last activity"].map((x) => h("th", {}, x)))),
    h("tbody", {}, rows));
}

async function refresh() {
  const runs = await api("/api/runs");
  const root = clear(main());
  root.append(h("div", { class: "page-head" }, h("div", { class: "title-row" }, h("h1", {}, "Runs")),
    h("div", { class: "subtitle" }, `${runs.length} run${runs.length === 1 ? "" : "s"} under the run root`)));
  if (!runs.length) {
    root.append(h("section", { class: "card empty" }, h("p", {}, "No runs here yet. Start one with "), h("code", {}, "dgm run --demo --run-dir RUN_ROOT/demo")));
    return runs;
  }
  const compare = h("button", { class: "btn btn-primary", id: "compare", type: "button" });
  compare.addEventListener("click", () => {
    const q = new URLSearchParams();
    for (const name of chosen) q.append("run", name);
    location.href = `/compare?${q}`;
  });
  root.append(h("section", { class: "card" }, h("div", { class: "table-scroll" }, table(runs)), h("div", { class: "toolbar" }, compare)));
  compareButton();
  setLive(runs.some((r) => r.status === "running"), "live");
  return runs;
}

setCrumbs([{ text: "Runs" }]);
refresh().catch((err) => clear(main()).append(errorBox(err)));
every(10000, refresh);
