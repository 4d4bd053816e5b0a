// Drives the staff console in Debian's Chromium (playwright-core, no bundled browser):
// the scenarios of the console's issue, axe-core on every page, and screenshots at desktop
// and phone width in Dutch and English. Started by tests/api/console_browser.rs, which sets
// up the server and the data and reads SCENARIO (JSON) from the environment.
import path from "node:path";

import { S, VIEWPORTS, axe, expect, fail, finish, launch } from "./common.mjs";

const BASE = S.base;
const SHOTS = S.screenshots;
const browser = await launch();

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
  // Grants: give support access for a few hours with a reason, see it running, revoke it.
  await page.click("nav.nav a[href$='/grants']");
  await page.waitForLoadState();
  expect(new URL(page.url()).pathname === `/console/tenants/${S.tenant_a}/grants`, "grants page from the navigation");
  await shoot(page, "grants-empty");
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/grants'] button")]);
  expect(await page.isVisible("#grant-grantee-error"), "grant without a support user: error in place");
  expect(await page.isVisible("#grant-reason-error"), "grant without a reason: error in place");
  await here(page, "grants-errors");
  await page.selectOption("#grant-grantee", S.support);
  await page.selectOption("#grant-hours", "4");
  await page.fill("#grant-reason", "Bundel van een verzoek nakijken op volledigheid");
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/grants'] button")]);
  expect((await page.textContent("[role=status]")).includes("toegang is gegeven"), "grant given");
  expect((await page.content()).includes(S.support), "grant listed with its grantee");
  await shoot(page, "grants-running");
  await Promise.all([page.waitForNavigation(), page.click("form.revoke button")]);
  expect((await page.textContent("[role=status]")).includes("ingetrokken"), "grant revoked");
  expect(!(await page.isVisible("form.revoke")), "no running grant left");
  await shoot(page, "grants-revoked");
  // The audit trail: who touched acme's data, with the grant given and revoked.
  await page.click("nav.nav a[href$='/audit']");
  await page.waitForLoadState();
  const trail = await page.content();
  expect(trail.includes("Toegang gegeven") && trail.includes("Toegang ingetrokken"), "grant entries in the trail");
  expect(trail.includes("Verzoek bekeken"), "request reads in the trail");
  await shoot(page, "audit");
  // The overview: charts drawn on the server, numbers in tables beside them.
  await page.click("nav.nav a[href='/console/overview']");
  await page.waitForLoadState();
  expect(await page.locator("svg[role=img]").count() >= 3, "overview charts");
  expect(await page.locator("table.figures").count() >= 3, "overview tables");
  expect(!(await page.content()).includes(S.r_other), "overview names no request");
  await shoot(page, "overview");
  // Another tenant's pages: not found.
  resp = await page.goto(`${BASE}/console/tenants/${S.tenant_b}/grants`);
  expect(resp.status() === 404, `other tenant's grants: ${resp.status()}`);
  resp = await page.goto(`${BASE}/console/tenants/${S.tenant_b}/audit`);
  expect(resp.status() === 404, `other tenant's audit trail: ${resp.status()}`);
  resp = await page.goto(`${BASE}/console/admin`);
  expect(resp.status() === 403, `controller on the admin page: ${resp.status()}`);
  // Sign out: the session is gone.
  await page.goto(`${BASE}/console/`);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/console/logout'] button")]);
  resp = await page.goto(`${BASE}/console/`);
  expect(new URL(page.url()).pathname === "/console/login", "signed out");
  await ctl.close();

  // --- support: the grants given to it; no audit trail, no admin -----------------------
  const sup = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: "nl-NL" });
  page = await sup.newPage();
  await page.goto(`${BASE}/console/login`);
  await signIn(page, S.support);
  await page.click("nav.nav a[href='/console/grants']");
  await page.waitForLoadState();
  expect((await page.content()).includes("Bundel van een verzoek nakijken"), "support sees the grant it was given");
  await shoot(page, "grants-support");
  resp = await page.goto(`${BASE}/console/tenants/${S.tenant_a}/audit`);
  expect(resp.status() === 403, `support on the audit trail: ${resp.status()}`);
  resp = await page.goto(`${BASE}/console/admin`);
  expect(resp.status() === 403, `support on the admin page: ${resp.status()}`);
  await page.goto(`${BASE}/console/overview?tenant=${S.tenant_a}`);
  await shoot(page, "overview-support");
  await sup.close();

  // --- admin: tenants, add a user, disable it, data maps, retry a dead job ---------------
  const adm = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: "nl-NL" });
  page = await adm.newPage();
  await page.goto(`${BASE}/console/login`);
  await signIn(page, S.admin);
  await page.click("nav.nav a[href='/console/admin']");
  await page.waitForLoadState();
  await shoot(page, "admin-tenants");
  await page.click(".subnav a[href='/console/admin/users']");
  await page.waitForLoadState();
  await page.fill("#user-email", "nieuw@processor.example.nl");
  await page.selectOption("#user-role", "support");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/console/admin/users'] button")]);
  const shown = await page.textContent(".password code");
  expect(shown && shown.length >= 20, "a made password is shown once");
  await here(page, "admin-user-added");
  await page.goto(`${BASE}/console/admin/users`);
  expect(!(await page.content()).includes(shown), "the password is not shown again");
  const card = page.locator("li.box", { hasText: "nieuw@processor.example.nl" });
  await Promise.all([page.waitForNavigation(), card.locator("form[action$='/disable'] button").click()]);
  expect((await page.textContent("[role=status]")).includes("uitgeschakeld"), "user disabled");
  expect(await page.locator("li.box", { hasText: "nieuw@processor.example.nl" }).locator("form[action$='/enable']").count() === 1, "disabled user can be enabled");
  await shoot(page, "admin-users");
  await page.click(".subnav a[href='/console/admin/datamaps']");
  await page.waitForLoadState();
  await shoot(page, "admin-datamaps");
  await page.click(".subnav a[href='/console/admin/jobs']");
  await page.waitForLoadState();
  await shoot(page, "admin-jobs");
  await Promise.all([page.waitForNavigation(), page.click(`form[action='/console/admin/jobs/${S.dead_job}/retry'] button`)]);
  expect((await page.textContent("[role=status]")).includes("weer in de wachtrij"), "dead job retried");
  await here(page, "admin-job-retried");
  await adm.close();
} catch (e) {
  fail(`scenario stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}

finish("console browser scenarios passed");
