// The wasm half's plumbing: loading it, and the calling convention of npm/wasm/src/api.rs.
// Strings go in as UTF-8 at `buf(len)`; answers come back in registers (`reg()`, eight numbers)
// and one out string (its address and length are registers 6 and 7).

import * as js from "./intrinsics.js";
import { host } from "./host.js";

export let wasm; // the wasm's exports, once init() resolved
let loading; // init()'s promise
let broken = false; // a throw out of the wasm stopped it (halt())
const encoder = new js.TextEncoder();
const decoder = new js.TextDecoder();

// A server (SSR, prerendering, Node): neither a window nor a worker. There `init()` with no
// argument loads nothing and resolves, so a module that awaits it at its top can be rendered;
// the keeper itself runs in the browser (`core()` says so).
const server = !globalThis.window && !globalThis.WorkerGlobalScope;

/**
 * Loads the wasm; call once and await it before anything else. With no argument it fetches
 * `token-keeper.wasm` next to this module (bundlers see the `new URL(…, import.meta.url)` and
 * ship the file) — on a server it resolves without loading anything. Also takes a URL, a
 * `Response`, bytes or a `WebAssembly.Module` (which load on a server too).
 */
export default function init(input) {
  if (input === undefined && server) return Promise.resolve();
  loading ??= load(input ?? new URL("token-keeper.wasm", import.meta.url)).catch((e) => {
    loading = undefined; // a failed load may be tried again
    throw e;
  });
  return loading;
}

async function load(input) {
  input = await input; // the .d.ts takes a promise of any input too
  if (typeof input == "string" || input instanceof URL || input instanceof Request) {
    input = fetch(input);
  }
  input = await input;
  if (input instanceof Response) {
    const status = input.status;
    if (!input.ok) throw problem("network", `the wasm could not be loaded: ${status}`, status);
    input = await input.arrayBuffer();
  }
  const made = await WebAssembly.instantiate(input, { tk: { segment, cookies } });
  wasm = (made.instance ?? made).exports;
}

const text = (at, len) => js.decode(decoder, new js.Uint8Array(js.buffer(wasm.memory), at, len));

// UTF-8 as a JWT segment must be: a byte that is not is an error, and a leading BOM stays (and
// is then no JSON), as Rust's `String::from_utf8` and serde_json read it.
const strict = new js.TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * One of the wasm's two imports: the core reads no base64, UTF-8 or JSON itself. A JWT segment
 * it reads (base64url at `at`, checked and its padding cut off by the core) is decoded here with
 * `atob`, `TextDecoder` and `JSON.parse`; its text and members are handed over with `field`
 * (npm/wasm/src/fields.rs). 0: not base64, 1: not UTF-8, else as `parse`.
 */
function segment(at, len) {
  let bytes;
  try {
    // Built-ins taken at load only: a page's could read, or change, what the core reads.
    const binary = js.atob(js.replaceAll(js.replaceAll(text(at, len), "-", "+"), "_", "/"));
    bytes = new js.Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = js.charCodeAt(binary, i);
  } catch {
    return 0;
  }
  let json;
  try {
    json = js.decode(strict, bytes);
  } catch {
    return 1;
  }
  field(8, 0, "", json);
  return parse(json);
}

/**
 * An auth answer's body, parsed and its members handed over just before the answer: the kind
 * the export `auth_answer` takes.
 */
export function parsed(text) {
  wasm.field(9, 0, 0, 0); // a new text: nothing collected before it counts
  return parse(text);
}

/** `JSON.parse` of `text`, each member handed over: 2 not JSON, 3 not an object, 4 an object. */
function parse(text) {
  let value;
  try {
    value = js.parse(text);
  } catch {
    return 2;
  }
  if (!value || typeof value != "object" || js.isArray(value)) return 3;
  const keys = js.keys(value);
  for (let i = 0; i < keys.length; i++) give(keys[i], value[keys[i]]);
  return 4;
}

