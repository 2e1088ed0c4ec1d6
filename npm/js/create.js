// What the driver makes from what the wasm and the page hand over: a keeper in the wasm from
// `new TokenKeeper(options)` (the options typed here — each of the right type, no unknown name —
// and handed over as lines and numbers, whose meaning the core checks; the page's origin; the auth
// URLs and the allowed origins as the browser resolves them; what the page offers for tabs), a
// JWT's claims, and an event's detail.

import { core, halt, problem, put, said, failure } from "./core.js";
import { atPage, checked, CSRF, FLAGS, NUMBERS, RETRY, STRINGS } from "./options.js";
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
 * coordinated), whether a channel opens here (1 or 2, 0 when not)]. Throws a `config` error: an
 * option of the wrong type here, the core's otherwise.
 */
export function create(w, options) {
  const o = checked(options);
  const resolve = (url) => (url === undefined ? "" : (atPage(url) ?? ""));
  const origin = (url) => {
    try {
      return new URL(url).origin;
    } catch {
      return "";
    }
  };
  const [login, refresh, logout] = [o.loginUrl, o.refreshUrl, o.logoutUrl].map(resolve);
  const none = { __proto__: null };
  const csrf = o.csrf || none;
  const retry = o.retry ?? none;
  const given = (v) => (v === undefined ? "" : "=" + v);
  const page = String(globalThis.origin ?? "");
  const lines = [page.includes("\n") ? "" : page, refresh, login, logout, ...STRINGS.map((n) => given(o[n])), ...CSRF.map((n) => given(csrf[n]))];
  if (o.allowedOrigins) lines.push(...o.allowedOrigins.map(origin));
  let flags = 0;
  FLAGS.forEach((n, i) => (flags |= (o[n] === undefined ? 0 : o[n] ? 2 : 1) << (2 * i)));
  const numbers = [...NUMBERS.map((n) => o[n]), ...RETRY.map((n) => retry[n])].map((v) => v ?? NaN);
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
      flags,
      ...numbers,
    );
    if (handle < 0) throw failure();
    return [handle, said(), channels];
  } catch (e) {
    throw halt(e);
  }
}
