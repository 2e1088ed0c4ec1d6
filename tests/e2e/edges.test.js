// Where the keeper meets other apps of the origin and the servers' answers, in Chromium against
// the mock servers: two backends' keepers on one page, a second CSRF cookie, and a 401 that does
// not blame the token. PAGE_URL and FOREIGN_URL are two mock servers (two backends, one host:
// their cookies share the jar, as a sibling app's do).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE_URL, FOREIGN_URL, launch, reset, control, stats } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(context, path = "/") {
  const page = await (context ?? await browser.newContext()).newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(PAGE_URL + path);
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  page.problems = problems;
  return page;
}

/** Makes `window[name]`, a keeper of the backend at `base`, recording its events. */
function keeperOf(page, name, base, options = {}) {
  return page.evaluate(([name, base, options]) => {
    const keeper = new TokenKeeper({
      refreshUrl: base + "/auth/refresh", loginUrl: base + "/auth/login", logoutUrl: base + "/auth/logout",
      allowedOrigins: [base], ...options,
    });
    keeper.events = [];
    for (const event of ["token", "refresh", "logout", "error"]) {
      keeper.on(event, (detail) => keeper.events.push([event, event === "error" ? detail.code : detail.trigger ?? detail.reason ?? detail.claims.sub]));
    }
    window[name] = keeper;
  }, [name, base, options]);
}

const login = (page, name) =>
  page.evaluate((name) => window[name].login({ username: "alice", password: "wonderland" }).then((c) => c.sub), name);

for (const [label, options] of [["by default", {}], ["with one channelName set for both", { channelName: "shared" }]]) {
  test(`keepers of two backends on one page keep their sessions apart (${label})`, async () => {
    await reset(PAGE_URL);
    await reset(FOREIGN_URL);
    const page = await open();
    await keeperOf(page, "a", PAGE_URL, options);
    await keeperOf(page, "b", FOREIGN_URL, options);
    assert.equal(await login(page, "b"), "alice");
    // Whatever b announced has had time to arrive.
    await page.waitForTimeout(300);
    const before = await stats(PAGE_URL);
    // a asks its own backend, which has no session: signed out, not b's token.
    assert.equal(await page.evaluate(() => a.restore()), false);
    assert.equal(await page.evaluate(() => a.isAuthenticated), false);
    const after = await stats(PAGE_URL);
    const asked = (s) => s.refresh_rejections + s.csrf_rejections + s.refreshes;
    assert.equal(asked(after) - asked(before), 1, "a's restore() went to a's backend");
    // a signs in and out of its own backend: b's session goes on.
    assert.equal(await login(page, "a"), "alice");
    await page.evaluate(() => a.logout());
    await page.waitForTimeout(300);
    const b = await page.evaluate(async (base) => [b.isAuthenticated, (await b.fetch(base + "/api/me")).status, b.events.filter(([e]) => e === "logout")], FOREIGN_URL);
    assert.deepEqual(b, [true, 200, []]);
    assert.equal((await stats(FOREIGN_URL)).api_ok, 1);
    assert.deepEqual(page.problems, []);
  });
}

test("of two CSRF cookies the page can read, the keeper sends the one its login bound", async () => {
  await reset(PAGE_URL);
  // The page at /index.html: a cookie of that path is listed before the server's (Path=/), as a
  // sibling subdomain's `Domain=.example.com` cookie or another app's would be.
  const page = await open(undefined, "/index.html");
  await keeperOf(page, "k", PAGE_URL);
  await login(page, "k");
  await page.evaluate(() => { document.cookie = "csrf_token=sibling-app; path=/index.html"; });
  assert.match(await page.evaluate(() => document.cookie), /^csrf_token=sibling-app; /);
  await page.evaluate(() => k.refresh());
  const s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 1);
  assert.equal(s.csrf_rejections, 0);
  assert.deepEqual(await page.evaluate(() => [k.isAuthenticated, k.events.filter(([e]) => e === "logout")]), [true, []]);
});

