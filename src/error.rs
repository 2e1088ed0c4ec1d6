//! The one error type is the core's ([`token_keeper_core::Error`]); here it crosses into
//! JavaScript and back. JavaScript receives an `Error` whose `name` is `"TokenKeeperError"` and
//! whose `code` is one of the stable codes of [`ErrorKind::code`].

pub use token_keeper_core::error::{Error, ErrorKind};

pub use js::ToJs;

mod js {
    use js_sys::Reflect;
    use wasm_bindgen::{JsCast, JsValue};

    use super::{Error, ErrorKind};

    /// An error as the JavaScript value the package documents.
    pub trait ToJs {
        /// A JavaScript `Error`: `name` `"TokenKeeperError"`, `code`, and `status` when there
        /// is one.
        fn to_js(&self) -> JsValue;
    }

    impl ToJs for Error {
        fn to_js(&self) -> JsValue {
            let js = js_sys::Error::new(self.message());
            js.set_name("TokenKeeperError");
            // Setting a property on a fresh Error object cannot fail.
            let _ = Reflect::set(&js, &"code".into(), &self.code().into());
            if let Some(status) = self.status() {
                let _ = Reflect::set(&js, &"status".into(), &status.into());
            }
            js.into()
        }
    }

    /// Any JavaScript value as an error, never failing: a `TokenKeeperError` keeps its code and
    /// status; another `Error` or a string becomes `network` with its message; anything else a
    /// fixed message.
    pub fn from_js(value: &JsValue) -> Error {
        let field = |name: &str| Reflect::get(value, &name.into()).ok();
        let message = match value.dyn_ref::<js_sys::Error>() {
            Some(e) => String::from(e.message()),
            None => value
                .as_string()
                .unwrap_or_else(|| "an unknown javascript error".into()),
        };
        let code = field("code").and_then(|c| c.as_string());
        let kind = ErrorKind::ALL
            .iter()
            .copied()
            .find(|k| code.as_deref() == Some(k.code()))
            .unwrap_or(ErrorKind::Network);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let status = field("status").and_then(|s| s.as_f64()).map(|s| s as u16);
        Error::new(kind, message).with_status(status)
    }
}

pub(crate) use js::from_js;
