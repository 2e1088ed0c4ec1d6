//! An auth call (login, refresh, logout) as the core asks for it: its headers (the core's CSRF
//! and reissue bearer, the app's own for a login), the credentials, a DPoP proof, and the answer
//! handed back whole.

use std::rc::Rc;

use token_keeper_core::{Answer, AuthId, AuthKind};
use web_sys::AbortController;

use super::{spawn, with_core, Inner};
use crate::http;

pub(super) fn send_auth(inner: &Rc<Inner>, id: AuthId, kind: AuthKind) {
    // The core's: the CSRF header (on a login only when its cookie is there), and on a refresh
    // the reissue flow's bearer.
    let cookies = http::document_cookie();
    let mut headers: Vec<(String, String)> = inner.read(|k| {
        let (csrf, bearer) = k.auth_headers(kind, &cookies);
        csrf.map(|(n, v)| (n.to_owned(), v))
            .into_iter()
            .chain(bearer.map(|a| ("authorization".to_owned(), a.expose().to_owned())))
            .collect()
    });
    // The method is the core's option: GET for a refresh under `refreshMethod`, else POST.
    let method = match kind {
        AuthKind::Refresh => inner.read(|k| k.config().refresh_method.as_str()),
        _ => "POST",
    };
    let (url, body) = match kind {
        AuthKind::Login { call } => {
            let mut io = inner.io.borrow_mut();
            let i = io.logins.iter().position(|l| l.call == call);
            // The credentials are not kept past their sending; with `dpop`, until the login
            // settles: a nonce challenge has it sent once more.
            let login = match (i, inner.dpop.is_some()) {
                (Some(i), false) => Some(io.logins.swap_remove(i)),
                (Some(i), true) => io.logins.get(i).cloned(),
                (None, _) => None,
            };
            let (json, own) = login.map(|l| (l.json, l.headers)).unwrap_or_default();
            // The app's own headers for its login come after, and win.
            headers.extend(own);
            (inner.urls.login.clone(), Some(json))
        }
        AuthKind::Refresh => (Some(inner.urls.refresh.clone()), None),
        AuthKind::Logout => (inner.urls.logout.clone(), None),
    };
    let controller = AbortController::new().ok();
    let signal = controller.as_ref().map(AbortController::signal);
    if let Some(c) = controller {
        inner.io.borrow_mut().auth.push((id, c));
    }
    // With `dpop`: what the proof says, as the core has it now (its nonce included).
    let proof = url
        .as_deref()
        .and_then(|url| inner.read(|k| k.dpop_proof(url)))
        .zip(inner.dpop.clone());
    let weak = Rc::downgrade(inner);
    spawn(async move {
        let (answer, nonce) = match url.as_deref() {
            Some(url) => {
                let mut headers = headers;
                let signed = match &proof {
                    Some((proof, dpop)) => dpop.proof(method, proof, None).await.map(Some),
                    None => Ok(None),
                };
                match signed {
                    Ok(signed) => {
                        headers.extend(signed.map(|p| ("dpop".to_owned(), p)));
                        let headers: Vec<(&str, &str)> = headers
                            .iter()
                            .map(|(n, v)| (n.as_str(), v.as_str()))
                            .collect();
                        let token_header = weak
                            .upgrade()
                            .and_then(|inner| inner.read(|k| k.token_header().map(str::to_owned)));
                        http::auth_call(
                            (method, url),
                            body.as_deref(),
                            &headers,
                            token_header.as_deref(),
                            signal.as_ref(),
                        )
                        .await
                    }
                    // No proof could be signed: the call fails, as a network failure would.
                    Err(_) => (Answer::Failed, None),
                }
            }
            None => (Answer::Failed, None),
        };
        if let Some(inner) = weak.upgrade() {
            inner.io.borrow_mut().auth.retain(|(a, _)| *a != id);
            with_core(&inner, |k, now| {
                if let (Some(url), Some(nonce)) = (url.as_deref(), nonce.as_deref()) {
                    k.dpop_nonce(url, nonce);
                }
                k.auth_answer(id, answer, now);
            });
        }
    });
}
