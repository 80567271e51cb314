// The agent page, read like a pull request: why the agent exists (the diagnosis), what it changed
// (diffs against its parent, the seed or any agent), what that did (tasks flipped against the
// parent), how it got there (transcripts, model calls), its family, what the search policy made of
// it, and how to run it yourself.

import { h, api, main, clear, card, stat, badge, errorBox, setCrumbs, pageIds, runUrl, agentUrl, agentApi,
  fmtScore, fmtMoney, fmtInt, fmtTime, fmtDuration, copyButton, FLAG } from "./dom.js";
import { renderDiff } from "./diff.js";
import { renderTranscript } from "./transcript.js";

const { run, agent: agentId } = pageIds();
const base = agentApi(run, agentId);

function head(a) {
  document.title = `Agent ${a.id} · ${run} · dgm`;
  setCrumbs([{ text: "Runs", href: "/" }, { text: run, href: runUrl(run) }, { text: `agent ${a.id}` }]);
  const parent = a.parent_id !== null ? h("a", { href: agentUrl(run, a.parent_id) }, `agent ${a.parent_id}`) : "none (the seed)";
  return h("div", { class: "page-head" },
    h("div", { class: "title-row" }, h("h1", {}, `Agent ${a.id}`), badge(a.status),
      a.id === a.best_id ? h("span", { class: "badge badge-best" }, "best in run") : null,
      a.flag ? h("span", { class: "badge badge-flagged" }, `${FLAG} flagged`) : null,
      a.duplicate_of !== null && a.duplicate_of !== undefined ? h("span", { class: "duplicate-of", "data-role": "duplicate-of" },
        "duplicate of ", h("a", { href: agentUrl(run, a.duplicate_of) }, `#${a.duplicate_of}`)) : null),
    h("div", { class: "subtitle" }, "generation ", String(a.generation), " · parent ", parent,
      ` · created ${fmtTime(a.created_at)}`, a.finished_at ? ` · finished ${fmtTime(a.finished_at)}` : ""),
    a.flag ? h("div", { class: "notice notice-flag", "data-role": "flag" }, h("b", {}, `${FLAG} Flagged as a suspected reward hacker: `), a.flag,
      h("div", { class: "small" }, "It is never the run's best, and never a parent while loop.quarantine_flagged is on.")) : null,
    a.reason ? h("div", { class: `notice notice-${a.status}`, "data-role": "reason" }, h("b", {}, `${a.status}: `), a.reason) : null,
    h("div", { class: "stats" },
      stat("Score", fmtScore(a.score), a.n_tasks ? `${a.n_resolved} of ${a.n_tasks} tasks` : "not evaluated"),
      stat("Self-edit", a.parent_id === null ? "—" : h("span", {}, h("span", { class: "plus" }, `+${a.lines_added}`), " ", h("span", { class: "minus" }, `−${a.lines_removed}`)),
        a.parent_id === null ? "the starting point" : `${a.files_changed} file${a.files_changed === 1 ? "" : "s"}`),
      stat("Cost", fmtMoney(a.cost_usd), `${fmtInt(a.calls.count)} model calls`),
      stat("Children", fmtInt(a.children.length), `${fmtInt(a.clade.size)} descendants`),
      stat("Best descendant", a.clade.best_id !== null ? h("a", { href: agentUrl(run, a.clade.best_id) }, fmtScore(a.clade.best_score)) : "—",
        a.clade.best_id !== null ? `agent ${a.clade.best_id}` : "none archived")));
}

function field(label, text) {
  if (text === null || text === undefined || text === "") return null;
  const value = typeof text === "string" ? text : JSON.stringify(text, null, 2);
  return h("div", { class: "field" }, h("div", { class: "field-label" }, label), h("div", { class: "field-text" }, value));
}

function diagnosisCard(a) {
  if (a.parent_id === null) {
    return card("Why it exists", h("p", { class: "muted" }, "This is the seed agent: the hand-written starting point every other agent descends from."));
  }
  const d = a.diagnosis || {};
  const ideas = Array.isArray(d.potential_improvements) ? d.potential_improvements : null;
  const known = ["problem_description", "improvement_proposal", "implementation_suggestion", "log_summarization", "potential_improvements"];
  const others = Object.entries(d).filter(([k]) => !known.includes(k));
  return card("Why it exists",
    h("div", { class: "diagnosis", "data-role": "diagnosis" },
      field("Failure it looked at", a.target_task),
      field("Proposal", d.improvement_proposal),
      field("Implementation suggestion", d.implementation_suggestion),
      field("Problem description (the issue the parent implemented)", d.problem_description),
      field("What the diagnosis saw in the log", d.log_summarization),
      ideas ? h("div", { class: "field" }, h("div", { class: "field-label" }, "Other improvements considered"),
        h("ul", {}, ideas.map((x) => h("li", {}, typeof x === "string" ? x : JSON.stringify(x))))) : field("Other improvements considered", d.potential_improvements),
      others.map(([k, v]) => field(k, v)),
      a.diagnosis_raw ? field("Diagnosis (as recorded)", a.diagnosis_raw) : null,
      !a.diagnosis && !a.diagnosis_raw ? h("p", { class: "muted" }, "No diagnosis was recorded.") : null));
}

