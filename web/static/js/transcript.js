// Transcripts (chat messages between an agent and its model), paged from the API. Each message is a
// collapsible card; long texts are clipped until asked for. All of it is text, never markup.

import { h, api, clear } from "./dom.js";

const PAGE = 25;
const CLIP = 1500;

function clipped(text) {
  const pre = h("pre", { class: "msg-text" });
  if (text.length <= CLIP) {
    pre.textContent = text;
    return pre;
  }
  pre.textContent = text.slice(0, CLIP) + "…";
  const more = h("button", { class: "btn btn-link", type: "button" }, `Show all ${text.length.toLocaleString()} characters`);
  more.addEventListener("click", () => { pre.textContent = text; more.remove(); });
  return h("div", {}, pre, more);
}

function messageCard(m, index) {
  const tools = m.tool_calls.map((c) => c.name);
  const head = h("summary", { class: "msg-head" },
    h("span", { class: `role role-${["system", "user", "assistant", "tool"].includes(m.role) ? m.role : "other"}` }, m.role),
    h("span", { class: "msg-index" }, `#${index + 1}`),
    m.name ? h("span", { class: "muted" }, m.name) : null,
    tools.length ? h("span", { class: "msg-tools" }, "calls ", tools.join(", ")) : null,
    h("span", { class: "msg-preview" }, m.content.slice(0, 140).replace(/\s+/g, " ")));
  const body = h("div", { class: "msg-body" });
  if (m.content) body.append(clipped(m.content));
  for (const call of m.tool_calls) {
    body.append(h("div", { class: "tool-call" }, h("div", { class: "tool-name" }, `tool call: ${call.name}`), clipped(call.arguments)));
  }
  // System prompts and tool output are long and rarely what one looks for: closed by default.
  return h("details", { class: "msg", open: m.role === "assistant" }, head, body);
}

/** Renders the transcript at `url` (a paged API endpoint) into `container`. */
export async function renderTranscript(container, url) {
  clear(container).append(h("div", { class: "muted" }, "Loading transcript…"));
  const list = h("div", { class: "msgs" });
  const footer = h("div", { class: "msgs-foot" });
  let loaded = 0;
  let total = 0;
  const loadMore = async () => {
    const page = await api(`${url}${url.includes("?") ? "&" : "?"}offset=${loaded}&limit=${PAGE}`);
    total = page.total;
    page.messages.forEach((m, i) => list.append(messageCard(m, page.offset + i)));
    loaded = page.offset + page.messages.length;
    clear(footer);
    if (!total) footer.append(h("div", { class: "muted" }, "No transcript was recorded."));
    else footer.append(h("span", { class: "muted" }, `${loaded} of ${total} messages`));
    if (loaded < total) {
      footer.append(h("button", { class: "btn btn-small", type: "button", onclick: () => loadMore() },
        `Load ${Math.min(PAGE, total - loaded)} more`));
    }
  };
  await loadMore();
  clear(container).append(list, footer);
}
