//! `/auth/*`: login, refresh and logout, with their cookies and the CSRF defence.
//!
//! CSRF: the refresh and logout calls must carry `X-CSRF-Token` equal to the readable
//! `csrf_token` cookie (double submit) *and* to the value bound to the refresh family at login,
//! so a cookie/header pair planted from elsewhere (a sibling subdomain can set cookies) is refused.
//!
//! `--dpop`: login and refresh need a proof too, checked before the credentials and after the
//! CSRF check, before anything rotates; the family → key binding rule is in the crate docs.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde_json::json;

use crate::access::{issue, presented, signed_claims, Issued, Scheme};
use crate::store::{Outcome, Session};
use crate::{
    body_error, error, millis, now, random_token, unavailable, unix_now_ms, AppState, DEMO_USER,
};
use crate::{dpop, throttle};

pub(crate) const REFRESH_COOKIE: &str = "refresh_token";
pub(crate) const CSRF_COOKIE: &str = "csrf_token";
/// The CSRF cookie over https (`--secure-cookies`). A `__Host-` cookie must be `Secure`, have
/// `Path=/` and no `Domain`: a sibling subdomain cannot set one this host receives. Browsers
/// refuse the prefix on plain http, where the name stays `csrf_token`.
pub(crate) const HOST_CSRF_COOKIE: &str = "__Host-csrf_token";

fn csrf_cookie(state: &AppState) -> &'static str {
    if state.options.secure_cookies {
        HOST_CSRF_COOKIE
    } else {
        CSRF_COOKIE
    }
}
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

fn cookie<'a>(
    state: &AppState,
    name: &'a str,
    value: String,
    path: &'a str,
    http_only: bool,
    max_age: Duration,
) -> Cookie<'a> {
    Cookie::build((name, value))
        .path(path)
        .http_only(http_only)
        .same_site(SameSite::Strict)
        .secure(state.options.secure_cookies)
        .max_age(time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build()
}

fn session_cookies(state: &AppState, jar: CookieJar, refresh: String, csrf: String) -> CookieJar {
    let ttl = state.options.refresh_ttl;
    jar.add(cookie(state, REFRESH_COOKIE, refresh, "/auth", true, ttl))
        .add(cookie(state, csrf_cookie(state), csrf, "/", false, ttl))
}

fn cleared_cookies(state: &AppState, jar: CookieJar) -> CookieJar {
    let zero = Duration::ZERO;
    jar.add(cookie(
        state,
        REFRESH_COOKIE,
        String::new(),
        "/auth",
        true,
        zero,
    ))
    .add(cookie(
        state,
        csrf_cookie(state),
        String::new(),
        "/",
        false,
        zero,
    ))
}

/// Double submit: the header equals a readable cookie of the CSRF name, and — when the refresh
/// token's family is known — the value bound to that family. Any of the cookies of that name:
/// a sibling app's (another path, or `Domain=` a parent) may come with ours, in any order, and
/// must neither stand in for ours nor hide it.
fn csrf_ok(state: &AppState, headers: &HeaderMap, session: Option<&Session>) -> bool {
    let header = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let Some(header) = header.filter(|h| !h.is_empty()) else {
        return false;
    };
    let name = csrf_cookie(state);
    let sent = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(key, value)| key == name && value == header);
    sent && session.is_none_or(|s| s.csrf == header)
}

/// `application/json`, with or without parameters such as `charset`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn answer(
    state: &AppState,
    jar: CookieJar,
    refresh: String,
    csrf: String,
    issued: Issued,
) -> Response {
    let cookies = session_cookies(state, jar, refresh, csrf);
    match issued.header {
        Some(token) => (cookies, [(AUTHORIZATION, token)], Json(issued.body)).into_response(),
        None => (cookies, Json(issued.body)).into_response(),
    }
}

/// `--dpop`: the thumbprint of the key that signed the request's proof, or why it is refused.
/// `Ok(None)` without `--dpop`.
async fn grant_proof(
    state: &AppState,
    headers: &HeaderMap,
    (method, uri): (&Method, &Uri),
) -> Result<Option<String>, Response> {
    if !state.options.dpop_enabled() {
        return Ok(None);
    }
    match dpop::check(state, headers, method, uri, None).await {
        Ok(Ok(jkt)) => Ok(Some(jkt)),
        Ok(Err(refusal)) => Err(proof_refused(refusal)),
        Err(crate::backend::Unavailable) => Err(unavailable()),
    }
}

