// The built-ins the driver hands a secret to (the access token, a CSRF value, the login
// credentials), taken when this module is evaluated: a page script that replaces them later —
// `window.fetch`, `Headers.prototype.set`, `JSON.parse`, `TextDecoder.prototype.decode`… (RFC
// 10017 §8.4, the weakness of in-memory closures) — is never called with a secret. A script
// that ran before this module could have replaced them already; nothing in the page can stop
// that (the security notes say what can).

const { apply } = Reflect;
const G = globalThis;

/** `proto[name]`, called on the receiver given first. */
const method = (proto, name) => {
  const f = proto?.[name];
  return (self, ...args) => apply(f, self, args);
};
/** The getter of `proto[name]`, called on the receiver given. */
const getter = (proto, name) => {
  const get = proto && Object.getOwnPropertyDescriptor(proto, name)?.get;
  return (self) => apply(get, self, []);
};

const windowFetch = G.fetch;
export const fetch = (...args) => apply(windowFetch, G, args);
const windowAtob = G.atob;
export const atob = (text) => apply(windowAtob, G, [text]);
export const { Request, Headers, Uint8Array, Float64Array, TextEncoder, TextDecoder } = G;
// The wasm's memory: a getter a page script put here would be handed the `Memory`, all of it.
export const buffer = getter(G.WebAssembly?.Memory.prototype, "buffer");
export const { parse, stringify } = JSON;
export const { keys, hasOwn } = Object;
export const { isArray } = Array;
export const requestHeaders = getter(Request?.prototype, "headers");
export const responseHeaders = getter(G.Response?.prototype, "headers");
export const responseText = method(G.Response?.prototype, "text");
export const setHeader = method(Headers?.prototype, "set");
export const getHeader = method(Headers?.prototype, "get");
export const deleteHeader = method(Headers?.prototype, "delete");
export const encode = method(TextEncoder?.prototype, "encode");
export const encodeInto = method(TextEncoder?.prototype, "encodeInto");
export const decode = method(TextDecoder?.prototype, "decode");
export const setBytes = method(Uint8Array.prototype, "set");
export const slice = method(String.prototype, "slice");
export const replaceAll = method(String.prototype, "replaceAll");
export const charCodeAt = method(String.prototype, "charCodeAt");
export const split = method(String.prototype, "split");
export const then = method(Promise.prototype, "then");
