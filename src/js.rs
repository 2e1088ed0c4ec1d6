//! The `#[wasm_bindgen]` facade: everything JavaScript sees, and nothing else.

use js_sys::{Error as JsError, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;

use crate::{jwt, Error};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The stable codes of a `TokenKeeperError`. */
export type TokenKeeperErrorCode =
  | "config" | "network" | "timeout" | "http"
  | "invalid_token" | "unauthenticated" | "rejected" | "aborted";

/** Every error token-keeper throws or emits: a plain `Error` with a literal `name` and a `code`. */
export interface TokenKeeperError extends Error {
  name: "TokenKeeperError";
  code: TokenKeeperErrorCode;
  /** The HTTP status, for `http` errors. */
  status?: number;
}

/** The registered claims of RFC 7519, typed; every other claim is kept as the token had it. */
export interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds since the epoch; may carry a fraction. */
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** The JOSE header of a JWT. */
export interface JwtHeader {
  alg?: string;
  typ?: string;
  kid?: string;
  [parameter: string]: unknown;
}

/** Options of `decodeJwt`. */
export interface DecodeJwtOptions {
  /** Return the header instead of the claims. Default `false`. */
  header?: boolean;
}

/**
 * Decodes a JWT's claims (or, with `{ header: true }`, its header) **without verifying the
 * signature**: use the result for display and scheduling, never for an access decision.
 * Throws a `TokenKeeperError` with code `invalid_token` naming what is wrong.
 */
export function decodeJwt(token: string, options: { header: true }): JwtHeader;
export function decodeJwt(token: string, options?: DecodeJwtOptions): Claims;
"#;

/// Turns an [`Error`] into the JavaScript `Error` the package documents.
pub(crate) fn to_js_error(err: &Error) -> JsValue {
    let js = JsError::new(err.message());
    js.set_name("TokenKeeperError");
    let object: &JsValue = js.as_ref();
    // Setting a property on a fresh Error object cannot fail; ignore the impossible.
    let _ = Reflect::set(object, &"code".into(), &err.code().into());
    if let Some(status) = err.status() {
        let _ = Reflect::set(object, &"status".into(), &status.into());
    }
    js.into()
}

/// `decodeJwt(token, options?)`: see the TypeScript declaration above.
#[wasm_bindgen(js_name = decodeJwt, skip_typescript)]
pub fn decode_jwt(token: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let Some(token) = token.as_string() else {
        return Err(to_js_error(&Error::new(
            crate::ErrorKind::InvalidToken,
            "decodeJwt expects the token as a string",
        )));
    };
    let want_header = options.is_object()
        && Reflect::get(&options, &"header".into())
            .map(|v| v.is_truthy())
            .unwrap_or(false);
    let json = if want_header {
        jwt::decode_header_unverified(&token).map(|h| h.json().to_owned())
    } else {
        jwt::decode_unverified(&token).map(|c| c.json().to_owned())
    }
    .map_err(|e| to_js_error(&e.into()))?;
    // The text was parsed once already while decoding: it is an object and parses again.
    Ok(JSON::parse(&json).unwrap_or_else(|_| Object::new().into()))
}
