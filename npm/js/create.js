// What the driver makes from what the wasm and the page hand over: a keeper in the wasm from
// `new TokenKeeper(options)` (the options as JSON, which the core reads with JSON.parse through
// its import and checks; the page's origin; the auth URLs and the allowed origins as the browser
// resolves them; what the page offers for tabs), a JWT's claims, and an event's detail.

import { core, halt, problem, put, said, failure } from "./core.js";
import { host } from "./host.js";

/**
 * Decodes a JWT's claims (or, with `{ header: true }`, its header) without verifying its
 * signature. Throws a `TokenKeeperError` with code `invalid_token` naming what is wrong.
 */
export function decodeJwt(token, options) {
  const w = core();
  if (typeof token != "string") {
    throw problem("invalid_token", "decodeJwt expects the token as a string");
  }
  try {
    if (!w.decode(put(token), options?.header ? 1 : 0)) throw failure();
    return JSON.parse(said());
  } catch (e) {
    throw halt(e);
  }
}

// Frees the wasm side of a keeper the page no longer references.
export const collected = new FinalizationRegistry((handle) => {
  try {
    core().free(handle);
  } catch (e) {
    halt(e);
  }
});

/** The detail of event `kind` (0 token, 1 refresh, 2 logout, 3 error) the core emitted. */
export const detail = (kind, expiresAt, text) =>
  [
    () => ({
      claims: JSON.parse(text),
      expiresAt: expiresAt == expiresAt ? expiresAt : undefined,
    }),
    () => ({ trigger: text }),
    () => ({ reason: text }),
    failure,
  ][kind]?.();

/**
 * Makes the keeper: [its handle, the lock's and channel's name (empty when tabs are not
 * coordinated), whether a channel opens here (1 or 2, 0 when not), the resolved [loginUrl, refreshUrl,
 * logoutUrl]]. Throws the core's `config` error.
 */
export function create(w, options) {
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
  const urls = [options?.loginUrl, options?.refreshUrl, options?.logoutUrl].map(resolve);
  const [login, refresh, logout] = urls;
  const lines = [json, globalThis.origin ?? "", refresh, login, logout];
  if (Array.isArray(options?.allowedOrigins)) lines.push(...options.allowedOrigins.map(origin));
  let channels = 0; // whether a channel opens here (an opaque origin may refuse one)
  try {
    new BroadcastChannel("token-keeper-probe").close();
    channels = host.tabTokens ? 1 : 2; // 2: a channel whose messages carry no token
  } catch {}
  try {
    const handle = w.create(
      put(lines.join("\n")),
      globalThis.navigator?.locks ? 1 : 0,
      channels,
      Math.random() * 2 ** 53,
    );
    if (handle < 0) throw failure();
    return [handle, said(), channels, urls];
  } catch (e) {
    throw halt(e);
  }
}
