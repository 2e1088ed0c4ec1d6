//! The Rust API of the keeper in the browser: a handle over the core
//! ([`token_keeper_core::Keeper`]) and the browser driver (`src/driver`).
//!
//! Timers, listeners and the channel hold `Weak` references, so dropping every `TokenKeeper`
//! handle frees the keeper; `dispose()` stops them at once, since JavaScript's garbage collector
//! does not stop a running timer.

use std::fmt;
use std::rc::{Rc, Weak};

use token_keeper_core::{Credentials, Keeper, Settled};

pub use token_keeper_core::{AccessToken, Event, LogoutReason, Trigger};

#[path = "keeper_start.rs"]
mod start;

use crate::clock;
use crate::config::{Builder, Config};
use crate::driver::{self, Inner};
use crate::{Claims, Error, ErrorKind};

/// Keeps one access token fresh and attaches it to requests. Cloning gives another handle to
/// the same keeper; two handles are equal (`PartialEq`) when they are handles to the same keeper,
/// so a Yew `ContextProvider` or a memoized prop sees no change when it is handed the same one.
///
/// The handle is `!Send` and `!Sync` (the browser's main thread owns it). Leptos 0.7+ contexts
/// want `Send + Sync`: `token_keeper::leptos::provide_auth` (cargo feature `leptos`) keeps the
/// keeper in the reactive owner's local storage and hands out a handle that is; without the
/// feature, `StoredValue::new_local(keeper)` or `SendWrapper::new(keeper)` does the same.
#[derive(Clone)]
pub struct TokenKeeper {
    pub(crate) inner: Rc<Inner>,
}

impl PartialEq for TokenKeeper {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for TokenKeeper {}

impl fmt::Debug for TokenKeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeeper")
            .field("refresh_url", &self.inner.read(|k| k.session().to_owned()))
            .field("authenticated", &self.is_authenticated())
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Validates the options and starts a keeper.
    ///
    /// # Errors
    ///
    /// A `config` error naming the first bad option, or a URL that does not parse.
    pub fn build(self) -> Result<TokenKeeper, Error> {
        TokenKeeper::new(self.build_config()?)
    }
}

