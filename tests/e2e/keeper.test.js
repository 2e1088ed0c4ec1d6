// The npm package's JavaScript API, in Chromium, against the mock server: the JavaScript driver
// over the wasm core, loaded by a plain `<script type="module">` page (tests/e2e/page) with no
// bundler. FOREIGN_URL is a second mock server, another origin: it must never see the bearer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE_URL, FOREIGN_URL, launch, reset, control, stats, storage } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A fresh page with the package imported (and, unless `init: false`, initialized). */
async function open({ init = true } = {}) {
  const page = await (await browser.newContext()).newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(PAGE_URL);
  await page.waitForFunction(() => window.loaded);
  if (init) await page.evaluate(() => window.init());
  page.problems = problems;
  return page;
}

/** Signs in a keeper kept as `window.keeper`, with `options` added to the demo's URLs. */
async function signIn(page, options = {}) {
  return page.evaluate(async (options) => {
    window.keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", ...options });
    window.events = [];
    for (const name of ["token", "refresh", "logout", "error"]) {
      keeper.on(name, (detail) => events.push([name, name === "error" ? detail.code : detail.trigger ?? detail.reason ?? detail.claims.sub]));
    }
    const claims = await keeper.login({ username: "alice", password: "wonderland" });
    return claims.sub;
  }, options);
}

test("before init() resolves, the API throws a TokenKeeperError that says to await init()", async () => {
  const page = await open({ init: false });
  const seen = await page.evaluate(() => {
    const caught = (f) => { try { f(); } catch (e) { return [e.name, e.code, e.message]; } };
    return [caught(() => new TokenKeeper({ refreshUrl: "/r" })), caught(() => decodeJwt("a.b.c"))];
  });
  for (const [name, code, message] of seen) {
    assert.equal(name, "TokenKeeperError");
    assert.equal(code, "config");
    assert.match(message, /await init\(\)/);
  }
  // init() is idempotent: the second call is the same promise, and the API works after it.
  assert.equal(await page.evaluate(() => init() === init()), true);
  await page.evaluate(() => init());
  assert.equal(await page.evaluate(() => new TokenKeeper({ refreshUrl: "/r" }).isAuthenticated), false);
});

test("init() loads the wasm from a URL, a Response, bytes or a promise of one", async () => {
  for (const how of ["url", "response", "bytes", "promise"]) {
    const page = await open({ init: false });
    const made = await page.evaluate(async (how) => {
      const url = new URL("/pkg/token-keeper.wasm", location.href);
      const input = {
        url: () => url,
        response: () => fetch(url).then((r) => r),
        bytes: () => fetch(url).then((r) => r.arrayBuffer()),
        promise: async () => fetch(url),
      }[how];
      await init(how === "promise" ? input() : await input());
      return new TokenKeeper({ refreshUrl: "/r" }).isAuthenticated === false && decodeJwt("e30.e30.").constructor === Object;
    }, how);
    assert.equal(made, true, how);
    assert.deepEqual(page.problems, []);
  }
  // A load that fails rejects, and may be tried again.
  const page = await open({ init: false });
  const tries = await page.evaluate(async () => {
    const first = await init(new URL("/pkg/no-such.wasm", location.href)).then(() => "loaded", (e) => `${e.code} ${e.status}`);
    await init();
    return [first, new TokenKeeper({ refreshUrl: "/r" }).isAuthenticated];
  });
  assert.deepEqual(tries, ["network 404", false]);
});

test("bad options are config errors naming the option; a keeper is not made", async () => {
  const page = await open();
  const cases = await page.evaluate(() => {
    const tries = [
      undefined, "/auth/refresh", {}, { refreshUrl: 5 }, { refreshUrl: "/r", refreshURL: "/r" },
      { refreshUrl: "/r", timeoutMs: NaN }, { refreshUrl: "/r", timeoutMs: "5" },
      { refreshUrl: "/r", csrf: true }, { refreshUrl: "/r", retry: { attempts: 1.5 } },
      { refreshUrl: "/r", allowedOrigins: ["not a url"] }, { refreshUrl: "http://[bad" },
      { refreshUrl: "/r", jitterRatio: 1 }, { refreshUrl: "/r", loginUrl: 10n },
      { refreshUrl: "/r", tokenField: "a\nb" }, { refreshUrl: "/r", retry: [] }, { refreshUrl: "/r", onToken() {} },
    ];
    return tries.map((options) => {
      try { new TokenKeeper(options); return null; } catch (e) { return [e.name, e.code, e.message]; }
    });
  });
  const named = ["options", "options", "refreshUrl", "refreshUrl", "refreshURL", "timeoutMs", "timeoutMs",
    "csrf", "retry.attempts", "allowedOrigins", "refreshUrl", "jitterRatio", "loginUrl", "tokenField", "retry",
    "onToken"];
  cases.forEach((c, i) => {
    assert.ok(c, `case ${i} made a keeper`);
    assert.deepEqual(c.slice(0, 2), ["TokenKeeperError", "config"], c[2]);
    assert.ok(c[2].includes(`\`${named[i]}\``), `${named[i]}: ${c[2]}`);
  });
});

