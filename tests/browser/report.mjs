// Opens a `terrain backtest` HTML report in Debian's headless Chromium and checks what a
// marketing-ops person reads it by: every chart has dated time ticks and value ticks, the known
// incidents are shaded and visible, alerts are marked true or false. With a second argument, a
// screenshot of the report's first charts goes there.
// Usage: node report.mjs <report.html> [screenshot.png]. Exits non-zero naming what failed.
import { session } from "./session.mjs";
import { pathToFileURL } from "node:url";

const [report, screenshot] = process.argv.slice(2);
await session(async (browser, check) => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(pathToFileURL(report).href);
  const charts = page.locator("svg.chart");
  const n = await charts.count();
  check(n >= 1, "the report draws " + n + " chart(s)");
  let axes = true;
  for (let i = 0; i < n; i++) {
    const c = charts.nth(i);
    const x = await c.locator("text.x-tick").allTextContents();
    const y = await c.locator("text.y-tick").allTextContents();
    axes &&= x.length === 5 && x.every((t) => /^\d\d-\d\d \d\d:\d\d$/.test(t)) && y.length === 3 && y.every((t) => /\d/.test(t));
  }
  check(axes, "axes: every chart has five dated time ticks and three value ticks");
  const incidents = page.locator("svg.chart rect.incident");
  const box = (await incidents.count()) > 0 ? await incidents.first().boundingBox() : null;
  check(box !== null && box.width > 1 && box.height > 1, "incidents shaded: " + JSON.stringify(box));
  const fill = box ? await incidents.first().evaluate((e) => getComputedStyle(e).fill) : "";
  check(fill !== "" && fill !== "none", "the incident shading is painted: " + fill);
  check(await page.locator("span.true").count() >= 1 && await page.locator("span.false").count() >= 0, "alerts are marked true or false");
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
});
