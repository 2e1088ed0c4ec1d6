//! The simulated auth and API server: rotating refresh families with reuse detection (no grace),
//! CSRF, access tokens in millisecond or whole-second precision, a clock of its own, and the
//! faults a test can order.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// How the server writes its tokens.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Access token lifetime, whole seconds.
    pub ttl_s: u32,
    /// `iat`/`exp` truncated to the second (most JWT libraries) instead of milliseconds.
    pub whole_seconds: bool,
    /// Whether answers carry `expires_in`.
    pub expires_in: bool,
    /// The server's clock minus the browser's, ms.
    pub skew_ms: f64,
}

/// A fault the next refresh answers carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// 500, nothing rotated.
    ServerError,
    /// 429 with `Retry-After` seconds, nothing rotated.
    TooMany(u32),
    /// 200 whose body is not JSON (the rotation happened: the new cookie is set).
    Garbage,
    /// 200 whose headers arrive (the new cookie is set) but whose body never does.
    Stall,
    /// Answered this many ms late (under the client's timeout): calls overlap longer.
    Slow(u32),
    /// DPoP runs: a new server nonce. The next refresh is answered 400 `use_dpop_nonce`
    /// (nothing rotated) and the next API request 401 with the challenge.
    Nonce,
}

/// What the server answered a refresh, login or logout.
#[derive(Debug, Clone)]
pub struct AuthReply {
    pub status: u16,
    pub body: String,
    pub retry_after_s: Option<f64>,
    /// The cookies to store: the refresh token and the readable CSRF value. `Some(None)` clears.
    pub set_cookie: Option<Option<(u64, String)>>,
    /// Headers arrive, the body never does.
    pub stall: bool,
    /// The family a grant belongs to.
    pub family: Option<u64>,
    /// The access token a grant carries.
    pub token: Option<String>,
}

#[derive(Debug)]
struct Family {
    /// The one live refresh token.
    current: u64,
    csrf: String,
    revoked: bool,
    /// The families this browser's logins replaced, newest first: a tab that has not heard of
    /// the last login still holds one of their tokens (the reissue flow accepts them).
    lineage: Vec<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Minted {
    family: u64,
    /// When the browser sent the request that got it (local ms).
    requested_at_ms: f64,
    /// Server-clock ms at which it stops working.
    expires_at_ms: f64,
    /// DPoP runs: the tab whose key it is bound to (each tab has its own key).
    key: Option<usize>,
}

/// Counters a test reads, as the mock server's `/__mock/stats`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub logins: u64,
    pub refreshes: u64,
    pub refresh_rejections: u64,
    pub reuse_detections: u64,
    pub csrf_rejections: u64,
    pub api_ok: u64,
    pub api_unauthorized: u64,
    pub api_expired: u64,
    /// DPoP runs: API requests whose token is bound to another tab's key, or sent as a bearer.
    pub dpop_mismatches: u64,
    /// DPoP runs: nonce challenges answered (refreshes and API requests).
    pub nonce_challenges: u64,
    /// Refreshes refused for want of an access token of the cookie's family (reissue flow).
    pub bind_rejections: u64,
    /// Of those, refreshes that carried a token, of another family.
    pub bind_rejections_other_family: u64,
}

/// The server.
#[derive(Debug)]
pub struct Server {
    pub style: Style,
    families: HashMap<u64, Family>,
    /// Refresh token → family, for every token ever issued (dead ones detect reuse).
    refresh_tokens: HashMap<u64, u64>,
    minted: HashMap<String, Minted>,
    next: u64,
    pub faults: Vec<Fault>,
    pub stats: Stats,
    /// Families whose reuse was detected.
    pub reused_families: Vec<u64>,
    /// How late the answer being made goes out (a `Slow` fault), ms.
    pub late_ms: f64,
    /// The reissue flow (`--bind-refresh-to-user`): a refresh must carry an access token of the
    /// cookie's family, expired or not.
    pub bind_to_user: bool,
    /// The answer being made carries a fault (the world counts the run disturbed from then).
    pub fault_applied: bool,
    /// DPoP (`--dpop`): tokens are bound to the key (the tab) that got them, `/api` wants the
    /// `DPoP` scheme and that key; a refresh by another key re-binds the family, as the mock
    /// server does.
    pub dpop: bool,
    /// A session-cookie backend's sign-in (`refreshAfterLogin`): the login answer sets the
    /// cookies and carries the user, not a token.
    pub login_without_token: bool,
    /// DPoP runs: API requests still to be answered with a nonce challenge.
    pub api_nonce_challenges: u32,
}

