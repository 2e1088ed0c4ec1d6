// The isolated entry's worker (token-keeper-worker.js in the package): the whole keeper — wasm
// and driver — runs here, in a SharedWorker where the browser has one (one keeper for every tab
// of the origin that asks with the same options), otherwise in a dedicated worker per page. The
// pages (isolated.js) talk to it over ports; what goes back to them is claims, expiry, events,
// errors and answers, never the token: there is no message that asks for it.
//
// Each message from a page is `{ id, op, args, cookies }`: `cookies` is the page's
// `document.cookie` (a worker has none; the CSRF header is read from it), `op` one of OPS. The
// answer is `{ id, ok, value, state }` (`state`: the claims and expiry after the call), an event
// `{ event, detail, state }`.

import init, { TokenKeeper } from "./token-keeper.js";
import { host } from "./host.js";

host.tabTokens = false;
let cookies = "";
host.cookies = () => cookies;

const ports = new Set();
const aborts = new Map(); // port → (request id → its AbortController)
let keeper;
let opening; // the keeper being made, once: calls that come meanwhile wait for it
const PREFIX = "token-keeper ";

const state = () => ({ claims: keeper?.claims(), expiresAt: keeper?.expiresAt() });

/** An error as a page can rebuild it: a TokenKeeperError's code and status, or a name. */
const plain = (e) => ({
  name: e?.name ?? "Error",
  message: String(e?.message ?? e),
  code: e?.code,
  status: e?.status,
});

const broadcast = (message) => {
  for (const port of ports) port.postMessage(message);
};

const OPS = {
  /** Makes the keeper, once, with the options the worker is named after (isolated.js names it
   * `token-keeper <options as JSON>`): never with options a message brings, so a script that
   * reaches the worker first cannot make it send the bearer elsewhere. */
  open() {
    // The wasm next to this script (init() tries again after a failed load).
    opening ??= init().then(() => {
      keeper = new TokenKeeper(JSON.parse(globalThis.name.slice(PREFIX.length))); // or `config`
      for (const event of ["token", "refresh", "logout", "error"]) {
        keeper.on(event, (detail) =>
          broadcast({ event, detail: event == "error" ? plain(detail) : detail, state: state() }));
      }
    });
    // Bad options may be tried again (and fail again, each call with the `config` error).
    return opening.catch((e) => {
      opening = undefined;
      throw e;
    });
  },
  restore: () => keeper.restore(),
  refresh: () => keeper.refresh(),
  logout: () => keeper.logout(),
  // As the page checked and encoded them (auth.js `credentials`).
  login: (port, [json, headers]) => keeper.login(JSON.parse(json), { headers: Object.fromEntries(headers) }),
  setToken: (port, [token]) => keeper.setToken(token),
  /** The page's cookies, and nothing else: every message brings them (`hear`). */
  cookies() {},
  /** Timers sleep with the machine: a page that wakes wakes the keeper (its `focus` listener). */
  wake() {
    globalThis.dispatchEvent(new Event("focus"));
  },
  close(port) {
    ports.delete(port);
    for (const controller of aborts.get(port)?.values() ?? []) controller.abort();
    aborts.delete(port);
  },
  abort(port, [target]) {
    aborts.get(port)?.get(target)?.abort();
  },
  fetch: (port, [request], id) => send(port, request, id),
};

/** An app request the page described: sent by the keeper, its answer described back. */
async function send(port, request, id) {
  const controller = new AbortController();
  if (!aborts.has(port)) aborts.set(port, new Map());
  aborts.get(port).set(id, controller);
  try {
    const { url, ...init } = request;
    const response = await keeper.fetch(url, { ...init, signal: controller.signal });
    const head = {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
      url: response.url,
      redirected: response.redirected,
      type: response.type,
    };
    return { head, body: response.body };
  } finally {
    aborts.get(port)?.delete(id);
  }
}

async function hear(port, message) {
  const { id, op, args, cookies: given } = message ?? {};
  if (typeof given == "string") cookies = given;
  // A page back from the back/forward cache (or one this worker forgot) is heard again.
  if (op != "close") ports.add(port);
  const perform = Object.hasOwn(OPS, op) && OPS[op];
  if (!perform || !Array.isArray(args ?? [])) return;
  if (op != "open" && op != "close") {
    await opening?.catch(() => {});
    if (!keeper) {
      return port.postMessage({ id, ok: false, value: plain(new Error("the keeper is not open")) });
    }
  }
  try {
    const value = await perform(port, args ?? [], id);
    if (id === undefined) return;
    if (op == "fetch") {
      // The answer's body goes over as a stream, transferred; where streams cannot be, as bytes.
      // No `state`: a request that changed it (a refresh, a sign-out) had its event sent first.
      const { head, body } = value;
      try {
        port.postMessage({ id, ok: true, value: { ...head, body } }, body ? [body] : []);
      } catch {
        const bytes = body ? await new Response(body).arrayBuffer() : null;
        port.postMessage({ id, ok: true, value: { ...head, body: bytes } }, bytes ? [bytes] : []);
      }
    } else {
      port.postMessage({ id, ok: true, value, state: state() });
    }
  } catch (e) {
    if (id !== undefined) port.postMessage({ id, ok: false, value: plain(e), state: state() });
  }
}

const connect = (port) => {
  ports.add(port);
  port.onmessage = ({ data }) => hear(port, data);
};

if ("onconnect" in globalThis) {
  globalThis.onconnect = ({ ports: [port] }) => connect(port);
} else {
  connect(globalThis);
}
