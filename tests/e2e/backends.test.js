// Backends configured by options alone, in Chromium: a session-cookie backend that mints short
// JWTs from a GET token endpoint (the mock server's `--session-tokens`, the shape of better-auth's
// JWT plugin and of Supabase's and Clerk's `getToken`), with and without DPoP. The options are
// the "Backends" object of docs/frameworks.md for this server, word for word.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SESSION_URL, SESSION_DPOP_URL, launch, reset, control, stats } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(base, context) {
  const page = await (context ?? await browser.newContext()).newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  await page.goto(base + "/");
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  return page;
}

/** `window.keeper` with docs/frameworks.md's options for `--session-tokens` (and `dpop`), its events kept. */
function makeKeeper(page, extra = {}) {
  return page.evaluate((extra) => {
    const keeper = new TokenKeeper({
      refreshUrl: "/auth/refresh",
      refreshMethod: "GET",
      tokenField: "token",
      refreshAfterLogin: true,
      loginUrl: "/auth/login",
      logoutUrl: "/auth/logout",
      csrf: false,
      ...extra,
    });
    keeper.events = [];
    keeper.on("refresh", (d) => keeper.events.push(`refresh ${d.trigger}`));
    keeper.on("logout", (d) => keeper.events.push(`logout ${d.reason}`));
    keeper.on("error", (e) => keeper.events.push(`error ${e.code}`));
    window.keeper = keeper;
  }, extra);
}

const signIn = (page) =>
  page.evaluate(() => keeper.login({ username: "alice", password: "wonderland" }).then((c) => c.sub, (e) => `${e.code} ${e.message}`));
const me = (page) =>
  page.evaluate(() => keeper.fetch("/api/me").then(async (r) => `${r.status} ${(await r.json()).sub}`));

for (const [name, base, extra] of [["Bearer", () => SESSION_URL, {}], ["DPoP", () => SESSION_DPOP_URL, { dpop: true }]]) {
  test(`a session-cookie backend (${name}): login without a token, then a GET mints it; 401 → one refresh; reload restores; logout ends it`, async () => {
    await reset(base());
    const context = await browser.newContext();
    const page = await open(base(), context);
    await makeKeeper(page, extra);
    assert.equal(await page.evaluate(() => keeper.restore()), false, "no session yet");
    assert.equal(await signIn(page), "alice");
    let s = await stats(base());
    assert.equal(s.logins, 1);
    assert.equal(s.refreshes, 1, "the login's one GET of the token endpoint");
    assert.deepEqual(await page.evaluate(() => keeper.events), ["refresh restore", "refresh login"]);
    assert.equal(await me(page), "200 alice");
    if (extra.dpop) {
      assert.equal(s.dpop_rejections, 0, "every proof, the GET refresh's included, passed");
    }

    await control(base(), "/__mock/config", { revoke_access_tokens: true });
    assert.equal(await me(page), "200 alice");
    s = await stats(base());
    assert.equal(s.api_unauthorized, 1);
    assert.equal(s.refreshes, 2, "one refresh for the 401");

    // A reload: the session cookie is still there (it never rotates), restore mints a token.
    await page.reload();
    await page.waitForFunction(() => window.loaded);
    await page.evaluate(() => window.init());
    await makeKeeper(page, extra);
    assert.equal(await page.evaluate(() => keeper.restore()), true);
    assert.equal(await me(page), "200 alice");
    assert.equal((await stats(base())).refreshes, 3);

    await page.evaluate(() => keeper.logout());
    assert.equal(await page.evaluate(() => keeper.isAuthenticated), false);
    await makeKeeper(page, extra);
    assert.equal(await page.evaluate(() => keeper.restore()), false, "the session ended on the server");
    assert.equal((await stats(base())).csrf_rejections, 0);
    assert.deepEqual(page.problems, []);
    await context.close();
  });
}

test("refreshAfterLogin: wrong credentials reject the login with its own 401, and no refresh follows", async () => {
  await reset(SESSION_URL);
  const page = await open(SESSION_URL);
  await makeKeeper(page);
  const refused = await page.evaluate(() =>
    keeper.login({ username: "alice", password: "nope" }).then(() => "signed in", (e) => `${e.code} ${e.status}`));
  assert.equal(refused, "http 401");
  const s = await stats(SESSION_URL);
  assert.equal(s.refreshes + s.refresh_rejections, 0, "no call to the token endpoint");
  assert.deepEqual(await page.evaluate(() => keeper.events), []);
});