test("fetch: the bearer goes to the page's origin only, never over the caller's own header", async () => {
  await reset(PAGE_URL);
  await reset(FOREIGN_URL);
  const page = await open();
  assert.equal(await signIn(page), "alice");
  const seen = await page.evaluate(async (foreign) => {
    const me = await keeper.fetch("/api/me");
    const theirs = await keeper.fetch(new Request("/api/me", { headers: { authorization: "Bearer mine" } }));
    const elsewhere = await keeper.fetch(`${foreign}/api/me`);
    return [me.status, (await me.json()).sub, theirs.status, elsewhere.status];
  }, FOREIGN_URL);
  assert.deepEqual(seen, [200, "alice", 401, 401]);
  const here = await stats(PAGE_URL);
  assert.equal(here.authorized_requests, 2);
  assert.equal(here.refreshes, 0, "the caller's own 401 starts no refresh");
  assert.equal((await stats(FOREIGN_URL)).authorized_requests, 0, "the foreign origin never saw a bearer");
  assert.deepEqual(page.problems, []);
});

test("50 concurrent 401s make one refresh, and a POST body is sent again on the retry", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await signIn(page);
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true, refresh_delay_ms: 100 });
  const statuses = await page.evaluate(() =>
    Promise.all(Array.from({ length: 50 }, () => keeper.fetch("/api/me").then((r) => r.status))));
  assert.deepEqual(new Set(statuses), new Set([200]));
  let s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 1);
  assert.equal(s.api_unauthorized, 50);

  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true, refresh_delay_ms: 0 });
  const echoed = await page.evaluate(async () => {
    const r = await keeper.fetch("/api/echo", { method: "POST", body: JSON.stringify({ n: 42 }), headers: { "content-type": "application/json" } });
    return [r.status, await r.text()];
  });
  assert.deepEqual(echoed, [200, '{"n":42}']);
  // A Request with a body: cloned before it goes, so the retry has the body too.
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
  const streamed = await page.evaluate(async () => {
    const r = await keeper.fetch(new Request("/api/echo", { method: "POST", body: new Blob(["from a Request"]) }));
    return [r.status, await r.text()];
  });
  assert.deepEqual(streamed, [200, "from a Request"]);
  s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 3);
  assert.equal(await page.evaluate(() => events.filter(([n, t]) => n === "refresh" && t === "unauthorized").length), 3);
});

test("a due token is refreshed before the request: no 401 reaches the server", async () => {
  await reset(PAGE_URL, { access_ttl_ms: 2000 });
  const page = await open();
  await signIn(page, { jitterRatio: 0 });
  // Lead = min(60 s, 25 % of 2 s) = 500 ms: after 1.6 s the token is due. Timers stay off the
  // path: the schedule would refresh too, so the page's timers are held back by a busy wait.
  const status = await page.evaluate(async () => {
    const until = Date.now() + 1600;
    while (Date.now() < until) {} // the timer cannot fire during this: only fetch's own check can
    return (await keeper.fetch("/api/me")).status;
  });
  assert.equal(status, 200);
  const s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 1);
  assert.equal(s.api_unauthorized, 0);
  assert.deepEqual(await page.evaluate(() => events.map(([n, t]) => `${n}:${t}`)), ["token:alice", "refresh:schedule", "token:alice"]);
});

test("a refused refresh signs out: the caller gets the original 401 and a logout event", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await signIn(page);
  await control(PAGE_URL, "/__mock/reset", {}); // every refresh family revoked
  await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
  const status = await page.evaluate(async () => (await keeper.fetch("/api/me")).status);
  assert.equal(status, 401);
  assert.equal(await page.evaluate(() => keeper.isAuthenticated), false);
  assert.deepEqual(await page.evaluate(() => events.slice(1).map(([n, t]) => `${n}:${t}`)), ["refresh:unauthorized", "logout:rejected"]);
  const rejected = await page.evaluate(() => keeper.refresh().catch((e) => e.code));
  assert.equal(rejected, "rejected");
  assert.equal((await stats(PAGE_URL)).refresh_rejections, 2);
});

test("tokens and claims: bad input is refused with invalid_token and changes nothing", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await signIn(page);
  const seen = await page.evaluate(() => {
    const before = keeper.accessToken();
    const codes = ["not a jwt", "a.b.c", "", 42].map((t) => { try { keeper.setToken(t); return "kept"; } catch (e) { return e.code; } });
    const header = decodeJwt(before, { header: true });
    const claims = decodeJwt(before);
    let decodeError;
    try { decodeJwt("x.y"); } catch (e) { decodeError = [e.name, e.code, e.message]; }
    return { codes, same: keeper.accessToken() === before, alg: header.alg, sub: claims.sub,
      held: keeper.claims().sub, expires: keeper.expiresAt() > Date.now(), decodeError };
  });
  assert.deepEqual(seen.codes, ["invalid_token", "invalid_token", "invalid_token", "invalid_token"]);
  assert.equal(seen.same, true);
  assert.deepEqual([seen.alg, seen.sub, seen.held, seen.expires], ["HS256", "alice", "alice", true]);
  assert.deepEqual(seen.decodeError.slice(0, 2), ["TokenKeeperError", "invalid_token"]);
  assert.match(seen.decodeError[2], /3 dot-separated segments, this token has 2/);
});

