// Drives terrain's local inbox in Debian's headless Chromium: the card of alert <id> shows
// its figures, draws its chart (the series, the expected band, the alert's span) and lists what
// customers said; cards are ordered firing before acknowledged before resolved (alert <other>
// is a second, firing one); acknowledging and pausing change its state; a reload shows the same;
// the done pause offers its undo, which reverts it; once resolved, Confirm still works and the
// audit trail records it. With a third argument, a screenshot of the inbox goes there.
// Usage: node inbox.mjs <terrain base URL> <alert id> <other id> [screenshot.png]. Exits non-zero
// naming what failed.
import { session } from "./session.mjs";

const [base, alertId, otherId, screenshot] = process.argv.slice(2);
await session(async (browser, check) => {
  const page = await browser.newPage();
  page.on("dialog", (d) => d.accept());  // the action's confirmation
  await page.goto(base + "/inbox");
  const card = page.locator(`section[data-alert="${alertId}"]`);
  await card.waitFor({ timeout: 15000 });
  const facts = await card.locator(".fact").allInnerTexts();
  check(facts.length >= 2 && facts.every((f) => /\d/.test(f)), "the card shows its figures: " + JSON.stringify(facts));
  check(facts.some((f) => /fired on/i.test(f)) && facts.some((f) => /limit|expected/i.test(f)),
        "each figure is named for what it is (fired on, now, expected or limit): " + JSON.stringify(facts));
  const chart = card.locator("svg[data-role=chart]");
  const points = (await chart.locator("polyline.observed").getAttribute("points") || "").trim().split(/\s+/).length;
  check(points >= 2 && await chart.locator("polygon.band").count() === 1 && await chart.locator("rect.span").count() === 1 &&
        await chart.locator("circle.anomalous").count() >= 1, "the card draws its chart: " + points + " windows, the band, the alert's span");
  const said = await card.locator("[data-role=said] li").allInnerTexts();
  check(said.length >= 1 && said.every((s) => /complaint · sendgrid · \d{4}-\d\d-\d\d \d\d:\d\d UTC/.test(s)), "what customers said: " + JSON.stringify(said));
  const since = await card.locator("[data-role=state]").innerText();
  check(/Firing since (\d+ d|\d+ h|\d+ min|just now)/.test(since), "since when, relative: " + since);
  check((await page.locator("#you").innerText()).includes("local operator"), "the inbox names who is acting");
  const duty = await card.locator("[data-role=on-duty]").innerText();
  check(duty === "On duty: local operator", "the card names who is on duty: " + duty);

  await card.locator('button[data-action="acknowledge"]').click();
  await page.waitForFunction((id) => document.querySelector(`section[data-alert="${id}"] [data-role=state]`)?.textContent.includes("Acknowledged by local operator"), alertId, { timeout: 10000 });
  check(true, "acknowledge changes the card's state");
  const order = async () => (await page.locator("section[data-alert]").evaluateAll((cards) => cards.map((c) => c.dataset.alert)));
  const shown = await order();
  check(shown.indexOf(otherId) >= 0 && shown.indexOf(otherId) < shown.indexOf(alertId), "firing before acknowledged: " + JSON.stringify(shown));

  await card.locator('button[data-action="pause_campaign"]').click();
  await page.waitForFunction((id) => document.querySelector(`section[data-alert="${id}"] [data-role=state]`)?.textContent.includes("Pause campaign: dry run, nothing sent"), alertId, { timeout: 10000 });
  check(true, "pause campaign runs (dry run) and the card says so: nothing was sent");

  await page.reload();
  await card.waitFor({ timeout: 15000 });
  const state = await card.locator("[data-role=state]").innerText();
  check(state.includes("Acknowledged by local operator") && state.includes("Pause campaign: dry run, nothing sent"), "after a reload: " + state);
  check(await card.locator('button[data-action="acknowledge"]').count() === 0, "no acknowledge button on an acknowledged alert");
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

  // The pause is done (as a dry run): its button gives way to its undo, which reverts it.
  check(await card.locator('button[data-action="pause_campaign"]').count() === 0, "no second pause while the campaign is paused");
  const resume = card.locator('button[data-action="undo_pause_campaign"]');
  check(await resume.innerText() === "Resume campaign", "the card offers Resume campaign");
  await resume.click();
  await page.waitForFunction((id) => document.querySelector(`section[data-alert="${id}"] [data-role=state]`)?.textContent.includes("Pause campaign: reverted"), alertId, { timeout: 10000 });
  check(true, "resume campaign reverts the pause and the card says so");

  // Filters: the alert's team is offered, and choosing it keeps the card.
  const teams = await page.locator("#team option").allInnerTexts();
  check(teams.length >= 2, "the team filter offers the alerts' teams: " + JSON.stringify(teams));
  await page.selectOption("#team", { index: 1 });
  await card.waitFor({ timeout: 10000 });
  check(true, "the card stays under its own team's filter");

  // Resolved (by the API), the alert stays in the inbox with Confirm, which works and is audited.
  const resolved = await fetch(base + "/api/v1/alerts/" + alertId + "/actions", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ action: "resolve", by: "tester" }) });
  check(resolved.ok, "the API resolves the alert: " + resolved.status);
  await page.reload();
  await card.waitFor({ timeout: 15000 });
  const after = await order();
  check(after.indexOf(otherId) < after.indexOf(alertId), "firing before resolved: " + JSON.stringify(after));
  await card.locator('button[data-action="confirm"]').click();
  await page.waitForFunction((id) => document.querySelector(`section[data-alert="${id}"] [data-role=state]`)?.textContent.includes("Confirmed: a real problem"), alertId, { timeout: 10000 });
  check(true, "confirm works on a resolved alert");
  const audit = await (await fetch(base + "/api/v1/alerts/" + alertId + "/audit")).json();
  const entries = JSON.stringify(audit);
  check(/"action":"confirm"/.test(entries) && entries.includes("local operator"), "the audit trail records the confirmation");
});
