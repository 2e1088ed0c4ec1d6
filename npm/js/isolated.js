// token-keeper/isolated: the keeper out of the page's reach (RFC 10017 §5.1.1, §8.4). The wasm
// and the driver run in a worker (worker.js, shipped as token-keeper-worker.js): a SharedWorker
// where the browser has one — one keeper for every tab of the origin made with the same options
// — otherwise a dedicated worker for this page. This object only forwards: calls and app
// requests go to the worker, claims, events and answers come back. Nothing here, and no message
// the worker sends, holds the token; there is no `accessToken()`.

import * as js from "./intrinsics.js";
import { problem, configError } from "./core.js";
import { credentials } from "./auth.js";
import { atPage, checked } from "./options.js";
import { emit, listen, onWakeUps } from "./listeners.js";

// The way to the worker, taken when this module is evaluated (the login credentials go through
// it): a script that replaces these later sees nothing (RFC 10017 §8.4, as intrinsics.js).
const { apply } = Reflect;
const G = globalThis;
const { SharedWorker: SharedWorkerAtLoad, Worker: WorkerAtLoad } = G;
const portGetter = SharedWorkerAtLoad && Object.getOwnPropertyDescriptor(SharedWorkerAtLoad.prototype, "port").get;
const portPost = G.MessagePort?.prototype.postMessage;
const workerPost = WorkerAtLoad?.prototype.postMessage;

const NULL_BODY = [204, 205, 304];

/** Nothing to load in the page: the worker loads the wasm. Kept so code written for the main
 * entry (`await init()`) runs unchanged. */
export default function init() {
  return Promise.resolve();
}

const cookies = () => {
  try {
    return globalThis.document?.cookie ?? "";
  } catch {
    return ""; // a sandboxed frame
  }
};

/** A TokenKeeperError (or the error it was) from what the worker said. */
const rebuild = (e) => {
  if (e?.name == "TokenKeeperError") return problem(e.code, e.message, e.status);
  if (e?.name == "AbortError") return new DOMException(e.message, "AbortError");
  if (e?.name == "TypeError") return new TypeError(e.message);
  return new Error(e?.message);
};

/** Keeps an API access token fresh and attached, in a worker the page's scripts cannot read. */
export class TokenKeeper {
  #port;
  #worker; // a dedicated worker, ended by dispose()
  #lastId = 0;
  #calls = new Map(); // id → resolve, reject
  #listeners = [];
  #state = {}; // the claims and expiry the worker last reported
  #opened; // the worker's answer to "open"
  #broken; // why no call can be answered: a worker that could not start, or dispose()
  #stop = new AbortController();
  #left = false; // the page left for good: the worker forgot it

