// Drives terrain's local inbox in Debian's headless Chromium: the card of alert <id> shows
// both sides' numbers; acknowledging and pausing change its state; a reload shows the same.
// Usage: node inbox.mjs <terrain base URL> <alert id>. Exits non-zero naming what failed.
import { chromium } from "playwright-core";

const [base, alertId] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
let failed = false;
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failed = true;
}
try {
  const page = await browser.newPage();
  page.on("dialog", (d) => d.accept());  // the action's confirmation
  await page.goto(base + "/inbox");
  const card = page.locator(`section[data-alert="${alertId}"]`);
  await card.waitFor({ timeout: 15000 });
  const facts = await card.locator(".fact").allInnerTexts();
  check(facts.length >= 2 && facts.every((f) => /\d/.test(f)), "the card shows its figures: " + JSON.stringify(facts));
  check(facts.some((f) => /fired on/i.test(f)) && facts.some((f) => /limit|expected/i.test(f)),
        "each figure is named for what it is (fired on, now, expected or limit): " + JSON.stringify(facts));
  check((await page.locator("#you").innerText()).includes("local operator"), "the inbox names who is acting");
  const duty = await card.locator("[data-role=on-duty]").innerText();
  check(duty === "On duty: local operator", "the card names who is on duty: " + duty);

  await card.locator('button[data-action="acknowledge"]').click();
  await page.waitForFunction((id) => document.querySelector(`section[data-alert="${id}"] [data-role=state]`)?.textContent.includes("Acknowledged by local operator"), alertId, { timeout: 10000 });
  check(true, "acknowledge changes the card's state");

  await card.locator('button[data-action="pause_campaign"]').click();
  await page.waitForFunction((id) => document.querySelector(`section[data-alert="${id}"] [data-role=state]`)?.textContent.includes("Pause campaign: dry run, nothing sent"), alertId, { timeout: 10000 });
  check(true, "pause campaign runs (dry run) and the card says so: nothing was sent");

  await page.reload();
  await card.waitFor({ timeout: 15000 });
  const state = await card.locator("[data-role=state]").innerText();
  check(state.includes("Acknowledged by local operator") && state.includes("Pause campaign: dry run, nothing sent"), "after a reload: " + state);
  check(await card.locator('button[data-action="acknowledge"]').count() === 0, "no acknowledge button on an acknowledged alert");
} catch (e) {
  check(false, String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