/// A refused proof on login or refresh: 400 `invalid_dpop_proof` or `use_dpop_nonce`.
fn proof_refused(refusal: dpop::Refusal) -> Response {
    error(StatusCode::BAD_REQUEST, refusal.code())
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    method: Method,
    uri: Uri,
    jar: CookieJar,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let delay = state.lock().config.login_delay_ms;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(rejection),
    };
    // A cross-site HTML form can post urlencoded or text/plain, never application/json: this
    // stops a login CSRF (signing the victim into the attacker's account).
    if !is_json(&headers) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    let Ok(credentials) = serde_json::from_slice::<Credentials>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    // The Django shape (`csrf_on_login`): a sign-in sent with a CSRF cookie carries the header.
    let csrf_cookie_sent = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| {
            pair.trim()
                .split_once('=')
                .is_some_and(|(k, _)| k == csrf_cookie(&state))
        });
    if state.lock().config.csrf_on_login && csrf_cookie_sent && !csrf_ok(&state, &headers, None) {
        state.lock().stats.csrf_rejections += 1;
        return error(StatusCode::FORBIDDEN, "csrf");
    }
    // Guessing is throttled per user and per client address (`throttle.rs`); the password is
    // compared in time that does not say how much of it was right.
    // A name is counted by at most its first 256 bytes: the counts' memory stays bounded.
    let name = credentials.username.as_bytes();
    let user_key = format!(
        "user:{}",
        String::from_utf8_lossy(name.get(..256).unwrap_or(name))
    );
    let mut keys = vec![user_key.clone()];
    keys.extend(client.map(|Extension(ConnectInfo(a))| format!("addr:{}", a.ip())));
    let now_ms = unix_now_ms();
    if let Some(wait_s) = state.lock().throttle.wait_s(&keys, now_ms) {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
        if let Ok(value) = HeaderValue::from_str(&wait_s.to_string()) {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        return response;
    }
    // The proof is checked (and its `jti` remembered) only for a login the throttle lets
    // through: an address guessing passwords cannot fill the replay cache either.
    let jkt = match grant_proof(&state, &headers, (&method, &uri)).await {
        Ok(jkt) => jkt,
        Err(response) => return response,
    };
    let known = credentials.username == DEMO_USER.0
        && throttle::same_secret(credentials.password.as_bytes(), DEMO_USER.1.as_bytes());
    if !known {
        state.lock().throttle.failed(&keys, now_ms);
        return error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    state.lock().throttle.succeeded(&user_key);
    let mut seen: Vec<String> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-") || *name == CONTENT_TYPE)
        .filter(|(name, _)| !name.as_str().contains("csrf"))
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or("?")))
        .collect();
    seen.sort();
    state.lock().stats.login_headers = seen;
    match start_session(&state, &jar, &credentials.username, jkt.as_deref()).await {
        Ok((refresh, session, _)) if state.options.session_tokens => {
            state.lock().stats.logins += 1;
            let cookies = session_cookies(&state, jar, refresh, session.csrf);
            (cookies, Json(json!({ "user": { "id": session.user } }))).into_response()
        }
        Ok((refresh, session, issued)) => {
            state.lock().stats.logins += 1;
            answer(&state, jar, refresh, session.csrf, issued)
        }
        Err(crate::backend::Unavailable) => unavailable(),
    }
}

/// Revokes the family of the refresh cookie the browser presented, if any, and starts a new one,
/// bound to the key of thumbprint `jkt` under `--dpop`.
async fn start_session(
    state: &AppState,
    jar: &CookieJar,
    user: &str,
    jkt: Option<&str>,
) -> Result<(String, Session, Issued), crate::backend::Unavailable> {
    let mut replaced = None;
    if let Some(old) = jar.get(REFRESH_COOKIE) {
        if let Some(session) = state.store.session_of(old.value(), now()).await? {
            state.store.revoke_family(session.family).await?;
            replaced = Some(session.family);
        }
    }
    let (refresh, csrf) = (random_token(), random_token());
    let ttl = millis(state.options.refresh_ttl);
    let store = &state.store;
    let session = store
        .login(user, (&refresh, &csrf), replaced, now(), ttl)
        .await?;
    let serial = store.next_serial().await?;
    let issued = issue(state, &session, serial, jkt)?;
    if let Some(jkt) = jkt {
        dpop::shared::bind(state, session.family, jkt).await?;
    }
    Ok((refresh, session, issued))
}

