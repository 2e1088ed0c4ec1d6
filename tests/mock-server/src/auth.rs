//! `/auth/*`: login, refresh and logout, with their cookies and the CSRF defence.
//!
//! CSRF: the refresh and logout calls must carry `X-CSRF-Token` equal to the readable
//! `csrf_token` cookie (double submit) *and* to the value bound to the refresh family at login,
//! so a cookie/header pair planted from elsewhere (a sibling subdomain can set cookies) is refused.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use crate::access::{bearer, issue, signed_claims, Issued};
use crate::store::{Outcome, Session};
use crate::{body_error, error, millis, now, random_token, unavailable, AppState, DEMO_USER};

pub(crate) const REFRESH_COOKIE: &str = "refresh_token";
pub(crate) const CSRF_COOKIE: &str = "csrf_token";
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
        .add(cookie(state, CSRF_COOKIE, csrf, "/", false, ttl))
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
    .add(cookie(state, CSRF_COOKIE, String::new(), "/", false, zero))
}

/// Double submit: the header equals the readable cookie, and — when the refresh token's family
/// is known — the value bound to that family.
fn csrf_ok(jar: &CookieJar, headers: &HeaderMap, session: Option<&Session>) -> bool {
    let header = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let cookie = jar.get(CSRF_COOKIE).map(Cookie::value);
    let Some(header) = header.filter(|h| !h.is_empty() && Some(*h) == cookie) else {
        return false;
    };
    session.is_none_or(|s| s.csrf == header)
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

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
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
    if (credentials.username.as_str(), credentials.password.as_str()) != DEMO_USER {
        return error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    match start_session(&state, &jar, &credentials.username).await {
        Ok((refresh, session, issued)) => {
            state.lock().stats.logins += 1;
            answer(&state, jar, refresh, session.csrf, issued)
        }
        Err(crate::backend::Unavailable) => unavailable(),
    }
}

/// Revokes the family of the refresh cookie the browser presented, if any, and starts a new one.
async fn start_session(
    state: &AppState,
    jar: &CookieJar,
    user: &str,
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
    let issued = issue(state, &session, serial)?;
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
        let garbage = ([(CONTENT_TYPE, "text/html")], "<h1>502 Bad Gateway</h1>");
        return Some(garbage.into_response());
    }
    None
}

/// `--bind-refresh-to-user`: the refresh carries an access token this server signed (expired or
/// not) for the same user as the refresh cookie, and of its family — or of one its login
/// replaced: another tab of the same browser may not have heard of the last login yet. Checked
/// before the store sees the cookie: a dead cookie replayed without such a token is refused
/// without counting as reuse (it carries nothing that could rotate).
fn bound_to_user(state: &AppState, headers: &HeaderMap, session: Option<&Session>) -> bool {
    let (Some(session), Some(token)) = (session, bearer(headers)) else {
        return false;
    };
    signed_claims(state, token).is_some_and(|c| {
        c.sub == session.user && (c.fam == session.family || session.lineage.contains(&c.fam))
    })
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
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let delay = state.lock().config.refresh_delay_ms;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    // No session at all: nothing to protect, just say so (a page load without a cookie).
    let Some(presented) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) else {
        return refused(&state, false);
    };
    let Ok(session) = state.store.session_of(&presented, now()).await else {
        return unavailable();
    };
    if !csrf_ok(&jar, &headers, session.as_ref()) {
        state.lock().stats.csrf_rejections += 1;
        return error(StatusCode::FORBIDDEN, "csrf");
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
    let Ok(issued) = issue(&state, &session, serial) else {
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

pub(crate) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let Some(presented) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) else {
        // No session to end. Clear the cookies only for a caller that proves it can read them:
        // a cross-site request must not be able to touch them.
        if csrf_ok(&jar, &headers, None) {
            return (cleared_cookies(&state, jar), StatusCode::NO_CONTENT).into_response();
        }
        return StatusCode::NO_CONTENT.into_response();
    };
    let Ok(session) = state.store.session_of(&presented, now()).await else {
        return unavailable();
    };
    if !csrf_ok(&jar, &headers, session.as_ref()) {
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
