// A login's credentials as the driver sends them, an auth call's answer as the core takes it, and
// an answer's DPoP nonce handed to the core.

import { configError, MAX_INPUT } from "./core.js";
import * as js from "./intrinsics.js";

/**
 * `login(body, init)`'s arguments as they will be sent: `{ json, headers }`, copied now, so a
 * caller changing its objects later changes nothing. Throws a `config` error.
 */
export function credentials(body, init) {
  let json;
  try {
    json = js.stringify(body);
  } catch {}
  if (json === undefined) throw configError("login expects a body that JSON can encode");
  try {
    const headers = Object.entries(init?.headers ?? {});
    if (!headers.every(([, v]) => typeof v == "string")) throw 0;
    new Headers(headers); // the browser's own check of names and values
    return { json, headers };
  } catch {
    throw configError("login's init.headers must map valid names to strings");
  }
}

/**
 * POSTs an auth call: [status, body text, `Retry-After` in seconds (NaN when absent), the
 * `tokenHeader` value and the `DPoP-Nonce` (each if the answer has one)]. Throws what `fetch`
 * throws.
 */
export async function post(url, init, tokenHeader) {
  const response = await js.fetch(url, init);
  const headers = js.responseHeaders(response);
  const retryAfter = Number(js.getHeader(headers, "retry-after")?.trim() ?? NaN);
  const token = tokenHeader && js.getHeader(headers, tokenHeader);
  let text = await js.responseText(response);
  // A longer one holds no token: handed over as "", which the core finds no JSON object.
  if (text.length > MAX_INPUT) text = "";
  return [response.status, text, retryAfter, token, nonce(response)];
}

/**
 * An answer's `DPoP-Nonce` (null when it has none), handed to the core with the answer: it
 * keeps it for later proofs to that origin when `dpop` is on.
 */
export const nonce = (response) => js.getHeader(js.responseHeaders(response), "dpop-nonce");
