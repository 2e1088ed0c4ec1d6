"use client";
// token-keeper/react: React bindings, shipped as the package's second entry (pkg/react.js).
//
// <TokenKeeperProvider options={…}> makes one keeper for the tree below it, in the browser only:
// in an effect, after `await init()`. On a server (server rendering, prerendering) and during
// hydration nothing of the keeper or the wasm is touched, and `useAuth()` answers the status
// "initializing". Once the keeper is made the provider restores the session (`restore()`).
//
// `useAuth()` reads a snapshot of the auth state through useSyncExternalStore:
//   { status, claims, error, keeper, login, logout, fetch, restore }.
// A new snapshot, and so a render of the components that read it, comes only when the status or
// the error changes, or the claims change in something other than the four claims every token
// has its own (exp, iat, nbf, jti) — which the snapshot's claims leave out, so that what a
// component reads is all that can make it render. A refresh (the same user, a new token)
// therefore renders nothing. The four functions are the same across renders and snapshots.
//
// This module imports the main entry (./token-keeper.js, left external by the bundling): the
// main entry's bytes stay what they are, and an app that imports both gets one copy of it.

import init, { TokenKeeper } from "./token-keeper.js";
import {
  createContext, createElement, useContext, useEffect, useState, useSyncExternalStore,
} from "react";

const Context = createContext(null);

// The claims each token has its own: a new token changes them and nothing else.
const PER_TOKEN = ["exp", "iat", "nbf", "jti"];

/** The claims without the per-token ones; `undefined` when signed out. */
function sessionClaims(claims) {
  if (!claims) return undefined;
  const kept = { ...claims };
  for (const name of PER_TOKEN) delete kept[name];
  return kept;
}

/** A promise and its settlers; never an unhandled rejection (only callers that wait see it). */
function deferred() {
  const d = {};
  d.promise = new Promise((resolve, reject) => Object.assign(d, { resolve, reject }));
  d.promise.catch(() => {});
  return d;
}

const unmounted = () =>
  Object.assign(new Error("the TokenKeeperProvider was unmounted"), {
    name: "TokenKeeperError",
    code: "aborted",
  });

/**
 * The provider's state: the keeper (once made), the snapshot, the listeners of
 * useSyncExternalStore. Making it touches nothing: `start()`, from an effect, makes the keeper.
 */
function createStore(options, wasm) {
  let keeper;
  let run = 0; // numbers the starts: a start that was stopped meanwhile makes no keeper
  let running = false;
  let stopping; // the timer of a stop that a remount (React's StrictMode) may still cancel
  let made = deferred(); // resolves with the keeper once made
  let settled = deferred(); // resolves with it once the status has left "initializing"
  const listeners = new Set();

  const actions = {
    login: (body, init) => made.promise.then((k) => k.login(body, init)),
    logout: () => made.promise.then((k) => k.logout()),
    restore: () => made.promise.then((k) => restore(k, true)),
    // Until the session is restored a request would leave without the bearer: it waits for
    // that, taken as it is now (as `window.fetch` takes it at the call).
    fetch(input, init) {
      if (keeper && value.status != "initializing") return keeper.fetch(input, init);
      let request;
      try {
        request = new Request(input, init);
      } catch (e) {
        return Promise.reject(e);
      }
      return settled.promise.then((k) => k.fetch(request));
    },
  };
  const initial = { ...actions, status: "initializing" };
  let value = initial;

  function set(status, claims, error) {
    claims = sessionClaims(claims);
    if (
      status == value.status && error === value.error &&
      JSON.stringify(claims) == JSON.stringify(value.claims)
    ) return;
    value = { ...actions, status, claims, error, keeper };
    if (status != "initializing") (keeper ? settled.resolve(keeper) : settled.reject(error));
    for (const listener of [...listeners]) listener();
  }

  /** `keeper.restore()`; then what the keeper holds decides (a login may have come first). */
  async function restore(k, rethrow) {
    let restored;
    let error;
    try {
      restored = await k.restore();
    } catch (e) {
      error = e;
    }
    if (k == keeper) {
      try {
        const claims = k.claims();
        if (claims) set("signedIn", claims);
        // `aborted`: a login or a logout overtook the restore; its own outcome moves the status.
        else if (!error || error.code == "aborted") set("signedOut");
        else set("failed", undefined, error);
      } catch (e) {
        set("failed", undefined, e);
      }
    }
    if (error && rethrow) throw error;
    return restored;
  }

  async function begin(mine) {
    let k;
    try {
      await init(wasm);
      if (mine != run) return;
      k = new TokenKeeper(options);
    } catch (error) {
      if (mine != run) return;
      made.reject(error);
      set("failed", undefined, error);
      return;
    }
    keeper = k;
    k.on("token", ({ claims }) => set("signedIn", claims));
    k.on("logout", () => set("signedOut"));
    made.resolve(k);
    restore(k, false);
  }

  function end() {
    run++;
    running = false;
    keeper?.dispose();
    keeper = undefined;
    made.reject(unmounted());
    settled.reject(unmounted());
    made = deferred();
    settled = deferred();
    value = initial;
    for (const listener of [...listeners]) listener();
  }

  return {
    /** From an effect: makes the keeper (once), and returns the effect's cleanup. */
    start() {
      clearTimeout(stopping);
      if (!running) {
        running = true;
        begin(++run);
      }
      // StrictMode (in development) runs an effect, its cleanup and the effect again at once:
      // the keeper is disposed, and the calls still waiting for it refused, only when no start
      // follows within the task. A child's effect that called fetch() at mount keeps waiting.
      return () => {
        stopping = setTimeout(end);
      };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get: () => value,
    server: () => initial,
  };
}

/**
 * Makes the keeper for the tree below, in the browser, and restores the session. `options` are
 * read once, when the provider first renders; `wasm` (optional) is what `init()` loads.
 */
export function TokenKeeperProvider({ options, wasm, children }) {
  const [store] = useState(() => createStore(options, wasm));
  useEffect(() => store.start(), [store]);
  return createElement(Context.Provider, { value: store }, children);
}

/** The auth state of the nearest TokenKeeperProvider (see the top of this file). */
export function useAuth() {
  const store = useContext(Context);
  if (!store) throw new Error("useAuth: no TokenKeeperProvider above this component");
  return useSyncExternalStore(store.subscribe, store.get, store.server);
}