  /** Throws a `TokenKeeperError` with code `config` for an option of the wrong type; the core's
   * checks of their meaning answer in the first call (and as an `error` event). */
  constructor(options) {
    if (typeof globalThis.Worker != "function") {
      // A server (SSR, prerendering, Node): nothing to run the keeper in.
      throw configError("token-keeper runs in the browser: make the keeper in client-only code");
    }
    // The login credentials go to the worker: not through a SharedWorker or Worker a later
    // script put in place of the browser's (the calls below must name them as they are, so
    // that bundlers find the worker; they are the ones taken when this module loaded).
    if (globalThis.SharedWorker !== SharedWorkerAtLoad || globalThis.Worker !== WorkerAtLoad) {
      throw configError("SharedWorker or Worker was replaced after token-keeper/isolated loaded");
    }
    // Their types checked here, as the main entry does (a `config` error thrown); their meaning
    // in the worker, whose first call rejects with it.
    const resolved = checked(options);
    for (const key of ["refreshUrl", "loginUrl", "logoutUrl"]) {
      if (resolved[key]) resolved[key] = atPage(resolved[key]) ?? resolved[key];
    }
    const name = `token-keeper ${js.stringify(resolved)}`;
    let worker;
    if (typeof globalThis.SharedWorker == "function") {
      worker = new SharedWorker(new URL("./token-keeper-worker.js", import.meta.url), {
        type: "module",
        name,
      });
      this.#port = apply(portGetter, worker, []);
    } else {
      worker = this.#worker = new Worker(new URL("./token-keeper-worker.js", import.meta.url), {
        type: "module",
        name,
      });
      this.#port = worker;
    }
    // A worker script that could not be loaded (not shipped, blocked by the CSP): every call
    // waiting, and every later one, fails with `network` instead of waiting for ever.
    worker.onerror = () => this.#stopAll(problem("network", "the token-keeper worker could not be started"));
    this.#port.onmessage = ({ data }) => this.#hear(data);
    this.#opened = this.#ask("open", []); // the worker reads the options from its name
    this.#opened.catch((e) => emit(this.#listeners, "error", e));
    const signal = this.#stop.signal;
    const wake = () => this.#post({ op: "wake" });
    onWakeUps(wake, signal);
    // The CSRF cookie may change while no call is made (another tab signed in): told at once
    // where the browser says so.
    globalThis.cookieStore?.addEventListener?.("change", wake, { signal });
    // A page leaving for good lets the worker forget it; one kept in the back/forward cache
    // stays (its next message is heard as ever).
    const leave = (e) => e.persisted || ((this.#left = true), this.#post({ op: "close" }));
    globalThis.addEventListener?.("pagehide", leave, { signal });
    this.fetch = this.fetch.bind(this);
  }

  /** The held token's claims, as the worker last reported them. */
  claims() {
    return this.#state.claims;
  }

  /** The held token's expiry on the local clock, in ms since the epoch. */
  expiresAt() {
    return this.#state.expiresAt;
  }

  /** Whether a token is held (as the worker last reported). */
  get isAuthenticated() {
    return this.#state.claims !== undefined;
  }

  restore() {
    return this.#call("restore", []);
  }

  /** The credentials go to the worker (checked and encoded here, as the main entry does them);
   * only the claims come back. */
  async login(body, init) {
    const { json, headers } = credentials(body, init); // throws: the promise rejects
    return this.#call("login", [json, headers]);
  }

  refresh() {
    return this.#call("refresh", []);
  }

  logout() {
    return this.#call("logout", []);
  }

  /** Hands a token to the worker; resolves to its claims (a promise, unlike the main entry). */
  setToken(token) {
    return this.#call("setToken", [token]);
  }

  on(event, listener) {
    return listen(this.#listeners, event, listener);
  }

  /** Stops listening; a dedicated worker ends, a shared one goes on for the other tabs. Later
   * calls reject with `aborted`. */
  dispose() {
    this.#post({ op: "close" });
    this.#stop.abort();
    this.#worker?.terminate();
    this.#port.close?.();
    this.#listeners.length = 0;
    this.#state = {};
    this.#stopAll(problem("aborted", "the keeper was disposed"));
  }

  /**
   * `window.fetch`'s arguments and result: the request is described to the worker (its body read
   * here), which sends it through its keeper; the answer is rebuilt from its status, headers and
   * the body's stream, transferred. `url`, `redirected` and `type` are the worker's, set on it.
   */
  async fetch(input, init) {
    const request = new js.Request(input, init);
    const signal = request.signal; // init's, or the Request's
    signal.throwIfAborted();
    const id = ++this.#lastId;
    // An abort rejects at once, as `window.fetch` does — while the body is read here, while the
    // worker starts, while the request waits there for a refresh — and stops it in the worker.
    let abort;
    const aborted = new Promise((_, reject) => {
      abort = () => {
        this.#post({ op: "abort", args: [id] });
        reject(signal.reason);
      };
    });
    aborted.catch(() => {}); // raced below; nobody else waits on it
    signal.addEventListener("abort", abort, { once: true });
    try {
      const read = request.body ? request.arrayBuffer() : undefined;
      const body = await Promise.race([read, aborted]);
      await Promise.race([this.#opened, aborted]);
      signal.throwIfAborted();
      const described = {
        url: request.url,
        method: request.method,
        headers: [...js.requestHeaders(request)],
        body,
        mode: request.mode == "navigate" ? "same-origin" : request.mode,
        credentials: request.credentials,
        cache: request.cache,
        redirect: request.redirect,
        // The page's own: in the worker "about:client" would name the worker's script.
        referrer: request.referrer == "about:client" ? globalThis.location?.href : request.referrer,
        referrerPolicy: request.referrerPolicy,
        integrity: request.integrity,
        keepalive: request.keepalive,
      };
      const head = await Promise.race([
        this.#ask("fetch", [described], id, body ? [body] : []),
        aborted,
      ]);
      // The caller's signal goes on to the body, as with `window.fetch`: an abort errors it
      // with the signal's reason, and cancels the stream back to the worker's request.
      let { body: stream } = head;
      if (init?.signal || input instanceof js.Request) {
        stream = stream?.pipeThrough?.(new TransformStream(), { signal }) ?? stream;
      }
      // An opaque answer (no-cors, or a manual redirect) has no status to rebuild.
      const response = head.status
        ? new Response(NULL_BODY.includes(head.status) ? null : stream, head)
        : Response.error();
      return Object.defineProperties(response, {
        url: { value: head.url },
        redirected: { value: head.redirected },
        type: { value: head.type },
      });
    } finally {
      signal.removeEventListener("abort", abort);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Posts to the worker with the browser's own `postMessage` (taken when the module loaded). */
  #post(message, transfer = []) {
    apply(this.#worker ? workerPost : portPost, this.#port, [{ ...message, cookies: cookies() }, transfer]);
  }

  #ask(op, args, id = ++this.#lastId, transfer) {
    return new Promise((resolve, reject) => {
      if (this.#broken) return reject(this.#broken);
      this.#calls.set(id, { resolve, reject });
      try {
        this.#post({ id, op, args }, transfer);
      } catch (e) {
        // What cannot be cloned (a value of the page's own making) fails its call at once.
        this.#calls.delete(id);
        reject(e);
      }
    });
  }

  /** No call can be answered any more: those waiting, and every later one, get `error`. */
  #stopAll(error) {
    this.#broken = error;
    for (const { reject } of this.#calls.values()) reject(error);
    this.#calls.clear();
  }

  async #call(op, args) {
    await this.#opened;
    return this.#ask(op, args);
  }

  #hear(message) {
    if (message.state) this.#state = message.state;
    if (message.event) {
      const { event, detail } = message;
      // An auth answer landed, and may have set a cookie (the CSRF one) the worker's own next
      // call needs: where the browser does not say when cookies change, the page tells it now.
      // Best effort: the page reads the cookie the answer set once its process has it.
      if (event != "refresh" && !globalThis.cookieStore && !this.#left) this.#post({ op: "cookies" });
      return emit(this.#listeners, event, event == "error" ? rebuild(detail) : detail);
    }
    const call = this.#calls.get(message.id);
    this.#calls.delete(message.id);
    if (message.ok) call?.resolve(message.value);
    else call?.reject(rebuild(message.value));
  }
}