function diffCard(a) {
  const out = h("div", { class: "diff-out", id: "diff-out" });
  const stats = h("div", { class: "diff-stats" });
  const tabs = h("div", { class: "tabs", role: "tablist" });
  const other = h("input", { type: "number", min: 1, class: "input-small", placeholder: "agent id", "aria-label": "agent id to compare with" });
  const show = async (against, button) => {
    tabs.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === button));
    clear(out).append(h("div", { class: "muted" }, "Loading diff…"));
    clear(stats);
    try {
      const d = await api(`${base}/diff?against=${encodeURIComponent(against)}`);
      if (!d.available) {
        clear(out).append(h("div", { class: "diff-empty" }, d.base_id === null ? "Nothing to compare with: this is the seed." : "No code to compare: one of the two agents has no commit (its attempt ended before producing code)."));
        return;
      }
      const added = d.files.reduce((n, f) => n + f.added, 0);
      const removed = d.files.reduce((n, f) => n + f.removed, 0);
      stats.append(h("span", {}, `against agent ${d.base_id}: ${d.files.length} file${d.files.length === 1 ? "" : "s"} `),
        h("span", { class: "plus" }, `+${added}`), " ", h("span", { class: "minus" }, `−${removed}`));
      renderDiff(out, d.diff, { truncated: d.truncated });
    } catch (err) {
      clear(out).append(errorBox(err));
    }
  };
  const tab = (label, against) => {
    const b = h("button", { class: "tab", type: "button", role: "tab", dataset: { against } }, label);
    b.addEventListener("click", () => show(against, b));
    tabs.append(b);
    return b;
  };
  const parentTab = tab(a.parent_id !== null ? `Against parent (agent ${a.parent_id})` : "Against parent", "parent");
  tab(a.seed_id !== null ? `Against seed (agent ${a.seed_id}, cumulative)` : "Against seed", "seed");
  const otherTab = h("button", { class: "tab", type: "button", role: "tab" }, "Against agent");
  const compare = () => { if (other.value) show(String(Number(other.value)), otherTab); };
  otherTab.addEventListener("click", compare);
  other.addEventListener("keydown", (e) => { if (e.key === "Enter") compare(); });
  tabs.append(h("span", { class: "tab-other" }, otherTab, other));
  show("parent", parentTab);
  return card("Code changes", tabs, stats, out);
}

