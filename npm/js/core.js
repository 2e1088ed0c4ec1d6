// The wasm half's plumbing: loading it, and the calling convention of npm/wasm/src/api.rs.
// Strings go in as UTF-8 at `buf(len)`; answers come back in registers (`reg()`, eight numbers)
// and one out string (its address and length are registers 6 and 7).

export let wasm; // the wasm's exports, once init() resolved
let loading; // init()'s promise
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Loads the wasm; call once and await it before anything else. With no argument it fetches
 * `token-keeper.wasm` next to this module (bundlers see the `new URL(…, import.meta.url)` and
 * ship the file). Also takes a URL, a `Response`, bytes or a `WebAssembly.Module`.
 */
export default function init(input) {
  loading ??= load(input ?? new URL("token-keeper.wasm", import.meta.url)).catch((e) => {
    loading = undefined; // a failed load may be tried again
    throw e;
  });
  return loading;
}

async function load(input) {
  if (typeof input == "string" || input instanceof URL || input instanceof Request) {
    input = fetch(input);
  }
  input = await input;
  if (input instanceof Response) {
    const status = input.status;
    if (!input.ok) throw problem("network", `the wasm could not be loaded: ${status}`, status);
    input = await input.arrayBuffer();
  }
  const made = await WebAssembly.instantiate(input);
  wasm = (made.instance ?? made).exports;
}

/** A `TokenKeeperError`: an `Error` with a literal `name`, a stable `code`, maybe a `status`. */
export function problem(code, message, status) {
  const e = new Error(message);
  e.name = "TokenKeeperError";
  e.code = code;
  if (status) e.status = status;
  return e;
}

export const configError = (message) => problem("config", message);
export const dropped = () => Promise.reject(problem("aborted", "the request was dropped"));

/** `fetch`, with a synchronous throw (a replaced `fetch`) turned into a rejection. */
export function send(request) {
  try {
    return fetch(request);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Whether a request can be built twice from its arguments: a URL and a body that is no stream. */
export const replayable = (input, init) =>
  (typeof input == "string" || input instanceof URL) && !(init?.body instanceof ReadableStream);

/** The wasm, or a clear error when init() has not resolved yet. */
export function core() {
  if (!wasm) {
    throw configError("token-keeper is not initialized: `await init()` before using it");
  }
  return wasm;
}

/** Writes `text` where the wasm reads its string argument; returns its length in bytes. */
export function put(text) {
  const room = text.length * 3;
  const at = wasm.buf(room);
  return encoder.encodeInto(text, new Uint8Array(wasm.memory.buffer, at, room)).written;
}

/** The registers. A fresh view each time: memory that grew has a new buffer. */
export const registers = () => new Float64Array(wasm.memory.buffer, wasm.reg(), 8);

/** The out string. */
export function said() {
  const r = registers();
  return decoder.decode(new Uint8Array(wasm.memory.buffer, r[6], r[7]));
}

/** The error the wasm just reported: `code\nmessage` out, the status in register 3. */
export function failure() {
  const text = said();
  const cut = text.indexOf("\n");
  return problem(text.slice(0, cut), text.slice(cut + 1), registers()[3]);
}

