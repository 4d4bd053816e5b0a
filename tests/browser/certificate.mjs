// The execution certificate page (GET /api/v1/requests/{reference}/certificate.html) in
// Debian's Chromium: axe-core in Dutch and English at desktop and phone width, no script,
// the page's strict headers, and screenshots. Started by tests/api/certificate_browser.rs,
// which issues the certificate and passes SCENARIO (JSON) in the environment.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const S = JSON.parse(process.env.SCENARIO);
mkdirSync(S.screenshots, { recursive: true });

const problems = [];
function fail(msg) { problems.push(msg); console.error("FAIL: " + msg); }
function expect(cond, msg) { if (!cond) { fail(msg); } }

const browser = await chromium.launch({
  executablePath: S.chromium,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

try {
  const ctx = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${S.token}` } });
  const page = await ctx.newPage();
  for (const lang of ["nl", "en"]) {
    const resp = await page.goto(`${S.base}/api/v1/requests/${S.reference}/certificate.html?lang=${lang}`);
    expect(resp.status() === 200, `${lang}: status ${resp.status()}`);
    const csp = resp.headers()["content-security-policy"] || "";
    expect(csp.includes("default-src 'none'"), `${lang}: CSP ${csp}`);
    expect((await page.locator("script").count()) === 0, `${lang}: a script on the page`);
    expect((await page.getAttribute("html", "lang")) === lang, `${lang}: html lang`);
    for (const [vp, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      await page.evaluate(AXE);
      const result = await page.evaluate(async () =>
        await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
      for (const v of result.violations) {
        if (v.impact === "serious" || v.impact === "critical") {
          fail(`certificate ${lang} ${vp}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")})`);
        }
      }
      await page.screenshot({ path: path.join(S.screenshots, `certificate-${lang}-${vp}.png`), fullPage: true });
    }
  }
  await ctx.close();
} catch (e) {
  fail(`certificate page stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(`${problems.length} problem(s)`);
  process.exit(1);
}
console.log("certificate page passed");