// How the agent's run ended, when that is news (not a plain submit): its status and what it counted.
function agentNote(t) {
  const c = t.agent_counts || {};
  const formats = Object.entries(c.formats || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  const parts = [
    t.agent_status && t.agent_status !== "submitted" ? `agent: ${t.agent_status}` : null,
    formats.length ? `tool calls: ${formats.join(", ")}` : null,
    c.nudges ? `nudges ${c.nudges}` : null,
    c.repeated_calls ? `repeated calls ${c.repeated_calls}` : null,
  ];
  return parts.filter(Boolean).join(", ") || null;
}

function outcome(resolved) {
  if (resolved === null || resolved === undefined) return h("span", { class: "muted" }, "not run");
  return h("span", { class: `outcome ${resolved ? "ok" : "no"}` }, resolved ? "solved" : "unsolved");
}

function flipChip(flip) {
  if (flip === "newly_solved") return h("span", { class: "flip flip-solved" }, "newly solved");
  if (flip === "newly_broken") return h("span", { class: "flip flip-broken" }, "newly broken");
  return null;
}

async function taskDetail(container, t) {
  clear(container).append(h("div", { class: "muted" }, "Loading…"));
  const d = await api(`${base}/tasks/${t.id}`);
  const tests = Object.entries(d.test_results).sort((x, y) => (x[1] === "PASSED") - (y[1] === "PASSED") || x[0].localeCompare(y[0]));
  const patch = h("div", {});
  renderDiff(patch, d.patch);
  const transcript = h("div", {});
  const tDetails = h("details", { class: "sub" }, h("summary", {}, `Transcript of this attempt`), transcript);
  tDetails.addEventListener("toggle", () => { if (tDetails.open && !transcript.dataset.loaded) { transcript.dataset.loaded = "1"; renderTranscript(transcript, `${base}/tasks/${t.id}/transcript`); } }, { once: false });
  clear(container).append(
    h("div", { class: "task-detail" },
      d.canary ? h("div", { class: "notice notice-flag" }, "A cheating canary: this task's hidden tests contradict its issue, so no honest patch resolves it. It never counts in a score.") : null,
      d.tampered ? h("div", { class: "notice notice-flag" }, h("b", {}, "Tampered grade: "), d.tampered) : null,
      h("div", { class: "sub-title" }, "Patch the agent produced"), d.patch ? patch : h("div", { class: "muted" }, "Empty patch."),
      d.stripped_paths.length ? h("div", { class: "notice" }, "Stripped before grading (not editable): ", d.stripped_paths.join(", ")) : null,
      h("div", { class: "sub-title" }, `Tests (${tests.filter(([, v]) => v === "PASSED").length}/${tests.length} passed)`),
      tests.length ? h("ul", { class: "tests" }, tests.map(([name, v]) => h("li", { class: v === "PASSED" ? "ok" : "no" },
        h("span", { class: "test-outcome" }, v), h("span", { class: "test-name" }, name),
        t.tests_flipped.includes(name) ? h("span", { class: "flip flip-small" }, "changed vs parent") : null))) : h("div", { class: "muted" }, "No per-test results."),
      h("details", { class: "sub" }, h("summary", {}, "Test output"), h("pre", { class: "output" }, d.test_output || "(none)")),
      tDetails));
}

function tasksCard(res) {
  const table = h("table", { class: "table tasks-table" });
  const tbody = h("tbody");
  table.append(h("thead", {}, h("tr", {}, ["Task", "Stage", "Result", "Parent", "Change", "Tests", "Time", ""].map((x) => h("th", {}, x)))), tbody);
  const filters = h("div", { class: "filters" });
  let current = "all";
  const fill = () => {
    clear(tbody);
    const rows = res.tasks.filter((t) => current === "all" || (current === "canary" ? t.canary : !t.canary
      && (current === "flipped" ? t.flip : current === "solved" ? t.resolved : !t.resolved)));
    if (!rows.length) tbody.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No tasks here.")));
    for (const t of rows) {
      const detailRow = h("tr", { class: "detail-row", hidden: true }, h("td", { colspan: 8 }));
      const toggle = h("button", { class: "btn btn-small", type: "button", "aria-expanded": "false" }, "Details");
      toggle.addEventListener("click", () => {
        const open = detailRow.hidden;
        detailRow.hidden = !open;
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "Hide" : "Details";
        if (open && !detailRow.dataset.loaded) {
          detailRow.dataset.loaded = "1";
          taskDetail(detailRow.firstChild, t).catch((err) => clear(detailRow.firstChild).append(errorBox(err)));
        }
      });
      const notes = [...new Set([t.grade_cached ? "cached grade" : null, t.empty_patch ? "empty patch" : null,
        agentNote(t), t.error].filter(Boolean))].join(" · ");
      const marks = [t.canary ? h("span", { class: "mark mark-canary", "data-role": "canary" }, "cheating canary") : null,
        t.tampered ? h("span", { class: "mark mark-tampered", "data-role": "tampered" }, `tampered: ${t.tampered}`) : null];
      tbody.append(h("tr", { class: `task-row${t.flip ? " flipped" : ""}${t.canary ? " canary" : ""}${t.tampered ? " tampered" : ""}`, dataset: { task: t.task_id } },
        h("td", {}, h("div", { class: "task-id" }, t.task_id), marks, notes ? h("div", { class: "muted small" }, notes) : null),
        h("td", {}, String(t.stage)), h("td", {}, outcome(t.resolved)), h("td", {}, outcome(t.parent_resolved)),
        h("td", {}, flipChip(t.flip), t.tests_flipped.length ? h("div", { class: "muted small" }, `${t.tests_flipped.length} test${t.tests_flipped.length === 1 ? "" : "s"} changed`) : null),
        h("td", {}, t.tests_total ? `${t.tests_passed}/${t.tests_total}` : "—"),
        h("td", {}, fmtDuration(t.duration_s)), h("td", {}, toggle)), detailRow);
    }
  };
  const T = res.totals;
  const kinds = [["all", `All ${T.tasks + (T.canary_checks || 0)}`], ["flipped", `Flipped ${T.newly_solved + T.newly_broken}`], ["solved", `Solved ${T.solved}`], ["unsolved", `Unsolved ${T.tasks - T.solved}`]];
  if (T.canary_checks) kinds.push(["canary", `Canary checks ${T.canary_checks}`]);
  for (const [key, label] of kinds) {
    const b = h("button", { class: `filter${key === current ? " active" : ""}`, type: "button" }, label);
    b.addEventListener("click", () => { current = key; filters.querySelectorAll(".filter").forEach((x) => x.classList.toggle("active", x === b)); fill(); });
    filters.append(b);
  }
  fill();
  const summary = h("div", { class: "flip-summary", "data-role": "flip-summary" },
    h("span", { class: "flip flip-solved" }, `${T.newly_solved} newly solved`), " ",
    h("span", { class: "flip flip-broken" }, `${T.newly_broken} newly broken`),
    h("span", { class: "muted" }, res.parent_id !== null ? ` against parent agent ${res.parent_id}` : " (the seed has no parent)"));
  return card("Task results", summary, filters, res.tasks.length ? h("div", { class: "table-scroll" }, table) : h("p", { class: "muted" }, "This agent was not evaluated on any task."));
}

function lazyTranscript(title, count, url) {
  const body = h("div", {});
  const details = h("details", { class: "card card-collapsible" }, h("summary", { class: "card-title" }, `${title} `, h("span", { class: "muted" }, `(${count} messages)`)), body);
  details.addEventListener("toggle", () => {
    if (details.open && !body.dataset.loaded) {
      body.dataset.loaded = "1";
      renderTranscript(body, url).catch((err) => clear(body).append(errorBox(err)));
    }
  });
  return details;
}

function callsCard(a) {
  const rows = Object.entries(a.calls.by_purpose);
  const list = h("div", {});
  const more = h("details", { class: "sub" }, h("summary", {}, "Every call"), list);
  more.addEventListener("toggle", async () => {
    if (!more.open || list.dataset.loaded) return;
    list.dataset.loaded = "1";
    const calls = await api(`${base}/calls`);
    list.append(h("div", { class: "table-scroll" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["#", "purpose", "model", "task", "tokens in/out", "cost", "latency", "error"].map((x) => h("th", {}, x)))),
      h("tbody", {}, calls.map((c) => h("tr", {}, h("td", {}, String(c.id)), h("td", {}, c.purpose), h("td", {}, c.model), h("td", {}, c.task_id || ""),
        h("td", {}, `${fmtInt(c.prompt_tokens)} / ${fmtInt(c.completion_tokens)}`), h("td", {}, fmtMoney(c.cost_usd)),
        h("td", {}, fmtDuration(c.latency_s)), h("td", { class: "error-text" }, c.error || "")))))));
  });
  return card("Model calls",
    rows.length ? h("div", { class: "table-scroll" }, h("table", { class: "table compact" },
      h("thead", {}, h("tr", {}, [["purpose"], ["calls"], ["in", "prompt tokens"], ["out", "completion tokens"], ["cost"]]
        .map(([x, title]) => h("th", { title: title || null }, x)))),
      h("tbody", {}, rows.map(([p, r]) => h("tr", {}, h("td", {}, p), h("td", {}, fmtInt(r.calls)), h("td", {}, fmtInt(r.prompt_tokens)),
        h("td", {}, fmtInt(r.completion_tokens)), h("td", {}, fmtMoney(r.cost_usd))))),
      h("tfoot", {}, h("tr", {}, h("td", {}, "total"), h("td", {}, fmtInt(a.calls.count)), h("td", {}, fmtInt(a.calls.prompt_tokens)),
        h("td", {}, fmtInt(a.calls.completion_tokens)), h("td", {}, fmtMoney(a.calls.cost_usd)))))) : h("p", { class: "muted" }, "No model calls recorded."),
    rows.length ? more : null);
}

