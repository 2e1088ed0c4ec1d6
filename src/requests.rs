//! The app's requests through the keeper: `fetch` with a `web_sys::Request`, `send` with a
//! gloo-net one. The rules (the bearer, refresh first, one refresh for concurrent 401s, one
//! retry) are the core's; this is the browser side of handing it a request and an answer back.

use web_sys::{Request, Response};

use crate::driver;
use crate::{Error, ErrorKind, TokenKeeper};

/// What [`TokenKeeper::send`] takes: a gloo-net `RequestBuilder` (`Request::get(url)`), or a
/// `Request` already built (`Request::post(url).body(..)?`).
pub trait SendRequest {
    /// The request to send.
    ///
    /// # Errors
    ///
    /// gloo-net's, when a builder cannot build its request.
    fn into_request(self) -> Result<gloo_net::http::Request, gloo_net::Error>;
}

impl SendRequest for gloo_net::http::RequestBuilder {
    fn into_request(self) -> Result<gloo_net::http::Request, gloo_net::Error> {
        self.build()
    }
}

impl SendRequest for gloo_net::http::Request {
    fn into_request(self) -> Result<gloo_net::http::Request, gloo_net::Error> {
        Ok(self)
    }
}

impl TokenKeeper {
    /// `fetch` with the bearer attached (to allowed origins), refresh-first when the token is
    /// within its lead, and one refresh-and-retry on 401.
    ///
    /// # Errors
    ///
    /// `network` when the request itself fails, as `window.fetch` would reject; `aborted` when
    /// the caller's `AbortSignal` stopped it (an `AbortError`), so an app can tell its own
    /// cancellations from a network that is down.
    pub async fn fetch(&self, request: Request) -> Result<Response, Error> {
        driver::fetch(&self.inner, request).await
    }

    /// A gloo-net request — `Request::get("/api/me")`, or one already built with a body — sent
    /// with exactly [`TokenKeeper::fetch`]'s rules: the bearer only to allowed origins and never
    /// over the caller's own `Authorization`, a refresh first when the token is due, one refresh
    /// for any number of concurrent 401s, one retry with the body replayed.
    ///
    /// # Errors
    ///
    /// As [`TokenKeeper::fetch`]; `network` also when the request cannot be built (a URL that
    /// does not parse), as `window.fetch` rejects it.
    pub async fn send(&self, request: impl SendRequest) -> Result<gloo_net::http::Response, Error> {
        let request = request.into_request().map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!("the request could not be made: {e}"),
            )
        })?;
        let response = self.fetch(request.into()).await?;
        Ok(response.into())
    }
}
