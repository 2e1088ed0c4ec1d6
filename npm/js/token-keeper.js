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
// Also: core.js (the wasm's loader and calling convention), create.js, auth.js, fetch.js (app
// requests), locks.js, dpop.js, message.js (the tab message's structure); esbuild bundles them
// into the package's one file.

import {
  wasm, core, halt, problem, configError, put, parsed, registers, said, failure, MAX_INPUT,
} from "./core.js";
import { Apps } from "./fetch.js";
import { Locks } from "./locks.js";
import { Dpop } from "./dpop.js";
import { collected, create, detail } from "./create.js";
import { credentials, nonce, post } from "./auth.js";
import * as js from "./intrinsics.js";
import { EVENTS, emit, listen, onWakeUps } from "./listeners.js";
import { KINDS, SHAPE, TIMES } from "./message.js";

export { default } from "./core.js";
export { decodeJwt } from "./create.js";

/** Keeps an API access token in memory, fresh, and attached to the app's requests. */
export class TokenKeeper {
  #handle;
  #lastId = 0; // numbers user calls
  #calls = new Map(); // user call → resolve, reject
  #auth = new Map(); // auth call → its AbortController
  #dpop; // with the `dpop` option: this tab's key (dpop.js)
  #apps = new Apps({
    answered: (id, response) => {
      // With `dpop`, its `DPoP-Nonce` goes with it.
      const n = this.#dpop && nonce(response);
      if (n != null) wasm.nonce(put(n));
      // A 401's WWW-Authenticate: the core reads whether it blames the token (or, with `dpop`,
      // asks for a new nonce).
      const www =
        response.status == 401 && js.getHeader(js.responseHeaders(response), "www-authenticate");
      if (www) wasm.second(put(www));
      wasm.fetch_answer(this.#handle, id, response.status, put(response.url), Date.now());
      this.#pump();
    },
    // With `dpop`, a request carrying the token gets a proof of its own, as the core said it.
    proof: (method, [htu, nonce], token) => this.#dpop?.proof(method, htu, nonce, token),
    failed: (id) => this.#feed(wasm.fetch_answer, id, -1, 0), // status -1: it failed
    forget: (id) => wasm.fetch_answer(this.#handle, id, -1, 0, Date.now()),
    halt: (e) => this.#halt(e),
  }); // app requests (fetch.js)
  #locks; // the refresh lock (locks.js)
  #listeners = [];
  #channel;
  #timer;
  #timerAt = NaN;
  #stop = new AbortController(); // removes the page listeners

