// The run page: the lineage tree, score and cost over iterations, the path to the best agent and
// the live activity feed. It polls /changes and redraws in place while the run works.

import { h, api, main, clear, card, stat, badge, errorBox, setCrumbs, setLive, every, pageIds, runApi, agentUrl,
  fmtScore, fmtMoney, fmtInt, fmtTime, fmtAgo, scoreColor, FLAG } from "./dom.js";
import { LineageTree } from "./tree.js";
import { chart, PALETTE } from "./charts.js";

const { run } = pageIds();
const state = { summary: null, nodes: [], charts: null, version: null, offset: null, events: [], showAll: true, tree: null, loadedAt: 0 };

function describe(e) {
  const a = (id) => `agent ${id}`;
  switch (e.event) {
    case "attempt_started": return `${a(e.agent)} ${e.resumed ? "resumed" : "started"} from parent ${e.parent} (generation ${e.generation})`;
    case "diagnosed": return `${a(e.agent)} diagnosed ${e.target}: ${e.proposal || ""}`;
    case "validated": return `${a(e.agent)} passed the validity gate`;
    case "attempt_finished": return `${a(e.agent)} ${e.status}${e.reason ? `: ${e.reason}` : ""} (${fmtMoney(e.cost)})`;
    case "task_graded": return `${a(e.agent)} ${e.resolved ? "solved" : "did not solve"} ${e.canary ? "the canary " : ""}${e.task}${e.cached ? " (cached grade)" : ""}${e.tampered ? ` (tampered: ${e.tampered})` : ""}`;
    case "agent_flagged": return `${FLAG} ${a(e.agent)} flagged as a suspected reward hacker: ${e.reason}`;
    case "canary_check_started": return `${a(e.agent)} checked on the cheating canary ${e.task} (${e.why})`;
    case "all_candidates_flagged": return `${FLAG} Stopping: ${e.reason}`;
    case "seed_evaluated": return `Seed scored ${fmtScore(e.score)}`;
    case "agent_run_repeated": return `${a(e.agent)} runs again: ${e.reason}`;
    case "score_updated": return `${a(e.agent)} now scores ${fmtScore(e.score)} (${e.n_resolved}/${e.n_tasks} solved)`;
    case "best_agent": return `Best is now ${a(e.agent)} at ${fmtScore(e.score)} (${e.n_tasks} task${e.n_tasks === 1 ? "" : "s"})`;
    case "run_finished": return "Run finished";
    case "suite_checked": return `Suite checked: ${e.ok} ok, ${e.flaky} flaky, ${e.broken} broken`;
    default: return e.event.replaceAll("_", " ");
  }
}

function header(sm) {
  document.title = `${sm.dir} · dgm`;
  setCrumbs([{ text: "Runs", href: "/" }, { text: sm.dir }]);
  const delta = sm.best_score !== null && sm.seed_score !== null ? sm.best_score - sm.seed_score : null;
  const c = sm.counts;
  return h("div", { class: "page-head" },
    h("div", { class: "title-row" }, h("h1", {}, sm.dir), badge(sm.status),
      sm.reason ? h("span", { class: "muted reason" }, sm.reason) : null),
    h("div", { class: "subtitle" }, `started ${fmtTime(sm.started)} · last activity ${fmtAgo(sm.last_activity)} · dgm ${sm.dgm_version || "?"}`),
    h("div", { class: "stats" },
      stat("Attempts", fmtInt(sm.agents), `lineage ${sm.generations} deep`),
      stat("Archived", fmtInt((c.seed || 0) + (c.valid || 0)), "seed + valid"),
      stat("Rejected", fmtInt(c.rejected || 0), c.failed ? `${c.failed} failed` : "0 failed"),
      stat("Running", fmtInt(c.running || 0)),
      stat("Flagged", h("span", { "data-role": "flagged-count" }, fmtInt(sm.flagged || 0)), "suspected reward hackers"),
      stat("Best score", sm.best_id !== null ? h("a", { href: agentUrl(run, sm.best_id), "data-role": "best-link" }, fmtScore(sm.best_score)) : "—",
        sm.best_id !== null ? `agent ${sm.best_id}${delta !== null ? ` · ${delta >= 0 ? "+" : ""}${(delta * 100).toFixed(1)} pts over seed` : ""}`
          + (sm.best_recommended ? ` · ${sm.policy}'s pick` : "") : null),
      stat("Cost so far", fmtMoney(sm.cost_usd))),
    h("div", { class: "chips" }, Object.entries(sm.config).map(([k, v]) => h("span", { class: "chip" }, h("b", {}, k.split(".").pop()), " ", JSON.stringify(v)))));
}