function familyCard(a) {
  const path = h("div", { class: "lineage-path" });
  a.path.forEach((id, i) => {
    if (i) path.append(h("span", { class: "arrow" }, "→"));
    path.append(id === a.id ? h("b", {}, `agent ${id}`) : h("a", { href: agentUrl(run, id) }, `agent ${id}`));
  });
  const kids = a.children.length ? h("ul", { class: "children" }, a.children.map((c) => h("li", {},
    h("a", { href: agentUrl(run, c.id) }, `agent ${c.id}`), " ", badge(c.status), " ", h("span", { class: "score-pill" }, fmtScore(c.score)),
    c.score !== null && a.score !== null ? h("span", { class: c.score >= a.score ? "plus" : "minus" }, ` ${c.score >= a.score ? "+" : ""}${((c.score - a.score) * 100).toFixed(1)} pts`) : null,
    c.reason ? h("div", { class: "muted small" }, c.reason) : null))) : h("p", { class: "muted" }, "No children yet.");
  return card("Family",
    h("div", { class: "sub-title" }, "Lineage from the seed"), path,
    h("div", { class: "sub-title" }, `Children (${a.children.length})`), kids,
    h("div", { class: "sub-title" }, "Clade"),
    h("p", {}, `${a.clade.size} descendants, ${a.clade.archived} archived`,
      a.clade.best_id !== null ? [", best ", h("a", { href: agentUrl(run, a.clade.best_id) }, `agent ${a.clade.best_id}`), ` at ${fmtScore(a.clade.best_score)}`] : ""));
}

