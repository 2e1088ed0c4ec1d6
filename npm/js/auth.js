// A login's credentials as the driver sends them, an auth call's answer as the core takes it, and
// an answer's DPoP nonce handed to the core.

import { configError, MAX_INPUT } from "./core.js";
import * as js from "./intrinsics.js";

/**
 * `login(body, init)`'s arguments as they will be sent: `{ json, headers, lines }`, copied now,
 * so a caller changing its objects later changes nothing — the body's JSON (on one line:
 * `JSON.stringify` writes no line break), the headers as `[name, value]` pairs, each value as the
 * browser's `Headers` normalizes it (no line break either), and `lines`, the JSON then each name
 * and value on a line of its own, as the core takes them. Only built-ins taken at load see them.
 * Throws a `config` error.
 */
export function credentials(body, init) {
  let json;
  try {
    json = js.stringify(body);
  } catch {}
  if (json === undefined) throw configError("login expects a body that JSON can encode");
  try {
    const given = init?.headers ?? {};
    const names = js.keys(given);
    const checked = new js.Headers();
    const headers = [];
    let lines = json;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const raw = given[name]; // read once: a getter may answer differently each time
      if (typeof raw != "string") throw 0;
      js.setHeader(checked, name, raw); // the browser's own check of names and values
      const value = js.getHeader(checked, name);
      headers[i] = [name, value];
      lines += "\n" + name + "\n" + value;
    }
    return { json, headers, lines };
  } catch {
    throw configError("login's init.headers must map valid names to strings");
  }
}

/**
 * POSTs an auth call: `{ status, text, retryAfter, token, nonce }` — the body's text,
 * `Retry-After` in seconds (NaN when absent), the `tokenHeader` value and the `DPoP-Nonce` (each
 * if the answer has one). An object, not an array: destructuring an array calls its iterator,
 * which a page script may have replaced, with the body that holds the token. Throws what
 * `fetch` throws.
 */
export async function post(url, init, tokenHeader) {
  const response = await js.fetch(url, init);
  const headers = js.responseHeaders(response);
  const retryAfter = Number(js.getHeader(headers, "retry-after")?.trim() ?? NaN);
  const token = tokenHeader && js.getHeader(headers, tokenHeader);
  let text = await js.responseText(response);
  // A longer one holds no token: handed over as "", which the core finds no JSON object.
  if (text.length > MAX_INPUT) text = "";
  // No prototype either: resolving this async function's promise looks up `then` on it.
  return { __proto__: null, status: response.status, text, retryAfter, token, nonce: nonce(response) };
}

/**
 * An answer's `DPoP-Nonce` (null when it has none), handed to the core with the answer: it
 * keeps it for later proofs to that origin when `dpop` is on.
 */
export const nonce = (response) => js.getHeader(js.responseHeaders(response), "dpop-nonce");
