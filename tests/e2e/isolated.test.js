// token-keeper/isolated (issue 25): the keeper runs in a SharedWorker (or, where the page has
// none, a dedicated worker) and the token never enters the page — not through a property, a
// `BroadcastChannel`, a built-in replaced after init(), a message to the worker, or anything the
// worker sends. Tabs share one SharedWorker keeper; dedicated workers take turns with the lock.
// Each test runs in both modes, in Chromium, against the mock server (the plain module page
// tests/e2e/page/isolated.html; the bundlers' builds are in bundlers.test.js).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE_URL, launch, reset, stats } from "./common.js";
import { installSpies } from "./spies.js";

const JWT = /eyJ[\w-]+\.eyJ|Bearer |DPoP ey/;
const OPTIONS = { refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A tab of `context` on the isolated page (`query` after its `?`), loaded, no keeper made yet;
 * its page errors in `page.problems`. */
async function blank(context, query = "") {
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  await page.goto(`${PAGE_URL}/isolated.html?${query}`);
  await page.waitForFunction(() => window.loaded);
  return page;
}

/** A tab of `context` on the isolated page, its keeper made and restored (`window.keeper`). */
async function tab(context, mode, extra = "") {
  const page = await blank(context, mode + extra);
  page.restored = await page.evaluate(async (options) => {
    window.keeper = new TokenKeeper(options);
    window.events = [];
    for (const name of ["token", "refresh", "logout", "error"]) {
      window.keeper.on(name, (detail) => window.events.push([name, JSON.stringify(detail)]));
    }
    return window.keeper.restore();
  }, OPTIONS);
  return page;
}

const login = (page) =>
  page.evaluate(() => keeper.login({ username: "alice", password: "wonderland" }).then((c) => c.sub));

/** Requests `n` times at once; their statuses. */
const calls = (page, n) =>
  page.evaluate((n) => Promise.all(Array.from({ length: n }, () => keeper.fetch("/api/me").then((r) => r.status))), n);

const revoke = (page) =>
  page.evaluate(() => fetch("/__mock/config", {
    method: "POST", headers: { "content-type": "application/json" }, body: '{"revoke_access_tokens":true}',
  }));

for (const mode of ["shared", "dedicated"]) {
  test(`${mode}: no page script obtains the token — properties, channel, replaced built-ins, messages`, async () => {
    await reset(PAGE_URL);
    const context = await browser.newContext();
    const page = await tab(context, mode, "&spy");
    // A script that listens on the keeper's channel, as any page script can.
    await page.evaluate(() => {
      window.heard = [];
      const name = "token-keeper:" + new URL("/auth/refresh", location.href).href;
      new BroadcastChannel(name).onmessage = ({ data }) => window.heard.push(JSON.stringify(data));
    });
    await installSpies(page);
    const found = await page.evaluate(async () => {
      await keeper.login({ username: "alice", password: "wonderland" });
      const first = (await keeper.fetch("/api/me")).status;
      await fetch("/__mock/config", { method: "POST", headers: { "content-type": "application/json" }, body: '{"revoke_access_tokens":true}' });
      const retried = await (await keeper.fetch("/api/echo", { method: "POST", body: "order 1" })).text();
      await keeper.refresh();
      // Everything the page can reach of the keeper.
      const names = [];
      for (let o = keeper; o; o = Object.getPrototypeOf(o)) names.push(...Object.getOwnPropertyNames(o));
      const values = names.map((n) => { try { return typeof keeper[n] == "function" && n != "constructor" && keeper[n].length == 0 && !["dispose", "restore", "refresh", "logout", "login"].includes(n) ? JSON.stringify(keeper[n]()) : JSON.stringify(keeper[n]); } catch { return ""; } });
      return { first, retried, names, values, claims: keeper.claims()?.sub };
    });
    assert.equal(found.first, 200);
    assert.equal(found.retried, "order 1", "the 401's retry replays the POST body from the worker");
    assert.equal(found.claims, "alice");
    assert.ok(!found.names.includes("accessToken"), "no accessToken() in the isolated entry");
    for (const v of found.values) assert.doesNotMatch(v ?? "", JWT);

    // A page script that talks to the worker itself — the shared one, or a dedicated one of its
    // own, which can even restore the session with the cookie (§5.1.3) — may use the keeper
    // (§5.1.4), never read the token.
    const replies = await page.evaluate(async ({ options, mode }) => {
      const url = "/pkg/token-keeper-worker.js";
      const init = { type: "module", name: `token-keeper ${JSON.stringify(options)}` };
      const worker = mode == "shared" ? new SharedWorker(url, init) : new Worker(url, init);
      const port = mode == "shared" ? worker.port : worker;
      const replies = [];
      port.onmessage = ({ data }) => replies.push(JSON.stringify(data));
      const asks = ["open", "restore", "accessToken", "token", "constructor", "__proto__", "toString", "hasOwnProperty", "claims"];
      // With the readable CSRF cookie, as any page script can read it.
      asks.forEach((op, id) => port.postMessage({ id, op, args: [], cookies: document.cookie }));
      port.postMessage({ id: 99, op: "fetch", args: [{ url: "/api/me" }] });
      port.postMessage("garbage");
      port.postMessage({ id: 100, op: "login", args: null });
      // Until the worker answered the fetch and the restore (its start and the wasm's load first:
      // seconds on a loaded machine), then a moment for anything else it would send.
      const answered = (id) => replies.some((r) => r.includes(`"id":${id},`));
      for (let waited = 0; waited < 10000 && !(answered(99) && answered(1)); waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      return replies;
    }, { options: OPTIONS, mode });
    assert.ok(replies.some((r) => r.includes('"id":99,"ok":true')), "the worker answered the script's request");
    assert.ok(replies.some((r) => r.includes('"id":1,"ok":true,"value":true')), "and restored the session");
    for (const r of replies) assert.doesNotMatch(r, JWT);

    await page.evaluate(() => keeper.logout());
    const { seen, heard, fromWorker, events } = await page.evaluate(() => ({
      seen: window.seen, heard: window.heard, fromWorker: window.fromWorker, events: window.events,
    }));
    assert.deepEqual(seen, [], "a replaced built-in saw a token");
    assert.ok(fromWorker.length >= 6, "the instrumentation saw the worker's messages");
    for (const m of [...fromWorker, ...heard, ...events.map((e) => e[1])]) assert.doesNotMatch(m, JWT);
    assert.ok(heard.some((m) => m.includes('"type":"signedIn"')), "the channel says a tab signed in");
    const s = await stats(PAGE_URL);
    assert.deepEqual([s.logins, s.reuse_detections], [1, 0]);
    assert.deepEqual(page.problems, []);
    await context.close();
  });

  if (mode == "shared") {
    test("shared: a script that reaches the worker first cannot choose its options", async () => {
      await reset(PAGE_URL);
      const context = await browser.newContext();
      const page = await blank(context);
      const sub = await page.evaluate(async (options) => {
        // The worker the keeper will use (named by its options), opened with other options.
        const rogue = new SharedWorker("/pkg/token-keeper-worker.js", {
          type: "module", name: `token-keeper ${JSON.stringify(options)}`,
        });
        await new Promise((done) => {
          rogue.port.onmessage = done;
          rogue.port.postMessage({ id: 1, op: "open", args: [{ refreshUrl: "/elsewhere", loginUrl: "/elsewhere", allowedOrigins: ["https://evil.example"] }] });
        });
        const keeper = new TokenKeeper(options);
        return (await keeper.login({ username: "alice", password: "wonderland" })).sub;
      }, OPTIONS);
      assert.equal(sub, "alice");
      assert.equal((await stats(PAGE_URL)).logins, 1);
      await context.close();
    });
  }

  test(`${mode}: two tabs — one sign-in for both, concurrent 401s refresh once per keeper, a sign-out reaches the other`, async () => {
    await reset(PAGE_URL);
    const context = await browser.newContext();
    const a = await tab(context, mode);
    assert.equal(a.restored, false);
    assert.equal(await login(a), "alice");
    const b = await tab(context, mode);
    assert.equal(b.restored, true, "the second tab is signed in");
    assert.equal(await b.evaluate(() => keeper.claims().sub), "alice");
    const before = await stats(PAGE_URL);
    // One keeper for both tabs; dedicated workers each refresh for themselves, under the lock.
    const keepers = mode == "shared" ? 1 : 2;
    assert.deepEqual([before.logins, before.refreshes], [1, keepers - 1]);

    await revoke(a);
    const statuses = (await Promise.all([calls(a, 3), calls(b, 3)])).flat();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    const after = await stats(PAGE_URL);
    assert.equal(after.refreshes - before.refreshes, keepers, "one refresh per keeper for six 401s");
    assert.equal(after.reuse_detections, 0);

    await b.evaluate(() => keeper.logout());
    await a.waitForFunction(() => !keeper.isAuthenticated && events.some(([e]) => e == "logout"));
    assert.deepEqual([...a.problems, ...b.problems], []);
    await context.close();
  });

  test(`${mode}: fetch as window.fetch — a Request with a body replayed after a 401, the answer's headers and url, an abort`, async () => {
    await reset(PAGE_URL);
    const context = await browser.newContext();
    const page = await tab(context, mode);
    await login(page);
    await revoke(page);
    const result = await page.evaluate(async () => {
      const response = await keeper.fetch(new Request("/api/echo", {
        method: "POST", body: "order 7", headers: { "content-type": "text/plain" },
      }));
      const answer = [response.status, await response.text(), response.headers.get("content-type"), response.url, response instanceof Response];
      await fetch("/__mock/config", { method: "POST", headers: { "content-type": "application/json" }, body: '{"revoke_access_tokens":true,"refresh_delay_ms":3000}' });
      const controller = new AbortController();
      const started = performance.now();
      const aborted = keeper.fetch("/api/me", { signal: controller.signal }).then(() => "answered", (e) => e.name);
      setTimeout(() => controller.abort(), 200);
      return [...answer, await aborted, performance.now() - started < 2400];
    });
    assert.deepEqual(result, [200, "order 7", "text/plain", `${PAGE_URL}/api/echo`, true, "AbortError", true]);
    // The echo's first send and the aborted request's: each met the revoked token once.
    assert.equal((await stats(PAGE_URL)).api_unauthorized, 2);
    await context.close();
  });

  test(`${mode}: an abort after the answer's headers stops its body, as with window.fetch`, async () => {
    await reset(PAGE_URL);
    const context = await browser.newContext();
    const page = await tab(context, mode);
    await login(page);
    const outcome = await page.evaluate(async () => {
      // The mock server's refresh answer can send its headers at once and its body 5 s later:
      // an app request to it (with the CSRF header it wants) is a slow body.
      await fetch("/__mock/config", { method: "POST", headers: { "content-type": "application/json" }, body: '{"stall_next_refreshes":1,"stall_body_ms":5000}' });
      const csrf = document.cookie.match(/csrf_token=([^;]+)/)[1];
      const controller = new AbortController();
      const response = await keeper.fetch("/auth/refresh", {
        method: "POST", headers: { "x-csrf-token": csrf }, signal: controller.signal,
      });
      const started = performance.now();
      setTimeout(() => controller.abort(), 100);
      // The body's reader gets the signal's reason. (text() and json() of a Response built in
      // the page reject with Chromium's TypeError instead: the one difference left.)
      const reader = response.body.getReader();
      let read;
      try {
        while (!(await reader.read()).done);
        read = "read";
      } catch (e) {
        read = e.name;
      }
      return [response.status, read, performance.now() - started < 3000];
    });
    assert.deepEqual(outcome, [200, "AbortError", true]);
    await context.close();
  });

  test(`${mode}: a login with a proxied body (a framework's reactive form) signs in; after dispose() calls reject with aborted`, async () => {
    await reset(PAGE_URL);
    const context = await browser.newContext();
    const page = await tab(context, mode);
    const outcome = await page.evaluate(async () => {
      // Structured clone refuses a Proxy: the credentials go as the JSON the main entry sends.
      const form = new Proxy({ username: "alice", password: "wonderland" }, {});
      const sub = (await keeper.login(form, { headers: new Headers() })).sub;
      keeper.dispose();
      const settled = (p) => p.then(() => "resolved", (e) => `${e.name} ${e.code}`);
      const timeout = new Promise((r) => setTimeout(() => r("still waiting"), 10000));
      return [sub, await Promise.race([settled(keeper.restore()), timeout]), keeper.isAuthenticated];
    });
    assert.deepEqual(outcome, ["alice", "TokenKeeperError aborted", false]);
    await context.close();
  });

  test(`${mode}: a reload restores the session, and bad options are a config error`, async () => {
    await reset(PAGE_URL);
    const context = await browser.newContext();
    const page = await tab(context, mode);
    await login(page);
    await page.reload();
    await page.waitForFunction(() => window.loaded);
    const restored = await page.evaluate(async (options) => {
      const keeper = new TokenKeeper(options);
      return [await keeper.restore(), keeper.isAuthenticated, keeper.claims().sub];
    }, OPTIONS);
    assert.deepEqual(restored, [true, true, "alice"]);
    const error = await page.evaluate(() =>
      new TokenKeeper({ refreshUrl: "" }).restore().catch((e) => [e.name, e.code, e.message]));
    assert.deepEqual(error.slice(0, 2), ["TokenKeeperError", "config"]);
    assert.match(error[2], /refreshUrl/);
    // A wrong type is thrown by the constructor, as by the main entry's, with the same message.
    const thrown = await page.evaluate(() => {
      try {
        new TokenKeeper({ refreshUrl: "/auth/refresh", crossTab: "yes", onToken() {} });
        return "made";
      } catch (e) {
        return [e.name, e.code, e.message];
      }
    });
    assert.deepEqual(thrown, ["TokenKeeperError", "config", "option `crossTab` must be a boolean"]);
    await context.close();
  });
}

test("a worker script that cannot be loaded fails every call with network, instead of waiting for ever", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route("**/token-keeper-worker.js", (route) => route.fulfill({ status: 404, body: "" }));
  await page.goto(`${PAGE_URL}/isolated.html?dedicated`);
  await page.waitForFunction(() => window.loaded);
  const outcome = await page.evaluate(async (options) => {
    const keeper = new TokenKeeper(options);
    const settled = (p) => p.then(() => "resolved", (e) => `${e.name} ${e.code}`);
    const timeout = new Promise((r) => setTimeout(() => r("still waiting"), 10000));
    const first = await Promise.race([settled(keeper.restore()), timeout]);
    const later = await Promise.race([settled(keeper.fetch("/api/me")), timeout]);
    return [first, later];
  }, OPTIONS);
  assert.deepEqual(outcome, ["TokenKeeperError network", "TokenKeeperError network"]);
  await context.close();
});

test("relative auth URLs resolve against the page, not the worker's script; a SharedWorker replaced after load is refused", async () => {
  await reset(PAGE_URL);
  const context = await browser.newContext();
  const page = await blank(context);
  const outcome = await page.evaluate(async () => {
    // "auth/login" from /isolated.html is /auth/login; from the worker's script it would be
    // /pkg/auth/login.
    const keeper = new TokenKeeper({ refreshUrl: "auth/refresh", loginUrl: "auth/login" });
    const sub = (await keeper.login({ username: "alice", password: "wonderland" })).sub;
    const Real = window.SharedWorker;
    window.SharedWorker = class extends Real {};
    let refused;
    try {
      new TokenKeeper({ refreshUrl: "/auth/refresh" });
    } catch (e) {
      refused = `${e.code}: ${e.message}`;
    }
    window.SharedWorker = Real;
    return [sub, refused];
  });
  assert.equal(outcome[0], "alice");
  assert.match(outcome[1], /^config: SharedWorker or Worker was replaced/);
  await context.close();
});

for (const mode of ["shared", "dedicated"]) {
  test(`${mode}: without cookieStore, the worker's own refresh after a tab's login sends the CSRF cookie that login set`, async () => {
    await reset(PAGE_URL);
    const context = await browser.newContext();
    // A page without cookieStore (plain http, a browser without it): it cannot push cookie changes.
    await context.addInitScript(() => Object.defineProperty(window, "cookieStore", { value: undefined, configurable: true }));
    const page = await tab(context, mode);
    const csrf = () => page.evaluate(() => document.cookie.match(/csrf_token=([^;]+)/)?.[1]);
    assert.equal(await login(page), "alice");
    const first = await csrf();
    // Tokens of 3 s from now on; a second sign-in starts a new session, with a new CSRF cookie.
    await page.evaluate(() => fetch("/__mock/config", {
      method: "POST", headers: { "content-type": "application/json" }, body: '{"access_ttl_ms":3000}',
    }));
    assert.equal(await login(page), "alice");
    assert.notEqual(await csrf(), first);
    // The worker refreshes on its own schedule, no page call before it: a token, or an error.
    const before = await stats(PAGE_URL);
    await page.evaluate(() => (window.events.length = 0));
    await page.waitForFunction(() => window.events.some(([name]) => name == "token" || name == "error"), null, { timeout: 10000 });
    const after = await stats(PAGE_URL);
    assert.equal(after.csrf_rejections - before.csrf_rejections, 0);
    assert.ok(after.refreshes > before.refreshes, "the worker refreshed");
    assert.deepEqual(await page.evaluate(() => window.events.filter(([name]) => name == "error")), []);
    await context.close();
  });
}
