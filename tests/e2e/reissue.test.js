// The reissue flow through the JavaScript driver, in Chromium, against a mock server started with
// `--bind-refresh-to-user --token-in-header` (REISSUE_URL): the refresh call carries the last
// access token (`sendAccessTokenOnRefresh`), and tokens come in an `Authorization` response
// header instead of the JSON body (`tokenHeader`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { REISSUE_URL, launch, reset, stats } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open() {
  const page = await (await browser.newContext()).newPage();
  await page.goto(REISSUE_URL);
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  return page;
}

/** Runs `steps` in the page with a keeper made of `options` (added to the server's URLs). */
function withKeeper(page, options, steps) {
  return page.evaluate(async ([options, steps]) => {
    const keeper = new TokenKeeper({
      refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", ...options,
    });
    const outcome = (promise) => promise.then((v) => ["ok", v?.sub ?? v ?? null], (e) => ["error", e.code]);
    const seen = [];
    for (const step of steps) {
      if (step === "login") seen.push(await outcome(keeper.login({ username: "alice", password: "wonderland" })));
      if (step === "refresh") seen.push(await outcome(keeper.refresh()));
      if (step === "me") seen.push(["status", (await keeper.fetch("/api/me")).status]);
      if (step === "signed in") seen.push(["signed in", keeper.isAuthenticated]);
    }
    keeper.dispose();
    return seen;
  }, [options, steps]);
}

test("tokenHeader takes the token from the answer's Authorization header, and without it the login fails clearly", async () => {
  await reset(REISSUE_URL);
  const page = await open();
  assert.deepEqual(
    await withKeeper(page, { tokenHeader: "Authorization" }, ["login", "me"]),
    [["ok", "alice"], ["status", 200]],
  );
  assert.deepEqual(
    await withKeeper(page, {}, ["login", "signed in"]),
    [["error", "invalid_token"], ["signed in", false]],
  );
  assert.equal((await stats(REISSUE_URL)).api_ok, 1);
});

test("sendAccessTokenOnRefresh lets a server that binds the refresh to the user rotate; without it the refresh is refused", async () => {
  await reset(REISSUE_URL);
  const page = await open();
  assert.deepEqual(
    await withKeeper(page, { tokenHeader: "Authorization", sendAccessTokenOnRefresh: true }, ["login", "refresh", "me"]),
    [["ok", "alice"], ["ok", null], ["status", 200]],
  );
  let s = await stats(REISSUE_URL);
  assert.equal(s.refreshes, 1);
  assert.deepEqual(
    await withKeeper(page, { tokenHeader: "Authorization" }, ["login", "refresh", "signed in"]),
    [["ok", "alice"], ["error", "rejected"], ["signed in", false]],
  );
  s = await stats(REISSUE_URL);
  assert.deepEqual([s.refreshes, s.refresh_rejections], [1, 1]);
});
