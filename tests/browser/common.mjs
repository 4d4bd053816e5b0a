// What the browser scripts share: the scenario tests/api/browser.rs passes (SCENARIO, JSON:
// the server's `base`, `chromium`, the `screenshots` folder and the script's own keys),
// Debian's Chromium (playwright-core, no bundled browser), axe-core's check, and the problems
// that fail the run.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const S = JSON.parse(process.env.SCENARIO);
mkdirSync(S.screenshots, { recursive: true });

export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

const problems = [];
export function fail(msg) { problems.push(msg); console.error("FAIL: " + msg); }
export function expect(cond, msg) { if (!cond) { fail(msg); } }

export function launch() {
  return chromium.launch({
    executablePath: S.chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

// axe-core on the page as it stands; serious and critical violations fail the run.
export async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  for (const v of result.violations) {
    if (v.impact === "serious" || v.impact === "critical") {
      fail(`${name}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")})`);
    }
  }
}

// Ends the run: it fails with the problems found, else prints `passed`.
export function finish(passed) {
  if (problems.length) {
    console.error(`${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(passed);
}