/// A listener registration; dropping it unsubscribes.
#[must_use = "the listener is removed when the Subscription is dropped, so `let _ = …` removes it at once: keep it (a field, a variable that lives long enough; in Leptos `Auth::subscribe` or `StoredValue::new_local(subscription)`)"]
pub struct Subscription {
    keeper: Weak<Inner>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.keeper.upgrade() {
            inner
                .listeners
                .borrow_mut()
                .retain(|(id, _)| *id != self.id);
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

impl TokenKeeper {
    /// Options, starting from the required refresh URL.
    pub fn builder(refresh_url: impl Into<String>) -> Builder {
        Builder::new(refresh_url)
    }

    /// Starts a keeper. The options are checked here whatever made them (the builder, serde,
    /// or fields set by hand: they are public to read and to edit, and every edit meets the same
    /// checks as `new TokenKeeper(options)` in JavaScript).
    ///
    /// # Errors
    ///
    /// A `config` error naming the first bad option, or a URL that does not parse against the
    /// page.
    pub fn new(config: Config) -> Result<TokenKeeper, Error> {
        let config = config.validate()?;
        // Off the browser the crate builds (server builds of SSR apps, host tests, docs) but
        // cannot run: every I/O it does is the browser's.
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = config;
            Err(Error::new(
                ErrorKind::Config,
                "a TokenKeeper runs in the browser (wasm32); this build targets another platform \
                 (a server build of an SSR app, a host test): make it in browser-only code",
            ))
        }
        #[cfg(target_arch = "wasm32")]
        Self::start(config)
    }

    // -----------------------------------------------------------------------------------------
    // Reading

    /// Whether a token is held.
    pub fn is_authenticated(&self) -> bool {
        self.inner.read(Keeper::is_authenticated)
    }

    /// The access token, when one is held. It may be due or expired; [`TokenKeeper::fetch`]
    /// refreshes first when it is.
    pub fn access_token(&self) -> Option<AccessToken> {
        self.inner.read(|k| k.access_token().cloned())
    }

    /// The held token's claims.
    pub fn claims(&self) -> Option<Claims> {
        self.inner.read(|k| k.claims().cloned())
    }

    /// The held token's claims as the app's own type (see [`crate::claims`]); `Ok(None)` when
    /// no token is held.
    ///
    /// # Errors
    ///
    /// An `invalid_token` error naming the claim that did not fit `T`.
    pub fn claims_as<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, Error> {
        self.claims()
            .map(|c| crate::claims::claims_as(&c))
            .transpose()
    }

    /// The held token's local expiry, ms since the epoch (the JavaScript clock's unit).
    pub fn expires_at_ms(&self) -> Option<f64> {
        self.inner.read(Keeper::expires_at_ms)
    }

    /// How long the held token has left by the local clock (zero once it has run out); `None`
    /// when none is held or it never expires.
    pub fn expires_in(&self) -> Option<std::time::Duration> {
        let left_ms = self.expires_at_ms()? - clock::now_ms();
        // `try_`: never a panic, whatever the clock says.
        std::time::Duration::try_from_secs_f64(left_ms.max(0.0) / 1000.0).ok()
    }

    /// The allowed origins, as resolved at start.
    pub fn allowed_origins(&self) -> Vec<String> {
        self.inner.read(|k| k.allowed().origins().to_vec())
    }

    /// The options.
    pub fn config(&self) -> Config {
        self.inner.read(|k| k.config().clone())
    }

    // -----------------------------------------------------------------------------------------
    // Events

    /// Calls `listener` for every event until the returned [`Subscription`] is dropped.
    pub fn subscribe(&self, listener: impl Fn(&Event) + 'static) -> Subscription {
        let id = self.inner.next_id();
        self.inner
            .listeners
            .borrow_mut()
            .push((id, Rc::new(listener)));
        Subscription {
            keeper: Rc::downgrade(&self.inner),
            id,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Tokens and calls

    /// Holds `token` as if an auth answer had brought it (a token from elsewhere), kept to this
    /// tab.
    ///
    /// # Errors
    ///
    /// `invalid_token` when it does not decode; the keeper keeps what it held.
    pub fn set_token(&self, token: &str) -> Result<Claims, Error> {
        driver::with_core(&self.inner, |k, now| {
            k.set_token(token, now).map(std::rc::Rc::unwrap_or_clone)
        })
    }

    /// Page load: a silent refresh with the cookie. `true` when signed in. A keeper that already
    /// holds a token that is not due (heard from another tab) answers `true` without a refresh.
    ///
    /// # Errors
    ///
    /// Failures other than "no session" (which is `Ok(false)`), such as `network`.
    pub async fn restore(&self) -> Result<bool, Error> {
        match driver::call(&self.inner, |k, id, now| k.restore(id, now)).await? {
            Settled::Restored(yes) => Ok(yes),
            _ => Ok(self.is_authenticated()),
        }
    }

    /// Signs in: POSTs `credentials`, of any serde type (`#[derive(Serialize)] struct
    /// Credentials { … }`), as JSON to the login URL with the cookies; returns the new token's
    /// claims.
    ///
    /// # Errors
    ///
    /// `config` without a login URL, or when the credentials cannot be written as JSON; `http`
    /// with the status for a refusal (401 for bad credentials); `network`, `timeout`;
    /// `invalid_token` for an answer without a token.
    pub async fn login<C: serde::Serialize + ?Sized>(
        &self,
        credentials: &C,
    ) -> Result<Claims, Error> {
        let json = crate::claims::to_json(credentials)?;
        self.login_json(&json).await
    }

    /// [`TokenKeeper::login`] with credentials already written as JSON.
    ///
    /// # Errors
    ///
    /// As [`TokenKeeper::login`].
    pub async fn login_json(&self, credentials_json: &str) -> Result<Claims, Error> {
        self.login_with_headers(credentials_json, &[]).await
    }

    /// [`TokenKeeper::login_json`] with extra request headers (a captcha token, a tenant id).
    ///
    /// # Errors
    ///
    /// As [`TokenKeeper::login`]; `config` for a header name or value HTTP does not allow.
    pub async fn login_with_headers(
        &self,
        credentials_json: &str,
        headers: &[(&str, &str)],
    ) -> Result<Claims, Error> {
        let probe = web_sys::Headers::new().ok();
        let invalid = probe.is_none_or(|h| {
            headers
                .iter()
                .any(|(name, value)| h.set(name, value).is_err())
        });
        if invalid {
            return Err(Error::new(
                ErrorKind::Config,
                "a header name or value is not valid",
            ));
        }
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let credentials = Credentials {
            body: credentials_json.to_owned(),
            headers,
        };
        let settled = driver::call(&self.inner, move |k, id, now| {
            k.login(id, credentials, now);
        })
        .await?;
        match settled {
            Settled::Claims(claims) => Ok(std::rc::Rc::unwrap_or_clone(claims)),
            _ => Err(Error::new(
                ErrorKind::InvalidToken,
                "the login answer carried no token",
            )),
        }
    }

    /// A token that is not due: the one held, or — when it is due or expired — a new one after a
    /// refresh (joining the one in flight). For clients that attach the token themselves
    /// (reqwest, a WebSocket's first message) rather than through [`TokenKeeper::fetch`].
    ///
    /// # Errors
    ///
    /// `unauthenticated` when no token is held; otherwise what [`TokenKeeper::refresh`] says.
    pub async fn fresh_token(&self) -> Result<AccessToken, Error> {
        let now = clock::now_ms();
        let (held, due) = self
            .inner
            .read(|k| (k.access_token().cloned(), k.is_due(now)));
        match held {
            None => Err(Error::new(
                ErrorKind::Unauthenticated,
                "no token is held: sign in, or restore the session, first",
            )),
            Some(token) if !due => Ok(token),
            Some(_) => {
                self.refresh().await?;
                self.access_token().ok_or_else(|| {
                    Error::new(ErrorKind::Unauthenticated, "the session ended meanwhile")
                })
            }
        }
    }

    /// Forces a refresh now (joining the one in flight, if any).
    ///
    /// # Errors
    ///
    /// `rejected` when the server refused the refresh token (the keeper has signed out);
    /// otherwise what made the last attempt fail.
    pub async fn refresh(&self) -> Result<(), Error> {
        driver::call(&self.inner, |k, id, now| k.refresh(id, now))
            .await
            .map(drop)
    }

    /// Signs out: POSTs to the logout URL (when one is set), then forgets the token whatever the answer.
    /// A refresh still in flight can no longer sign the user back in.
    ///
    /// # Errors
    ///
    /// `aborted` when the keeper is disposed before the call ends. A failed logout call is not an
    /// error here: it is reported through the `error` event, since the keeper has signed out in
    /// any case.
    pub async fn logout(&self) -> Result<(), Error> {
        driver::call(&self.inner, |k, id, now| k.logout(id, now))
            .await
            .map(drop)
    }

    /// Stops timers, listeners and channels and forgets the token. The keeper answers every
    /// later call as signed out; `fetch` passes requests through untouched.
    pub fn dispose(&self) {
        driver::with_core(&self.inner, |k, _| k.dispose());
        let io = std::mem::take(&mut *self.inner.io.borrow_mut());
        drop(io);
        self.inner.listeners.borrow_mut().clear();
    }
}
