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
async function open(base = PAGE_URL, { within = browser, script } = {}) {
  const page = await (await within.newContext()).newPage();
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

/** Fresh servers, a page whose keeper signed in, and its token revoked: the next call gets a
 * 401, then a refresh and the one retry. */
async function signedInThenRevoked() {
  await reset(PAGE_URL);
  await reset(FOREIGN_URL);
  const page = await open();
  await signIn(page);
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
  return page;
}

test("a 401 retry sends the body fetch was called with: an init reused for the next order changes nothing", async () => {
  const page = await signedInThenRevoked();
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
  const page = await signedInThenRevoked();
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
  const page = await signedInThenRevoked();
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
// 6. A trap of the wasm (here: its memory runs out) stops the module for the page: every later
// call fails with `internal`, and nothing from outside the page can cause one.

// Chromium whose wasm memories may grow to 40 pages of 64 KiB (the package starts with 17): a
// string of a megabyte cannot be handed to the wasm, so the allocation for it traps.
const TIGHT = ["--js-flags=--wasm-max-mem-pages=40"];

/** Each of `calls` (functions of the page) settled: whether it threw synchronously, and with what. */
const SETTLE = `async (calls) => {
  const name = (e) => e?.code ?? e?.constructor?.name ?? String(e);
  const out = [];
  for (const call of calls) {
    try {
      const value = call();
      out.push(value instanceof Promise
        ? await value.then((v) => ["resolved", v?.status ?? v], (e) => ["rejected", name(e)])
        : ["returned", value]);
    } catch (e) {
      out.push(["threw", name(e)]);
    }
  }
  return out;
}`;

test("after a trap every call of every keeper fails with `internal`, and keeper.fetch rejects", async () => {
  const tight = await launch(TIGHT);
  try {
    await reset(PAGE_URL);
    const page = await open(PAGE_URL, { within: tight });
    const limited = await page.evaluate(() => {
      try { new WebAssembly.Memory({ initial: 1 }).grow(100); return false; } catch { return true; }
    });
    assert.equal(limited, true, "the memory limit is in force");
    await signIn(page);
    const seen = await page.evaluate(async (settle) => {
      settle = eval(settle);
      const other = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", channelName: "other" });
      const token = keeper.accessToken();
      const huge = "/api/me?q=" + "x".repeat(1_000_000); // no request goes out with it
      const [trap] = await settle([() => keeper.fetch(huge)]);
      let message;
      try { await keeper.fetch("/api/me"); } catch (e) { message = e.message; }
      const after = await settle([
        () => keeper.fetch("/api/me"), () => other.fetch("/api/me"), () => other.restore(),
        () => other.login({ username: "alice", password: "wonderland" }), () => other.refresh(),
        () => other.logout(), () => decodeJwt(token), () => new TokenKeeper({ refreshUrl: "/r" }),
        () => keeper.setToken(token), () => keeper.accessToken(),
      ]);
      return { trap, after, message };
    }, SETTLE);
    assert.deepEqual(seen.trap, ["rejected", "internal"]);
    assert.deepEqual(seen.after, [
      ["rejected", "internal"], ["rejected", "internal"], ["rejected", "internal"],
      ["rejected", "internal"], ["rejected", "internal"], ["rejected", "internal"],
      ["threw", "internal"], ["threw", "internal"], ["threw", "internal"], ["threw", "internal"],
    ]);
    assert.match(seen.message, /stopped after an internal error; reload the page/);
    const s = await stats(PAGE_URL);
    assert.deepEqual([s.logins, s.refreshes, s.api_ok + s.api_unauthorized], [1, 0, 0], "nothing went out after the trap");
    assert.deepEqual(page.problems, []);
  } finally {
    await tight.close();
  }
});

/** Runs `body(page)` on a page of Chromium under the memory limit, signed in with `options`. */
async function tightly(options, body) {
  const tight = await launch(TIGHT);
  try {
    await reset(PAGE_URL);
    const page = await open(PAGE_URL, { within: tight });
    await signIn(page, options);
    await body(page);
    assert.deepEqual(page.problems, []);
  } finally {
    await tight.close();
  }
}

test("a megabyte tab message is not handed to the wasm: the keeper keeps working", () =>
  tightly({ channelName: "review-big" }, async (page) => {
    const seen = await page.evaluate(async (settle) => {
      settle = eval(settle);
      const channel = new BroadcastChannel("review-big");
      const session = new URL("/auth/refresh", location.href).href;
      const big = "x".repeat(1 << 20);
      channel.postMessage(big);
      channel.postMessage({ v: 1, type: "token", session, token: big, at: Date.now(), lifetime: 1 });
      channel.postMessage({ v: 1, type: "logout", session: big, at: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 300)); // delivered by then
      return settle([() => keeper.fetch("/api/me")]);
    }, SETTLE);
    assert.deepEqual(seen, [["resolved", 200]]);
  }));

test("a megabyte auth answer is not handed to the wasm: the refresh fails with invalid_token, the keeper keeps working", () =>
  tightly({}, async (page) => {
    await control(PAGE_URL, "/__mock/config", { garble_next_refreshes: 1, garble_body_bytes: 1_000_000 });
    const seen = await page.evaluate(async (settle) => {
      settle = eval(settle);
      const hung = new Promise((resolve) => setTimeout(() => resolve("hung"), 10000));
      const refreshed = await Promise.race([keeper.refresh().then(() => "refreshed", (e) => e.code), hung]);
      return { refreshed, then: await settle([() => keeper.fetch("/api/me")]) };
    }, SETTLE);
    assert.deepEqual(seen, { refreshed: "invalid_token", then: [["resolved", 200]] });
  }));

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
