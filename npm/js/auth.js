// An auth call's answer as the core takes it, and an answer's DPoP nonce handed to the core.

import { wasm, put, MAX_INPUT } from "./core.js";
import * as js from "./intrinsics.js";

/**
 * POSTs an auth call: [status, body text, `Retry-After` in seconds (NaN when absent), the
 * `tokenHeader` value (if the answer has one)]. With `dpop` (`handle` given), the answer's nonce
 * goes to that keeper's core. Throws what `fetch` throws.
 */
export async function post(url, init, tokenHeader, handle) {
  const response = await js.fetch(url, init);
  const headers = js.responseHeaders(response);
  const retryAfter = Number(js.getHeader(headers, "retry-after")?.trim() ?? NaN);
  const token = tokenHeader && js.getHeader(headers, tokenHeader);
  if (handle !== undefined) nonce(handle, response);
  let text = await js.responseText(response);
  // A longer one holds no token: handed over as "", which the core finds no JSON object.
  if (text.length > MAX_INPUT) text = "";
  return [response.status, text, retryAfter, token];
}

/** With `dpop`: an answer's `DPoP-Nonce`, for the core to put in later proofs to its origin. */
export function nonce(handle, response) {
  const value = js.getHeader(js.responseHeaders(response), "dpop-nonce");
  if (value != null) {
    wasm.token_header(put(value));
    wasm.dpop_nonce(handle, put(response.url));
  }
}
