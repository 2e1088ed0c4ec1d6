//! The keeper: the current token, its timetable, the one refresh in flight, and the events.
//!
//! State lives in `Rc<RefCell<…>>` and no borrow is ever held across an `.await` or while a
//! listener runs (a listener may call back into the keeper). Timers and event listeners hold
//! `Weak` references, so dropping every `TokenKeeper` handle frees the keeper; `dispose()` stops
//! them at once, since JavaScript's garbage collector does not stop a running timer.

use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::{Request, Response};

use crate::clock::{self, Listener, Timeout};
use crate::config::{Builder, Config};
use crate::http;
use crate::jwt::{decode_unverified, Claims};
use crate::schedule::{lifetime_ms, Plan};
use crate::tabs::{self, Channel};
use crate::{Error, ErrorKind};

/// The scheduler never refreshes sooner than this after installing a token, so a server that
/// hands out already-expired tokens cannot make the keeper spin.
const MIN_SCHEDULE_MS: f64 = 500.0;
/// After a scheduled refresh failed for good while the token is still valid, the next try comes
/// after half the time it has left, but at most this long.
const RETRY_SCHEDULE_MS: f64 = 10_000.0;
/// A `Retry-After` longer than this is not waited out: the refresh fails at once instead.
const MAX_RETRY_AFTER_MS: f64 = 60_000.0;

/// The access token. Its `Debug` is redacted and it has no `Display`: reading it takes
/// [`AccessToken::expose`], a name that shows up in review.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// The token itself, for an `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

/// What started a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// The token entered its lead (timer, or checked before a fetch).
    Schedule,
    /// An API call answered 401.
    Unauthorized,
    /// `restore()` at page load.
    Restore,
    /// `refresh()`.
    Manual,
    /// The page became visible, was shown again, got focus or came online past the deadline.
    Wake,
    /// Another tab asked for it.
    Tab,
}

impl Trigger {
    /// The name JavaScript sees.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Unauthorized => "unauthorized",
            Trigger::Restore => "restore",
            Trigger::Manual => "manual",
            Trigger::Wake => "wake",
            Trigger::Tab => "tab",
        }
    }
}

/// Why the keeper signed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutReason {
    /// `logout()`.
    User,
    /// The server refused the refresh token.
    Rejected,
    /// The token expired and could not be refreshed.
    Expired,
    /// Another tab signed out.
    Tab,
}

impl LogoutReason {
    /// The name JavaScript sees.
    pub fn as_str(self) -> &'static str {
        match self {
            LogoutReason::User => "user",
            LogoutReason::Rejected => "rejected",
            LogoutReason::Expired => "expired",
            LogoutReason::Tab => "tab",
        }
    }
}

/// What listeners hear.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A new token is held.
    Token {
        /// Its claims.
        claims: Claims,
        /// Local expiry, ms since the epoch; `None` when the token does not say.
        expires_at_ms: Option<f64>,
    },
    /// A refresh started.
    Refresh {
        /// Why.
        trigger: Trigger,
    },
    /// The keeper signed out.
    Logout {
        /// Why.
        reason: LogoutReason,
    },
    /// Something failed in the background (a scheduled refresh, a refresh for a 401, logout).
    Error(Error),
}

impl Event {
    /// The event's name in JavaScript: `token`, `refresh`, `logout` or `error`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Token { .. } => "token",
            Event::Refresh { .. } => "refresh",
            Event::Logout { .. } => "logout",
            Event::Error(_) => "error",
        }
    }
}

struct Held {
    token: AccessToken,
    claims: Claims,
    plan: Option<Plan>,
}

#[derive(Default)]
struct State {
    held: Option<Held>,
    /// Bumped whenever the token changes (new token, or cleared).
    generation: u64,
    /// The CSRF value from the last login or refresh answer.
    csrf: Option<String>,
    /// The one refresh in flight; everyone who needs a refresh awaits it.
    in_flight: Option<Promise>,
    timer: Option<Timeout>,
    wake: Vec<Listener>,
    /// The channel to the other tabs of the origin (`crossTab`, when the browser has it).
    channel: Option<Channel>,
    disposed: bool,
}

