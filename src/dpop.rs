//! DPoP (RFC 9449, option `dpop`) in the Rust driver: this keeper's key and the proofs it signs,
//! with the browser's WebCrypto — the same as the JavaScript driver's `dpop.js`, so a proof from
//! a Rust tab and one from a JavaScript tab are alike.
//!
//! The key pair is made when the keeper starts, `extractable: false`, and kept in memory only (a
//! reload makes a new one; `restore()` gets a token bound to it). A key that says it can be
//! exported (WebCrypto replaced by a script that ran before the app) is refused: every call that
//! needs a proof then fails, as without WebCrypto. What a proof says besides its
//! `jti`, `iat` and `ath` is the core's ([`token_keeper_core::Proof`]); this only signs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array, JSON};
use token_keeper_core::Proof;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, SubtleCrypto};

/// This keeper's key: a promise of `[privateKey, encoded proof header]`.
#[derive(Clone)]
pub(crate) struct Dpop {
    key: Promise,
}

impl std::fmt::Debug for Dpop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dpop([key])")
    }
}

fn crypto() -> Result<Crypto, JsValue> {
    Ok(Reflect::get(&js_sys::global(), &"crypto".into())?.unchecked_into())
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    Ok(crypto()?.subtle())
}

/// A plain object with these properties.
fn object(entries: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let o = Object::new();
    for (name, value) in entries {
        Reflect::set(&o, &(*name).into(), value)?;
    }
    Ok(o)
}

fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JavaScript value as JSON, base64url-encoded.
fn json64(value: &JsValue) -> Result<String, JsValue> {
    let json: String = JSON::stringify(value)?.into();
    Ok(b64u(json.as_bytes()))
}

async fn bytes_of(promise: Promise) -> Result<Vec<u8>, JsValue> {
    Ok(Uint8Array::new(&JsFuture::from(promise).await?).to_vec())
}

impl Dpop {
    /// Starts making the key pair; `None` where WebCrypto is missing (then `build` fails).
    pub(crate) fn new() -> Option<Dpop> {
        let subtle = subtle().ok()?;
        let alg = object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]).ok()?;
        let usages = Array::of1(&"sign".into());
        let pair = subtle.generate_key_with_object(&alg, false, &usages).ok()?;
        let key = wasm_bindgen_futures::future_to_promise(async move {
            let pair = JsFuture::from(pair).await?;
            let private = Reflect::get(&pair, &"privateKey".into())?;
            // A key that says it can be exported was made by another `generateKey` than the
            // browser's (a script that ran first replaced it): refused, as no key at all.
            if Reflect::get(&private, &"extractable".into())? != JsValue::FALSE {
                return Err(JsValue::from_str("dpop: the key could be exported"));
            }
            let public: CryptoKey = Reflect::get(&pair, &"publicKey".into())?.unchecked_into();
            // The public half is always exportable; only these four members go in a proof.
            let jwk = JsFuture::from(subtle.export_key("jwk", &public)?).await?;
            let member = |name: &str| Reflect::get(&jwk, &name.into());
            let public_jwk = object(&[
                ("crv", member("crv")?),
                ("kty", member("kty")?),
                ("x", member("x")?),
                ("y", member("y")?),
            ])?;
            let header = object(&[
                ("typ", "dpop+jwt".into()),
                ("alg", "ES256".into()),
                ("jwk", public_jwk.into()),
            ])?;
            Ok(Array::of2(&private, &json64(&header)?.into()).into())
        });
        Some(Dpop { key })
    }

    /// A proof for a `method` request; `token` (for `ath`) when the request carries it.
    pub(crate) async fn proof(
        &self,
        method: &str,
        proof: &Proof,
        token: Option<&str>,
    ) -> Result<String, JsValue> {
        let key = JsFuture::from(self.key.clone()).await?;
        let private: CryptoKey = Reflect::get(&key, &0.into())?.unchecked_into();
        let header = Reflect::get(&key, &1.into())?
            .as_string()
            .unwrap_or_default();
        let subtle = subtle()?;
        #[allow(clippy::cast_precision_loss)]
        let iat = (crate::clock::now_ms() / 1000.0).floor();
        let claims = object(&[
            ("jti", crypto()?.random_uuid().into()),
            ("htm", method.into()),
            ("htu", proof.htu.as_str().into()),
            ("iat", iat.into()),
        ])?;
        if let Some(nonce) = &proof.nonce {
            Reflect::set(&claims, &"nonce".into(), &nonce.as_str().into())?;
        }
        if let Some(token) = token {
            let hash = bytes_of(subtle.digest_with_str_and_u8_array("SHA-256", token.as_bytes())?);
            Reflect::set(&claims, &"ath".into(), &b64u(&hash.await?).into())?;
        }
        let input = format!("{header}.{}", json64(&claims)?);
        let alg = object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())])?;
        // ECDSA in WebCrypto signs as r||s, 64 bytes: JWS's own ES256 form.
        let signed = subtle.sign_with_object_and_u8_array(&alg, &private, input.as_bytes())?;
        let signature = bytes_of(signed).await?;
        Ok(format!("{input}.{}", b64u(&signature)))
    }
}
