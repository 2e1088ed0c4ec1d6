// token-keeper: the JavaScript driver of the npm package.
//
// Every decision of the keeper (when to refresh, whether to retry a 401, whether to adopt a
// token another tab sent, when to sign out, which origins get the bearer) is made in
// WebAssembly, by the sans-IO core (token-keeper.wasm, built from core/ and npm/wasm/). This
// module only performs what the core asks for, with the browser's own APIs: `fetch`,
// `setTimeout`, page events, `navigator.locks`, `BroadcastChannel`. It tells the core what
// happened, then performs the commands the core hands back (`#pump`), until there are none.
//
// The access token stays in the wasm memory. The driver asks for the `Authorization` value of
// each request when the core says to send it, sets it on that request and drops it: no property
// of a keeper, and nothing in this module, holds a token.
//
// The wire protocol with the wasm (npm/wasm/src/api.rs): strings go in as UTF-8 at `buf(len)`,
// answers come back in registers (`reg()`, eight numbers) and one out string (its address and
// length are registers 6 and 7).

let wasm; // the wasm's exports, once init() resolved
let loading; // init()'s promise
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Loads the wasm; call once and await it before anything else. With no argument it fetches
 * `token-keeper.wasm` next to this module (bundlers see the `new URL(…, import.meta.url)` and
 * ship the file). Also takes a URL, a `Response`, bytes or a `WebAssembly.Module`.
 */
export default function init(input) {
  loading ??= load(input ?? new URL("token-keeper.wasm", import.meta.url)).catch((e) => {
    loading = undefined; // a failed load may be tried again
    throw e;
  });
  return loading;
}

async function load(input) {
  if (typeof input == "string" || input instanceof URL || input instanceof Request) {
    input = fetch(input);
  }
  input = await input;
  if (input instanceof Response) input = await input.arrayBuffer();
  const made = await WebAssembly.instantiate(input);
  wasm = (made.instance ?? made).exports;
}

/** A `TokenKeeperError`: an `Error` with a literal `name`, a stable `code`, maybe a `status`. */
function problem(code, message, status) {
  const e = new Error(message);
  e.name = "TokenKeeperError";
  e.code = code;
  if (status) e.status = status;
  return e;
}

const configError = (message) => problem("config", message);
const dropped = () => Promise.reject(problem("aborted", "the request was dropped"));

