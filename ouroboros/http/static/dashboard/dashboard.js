// The Ouroboros dashboard: live events (WebSocket), health, query console, graph explorer.
// Plain JavaScript, no library, no request to any other origin.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
const state = { events: [], ws: null, retry: 0, timer: null, lastHealth: null };

function token() { return sessionStorage.getItem("ouroboros.token") || ""; }

function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

async function api(path, options) {
  const headers = Object.assign({}, (options && options.headers) || {});
  if (token()) headers["Authorization"] = "Bearer " + token();
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) { $("token-form").hidden = false; }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const err = (body && body.error) || { type: "HTTPError", message: "HTTP " + response.status };
    throw Object.assign(new Error(err.message), { info: err });
  }
  return body;
}

// --- live events over WebSocket, reconnecting with backoff ---------------------------------

function setConn(live, text) {
  const pill = $("conn");
  pill.className = "pill " + (live ? "pill-on" : "pill-off");
  pill.dataset.state = live ? "live" : "reconnecting";
  pill.textContent = text;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const protocols = ["ouroboros.v1"];
  if (token()) protocols.push("bearer." + token());
  let ws;
  try { ws = new WebSocket(scheme + location.host + "/dashboard/ws", protocols); }
  catch (e) { scheduleReconnect(); return; }
  state.ws = ws;
  ws.onmessage = (msg) => {
    let data;
    try { data = JSON.parse(msg.data); } catch (e) { return; }
    if (data.type === "hello") {
      state.retry = 0;
      setConn(true, "live");
      state.events = data.recent.slice(-300);
      renderEvents();
    } else if (data.type === "event") {
      state.events.push(data.event);
      if (state.events.length > 300) state.events.splice(0, state.events.length - 300);
      renderEvents();
    } else if (data.type === "auth-required") {
      if (token()) ws.send(JSON.stringify({ type: "auth", token: token() }));
      else $("token-form").hidden = false;
    } else if (data.type === "error") {
      setConn(false, data.error.message);
    }
  };
  ws.onclose = () => { if (state.ws === ws) scheduleReconnect(); };
}

function scheduleReconnect() {
  const delay = Math.min(10000, 500 * 2 ** state.retry) * (0.8 + Math.random() * 0.4);
  state.retry = Math.min(state.retry + 1, 6);
  setConn(false, "reconnecting in " + (delay / 1000).toFixed(1) + " s");
  clearTimeout(state.timer);
  state.timer = setTimeout(connect, delay);
}

function eventVisible(e) {
  const kinds = new Set([...document.querySelectorAll("#event-filters input[type=checkbox]:checked")].map((i) => i.value));
  if (!kinds.has(e.kind)) return false;
  const text = $("event-text").value.trim().toLowerCase();
  return !text || JSON.stringify(e).toLowerCase().includes(text);
}

function detailText(e) {
  const d = e.details || {};
  const parts = [];
  for (const k of ["caller", "surface", "status", "error_type", "message"]) if (d[k] != null) parts.push(k + "=" + d[k]);
  if (d.params && d.params.length) parts.push("args: " + d.params.join(", "));
  if (e.request_id) parts.push("req " + e.request_id);
  return parts.join("  ");
}

function eventRow(e) {
  const time = new Date(e.time * 1000).toLocaleTimeString();
  return el("li", { "data-kind": e.kind, "data-name": e.name },
    el("span", { class: "muted", text: time }),
    el("span", { class: "kind k-" + e.kind, text: e.kind }),
    el("span", { class: e.ok ? "" : "bad", text: e.name }),
    el("span", { class: "muted", text: e.duration_ms == null ? "" : e.duration_ms.toFixed(1) + " ms" }),
    el("span", { class: "detail", text: detailText(e) }));
}

function renderEvents() {
  const list = $("events");
  const shown = state.events.filter(eventVisible).slice(-200).reverse();
  list.replaceChildren(...shown.map(eventRow));
  $("event-count").textContent = "(" + shown.length + " shown of " + state.events.length + ")";
}

// --- health ---------------------------------------------------------------------------------

