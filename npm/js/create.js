// What the driver makes from what the wasm and the page hand over: a keeper in the wasm from
// `new TokenKeeper(options)` (the options typed here — each of the right type, no unknown name —
// and handed over as lines and numbers, whose meaning the core checks; the page's origin; the auth
// URLs and the allowed origins as the browser resolves them; what the page offers for tabs), a
// JWT's claims, and an event's detail.

import { core, configError, halt, problem, put, said, failure } from "./core.js";
import * as js from "./intrinsics.js";
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

// The options' types, in the order the wasm's create takes them (npm/wasm/src/create.rs): the
// strings, then the numbers, then the flags. Their meaning (ranges, combinations, a required
// refreshUrl) the core checks.
const STRINGS = ["refreshUrl", "loginUrl", "logoutUrl", "tokenField", "channelName", "tokenHeader", "refreshMethod"];
const NUMBERS = ["refreshLeadMs", "refreshLeadRatio", "jitterRatio", "timeoutMs"];
const FLAGS = ["crossTab", "sendAccessTokenOnRefresh", "dpop", "refreshAfterLogin", "csrf", "allowedOrigins"];
const CSRF = ["headerName", "cookieName", "responseField"];
const RETRY = ["attempts", "baseDelayMs", "maxDelayMs"];

const bad = (name, what) => configError(`option \`${name}\` ${what}`);
const object = (v) => v && typeof v == "object" && !js.isArray(v);
// Each check returns what is handed over: the value, or a copy of it.
const string = (v, name) => {
  if (v instanceof URL) v = v.href; // as JSON.stringify wrote one
  if (typeof v != "string") throw bad(name, "must be a string");
  // A URL parser drops line breaks; in any other option one would be part of the value, which
  // the lines handed to the wasm cannot carry.
  if (name.endsWith("Url")) v = v.replaceAll("\n", "");
  if (v.includes("\n")) throw bad(name, "must not contain a line break");
  return v;
};
const number = (v, name) => {
  if (!Number.isFinite(v)) throw bad(name, "must be a finite number");
  return v;
};
const boolean = (v, name) => {
  if (typeof v != "boolean") throw bad(name, "must be a boolean");
  return v;
};
// Each option's check. An option `undefined` is one not given.
const TYPES = {
  ...Object.fromEntries(STRINGS.map((n) => [n, string])),
  ...Object.fromEntries(NUMBERS.map((n) => [n, number])),
  ...Object.fromEntries(FLAGS.slice(0, 4).map((n) => [n, boolean])),
  allowedOrigins: (v, name) => {
    const list = js.isArray(v) && [...v];
    if (!list || !list.every((s) => typeof s == "string")) throw bad(name, "must be an array of strings");
    return list;
  },
  csrf: (v, name) => {
    if (v !== false && !object(v)) throw bad(name, "must be false or an object");
    return v && members(v, "csrf.", CSRF, string);
  },
  retry: (v, name) => {
    if (!object(v)) throw bad(name, "must be an object");
    return members(v, "retry.", RETRY, number);
  },
};

/**
 * The members of `o` named in `names`, each checked (with `check`) and read once, in an object
 * of no prototype: its own properties only (JSON.stringify's), so that nothing set on
 * `Object.prototype` by some library becomes an option. Any other name is refused.
 */
function members(o, prefix, names, check) {
  const copy = { __proto__: null };
  for (const key of js.keys(o)) {
    const v = o[key];
    if (v === undefined) continue;
    const name = prefix + key;
    if (!names.includes(key)) throw bad(name, "is not an option of TokenKeeper");
    copy[key] = (check ?? TYPES[key])(v, name);
  }
  return copy;
}

/**
 * Makes the keeper: [its handle, the lock's and channel's name (empty when tabs are not
 * coordinated), whether a channel opens here (1 or 2, 0 when not), the resolved [loginUrl, refreshUrl,
 * logoutUrl]]. Throws a `config` error: an option of the wrong type here, the core's otherwise.
 */
export function create(w, options) {
  if (!object(options)) throw bad("options", "must be an object with refreshUrl");
  let o;
  try {
    o = members(options, "", js.keys(TYPES));
  } catch (e) {
    throw e?.code ? e : bad("options", "could not be read"); // a getter threw
  }
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
  const urls = [o.loginUrl, o.refreshUrl, o.logoutUrl].map(resolve);
  const [login, refresh, logout] = urls;
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
    return [handle, said(), channels, urls];
  } catch (e) {
    throw halt(e);
  }
}