/** `fetch`, with a synchronous throw (a replaced `fetch`) turned into a rejection. */
function send(request) {
  try {
    return fetch(request);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Whether a request can be built again from its arguments: a URL and a body that is no stream. */
const replayable = (input, init) =>
  (typeof input == "string" || input instanceof URL) && !(init?.body instanceof ReadableStream);

/** The wasm, or a clear error when init() has not resolved yet. */
function core() {
  if (!wasm) {
    throw configError("token-keeper is not initialized: `await init()` before using it");
  }
  return wasm;
}

/** Writes `text` where the wasm reads its string argument; returns its length in bytes. */
function put(text) {
  const room = text.length * 3;
  const at = wasm.buf(room);
  return encoder.encodeInto(text, new Uint8Array(wasm.memory.buffer, at, room)).written;
}

/** The registers. A fresh view each time: memory that grew has a new buffer. */
const registers = () => new Float64Array(wasm.memory.buffer, wasm.reg(), 8);

/** The out string. */
function said() {
  const r = registers();
  return decoder.decode(new Uint8Array(wasm.memory.buffer, r[6], r[7]));
}

/** The error the wasm just reported: `code\nmessage` out, the status in register 3. */
function failure() {
  const text = said();
  const cut = text.indexOf("\n");
  return problem(text.slice(0, cut), text.slice(cut + 1), registers()[3]);
}

/**
 * Decodes a JWT's claims (or, with `{ header: true }`, its header) without verifying its
 * signature. Throws a `TokenKeeperError` with code `invalid_token` naming what is wrong.
 */
export function decodeJwt(token, options) {
  const w = core();
  if (typeof token != "string") {
    throw problem("invalid_token", "decodeJwt expects the token as a string");
  }
  if (!w.decode(put(token), options?.header ? 1 : 0)) throw failure();
  return JSON.parse(said());
}

const EVENTS = ["token", "refresh", "logout", "error"];
const WAKE_UPS = ["pageshow", "focus", "online"];
// Frees the wasm side of a keeper the page no longer references.
const collected = new FinalizationRegistry((handle) => wasm.free(handle));

/** Keeps an API access token in memory, fresh, and attached to the app's requests. */
export class TokenKeeper {
  #handle;
  #urls; // loginUrl, refreshUrl, logoutUrl (by auth call kind), resolved against the page
  #lastId = 0; // numbers user calls, app requests and lock requests
  #calls = new Map(); // user call → resolve, reject (and, for a login, what to send)
  #auth = new Map(); // auth call → its AbortController
  #apps = new Map(); // app request → its state (see fetch)
  #locks = new Map(); // lock request → its state
  #listeners = [];
  #channel;
  #lockName;
  #timer;
  #timerAt = NaN;
  #stop = new AbortController(); // removes the page listeners

  /** Throws a `TokenKeeperError` with code `config` naming a bad option. */
  constructor(options) {
    const w = core();
    let json = "";
    try {
      json = JSON.stringify(options ?? null);
    } catch {} // an option JSON cannot encode: the core refuses "" with a config error
    const base = globalThis.location?.href;
    const resolve = (url) => {
      try {
        return url === undefined ? "" : new URL(url, base).href;
      } catch {
        return ""; // the core names the option
      }
    };
    const origin = (url) => {
      try {
        return new URL(url).origin;
      } catch {
        return "";
      }
    };
    const [login, refresh, logout] = (this.#urls = [
      options?.loginUrl,
      options?.refreshUrl,
      options?.logoutUrl,
    ].map(resolve));
    const lines = [json, globalThis.origin ?? "", refresh, login, logout];
    if (Array.isArray(options?.allowedOrigins)) lines.push(...options.allowedOrigins.map(origin));
    let channels = 0; // whether a channel opens here (an opaque origin may refuse one)
    try {
      new BroadcastChannel("token-keeper-probe").close();
      channels = 1;
    } catch {}
    const handle = w.create(
      put(lines.join("\n")),
      globalThis.navigator?.locks ? 1 : 0,
      channels,
      Math.random() * 2 ** 53,
    );
    if (handle < 0) throw failure();
    this.#handle = handle;
    collected.register(this, handle);
    this.#lockName = said(); // empty when tabs are not coordinated
    if (this.#lockName && channels) {
      this.#channel = new BroadcastChannel(this.#lockName);
      this.#channel.onmessage = ({ data }) => {
        if (typeof data == "string") this.#feed(wasm.hear, put(data));
      };
    }
    // Timers sleep with the machine and are throttled in hidden tabs: after these events the
    // core compares its deadline with the clock.
    const visible = () => (globalThis.document?.visibilityState == "hidden" ? 0 : 1);
    const wake = () => this.#feed(wasm.wake, visible());
    const signal = this.#stop.signal;
    for (const name of WAKE_UPS) globalThis.addEventListener?.(name, wake, { signal });
    globalThis.document?.addEventListener("visibilitychange", wake, { signal });
  }

  // ---------------------------------------------------------------------------------------------
  // Reading: each asks the core, nothing is cached here.

  /** The access token, when one is held. */
  accessToken() {
    return wasm.token(this.#handle) ? said() : undefined;
  }

  /** The held token's claims. */
  claims() {
    return wasm.claims(this.#handle) ? JSON.parse(said()) : undefined;
  }

  /** The held token's expiry on the local clock, in ms since the epoch. */
  expiresAt() {
    const at = wasm.expires(this.#handle);
    return at == at ? at : undefined;
  }

  /** Whether a token is held. */
  get isAuthenticated() {
    return wasm.claims(this.#handle) == 1;
  }

  // ---------------------------------------------------------------------------------------------
  // User calls: numbered, answered by the core's `Settle` command.

  /** Page load: a silent refresh with the cookie; `true` when signed in. */
  restore() {
    return this.#call(wasm.restore);
  }

  /** POSTs `body` as JSON to `loginUrl` (with `init.headers`); resolves to the new claims. */
  login(body, init) {
    let json;
    try {
      json = JSON.stringify(body);
    } catch {}
    if (json === undefined) {
      return Promise.reject(configError("login expects a body that JSON can encode"));
    }
    let headers;
    try {
      // Copied now, so a caller changing its object later changes nothing.
      headers = Object.entries(init?.headers ?? {});
      if (!headers.every(([, v]) => typeof v == "string")) throw 0;
      new Headers(headers); // the browser's own check of names and values
    } catch {
      return Promise.reject(configError("login's init.headers must map valid names to strings"));
    }
    return this.#call(wasm.login, { json, headers });
  }

  /** Forces a refresh, joining the one in flight. */
  refresh() {
    return this.#call(wasm.refresh);
  }

  /** POSTs to `logoutUrl` (when set) and forgets the token whatever the answer. */
  logout() {
    return this.#call(wasm.logout);
  }

  /** Holds `token` as if the server had sent it; throws `invalid_token` and keeps the old one. */
  setToken(token) {
    if (typeof token != "string") {
      throw problem("invalid_token", "setToken expects the token as a string");
    }
    const ok = wasm.set_token(this.#handle, put(token), Date.now());
    const result = ok ? JSON.parse(said()) : failure();
    this.#pump();
    if (!ok) throw result;
    return result;
  }

  /** Listens for an event; returns the function that stops listening. */
  on(event, listener) {
    if (!EVENTS.includes(event)) {
      throw configError("on() takes one of the events token, refresh, logout, error");
    }
    if (typeof listener != "function") throw configError("on() takes a listener function");
    const entry = [event, listener];
    this.#listeners.push(entry);
    return () => {
      this.#listeners = this.#listeners.filter((e) => e != entry);
    };
  }

  /** Stops timers, listeners and channels and forgets the token. */
  dispose() {
    this.#feed(wasm.dispose);
    clearTimeout(this.#timer);
    this.#stop.abort();
    this.#channel?.close();
    this.#channel = undefined;
    this.#listeners = [];
  }

  // ---------------------------------------------------------------------------------------------
  // fetch

  /**
   * `window.fetch` with the bearer attached to allowed origins, a refresh first when the token
   * is due, and one refresh-and-retry on 401 (all decided by the core).
   *
   * The caller gets, whenever it can, the promise `fetch` itself returned, chained once so the
   * core sees the answer; a promise of the keeper's only when the request must wait for a
   * refresh. Each request's state: `request` (not sent yet), `input` and `init` (as given),
   * `copy` or `replay` (how to send it again, for the one retry), `response` (the last answer),
   * `resolve` (the caller's, once it holds a keeper promise) and `value` with `given` (what the
   * caller gets, when it does not).
   */
  fetch(input, init) {
    let request;
    try {
      request = new Request(input, init);
    } catch (e) {
      return Promise.reject(e); // exactly as window.fetch rejects
    }
    const id = ++this.#lastId;
    const app = { request, input, init };
    this.#apps.set(id, app);
    // The hot path calls the wasm directly rather than through #feed: no rest arguments.
    const has = request.headers.has("authorization") ? 1 : 0;
    wasm.fetch(this.#handle, id, put(request.url), has, Date.now());
    this.#pump();
    return this.#outcome(app);
  }

  /** What the caller of `app` gets now: what the core gave it, or a promise of the keeper's. */
  #outcome(app) {
    if (app.given) {
      app.given = false;
      return app.value;
    }
    return new Promise((resolve) => (app.resolve = resolve));
  }

  /** Gives the caller of `app` its answer (a response, or a promise of one). */
  #deliver(app, value) {
    if (app.resolve) {
      const resolve = app.resolve;
      app.resolve = undefined;
      resolve(value);
    } else {
      app.given = true;
      app.value = value;
    }
  }

  #sendApp(id, watch, authorization) {
    const app = this.#apps.get(id);
    if (!app) return;
    let request = app.request ?? app.copy;
    if (!request && app.replay) {
      try {
        request = new Request(app.input, app.init);
      } catch {} // the caller changed its init since: no retry, the answer it had
    }
    app.request = app.copy = app.replay = undefined;
    if (!request) {
      // No copy to retry with (its body could not be cloned): the answer it already had.
      this.#apps.delete(id);
      wasm.fetch_failed(this.#handle, id);
      return this.#deliver(app, app.response ?? dropped());
    }
    if (watch && !app.response) {
      // Ready before the first send, so any body can go again. A GET or HEAD has no body: the
      // request itself can go twice. A body given in `init` (not a stream) is built again from
      // the arguments: cloning it would turn it into a stream, which Chromium uploads ~2 ms
      // slower (measured). Anything else is cloned.
      const method = request.method;
      if (method == "GET" || method == "HEAD") app.copy = request;
      else if (replayable(app.input, app.init)) app.replay = true;
      else {
        try {
          app.copy = request.clone();
        } catch {}
      }
    }
    if (authorization !== undefined) request.headers.set("authorization", authorization);
    const sent = send(request);
    // fetch copied the request: the bearer leaves the copy kept for the retry (a GET's own).
    if (authorization !== undefined) request.headers.delete("authorization");
    if (!watch) {
      this.#apps.delete(id);
      return this.#deliver(app, sent);
    }
    this.#deliver(
      app,
      sent.then(
        (response) => {
          app.response = response;
          wasm.fetch_answer(this.#handle, id, response.status, put(response.url), Date.now());
          this.#pump();
          return this.#outcome(app);
        },
        (error) => {
          this.#apps.delete(id);
          this.#feed(wasm.fetch_failed, id);
          throw error; // exactly as window.fetch rejects
        },
      ),
    );
  }

  #finishApp(id) {
    const app = this.#apps.get(id);
    if (!app) return;
    this.#apps.delete(id);
    // Never sent (it waited for a refresh that was called off): it goes untouched.
    const value = app.request
      ? send(app.request)
      : app.response ?? dropped();
    this.#deliver(app, value);
  }

  // ---------------------------------------------------------------------------------------------
  // The loop: one input, then every command the core hands back.

  /** Feeds the core one input (`f(handle, ...args, now)`), then performs its commands. */
  #feed(f, ...args) {
    f(this.#handle, ...args, Date.now());
    this.#pump();
  }

  #call(f, login) {
    return new Promise((resolve, reject) => {
      const id = ++this.#lastId;
      this.#calls.set(id, { resolve, reject, login });
      this.#feed(f, id);
    });
  }

  #pump() {
    let kind;
    while ((kind = wasm.poll(this.#handle))) {
      // Read everything first: a listener called below may feed the core again.
      const r = registers();
      const a = r[0];
      const b = r[1];
      const c = r[2];
      const text = said();
      switch (kind) {
        case 1:
          this.#sendAuth(a, b, c);
          break;
        case 2:
          this.#auth.get(a)?.abort();
          this.#auth.delete(a);
          break;
        case 3:
          this.#sendApp(a, b, c ? text : undefined);
          break;
        case 4:
          this.#finishApp(a);
          break;
        case 5:
          this.#requestLock(a);
          break;
        case 6:
          this.#releaseLocks();
          break;
        case 7:
          try {
            this.#channel?.postMessage(text);
          } catch {} // a closed channel: the other tabs miss one word, as with a lost message
          break;
        case 8:
          this.#emit(a, b, text);
          break;
        case 9:
          this.#settle(a, b, text);
      }
    }
    // The one timer, at the core's deadline: replaced when it moves, never stacked.
    const at = wasm.deadline(this.#handle);
    if (!Object.is(at, this.#timerAt)) {
      clearTimeout(this.#timer);
      this.#timerAt = at;
      if (at == at) {
        this.#timer = setTimeout(() => {
          this.#timerAt = NaN;
          this.#feed(wasm.timeout);
        }, Math.min(Math.ceil(at - Date.now()), 2 ** 31 - 1)); // early by a fraction: nothing due
      }
    }
  }

  #settle(id, result, text) {
    const call = this.#calls.get(id);
    this.#calls.delete(id);
    if (!call) return;
    if (result == 4) call.reject(failure());
    else call.resolve(result == 3 ? JSON.parse(text) : result ? result == 2 : undefined);
  }

  #emit(kind, expiresAt, text) {
    const detail = [
      () => ({
        claims: JSON.parse(text),
        expiresAt: expiresAt == expiresAt ? expiresAt : undefined,
      }),
      () => ({ trigger: text }),
      () => ({ reason: text }),
      failure,
    ][kind]?.();
    // A copy: a listener may subscribe, unsubscribe or call the keeper.
    for (const [event, listener] of [...this.#listeners]) {
      if (event == EVENTS[kind]) {
        try {
          listener(detail);
        } catch {} // a listener that throws must not break the keeper or the others
      }
    }
  }

  /** POSTs to an auth endpoint with the cookies; the answer goes back to the core, whole. */
  async #sendAuth(id, kind, callId) {
    const controller = new AbortController();
    this.#auth.set(id, controller);
    const url = this.#urls[kind];
    let status = 0;
    let text = "";
    let retryAfter = NaN;
    try {
      if (!url) throw 0; // no logoutUrl: the call fails without leaving
      // Inside the try: a cookie jar that cannot be read (a sandboxed frame) or a CSRF value
      // that is no header value fails this call at once, as a network failure would.
      const headers = new Headers();
      let body;
      if (kind == 0) {
        const call = this.#calls.get(callId);
        const login = call?.login;
        if (call) call.login = undefined; // the credentials are not kept past their sending
        headers.set("content-type", "application/json");
        for (const [name, value] of login?.headers ?? []) headers.set(name, value);
        body = login?.json;
      } else if (wasm.csrf(this.#handle, put(globalThis.document?.cookie ?? ""))) {
        const header = said();
        const cut = header.indexOf("\n");
        headers.set(header.slice(0, cut), header.slice(cut + 1));
      }
      const response = await fetch(url, {
        method: "POST",
        credentials: "include",
        headers,
        body,
        signal: controller.signal,
      });
      retryAfter = Number(response.headers.get("retry-after")?.trim() ?? NaN);
      text = await response.text();
      status = response.status;
    } catch {} // status 0: the core hears that the call failed
    this.#auth.delete(id);
    this.#feed(wasm.auth_answer, id, status, put(text), retryAfter);
  }

  /** Asks for the Web Lock; the core hears when it is granted, refused or stolen. */
  #requestLock(steal) {
    if (steal) this.#releaseLocks(); // the steal replaces any request still queued
    const id = ++this.#lastId;
    const lock = { controller: new AbortController() };
    this.#locks.set(id, lock);
    const current = () => this.#locks.get(id) == lock;
    let granted = false;
    let ended = false; // refused or stolen: a grant still on its way is not told
    const tell = (what) => current() && this.#feed(wasm.lock, what);
    try {
      navigator.locks
        .request(this.#lockName, steal ? { steal } : { signal: lock.controller.signal }, () => {
          if (!current()) return; // granted to a request given up meanwhile: given back
          granted = true;
          // Held until released; a token another tab broadcast just before lands first.
          setTimeout(() => ended || tell(0));
          return new Promise((release) => (lock.release = release));
        })
        .catch(() => {
          ended = true;
          tell(granted ? 2 : 1);
        });
    } catch {
      queueMicrotask(() => tell(1));
    }
  }

  #releaseLocks() {
    for (const lock of this.#locks.values()) {
      lock.controller.abort();
      lock.release?.();
    }
    this.#locks.clear();
  }
}
