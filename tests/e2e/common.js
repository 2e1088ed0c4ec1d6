// Shared by the end-to-end tests: Debian's chromium through playwright-core, and the mock
// server's test controls. The servers are started (and stopped by PID) by scripts/test.sh.
import { chromium } from "playwright-core";

export const DEMO_URL = process.env.DEMO_URL;
export const VITE_URL = process.env.VITE_URL;
export const WEBPACK_URL = process.env.WEBPACK_URL;
// tests/angular-app as scripts/angular-app.sh builds it (dist/angular-app/browser).
export const ANGULAR_URL = process.env.ANGULAR_URL;
export const PAGE_URL = process.env.PAGE_URL;
export const FOREIGN_URL = process.env.FOREIGN_URL;
export const REISSUE_URL = process.env.REISSUE_URL;
// examples/leptos-app as built by scripts/build-example.sh, with the plain module page at /js.html.
export const EXAMPLE_URL = process.env.EXAMPLE_URL;
// Mock servers with `--dpop`, `--dpop --dpop-nonce` and `--dpop --dpop-pin`, serving tests/e2e/page.
export const DPOP_URL = process.env.DPOP_URL;
export const DPOP_NONCE_URL = process.env.DPOP_NONCE_URL;
export const DPOP_PIN_URL = process.env.DPOP_PIN_URL;
// `--session-tokens` servers (a session-cookie backend with a GET token endpoint), without and
// with `--dpop`, serving tests/e2e/page.
export const SESSION_URL = process.env.SESSION_URL;
export const SESSION_DPOP_URL = process.env.SESSION_DPOP_URL;
// The demo (www/) served by a `--dpop` server, as `make demo DPOP=1` serves it.
export const DEMO_DPOP_URL = process.env.DEMO_DPOP_URL;
// tests/next-app served by `next start` (scripts/next-app.sh), which passes /auth/*, /api/* and
// /__mock/* on to a mock server: the test controls are reached on this URL too.
export const NEXT_URL = process.env.NEXT_URL;

/** Debian's chromium, headless; `args` are added to its command line. */
export function launch(args = []) {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--no-first-run", "--disable-quic", ...args,
    ],
  });
}

export async function control(base, path, body) {
  const response = await fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

export const reset = (base, config = {}) =>
  control(base, "/__mock/reset", {}).then(() => control(base, "/__mock/config", config));
export const stats = (base) => control(base, "/__mock/stats");

/** What the page's storage holds: nothing of a token may be there. */
export function storage(page) {
  return page.evaluate(async () => ({
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
    cookie: document.cookie,
    indexedDb: indexedDB.databases ? (await indexedDB.databases()).length : 0,
  }));
}
