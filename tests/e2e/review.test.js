// The defects of issue 19's security review, as a user would notice them, in Chromium against the
// mock servers: a resend built from the caller's objects as they are later rather than as they
// were when fetch was called; one trap of the wasm stopping every keeper of the page; the DPoP key
// made through a WebCrypto another script replaced after the package loaded, or one that asks
// for an exportable key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE_URL, FOREIGN_URL, control, launch, reset, stats } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const USER = { username: "alice", password: "wonderland" };

/** A page of `base` with the package loaded and initialized. */
async function open(base = PAGE_URL) {
  const page = await (await browser.newContext()).newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  await page.goto(base + "/");
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  return page;
}

/** Signs in `window.keeper` (the demo's URLs, and `options`). */
function signIn(page, options = {}) {
  return page.evaluate(async ([user, options]) => {
    window.keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", ...options });
    return (await keeper.login(user)).sub;
  }, [USER, options]);
}

// ---------------------------------------------------------------------------------------------
// 1. A resend is the request as it was when fetch was called.

test("a 401 retry sends the body fetch was called with: an init reused for the next order changes nothing", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await signIn(page);
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
  const echoed = await page.evaluate(async () => {
    // One init for a batch, as an app might keep it: each call is answered 401, then retried.
    const init = { method: "POST", body: "order 1", headers: { "content-type": "text/plain" } };
    const first = keeper.fetch("/api/echo", init);
    init.body = "order 2";
    const second = keeper.fetch("/api/echo", init);
    return Promise.all([first, second].map(async (r) => [(await r).status, await (await r).text()]));
  });
  assert.deepEqual(echoed, [[200, "order 1"], [200, "order 2"]]);
  const s = await stats(PAGE_URL);
  assert.deepEqual([s.api_unauthorized, s.refreshes, s.api_ok], [2, 1, 2]);
});

test("a 401 retry goes where fetch was called to: a URL object moved to another origin gets no bearer", async () => {
  await reset(PAGE_URL);
  await reset(FOREIGN_URL);
  const page = await open();
  await signIn(page);
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
  const seen = await page.evaluate(async (foreign) => {
    const url = new URL("/api/echo", location.href);
    const init = { method: "POST", body: "order 1" };
    const answer = keeper.fetch(url, init);
    url.href = `${foreign}/api/echo`; // the app reuses its URL object for its next call
    init.body = "order 2";
    const r = await answer;
    return [r.status, r.url, await r.text()];
  }, FOREIGN_URL);
  assert.deepEqual(seen, [200, `${PAGE_URL}/api/echo`, "order 1"]);
  assert.equal((await stats(FOREIGN_URL)).authorized_requests, 0, "the foreign origin never saw a bearer");
  const s = await stats(PAGE_URL);
  assert.deepEqual([s.api_unauthorized, s.refreshes, s.api_ok], [1, 1, 1], "the retry went to the page's origin");
});

test("a resend whose URL is not the first request's is refused: the caller gets the 401 it had", async () => {
  await reset(PAGE_URL);
  await reset(FOREIGN_URL);
  const page = await open();
  await signIn(page);
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
  const seen = await page.evaluate(async (foreign) => {
    // A URL that names the page's origin once, and the foreign one whenever it is read again.
    let reads = 0;
    class Moving extends URL {
      toString() { return reads++ ? `${foreign}/api/echo` : super.toString(); }
    }
    const r = await keeper.fetch(new Moving("/api/echo", location.href), { method: "POST", body: "order 1" });
    return [r.status, r.url];
  }, FOREIGN_URL);
  assert.deepEqual(seen, [401, `${PAGE_URL}/api/echo`]);
  assert.equal((await stats(FOREIGN_URL)).authorized_requests, 0, "the foreign origin never saw a bearer");
  assert.equal((await stats(PAGE_URL)).api_unauthorized, 1);
});