impl Server {
    pub fn new(style: Style) -> Server {
        Server {
            style,
            families: HashMap::new(),
            refresh_tokens: HashMap::new(),
            minted: HashMap::new(),
            next: 0,
            faults: Vec::new(),
            stats: Stats::default(),
            reused_families: Vec::new(),
            late_ms: 0.0,
            bind_to_user: false,
            fault_applied: false,
            dpop: false,
            login_without_token: false,
            api_nonce_challenges: 0,
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// The family an access token belongs to.
    pub fn family_of(&self, token: &str) -> Option<u64> {
        self.minted.get(token).map(|m| m.family)
    }

    /// The family a refresh token (dead or alive) belongs to.
    pub fn family_of_refresh(&self, refresh: u64) -> Option<u64> {
        self.refresh_tokens.get(&refresh).copied()
    }

    /// DPoP runs: binds `token` to `tab`'s key (the proof of the call that got it was signed
    /// with it).
    pub fn bind(&mut self, token: &str, tab: usize) {
        if let Some(m) = self.minted.get_mut(token) {
            m.key = Some(tab);
        }
    }

    /// The tab whose key `token` is bound to.
    pub fn key_of(&self, token: &str) -> Option<usize> {
        self.minted.get(token).and_then(|m| m.key)
    }

    /// When the request that got `token` left the browser (local ms).
    pub fn requested_at(&self, token: &str) -> Option<f64> {
        self.minted.get(token).map(|m| m.requested_at_ms)
    }

    /// A fresh access token of `family`, minted at local time `now_ms` for a request sent at
    /// `requested_at_ms`.
    pub fn mint(&mut self, family: u64, now_ms: f64, requested_at_ms: f64) -> (String, f64) {
        let server_ms = now_ms + self.style.skew_ms;
        let ttl = f64::from(self.style.ttl_s);
        let iat = if self.style.whole_seconds {
            (server_ms / 1000.0).floor()
        } else {
            (server_ms / 1000.0 * 1000.0).floor() / 1000.0
        };
        let exp = iat + ttl;
        let jti = self.next_id();
        let payload =
            format!(r#"{{"sub":"alice","fam":{family},"iat":{iat},"exp":{exp},"jti":"{jti}"}}"#);
        let token = format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(payload)
        );
        self.minted.insert(
            token.clone(),
            Minted {
                family,
                requested_at_ms,
                expires_at_ms: exp * 1000.0,
                key: None,
            },
        );
        (token, ttl)
    }

    fn grant(&mut self, family: u64, now_ms: f64, sent_at_ms: f64) -> AuthReply {
        let (token, ttl) = self.mint(family, now_ms, sent_at_ms);
        let refresh = self.next_id();
        self.refresh_tokens.insert(refresh, family);
        let csrf = {
            let f = self.families.get_mut(&family);
            f.map(|f| {
                f.current = refresh;
                f.csrf.clone()
            })
            .unwrap_or_default()
        };
        let expires_in = if self.style.expires_in {
            format!(r#","expires_in":{ttl}"#)
        } else {
            String::new()
        };
        let kind = if self.dpop { "DPoP" } else { "Bearer" };
        AuthReply {
            status: 200,
            body: format!(
                r#"{{"access_token":"{token}","token_type":"{kind}","csrf_token":"{csrf}"{expires_in}}}"#
            ),
            retry_after_s: None,
            set_cookie: Some(Some((refresh, csrf))),
            stall: false,
            family: Some(family),
            token: Some(token),
        }
    }

    /// A refusal; `clear` clears the cookies. A refused refresh leaves them as the mock server
    /// does: a refresh sent before another tab's login can land after it, and clearing would wipe
    /// the new session's cookie.
    fn refuse(status: u16, clear: bool) -> AuthReply {
        AuthReply {
            status,
            body: r#"{"error":"invalid_grant"}"#.into(),
            retry_after_s: None,
            set_cookie: clear.then_some(None),
            stall: false,
            family: None,
            token: None,
        }
    }

    /// `POST /auth/login` with good credentials: a new family. The family of a cookie the
    /// browser presented is revoked.
    pub fn login(&mut self, cookie: Option<u64>, now_ms: f64, sent_at_ms: f64) -> AuthReply {
        self.stats.logins += 1;
        let old = cookie.and_then(|c| self.refresh_tokens.get(&c).copied());
        let mut lineage = Vec::new();
        if let Some(old) = old {
            self.revoke(old);
            lineage.push(old);
            lineage.extend(
                self.families
                    .get(&old)
                    .map(|f| f.lineage.clone())
                    .unwrap_or_default(),
            );
        }
        let family = self.next_id();
        let csrf = format!("csrf{family}");
        self.families.insert(
            family,
            Family {
                current: 0,
                csrf,
                revoked: false,
                lineage,
            },
        );
        let mut reply = self.grant(family, now_ms, sent_at_ms);
        if self.login_without_token {
            reply.body = r#"{"user":{"id":"alice"}}"#.into();
        }
        reply
    }

    /// `POST /auth/refresh`: CSRF, the bearer when bound to the user, then rotation with reuse
    /// detection (no grace).
    pub fn refresh(
        &mut self,
        cookie: Option<u64>,
        csrf_header: Option<&str>,
        bearer: Option<&str>,
        now_ms: f64,
        sent_at_ms: f64,
    ) -> AuthReply {
        let Some(cookie) = cookie else {
            self.stats.refresh_rejections += 1;
            return Self::refuse(401, false);
        };
        let Some(family_id) = self.refresh_tokens.get(&cookie).copied() else {
            self.stats.refresh_rejections += 1;
            return Self::refuse(401, false);
        };
        let Some(family) = self.families.get(&family_id) else {
            self.stats.refresh_rejections += 1;
            return Self::refuse(401, false);
        };
        if csrf_header != Some(family.csrf.as_str()) {
            self.stats.csrf_rejections += 1;
            return Self::refuse(403, false);
        }
        if family.revoked {
            self.stats.refresh_rejections += 1;
            return Self::refuse(401, false);
        }
        let token_family = bearer
            .and_then(|b| b.strip_prefix("Bearer "))
            .and_then(|t| self.family_of(t));
        let of_lineage =
            token_family.is_some_and(|f| f == family_id || family.lineage.contains(&f));
        if self.bind_to_user && !of_lineage {
            self.stats.refresh_rejections += 1;
            self.stats.bind_rejections += 1;
            if token_family.is_some() {
                self.stats.bind_rejections_other_family += 1;
            }
            let mut reply = Self::refuse(401, false);
            reply.body = if token_family.is_some() {
                r#"{"error":"invalid_grant","bound":"another family"}"#
            } else {
                r#"{"error":"invalid_grant","bound":"no token"}"#
            }
            .into();
            return reply;
        }
        if family.current != cookie {
            self.stats.reuse_detections += 1;
            self.reused_families.push(family_id);
            self.stats.refresh_rejections += 1;
            self.revoke(family_id);
            return Self::refuse(401, false);
        }
        if let Some(fault) = (!self.faults.is_empty()).then(|| self.faults.remove(0)) {
            self.fault_applied = true;
            match fault {
                Fault::Slow(ms) => self.late_ms = f64::from(ms),
                Fault::ServerError => return Self::refuse(500, false),
                Fault::TooMany(s) => {
                    let mut reply = Self::refuse(429, false);
                    reply.retry_after_s = Some(f64::from(s));
                    return reply;
                }
                Fault::Nonce => {
                    self.stats.nonce_challenges += 1;
                    self.api_nonce_challenges += 1;
                    let mut reply = Self::refuse(400, false);
                    reply.body = r#"{"error":"use_dpop_nonce"}"#.into();
                    return reply;
                }
                Fault::Garbage | Fault::Stall => {
                    self.stats.refreshes += 1;
                    let mut reply = self.grant(family_id, now_ms, sent_at_ms);
                    reply.body = "<html>gateway</html>".into();
                    reply.stall = fault == Fault::Stall;
                    return reply;
                }
            }
        }
        self.stats.refreshes += 1;
        self.grant(family_id, now_ms, sent_at_ms)
    }

    /// `POST /auth/logout`: revokes the family, clears the cookies.
    pub fn logout(&mut self, cookie: Option<u64>) -> AuthReply {
        if let Some(family) = cookie.and_then(|c| self.refresh_tokens.get(&c).copied()) {
            self.revoke(family);
        }
        AuthReply {
            status: 204,
            body: String::new(),
            retry_after_s: None,
            set_cookie: Some(None),
            stall: false,
            family: None,
            token: None,
        }
    }

    fn revoke(&mut self, family: u64) {
        if let Some(f) = self.families.get_mut(&family) {
            f.revoked = true;
        }
    }

    /// Whether `family` is revoked.
    pub fn is_revoked(&self, family: u64) -> bool {
        self.families.get(&family).is_none_or(|f| f.revoked)
    }

    /// `GET /api/me`: 200 with a live token of a live family, else 401. `Err(true)` marks a 401
    /// for a token that had merely expired.
    /// DPoP runs: `key` is the tab that sent it (its proof's key); a token bound to another key
    /// or sent as a bearer is refused (`dpop_mismatches`).
    pub fn api(
        &mut self,
        authorization: Option<&str>,
        key: usize,
        now_ms: f64,
    ) -> Result<(), bool> {
        let server_ms = now_ms + self.style.skew_ms;
        let scheme = if self.dpop { "DPoP " } else { "Bearer " };
        let minted = authorization
            .and_then(|a| a.strip_prefix(scheme))
            .and_then(|t| self.minted.get(t).copied());
        if self.dpop && authorization.is_some() && minted.is_none_or(|m| m.key != Some(key)) {
            self.stats.dpop_mismatches += 1;
            self.stats.api_unauthorized += 1;
            return Err(false);
        }
        match minted {
            Some(m) if server_ms >= m.expires_at_ms => {
                self.stats.api_unauthorized += 1;
                self.stats.api_expired += 1;
                Err(true)
            }
            Some(m) if !self.is_revoked(m.family) => {
                self.stats.api_ok += 1;
                Ok(())
            }
            _ => {
                self.stats.api_unauthorized += 1;
                Err(false)
            }
        }
    }
}
