// The API reference, rendered from FastAPI's own OpenAPI schema (no CDN-hosted Swagger UI).

import { h, api, main, clear, card, errorBox, setCrumbs } from "./dom.js";

function schemaName(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.type === "array") return `list of ${schemaName(schema.items)}`;
  if (schema.anyOf) return schema.anyOf.map(schemaName).join(" | ");
  return schema.type || "";
}

function operation(path, method, op) {
  const params = op.parameters || [];
  const ok = op.responses && op.responses["200"];
  const content = ok && ok.content ? Object.entries(ok.content)[0] : null;
  return h("div", { class: "op" },
    h("div", { class: "op-head" }, h("span", { class: `method method-${method}` }, method.toUpperCase()), h("code", {}, path)),
    op.description ? h("p", {}, op.description) : op.summary ? h("p", {}, op.summary) : null,
    params.length ? h("table", { class: "table compact" }, h("thead", {}, h("tr", {}, ["parameter", "in", "type", "description"].map((x) => h("th", {}, x)))),
      h("tbody", {}, params.map((p) => h("tr", {}, h("td", {}, h("code", {}, p.name), p.required ? " *" : ""), h("td", {}, p.in),
        h("td", {}, schemaName(p.schema)), h("td", {}, p.description || p.schema?.description || ""))))) : null,
    content ? h("div", { class: "muted small" }, `returns ${content[0]}`, content[1].schema ? ` · ${schemaName(content[1].schema)}` : "") : null);
}

function model(name, schema) {
  const props = Object.entries(schema.properties || {});
  return h("details", { class: "model" }, h("summary", {}, h("code", {}, name)),
    h("table", { class: "table compact" }, h("tbody", {}, props.map(([k, v]) => h("tr", {}, h("td", {}, h("code", {}, k)),
      h("td", {}, schemaName(v)), h("td", {}, v.description || "")))))); 
}

async function start() {
  setCrumbs([{ text: "Runs", href: "/" }, { text: "API" }]);
  const spec = await api("/api/openapi.json");
  const root = clear(main());
  root.append(h("div", { class: "page-head" }, h("div", { class: "title-row" }, h("h1", {}, spec.info.title, " API")),
    h("div", { class: "subtitle" }, spec.info.description || ""),
    h("p", {}, "Every page of this dashboard is built from these endpoints. The machine-readable schema is at ",
      h("a", { href: "/api/openapi.json" }, "/api/openapi.json"), ". With a token, send ", h("code", {}, "Authorization: Bearer <token>"), ".")));
  const ops = h("div", {});
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.append(operation(path, method, op));
  }
  root.append(card("Endpoints", ops));
  const models = Object.entries((spec.components || {}).schemas || {}).filter(([n]) => !n.startsWith("HTTP") && n !== "ValidationError");
  root.append(card("Response shapes", models.map(([n, sc]) => model(n, sc))));
}

start().catch((err) => clear(main()).append(errorBox(err)));
