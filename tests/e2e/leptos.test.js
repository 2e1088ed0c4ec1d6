// examples/leptos-app: the Rust driver and its Leptos integration in a real app, and a Rust tab
// beside a JavaScript tab of the same origin sharing one rotating refresh cookie.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_URL, launch, reset, stats, control } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const state = (page) => page.locator("#state").textContent();

async function openApp(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  await page.goto(EXAMPLE_URL);
  return page;
}

async function signIn(page) {
  await page.getByText("signed out").waitFor();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("signed in as alice").waitFor();
}

test("the Leptos example: initializing, signed out, sign in, GET /api/me, the timeline, reload restores", async () => {
  // A slow refresh keeps restore() pending long enough to see the state before it answers.
  await reset(EXAMPLE_URL, { refresh_delay_ms: 1500 });
  const context = await browser.newContext();
  const page = await openApp(context);
  await page.locator("#state").waitFor();
  assert.equal(await state(page), "initializing");
  // Neither the form nor the signed-in buttons while initializing.
  assert.equal(await page.locator("form, #call").count(), 0);
  await signIn(page);
  assert.match(await state(page), /^signed in as alice until \d{10}$/);

  await page.getByRole("button", { name: "GET /api/me" }).click();
  await page.locator("#me", { hasText: "alice" }).waitFor();
  assert.equal(JSON.parse(await page.locator("#me").textContent()).sub, "alice");
  assert.match(await page.locator("#timeline").textContent(), /token, jti/);

  // A reload: memory is gone, the cookie restores the session.
  const before = await stats(EXAMPLE_URL);
  await page.reload();
  await page.locator("#state").waitFor();
  assert.equal(await state(page), "initializing");
  await page.getByText("signed in as alice").waitFor();
  const after = await stats(EXAMPLE_URL);
  assert.equal(after.refreshes - before.refreshes, 1);
  assert.match(await page.locator("#timeline").textContent(), /refresh \(restore\)/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("signed out").waitFor();
  assert.match(await page.locator("#timeline").textContent(), /logout \(user\)/);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("the Leptos example's API result survives a refresh and a 401's refresh and retry (views switch on the phase)", async () => {
  await reset(EXAMPLE_URL);
  const context = await browser.newContext();
  const page = await openApp(context);
  await signIn(page);
  const me = page.locator("#me");
  await page.getByRole("button", { name: "GET /api/me" }).click();
  await page.locator("#me", { hasText: "alice" }).waitFor();
  const shown = await me.textContent();

  // A refresh: a new token, new claims; the signed-in view and what it shows stay.
  const jti = async () => JSON.parse(await me.textContent()).jti;
  await page.getByRole("button", { name: "Refresh now" }).click();
  await page.locator("#timeline li", { hasText: "refresh (manual)" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("#timeline li").length >= 4);
  assert.equal((await stats(EXAMPLE_URL)).refreshes, 1);
  assert.equal(await me.textContent(), shown, "the refresh blanked the API result");

  // A 401: the call refreshes and retries; its answer (the new token's) is shown, and stays.
  await control(EXAMPLE_URL, "/__mock/config", { revoke_access_tokens: true });
  await page.getByRole("button", { name: "GET /api/me" }).click();
  await page.locator("#timeline li", { hasText: "refresh (unauthorized)" }).waitFor();
  await page.waitForFunction((old) => {
    const text = document.querySelector("#me")?.textContent ?? "";
    return text.includes("alice") && text !== old;
  }, shown);
  const s = await stats(EXAMPLE_URL);
  assert.equal(s.api_unauthorized, 1);
  assert.equal(s.refreshes, 2);
  assert.notEqual(await jti(), JSON.parse(shown).jti, "the retry went with the new token");
  await page.waitForTimeout(200);
  assert.match(await me.textContent(), /alice/, "the token event after the retry blanked it");
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("a listener the signed-in view subscribes with auth.subscribe lives as long as the view", async () => {
  await reset(EXAMPLE_URL);
  const context = await browser.newContext();
  const page = await openApp(context);
  await signIn(page);
  const heard = async () => Number((await page.locator("#heard").textContent()).match(/\d+$/)[0]);
  const refreshed = async (times) => {
    await page.getByRole("button", { name: "Refresh now" }).click();
    await page.waitForFunction((n) => [...document.querySelectorAll("#timeline li")]
      .filter((li) => li.textContent.includes("refresh (manual)")).length === n, times);
  };
  const first = await heard();
  await refreshed(1);
  await page.waitForFunction((n) => document.querySelector("#heard").textContent.endsWith(` ${n}`), first + 2);
  // Signed out, the view is gone and its listener with it; signed in again, one new listener.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("signed out").waitFor();
  const afterLogout = await heard();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("signed in as alice").waitFor();
  const mounted = await heard();
  assert.equal(mounted, afterLogout, "a listener heard the sign-in while no signed-in view was mounted");
  await refreshed(2);
  await page.waitForTimeout(300);
  assert.equal(await heard(), mounted + 2, "one listener: the refresh and its token, once each");
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("restore fails: the example shows the failure and the sign-in form, and signing in works", async () => {
  await reset(EXAMPLE_URL);
  const context = await browser.newContext();
  const page = await openApp(context);
  await signIn(page);
  // The session exists, but at the reload every refresh (and its retries) answers 503.
  await reset(EXAMPLE_URL, { fail_next_refreshes: 20, fail_status: 503 });
  await page.reload();
  await page.getByText(/^failed: /).waitFor();
  const failed = await state(page);
  assert.equal(failed, "failed: http");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("signed in as alice").waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("a Rust tab and a JavaScript tab share one rotating refresh cookie: no reuse detection", async () => {
  // A refresh takes 300 ms at the server: two tabs that did not take turns would both present
  // the cookie while the first is still rotating it (checked: a JS tab with crossTab off does).
  await reset(EXAMPLE_URL, { access_ttl_ms: 3000, reuse_grace_ms: 0, refresh_delay_ms: 300 });
  const context = await browser.newContext();
  const rust = await openApp(context);
  await signIn(rust);

  // The npm package in a second tab of the same origin, restoring from the same cookie.
  const js = await context.newPage();
  js.problems = [];
  js.on("pageerror", (e) => js.problems.push(e.message));
  await js.goto(EXAMPLE_URL + "/js.html");
  await js.waitForFunction(() => window.loaded);
  const restored = await js.evaluate(async () => {
    await init();
    window.keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
    window.events = [];
    for (const name of ["token", "refresh", "logout", "error"]) keeper.on(name, () => events.push(name));
    return keeper.restore();
  });
  assert.equal(restored, true);
  const start = await stats(EXAMPLE_URL);

  // 12 s of 3 s tokens, calls from both tabs, and five forced refreshes started in both tabs at
  // the same moment: each time two keepers want to present the one cookie.
  const seconds = 12;
  const jsCalls = js.evaluate(async (seconds) => {
    const seen = {};
    for (const end = Date.now() + seconds * 1000; Date.now() < end;) {
      const response = await keeper.fetch("/api/me");
      seen[response.status] = (seen[response.status] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 250));
    }
    return seen;
  }, seconds);
  const rustCalls = rust.evaluate(async (seconds) => {
    for (const end = Date.now() + seconds * 1000; Date.now() < end;) {
      // Gone if the tab was signed out: the assertions below then say why.
      document.querySelector("#call")?.click();
      await new Promise((r) => setTimeout(r, 300));
    }
  }, seconds);
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 2000));
    await Promise.all([
      rust.getByRole("button", { name: "Refresh now" }).click(),
      js.evaluate(() => keeper.refresh()),
    ]);
  }
  const [jsSeen] = await Promise.all([jsCalls, rustCalls]);
  const end = await stats(EXAMPLE_URL);
  const s = Object.fromEntries(Object.entries(end).map(([k, v]) => [k, v - start[k]]));
  const rustTimeline = await rust.locator("#timeline").textContent();
  const jsEvents = await js.evaluate(() => events);
  console.log(`rust + js tabs, ${seconds} s of 3 s tokens, 5 forced refreshes in both at once: ` +
    `${s.refreshes} refreshes, ${s.reuse_detections} reuse detections, ${s.refresh_rejections} ` +
    `rejections, ${s.api_ok} API 200s, ${s.api_unauthorized} API 401s; js statuses ${JSON.stringify(jsSeen)}`);
  assert.equal(s.reuse_detections, 0);
  assert.equal(s.refresh_rejections, 0);
  assert.ok(s.refreshes >= 5, `${s.refreshes} refreshes`);
  assert.deepEqual(Object.keys(jsSeen), ["200"]);
  // Both drivers refreshed (a refresh event is a tab starting one) and took tokens.
  assert.match(rustTimeline, /refresh \(manual\)/);
  assert.ok(jsEvents.includes("refresh") && jsEvents.includes("token"), JSON.stringify(jsEvents));
  assert.ok(!jsEvents.includes("logout") && !/logout/.test(rustTimeline));
  // Still one session in both tabs.
  assert.match(await state(rust), /^signed in as alice/);
  assert.equal(await js.evaluate(() => keeper.isAuthenticated), true);
  await rust.getByRole("button", { name: "GET /api/me" }).click();
  await rust.locator("#me", { hasText: "alice" }).waitFor();
  assert.deepEqual([...rust.problems, ...js.problems], []);
  await context.close();
});