test("a page with a cookie jar of hundreds of kilobytes: the CSRF header is read from it, and the keeper goes on", async () => {
  await reset(PAGE_URL);
  const page = await open(undefined, "/index.html");
  await keeperOf(page, "k", PAGE_URL);
  await login(page, "k");
  // 100 cookies of almost 4 KB the page reads but the auth routes never get (their path is the
  // page's): written into the wasm as the refresh leaves, they make its memory grow there.
  const size = await page.evaluate(() => {
    for (let i = 0; i < 100; i++) document.cookie = `big${i}=${"x".repeat(3900)}; path=/index.html`;
    return document.cookie.length;
  });
  assert.ok(size > 350_000, `${size} characters of cookies`);
  await page.evaluate(() => k.refresh());
  await page.evaluate(() => k.refresh());
  const s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 2);
  assert.equal(s.csrf_rejections, 0, "the CSRF cookie found among them");
  assert.deepEqual(await page.evaluate(() => [k.isAuthenticated, k.events.filter(([e]) => e === "error")]), [true, []]);
  assert.deepEqual(page.problems, []);
});

test("a refused CSRF header is that call's error: no tab is signed out", async () => {
  await reset(PAGE_URL);
  const context = await browser.newContext();
  const page = await open(context);
  const other = await open(context);
  await keeperOf(page, "k", PAGE_URL);
  await keeperOf(other, "k", PAGE_URL);
  await login(page, "k");
  await other.waitForFunction(() => k.isAuthenticated);
  // The only readable value is wrong (another app overwrote it): the server answers 403.
  await page.evaluate(() => { document.cookie = "csrf_token=overwritten; path=/"; });
  const refused = await page.evaluate(() => k.refresh().then(() => "resolved", (e) => `${e.name} ${e.code} ${e.status}`));
  assert.equal(refused, "TokenKeeperError csrf 403");
  await page.waitForTimeout(300);
  assert.equal((await stats(PAGE_URL)).csrf_rejections, 1);
  for (const tab of [page, other]) {
    const [signedIn, events] = await tab.evaluate(() => [k.isAuthenticated, k.events]);
    assert.equal(signedIn, true);
    assert.deepEqual(events.filter(([e]) => e === "logout"), []);
  }
  assert.deepEqual(
    (await page.evaluate(() => k.events)).filter(([e]) => e === "error"),
    [["error", "csrf"]],
  );
});

test("a 401 whose challenge says the token is fine goes to the caller: no refresh, no replay", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await keeperOf(page, "k", PAGE_URL);
  await login(page, "k");
  const [status, challenge] = await page.evaluate(async (base) => {
    const response = await k.fetch(base + "/api/admin");
    return [response.status, response.headers.get("www-authenticate")];
  }, PAGE_URL);
  assert.equal(status, 401);
  assert.match(challenge, /insufficient_user_authentication/);
  let s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 0, "no rotation for a token that is fine");
  assert.equal(s.authorized_requests, 1, "no replay");
  // A 401 that blames the token is still refreshed and retried once.
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
  assert.equal(await page.evaluate((base) => k.fetch(base + "/api/me").then((r) => r.status), PAGE_URL), 200);
  s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 1);
  assert.equal(s.authorized_requests, 3);
});

test("sign in, change your mind, sign out: the login on the wire leaves no session behind", async () => {
  // The login is answered 1.5 s late: the logout is called while it is on the wire (after the
  // login took the refresh lock and left: a login still waiting for the lock is never sent).
  await reset(PAGE_URL, { login_delay_ms: 1500 });
  const context = await browser.newContext();
  const page = await open(context);
  await keeperOf(page, "k", PAGE_URL);
  const outcome = await page.evaluate(async () => {
    const login = k.login({ username: "alice", password: "wonderland" }).then(() => "signed in", (e) => e.code);
    await new Promise((r) => setTimeout(r, 250));
    await k.logout();
    return [await login, k.isAuthenticated];
  });
  assert.deepEqual(outcome, ["aborted", false]);
  // The next page load (a shared computer's next user) finds no session to restore.
  await page.reload();
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  await keeperOf(page, "k", PAGE_URL);
  assert.equal(await page.evaluate(() => k.restore()), false);
  const s = await stats(PAGE_URL);
  assert.equal(s.logins, 1);
  assert.equal(s.refreshes, 0);
});

