// The packed npm tarball, installed into a Vite app and built with `vite build`, in Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VITE_URL, launch, reset, control, stats, storage } from "./common.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the Vite build signs in, calls the API and recovers from a 401", async () => {
  await reset(VITE_URL);
  const page = await (await browser.newContext()).newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(VITE_URL);
  await page.getByText("signed out").waitFor();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("signed in as alice").waitFor();
  assert.match(await page.locator("#result").textContent(), /iss token-keeper-mock, sub alice/);

  await page.getByRole("button", { name: "Call the API" }).click();
  await page.locator("#result", { hasText: /^200 .*"sub":"alice"/ }).waitFor();

  await control(VITE_URL, "/__mock/config", { revoke_access_tokens: true });
  await page.locator("#result").evaluate((e) => { e.textContent = ""; });
  await page.getByRole("button", { name: "Call the API" }).click();
  await page.locator("#result", { hasText: /^200 / }).waitFor();
  const s = await stats(VITE_URL);
  assert.equal(s.api_unauthorized, 1);
  assert.equal(s.refreshes, 1);
  assert.equal((await storage(page)).local, "{}");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("signed out (user)").waitFor();
  assert.deepEqual(problems, []);
});
