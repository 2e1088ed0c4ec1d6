// DPoP (RFC 9449, option `dpop`): this tab's key, and the proofs it signs with it.
//
// The key pair is made when the keeper starts, with `extractable: false`, and is kept in this
// module's memory only — never in IndexedDB or any storage: a reload makes a new one, and
// `restore()` gets a token bound to it. What a proof says besides its `jti`, `iat` and `ath` (the
// URL without query and fragment, the server's nonce) is the core's; this only signs.
//
// WebCrypto's methods are the ones this module found when it was evaluated: a script that runs
// later and replaces them (to ask for an exportable key, or to watch) is never called. A script
// that runs before could still replace them: a key that can be exported is refused, and the
// keeper then fails every call that needs a proof, as without WebCrypto (see issue 19).

import { problem } from "./core.js";
import * as js from "./intrinsics.js";

const webCrypto = globalThis.crypto;
const subtle = webCrypto?.subtle;
// Bound now, as a call on those objects would find them; undefined outside a secure context.
const [generateKey, exportKey, sign, digest] = ["generateKey", "exportKey", "sign", "digest"].map(
  (name) => subtle?.[name].bind(subtle),
);
const randomUUID = webCrypto?.randomUUID?.bind(webCrypto);
const encoder = new js.TextEncoder();
const bytes = (text) => js.encode(encoder, text);

/** Base64url without padding, of bytes (an ArrayBuffer or a Uint8Array). */
const b64u = (data) =>
  btoa(String.fromCharCode(...new Uint8Array(data)))
    .replace(/=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");

const json64 = (value) => b64u(bytes(JSON.stringify(value)));

export class Dpop {
  #key; // a promise of { key: the private key, header: the proof header, encoded }

  constructor() {
    const alg = { name: "ECDSA", namedCurve: "P-256" };
    this.#key = (async () => {
      const { privateKey, publicKey } = await generateKey(alg, false, ["sign"]);
      if (privateKey.extractable !== false) throw 0; // made by another generateKey than ours
      // The public half is always exportable; only these four members go in a proof.
      const { kty, crv, x, y } = await exportKey("jwk", publicKey);
      // No prototype, read by name: resolving looks up `then` on it, and an array's iterator is
      // the page's to replace; neither may get the key, which signs proofs.
      const header = json64({ typ: "dpop+jwt", alg: "ES256", jwk: { crv, kty, x, y } });
      return { __proto__: null, key: privateKey, header };
    })().catch(() => {
      // Each call that needs a proof fails with this: an auth call as a network failure, an
      // app request rejected with it.
      throw problem("network", "no dpop key: WebCrypto made none that cannot be exported");
    });
    this.#key.catch(() => {}); // nobody may ask for a proof: not an unhandled rejection
  }

  /**
   * A proof for a `method` request: `htu` and `nonce` (none when empty) as the core gave them,
   * and `token` (for `ath`) when the request carries it.
   */
  async proof(method, htu, nonce, token) {
    const made = await this.#key;
    const key = made.key;
    const header = made.header;
    const claims = { jti: randomUUID(), htm: method, htu, iat: Math.floor(Date.now() / 1000) };
    if (nonce) claims.nonce = nonce;
    if (token) claims.ath = b64u(await digest("SHA-256", bytes(token)));
    const input = header + "." + json64(claims);
    // ECDSA in WebCrypto signs as r||s, 64 bytes: JWS's own ES256 form.
    const signature = await sign({ name: "ECDSA", hash: "SHA-256" }, key, bytes(input));
    return input + "." + b64u(signature);
  }
}