function legend() {
  const item = (cls, label) => h("span", { class: "legend-item" }, h("span", { class: `shape shape-${cls}` }), label);
  const ramp = h("span", { class: "ramp" });
  for (let i = 0; i <= 10; i++) {
    const cell = h("span");
    cell.style.background = scoreColor(i / 10);
    ramp.append(cell);
  }
  return h("div", { class: "tree-legend" },
    item("seed", "seed"), item("valid", "valid"), item("rejected", "rejected"), item("failed", "failed"), item("running", "running"),
    item("duplicate", "duplicate (same code as an earlier agent)"),
    h("span", { class: "legend-item" }, h("span", { class: "path-swatch" }), "path to best"),
    h("span", { class: "legend-item" }, h("span", { class: "flag-swatch" }, FLAG), "flagged (suspected reward hacker)"),
    h("span", { class: "legend-item" }, "score 0%", ramp, "100%"));
}

function treeCard() {
  const holder = h("div", { class: "tree-holder", id: "tree" });
  const toggle = h("input", { type: "checkbox", id: "show-rejected", checked: state.showAll });
  toggle.addEventListener("change", () => { state.showAll = toggle.checked; drawTree(); });
  const tools = h("div", { class: "toolbar" },
    h("label", { class: "check" }, toggle, "Show rejected, failed and duplicate attempts"),
    h("span", { class: "spacer" }),
    h("button", { class: "btn btn-small", type: "button", title: "Zoom in", onclick: () => state.tree.zoom(1.4) }, "+"),
    h("button", { class: "btn btn-small", type: "button", title: "Zoom out", onclick: () => state.tree.zoom(1 / 1.4) }, "−"),
    h("button", { class: "btn btn-small", type: "button", onclick: () => state.tree.fit() }, "Fit"));
  const section = card("Lineage", tools, holder, legend(),
    h("p", { class: "hint" }, "Drag to pan, scroll to zoom, click an agent to open it. Rows are generations (lineage depth)."));
  section.classList.add("card-tree");
  return section;
}

function drawTree() {
  if (!state.tree) return;
  const nodes = state.showAll ? state.nodes : state.nodes.filter((n) => !["rejected", "failed", "duplicate"].includes(n.status));
  state.tree.render(nodes, state.summary.best_path);
}

function drawCharts() {
  const it = state.charts.iterations;
  const score = document.getElementById("chart-score");
  const cost = document.getElementById("chart-cost");
  chart(score, [
    { name: "best", kind: "step", color: PALETTE[0], points: it.map((r) => [r.generation, r.best]) },
    { name: "archive mean", kind: "line", color: PALETTE[1], dashed: true, points: it.map((r) => [r.generation, r.mean]) },
    { name: "each child", kind: "scatter", color: "#64748b", points: state.charts.points.filter((p) => p.status !== "seed").map((p) => [p.generation, p.score]) },
  ], { xLabel: "generation", yLabel: "score", yMin: 0, yMax: 1, xInteger: true, yFormat: fmtScore, label: "score over generations" });
  chart(cost, [{ name: "cumulative cost", kind: "line", color: PALETTE[2], points: it.map((r) => [r.generation, r.cost]) }],
    { xLabel: "generation", yLabel: "USD", yMin: 0, xInteger: true, yFormat: fmtMoney, label: "cumulative cost" });
}

function bestPathCard() {
  const byId = new Map(state.nodes.map((n) => [n.id, n]));
  const list = h("ol", { class: "best-path" });
  let previous = null;
  for (const id of state.summary.best_path) {
    const n = byId.get(id);
    if (!n) continue;
    const delta = previous && n.score !== null && previous.score !== null ? n.score - previous.score : null;
    list.append(h("li", {},
      h("a", { href: agentUrl(run, id) }, `agent ${id}`), " ", badge(n.status), " ",
      h("span", { class: "score-pill" }, fmtScore(n.score)),
      delta !== null ? h("span", { class: delta >= 0 ? "plus" : "minus" }, ` ${delta >= 0 ? "+" : ""}${(delta * 100).toFixed(1)} pts`) : null,
      n.target_task ? h("div", { class: "muted small" }, `worked on: ${n.target_task}`) : null));
    previous = n;
  }
  return card("Path to the best agent", state.summary.best_path.length ? list : h("p", { class: "muted" }, "No scored agent yet."));
}

