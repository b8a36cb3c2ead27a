// Drives the dashboard as a vendor admin and an IT admin would, in headless Chromium:
// first-run set-up, sign-in, an organization, an Okta directory and its token (copied with the
// copy button), a SCIM user pushed to it, a webhook endpoint and its delivery, a token reset,
// a setup link opened in the portal, a CSV file previewed and applied to a custom API
// directory, sign-out. Prints "N passed, 0 failed" or exits non-zero.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const ROSTER = process.env.ROSTER_BIN;
const SHOTS = new URL("./screenshots/", import.meta.url).pathname;
const EMAIL = "ana@vendor.example";
const PASSWORD = "correct horse battery staple";
let passed = 0;

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
  passed += 1;
  console.log(`  ✓ ${what}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(what, probe, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A webhook receiver that answers 200 and keeps what it got. */
function receiver(port) {
  const received = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: JSON.parse(body) });
      response.writeHead(200).end("ok");
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve({ server, received })));
}

function scimUser(name) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: `${name}@acme.com`,
    externalId: `okta-${name}`,
    name: { givenName: name[0].toUpperCase() + name.slice(1), familyName: "Varga" },
    emails: [{ value: `${name}@acme.com`, primary: true, type: "work" }],
    active: true,
  };
}

async function pushUser(baseUrl, token, name) {
  const response = await fetch(`${baseUrl}/Users`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
    body: JSON.stringify(scimUser(name)),
  });
  return response.status;
}

/** Chromium from Debian's package, with a profile of its own in `userData`. */
function browser(userData) {
  return chromium.launchPersistentContext(userData, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 860 },
  });
}

/**
 * The test-event buttons: from the endpoint's page (where `page` is), one test event and its
 * outcome; from the directory's page, its test events and their deliveries on the endpoint.
 */
async function testEvents(page, hooks, directoryUrl, shot) {
  console.log("test events");
  const endpointUrl = page.url();
  await page.click("button:has-text('Send test event')");
  await page.waitForSelector("[data-test-outcome]");
  check(await page.isVisible("text=Delivered: HTTP 200"), "a test event shows the receiver's answer");
  check(hooks.received.some((hook) => hook.body.id.startsWith("event_test_")), "the receiver got the test event");
  await shot("07a-webhook-test-event");
  await page.goto(directoryUrl);
  await page.click("button:has-text('Send test events')");
  await page.waitForURL(directoryUrl);
  const flash = await page.locator("[role=status]", { hasText: "test events" }).textContent();
  const sent = Number(/Sent (\d+) test events/.exec(flash)?.[1]);
  check(sent >= 7, `the directory page says what was sent (${sent} events)`);
  await shot("07b-directory-test-events");
  await page.goto(endpointUrl);
  await until("the test events' deliveries", async () => {
    await page.reload();
    return (await page.locator("a[href^='/dashboard/events/']").count()) >= sent + 1;
  });
  check(true, "their deliveries appear on the endpoint's page");
}

async function main() {
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "roster-e2e-"));
  const mailDir = join(work, "mail");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const hooks = await receiver(await freePort());
  const hookUrl = `http://127.0.0.1:${hooks.server.address().port}/webhooks`;

  const roster = spawn(ROSTER, ["serve", "--workers", "2"], {
    env: {
      ...process.env,
      ROSTER_DATABASE_URL: `sqlite://${join(work, "roster.db")}`,
      ROSTER_LISTEN: `127.0.0.1:${port}`,
      ROSTER_MAIL_DIR: mailDir,
      ROSTER_WEBHOOK_ALLOW_PRIVATE: "true",
      ROSTER_WEBHOOK_POLL_INTERVAL: "200ms",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const userData = mkdtempSync(join(tmpdir(), "roster-e2e-chromium-"));
  // The IT admin is someone else, on another machine: a browser profile of their own.
  const itAdminData = mkdtempSync(join(tmpdir(), "roster-e2e-chromium-it-"));
  let context;
  let itAdmin;
  let page;
  try {
    await until("roster to answer", () => fetch(`${base}/health`).then((r) => r.ok, () => false));
    context = await browser(userData);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("dialog", (dialog) => dialog.accept());
    const blocked = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

    console.log("first run");
    await page.goto(`${base}/`);
    check(page.url().endsWith("/dashboard/setup"), "/ leads to the first-run form");
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await page.fill("#password_again", PASSWORD);
    await shot("01-first-run");
    await page.click("main button[type=submit]");
    await page.waitForURL("**/dashboard/organizations");
    check(await page.isVisible("text=No organizations yet"), "the first admin is signed in");

    console.log("sign out and in");
    await page.click("text=Sign out");
    await page.waitForURL("**/dashboard/login");
    await page.fill("#email", EMAIL);
    await page.fill("#password", "not the password");
    await page.click("main button[type=submit]");
    check(await page.isVisible("text=Wrong email or password."), "a wrong password gets a generic message");
    await page.fill("#password", PASSWORD);
    await shot("02-sign-in");
    await page.click("main button[type=submit]");
    await page.waitForURL("**/dashboard/organizations");
    check(await page.isVisible("text=Organizations"), "signed in");

    console.log("organization");
    await page.click("text=New organization");
    await page.fill("#name", "Acme Corp");
    await page.fill("#domains", "acme.com");
    await page.click("main button[type=submit]");
    await page.waitForURL(/\/dashboard\/organizations\/org_/);
    check(await page.isVisible("text=Organization Acme Corp created."), "organization created");
    const organizationUrl = page.url();

    console.log("Okta directory");
    await page.click("text=New directory");
    await page.check("input[name=provider][value=okta]");
    await page.fill("#name", "Acme Okta");
    await page.click("main button[type=submit]");
    await page.waitForSelector("#bearer-token");
    const baseUrl = (await page.textContent("#scim-base-url")).trim();
    const shown = (await page.textContent("#bearer-token")).trim();
    check(shown.startsWith("roster_scim_"), "the token is shown once");
    check(await page.isVisible("text=Test Connector Configuration"), "with Okta's own steps");
    await page.click("button[data-copy=bearer-token]");
    await until("the Copied label", () => page.isVisible("button[data-copy=bearer-token]:has-text('Copied')"));
    const token = await page.evaluate(() => navigator.clipboard.readText());
    check(token === shown, "the copy button copies the token");
    await shot("03-directory-token");

    console.log("SCIM user");
    check((await pushUser(baseUrl, token, "zoe")) === 201, "Okta's POST /Users with the copied token is accepted");
    await page.click("text=Done");
    await page.waitForURL(/\/dashboard\/directories\/directory_/);
    const directoryUrl = page.url();
    check(await page.isVisible(".badge.linked"), "the directory is linked");
    check(!(await page.isVisible("text=" + token)), "later visits do not show the token");
    await shot("04-directory");
    await page.click("nav.tabs >> text=Users");
    check(await page.isVisible("text=zoe@acme.com"), "the user is listed");
    await page.click("text=Zoe Varga");
    check(await page.isVisible("text=okta-zoe"), "the user page shows the normalised fields");
    await shot("05-user");
    await page.click("nav.tabs >> text=SCIM requests");
    check(await page.isVisible("td.mono:has-text('/Users')"), "the request log shows the POST");

    console.log("webhook endpoint");
    await page.click("nav[aria-label=Main] >> text=Webhooks");
    await page.click("text=New endpoint");
    await page.fill("#url", hookUrl);
    await page.click("main button[type=submit]");
    await page.waitForSelector("#webhook-secret");
    check((await page.textContent("#webhook-secret")).trim().startsWith("whsec_"), "the signing secret is shown once");
    await shot("06-webhook-secret");
    await page.click("text=Done");
    check((await pushUser(baseUrl, token, "mateo")) === 201, "a second user is pushed");
    await until("a delivery to the receiver", () => hooks.received.some((hook) => hook.body.event === "dsync.user.created"));
    await until("the delivery in the dashboard", async () => {
      await page.reload();
      return (await page.locator("td > .badge.delivered").count()) > 0;
    });
    check(true, "the delivery shows as delivered");
    await page.click("summary:has-text('Attempts')");
    check(await page.isVisible("text=HTTP 200"), "with the receiver's response code");
    await shot("07-webhook-deliveries");
    await testEvents(page, hooks, directoryUrl, shot);

    console.log("token reset");
    await page.goto(directoryUrl);
    await page.click("summary:has-text('Reset token')");
    await page.click("button:has-text('Reset token')");
    await page.waitForSelector("#bearer-token");
    const fresh = (await page.textContent("#bearer-token")).trim();
    check(fresh !== token && fresh.startsWith("roster_scim_"), "a new token is shown once");
    check((await pushUser(baseUrl, token, "old")) === 401, "the old token stops working");
    check((await pushUser(baseUrl, fresh, "new")) === 201, "the new token works");
    await shot("08-token-reset");

    console.log("setup link");
    await page.goto(organizationUrl);
    await page.fill("#email", "it@acme.com");
    await page.click("button:has-text('Create setup link')");
    await page.waitForSelector("#setup-link");
    const link = (await page.textContent("#setup-link")).trim();
    check(await page.isVisible("text=Sent to"), "the setup link is emailed");
    const mails = readdirSync(mailDir).map((name) => readFileSync(join(mailDir, name), "utf8"));
    check(mails.some((mail) => mail.includes("it@acme.com") && mail.includes("Set up directory sync for Acme Corp")), "the email is in the mail folder");
    await shot("09-setup-link");
    itAdmin = await browser(itAdminData);
    const portal = itAdmin.pages()[0] ?? (await itAdmin.newPage());
    await portal.goto(link);
    check(await portal.isVisible("text=Set up directory sync for Acme Corp"), "the link opens the portal's landing page");
    await portal.screenshot({ path: join(SHOTS, "10-portal-landing.png"), fullPage: true });
    await portal.click("button:has-text('Start')");
    await portal.waitForURL("**/setup/directories");
    check(await portal.isVisible("text=Acme Okta"), "the portal shows the organization's directory");
    await portal.check("input[name=provider][value=entra]");
    await portal.click("button:has-text('Continue')");
    await portal.waitForSelector("#bearer-token");
    const entraToken = (await portal.textContent("#bearer-token")).trim();
    const entraBase = (await portal.textContent("#scim-base-url")).trim();
    check(await portal.isVisible("text=Tenant URL"), "with Entra ID's steps");
    check((await pushUser(entraBase, entraToken, "lin")) === 201, "the IT admin's provider pushes a user");
    await until("the portal to show the user", () => portal.isVisible("[data-first-users] >> text=lin@acme.com"));
    check(await portal.isVisible("[data-state]:has-text('linked')"), "the portal shows the directory linked");
    await portal.screenshot({ path: join(SHOTS, "11-portal-directory.png"), fullPage: true });
    const vendorPage = await portal.goto(`${base}/dashboard/organizations`);
    check(vendorPage.url().includes("/dashboard/login"), "the portal session does not reach vendor pages");
    const reused = await fetch(link, { redirect: "manual" });
    check(reused.status === 403, "the link works once");
    await itAdmin.close();
    itAdmin = undefined;

    // CSV upload to a custom API directory: preview, then apply.
    console.log("CSV upload");
    await page.goto(organizationUrl);
    await page.click("text=New directory");
    await page.check("input[name=provider][value=custom]");
    await page.fill("#name", "Acme HR");
    await page.click("main button[type=submit]");
    await page.waitForSelector("#bearer-token");
    check((await page.textContent("#scim-base-url")).includes("/custom/v1/directory_"), "a custom API directory gets a bulk base URL");
    await page.click("text=Done");
    await page.waitForURL(/\/dashboard\/directories\/directory_/);
    const hrCsv = "external_id,email,first_name,last_name,groups\nE1,ines@acme.com,Ines,Roth,Finance\nE2,omar@acme.com,Omar,Haddad,Finance;Sales\n";
    await page.setInputFiles("#csv-file", { name: "employees.csv", mimeType: "text/csv", buffer: Buffer.from(hrCsv) });
    await until("the file in the form", async () => (await page.inputValue("#csv")).includes("omar@acme.com"));
    await shot("11a-csv-upload");
    await page.click("button:has-text('Preview')");
    await page.waitForSelector("text=Preview: nothing is written yet.");
    check((await page.textContent("[data-total=created]")).trim() === "4", "the preview counts two users and two groups to create");
    await shot("11b-csv-preview");
    await page.click("button:has-text('Apply')");
    await page.waitForSelector("text=Applied.");
    check((await page.textContent("[data-total=created]")).trim() === "4", "applying creates what the preview showed");
    await shot("11c-csv-applied");
    await page.click("text=See the users");
    check(await page.isVisible("text=omar@acme.com"), "the uploaded users are listed");

    console.log("sign out");
    await page.goto(`${base}/dashboard/audit`);
    check(await page.isVisible("text=portal.link_opened"), "the audit log records the portal");
    await shot("12-audit-log");
    await page.click("text=Sign out");
    await page.waitForURL("**/dashboard/login");
    check(await page.isVisible("text=You are signed out."), "signed out");
    await page.goto(`${base}/dashboard/organizations`);
    check(page.url().includes("/dashboard/login"), "signed out, the dashboard shows nothing");
    check(blocked.length === 0, `the content security policy blocked nothing (${blocked.join("; ")})`);
    console.log(`\n${passed} passed, 0 failed`);
  } catch (error) {
    if (page) await page.screenshot({ path: join(SHOTS, "failure.png"), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    if (context) await context.close();
    if (itAdmin) await itAdmin.close();
    roster.kill("SIGTERM");
    hooks.server.close();
    rmSync(userData, { recursive: true, force: true });
    rmSync(itAdminData, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  console.log(`\n${passed} passed, 1 failed`);
  process.exit(1);
});