test("a server that answers Retry-After: 300 is not asked again while the app polls a valid token", async () => {
  // 10 s tokens refreshed 9 s early: due a second after the login.
  await reset(PAGE_URL, { access_ttl_ms: 10_000 });
  const page = await open();
  await keeperOf(page, "k", PAGE_URL, { refreshLeadRatio: 0.9 });
  await login(page, "k");
  await control(PAGE_URL, "/__mock/config", { fail_next_refreshes: 100, fail_status: 429, retry_after_s: 300 });
  const statuses = await page.evaluate(async () => {
    await new Promise((r) => setTimeout(r, 1_500)); // the scheduled refresh met the 429
    const seen = [];
    const end = Date.now() + 2_300;
    while (Date.now() < end) {
      seen.push((await k.fetch("/api/me")).status);
      await new Promise((r) => setTimeout(r, 200));
    }
    return seen;
  });
  // At least a few requests in the 2.3 s (each 200 ms apart; fewer on a loaded machine).
  assert.ok(statuses.length >= 4 && statuses.every((s) => s === 200), JSON.stringify(statuses));
  const left = (await control(PAGE_URL, "/__mock/config", {})).fail_next_refreshes;
  assert.equal(100 - left, 1, "one refresh call: the scheduled one the server asked to wait");
  const events = await page.evaluate(() => k.events.filter(([e]) => e !== "token"));
  assert.deepEqual(events, [["refresh", "schedule"], ["error", "http"]]);
});

test("a login while signed in carries the CSRF header, as Django's CSRF asks of every POST", async () => {
  // The mock server as Django + dj-rest-auth: a sign-in sent with the CSRF cookie needs the
  // header equal to it. A first login has no cookie yet, and goes without.
  await reset(PAGE_URL, { csrf_on_login: true });
  const page = await open();
  await keeperOf(page, "k", PAGE_URL);
  await login(page, "k");
  assert.match(await page.evaluate(() => document.cookie), /csrf_token=/);
  // Signed in, signing in again (another account, a step-up): refused 403 before.
  const again = await page.evaluate(() =>
    k.login({ username: "alice", password: "wonderland" }).then((c) => c.sub, (e) => `${e.code} ${e.status}`));
  assert.equal(again, "alice");
  const s = await stats(PAGE_URL);
  assert.equal(s.logins, 2);
  assert.equal(s.csrf_rejections, 0);
});

test("a session endpoint that answers null without a session: restore() resolves false, no error", async () => {
  // The shape of better-auth's session endpoint (and of Supabase's and Clerk's getToken).
  await reset(PAGE_URL, { null_without_session: true });
  const page = await open();
  await keeperOf(page, "k", PAGE_URL);
  const restored = await page.evaluate(() => k.restore().then((r) => r, (e) => `${e.code}: ${e.message}`));
  assert.equal(restored, false);
  // The refresh it tried, and nothing after: no error, no sign-out.
  assert.deepEqual(await page.evaluate(() => k.events), [["refresh", "restore"]]);
});

test("refreshMethod GET: a token endpoint that takes only GET refreshes; POST would be refused", async () => {
  await reset(PAGE_URL, { refresh_get: true });
  const page = await open();
  await keeperOf(page, "k", PAGE_URL, { refreshMethod: "GET", channelName: "get" });
  await keeperOf(page, "posting", PAGE_URL, { channelName: "post" });
  await login(page, "k");
  assert.equal(await page.evaluate(() => k.refresh().then(() => "ok", (e) => e.code)), "ok");
  assert.equal((await stats(PAGE_URL)).refreshes, 1);
  // The default method meets the endpoint's 405.
  const posted = await page.evaluate(() => posting.restore().then((r) => `restored ${r}`, (e) => e.status));
  assert.equal(posted, 405);
});

test("an abort while a request waits for its 401's refresh rejects at once, as window.fetch does, and the keeper goes on", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await keeperOf(page, "k", PAGE_URL);
  const outcome = await page.evaluate(async (base) => {
    await k.login({ username: "alice", password: "wonderland" });
    await fetch(base + "/__mock/config", { method: "POST", headers: { "content-type": "application/json" }, body: '{"revoke_access_tokens":true,"refresh_delay_ms":3000}' });
    const controller = new AbortController();
    const started = performance.now();
    const aborted = k.fetch(base + "/api/me", { signal: controller.signal }).then(() => "answered", (e) => e.name);
    setTimeout(() => controller.abort(), 200);
    const name = await aborted;
    const took = performance.now() - started;
    // The refresh it waited for still lands, and the next request uses its token.
    const next = (await k.fetch(base + "/api/me")).status;
    return [name, took < 2000, next];
  }, PAGE_URL);
  assert.deepEqual(outcome, ["AbortError", true, 200]);
  const s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 1);
  assert.equal(s.authorized_requests, 3, "the aborted request was not sent again");
  assert.deepEqual(page.problems, []);
});
