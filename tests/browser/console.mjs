// Drives the staff console in Debian's Chromium (playwright-core, no bundled browser):
// the scenarios of the console's issue, axe-core on every page, and screenshots at desktop
// and phone width in Dutch and English. Started by tests/api/console_browser.rs, which sets
// up the server and the data and reads SCENARIO (JSON) from the environment.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const S = JSON.parse(process.env.SCENARIO);
const BASE = S.base;
const SHOTS = S.screenshots;
mkdirSync(SHOTS, { recursive: true });

const problems = [];
function fail(msg) { problems.push(msg); console.error("FAIL: " + msg); }
function expect(cond, msg) { if (!cond) { fail(msg); } }

const browser = await chromium.launch({
  executablePath: S.chromium,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});

const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

// axe-core on the page as it stands; serious and critical violations fail the run.
async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  for (const v of result.violations) {
    if (v.impact === "serious" || v.impact === "critical") {
      fail(`${name}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")})`);
    }
  }
}

// The current page in both languages at both widths: checked and screenshotted. Reloads the
// page's own address with ?lang=… (a GET), then restores the starting language.
async function shoot(page, name) {
  const url = new URL(page.url());
  for (const lang of ["nl", "en"]) {
    url.searchParams.set("lang", lang);
    await page.goto(url.toString());
    for (const [vp, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      await axe(page, `${name} ${lang} ${vp}`);
      await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}-${vp}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(VIEWPORTS.desktop);
  url.searchParams.set("lang", "nl");
  await page.goto(url.toString());
}

// A page that came from a form post (it cannot be fetched again): checked and shot as it is.
async function here(page, name) {
  for (const [vp, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await axe(page, `${name} ${vp}`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-nl-${vp}.png`), fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

// Headers every console page sends.
function checkHeaders(resp, name) {
  const h = resp.headers();
  expect(h["x-frame-options"] === "DENY", `${name}: X-Frame-Options`);
  expect((h["cache-control"] || "").includes("no-store"), `${name}: no-store`);
  expect(!(h["content-security-policy"] || "").includes("unsafe-inline"), `${name}: strict CSP`);
}

async function signIn(page, email) {
  await page.fill("#email", email);
  await page.fill("#password", S.password);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/console/login'] button")]);
}

try {
  // --- support: sign in, find the request by e-mail, assign and forward it -------------
  const support = await browser.newContext({ viewport: VIEWPORTS.desktop, acceptDownloads: true, locale: "nl-NL" });
  let page = await support.newPage();
  const cspErrors = [];
  // Pages that answer 401/403/404/422 log "failed to load"; only policy violations count here.
  page.on("console", m => { if (m.type() === "error" && /Content.Security.Policy|Refused to/i.test(m.text())) { cspErrors.push(m.text()); } });
  let resp = await page.goto(`${BASE}/console/login`);
  checkHeaders(resp, "login");
  await shoot(page, "login");
  // A failed sign-in says only that it failed.
  await page.fill("#email", S.support);
  await page.fill("#password", "not the password");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/console/login'] button")]);
  expect((await page.textContent("#problem")).includes("niet gelukt"), "failed login message");
  await here(page, "login-failed");
  await signIn(page, S.support);
  expect(new URL(page.url()).pathname === "/console/", "support lands on the queue");
  await shoot(page, "queue");
  // Search by e-mail address: the address never appears in the URL.
  await page.fill("#q", S.anna_email);
  await Promise.all([page.waitForNavigation(), page.click("form.search button")]);
  expect(!page.url().includes("@") && !page.url().includes("anna"), "no e-mail address in the URL");
  expect((await page.content()).includes(S.r_forward), "search finds the request");
  await here(page, "search");
  await Promise.all([page.waitForNavigation(), page.click(`a[href='/console/requests/${S.r_forward}']`)]);
  await shoot(page, "request-support");
  await page.selectOption("#assign-tenant", S.tenant_a);
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/assign'] button`)]);
  expect((await page.textContent(".lead")).includes("ontvangen"), "assigned, still received");
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/forward'] button`)]);
  expect((await page.textContent(".lead")).includes("doorgestuurd"), "forwarded");
  await shoot(page, "request-forwarded");

  // A form posted without its CSRF token is refused.
  await page.goto(`${BASE}/console/requests/${S.r_refuse}`);
  await page.evaluate(() => document.querySelectorAll("form[action$='/forward'] input[name=csrf]").forEach(e => e.remove()));
  const [csrfResp] = await Promise.all([page.waitForNavigation(), page.click(`form[action$='/forward'] button`)]);
  expect(csrfResp.status() === 403, `form without CSRF token: ${csrfResp.status()}`);
  await here(page, "csrf-refused");
  await page.goto(`${BASE}/console/requests/${S.r_refuse}`);
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/forward'] button`)]);

  // Entering a request: the deadline is shown before saving.
  await page.goto(`${BASE}/console/requests/new`);
  await shoot(page, "new");
  await Promise.all([page.waitForNavigation(), page.click("button[value=check]")]);
  expect(await page.isVisible("#problem"), "errors summary on an empty form");
  await here(page, "new-errors");
  await page.check("input[name=channel][value=letter]");
  await page.selectOption("#new-tenant", S.tenant_a);
  await page.selectOption("#new-kind", "access");
  await page.fill("#new-name", "Carla Brief");
  await page.fill("#new-email", "carla@example.nl");
  await Promise.all([page.waitForNavigation(), page.click("button[value=check]")]);
  expect((await page.content()).includes("Wettelijke termijn"), "preview shows the deadline");
  await here(page, "new-preview");
  await Promise.all([page.waitForNavigation(), page.click("button[value=save]")]);
  expect(/\/console\/requests\/DSR-/.test(page.url()), "saved request opens");
  expect(cspErrors.length === 0, `console errors (CSP?): ${cspErrors.join(" | ")}`);
  await support.close();

  // --- controller A: from the mailed link, start, compile, download; refuse another ---
  const ctl = await browser.newContext({ viewport: VIEWPORTS.desktop, acceptDownloads: true, locale: "nl-NL" });
  page = await ctl.newPage();
  await page.goto(S.mailed_link);
  expect(new URL(page.url()).pathname === "/console/login", "mailed link asks to sign in");
  await signIn(page, S.controller_a);
  expect(page.url() === S.mailed_link, `returned to the request: ${page.url()}`);
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/acknowledge'] button`)]);
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/start'] button`)]);
  expect((await page.textContent(".lead")).includes("in behandeling"), "started");
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/bundle'] button`)]);
  // The script shows progress and reloads when the bundle is ready.
  await page.waitForSelector("a[download]", { timeout: 60000 });
  await shoot(page, "request-bundle-ready");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("a[download]")]);
  await download.saveAs(S.bundle_path);
  await page.goto(`${BASE}/console/requests/${S.r_refuse}`);
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/refuse'] button`)]);
  expect(await page.isVisible("#refuse-ground-error"), "refusal without ground: error in place");
  await here(page, "refuse-errors");
  await page.selectOption("#refuse-ground", "manifestly_unfounded");
  await page.fill("#refuse-reason", "U vroeg dit verzoek deze maand al drie keer aan.");
  await Promise.all([page.waitForNavigation(), page.click(`form[action$='/refuse'] button`)]);
  expect((await page.textContent(".lead")).includes("afgewezen"), "refused");
  // Tenant isolation: not in the queue, not by search, not by address.
  await page.goto(`${BASE}/console/`);
  await shoot(page, "queue-controller");
  expect(!(await page.content()).includes(S.r_other), "other tenant's request not in the queue");
  for (const term of [S.r_other, S.other_email]) {
    await page.fill("#q", term);
    await Promise.all([page.waitForNavigation(), page.click("form.search button")]);
    expect(!(await page.content()).includes(`/console/requests/${S.r_other}`), `search ${term} finds nothing`);
    await page.goto(`${BASE}/console/`);
  }
  resp = await page.goto(`${BASE}/console/requests/${S.r_other}`);
  expect(resp.status() === 404, `other tenant's request by URL: ${resp.status()}`);
  await shoot(page, "not-found");
  // Sign out: the session is gone.
  await page.goto(`${BASE}/console/`);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/console/logout'] button")]);
  resp = await page.goto(`${BASE}/console/`);
  expect(new URL(page.url()).pathname === "/console/login", "signed out");
  await ctl.close();
} catch (e) {
  fail(`scenario stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(`${problems.length} problem(s)`);
  process.exit(1);
}
console.log("console browser scenarios passed");