/**
 * The wasm's other import: the page's cookies (`document.cookie`, or what the isolated entry's
 * page handed its worker), read when the core sends an auth call with CSRF on (its header),
 * written where `room` says; their length in bytes. A jar that cannot be read (a sandboxed
 * frame) reads as none: nothing may throw through the wasm.
 */
function cookies() {
  let text = "";
  try {
    text = host.cookies();
  } catch {}
  const utf8 = js.encode(encoder, text);
  const at = wasm.room(utf8.length); // first: it may grow the memory, which gets a new buffer
  js.setBytes(new js.Uint8Array(js.buffer(wasm.memory), at, utf8.length), utf8);
  return utf8.length;
}

/** Hands member `key` over (kinds in npm/wasm/src/fields.rs). Indexed loops: a page's
 * `Array.prototype` methods see nothing of the body. */
function give(key, v) {
  const kind = typeof v;
  if (kind == "string") return field(3, 0, key, v);
  if (kind == "number" || kind == "boolean") return field(kind == "number" ? 2 : 1, +v, key);
  if (v === null) return field(0, 0, key);
  let strings = js.isArray(v);
  for (let i = 0; strings && i < v.length; i++) strings = typeof v[i] == "string";
  if (!strings) return field(7, 0, key);
  field(4, 0, key);
  for (let i = 0; i < v.length; i++) field(5, 0, "", v[i]);
}

/** Hands a member over: room for its key's and its text's UTF-8 from `field`, then the bytes. */
function field(kind, number, key, text = "") {
  const k = js.encode(encoder, key);
  const t = js.encode(encoder, text);
  const at = wasm.field(kind, number, k.length, t.length);
  const memory = new js.Uint8Array(js.buffer(wasm.memory), at, k.length + t.length);
  js.setBytes(memory, k);
  js.setBytes(memory, t, k.length);
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
    return js.fetch(request);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Whether a request can be built twice from its arguments: a URL and a body that is no stream. */
export const replayable = (input, init) =>
  (typeof input == "string" || input instanceof URL) && !(init?.body instanceof ReadableStream);

/** The wasm, or a clear error when init() has not resolved yet or the wasm stopped. */
export function core() {
  if (broken) throw stopped();
  if (!wasm) {
    throw configError(
      server
        ? "token-keeper runs in the browser: make the keeper in client-only code"
        : "token-keeper is not initialized: `await init()` before using it",
    );
  }
  return wasm;
}

const stopped = () =>
  problem("internal", "token-keeper stopped after an internal error; reload the page");

/**
 * The error for `e`, thrown while the wasm ran. A trap (a `WebAssembly.RuntimeError`: an
 * allocation that failed, say) left the wasm's one state, shared by every keeper of the page,
 * borrowed and half changed: the wasm stops, and every later call fails with `internal`. Any
 * other error is returned as it is.
 */
export function halt(e) {
  if (!(e instanceof WebAssembly.RuntimeError)) return e;
  broken = true;
  return stopped();
}

/**
 * The longest text from outside the page (a tab's message, an auth answer's body) that is
 * handed to the wasm, in UTF-16 units: far more than any token or tab word needs, and never
 * enough to exhaust the wasm's memory (see issue 19).
 */
export const MAX_INPUT = 65536;

/** Writes `text` where the wasm reads its string argument; returns its length in bytes. */
export function put(text) {
  const room = text.length * 3;
  try {
    const at = wasm.buf(room); // traps when the memory cannot grow that far
    return js.encodeInto(encoder, text, new js.Uint8Array(js.buffer(wasm.memory), at, room)).written;
  } catch (e) {
    throw halt(e);
  }
}

/** The registers. A fresh view each time: memory that grew has a new buffer. */
export const registers = () => new js.Float64Array(js.buffer(wasm.memory), wasm.reg(), 8);

/** The out string. */
export function said() {
  const r = registers();
  return js.decode(decoder, new js.Uint8Array(js.buffer(wasm.memory), r[6], r[7]));
}

/** The error the wasm just reported: `code\nmessage` out, the status in register 3. */
export function failure() {
  const text = said();
  const cut = text.indexOf("\n");
  return problem(text.slice(0, cut), text.slice(cut + 1), registers()[3]);
}