/// Where a token came from, which decides its timetable and whether the other tabs hear of it.
enum Source {
    /// A login or refresh answer (with its `expires_in`): broadcast to the other tabs.
    Server { expires_in_s: Option<f64> },
    /// `setToken`: kept to this tab.
    App,
    /// Another tab's broadcast, with that tab's receipt time and the lifetime it computed.
    Tab {
        received_at_ms: f64,
        lifetime_ms: Option<f64>,
    },
}

type Callback = Rc<dyn Fn(&Event)>;

struct Inner {
    config: Config,
    refresh_url: String,
    login_url: Option<String>,
    logout_url: Option<String>,
    allowed_origins: Vec<String>,
    state: RefCell<State>,
    listeners: RefCell<Vec<(u64, Callback)>>,
    next_listener: std::cell::Cell<u64>,
}

/// Keeps one access token fresh and attaches it to requests. Cloning gives another handle to
/// the same keeper.
#[derive(Clone)]
pub struct TokenKeeper {
    inner: Rc<Inner>,
}

impl fmt::Debug for TokenKeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeeper")
            .field("refresh_url", &self.inner.refresh_url)
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
#[must_use = "the listener is removed as soon as the Subscription is dropped"]
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

    /// Starts a keeper with validated options.
    ///
    /// # Errors
    ///
    /// A `config` error when a URL does not parse against the page.
    pub fn new(config: Config) -> Result<TokenKeeper, Error> {
        let resolve = |name: &str, url: &str| {
            http::resolve(url)
                .ok_or_else(|| crate::config::config_error(name, "is not a valid url"))
        };
        let refresh_url = resolve("refreshUrl", &config.refresh_url)?;
        let login_url = config
            .login_url
            .as_deref()
            .map(|u| resolve("loginUrl", u))
            .transpose()?;
        let logout_url = config
            .logout_url
            .as_deref()
            .map(|u| resolve("logoutUrl", u))
            .transpose()?;
        let allowed_origins = match &config.allowed_origins {
            // Normalized as the browser writes origins, so a comparison is exact.
            Some(list) => list
                .iter()
                .map(|o| {
                    http::origin_of(o).filter(|o| o != "null").ok_or_else(|| {
                        crate::config::config_error(
                            "allowedOrigins",
                            "must list origins such as https://api.example.com",
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            None => [Some(&refresh_url), login_url.as_ref(), logout_url.as_ref()]
                .into_iter()
                .flatten()
                .filter_map(|u| http::origin_of(u))
                .chain(http::page_origin())
                .collect(),
        };
        let keeper = TokenKeeper {
            inner: Rc::new(Inner {
                config,
                refresh_url,
                login_url,
                logout_url,
                allowed_origins,
                state: RefCell::default(),
                listeners: RefCell::default(),
                next_listener: std::cell::Cell::new(0),
            }),
        };
        keeper.listen_for_wake_ups();
        if keeper.inner.config.cross_tab {
            let weak = Rc::downgrade(&keeper.inner);
            let channel = Channel::open(&keeper.inner.config.channel_name, move |message| {
                if let Some(inner) = weak.upgrade() {
                    TokenKeeper { inner }.hear(&message);
                }
            });
            keeper.inner.state.borrow_mut().channel = channel;
        }
        Ok(keeper)
    }

    // -----------------------------------------------------------------------------------------
    // Reading

    /// Whether a token is held.
    pub fn is_authenticated(&self) -> bool {
        self.inner.state.borrow().held.is_some()
    }

    /// The access token, when one is held.
    pub fn access_token(&self) -> Option<AccessToken> {
        self.inner
            .state
            .borrow()
            .held
            .as_ref()
            .map(|h| h.token.clone())
    }

    /// The held token's claims.
    pub fn claims(&self) -> Option<Claims> {
        self.inner
            .state
            .borrow()
            .held
            .as_ref()
            .map(|h| h.claims.clone())
    }

    /// The held token's local expiry, ms since the epoch.
    pub fn expires_at_ms(&self) -> Option<f64> {
        self.inner
            .state
            .borrow()
            .held
            .as_ref()
            .and_then(|h| h.plan)
            .map(|p| p.expires_at_ms)
    }

    /// The allowed origins, as resolved at start.
    pub fn allowed_origins(&self) -> &[String] {
        &self.inner.allowed_origins
    }

    /// The options.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    // -----------------------------------------------------------------------------------------
    // Events

    /// Calls `listener` for every event until the returned [`Subscription`] is dropped.
    pub fn subscribe(&self, listener: impl Fn(&Event) + 'static) -> Subscription {
        let id = self.inner.next_listener.get() + 1;
        self.inner.next_listener.set(id);
        self.inner
            .listeners
            .borrow_mut()
            .push((id, Rc::new(listener)));
        Subscription {
            keeper: Rc::downgrade(&self.inner),
            id,
        }
    }

    fn emit(&self, event: Event) {
        // Copy the list first: a listener may subscribe, unsubscribe or call the keeper.
        let listeners: Vec<Callback> = self
            .inner
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for listener in listeners {
            listener(&event);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Tokens

    /// Installs `token` as if an auth answer had brought it (a token from elsewhere).
    ///
    /// # Errors
    ///
    /// `invalid_token` when it does not decode; the keeper keeps what it held.
    pub fn set_token(&self, token: &str) -> Result<Claims, Error> {
        self.install(token.to_owned(), Source::App)
    }

    fn install(&self, token: String, source: Source) -> Result<Claims, Error> {
        let claims = decode_unverified(&token)?;
        let now = clock::now_ms();
        let (received_at_ms, lifetime) = match source {
            Source::Server { expires_in_s } => {
                (now, lifetime_ms(expires_in_s, claims.iat, claims.exp, now))
            }
            Source::App => (now, lifetime_ms(None, claims.iat, claims.exp, now)),
            Source::Tab {
                received_at_ms,
                lifetime_ms,
            } => (received_at_ms.min(now), lifetime_ms),
        };
        let plan = lifetime.map(|lifetime| {
            let policy = self.inner.config.policy;
            Plan::new(received_at_ms, lifetime, policy, clock::random_unit())
        });
        {
            let mut state = self.inner.state.borrow_mut();
            if state.disposed {
                return Err(disposed());
            }
            if matches!(source, Source::Server { .. }) {
                if let Some(channel) = &state.channel {
                    channel.post(&http::object(&[
                        ("type", "token".into()),
                        ("token", token.as_str().into()),
                        ("receivedAt", received_at_ms.into()),
                        (
                            "lifetime",
                            lifetime.map_or(JsValue::UNDEFINED, JsValue::from_f64),
                        ),
                    ]));
                }
            }
            state.held = Some(Held {
                token: AccessToken(token),
                claims: claims.clone(),
                plan,
            });
            state.generation += 1;
            state.timer = plan.and_then(|p| self.timer_for(p, now));
        }
        self.emit(Event::Token {
            claims: claims.clone(),
            expires_at_ms: plan.map(|p| p.expires_at_ms),
        });
        Ok(claims)
    }

    /// Forgets the token; emits `logout` when one was held (always for `User`). A logout by the
    /// user or by the server's refusal ends the session for every tab: they hear of it.
    fn clear(&self, reason: LogoutReason) {
        let had = {
            let mut state = self.inner.state.borrow_mut();
            state.timer = None;
            state.generation += 1;
            if matches!(reason, LogoutReason::User | LogoutReason::Rejected) {
                if let Some(channel) = &state.channel {
                    channel.post(&http::object(&[
                        ("type", "logout".into()),
                        ("reason", reason.as_str().into()),
                    ]));
                }
            }
            state.held.take().is_some()
        };
        if had || reason == LogoutReason::User {
            self.emit(Event::Logout { reason });
        }
    }

    /// A message from another tab: a new token to adopt, or a logout to follow.
    fn hear(&self, message: &JsValue) {
        match http::string_field(message, "type").as_deref() {
            Some("token") => {
                let Some(token) = http::string_field(message, "token") else {
                    return;
                };
                if self.access_token().is_some_and(|t| t.expose() == token) {
                    return;
                }
                let source = Source::Tab {
                    received_at_ms: http::number_field(message, "receivedAt")
                        .unwrap_or_else(clock::now_ms),
                    lifetime_ms: http::number_field(message, "lifetime"),
                };
                // A token that does not decode is ignored: this tab keeps what it has.
                let _ = self.install(token, source);
            }
            Some("logout") => self.clear(LogoutReason::Tab),
            _ => {}
        }
    }

    fn timer_for(&self, plan: Plan, now: f64) -> Option<Timeout> {
        self.timer_after(plan.delay_ms(now))
    }

    /// The one refresh timer: a scheduled refresh after `delay_ms` (at least `MIN_SCHEDULE_MS`).
    fn timer_after(&self, delay_ms: f64) -> Option<Timeout> {
        let weak = Rc::downgrade(&self.inner);
        Timeout::new(delay_ms.max(MIN_SCHEDULE_MS), move || {
            if let Some(inner) = weak.upgrade() {
                let keeper = TokenKeeper { inner };
                spawn(async move {
                    let _ = keeper.refresh_for(Trigger::Schedule).await;
                });
            }
        })
    }

    /// Whether the held token is within its lead (or past expiry) on the local clock.
    fn is_due(&self) -> bool {
        let state = self.inner.state.borrow();
        let plan = state.held.as_ref().and_then(|h| h.plan);
        plan.is_some_and(|p| p.is_due(clock::now_ms()))
    }

    /// Timers stop during sleep and are throttled in hidden tabs: on the events that follow
    /// those, compare the deadline with the clock.
    fn listen_for_wake_ups(&self) {
        let global: JsValue = js_sys::global().into();
        let document = js_sys::Reflect::get(&global, &"document".into()).ok();
        let mut listeners = Vec::new();
        let targets = [
            (Some(global.clone()), "pageshow"),
            (Some(global.clone()), "focus"),
            (Some(global), "online"),
            (document, "visibilitychange"),
        ];
        for (target, event) in targets {
            let Some(target) = target.and_then(|t| t.dyn_into::<web_sys::EventTarget>().ok())
            else {
                continue;
            };
            let weak = Rc::downgrade(&self.inner);
            if let Some(l) = Listener::new(&target, event, move || {
                if let Some(inner) = weak.upgrade() {
                    TokenKeeper { inner }.wake();
                }
            }) {
                listeners.push(l);
            }
        }
        self.inner.state.borrow_mut().wake = listeners;
    }

    fn wake(&self) {
        let hidden = js_sys::Reflect::get(&js_sys::global(), &"document".into())
            .and_then(|d| js_sys::Reflect::get(&d, &"visibilityState".into()))
            .ok()
            .and_then(|v| v.as_string())
            .is_some_and(|v| v == "hidden");
        if !hidden && self.is_due() {
            let keeper = self.clone();
            spawn(async move {
                let _ = keeper.refresh_for(Trigger::Wake).await;
            });
        }
    }

    // -----------------------------------------------------------------------------------------
    // Auth calls

    /// Page load: a silent refresh with the cookie. `true` when signed in. A keeper that already
    /// holds a token that is not due (heard from another tab) answers `true` without a refresh.
    ///
    /// # Errors
    ///
    /// Failures other than "no session" (which is `Ok(false)`), such as `network`.
    pub async fn restore(&self) -> Result<bool, Error> {
        // Another tab may already have handed this one a fresh token: no need to rotate again.
        if self.is_authenticated() && !self.is_due() {
            return Ok(true);
        }
        match self.refresh_for(Trigger::Restore).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::Rejected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Signs in: POSTs `credentials_json` to `loginUrl` with the cookies; returns the claims.
    ///
    /// # Errors
    ///
    /// `config` without `loginUrl`; `http` with the status for a refusal (401 for bad
    /// credentials); `network`, `timeout`; `invalid_token` for an answer without a token.
    pub async fn login(&self, credentials_json: &str) -> Result<Claims, Error> {
        self.login_with_headers(credentials_json, &[]).await
    }

    /// [`TokenKeeper::login`] with extra request headers (a captcha token, a tenant id).
    ///
    /// # Errors
    ///
    /// As [`TokenKeeper::login`]; `config` for a header name or value HTTP does not allow.
    pub async fn login_with_headers(
        &self,
        credentials_json: &str,
        headers: &[(&str, &str)],
    ) -> Result<Claims, Error> {
        let Some(url) = self.inner.login_url.clone() else {
            return Err(crate::config::config_error(
                "loginUrl",
                "is needed to log in",
            ));
        };
        let timeout = self.timeout_ms();
        let response = http::post(&url, Some(credentials_json), headers, timeout).await?;
        if !response.ok() {
            return Err(Error::http(response.status(), "the login was refused"));
        }
        self.accept(&response).await
    }

    /// Forces a refresh now (joining the one in flight, if any).
    ///
    /// # Errors
    ///
    /// `rejected` when the server refused the refresh token (the keeper has signed out);
    /// otherwise what made the last attempt fail.
    pub async fn refresh(&self) -> Result<(), Error> {
        self.refresh_for(Trigger::Manual).await
    }

    /// Signs out: POSTs to `logoutUrl` (when set), then forgets the token whatever the answer.
    ///
    /// # Errors
    ///
    /// None so far: a failed logout call is reported through the `error` event, since the keeper
    /// has signed out in any case.
    pub async fn logout(&self) -> Result<(), Error> {
        if let Some(url) = self.inner.logout_url.clone() {
            let answer = self.post_with_csrf(&url).await;
            let failure = match answer {
                Ok(r) if r.ok() => None,
                Ok(r) => Some(Error::http(r.status(), "the logout call was refused")),
                Err(e) => Some(e),
            };
            self.clear(LogoutReason::User);
            if let Some(e) = failure {
                self.emit(Event::Error(e));
            }
        } else {
            self.clear(LogoutReason::User);
        }
        Ok(())
    }

    /// Stops timers, listeners and channels and forgets the token. The keeper answers every
    /// later call as signed out; `fetch` passes requests through untouched.
    pub fn dispose(&self) {
        let (timer, wake, channel) = {
            let mut state = self.inner.state.borrow_mut();
            state.disposed = true;
            state.held = None;
            state.generation += 1;
            (
                state.timer.take(),
                std::mem::take(&mut state.wake),
                state.channel.take(),
            )
        };
        drop((timer, wake, channel));
        self.inner.listeners.borrow_mut().clear();
    }

    fn timeout_ms(&self) -> f64 {
        self.inner.config.timeout.as_secs_f64() * 1000.0
    }

    /// POSTs to a refresh or logout endpoint with the cookies and the CSRF header: the readable
    /// cookie's value, else the last answer's field.
    async fn post_with_csrf(&self, url: &str) -> Result<Response, Error> {
        let value = self.inner.config.csrf.as_ref().and_then(|csrf| {
            let value = http::read_cookie(&csrf.cookie_name)
                .or_else(|| self.inner.state.borrow().csrf.clone())?;
            Some((csrf.header_name.as_str(), value))
        });
        let headers: &[(&str, &str)] = match &value {
            Some((name, value)) => &[(name, value.as_str())],
            None => &[],
        };
        http::post(url, None, headers, self.timeout_ms()).await
    }

    /// Takes the token (and CSRF value) from a successful login or refresh answer.
    async fn accept(&self, response: &Response) -> Result<Claims, Error> {
        let body = http::json_object(response).await?;
        let config = &self.inner.config;
        let Some(token) = http::string_field(&body, &config.token_field) else {
            return Err(Error::new(
                ErrorKind::InvalidToken,
                format!(
                    "the auth answer has no string field `{}`",
                    config.token_field
                ),
            ));
        };
        let claims = self.install(
            token,
            Source::Server {
                expires_in_s: http::number_field(&body, "expires_in"),
            },
        )?;
        if let Some(csrf) = &config.csrf {
            if let Some(value) = http::string_field(&body, &csrf.response_field) {
                self.inner.state.borrow_mut().csrf = Some(value);
            }
        }
        Ok(claims)
    }

    /// Joins the refresh in flight, or starts one.
    async fn refresh_for(&self, trigger: Trigger) -> Result<(), Error> {
        let promise = {
            let mut state = self.inner.state.borrow_mut();
            if state.disposed {
                return Err(disposed());
            }
            match &state.in_flight {
                Some(p) => p.clone(),
                None => {
                    let keeper = self.clone();
                    // Spawned, so it is first polled after this borrow ends.
                    let p = promise(async move {
                        let result = keeper.run_refresh(trigger).await;
                        keeper.inner.state.borrow_mut().in_flight = None;
                        result.map(|()| JsValue::UNDEFINED).map_err(|e| e.to_js())
                    });
                    state.in_flight = Some(p.clone());
                    p
                }
            }
        };
        JsFuture::from(promise)
            .await
            .map(drop)
            .map_err(|e| Error::from_js(&e))
    }

    async fn run_refresh(&self, trigger: Trigger) -> Result<(), Error> {
        self.emit(Event::Refresh { trigger });
        let result = if self.inner.config.cross_tab {
            self.refresh_across_tabs().await
        } else {
            self.refresh_with_retries().await
        };
        match &result {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Rejected => self.clear(LogoutReason::Rejected),
            Err(e) if e.kind() == ErrorKind::Aborted => {}
            Err(e) => {
                self.emit(Event::Error(e.clone()));
                let now = clock::now_ms();
                let plan = {
                    let state = self.inner.state.borrow();
                    state.held.as_ref().and_then(|h| h.plan)
                };
                match plan {
                    Some(p) if p.is_expired(now) => self.clear(LogoutReason::Expired),
                    // Still valid: try again before it expires (half the time left, at most
                    // RETRY_SCHEDULE_MS), instead of waiting for the app's next fetch.
                    Some(p) => {
                        let delay = ((p.expires_at_ms - now) / 2.0).min(RETRY_SCHEDULE_MS);
                        let timer = self.timer_after(delay);
                        self.inner.state.borrow_mut().timer = timer;
                    }
                    None => {}
                }
            }
        }
        result
    }

    /// Refreshes under the origin's Web Lock, so no two tabs present the refresh cookie at once;
    /// after getting the lock, adopts a token another tab broadcast meanwhile instead.
    async fn refresh_across_tabs(&self) -> Result<(), Error> {
        let generation = self.inner.state.borrow().generation;
        let name = self.inner.config.channel_name.clone();
        tabs::with_lock(&name, self.timeout_ms(), async {
            // Let a broadcast that was sent just before the lock came free land first.
            clock::sleep_ms(0.0).await;
            let adopted = self.inner.state.borrow().generation != generation
                && self.is_authenticated()
                && !self.is_due();
            if adopted {
                Ok(())
            } else {
                self.refresh_with_retries().await
            }
        })
        .await
    }

    async fn refresh_with_retries(&self) -> Result<(), Error> {
        let retry = self.inner.config.retry;
        let mut attempt: u32 = 0;
        loop {
            if self.inner.state.borrow().disposed {
                return Err(disposed());
            }
            let answer = self.post_with_csrf(&self.inner.refresh_url).await;
            let (error, retry_after) = match answer {
                Ok(r) if r.ok() => return self.accept(&r).await.map(drop),
                Ok(r) if r.status() == 401 || r.status() == 403 => {
                    let mut e = Error::http(r.status(), "the server refused the refresh token");
                    e.set_kind(ErrorKind::Rejected);
                    return Err(e);
                }
                Ok(r) if r.status() == 429 || r.status() >= 500 => (
                    Error::http(r.status(), "the refresh failed on the server"),
                    http::retry_after_ms(&r),
                ),
                Ok(r) => return Err(Error::http(r.status(), "the refresh answer was unexpected")),
                Err(e) => (e, None),
            };
            if attempt >= retry.attempts || retry_after.is_some_and(|ms| ms > MAX_RETRY_AFTER_MS) {
                return Err(error);
            }
            let delay = retry_after.unwrap_or_else(|| {
                let base = retry.base_delay.as_secs_f64() * 1000.0;
                let max = retry.max_delay.as_secs_f64() * 1000.0;
                let exp = (base * f64::from(1u32 << attempt.min(20))).min(max);
                exp * (0.5 + 0.5 * clock::random_unit())
            });
            attempt += 1;
            clock::sleep_ms(delay).await;
        }
    }

    // -----------------------------------------------------------------------------------------
    // fetch

    /// `fetch` with the bearer attached (to allowed origins), refresh-first when the token is
    /// within its lead, and one refresh-and-retry on 401.
    ///
    /// # Errors
    ///
    /// `network` when the request itself fails, as `window.fetch` would reject.
    pub async fn fetch(&self, request: Request) -> Result<Response, Error> {
        self.fetch_js(request)
            .await
            .map_err(|e| Error::new(ErrorKind::Network, Error::from_js(&e).message()))
    }

    /// Whether `request` goes out untouched: to an origin that is not allowed, or carrying the
    /// caller's own `Authorization`.
    pub(crate) fn passes_through(&self, request: &Request) -> bool {
        // A Request's URL is absolute and normalized (lowercase scheme and host, no default
        // port), so its origin is the text before the first `/` after `scheme://`.
        let url = request.url();
        let allowed = http::origin_of_absolute(&url)
            .is_some_and(|o| self.inner.allowed_origins.iter().any(|a| a == o));
        !allowed || http::has_authorization(request)
    }

    /// [`TokenKeeper::fetch`] that rejects with the browser's own error, as `window.fetch` does.
    pub(crate) async fn fetch_js(&self, request: Request) -> Result<Response, JsValue> {
        if self.passes_through(&request) {
            return http::send(&request).await;
        }
        if self.is_due() {
            // Failures are reported through the events; go on with whatever is held.
            let _ = self.refresh_for(Trigger::Schedule).await;
        }
        let Some((token, generation)) = self.current() else {
            return http::send(&request).await;
        };
        let copy = attach(&request, &token);
        let response = http::send(&request).await?;
        self.after_response(response, copy, generation).await
    }

    /// `fetch` for JavaScript: when no refresh has to come first, the request is sent before
    /// this returns, and the answer goes back through a plain `then` unless it is a 401. (A
    /// future spawned per call added ~0.2 ms before a request left.)
    pub(crate) fn fetch_now(&self, request: Request) -> Promise {
        let through = self.passes_through(&request);
        let started = if through || self.is_due() {
            None
        } else {
            self.current()
        };
        let Some((token, generation)) = started else {
            if through || self.current().is_none() {
                return http::send_now(&request).unwrap_or_else(|e| Promise::reject(&e));
            }
            let keeper = self.clone();
            return promise(async move { keeper.fetch_js(request).await.map(JsValue::from) });
        };
        let copy = attach(&request, &token);
        let sent = match http::send_now(&request) {
            Ok(p) => p,
            Err(e) => return Promise::reject(&e),
        };
        let Some(copy) = copy else { return sent };
        // Weak: a request that fails never calls back, and must not keep the keeper alive.
        let keeper = Rc::downgrade(&self.inner);
        let on_answer = Closure::once_into_js(move |answer: JsValue| -> JsValue {
            let (Some(inner), Ok(response)) =
                (keeper.upgrade(), answer.clone().dyn_into::<Response>())
            else {
                return answer;
            };
            if response.status() != 401 {
                return answer;
            }
            let keeper = TokenKeeper { inner };
            promise(async move {
                keeper
                    .after_response(response, Some(copy), generation)
                    .await
                    .map(JsValue::from)
            })
            .into()
        });
        js_sys::Reflect::get(&sent, &"then".into())
            .and_then(|then| then.dyn_into::<js_sys::Function>())
            .and_then(|then| then.call1(&sent, &on_answer))
            .and_then(|p| p.dyn_into::<Promise>())
            .unwrap_or(sent)
    }

    /// Rule 4 of `fetch`: a 401 to a request that carried our token (of `generation`) is retried
    /// once, with the token that replaced it meanwhile or after joining (or starting) the one
    /// refresh. Anything else, or a refresh that fails, gives the original answer back.
    async fn after_response(
        &self,
        response: Response,
        copy: Option<Request>,
        generation: u64,
    ) -> Result<Response, JsValue> {
        let Some(copy) = copy.filter(|_| response.status() == 401) else {
            return Ok(response);
        };
        if self.current().map(|(_, g)| g) == Some(generation)
            && self.refresh_for(Trigger::Unauthorized).await.is_err()
        {
            return Ok(response);
        }
        let Some((token, _)) = self.current() else {
            return Ok(response);
        };
        http::set_bearer(&copy, token.expose());
        http::send(&copy).await
    }

    fn current(&self) -> Option<(AccessToken, u64)> {
        let state = self.inner.state.borrow();
        state
            .held
            .as_ref()
            .map(|h| (h.token.clone(), state.generation))
    }
}

/// A future as a JavaScript promise. Boxed, so the executor glue is compiled once rather than
/// once per caller: each instantiation costs kilobytes of wasm.
pub(crate) fn promise(
    future: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
) -> Promise {
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>> =
        Box::pin(future);
    future_to_promise(boxed)
}

/// Runs a future to completion in the background (boxed, as [`promise`]).
fn spawn(future: impl std::future::Future<Output = ()> + 'static) {
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> = Box::pin(future);
    spawn_local(boxed);
}

/// Keeps a copy of `request` for the retry (so any body can be sent again), then sets the bearer.
fn attach(request: &Request, token: &AccessToken) -> Option<Request> {
    let copy = request.clone().ok();
    http::set_bearer(request, token.expose());
    copy
}

fn disposed() -> Error {
    Error::new(ErrorKind::Aborted, "the keeper was disposed")
}
