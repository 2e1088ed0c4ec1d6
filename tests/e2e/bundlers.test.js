// The packed npm tarball, installed into real apps and built with Vite, with webpack 5 and with
// the Angular CLI's application builder (esbuild), each loaded in Chromium: the wasm (and, for
// token-keeper/isolated, the worker) must be found without a plugin or a line of the app's build
// configuration about it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VITE_URL, WEBPACK_URL, ANGULAR_URL, launch, reset, control, stats, storage } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const builds = [
  ["Vite", VITE_URL, "/"],
  ["webpack", WEBPACK_URL, "/"],
  ["Angular", ANGULAR_URL, "/"],
  // token-keeper/isolated: the bundler must also ship the worker, which must find the wasm.
  ["Vite", VITE_URL, "/isolated.html"],
  ["webpack", WEBPACK_URL, "/isolated.html"],
];
for (const [bundler, base, path] of builds) {
  const what = path == "/" ? `the ${bundler} build` : `the ${bundler} build of token-keeper/isolated`;
  test(`${what} signs in, calls the API and recovers from a 401`, async () => {
    await reset(base);
    const page = await (await browser.newContext()).newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    // Angular's global error listeners (provideBrowserGlobalErrorListeners, as `ng new` sets up)
    // take uncaught errors away from "pageerror" and log them as "ERROR …" instead.
    page.on("console", (m) => {
      if (m.type() == "error" && m.text().startsWith("ERROR")) problems.push(m.text());
    });
    await page.goto(base + path);
    await page.getByText("signed out").waitFor();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("signed in as alice").waitFor();
    assert.match(await page.locator("#result").textContent(), /iss token-keeper-mock, sub alice/);

    await page.getByRole("button", { name: "Call the API" }).click();
    await page.locator("#result", { hasText: /^200 .*"sub":"alice"/ }).waitFor();

    await control(base, "/__mock/config", { revoke_access_tokens: true });
    await page.locator("#result").evaluate((e) => { e.textContent = ""; });
    await page.getByRole("button", { name: "Call the API" }).click();
    await page.locator("#result", { hasText: /^200 / }).waitFor();
    const s = await stats(base);
    assert.equal(s.api_unauthorized, 1);
    assert.equal(s.refreshes, 1);
    assert.equal((await storage(page)).local, "{}");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("signed out (user)").waitFor();
    assert.deepEqual(problems, []);
  });
}
