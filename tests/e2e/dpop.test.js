// DPoP (option `dpop`, RFC 9449) through the JavaScript driver, in Chromium, against mock servers
// that verify proofs (`--dpop`), also demand nonces (`--dpop-nonce`) or pin a refresh family to
// the key that logged in (`--dpop-pin`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  DEMO_DPOP_URL, DPOP_URL, DPOP_NONCE_URL, DPOP_PIN_URL, control, launch, reset, stats, storage,
} from "./common.js";
import { Dpop } from "../../npm/js/dpop.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const USER = { username: "alice", password: "wonderland" };

/** A page of `base` with the package loaded; the keys WebCrypto makes are recorded. */
async function open(base, context) {
  const page = await (context ?? await browser.newContext()).newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  // Observes (does not replace) key generation, so the test can try to export the key.
  await page.addInitScript(() => {
    const generate = crypto.subtle.generateKey.bind(crypto.subtle);
    window.generatedKeys = [];
    crypto.subtle.generateKey = async (...args) => {
      const pair = await generate(...args);
      window.generatedKeys.push(pair);
      return pair;
    };
  });
  await page.goto(base + "/");
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  return page;
}

/** Makes `window.keeper` with `dpop: true` and runs `then` (a function body) in the page. */
function keeper(page, then = "") {
  return page.evaluate(async (then) => {
    window.keeper = new TokenKeeper({
      refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", dpop: true,
    });
    window.events = [];
    for (const name of ["token", "refresh", "logout", "error"]) {
      keeper.on(name, (d) => events.push(name === "error" ? `error:${d.code}` : name));
    }
    return new Function(`return (async () => { ${then} })()`)();
  }, then);
}

const login = `return (await keeper.login(${JSON.stringify(USER)})).cnf?.jkt;`;
const me = (page) => page.evaluate(async () => {
  const r = await keeper.fetch("/api/me");
  return [r.status, r.status == 200 ? (await r.json()).sub : null];
});

test("a bound token works only with the tab's proofs: read out and replayed from Node it is refused", async () => {
  await reset(DPOP_URL);
  const page = await open(DPOP_URL);
  const jkt = await keeper(page, login);
  assert.match(jkt, /^[A-Za-z0-9_-]{43}$/, "the token is bound to a key (cnf.jkt)");
  // The headers that went out, as the server saw them.
  const sent = [];
  page.on("request", (r) => r.url().endsWith("/api/me") && sent.push(r.headers()));
  assert.deepEqual(await me(page), [200, "alice"]);
  const { authorization, dpop } = sent[0];
  assert.match(authorization, /^DPoP /);
  assert.equal(JSON.parse(Buffer.from(dpop.split(".")[0], "base64url")).typ, "dpop+jwt");

  const token = await page.evaluate(() => keeper.accessToken());
  const from = (headers) => fetch(DPOP_URL + "/api/me", { headers }).then((r) => r.status);
  const before = await stats(DPOP_URL);
  assert.equal(await from({ authorization: `DPoP ${token}` }), 401, "no proof");
  assert.equal(await from({ authorization: `Bearer ${token}` }), 401, "as a bearer");
  assert.equal(await from({ authorization, dpop }), 401, "the proof replayed (same jti)");
  // A proof of another key, even a well-formed one, does not fit the token's cnf.jkt.
  const thief = new Dpop();
  const htu = DPOP_URL + "/api/me";
  const forged = await thief.proof("GET", htu, "", token);
  assert.equal(await from({ authorization: `DPoP ${token}`, dpop: forged }), 401, "another key");
  const after = await stats(DPOP_URL);
  assert.equal(after.dpop_rejections - before.dpop_rejections, 4);
  assert.equal(after.api_ok, before.api_ok);
  // The tab itself goes on.
  assert.deepEqual(await me(page), [200, "alice"]);
  assert.deepEqual(page.problems, []);
});

test("the key is not extractable and nothing of it, or of the token, is stored", async () => {
  await reset(DPOP_URL);
  const page = await open(DPOP_URL);
  await keeper(page, login);
  const key = await page.evaluate(async () => {
    const { privateKey } = window.generatedKeys[0];
    const tries = [];
    for (const format of ["jwk", "pkcs8"]) {
      tries.push(await crypto.subtle.exportKey(format, privateKey).then(() => "exported", (e) => e.name));
    }
    return { count: window.generatedKeys.length, extractable: privateKey.extractable, tries };
  });
  assert.deepEqual(key, { count: 1, extractable: false, tries: ["InvalidAccessError", "InvalidAccessError"] });
  const stored = await storage(page);
  assert.equal(stored.local, "{}");
  assert.equal(stored.session, "{}");
  assert.equal(stored.indexedDb, 0, "no IndexedDB database: the key lives in memory only");
  assert.doesNotMatch(stored.cookie, /eyJ/, "no JWT in a readable cookie");
});

test("a reload restores the session under a new key", async () => {
  await reset(DPOP_URL);
  const context = await browser.newContext();
  const page = await open(DPOP_URL, context);
  const first = await keeper(page, login);
  await page.reload();
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  const [restored, second] = await keeper(page, "return [await keeper.restore(), keeper.claims().cnf.jkt];");
  assert.equal(restored, true);
  assert.notEqual(second, first, "a new key, and the token bound to it");
  assert.deepEqual(await me(page), [200, "alice"]);
  const s = await stats(DPOP_URL);
  assert.equal(s.dpop_rebinds, 1, "the family moved to the new key");
  assert.equal(s.reuse_detections, 0);
});

