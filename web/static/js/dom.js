// DOM building and formatting shared by every page.
// Everything that came from a run (agent or model text) is put into the page with textContent or
// as an attribute value through setAttribute, never as HTML: it is data, and the browser treats it so.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" || key.startsWith("on")) throw new Error(`refusing attribute ${key}`);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  return el;
}

/** An HTML element: h("a", {href: "/", class: "x"}, "text", child, ...). */
export function h(tag, attrs, ...children) {
  const el = apply(document.createElement(tag), attrs);
  append(el, children);
  return el;
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs, ...children) {
  const el = apply(document.createElementNS(SVG_NS, tag), attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function main() {
  return document.getElementById("main");
}

// --- the API -------------------------------------------------------------------------------------

export class ApiError extends Error {}

export async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    throw new ApiError(`${response.status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
  return response.json();
}

export const enc = encodeURIComponent;
export const runUrl = (run) => `/runs/${enc(run)}`;
export const agentUrl = (run, id) => `/runs/${enc(run)}/agents/${enc(id)}`;
export const runApi = (run) => `/api/runs/${enc(run)}`;
export const agentApi = (run, id) => `/api/runs/${enc(run)}/agents/${enc(id)}`;

/** The run name and agent id of the current page, from its path (/runs/NAME[/agents/ID]). */
export function pageIds() {
  const m = location.pathname.match(/^\/runs\/([^/]+)(?:\/agents\/(\d+))?\/?$/);
  return m ? { run: decodeURIComponent(m[1]), agent: m[2] ? Number(m[2]) : null } : { run: null, agent: null };
}

// A ?token= in the address was turned into a cookie by the server; drop it from the address bar so
// it is not bookmarked or shared with a screenshot.
(function forgetTokenInAddress() {
  const url = new URL(location.href);
  if (url.searchParams.has("token")) {
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
})();

// --- formatting ----------------------------------------------------------------------------------

export function fmtScore(x) {
  return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%";
}

export function fmtMoney(x) {
  if (x === null || x === undefined) return "—";
  if (x === 0) return "$0";
  return x < 0.01 ? "$" + x.toFixed(4) : x < 100 ? "$" + x.toFixed(2) : "$" + Math.round(x).toLocaleString();
}

export function fmtInt(x) {
  return x === null || x === undefined ? "—" : Number(x).toLocaleString();
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function parseTime(iso) {
  return iso ? new Date(iso) : null;
}

export function fmtTime(iso) {
  const d = parseTime(iso);
  return d ? d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
}

export function fmtAgo(iso) {
  const d = parseTime(iso);
  if (!d) return "—";
  const s = Math.max(0, (Date.now() - d.getTime()) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

// --- shared widgets ------------------------------------------------------------------------------

export const STATUSES = ["seed", "valid", "rejected", "failed", "running", "duplicate"];
export const FLAG = "⚑"; // marks an agent flagged as a suspected reward hacker

export function badge(status) {
  const known = STATUSES.includes(status) || ["finished", "stopped"].includes(status);
  return h("span", { class: `badge badge-${known ? status : "other"}` }, status || "?");
}

// Viridis-like stops: readable for colour-blind users, dark = low, bright = high.
const STOPS = [[0, [68, 1, 84]], [0.25, [59, 82, 139]], [0.5, [33, 145, 140]], [0.75, [94, 201, 98]], [1, [253, 231, 37]]];

export function scoreColor(score) {
  if (score === null || score === undefined || Number.isNaN(score)) return "#d0d5dd";
  const x = Math.min(1, Math.max(0, score));
  for (let i = 1; i < STOPS.length; i++) {
    const [x1, c1] = STOPS[i];
    const [x0, c0] = STOPS[i - 1];
    if (x <= x1) {
      const t = (x - x0) / (x1 - x0 || 1);
      const c = c0.map((v, k) => Math.round(v + (c1[k] - v) * t));
      return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    }
  }
  return "rgb(253, 231, 37)";
}

export function setCrumbs(items) {
  const nav = document.getElementById("crumbs");
  if (!nav) return;
  clear(nav);
  items.forEach((item, i) => {
    if (i) nav.append(h("span", { class: "crumb-sep", "aria-hidden": "true" }, "/"));
    nav.append(item.href ? h("a", { href: item.href }, item.text) : h("span", { class: "crumb-here" }, item.text));
  });
}

export function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", { class: "card-title" }, title) : null, ...children);
}

export function stat(label, value, extra) {
  return h("div", { class: "stat" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value" }, value),
    extra ? h("div", { class: "stat-extra" }, extra) : null);
}

export function errorBox(err) {
  return h("div", { class: "error-box", role: "alert" }, "Could not load: ", String(err && err.message ? err.message : err));
}

export function copyButton(getText, label = "Copy") {
  const button = h("button", { class: "btn btn-small", type: "button" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy";
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}

/** Polls fn every `interval` ms (slower when the tab is hidden); returns a stop function. */
export function every(interval, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (err) { console.warn(err); }
    if (!stopped) timer = setTimeout(tick, document.hidden ? interval * 4 : interval);
  };
  timer = setTimeout(tick, interval);
  return () => { stopped = true; clearTimeout(timer); };
}

export function setLive(on, text, state) {
  const live = document.getElementById("live");
  if (!live) return;
  live.hidden = !on;
  live.textContent = text || "live";
  live.dataset.state = state || "running";
}
