// The execution certificate page (GET /api/v1/requests/{reference}/certificate.html) in
// Debian's Chromium: axe-core in Dutch and English at desktop and phone width, no script,
// the page's strict headers, and screenshots. Started by tests/api/certificate_browser.rs,
// which issues the certificate and passes SCENARIO (JSON) in the environment.
import path from "node:path";

import { S, VIEWPORTS, axe, expect, fail, finish, launch } from "./common.mjs";

const browser = await launch();

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
      await axe(page, `certificate ${lang} ${vp}`);
      await page.screenshot({ path: path.join(S.screenshots, `certificate-${lang}-${vp}.png`), fullPage: true });
    }
  }
  await ctx.close();
} catch (e) {
  fail(`certificate page stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}

finish("certificate page passed");
