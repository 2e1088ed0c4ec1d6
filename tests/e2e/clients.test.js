// keeper.fetch handed to HTTP clients as their fetch, as docs/frameworks.md shows: ky, axios
// (its fetch adapter, with env.fetch) and ofetch, bundled for the page from tests/e2e/node_modules by
// esbuild. For each: a GET carries the bearer; a POST whose first try meets a 401 (the server
// revoked the access token) is retried once, after one refresh, with the new bearer and the
// same body. In Chromium, against the mock server (issue "Where SPAs are really built").
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PAGE_URL, launch, reset, control, stats } from "./common.js";
import * as esbuild from "../../tools/node_modules/esbuild/lib/main.js";

let browser;
let clients; // the bundle that puts { ky, axios, ofetch } on window.clients
before(async () => {
  browser = await launch();
  const built = await esbuild.build({
    stdin: {
      contents: 'import ky from "ky"; import axios from "axios"; import { ofetch } from "ofetch"; window.clients = { ky, axios, ofetch };',
      resolveDir: fileURLToPath(new URL(".", import.meta.url)),
    },
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
    logLevel: "warning",
  });
  clients = built.outputFiles[0].text;
});
after(async () => { await browser?.close(); });

/** A page with the package and the clients, a signed-in `window.keeper`, and `window.call`. */
async function open() {
  const page = await (await browser.newContext()).newPage();
  await page.goto(PAGE_URL);
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
  await page.addScriptTag({ content: clients });
  await page.evaluate(async () => {
    window.keeper = new TokenKeeper({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login" });
    await keeper.login({ username: "alice", password: "wonderland" });
    const { ky, axios, ofetch } = window.clients;
    // Each client made as docs/frameworks.md says, handed `keeper.fetch` itself (not a bound copy).
    const viaKy = ky.create({ fetch: keeper.fetch, retry: 0 });
    const viaAxios = axios.create({ adapter: "fetch", env: { fetch: keeper.fetch } });
    const viaOfetch = ofetch.create({}, { fetch: keeper.fetch });
    // [status, body text] of a GET /api/me or a POST /api/echo of `body`, through `name`.
    window.call = async (name, body) => {
      const url = body === undefined ? "/api/me" : "/api/echo";
      const method = body === undefined ? "GET" : "POST";
      if (name === "ky") {
        const r = await viaKy(new URL(url, location.href), { method, json: body });
        return [r.status, await r.text()];
      }
      if (name === "axios") {
        const r = await viaAxios.request({ url, method, data: body, responseType: "text" });
        return [r.status, r.data];
      }
      const r = await viaOfetch.raw(url, { method, body, responseType: "text" });
      return [r.status, r._data];
    };
  });
  return page;
}

for (const name of ["ky", "axios", "ofetch"]) {
  test(`${name} with keeper.fetch: the bearer on a GET, one refresh and the same body on a 401`, async () => {
    await reset(PAGE_URL);
    const page = await open();
    const [status, me] = await page.evaluate((name) => call(name), name);
    assert.equal(status, 200);
    assert.equal(JSON.parse(me).sub, "alice");
    const before = await stats(PAGE_URL);

    await control(PAGE_URL, "/__mock/config", { revoke_access_tokens: true });
    const body = { order: 7, items: ["a", "b"] };
    const [posted, echoed] = await page.evaluate(([name, body]) => call(name, body), [name, body]);
    assert.equal(posted, 200);
    assert.deepEqual(JSON.parse(echoed), body, "the retry carried the same body");
    const after = await stats(PAGE_URL);
    assert.equal(after.refreshes - before.refreshes, 1, "one refresh");
    assert.equal(after.api_unauthorized - before.api_unauthorized, 1, "one 401, then the retry");
  });
}

test("keeper.fetch is a function value: taken off the keeper, it is still the keeper's", async () => {
  await reset(PAGE_URL);
  const page = await open();
  const seen = await page.evaluate(async () => {
    const { fetch } = keeper; // as a library stores it
    const r = await fetch("/api/me");
    const again = await Reflect.apply(keeper.fetch, undefined, [new Request("/api/me")]);
    return [r.status, (await r.json()).sub, again.status, keeper.fetch === keeper.fetch];
  });
  assert.deepEqual(seen, [200, "alice", 200, true]);
});
