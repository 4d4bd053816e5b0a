// Drives the subject's pages in Debian's Chromium (playwright-core, no bundled browser): the
// request form, the mailed confirmation link read from the real SMTP sink, answering a
// question, withdrawing a request and downloading a released bundle with the mailed code.
// axe-core on every page (no serious or critical violation), screenshots in both languages at
// desktop and phone width. Started by tests/api/subject_browser.rs, which sets up the server,
// the SMTP sink and the requests, and reads SCENARIO (JSON) from the environment.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

import { S, VIEWPORTS, axe, expect, fail, finish, launch } from "./common.mjs";

const BASE = S.base;
const SHOTS = S.screenshots;
const browser = await launch();

// A page reached by GET: both languages, both widths, checked and screenshotted.
async function shoot(page, name) {
  const start = page.url();
  const url = new URL(start);
  for (const lang of ["nl", "en"]) {
    url.searchParams.set("lang", lang);
    await page.goto(url.toString());
    for (const [vp, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      await axe(page, `${name} ${lang} ${vp}`);
      await page.screenshot({ path: path.join(SHOTS, `subject-${name}-${lang}-${vp}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(VIEWPORTS.desktop);
  await page.goto(start);
}

// A page that came from a post: checked and shot as it stands, at both widths.
async function here(page, name, lang) {
  for (const [vp, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await axe(page, `${name} ${vp}`);
    await page.screenshot({ path: path.join(SHOTS, `subject-${name}-${lang}-${vp}.png`), fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

// --- mail from the SMTP sink ----------------------------------------------------------------

function decodePart(headers, body) {
  const enc = (/content-transfer-encoding:\s*([\w-]+)/i.exec(headers) || [])[1] || "7bit";
  if (enc.toLowerCase() === "base64") {
    return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  }
  if (enc.toLowerCase() === "quoted-printable") {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

// The text part of every message to `to`, oldest first: [{subject, text}].
function mailsTo(to) {
  const out = [];
  for (const f of readdirSync(S.sink).filter(f => f.endsWith(".eml")).sort()) {
    const raw = readFileSync(path.join(S.sink, f), "utf8");
    if (!raw.includes(`Delivered-To: ${to}`)) { continue; }
    const subject = (/^Subject: (.*)$/m.exec(raw) || [])[1] || "";
    const at = raw.search(/Content-Type: text\/plain/i);
    if (at < 0) { continue; }
    const rest = raw.slice(at);
    const split = rest.search(/\r?\n\r?\n/);
    const headers = rest.slice(0, split);
    const body = rest.slice(split).split(/\r?\n--/)[0];
    const replyTo = (/^Reply-To: (.*)$/m.exec(raw) || [])[1] || "";
    out.push({ subject, replyTo, text: decodePart(headers, body) });
  }
  return out;
}

async function waitMail(to, needle, after = 0) {
  for (let i = 0; i < 300; i++) {
    const m = mailsTo(to).slice(after).find(m => m.text.includes(needle));
    if (m) { return m; }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} with ${needle}`);
}

// A link of the mail containing `needle`, on the test server's address.
function link(mail, needle) {
  const url = mail.text.split(/\s+/).find(w => w.includes(needle));
  if (!url) { throw new Error(`no ${needle} in ${mail.text}`); }
  const u = new URL(url);
  return BASE + u.pathname + u.search;
}

// --- the scenarios --------------------------------------------------------------------------

const context = await browser.newContext({ acceptDownloads: true, locale: "nl-NL" });
const page = await context.newPage();

try {
  // 1. The general form: the organisations listed, the seven rights; errors in place.
  let resp = await page.goto(BASE + "/");
  expect(resp.status() === 200, "/ answers 200");
  expect(await page.locator("input[name=kind]").count() === 7, "seven rights on the form");
  await shoot(page, "form-general");
  await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
  expect(await page.locator("#problems").count() === 1, "an error summary");
  expect(await page.getAttribute("#email", "aria-describedby") === "email-hint email-error", "the e-mail error is tied to its field");
  await here(page, "form-errors", "nl");

  // 2. The organisation's own form: file a request; check your mailbox.
  resp = await page.goto(BASE + `/t/${S.tenant}`);
  expect(resp.status() === 200, "/t/{slug} answers 200");
  await shoot(page, "form");
  await page.check("#kind-access");
  await page.fill("#name", "Anna de Vries");
  await page.fill("#email", S.anna);
  await page.fill("#details", "Graag een kopie van alles wat de club over mij heeft.");
  await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
  const filed = await page.textContent("main");
  expect(filed.includes("Kijk in uw mailbox"), "the check-your-mailbox page");
  expect(!page.url().includes("token") && !(await page.content()).includes("token="), "no status link on the page");
  const reference = (/DSR-\d{4}-\d{6}/.exec(filed) || [])[0];
  expect(!!reference, "the page names the reference");
  await here(page, "filed", "nl");

  // 3. The mailed confirmation link, then the receipt's status link.
  const verify = await waitMail(S.anna, "/api/v1/verify?token=");
  await page.goto(link(verify, "/api/v1/verify?token="));
  expect((await page.textContent("h1")).includes("bevestigd"), "the address is confirmed");
  await shoot(page, "verified");
  const receipt = await waitMail(S.anna, "/status?token=");
  expect(receipt.text.includes(S.contact), "the receipt names a person to reach");
  expect(receipt.replyTo.includes(S.contact), `a reply reaches the tenant's contact (Reply-To: ${receipt.replyTo})`);
  expect(!receipt.text.includes("/console/"), "no staff page in a subject's mail");
  await page.goto(link(receipt, "/status?token="));
  expect((await page.textContent("h1")).includes(reference), "the status page of the filed request");
  await shoot(page, "status");

  // 4. Answer a question from staff.
  const qMail = await waitMail(S.question_email, "/status?token=");
  await page.goto(link(qMail, "/status?token="));
  expect((await page.textContent("#question")).includes(S.question), "the question is shown");
  await shoot(page, "status-question");
  await page.fill("#answer", "Mijn lidnummer is 4711.");
  await Promise.all([page.waitForNavigation(), page.click("#question button[type=submit]")]);
  expect((await page.textContent("main")).includes("uw antwoord is ontvangen"), "the answer is received");
  await here(page, "status-answered", "nl");

  // 5. Withdraw another request, with the confirmation step.
  const wMail = await waitMail(S.withdraw_email, "/status?token=");
  await page.goto(link(wMail, "/status?token="));
  await Promise.all([page.waitForNavigation(), page.click("form[action*='/withdraw'] button")]);
  expect((await page.textContent("h1")).includes("zeker"), "the confirmation step");
  await here(page, "withdraw-confirm", "nl");
  await Promise.all([page.waitForNavigation(), page.click("form[action*='/withdraw'] button")]);
  expect((await page.textContent("main")).includes("Uw verzoek is ingetrokken"), "withdrawn");
  await shoot(page, "status-withdrawn");

  // 6. Download a released bundle with the mailed code.
  const rMail = await waitMail(S.release_email, "/status?token=");
  await page.goto(link(rMail, "/status?token="));
  expect(await page.locator("#download").count() === 1, "the download is offered");
  await shoot(page, "status-download");
  const before = mailsTo(S.release_email).length;
  await Promise.all([page.waitForNavigation(), page.click("form[action*='/code'] button")]);
  const codeMail = await waitMail(S.release_email, "uw code", before);
  const code = (/^\s*(\d{6})\s*$/m.exec(codeMail.text) || [])[1];
  expect(!!code, "the mail holds a six-digit code on a line of its own");
  expect(!codeMail.subject.includes(code), "the code is not in the subject line");
  await page.fill("#code", "000000" === code ? "111111" : "000000");
  await Promise.all([page.waitForNavigation(), page.click("form[action*='/download'] button")]);
  expect((await page.textContent("#download")).includes("nog 4 keer"), "a wrong code counts");
  await here(page, "status-code-wrong", "nl");
  await page.fill("#code", code);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("form[action*='/download'] button"),
  ]);
  await download.saveAs(S.bundle_path);
  console.log(`downloaded ${await download.suggestedFilename()}`);
} catch (e) {
  fail(`scenario stopped: ${e.stack || e}`);
}

await browser.close();
finish("subject browser scenarios passed");