test("no property of the keeper or the module holds the token, and no storage does", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await signIn(page);
  const found = await page.evaluate(async () => {
    const token = keeper.accessToken();
    await keeper.fetch("/api/me");
    // Every value reachable through properties from the keeper, the module's exports and the page.
    const seen = new Set();
    const hits = [];
    const walk = (value, path, depth) => {
      if (typeof value === "string") { if (value.includes(token.split(".")[2])) hits.push(path); return; }
      if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value) || depth > 6) return;
      seen.add(value);
      for (const key of Reflect.ownKeys(value)) {
        let v;
        try { v = value[key]; } catch { continue; }
        walk(v, `${path}.${String(key)}`, depth + 1);
      }
      walk(Object.getPrototypeOf(value), `${path}.__proto__`, depth + 1);
    };
    walk(keeper, "keeper", 0);
    walk({ init, TokenKeeper, decodeJwt }, "module", 0);
    return hits;
  });
  assert.deepEqual(found, []);
  const held = await storage(page);
  assert.deepEqual([held.local, held.session, held.indexedDb], ["{}", "{}", 0]);
});

test("events, unsubscribing, a listener that throws, and dispose", async () => {
  await reset(PAGE_URL);
  await reset(FOREIGN_URL);
  const page = await open();
  await signIn(page);
  const seen = await page.evaluate(async () => {
    const heard = [];
    keeper.on("refresh", () => { throw new Error("a listener's own bug"); });
    const stop = keeper.on("refresh", ({ trigger }) => heard.push(trigger));
    await keeper.refresh();
    stop();
    stop(); // callable twice, as unsubscribe functions are
    await keeper.refresh();
    let onError;
    try { keeper.on("tokens", () => {}); } catch (e) { onError = e.code; }
    keeper.dispose();
    const after = await keeper.fetch("/api/me");
    const restored = await keeper.restore().catch((e) => e.code);
    return { heard, onError, afterStatus: after.status, restored, authenticated: keeper.isAuthenticated };
  });
  assert.deepEqual(seen, { heard: ["manual"], onError: "config", afterStatus: 401, restored: "aborted", authenticated: false });
  const s = await stats(PAGE_URL);
  assert.equal(s.refreshes, 2);
  assert.equal(s.authorized_requests, 0, "after dispose requests go out untouched");
});

test("login and logout: wrong credentials are an http error, logout forgets the token and says so", async () => {
  await reset(PAGE_URL);
  const page = await open();
  const seen = await page.evaluate(async () => {
    const keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
    const reasons = [];
    keeper.on("logout", ({ reason }) => reasons.push(reason));
    const wrong = await keeper.login({ username: "alice", password: "nope" }).catch((e) => [e.code, e.status]);
    const noSession = await keeper.restore();
    const badBody = await keeper.login({ toJSON() { throw new Error("no"); } }).catch((e) => e.code);
    const badHeaders = await keeper.login({}, { headers: { "bad header": "x" } }).catch((e) => e.code);
    // Values as the browser's Headers normalizes them: the whitespace around them goes.
    await keeper.login({ username: "alice", password: "wonderland" }, { headers: { "x-tenant": "t1\n", "x-region": " eu " } });
    const inBefore = keeper.isAuthenticated;
    await keeper.logout();
    return { wrong, noSession, badBody, badHeaders, inBefore, inAfter: keeper.isAuthenticated, reasons, token: keeper.accessToken() };
  });
  assert.deepEqual(seen, { wrong: ["http", 401], noSession: false, badBody: "config", badHeaders: "config",
    inBefore: true, inAfter: false, reasons: ["user"], token: undefined });
  const s = await stats(PAGE_URL);
  assert.equal(s.logins, 1);
  assert.deepEqual(s.login_headers, ["content-type: application/json", "x-region: eu", "x-tenant: t1"],
    "the app's headers arrived, as the browser normalizes them");
  assert.equal((await storage(page)).cookie, "", "logout cleared the readable CSRF cookie");
});

test("a request that fails on the network rejects exactly as window.fetch does", async () => {
  await reset(PAGE_URL);
  const page = await open();
  await signIn(page);
  const seen = await page.evaluate(async () => {
    const closed = "http://127.0.0.1:9/api/me";
    const plain = await fetch(closed).catch((e) => [e.name, e.constructor === TypeError]);
    const kept = await keeper.fetch(closed).catch((e) => [e.name, e.constructor === TypeError]);
    const badInit = await keeper.fetch("/api/me", { method: "GET", body: "x" }).catch((e) => e.name);
    return { plain, kept, badInit };
  });
  assert.deepEqual(seen.kept, seen.plain);
  assert.equal(seen.badInit, "TypeError");
});
