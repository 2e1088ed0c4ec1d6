//! An auth call (login, refresh, logout) as the core hands it over, complete ([`AuthSend`]):
//! sent as it says — with a DPoP proof signed first when it asks for one — and its answer handed
//! back whole, with the answer's DPoP nonce before it.

use std::rc::Rc;

use token_keeper_core::{Answer, AuthSend};
use web_sys::AbortController;

use super::{spawn, with_core, Inner};
use crate::http;

pub(super) fn send_auth(inner: &Rc<Inner>, send: AuthSend) {
    let (id, method) = (send.id, send.method);
    let controller = AbortController::new().ok();
    let signal = controller.as_ref().map(AbortController::signal);
    if let Some(c) = controller {
        inner.io.borrow_mut().auth.push((id, c));
    }
    let key = inner.dpop.clone();
    let weak = Rc::downgrade(inner);
    spawn(async move {
        let answer = match send.url.as_deref() {
            Some(url) => {
                let signed = match (&send.proof, &key) {
                    (Some(proof), Some(key)) => key.proof(method, proof, None).await.map(Some),
                    _ => Ok(None),
                };
                match signed {
                    Ok(signed) => {
                        let proof = signed.as_deref().map(|p| ("dpop", p));
                        let headers: Vec<(&str, &str)> = send.headers().chain(proof).collect();
                        http::auth_call(
                            (method, url),
                            send.body(),
                            &headers,
                            send.token_header.as_deref(),
                            signal.as_ref(),
                        )
                        .await
                    }
                    // No proof could be signed: the call fails, as a network failure would.
                    Err(_) => Answer::Failed,
                }
            }
            // No URL for it (no `logoutUrl`): the call fails without leaving.
            None => Answer::Failed,
        };
        if let Some(inner) = weak.upgrade() {
            inner.io.borrow_mut().auth.retain(|(a, _)| *a != id);
            with_core(&inner, |k, now| k.handle_auth_answer(id, answer, now));
        }
    });
}