// The suspected reward hackers and why: the tree's tooltip shows one at a time, this lists them all.
function flaggedCard() {
  const flagged = state.nodes.filter((n) => n.flag);
  const list = h("ul", { class: "flagged-list", "data-role": "flagged-list" }, flagged.map((n) => h("li", {},
    h("a", { href: agentUrl(run, n.id) }, `agent ${n.id}`), " ", badge(n.status), " ",
    h("span", { class: "flag-reason" }, n.flag))));
  const section = card(`${FLAG} Flagged agents`, flagged.length ? list : h("p", { class: "muted" }, "No agent is flagged."),
    h("p", { class: "hint" }, "An agent is flagged when its grade was tampered with or it resolved a cheating-canary task "
      + "(no honest patch can). Flagged agents are never the run's best, and never parents while loop.quarantine_flagged is on."));
  section.id = "flagged";
  section.hidden = !flagged.length;
  return section;
}

function feedCard() {
  const list = h("ul", { class: "feed", id: "feed" });
  fillFeed(list);
  return card("Activity", list);
}

function fillFeed(list) {
  clear(list);
  const recent = state.events.slice(-60).reverse();
  if (!recent.length) list.append(h("li", { class: "muted" }, "No events yet."));
  for (const e of recent) {
    const when = new Date(e.t * 1000);
    list.append(h("li", { class: `feed-item feed-${e.event}` },
      h("time", { datetime: when.toISOString() }, when.toLocaleTimeString()), h("span", {}, describe(e))));
  }
}

async function loadData() {
  const [summary, nodes, charts] = await Promise.all([api(runApi(run)), api(`${runApi(run)}/agents`), api(`${runApi(run)}/charts`)]);
  Object.assign(state, { summary, nodes, charts, version: summary.version, loadedAt: Date.now() });
}

// A big tree is megabytes and a few hundred ms to draw: redraw it at most every 10 s, however busy the run.
function redrawDue() {
  return Date.now() - state.loadedAt >= (state.nodes.length > 1000 ? 10000 : 0);
}

function render() {
  const root = clear(main());
  root.append(header(state.summary));
  root.append(treeCard());
  state.tree = new LineageTree(document.getElementById("tree"), (id) => agentUrl(run, id));
  drawTree();
  root.append(flaggedCard());
  root.append(h("div", { class: "grid-2" },
    card("Score over generations", h("div", { id: "chart-score" })),
    card("Cumulative cost", h("div", { id: "chart-cost" }))));
  drawCharts();
  root.append(h("div", { class: "grid-2" }, bestPathCard(), feedCard()));
}

// What the run's process is doing now; untrusted values only ever go through textContent.
function liveText(live) {
  if (!live.running) return "";
  if (live.state === "paused") return "paused: model endpoint down";
  if (live.state === "stopping") return `stopping${live.stop_reason ? ` (${live.stop_reason})` : ""}`;
  return `live · ${live.in_flight} in flight`;
}

async function poll() {
  const q = new URLSearchParams({ since: state.version || "" });
  if (state.offset !== null) q.set("offset", state.offset);
  const ch = await api(`${runApi(run)}/changes?${q}`);
  state.offset = ch.offset;
  if (ch.events.length) {
    // A job's start and end are the engine's bookkeeping (benchmarks/perf reads them): not news in the feed.
    state.events = state.events.concat(ch.events.filter((e) => !e.event.startsWith("job_"))).slice(-500);
    const feed = document.getElementById("feed");
    if (feed) fillFeed(feed);
  }
  if (ch.changed && redrawDue()) {
    await loadData();
    const head = document.querySelector(".page-head");
    if (head) head.replaceWith(header(state.summary));
    drawTree();
    drawCharts();
    const flagged = document.getElementById("flagged");
    if (flagged) flagged.replaceWith(flaggedCard());
    const path = document.querySelector(".best-path");
    if (path) path.closest(".card").replaceWith(bestPathCard());
  }
  setLive(ch.live.running, liveText(ch.live), ch.live.state);
  document.body.dataset.version = state.version;
}

async function start() {
  try {
    await loadData();
    render();
    await poll();
  } catch (err) {
    clear(main()).append(errorBox(err));
    return;
  }
  // Poll often while the run works; a finished run may still be resumed, so keep an eye on it.
  every(2500, poll);
}

start();
