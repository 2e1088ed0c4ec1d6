//! An auth call as the driver performs it: [`AuthSend`], complete — where it goes, how, every
//! header (the CSRF header read from the page's cookies with the core's one parser, the reissue
//! flow's bearer, the app's own for a login), the body (the login's credentials, which the core
//! keeps only as long as a resend may need them), whether it needs a DPoP proof and of what, and
//! which answer header to report. The driver asks nothing more before it sends.
//!
//! The headers are decided when the driver takes the command ([`Keeper::poll`]), not when the
//! call was decided: a call held back (behind a draining refresh, waiting for the lock) goes with
//! the CSRF cookie and the token of the moment it leaves.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{AuthId, AuthKind, Authorization, Command, Environment, Keeper, Proof};

/// What `login()` sends: the body (JSON text, as the app's value was encoded) and the app's own
/// headers for it. Its `Debug` is redacted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The JSON body.
    pub body: String,
    /// The app's headers for the call (a captcha token, a tenant id); they win over the
    /// keeper's of the same name.
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials([redacted])")
    }
}

/// An auth call, complete: send it with `credentials: "include"` (the cookies) and report its
/// answer (status, whole body, `Retry-After`, the `token_header` value, the `DPoP-Nonce`) with
/// [`Keeper::handle_auth_answer`]. The keeper times it out itself. Its `Debug` is redacted.
#[derive(Clone, PartialEq)]
pub struct AuthSend {
    /// Its number, for the answer.
    pub id: AuthId,
    /// Which endpoint.
    pub kind: AuthKind,
    /// `POST`, or `GET` for a refresh under `refreshMethod: "GET"`.
    pub method: &'static str,
    /// The endpoint, resolved; `None` when the option was not set: the call fails without
    /// leaving ([`Answer::Failed`](super::Answer::Failed)).
    pub url: Option<String>,
    /// The CSRF header's name and value: on a refresh and a logout, and on a login when the
    /// CSRF cookie is there.
    pub csrf: Option<(String, String)>,
    /// The reissue flow's bearer, on a refresh.
    pub authorization: Option<Authorization>,
    /// A login's credentials: the body, and the app's own headers. Shared with the keeper,
    /// which keeps them for a resend under `dpop`.
    pub credentials: Option<Rc<Credentials>>,
    /// With `dpop`: what the proof says (`htm` is [`method`](Self::method)).
    pub proof: Option<Proof>,
    /// The response header whose value to report with the answer (`tokenHeader`).
    pub token_header: Option<String>,
}

impl AuthSend {
    /// Every header to set, in order (a later one of a name replaces an earlier one): the CSRF
    /// header, the reissue flow's `authorization`, with a body `content-type: application/json`,
    /// then the app's own.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        let csrf = self.csrf.as_ref().map(|(n, v)| (n.as_str(), v.as_str()));
        let bearer = self
            .authorization
            .as_ref()
            .map(|a| ("authorization", a.expose()));
        let json = self
            .credentials
            .as_ref()
            .map(|_| ("content-type", "application/json"));
        let app = self.credentials.iter().flat_map(|c| &c.headers);
        csrf.into_iter()
            .chain(bearer)
            .chain(json)
            .chain(app.map(|(n, v)| (n.as_str(), v.as_str())))
    }

    /// The body: a login's credentials' JSON.
    pub fn body(&self) -> Option<&str> {
        self.credentials.as_ref().map(|c| c.body.as_str())
    }
}

impl fmt::Debug for AuthSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers and body may hold a CSRF value, a token or credentials: never printed.
        write!(f, "AuthSend({}, {:?}, {})", self.id, self.kind, self.method)
    }
}

impl Environment {
    /// Where an auth call of `kind` goes: `loginUrl` or `logoutUrl` resolved (`None` when the
    /// option is not set), or the session's `refreshUrl`.
    pub(super) fn endpoint(&self, kind: AuthKind) -> Option<&str> {
        match kind {
            AuthKind::Login { .. } => self.login_url.as_deref(),
            AuthKind::Refresh => Some(&self.session),
            AuthKind::Logout => self.logout_url.as_deref(),
        }
    }
}

impl Keeper {
    /// Queues auth call `id`; the driver gets it complete from [`Keeper::poll`].
    pub(super) fn push_auth(&mut self, id: AuthId, kind: AuthKind) {
        self.push(Command::SendAuth(AuthSend {
            id,
            kind,
            method: "POST",
            url: None,
            csrf: None,
            authorization: None,
            credentials: None,
            proof: None,
            token_header: None,
        }));
    }

    /// Fills in auth call `send` as it leaves now. `cookies` reads the page's cookies, asked
    /// only when CSRF is on.
    pub(super) fn complete(&mut self, send: &mut AuthSend, cookies: impl FnOnce() -> String) {
        let jar = if self.config.csrf.is_some() {
            cookies()
        } else {
            String::new()
        };
        let (csrf, bearer) = self.auth_headers(send.kind, &jar);
        send.csrf = csrf.map(|(name, value)| (String::from(name), value));
        send.authorization = bearer;
        match send.kind {
            AuthKind::Login { .. } => {
                // Kept past its sending only with `dpop`: a nonce challenge has it sent once more.
                let keep = self.dpop.is_some();
                let pending = self.auth.pending.iter_mut().find(|c| c.id == send.id);
                send.credentials = pending.and_then(|c| {
                    if keep {
                        c.credentials.clone()
                    } else {
                        c.credentials.take()
                    }
                });
            }
            AuthKind::Refresh => send.method = self.config.refresh_method.as_str(),
            AuthKind::Logout => {}
        }
        send.url = self.env.endpoint(send.kind).map(String::from);
        send.proof = send.url.as_deref().and_then(|url| self.dpop_proof(url));
        send.token_header.clone_from(&self.config.token_header);
    }
}
