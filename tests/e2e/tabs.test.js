// Several tabs of one browser context (one cookie jar, one rotating refresh cookie) against the
// mock server with no reuse grace: any two refreshes presenting the same cookie would be theft.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEMO_URL, launch, reset, stats } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openTabs(context, count) {
  const pages = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    await page.goto(DEMO_URL);
    await page.waitForFunction(() => window.tokenKeeper !== undefined);
    pages.push(page);
  }
  return pages;
}

const signedIn = (page) => page.evaluate(() => window.tokenKeeper.isAuthenticated);

async function signIn(page) {
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in as alice").waitFor();
}

test("3 tabs, 3 s tokens, 30 s of calls: no reuse, no 401, about one refresh per lifetime", async () => {
  await reset(DEMO_URL, { access_ttl_ms: 3000, reuse_grace_ms: 0 });
  const context = await browser.newContext();
  const tabs = await openTabs(context, 3);
  await signIn(tabs[0]);
  // The other tabs hear of the login and hold the same token.
  for (const tab of tabs.slice(1)) await tab.waitForFunction(() => window.tokenKeeper.isAuthenticated);
  // Count from here: each tab's restore() at page load found no session (3 rejections).
  const start = await stats(DEMO_URL);

  const seconds = 30;
  const statuses = await Promise.all(tabs.map((tab) => tab.evaluate(async (seconds) => {
    const seen = {};
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const response = await window.tokenKeeper.fetch("/api/me");
      seen[response.status] = (seen[response.status] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 200));
    }
    return seen;
  }, seconds)));
  const end = await stats(DEMO_URL);
  const s = Object.fromEntries(Object.entries(end).map(([k, v]) => [k, v - start[k]]));
  const calls = statuses.reduce((n, seen) => n + Object.values(seen).reduce((a, b) => a + b, 0), 0);
  const perLifetime = s.refreshes / (seconds / 3);
  console.log(`tabs: 3, calls: ${calls}, statuses seen by the app: ${JSON.stringify(statuses)}, ` +
    `server: ${s.refreshes} refreshes in ${seconds} s (${perLifetime.toFixed(2)} per 3 s token lifetime), ` +
    `${s.reuse_detections} reuse detections, ${s.api_unauthorized} API 401s`);
  assert.equal(s.reuse_detections, 0);
  assert.equal(s.refresh_rejections, 0);
  assert.equal(s.api_unauthorized, 0);
  for (const seen of statuses) assert.deepEqual(Object.keys(seen), ["200"]);
  // A 3 s token refreshes after ~2.25 s: ~1.33 per lifetime for the whole browser. One per tab
  // would be ~4.
  assert.ok(perLifetime < 2, `${perLifetime} refreshes per token lifetime`);
  await context.close();
});

