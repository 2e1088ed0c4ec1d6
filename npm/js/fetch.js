// App requests: `keeper.fetch` as the core has it performed. Each goes out with the
// `Authorization` value the core hands over (or none); when the core watches it, its answer goes
// back to the core, which finishes it or has it sent once more.
//
// The caller gets, whenever it can, the promise `fetch` itself returned, chained once so the core
// sees the answer; a promise of the keeper's only when the request must wait for a refresh. Each
// request's state: `request` (not sent yet), `url` and `method` (the first request's: a resend
// must match them), `spare` (a second request built when fetch was called, for a resend), `copy`
// (the request to send next, for the one retry), `response` (the last answer), `resolve` (the
// caller's, once it holds a keeper promise) and `value` with `given` (what the caller gets, when
// it does not).
//
// Like `window.fetch`, a request is what its arguments were when `keeper.fetch` was called: an
// app may change its `init` or `URL` object for its next call at once (see issue 19).

import { dropped, replayable, send } from "./core.js";
import * as js from "./intrinsics.js";

export class Apps {
  #apps = new Map(); // request number → its state
  #next = 0;
  #core; // { answered(id, response), failed(id), forget(id) }: what the core is told;
  // proof(method, [htu, nonce], token): a promise of a DPoP proof; and halt(e):
  // the error for a throw out of the wasm, which stops the keeper (see `fail`)

  constructor(core) {
    this.#core = core;
  }

  /** A new request, as `window.fetch` would build it (throwing what it throws). */
  add(input, init) {
    const request = new js.Request(input, init);
    const { url, method } = request;
    const app = { id: ++this.#next, request, url, method, signal: request.signal };
    // A body given in `init` (not a stream) is built a second time now, for a resend: cloning
    // would turn it into a stream, which Chromium uploads ~2 ms slower (measured). A GET or
    // HEAD has no body: the request itself can go twice. Anything else is cloned when sent.
    if (method != "GET" && method != "HEAD" && replayable(input, init)) {
      app.spare = new js.Request(input, init);
    }
    this.#apps.set(app.id, app);
    return app;
  }

  /**
   * What the caller of `app` gets now: what the core gave it, or a promise of the keeper's — which
   * an abort of the request's signal rejects at once, as `window.fetch` would, however long the
   * refresh it waits for takes (the core forgets the request).
   */
  outcome(app) {
    if (app.given) {
      app.given = false;
      return app.value;
    }
    const { signal, id } = app;
    return new Promise((resolve, reject) => {
      const abort = () => {
        if (app.resolve == settle) {
          app.resolve = undefined;
          this.#apps.delete(id);
          this.#core.failed(id);
          reject(signal.reason);
        }
      };
      const settle = (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      };
      app.resolve = settle;
      signal.aborted ? abort() : signal.addEventListener("abort", abort);
    });
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

  /**
   * Sends request `id` (again, for a retry), with `authorization` when it is not undefined and,
   * with `proof` ([htu, nonce], as the core says), a DPoP proof whose `ath` is the token in
   * `authorization` from `tokenAt`.
   */
  send(id, watch, authorization, tokenAt, proof) {
    const app = this.#apps.get(id);
    if (!app) return;
    let request = app.request;
    if (!request) {
      // A resend goes where the first request went, as it went, or not at all: the core checked
      // that URL's origin (a `URL` whose text changes could name another one the second time).
      request = app.copy;
      if (request?.url != app.url || request.method != app.method) request = undefined;
    }
    app.request = app.copy = undefined;
    if (!request) {
      // No copy to retry with (its body could not be cloned, or it differs): the answer it had.
      this.#apps.delete(id);
      this.#core.forget(id);
      return this.#deliver(app, app.response ?? dropped());
    }
    if (watch) {
      // Ready before each send, so the request can go again (with `dpop`, three times: a nonce
      // challenge's resend besides the 401 retry): the spare, then a clone.
      if (app.method == "GET" || app.method == "HEAD") app.copy = request;
      else if (app.spare) {
        app.copy = app.spare;
        app.spare = undefined;
      } else {
        try {
          app.copy = request.clone(); // before any header of ours is set
        } catch {}
      }
    }
    const headers = js.requestHeaders(request);
    const go = (dpop) => {
      if (authorization === undefined) return send(request);
      if (dpop) js.setHeader(headers, "dpop", dpop); // first: nothing of ours is on it yet
      js.setHeader(headers, "authorization", authorization);
      const sent = send(request);
      // fetch copied the request: ours leave the copy kept for the retry (a GET's own).
      js.deleteHeader(headers, "authorization");
      if (dpop) js.deleteHeader(headers, "dpop");
      return sent;
    };
    // With `dpop` a proof is signed first (WebCrypto answers asynchronously); a failure to
    // sign rejects the request as a failed fetch would.
    const signed = proof && this.#core.proof(app.method, proof, js.slice(authorization, tokenAt));
    // The `then` taken at load: a page's Promise.prototype.then must never get `go`.
    const sent = signed ? js.then(signed, go) : go();
    if (!watch) {
      this.#apps.delete(id);
      return this.#deliver(app, sent);
    }
    this.#deliver(
      app,
      sent.then(
        (response) => {
          app.response = response;
          try {
            this.#core.answered(id, response);
          } catch (e) {
            throw this.#core.halt(e);
          }
          return this.outcome(app);
        },
        (error) => {
          this.#apps.delete(id);
          this.#core.failed(id);
          throw error; // exactly as window.fetch rejects
        },
      ),
    );
  }

  /** The wasm stopped: each caller that waits for the keeper's promise gets `error`. */
  fail(error) {
    for (const app of this.#apps.values()) {
      if (app.resolve) this.#deliver(app, Promise.reject(error));
    }
    this.#apps.clear();
  }

  /** Request `id` is done: its caller gets the answer it last had. */
  finish(id) {
    const app = this.#apps.get(id);
    if (!app) return;
    this.#apps.delete(id);
    // Never sent (it waited for a refresh that was called off): it goes untouched.
    this.#deliver(app, app.request ? send(app.request) : app.response ?? dropped());
  }
}
