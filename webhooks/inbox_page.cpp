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
function percent(v) { return v === null || v === undefined ? "n/a" : (v * 100).toPrecision(3) + "%"; }
function plain(v, ratio) { return v === null || v === undefined ? "n/a" : ratio ? percent(v) : String(+v.toPrecision(6)); }
function facts(a) {
  if (a.facts) return a.facts;  // terrain's labelled figures, the same as on the chat cards
  if (a.pair) {
    const p = a.pair;
    return [["Customers: " + p.customer_says, percent(p.customer_value) + " (usually " + percent(p.customer_usual) + ")"],
            ["MAP: " + p.map_says, plain(p.map_value, p.claim_is_ratio) + " (usually " + plain(p.map_usual, p.claim_is_ratio) + ")"]];
  }
  const ratio = a.denominator > 0;
  return [["Now", plain(a.observed, ratio)], ["Usually", plain(a.expected, ratio)]];
}
// "2 h 10 min ago" (the absolute time is the state line's tooltip).
function ago(ms) {
  const minutes = Math.max(0, Math.round((Date.now() - ms) / 60000));
  if (minutes < 1) return "just now";
  const d = Math.floor(minutes / 1440), h = Math.floor(minutes % 1440 / 60), m = minutes % 60;
  return [d ? d + " d" : "", h ? h + " h" : "", m && !d ? m + " min" : ""].filter(Boolean).join(" ") + " ago";
}
function stateLine(a) {
  const parts = [];
  parts.push(a.status === "resolved" ? "Resolved (" + a.resolved_by + ")" : "Firing since " + ago(a.since_ms));
  if (a.acknowledged_by) parts.push("Acknowledged by " + a.acknowledged_by);
  if (a.snoozed_until) parts.push("Snoozed until " + a.snoozed_until);
  if (a.escalated_at_ms) parts.push("Escalated");
  if (a.feedback === "not_a_problem") parts.push("Not a problem: " + a.feedback_reason);
  if (a.feedback === "confirmed") parts.push("Confirmed: a real problem");
  for (const o of a.overrides || []) {
    // Never "done" when the MAP was not called.
    const state = o.state === "done" && (o.detail || "").startsWith("dry run") ? "dry run, nothing sent" : o.state.replaceAll("_", " ");
    parts.push(o.state === "awaiting_approval" ? o.label + ": waiting for a second person to approve (asked by " + o.by + ")"
                                               : o.label + ": " + state + " (" + o.by + ")");
  }
  return parts.join(" · ");
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
  for (const [k, v] of facts(a)) { const d = el("div", { class: "fact" }); d.append(el("b", {}, k)); d.append(el("span", {}, v)); f.append(d); }
  c.append(f);
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
