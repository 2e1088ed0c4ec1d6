// The options' types, checked where they are written: both entries' constructors throw a
// `config` error naming an option of the wrong type, before anything is made. Their meaning
// (ranges, combinations, URLs, a required refreshUrl) the core checks.

import { configError } from "./core.js";
import * as js from "./intrinsics.js";

// The options in the order the wasm's create takes them (npm/wasm/src/create.rs): the strings,
// then the numbers, then the flags.
export const STRINGS = ["refreshUrl", "loginUrl", "logoutUrl", "tokenField", "channelName", "tokenHeader", "refreshMethod"];
export const NUMBERS = ["refreshLeadMs", "refreshLeadRatio", "jitterRatio", "timeoutMs"];
export const FLAGS = ["crossTab", "sendAccessTokenOnRefresh", "dpop", "refreshAfterLogin", "csrf", "allowedOrigins"];
export const CSRF = ["headerName", "cookieName", "responseField"];
export const RETRY = ["attempts", "baseDelayMs", "maxDelayMs"];

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
 * `url` resolved against the page, as the auth URLs are (in the isolated entry's worker they
 * would resolve against its script); `undefined` when it does not parse.
 */
export const atPage = (url) => {
  try {
    return new URL(url, globalThis.location?.href).href;
  } catch {} // the core names the option
};

/**
 * The options as the keeper takes them: a copy of `options`' own properties, each of the right
 * type (a `URL` object as its `href`). Throws a `config` error naming the first that is not.
 */
export function checked(options) {
  if (!object(options)) throw bad("options", "must be an object with refreshUrl");
  try {
    return members(options, "", js.keys(TYPES));
  } catch (e) {
    throw e?.code ? e : bad("options", "could not be read"); // a getter threw
  }
}
