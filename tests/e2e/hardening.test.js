// The built-ins a page script may replace after the package loaded (RFC 10017 §8.4): `fetch`,
// `Request`, `Headers.prototype`, `Response.prototype`, `JSON`, the text codecs, `String` and
// `Object` helpers. Replaced by spies once the keeper is initialized, none of them may ever see
// an access token (or the `Authorization` value) through a login, requests, a 401's refresh and
// retry, a forced refresh, and a DPoP keeper's proofs — in Chromium, against the mock servers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE_URL, DPOP_URL, control, launch, reset, stats } from "./common.js";
import { installSpies } from "./spies.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(base) {
  const page = await (await browser.newContext()).newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  await page.goto(base + "/");
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  return page;
}

test("built-ins replaced after init() never see a token: login, requests, a 401's refresh and retry, a refresh", async () => {
  await reset(PAGE_URL);
  const page = await open(PAGE_URL);
  await installSpies(page);
  const statuses = await page.evaluate(async () => {
    const keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
    await keeper.login({ username: "alice", password: "wonderland" });
    const first = (await keeper.fetch("/api/me")).status;
    await fetch("/__mock/config", { method: "POST", headers: { "content-type": "application/json" }, body: '{"revoke_access_tokens":true}' });
    const retried = (await keeper.fetch("/api/echo", { method: "POST", body: "order 1" })).status;
    await keeper.refresh();
    const after = (await keeper.fetch(new URL("/api/me", location.href))).status;
    await keeper.logout();
    return [first, retried, after];
  });
  assert.deepEqual(statuses, [200, 200, 200]);
  const s = await stats(PAGE_URL);
  assert.deepEqual([s.logins, s.api_unauthorized, s.refreshes], [1, 1, 2]);
  assert.deepEqual(await page.evaluate(() => window.seen), [], "a replaced built-in saw a token");
  assert.deepEqual(page.problems, []);
});

test("dpop: the proofs' ath and the DPoP header are made with nothing a later script replaced", async () => {
  await reset(DPOP_URL);
  const page = await open(DPOP_URL);
  await installSpies(page);
  const status = await page.evaluate(async () => {
    const keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", dpop: true });
    await keeper.login({ username: "alice", password: "wonderland" });
    return (await keeper.fetch("/api/me")).status;
  });
  assert.equal(status, 200);
  assert.equal((await stats(DPOP_URL)).dpop_rejections, 0);
  assert.deepEqual(await page.evaluate(() => window.seen), [], "a replaced built-in saw a token");
});

test("the spies work: a page's own fetch with a bearer is seen (the test would catch a leak)", async () => {
  await reset(PAGE_URL);
  const page = await open(PAGE_URL);
  await installSpies(page);
  await page.evaluate(() => fetch("/api/me", { headers: { authorization: "Bearer eyJhbGciOi.eyJzdWIi.x" } }));
  assert.ok((await page.evaluate(() => window.seen)).includes("fetch"));
});