/// Test controls that answer a refresh before the store sees it.
fn injected_failure(state: &AppState) -> Option<Response> {
    let mut inner = state.lock();
    if inner.config.fail_next_refreshes > 0 {
        inner.config.fail_next_refreshes -= 1;
        let status = StatusCode::from_u16(inner.config.fail_status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = error(status, "temporarily_unavailable");
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(inner.config.retry_after_s));
        }
        return Some(response);
    }
    if inner.config.garble_next_refreshes > 0 {
        inner.config.garble_next_refreshes -= 1;
        let mut page = String::from("<h1>502 Bad Gateway</h1>");
        let bytes = usize::try_from(inner.config.garble_body_bytes).unwrap_or(usize::MAX);
        page.extend(core::iter::repeat_n(' ', bytes.saturating_sub(page.len())));
        return Some(([(CONTENT_TYPE, "text/html")], page).into_response());
    }
    None
}

/// `--bind-refresh-to-user`: the refresh carries an access token this server signed (expired or
/// not) for the same user as the refresh cookie, and of its family — or of one its login
/// replaced: another tab of the same browser may not have heard of the last login yet. Checked
/// before the store sees the cookie: a dead cookie replayed without such a token is refused
/// without counting as reuse (it carries nothing that could rotate).
fn bound_to_user(state: &AppState, headers: &HeaderMap, session: Option<&Session>) -> bool {
    // Under `--dpop` the client presents its token as `DPoP` (no proof of it is asked here).
    let token = presented(headers)
        .filter(|(scheme, _)| *scheme == Scheme::Bearer || state.options.dpop_enabled())
        .map(|(_, token)| token);
    let (Some(session), Some(token)) = (session, token) else {
        return false;
    };
    signed_claims(state, token).is_some_and(|c| {
        c.sub == session.user && (c.fam == session.family || session.lineage.contains(&c.fam))
    })
}

/// `--dpop-pin`: whether the family is bound to another key than the proof's. Such a refresh is
/// refused and counted, and the family is neither rotated nor revoked: a thief's key cannot use
/// a stolen cookie, nor end the owner's session with it. Without the pin, another key re-binds
/// the family when the refresh succeeds ([`rebind`]).
async fn pinned_elsewhere(
    state: &AppState,
    session: Option<&Session>,
    jkt: Option<&str>,
) -> Result<bool, crate::backend::Unavailable> {
    let (Some(session), Some(jkt), true) = (session, jkt, state.options.dpop_pin) else {
        return Ok(false);
    };
    let bound = dpop::shared::bound_key(state, session.family).await?;
    let elsewhere = bound.is_some_and(|bound| bound != jkt);
    if elsewhere {
        state.lock().stats.dpop_rejections += 1;
    }
    Ok(elsewhere)
}

/// The family follows the key of its last refresh: several tabs, each with a non-extractable key
/// of its own, and a reloaded page with a new key, take turns on one rotating cookie. Rotation
/// and reuse detection still catch a cookie used in two places; `--dpop-pin` refuses instead.
async fn rebind(
    state: &AppState,
    family: u64,
    jkt: &str,
) -> Result<(), crate::backend::Unavailable> {
    if dpop::shared::bind(state, family, jkt).await? {
        state.lock().stats.dpop_rebinds += 1;
    }
    Ok(())
}

fn refused(state: &AppState, reuse: bool) -> Response {
    let mut inner = state.lock();
    inner.stats.refresh_rejections += 1;
    if reuse {
        inner.stats.reuse_detections += 1;
    }
    error(StatusCode::UNAUTHORIZED, "invalid_grant")
}