function drawLifecycle(machine, active) {
  const svg = $("lifecycle");
  const states = machine.states;
  const gap = 460 / states.length;
  const pos = Object.fromEntries(states.map((s, i) => [s, gap * i + gap / 2]));
  const nodes = [];
  for (const t of machine.transitions) {
    const x1 = pos[t.source], x2 = pos[t.target];
    const back = x2 < x1;
    const y = back ? 58 : 26;
    nodes.push(el("svg:path", { class: "edge", d: `M${x1} ${back ? 44 : 26} Q${(x1 + x2) / 2} ${back ? 70 : 26} ${x2} ${back ? 44 : 26}` }));
    nodes.push(el("svg:text", { class: "label", x: (x1 + x2) / 2, y: back ? 68 : 20, "text-anchor": "middle", text: t.event }));
  }
  for (const s of states) {
    const on = active.includes(s);
    nodes.push(el("svg:rect", { x: pos[s] - 48, y: 28, width: 96, height: 18, rx: 9,
      fill: on ? "#12361f" : "#1f2a33", stroke: on ? "#3fb950" : "#2a323c" }));
    nodes.push(el("svg:text", { x: pos[s], y: 41, "text-anchor": "middle", text: s }));
  }
  svg.replaceChildren(...nodes);
}

function sumRequests(m) {
  let count = 0, errors = 0, seconds = 0;
  for (const [route, r] of Object.entries(m.requests)) {
    if (route.startsWith("dashboard ") || route.endsWith(" /metrics")) continue;
    count += r.count; errors += r.errors; seconds += r.seconds_sum;
  }
  return { count, errors, seconds };
}

function fillTable(id, rows) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren(...rows.slice(0, 8).map(([name, r]) => el("tr", {},
    el("td", { text: name }), el("td", { text: r.count }),
    el("td", { class: r.errors ? "bad" : "", text: r.errors }),
    el("td", { text: r.count ? (1000 * r.seconds_sum / r.count).toFixed(2) : "" }))));
}

async function refreshHealth() {
  let h;
  try { h = await api("/dashboard/api/health"); } catch (e) { return; }
  drawLifecycle(h.machine, h.lifecycle.state || []);
  const now = sumRequests(h.metrics);
  let rate = "–";
  if (state.lastHealth) {
    const dt = h.time - state.lastHealth.time;
    if (dt > 0) rate = ((now.count - state.lastHealth.count) / dt).toFixed(2);
  }
  state.lastHealth = { time: h.time, count: now.count };
  const tools = Object.entries(h.metrics.tools).sort((a, b) => b[1].count - a[1].count);
  const resolvers = Object.entries(h.metrics.resolvers).sort((a, b) => b[1].count - a[1].count);
  const toolCalls = tools.reduce((n, [, r]) => n + r.count, 0);
  const stats = [
    ["state", (h.lifecycle.state || []).filter((s) => s !== "system").join(" ") || "?"],
    ["requests", now.count], ["req/s", rate],
    ["avg latency", now.count ? (1000 * now.seconds / now.count).toFixed(1) + " ms" : "–"],
    ["errors", now.errors], ["tool calls", toolCalls],
    ["EQL ok / err", h.metrics.eql.ok + " / " + h.metrics.eql.error],
    ["plan cache hits", h.metrics.plan_cache.hits + " / " + (h.metrics.plan_cache.hits + h.metrics.plan_cache.misses)],
  ];
  $("stats").replaceChildren(...stats.map(([k, v]) => el("div", { class: "stat" }, el("span", { class: "muted", text: k }), el("b", { text: String(v) }))));
  fillTable("top-tools", tools);
  fillTable("top-resolvers", resolvers);
  $("errors").replaceChildren(...h.errors.slice().reverse().map(eventRow));
}

// --- query console: the plan drawn as AND / OR / resolver nodes ------------------------------

function traceByResolver(trace) {
  const out = {};
  for (const e of (trace && trace.events) || []) {
    const slot = out[e.name] || (out[e.name] = { ms: 0, calls: 0, errors: [] });
    slot.ms += e.duration_ms; slot.calls += e.calls; slot.errors.push(...e.errors);
  }
  return out;
}