  /** Throws a `TokenKeeperError` with code `config` naming a bad option. */
  constructor(options) {
    const w = core();
    const [handle, name, channels] = create(w, options);
    if (options.dpop && !globalThis.crypto?.subtle) {
      w.free(handle);
      throw configError("option `dpop` needs WebCrypto: a secure context (https, or localhost)");
    }
    this.#handle = handle;
    if (options.dpop) this.#dpop = new Dpop();
    collected.register(this, handle);
    this.#locks = new Locks(name, (what) => this.#feed(wasm.lock, what));
    if (name && channels) {
      this.#channel = new BroadcastChannel(name);
      this.#channel.onmessage = ({ data }) => this.#hear(data);
    }
    // Timers sleep with the machine and are throttled in hidden tabs: after these events the
    // core compares its deadline with the clock.
    const visible = () => (globalThis.document?.visibilityState == "hidden" ? 0 : 1);
    onWakeUps(() => this.#feed(wasm.wake, visible()), this.#stop.signal);
    // A function value, like `window.fetch`: a library given `keeper.fetch` calls it unbound.
    this.fetch = this.fetch.bind(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading: each asks the core, nothing is cached here.

  /** The access token, when one is held. */
  accessToken() {
    return this.#read((w, h) => (w.token(h) ? said() : undefined));
  }

  /** The held token's claims. */
  claims() {
    return this.#read((w, h) => (w.claims(h) ? JSON.parse(said()) : undefined));
  }

  /** The held token's expiry on the local clock, in ms since the epoch. */
  expiresAt() {
    const at = this.#read((w, h) => w.expires(h));
    return at == at ? at : undefined;
  }

  /** Whether a token is held. */
  get isAuthenticated() {
    return this.#read((w, h) => w.claims(h) == 1);
  }

  /** `f(wasm, handle)`, a question to the core; a trap stops the wasm (`#halt`). */
  #read(f) {
    try {
      return f(core(), this.#handle);
    } catch (e) {
      throw this.#halt(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // User calls: numbered, answered by the core's `Settle` command.

  /** Page load: a silent refresh with the cookie; `true` when signed in. */
  restore() {
    return this.#call(wasm.restore);
  }

  /** POSTs `body` as JSON to `loginUrl` (with `init.headers`); resolves to the new claims. */
  async login(body, init) {
    // The body's JSON, then the app's headers, as lines: the core keeps them as long as a
    // resend may need them. A throw rejects the promise.
    const { lines } = credentials(body, init);
    return this.#call((h, id, now) => wasm.login(h, id, put(lines), now));
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
    let ok;
    let result;
    try {
      ok = core().set_token(this.#handle, put(token), Date.now());
      result = ok ? JSON.parse(said()) : failure();
      this.#pump();
    } catch (e) {
      throw this.#halt(e);
    }
    if (!ok) throw result;
    return result;
  }

  /** Listens for an event; returns the function that stops listening. */
  on(event, listener) {
    return listen(this.#listeners, event, listener);
  }

  /** Stops timers, listeners and channels and forgets the token. */
  dispose() {
    this.#feed(wasm.dispose);
    clearTimeout(this.#timer);
    this.#stop.abort();
    this.#channel?.close();
    this.#channel = undefined;
    this.#listeners.length = 0;
  }

  // ---------------------------------------------------------------------------------------------
  // fetch

  /**
   * `window.fetch` with the bearer attached to allowed origins, a refresh first when the token
   * is due, and one refresh-and-retry on 401 (all decided by the core; performed in fetch.js).
   */
  fetch(input, init) {
    let app;
    try {
      app = this.#apps.add(input, init);
    } catch (e) {
      return Promise.reject(e); // exactly as window.fetch rejects
    }
    // The hot path calls the wasm directly rather than through #feed: no rest arguments.
    try {
      const has = app.request.headers.has("authorization") ? 1 : 0; // the app's own
      core().fetch(this.#handle, app.id, put(app.url), has, Date.now());
      this.#pump();
    } catch (e) {
      return Promise.reject(this.#halt(e));
    }
    return this.#apps.outcome(app);
  }

  // ---------------------------------------------------------------------------------------------
  // The loop: one input, then every command the core hands back.

  /** Feeds the core one input (`f(handle, ...args, now)`), then performs its commands. */
  #feed(f, ...args) {
    try {
      core();
      f(this.#handle, ...args, Date.now());
      this.#pump();
    } catch (e) {
      this.#halt(e);
    }
  }

  /**
   * The error for a throw out of the wasm or the loop (core.js `halt`). After a trap, every
   * call of this keeper still waiting gets it too: nothing of it waits any longer.
   */
  #halt(e) {
    const error = halt(e);
    if (error?.code == "internal") {
      for (const { reject } of this.#calls.values()) reject(error);
      this.#calls.clear();
      this.#apps.fail(error);
    }
    return error;
  }

  #call(f) {
    return new Promise((resolve, reject) => {
      const id = ++this.#lastId;
      this.#calls.set(id, { resolve, reject });
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
          this.#sendAuth(a, b, c, text);
          break;
        case 2:
          this.#auth.get(a)?.abort();
          this.#auth.delete(a);
          break;
        case 3: {
          // The `Authorization` value, then with a proof (r4) its `htu` and nonce (empty: none).
          // Indexed, not destructured: an array's iterator is the page's to replace.
          const p = r[4] ? js.split(text, "\n") : undefined;
          const authorization = p ? p[0] : text;
          this.#apps.send(a, b, c ? authorization : undefined, r[3], p && [p[1], p[2]]);
          break;
        }
        case 4:
          this.#apps.finish(a);
          break;
        case 5:
          this.#locks.request(a);
          break;
        case 6:
          this.#locks.release();
          break;
        case 7:
          this.#post(r, text);
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

  /**
   * Another tab's message, a structured clone (message.js has its members). What does not
   * fit the structure is dropped here, as serde drops it in a Rust tab: not an object, a member of
   * another type, a required one missing (null is absent), a string longer than MAX_INPUT. The
   * core judges the rest: version, session, the values (a number NaN goes as -1, which it refuses).
   */
  #hear(m) {
    if (typeof m != "object" || m == null || js.isArray(m)) return;
    for (const [name, type, required] of SHAPE) {
      const x = m[name];
      if (x == null ? required : typeof x != type || x.length > MAX_INPUT) return;
    }
    const n = (x) => (x == null ? NaN : x == x ? x : -1);
    this.#feed((handle, now) => {
      wasm.second(put(m.session));
      const token = put(m.token ?? "");
      wasm.hear(handle, token, m.v, KINDS.indexOf(m.type), n(m.at), n(m.lifetime), n(m.for), now);
    });
  }

  /** Posts the message the core wrote (`Post`, npm/wasm/src/commands.rs) to the other tabs. */
  #post(r, text) {
    const parts = js.split(text, "\n"); // indexed: an array's iterator is the page's to replace
    const session = parts[0];
    const token = parts[1];
    // No prototype: a setter a page script put on Object.prototype never gets the token.
    const message = { __proto__: null, v: r[4], type: KINDS[r[0]], session };
    if (token) message.token = token;
    // The members a message has; the others are absent, not undefined.
    for (let i = 0; i < 3; i++) if (r[i + 1] == r[i + 1]) message[TIMES[i]] = r[i + 1];
    try {
      this.#channel?.postMessage(message);
    } catch {} // a closed channel: the other tabs miss one word, as with a lost message
  }

  #settle(id, result, text) {
    const call = this.#calls.get(id);
    this.#calls.delete(id);
    if (!call) return;
    if (result == 4) call.reject(failure());
    else call.resolve(result == 3 ? JSON.parse(text) : result ? result == 2 : undefined);
  }

  #emit(kind, expiresAt, text) {
    emit(this.#listeners, EVENTS[kind], detail(kind, expiresAt, text));
  }

  /**
   * Sends auth call `id` as the core decided it, whole: `count` headers, `flags` and the lines
   * of `text` (npm/wasm/src/commands.rs: the URL, the token header's name, the proof's htu and
   * nonce, the headers, the body). The answer goes back to the core, whole.
   */
  async #sendAuth(id, count, flags, text) {
    const controller = new AbortController();
    this.#auth.set(id, controller);
    const lines = js.split(text, "\n");
    let at = 0;
    const next = (flag) => (flags & flag ? lines[at++] : undefined);
    const method = flags & 1 ? "GET" : "POST";
    const url = next(2);
    const tokenHeader = next(4);
    const htu = next(8);
    const nonce = next(16);
    let status = 0;
    let body = "";
    let retryAfter = NaN;
    let token; // the `tokenHeader` value, if the answer has one
    let dpopNonce; // its `DPoP-Nonce`, likewise
    try {
      if (!url) throw 0; // no logoutUrl: the call fails without leaving
      // Inside the try: a CSRF value that is no header value fails this call at once, as a
      // network failure would.
      const headers = new js.Headers();
      for (let i = 0; i < count; i++, at += 2) js.setHeader(headers, lines[at], lines[at + 1]);
      const sent = flags & 32 ? lines[at] : undefined; // one line: JSON.stringify wrote it
      if (this.#dpop && htu !== undefined) {
        js.setHeader(headers, "dpop", await this.#dpop.proof(method, htu, nonce));
      }
      // No prototype: fetch reads the members it was not given (`referrer`, `mode`…) through
      // it, where a page script's getter would get this object, the body and the headers.
      const init = { __proto__: null, method, credentials: "include", headers, body: sent, signal: controller.signal };
      ({ status, text: body, retryAfter, token, nonce: dpopNonce } = await post(url, init, tokenHeader));
    } catch {} // status 0: the core hears that the call failed
    this.#auth.delete(id);
    try {
      // Handed over just before the answer it belongs to: the core keeps it for that one only.
      if (status && token != null) core().second(put(token));
      if (status && dpopNonce != null) core().nonce(put(dpopNonce));
      this.#feed(wasm.auth_answer, id, status, put(body), parsed(body), retryAfter);
    } catch (e) {
      this.#halt(e);
    }
  }
}