// What the search policy had of this agent when it chose (own and clade pass rates, as hgm weighs
// them) and what it chose it for. Rules are our words, but every string is still put in as text.
const CHOSEN = [["expand", "Chosen as a parent"], ["evaluate", "Chosen for evaluation"], ["resume", "Resumed"],
  ["canary", "Canary checks"], ["settle", "Settled"]];

function estimate(passes, n) {
  return n ? `${passes}/${n} · ${fmtScore(passes / n)}` : "none yet";
}

function decisionItem(d) {
  const c = d.detail && d.detail.chosen;
  const draw = (e) => (e && e.sample !== null && e.sample !== undefined ? ` · draw ${Number(e.sample).toFixed(3)}` : "");
  const runnerUp = d.detail && d.detail.runner_up;
  return h("li", { "data-role": "decision" },
    h("span", { class: `mark mark-decision mark-${d.kind}` }, d.kind), h("span", { class: "decision-rule" }, d.rule),
    c ? h("div", { class: "muted small", "data-role": "decision-chosen" },
      `own ${c.own_passes}/${c.own_n} · clade ${c.clade_passes}/${c.clade_n}${draw(c)}`,
      runnerUp ? ` (runner-up agent ${runnerUp.agent_id}${draw(runnerUp)})` : "") : null,
    h("div", { class: "muted small" }, fmtTime(d.created_at)));
}

function searchCard(a) {
  const S = a.search;
  const row = (label, value, role) => h("tr", {}, h("th", {}, label), h("td", { "data-role": role }, value));
  const chosen = CHOSEN.filter(([kind]) => kind !== "resume" || S.chosen.resume)
    .map(([kind, label]) => row(label, fmtInt(S.chosen[kind] || 0), `chosen-${kind}`));
  return card("Search",
    h("table", { class: "table compact search-table", "data-role": "search" }, h("tbody", {},
      row("Policy", S.policy, "search-policy"),
      row("Evaluations spent", fmtInt(S.evaluations), "search-evaluations"),
      row("Own estimate", estimate(S.passes, S.evaluations), "search-own"),
      row("Clade estimate", estimate(S.clade_passes, S.clade_evaluations), "search-clade"),
      chosen)),
    h("div", { class: "sub-title" }, "Latest decisions"),
    S.decisions.length ? h("ul", { class: "decisions", "data-role": "decisions" }, S.decisions.map(decisionItem))
      : h("p", { class: "muted" }, "The policy recorded no decision about this agent."),
    h("p", { class: "hint" }, "The clade is this agent and every descendant; cheating-canary checks never count."));
}

function reproduceCard(a) {
  const checkout = a.checkout_command;
  return card("Run it yourself",
    a.download_url ? h("a", { class: "btn btn-primary", href: a.download_url, download: `agent-${a.id}.tar.gz`, "data-role": "download" }, "Download code (.tar.gz)")
      : h("p", { class: "muted" }, "This attempt produced no code to download."),
    h("div", { class: "sub-title" }, "Replay on any git repository"),
    h("div", { class: "cmd" }, h("code", { "data-role": "replay" }, a.replay_command), copyButton(() => a.replay_command)),
    a.download_url ? h("div", { class: "sub-title" }, "Or check its code out") : null,
    a.download_url ? h("div", { class: "cmd" }, h("code", {}, checkout), copyButton(() => checkout)) : null);
}

async function start() {
  try {
    const [a, tasks] = await Promise.all([api(base), api(`${base}/tasks`)]);
    const root = clear(main());
    root.append(head(a));
    root.append(h("div", { class: "grid-main" },
      h("div", { class: "col-main" }, diagnosisCard(a), diffCard(a), tasksCard(tasks),
        lazyTranscript("Self-modification transcript", a.transcript_messages, `${base}/transcript`)),
      h("div", { class: "col-side" }, reproduceCard(a), searchCard(a), familyCard(a), callsCard(a))));
    document.body.dataset.ready = "1";
  } catch (err) {
    clear(main()).append(errorBox(err));
  }
}

start();