function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

function layoutPlan(plan) {
  // Children of a node: a resolver's requirement, an AND's or an OR's branches.
  const byId = Object.fromEntries(plan.nodes.map((n) => [n.id, n]));
  const kids = (n) => n.type === "resolver" ? (n.requires ? [n.requires] : []) : (n.run_and || n.run_or || []);
  const placed = {};
  let row = 0;
  function place(id, depth) {
    const n = byId[id];
    if (!n || placed[id]) return placed[id] ? placed[id].y : row;
    const ks = kids(n);
    let y;
    if (!ks.length) { y = row++; }
    else { const ys = ks.map((k) => place(k, depth + 1)); y = (Math.min(...ys) + Math.max(...ys)) / 2; }
    placed[id] = { depth, y, node: n, kids: ks };
    return y;
  }
  if (plan.root != null) place(plan.root, 0);
  return { placed, rows: Math.max(row, 1) };
}

function drawPlan(title, plan, timing) {
  const { placed, rows } = layoutPlan(plan);
  const depth = Math.max(0, ...Object.values(placed).map((p) => p.depth)) + 1;
  const W = 230, H = 44;
  const width = depth * W + 20, height = rows * H + 30;
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "plan", "data-title": title });
  svg.append(el("svg:text", { x: 8, y: 14, class: "label", text: title }));
  const xy = (p) => [10 + p.depth * W, 24 + p.y * H];
  for (const p of Object.values(placed)) for (const k of p.kids) {
    const [x1, y1] = xy(p), [x2, y2] = xy(placed[k]);
    svg.append(el("svg:path", { class: "edge", d: `M${x1 + (p.node.type === "resolver" ? 190 : 50)} ${y1 + 14} C${x1 + 210} ${y1 + 14} ${x2 - 20} ${y2 + 14} ${x2} ${y2 + 14}` }));
  }
  for (const [id, p] of Object.entries(placed)) {
    const [x, y] = xy(p);
    const n = p.node;
    const g = el("svg:g", { class: "plan-node", "data-type": n.type, "data-id": id });
    if (n.type === "resolver") {
      const t = timing[n.resolver];
      const status = !t ? "not-run" : t.errors.length ? "error" : "ok";
      g.setAttribute("data-resolver", n.resolver);
      g.setAttribute("data-status", status);
      const color = { ok: "#3fb950", error: "#f85149", "not-run": "#4b5562" }[status];
      g.append(el("svg:rect", { x, y, width: 190, height: 30, rx: 5, fill: "#13202c", stroke: color }));
      g.append(el("svg:text", { x: x + 6, y: y + 13, text: clip(n.resolver + " → " + n.expects.join(" "), 32) }));
      g.append(el("svg:text", { x: x + 6, y: y + 25, class: "label",
        text: (t ? t.ms.toFixed(2) + " ms · " + t.calls + " call" + (t.calls === 1 ? "" : "s") + " · " + status : "not run") + (n.batch ? " · batch" : "") }));
      if (t && t.errors.length) g.append(el("svg:title", { text: t.errors.join("\n") }));
    } else {
      const color = n.type === "and" ? "#a371f7" : "#db6d28";
      g.append(el("svg:rect", { x, y: y + 3, width: 50, height: 24, rx: 12, fill: "#1b1630", stroke: color }));
      g.append(el("svg:text", { x: x + 25, y: y + 19, "text-anchor": "middle", text: n.type.toUpperCase() }));
    }
    svg.append(g);
  }
  return svg;
}

function drawPlans(plan, timing, title, out) {
  out.push(drawPlan(title, plan, timing));
  for (const [key, sub] of Object.entries(plan.joins || {})) drawPlans(sub, timing, title + " › " + key, out);
  return out;
}

