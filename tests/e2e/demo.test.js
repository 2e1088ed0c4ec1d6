// The demo as a visitor uses it, in Chromium, against the mock server `make demo` runs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { DEMO_URL, launch, reset, stats, storage } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a visitor signs in, watches a refresh, recovers from a 401 and signs out", async () => {
  await reset(DEMO_URL);
  const page = await (await browser.newContext()).newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(DEMO_URL);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in as alice").waitFor();
  assert.match(await page.locator("#claims").textContent(), /"sub": "alice"/);

  // Calls reach the API with the bearer.
  await page.getByRole("button", { name: "Call the API" }).click();
  await page.locator("#log li", { hasText: "GET /api/me → 200" }).first().waitFor();

  // Short tokens: a scheduled refresh appears on its own before expiry.
  await page.getByRole("button", { name: "Shorten the TTL to 10 s" }).click();
  await page.locator("#log li", { hasText: "entered its refresh window" }).first()
    .waitFor({ timeout: 15000 });

  // Force a 401: the call is recovered by one refresh and one retry.
  const before = await stats(DEMO_URL);
  await page.getByRole("button", { name: "Revoke tokens on the server" }).click();
  await page.locator("#log li", { hasText: "revoked every access token" }).waitFor();
  await page.getByRole("button", { name: "Call the API" }).click();
  await page.locator("#log li", { hasText: "the API answered 401" }).first().waitFor();
  await page.waitForFunction(() =>
    [...document.querySelectorAll("#log li")].filter((li) => li.textContent.includes("GET /api/me → 200")).length >= 2);
  const afterRevoke = await stats(DEMO_URL);
  assert.equal(afterRevoke.api_unauthorized - before.api_unauthorized, 1);
  assert.equal(afterRevoke.api_ok - before.api_ok, 1);

  // Storage holds no token material; the only readable cookie is the CSRF one.
  const held = await storage(page);
  assert.equal(held.local, "{}");
  assert.equal(held.session, "{}");
  assert.equal(held.indexedDb, 0);
  assert.ok(!held.cookie.includes("eyJ"), "no JWT in document.cookie");
  assert.ok(held.cookie.split("; ").every((c) => c.startsWith("csrf_token=")), held.cookie);

  mkdirSync("../../target", { recursive: true });
  await page.screenshot({ path: "../../target/demo.png", fullPage: true });

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.deepEqual(problems, []);
});

test("a reload restores the session from the cookie", async () => {
  await reset(DEMO_URL);
  const page = await (await browser.newContext()).newPage();
  await page.goto(DEMO_URL);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in as alice").waitFor();
  await page.reload();
  await page.getByText("Signed in as alice").waitFor();
  await page.locator("#log li", { hasText: "session restored" }).waitFor();
  assert.equal((await stats(DEMO_URL)).refreshes, 1);
});

test("Sign in waits for the demo's script: a click before it cannot submit the form with the password in the address", async () => {
  await reset(DEMO_URL);
  const page = await (await browser.newContext()).newPage();
  // The wasm held back: demo.js has not attached its handler yet.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route("**/token-keeper.wasm", async (route) => { await held; await route.continue(); });
  await page.goto(DEMO_URL, { waitUntil: "domcontentloaded" });
  const button = page.getByRole("button", { name: "Sign in" });
  assert.equal(await button.isDisabled(), true);
  await page.getByLabel("Password").press("Enter"); // implicit submission: nothing either
  release();
  await button.click(); // Playwright waits until it is enabled
  await page.getByText("Signed in as alice").waitFor();
  assert.ok(!page.url().includes("password"), page.url());
});

test("errors are said plainly, with what to do", async () => {
  await reset(DEMO_URL);
  const page = await (await browser.newContext()).newPage();
  await page.goto(DEMO_URL);
  await page.getByLabel("Password").fill("nope");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Wrong user name or password. The demo user is alice / wonderland.").waitFor();
});
