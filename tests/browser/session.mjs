// What every browser check shares: Debian's Chromium, headless, and a checklist that prints
// "ok   <what>" or "FAIL <what>" per step and makes the process exit non-zero on any failure.
import { chromium } from "playwright-core";

export async function session(steps) {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  let failed = false;
  const check = (ok, what) => {
    console.log((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failed = true;
  };
  try {
    await steps(browser, check);
  } catch (e) {
    check(false, String(e));
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}
