#include "webhooks/interact.h"

namespace terrain::webhooks {

// The local inbox: alert cards with the same buttons as chat, served by terrain itself so a
// first run needs no chat workspace. Plain HTML and script, no external resources. With an
// API token configured, open /inbox#token=<token> once; the token stays in this tab's session.
const std::string_view kInboxPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>terrain inbox</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 12px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header span { opacity: .75; font-size: 13px; }
  main { max-width: 960px; margin: 0 auto; padding: 16px; }
  .card { background: #fff; border-radius: 8px; border-left: 6px solid #c0392b; padding: 14px 16px; margin: 0 0 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .card.resolved { border-left-color: #7f8c8d; opacity: .85; }
  .card.acknowledged { border-left-color: #e67e22; }
  .card.linked { outline: 3px solid #2980b9; }
  .title { font-weight: 600; }
  .summary { margin: 6px 0 10px; }
  .facts { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; margin-bottom: 10px; }
  .fact { background: #f7f8fa; border-radius: 6px; padding: 8px 10px; }
  .fact b { display: block; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: #5a6270; }
  .state { font-size: 13px; color: #5a6270; margin-bottom: 10px; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; }
  button, select { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #aab; background: #fff; cursor: pointer; }
  button.override { border-color: #c0392b; color: #c0392b; }
  .message { margin-top: 8px; font-size: 13px; }
  .message.error { color: #c0392b; }
  .empty { color: #5a6270; text-align: center; padding: 40px; }
  svg.chart { width: 100%; height: auto; margin-bottom: 10px; background: #fbfbfc; border-radius: 6px; }
  svg.chart .span { fill: #c0392b; opacity: .10; }
  svg.chart .band { fill: #2980b9; opacity: .15; }
  svg.chart .observed { fill: none; stroke: #1d2330; stroke-width: 1.5; }
  svg.chart .anomalous { fill: #c0392b; }
  svg.chart text { font-size: 11px; fill: #5a6270; }
  .said { font-size: 13px; margin-bottom: 10px; }
  .said ul { margin: 4px 0 0; padding-left: 18px; }
</style>
</head>
<body>
<header><h1>terrain inbox</h1><span id="you"></span><span id="updated"></span>
<select id="team" aria-label="team"><option value="">every team</option></select>
<select id="campaign" aria-label="campaign"><option value="">every campaign</option></select></header>
<main id="alerts"><p class="empty">Loading alerts…</p></main>
<script>
"use strict";
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("token")) { sessionStorage.setItem("terrain-token", hash.get("token")); history.replaceState(null, "", location.pathname); }
// A chat card links here as /inbox#alert=<id>: that card is outlined and scrolled to.
const linked = hash.get("alert");
let scrolled = false;
const messages = {};
function headers() {
  const h = { "Content-Type": "application/json" };
  const t = sessionStorage.getItem("terrain-token");
  if (t) h["Authorization"] = "Bearer " + t;
  return h;
}
function plain(v, ratio) { return v === null || v === undefined ? "n/a" : ratio ? (v * 100).toFixed(2) + "%" : String(+v.toPrecision(4)); }
// "2 h 10 min ago" (the absolute time is the state line's tooltip).
function ago(ms) {
  const minutes = Math.max(0, Math.round((Date.now() - ms) / 60000));
  if (minutes < 1) return "just now";
  const d = Math.floor(minutes / 1440), h = Math.floor(minutes % 1440 / 60), m = minutes % 60;
  return [d ? d + " d" : "", h ? h + " h" : "", m && !d ? m + " min" : ""].filter(Boolean).join(" ") + " ago";
}
// terrain's state line, its first part (since when) relative to now.
function stateLine(a) {
  const since = a.status === "resolved" ? "Resolved (" + a.resolved_by + ")" : "Firing since " + ago(a.since_ms);
  return [since, ...a.state_parts].join(" · ");
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
// The series' latest windows: the value, the detector's band and the alert's span shaded.
function chart(a) {
  const pts = (a.trail || []).filter((p) => p[1] !== null);
  if (pts.length < 2) return null;
  const W = 640, H = 140, L = 58, R = 8, T = 8, B = 22;
  const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
  // A side the detector has none of (a threshold with only a limit above) is the chart's edge.
  const band = pts.filter((p) => p[2] !== null || p[3] !== null);
  const values = pts.map((p) => p[1]).concat(band.flatMap((p) => [p[2], p[3]]).filter((v) => v !== null));
  // From zero for what cannot be negative (rates, counts), so a change reads at its true size.
  let lo = Math.min(0, ...values), hi = Math.max(...values);
  if (hi === lo) { hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1); }
  const ratio = a.denominator > 0 || !!a.pair;
  const x = (t) => L + (W - L - R) * (t - t0) / Math.max(1, t1 - t0);
  const y = (v) => T + (H - T - B) * (hi - Math.min(hi, Math.max(lo, v))) / (hi - lo);
  const c = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", "data-role": "chart", role: "img",
                         "aria-label": a.metric + ": latest windows, the expected band and the alert" });
  const from = Math.max(t0, a.since_ms), to = a.status === "resolved" ? Math.min(t1, a.last_window_end_ms) : t1;
  c.append(svg("rect", { class: "span", x: x(from), y: T, width: Math.max(2, x(to) - x(from)), height: H - T - B }));
  if (band.length > 1) {
    const upper = band.map((p) => x(p[0]) + "," + y(p[3] ?? hi)), lower = band.slice().reverse().map((p) => x(p[0]) + "," + y(p[2] ?? lo));
    c.append(svg("polygon", { class: "band", points: upper.concat(lower).join(" ") }));
  }
  c.append(svg("polyline", { class: "observed", points: pts.map((p) => x(p[0]) + "," + y(p[1])).join(" ") }));
  for (const p of pts.filter((p) => p[4])) c.append(svg("circle", { class: "anomalous", cx: x(p[0]), cy: y(p[1]), r: 3 }));
  const time = (t) => new Date(t).toISOString().slice(5, 16).replace("T", " ") + " UTC";
  c.append(svg("text", { x: L - 4, y: T + 10, "text-anchor": "end" }, plain(hi, ratio)));
  c.append(svg("text", { x: L - 4, y: H - B, "text-anchor": "end" }, plain(lo, ratio)));
  c.append(svg("text", { x: L, y: H - 6 }, time(t0)));
  c.append(svg("text", { x: W - R, y: H - 6, "text-anchor": "end" }, time(t1)));
  return c;
}
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
async function act(alert, button, arg) {
  if (button.confirm && !confirm(button.label + "?\n\n" + button.confirm)) return;
  const res = await fetch("/inbox/act", { method: "POST", headers: headers(),
                                          body: JSON.stringify({ alert: alert.id, action: button.action, arg: arg || "" }) });
  const body = await res.json().catch(() => ({ message: "no answer" }));
  messages[alert.id] = { text: body.message || body.error, error: !res.ok };
  await load();
}
function card(a) {
  const ack = a.acknowledged_by && a.status === "firing";
  const c = el("section", { class: "card " + (a.status === "resolved" ? "resolved" : ack ? "acknowledged" : "firing") + (a.id === linked ? " linked" : ""), "data-alert": a.id, id: "alert-" + a.id });
  c.append(el("div", { class: "title" }, a.severity + " · " + a.metric + " · " + Object.entries(a.labels).map(([k, v]) => k + "=" + v).join(" ")));
  c.append(el("div", { class: "summary" }, a.summary));
  const f = el("div", { class: "facts" });
  // terrain's labelled figures, the same as on the chat cards; the chart in place of the
  // chat's text sparkline.
  for (const [k, v] of a.facts) { if (k === "Trend") continue; const d = el("div", { class: "fact" }); d.append(el("b", {}, k)); d.append(el("span", {}, v)); f.append(d); }
  c.append(f);
  const drawn = chart(a);
  if (drawn) c.append(drawn);
  if (a.said.length) {
    const said = el("div", { class: "said", "data-role": "said" });
    said.append(el("b", {}, "What customers said"));
    const list = el("ul");
    for (const s of a.said) {
      const item = el("li");
      item.append(s.url ? el("a", { href: s.url, target: "_blank", rel: "noopener noreferrer" }, s.text) : document.createTextNode(s.text));
      list.append(item);
    }
    said.append(list);
    c.append(said);
  }
  c.append(el("div", { class: "state", "data-role": "state", title: "since " + a.since + (a.resolved_at ? ", resolved " + a.resolved_at : "") }, stateLine(a)));
  if ((a.on_duty || []).length) c.append(el("div", { class: "state", "data-role": "on-duty" }, "On duty: " + a.on_duty.join(", ")));
  const actions = el("div", { class: "actions" });
  for (const b of a.buttons) {
    if (b.options) {
      const s = el("select", { "data-action": b.action, "aria-label": b.label });
      s.append(el("option", { value: "" }, b.label + "…"));
      for (const o of b.options) s.append(el("option", { value: o }, (b.action === "snooze" ? "Snooze " : "") + o));
      s.addEventListener("change", () => { if (s.value) act(a, b, s.value); });
      actions.append(s);
    } else {
      const btn = el("button", { "data-action": b.action, class: b.override ? "override" : "" }, b.label);
      btn.addEventListener("click", () => act(a, b));
      actions.append(btn);
    }
  }
  c.append(actions);
  const m = messages[a.id];
  if (m) c.append(el("div", { class: "message" + (m.error ? " error" : ""), "data-role": "message" }, m.text));
  return c;
}
async function load() {
  const res = await fetch("/inbox/alerts", { headers: headers() });
  const main = document.getElementById("alerts");
  if (!res.ok) { main.replaceChildren(el("p", { class: "empty" }, "terrain refused: open /inbox#token=<API token>")); return; }
  const body = await res.json();
  document.getElementById("you").textContent = body.you ? "acting as " + body.you : "no person has inbox: local";
  document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  // What needs someone first: firing before acknowledged before resolved, then by severity,
  // then the oldest first (it has waited longest).
  const stage = (a) => a.status === "resolved" ? 2 : a.acknowledged_by ? 1 : 0;
  const rank = { critical: 0, warning: 1, info: 2 };
  body.alerts.sort((x, y) => stage(x) - stage(y) || (rank[x.severity] ?? 3) - (rank[y.severity] ?? 3) || x.since_ms - y.since_ms);
  // Filters by team and campaign, offered from the alerts shown.
  for (const [id, of] of [["team", (a) => a.team], ["campaign", (a) => a.labels.campaign]]) {
    const s = document.getElementById(id), chosen = s.value;
    const values = [...new Set(body.alerts.map(of).filter(Boolean))].sort();
    s.replaceChildren(el("option", { value: "" }, "every " + id), ...values.map((v) => el("option", { value: v }, v)));
    s.value = values.includes(chosen) ? chosen : "";
    body.alerts = body.alerts.filter((a) => !s.value || of(a) === s.value);
  }
  main.replaceChildren(...(body.alerts.length ? body.alerts.map(card) : [el("p", { class: "empty" }, "No alerts. terrain is watching.")]));
  const target = linked && document.getElementById("alert-" + linked);
  if (target && !scrolled) { target.scrollIntoView(); scrolled = true; }
}
for (const id of ["team", "campaign"]) document.getElementById(id).addEventListener("change", load);
load();
setInterval(load, 5000);
</script>
</body>
</html>
)HTML";

}  // namespace terrain::webhooks