// Tabs whose keeper exists when the first refresh is broadcast adopt its token; a tab that loads
// after it refreshes on its own, one at a time under the lock. Never a reuse, never a rejection.
test("tabs loading at once restore without racing the rotating cookie", async () => {
  await reset(DEMO_URL, { reuse_grace_ms: 0 });
  const context = await browser.newContext();
  const [first] = await openTabs(context, 1);
  await signIn(first);
  const start = await stats(DEMO_URL);
  // Three more tabs load at the same moment: each restore() wants the rotating cookie.
  const tabs = await Promise.all([0, 1, 2].map(async () => {
    const page = await context.newPage();
    await page.goto(DEMO_URL);
    return page;
  }));
  for (const tab of tabs) await tab.waitForFunction(() => window.tokenKeeper?.isAuthenticated);
  const s = await stats(DEMO_URL);
  console.log(`3 tabs restored with ${s.refreshes - start.refreshes} refresh(es), ` +
    `${s.reuse_detections} reuse detections, ${s.refresh_rejections - start.refresh_rejections} rejections`);
  assert.equal(s.reuse_detections, 0);
  assert.equal(s.refresh_rejections, start.refresh_rejections);
  assert.ok(s.refreshes - start.refreshes <= 3, `${s.refreshes - start.refreshes} refreshes`);
  // Every tab ends up holding the same token, and it works.
  let tokens;
  for (const deadline = Date.now() + 2000; Date.now() < deadline;) {
    tokens = new Set(await Promise.all([first, ...tabs].map((t) => t.evaluate(() => window.tokenKeeper.accessToken()))));
    if (tokens.size === 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(tokens.size, 1, "the tabs converged on one token");
  const status = await tabs[2].evaluate(async () => (await window.tokenKeeper.fetch("/api/me")).status);
  assert.equal(status, 200);
  await context.close();
});

test("signing out in one tab signs every tab out within a second", async () => {
  await reset(DEMO_URL);
  const context = await browser.newContext();
  const tabs = await openTabs(context, 3);
  await signIn(tabs[0]);
  for (const tab of tabs.slice(1)) await tab.waitForFunction(() => window.tokenKeeper.isAuthenticated);

  const started = Date.now();
  await tabs[1].getByRole("button", { name: "Sign out" }).click();
  // The tab signs out when the server answered its logout call (a loaded machine's debug-built
  // server may take a while); the others within a second of that.
  await tabs[1].waitForFunction(() => !window.tokenKeeper.isAuthenticated);
  const out = Date.now();
  for (const tab of [tabs[0], tabs[2]]) {
    await tab.waitForFunction(() => !window.tokenKeeper.isAuthenticated, null, { timeout: 1000 });
  }
  console.log(`every tab signed out ${Date.now() - out} ms after the first (${out - started} ms after the click)`);
  const before = await stats(DEMO_URL);
  const status = await tabs[2].evaluate(async () => (await window.tokenKeeper.fetch("/api/me")).status);
  assert.equal(status, 401);
  const afterCall = await stats(DEMO_URL);
  assert.equal(afterCall.authorized_requests, before.authorized_requests, "the call carried no token");
  assert.equal(afterCall.refreshes, before.refreshes);
  await tabs[0].getByText("signed out (tab)").first().waitFor();
  await context.close();
});

test("tab messages are the documented structure: what a tab posts, and what it hears", async () => {
  await reset(DEMO_URL);
  const context = await browser.newContext();
  const [a, b] = await openTabs(context, 2);
  // A script of tab b listens on the channel, as any script of the origin can.
  await b.evaluate(() => {
    window.session = new URL("/auth/refresh", location.href).href;
    window.channel = new BroadcastChannel("token-keeper:" + window.session);
    window.heard = [];
    window.channel.onmessage = ({ data }) => window.heard.push(data);
  });
  await signIn(a);
  await b.waitForFunction(() => window.heard.some((m) => m.type == "token"));
  const message = await b.evaluate(() => window.heard.find((m) => m.type == "token"));
  assert.deepEqual(Object.keys(message).sort(), ["at", "lifetime", "session", "token", "type", "v"]);
  assert.equal(message.v, 1);
  assert.equal(message.session, await b.evaluate(() => window.session));
  assert.ok(message.token.split(".").length == 3 && Number.isInteger(message.at) && message.lifetime > 0);
  await b.waitForFunction(() => window.tokenKeeper.isAuthenticated);

  // Tab a hears a sign-out posted in that structure — not one of another version or session.
  const hear = (m) => b.evaluate(async (m) => {
    const message = typeof m == "string" ? m : { session: window.session, at: Date.now(), ...m };
    window.channel.postMessage(message);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }, m);
  await hear({ v: 2, type: "logout" });
  await hear({ v: 1, type: "logout", session: "https://other.example/auth/refresh" });
  await hear({ v: 1, type: "logout", at: "now" });
  await hear(JSON.stringify({ type: "logout" })); // an older release's JSON text
  assert.equal(await a.evaluate(() => window.tokenKeeper.isAuthenticated), true);
  await hear({ v: 1, type: "logout" });
  await a.waitForFunction(() => !window.tokenKeeper.isAuthenticated, null, { timeout: 1000 });
  await a.getByText("signed out (tab)").first().waitFor();
  await context.close();
});

// Chrome DevTools' Page.setWebLifecycleState "frozen" has no effect in this headless Chromium
// (timers keep running, no freeze event: checked), so the tab is frozen the other way DevTools
// can: its JavaScript thread is paused, timers included, as in a frozen or sleeping tab.
test("a tab frozen past its token's expiry refreshes before its first request", async () => {
  await reset(DEMO_URL, { access_ttl_ms: 3000 });
  const context = await browser.newContext();
  const [tab] = await openTabs(context, 1);
  await signIn(tab);
  const start = await stats(DEMO_URL);
  const cdp = await context.newCDPSession(tab);
  await cdp.send("Debugger.enable");
  await cdp.send("Debugger.pause");
  await new Promise((r) => setTimeout(r, 4500)); // past the 3 s expiry, nothing runs
  const frozen = await stats(DEMO_URL);
  await cdp.send("Debugger.resume");
  await cdp.send("Debugger.disable");
  const status = await tab.evaluate(async () => (await window.tokenKeeper.fetch("/api/me")).status);
  assert.equal(status, 200);
  const s = await stats(DEMO_URL);
  console.log(`refreshes while frozen: ${frozen.refreshes - start.refreshes}, ` +
    `after waking: ${s.refreshes - frozen.refreshes}, API 401s: ${s.api_unauthorized}`);
  assert.equal(frozen.refreshes, start.refreshes, "nothing ran while frozen");
  assert.equal(s.api_unauthorized, 0, "the first request after waking carried a fresh token");
  assert.ok(s.refreshes > frozen.refreshes);
  await context.close();
});

test("a tab that dies holding the lock does not stop the others from refreshing", async () => {
  await reset(DEMO_URL);
  const context = await browser.newContext();
  const [dying, survivor] = await openTabs(context, 2);
  await signIn(dying);
  await survivor.waitForFunction(() => window.tokenKeeper.isAuthenticated);
  await fetch(`${DEMO_URL}/__mock/config`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh_delay_ms: 2000 }),
  });
  // The dying tab takes the lock and sends a refresh the server sits on; then the tab closes.
  await dying.evaluate(() => { window.tokenKeeper.refresh(); });
  await new Promise((r) => setTimeout(r, 300));
  await dying.close();
  const started = Date.now();
  const outcome = await survivor.evaluate(() =>
    window.tokenKeeper.refresh().then(() => "ok", (e) => `${e.code}: ${e.message}`));
  const took = Date.now() - started;
  const s = await stats(DEMO_URL);
  console.log(`survivor refreshed in ${took} ms: ${outcome}; server: ${s.refreshes} refreshes, ${s.reuse_detections} reuse detections`);
  assert.equal(outcome, "ok");
  assert.equal(s.reuse_detections, 0);
  assert.ok(await signedIn(survivor));
  assert.ok(took < 9000, `the survivor waited ${took} ms`);
  await context.close();
});
