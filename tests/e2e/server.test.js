// The package on a server (Node: SSR, prerendering, an app's tests): importing it touches no
// browser API, `init()` with no argument resolves without loading the wasm (so a module that
// awaits it at its top can be rendered), and a keeper made there says it runs in the browser.
// Given the wasm's bytes, it loads on a server too. No browser: plain Node, on the built pkg/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

const pkg = new URL("../../pkg/", import.meta.url);

test("on a server: import, init() resolves without the wasm, a keeper says it runs in the browser", async () => {
  const { default: init, TokenKeeper, decodeJwt } = await import(new URL("token-keeper.js", pkg));
  await init(); // no fetch of a file: URL, no throw
  const refused = (e) => e.name === "TokenKeeperError" && e.code === "config" && /runs in the browser/.test(e.message);
  assert.throws(() => new TokenKeeper({ refreshUrl: "/auth/refresh" }), refused);
  assert.throws(() => decodeJwt("e30.e30."), refused);

  // With the bytes it loads, and decodes (an app's own tests can use it in Node).
  await init(await readFile(new URL("token-keeper.wasm", pkg)));
  assert.deepEqual(decodeJwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."), { sub: "alice" });
});

test("token-keeper/isolated on a server: import and init() touch nothing, a keeper says it runs in the browser", async () => {
  const { default: init, TokenKeeper } = await import(new URL("isolated.js", pkg));
  await init();
  assert.throws(
    () => new TokenKeeper({ refreshUrl: "/auth/refresh" }),
    (e) => e.name === "TokenKeeperError" && e.code === "config" && /runs in the browser/.test(e.message),
  );
});
