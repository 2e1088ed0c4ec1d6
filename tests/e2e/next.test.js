// token-keeper/react in real apps built from the packed tarball: a Next.js App Router app
// (tests/next-app: server-rendered, production React, served by `next start`, its /auth/*,
// /api/* and /__mock/* passed on to a mock server) and a React page of the Vite app
// (tests/vite-app/react.html: React's development build under <StrictMode>, which runs every
// effect twice). Both pages show the auth status and how often the component showing it
// rendered (#status, #renders), the answer to a GET /api/me sent at mount (#me), and their
// buttons' results, in another component (#result).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { NEXT_URL, VITE_URL, launch, reset, control, stats, storage } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const status = (page, value) => page.locator(`#status[data-status="${value}"]`);
const renders = async (page) => Number(await page.locator("#renders").textContent());

async function openPage(context, url) {
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  // A hydration mismatch is a console error too. The 401s (a refresh without a cookie, a request
  // without a token or with a revoked one) are the browser's own "Failed to load resource" lines.
  page.on("console", (m) => {
    if (m.type() == "error" && !/^Failed to load resource/.test(m.text())) page.problems.push(m.text());
  });
  await page.goto(url);
  return page;
}

/**
 * From a first load (no session) on: the GET at mount, sign in, call the API, a 401's one refresh
 * and retry, a forced refresh — #status renders for the sign-in and for nothing after it.
 * `mounts`: how many times the page's effects ran (StrictMode runs them twice).
 */
async function signInAndRefresh(base, page, mounts) {
  await status(page, "signedOut").waitFor();
  // The GET sent at mount waited for restore(), which found no session: it left without a bearer.
  await page.locator("#me", { hasText: "401" }).waitFor();
  let s = await stats(base);
  assert.equal(s.api_unauthorized, mounts);
  assert.equal(s.authorized_requests, 0);

  const signedOut = await renders(page);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("signed in as alice").waitFor();
  const signedIn = await renders(page);
  assert.ok(signedIn > signedOut, "signing in did not render the status");
  assert.equal((await stats(base)).logins, 1);

  await page.getByRole("button", { name: "Call the API" }).click();
  await page.locator("#result", { hasText: /^200 .*"sub":"alice"/ }).waitFor();
  s = await stats(base);
  assert.equal(s.api_ok, 1);
  assert.equal(s.authorized_requests, 1, "the call went without the bearer");

  // Every access token revoked: the call meets a 401, refreshes once and retries with the new one.
  await control(base, "/__mock/config", { revoke_access_tokens: true });
  await page.locator("#result").evaluate((e) => { e.textContent = ""; });
  await page.getByRole("button", { name: "Call the API" }).click();
  await page.locator("#result", { hasText: /^200 / }).waitFor();
  s = await stats(base);
  assert.equal(s.api_unauthorized, mounts + 1);
  assert.equal(s.refreshes, 1);
  assert.equal(s.api_ok, 2);

  // A forced refresh: a new token (another jti), the same user: #status does not render.
  await page.getByRole("button", { name: "Refresh" }).click();
  const [, jtiBefore, jtiAfter] = (await page.locator("#result", { hasText: /^refreshed: / }).textContent())
    .match(/^refreshed: (\S+) -> (\S+)$/);
  assert.notEqual(jtiAfter, jtiBefore, "the refresh brought no new token");
  assert.equal((await stats(base)).refreshes, 2);
  assert.equal(await renders(page), signedIn, "a refresh rendered the status: 401 retry or forced refresh");
  assert.equal((await storage(page)).local, "{}");
}

/**
 * After a reload: restored with exactly one more refresh, and the GET at mount had the bearer.
 * `before`: the server's counters before the reload.
 */
async function restored(base, page, mounts, before) {
  await page.getByText("signed in as alice").waitFor();
  await page.locator("#me", { hasText: "200" }).waitFor();
  await new Promise((done) => setTimeout(done, 300)); // a second restore would land meanwhile
  const s = await stats(base);
  assert.equal(s.refreshes, 3);
  assert.equal(s.reuse_detections, 0);
  assert.equal(s.authorized_requests - before.authorized_requests, mounts);
  assert.equal(s.api_ok - before.api_ok, mounts);
  assert.equal(s.api_unauthorized, before.api_unauthorized);
}

test("Next.js: the server renders initializing; sign in, API, a 401's one refresh, no render on a refresh, reload", async () => {
  await reset(NEXT_URL);
  // The HTML from the server: the status is "initializing", and rendering it asked nothing of
  // the backend (the keeper is made in the browser only).
  const html = await (await fetch(NEXT_URL)).text();
  assert.match(html, /<span id="status" data-status="initializing">initializing</);
  assert.doesNotMatch(html, /signed (in|out)/);
  assert.deepEqual(Object.values(await stats(NEXT_URL)).filter((n) => n != 0), []);

  const context = await browser.newContext();
  // A slow restore: the hydrated page is still "initializing" until it answers.
  await control(NEXT_URL, "/__mock/config", { refresh_delay_ms: 1000 });
  const page = await openPage(context, NEXT_URL);
  await status(page, "initializing").waitFor();
  assert.equal(await page.getByRole("button", { name: "Sign in" }).count(), 1);
  await status(page, "signedOut").waitFor();
  await control(NEXT_URL, "/__mock/config", { refresh_delay_ms: 0 });

  await signInAndRefresh(NEXT_URL, page, 1);

  // A reload: the server's HTML again says "initializing"; the cookie restores the session.
  const before = await stats(NEXT_URL);
  const reload = await page.reload();
  assert.match(await reload.text(), /data-status="initializing"/);
  await restored(NEXT_URL, page, 1, before);

  await page.getByRole("button", { name: "Sign out" }).click();
  await status(page, "signedOut").waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("Vite, React's development build, StrictMode: effects run twice, one keeper, one restore; the same flow", async () => {
  const url = `${VITE_URL}/react.html`;
  await reset(VITE_URL, { refresh_delay_ms: 1000 });
  const context = await browser.newContext();
  const page = await openPage(context, url);
  await status(page, "initializing").waitFor();
  await status(page, "signedOut").waitFor();
  await control(VITE_URL, "/__mock/config", { refresh_delay_ms: 0 });
  // StrictMode's second run of the provider's effect made no second keeper: one restore.
  assert.equal((await stats(VITE_URL)).refresh_rejections, 1);

  // Each effect ran twice, the GET at mount too: neither was refused by the provider's first
  // cleanup (it had made no keeper yet).
  await signInAndRefresh(VITE_URL, page, 2);

  // A reload restores with exactly one refresh: a second keeper would present the rotating
  // cookie again (a reuse detection) or refresh twice.
  const before = await stats(VITE_URL);
  await page.reload();
  await restored(VITE_URL, page, 2, before);

  await page.getByRole("button", { name: "Sign out" }).click();
  await status(page, "signedOut").waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});
