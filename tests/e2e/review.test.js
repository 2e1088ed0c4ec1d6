// The defects of issue 19's security review, as a user would notice them, in Chromium against the
// mock servers: a resend built from the caller's objects as they are later rather than as they
// were when fetch was called; one trap of the wasm stopping every keeper of the page; the DPoP key
// made through a WebCrypto another script replaced after the package loaded, or one that asks
// for an exportable key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE_URL, FOREIGN_URL, DPOP_URL, control, launch, reset, stats } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const USER = { username: "alice", password: "wonderland" };

/** A page of `base` with the package loaded and initialized; `script` runs before the page's own. */
async function open(base = PAGE_URL, { script } = {}) {
  const page = await (await browser.newContext()).newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  if (script) await page.addInitScript(script);
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

// ---------------------------------------------------------------------------------------------
// 7. DPoP: the key is made with the WebCrypto the package found when it loaded, and only a key
// that cannot be exported is used.

test("dpop: a WebCrypto replaced after the package loaded is never called; the keeper signs in", async () => {
  await reset(DPOP_URL);
  const page = await open(DPOP_URL);
  const seen = await page.evaluate(async (user) => {
    // A hostile script after the package: it would make every key exportable, and watch.
    window.calls = [];
    for (const target of [crypto.subtle, SubtleCrypto.prototype]) {
      for (const name of ["generateKey", "exportKey", "sign", "digest"]) {
        const real = SubtleCrypto.prototype[name];
        target[name] = function (...args) {
          calls.push(name);
          if (name == "generateKey") args[1] = true;
          return real.apply(crypto.subtle, args);
        };
      }
    }
    crypto.randomUUID = () => { calls.push("randomUUID"); return "not random"; };
    const keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", dpop: true });
    const claims = await keeper.login(user);
    const me = await keeper.fetch("/api/me");
    return { jkt: claims.cnf?.jkt, me: me.status, calls };
  }, USER);
  assert.deepEqual({ me: seen.me, calls: seen.calls }, { me: 200, calls: [] }, "the replaced methods saw nothing");
  assert.match(seen.jkt ?? "", /^[A-Za-z0-9_-]{43}$/, "the token is bound to a key");
  const s = await stats(DPOP_URL);
  assert.deepEqual([s.logins, s.dpop_rejections], [1, 0]);
});

test("dpop: a key that can be exported is refused: the login fails and the server sees none", async () => {
  await reset(DPOP_URL);
  // Installed before the package is evaluated: every key it makes would be exportable.
  const page = await open(DPOP_URL, {
    script: () => {
      const generate = SubtleCrypto.prototype.generateKey;
      SubtleCrypto.prototype.generateKey = function (algorithm, extractable, usages) {
        return generate.call(this, algorithm, true, usages);
      };
    },
  });
  const seen = await page.evaluate(async (user) => {
    const keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", dpop: true });
    const login = await keeper.login(user).then(() => "signed in", (e) => e.code);
    const me = await keeper.fetch("/api/me");
    return { login, me: me.status, authenticated: keeper.isAuthenticated };
  }, USER);
  assert.deepEqual(seen, { login: "network", me: 401, authenticated: false });
  assert.equal((await stats(DPOP_URL)).logins, 0);
});