async function runQuery(event) {
  if (event) event.preventDefault();
  const text = $("query-text").value;
  $("query-status").textContent = "running…";
  try {
    const body = await api("/dashboard/api/query", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ query: text }),
    });
    const timing = traceByResolver(body.trace);
    $("plan").replaceChildren(...drawPlans(body.plan, timing, "root", []));
    $("result").textContent = JSON.stringify(body.result, null, 2);
    $("query-status").textContent = "ran in " + body.duration_ms.toFixed(1) + " ms · plans made " + body.trace.plans_made + ", reused " + body.trace.plans_reused;
  } catch (e) {
    $("plan").replaceChildren();
    $("result").textContent = JSON.stringify((e.info) || { message: String(e) }, null, 2);
    $("query-status").textContent = "error: " + ((e.info && e.info.type) || "") + " " + e.message;
  }
}

// --- graph explorer ----------------------------------------------------------------------

async function searchGraph(event) {
  if (event) event.preventDefault();
  let found;
  try { found = await api("/dashboard/api/graph/search?q=" + encodeURIComponent($("graph-q").value)); }
  catch (e) { return; }
  $("graph-results").replaceChildren(...found.results.map((r) =>
    el("li", { "data-name": r.name, onclick: () => openEntity(r.name), text: r.name + " (" + r.entityType + ")" })));
}

async function openEntity(name) {
  let data;
  try { data = await api("/dashboard/api/graph/entity?name=" + encodeURIComponent(name)); } catch (e) { return; }
  const box = $("graph-entity");
  if (!data.entity) { box.textContent = "no entity " + name; return; }
  const obs = data.entity.observations || [];
  box.replaceChildren(el("h3", { text: data.entity.name + " · " + data.entity.entityType }),
    el("ul", {}, ...obs.map((o) => el("li", { text: typeof o === "string" ? o : (o.text || JSON.stringify(o)) }))),
    el("h3", { text: "relations" }),
    el("ul", {}, ...data.relations.map((r) => el("li", { text: r.from + " —" + r.relationType + "→ " + r.to }))));
  drawGraph(data.entity, data.nodes, data.relations);
}

function drawGraph(center, nodes, relations) {
  const svg = $("graph-svg");
  const cx = 300, cy = 180, radius = 130;
  const pos = { [center.name]: [cx, cy] };
  nodes.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(nodes.length, 1) - Math.PI / 2;
    const r = radius * (n.depth > 1 ? 1.3 : 1);
    pos[n.name] = [cx + r * Math.cos(a), cy + r * 0.95 * Math.sin(a)];
  });
  const parts = [];
  for (const rel of relations) {
    const a = pos[rel.from], b = pos[rel.to];
    if (!a || !b) continue;
    parts.push(el("svg:line", { class: "edge", x1: a[0], y1: a[1], x2: b[0], y2: b[1] }));
    parts.push(el("svg:text", { class: "label", x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2 - 3, "text-anchor": "middle", text: rel.relationType }));
  }
  const all = [{ name: center.name, entityType: center.entityType, center: true }, ...nodes];
  for (const n of all) {
    const [x, y] = pos[n.name];
    const g = el("svg:g", { class: "node", "data-name": n.name, onclick: () => openEntity(n.name) },
      el("svg:circle", { cx: x, cy: y, r: n.center ? 16 : 11, fill: n.center ? "#1f6feb" : "#21262d", stroke: "#58a6ff" }),
      el("svg:text", { x, y: y + (n.center ? 30 : 24), "text-anchor": "middle", text: n.name }));
    parts.push(g);
  }
  svg.replaceChildren(...parts);
}

// --- start ---------------------------------------------------------------------------------

function start() {
  $("token-button").addEventListener("click", () => { $("token-form").hidden = !$("token-form").hidden; });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("ouroboros.token", $("token-input").value.trim());
    $("token-form").hidden = true;
    if (state.ws) { const old = state.ws; state.ws = null; old.close(); }
    connect(); refreshHealth();
  });
  document.querySelectorAll("#event-filters input").forEach((i) => i.addEventListener("input", renderEvents));
  $("query-form").addEventListener("submit", runQuery);
  $("graph-form").addEventListener("submit", searchGraph);
  connect();
  refreshHealth();
  searchGraph();
  setInterval(refreshHealth, 3000);
}

document.addEventListener("DOMContentLoaded", start);