pub(crate) async fn refresh(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let (delay, get_only) = {
        let config = &state.lock().config;
        (config.refresh_delay_ms, config.refresh_get)
    };
    if (method == Method::GET) != (get_only || state.options.session_tokens) {
        return error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    }
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if state.options.session_tokens {
        return session_token(&state, (&method, &uri), &jar, &headers).await;
    }
    // No session at all: nothing to protect, just say so (a page load without a cookie).
    let Some(presented) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) else {
        if state.lock().config.null_without_session {
            return Json(serde_json::Value::Null).into_response();
        }
        return refused(&state, false);
    };
    let Ok(session) = state.store.session_of(&presented, now()).await else {
        return unavailable();
    };
    if !csrf_ok(&state, &headers, session.as_ref()) {
        state.lock().stats.csrf_rejections += 1;
        return error(StatusCode::FORBIDDEN, "csrf");
    }
    // Before anything rotates: a refused proof neither rotates nor revokes, nor is it reuse.
    let jkt = match grant_proof(&state, &headers, (&method, &uri)).await {
        Ok(jkt) => jkt,
        Err(response) => return response,
    };
    match pinned_elsewhere(&state, session.as_ref(), jkt.as_deref()).await {
        Ok(false) => {}
        Ok(true) => return error(StatusCode::UNAUTHORIZED, "invalid_dpop_key"),
        Err(crate::backend::Unavailable) => return unavailable(),
    }
    if let Some(response) = injected_failure(&state) {
        return response;
    }
    if state.options.bind_refresh_to_user && !bound_to_user(&state, &headers, session.as_ref()) {
        return refused(&state, false);
    }
    let grace = state.lock().config.reuse_grace_ms;
    let fresh = random_token();
    // The access token's serial first: after the rotation commits, nothing may fail, or the
    // browser never gets the new cookie and its retry with the old one is reuse.
    let Ok(serial) = state.store.next_serial().await else {
        return unavailable();
    };
    let (session, token) = match state.store.refresh(&presented, &fresh, now(), grace).await {
        Ok(Outcome::Rotated { session, token }) => {
            state.lock().stats.refreshes += 1;
            (session, token)
        }
        Ok(Outcome::Grace { session, token }) => (session, token),
        Ok(Outcome::ReuseDetected) => return refused(&state, true),
        Ok(Outcome::Invalid) => return refused(&state, false),
        Err(_) => return unavailable(),
    };
    if let Some(jkt) = &jkt {
        if rebind(&state, session.family, jkt).await.is_err() {
            return unavailable();
        }
    }
    let Ok(issued) = issue(&state, &session, serial, jkt.as_deref()) else {
        return unavailable();
    };
    let stall = {
        let mut inner = state.lock();
        (inner.config.stall_next_refreshes > 0).then(|| {
            inner.config.stall_next_refreshes -= 1;
            Duration::from_millis(inner.config.stall_body_ms)
        })
    };
    let Some(wait) = stall else {
        return answer(&state, jar, token, session.csrf, issued);
    };
    // Headers (and cookies) now, the body later: a stream whose one chunk waits.
    let body = issued.body;
    let chunk = futures_util::stream::once(async move {
        tokio::time::sleep(wait).await;
        Ok::<_, std::convert::Infallible>(body.to_string())
    });
    let mut response = answer(
        &state,
        jar,
        token,
        session.csrf,
        Issued {
            body: serde_json::Value::Null,
            header: issued.header,
        },
    );
    *response.body_mut() = axum::body::Body::from_stream(chunk);
    response
}

/// `--session-tokens`: a GET of the token endpoint mints a short JWT for the session of the
/// cookie, which stays as it is. A safe method: no CSRF header is asked, as better-auth asks none
/// (the session cookie is `SameSite=Strict`, and the answer is readable by this origin only).
async fn session_token(
    state: &AppState,
    request: (&Method, &Uri),
    jar: &CookieJar,
    headers: &HeaderMap,
) -> Response {
    let Some(presented) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) else {
        if state.lock().config.null_without_session {
            return Json(serde_json::Value::Null).into_response();
        }
        return refused(state, false);
    };
    let Ok(session) = state.store.session_of(&presented, now()).await else {
        return unavailable();
    };
    let Some(session) = session else {
        return refused(state, false);
    };
    let jkt = match grant_proof(state, headers, request).await {
        Ok(jkt) => jkt,
        Err(response) => return response,
    };
    if let Some(response) = injected_failure(state) {
        return response;
    }
    let Ok(serial) = state.store.next_serial().await else {
        return unavailable();
    };
    if let Some(jkt) = &jkt {
        if rebind(state, session.family, jkt).await.is_err() {
            return unavailable();
        }
    }
    let Ok(issued) = issue(state, &session, serial, jkt.as_deref()) else {
        return unavailable();
    };
    state.lock().stats.refreshes += 1;
    let mut body = json!({ "token": issued.body["access_token"] });
    if jkt.is_some() {
        body["token_type"] = json!("DPoP");
    }
    Json(body).into_response()
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let Some(presented) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) else {
        // No session to end. Clear the cookies only for a caller that proves it can read them:
        // a cross-site request must not be able to touch them.
        if csrf_ok(&state, &headers, None) {
            return (cleared_cookies(&state, jar), StatusCode::NO_CONTENT).into_response();
        }
        return StatusCode::NO_CONTENT.into_response();
    };
    let Ok(session) = state.store.session_of(&presented, now()).await else {
        return unavailable();
    };
    // `--session-tokens` checks the `Origin` instead, as better-auth does: its clients send no
    // CSRF header (the cookie is `SameSite=Strict` besides).
    let allowed = if state.options.session_tokens {
        crate::trusted_origin(&state.options, &headers)
    } else {
        csrf_ok(&state, &headers, session.as_ref())
    };
    if !allowed {
        state.lock().stats.csrf_rejections += 1;
        return error(StatusCode::FORBIDDEN, "csrf");
    }
    if let Some(session) = session {
        if state.store.revoke_family(session.family).await.is_err() {
            return unavailable();
        }
    }
    (cleared_cookies(&state, jar), StatusCode::NO_CONTENT).into_response()
}
