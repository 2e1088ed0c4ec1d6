// What both entries (token-keeper.js, isolated.js) do alike with the page: the app's listeners of
// a keeper's events, and the page events after which a keeper checks its timer.

import { configError } from "./core.js";

/** The events, in the core's order (npm/wasm/src/commands.rs, `Emit`). */
export const EVENTS = ["token", "refresh", "logout", "error"];

/**
 * Calls `wake` after the page events that follow a sleep or a throttled timer (`pageshow`,
 * `focus`, `online`, `visibilitychange`), until `signal` aborts.
 */
export function onWakeUps(wake, signal) {
  for (const name of ["pageshow", "focus", "online"]) globalThis.addEventListener?.(name, wake, { signal });
  globalThis.document?.addEventListener("visibilitychange", wake, { signal });
}

/**
 * `keeper.on(event, listener)` on `listeners`, a keeper's list of `[event, listener]`: adds it
 * and returns the function that takes it out again.
 */
export function listen(listeners, event, listener) {
  if (!EVENTS.includes(event)) {
    throw configError("on() takes one of the events token, refresh, logout, error");
  }
  if (typeof listener != "function") throw configError("on() takes a listener function");
  const entry = [event, listener];
  listeners.push(entry);
  return () => {
    const at = listeners.indexOf(entry);
    if (at >= 0) listeners.splice(at, 1);
  };
}

/** Calls the listeners of `event` among `listeners` with `detail`. */
export function emit(listeners, event, detail) {
  // A copy: a listener may subscribe, unsubscribe or call the keeper.
  for (const [name, listener] of [...listeners]) {
    if (name == event) {
      try {
        listener(detail);
      } catch {} // a listener that throws must not break the keeper or the others
    }
  }
}