test("nonces: the login and a request challenged once each are sent again, and succeed", async () => {
  await reset(DPOP_NONCE_URL);
  const page = await open(DPOP_NONCE_URL);
  assert.ok(await keeper(page, login), "signed in after the login's challenge");
  let s = await stats(DPOP_NONCE_URL);
  assert.equal(s.dpop_nonce_challenges, 1, "the login's first proof had no nonce");
  assert.equal(s.logins, 1);
  // The nonce learned at login goes in every later proof: no challenge.
  assert.deepEqual(await me(page), [200, "alice"]);
  assert.equal((await stats(DPOP_NONCE_URL)).dpop_nonce_challenges, 1);
  // A new server nonce: the next request is challenged, sent once more, and succeeds.
  await control(DPOP_NONCE_URL, "/__mock/config", { rotate_dpop_nonce: true });
  assert.deepEqual(await me(page), [200, "alice"]);
  await page.evaluate(() => keeper.refresh());
  s = await stats(DPOP_NONCE_URL);
  assert.equal(s.dpop_nonce_challenges, 2);
  assert.equal(s.refreshes, 1, "the refresh used the newest nonce: no challenge");
  assert.equal(s.api_unauthorized, 0);
  assert.deepEqual(await page.evaluate(() => events), ["token", "refresh", "token"]);
});

test("50 concurrent 401s still make one refresh, each request retried once with a fresh proof", async () => {
  await reset(DPOP_URL);
  const page = await open(DPOP_URL);
  await keeper(page, login);
  await control(DPOP_URL, "/__mock/config", { revoke_access_tokens: true });
  const before = await stats(DPOP_URL);
  const statuses = await page.evaluate(async () =>
    (await Promise.all(Array.from({ length: 50 }, () => keeper.fetch("/api/me")))).map((r) => r.status));
  const after = await stats(DPOP_URL);
  assert.deepEqual([...new Set(statuses)], [200]);
  assert.equal(after.refreshes - before.refreshes, 1);
  assert.equal(after.api_ok - before.api_ok, 50);
  assert.equal(after.dpop_rejections - before.dpop_rejections, 0, "no proof refused: none replayed");
});

test("tabs share the lock, not tokens: a second tab refreshes for a token bound to its own key", async () => {
  await reset(DPOP_URL, { reuse_grace_ms: 0 });
  const context = await browser.newContext();
  const [a, b] = [await open(DPOP_URL, context), await open(DPOP_URL, context)];
  await keeper(b); // signed out, listening
  const jktA = await keeper(a, login);
  await b.waitForFunction(() => keeper.isAuthenticated);
  const jktB = await b.evaluate(() => keeper.claims().cnf.jkt);
  assert.notEqual(jktB, jktA);
  // Both refresh at once, many times: they take turns on the one rotating cookie.
  for (let i = 0; i < 5; i++) {
    await Promise.all([a, b].map((p) => p.evaluate(() => keeper.refresh())));
  }
  assert.deepEqual(await me(a), [200, "alice"]);
  assert.deepEqual(await me(b), [200, "alice"]);
  const s = await stats(DPOP_URL);
  assert.equal(s.reuse_detections, 0);
  assert.equal(s.refresh_rejections, 0);
  assert.ok(s.refreshes >= 11, `${s.refreshes} refreshes: each tab its own`);
});

test("--dpop-pin: a refresh cookie replayed with another key is refused, and the owner's session goes on", async () => {
  await reset(DPOP_PIN_URL);
  const context = await browser.newContext();
  const page = await open(DPOP_PIN_URL, context);
  await keeper(page, login);
  // What a thief with the cookie jar (not the page's key) would send.
  const jar = await context.cookies();
  const cookie = jar.map((c) => `${c.name}=${c.value}`).join("; ");
  const csrf = jar.find((c) => c.name == "csrf_token").value;
  const proof = await new Dpop().proof("POST", `${DPOP_PIN_URL}/auth/refresh`, "");
  const stolen = await fetch(DPOP_PIN_URL + "/auth/refresh", {
    method: "POST", headers: { cookie, "x-csrf-token": csrf, dpop: proof },
  });
  assert.equal(stolen.status, 401);
  assert.equal((await stolen.json()).error, "invalid_dpop_key");
  await page.evaluate(() => keeper.refresh());
  assert.deepEqual(await me(page), [200, "alice"]);
  const s = await stats(DPOP_PIN_URL);
  assert.equal(s.refreshes, 1);
  assert.equal(s.reuse_detections, 0);
});

test("the demo with DPoP (make demo DPOP=1): signs in, calls the API and refreshes with proofs", async () => {
  await reset(DEMO_DPOP_URL);
  const page = await (await browser.newContext()).newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(DEMO_DPOP_URL + "/?dpop");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in as alice").waitFor();
  const [status, jkt] = await page.evaluate(async () => [
    (await window.tokenKeeper.fetch("/api/me")).status,
    (await window.tokenKeeper.refresh(), window.tokenKeeper.claims().cnf?.jkt),
  ]);
  assert.equal(status, 200);
  assert.match(jkt, /^[A-Za-z0-9_-]{43}$/);
  const s = await stats(DEMO_DPOP_URL);
  assert.equal(s.refreshes, 1);
  assert.equal(s.dpop_rejections, 0);
  assert.deepEqual(problems, []);
});
