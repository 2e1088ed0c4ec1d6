//! App requests in the browser: each goes out with the `Authorization` value the core hands over
//! (or none); when the core watches it, its answer goes back to the core, which finishes it or
//! has it sent once more from the copy kept before the first send. The caller waits on a slot
//! the driver fills, as for the driver's calls.

use std::rc::Rc;

use token_keeper_core::{AppAnswer, Authorization, FetchId, Proof};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use super::{spawn, with_core, Inner, Slot, Wait};
use crate::dpop::Dpop;
use crate::{http, Error, ErrorKind};

/// What the caller of an app request gets.
type Answer = Result<Response, Error>;

/// An app request in the driver's hands.
pub(super) struct App {
    id: FetchId,
    /// The request not yet sent.
    request: Option<Request>,
    /// A copy kept before a watched send, for the one retry.
    copy: Option<Request>,
    /// The last answer.
    response: Option<Response>,
    /// Where the caller waits.
    caller: Rc<Slot<Answer>>,
}

/// `fetch` through the keeper: the request goes out before this first yields when no refresh
/// has to come first; the answer is its own, or the retry's.
pub(crate) async fn fetch(inner: &Rc<Inner>, request: Request) -> Answer {
    let id = FetchId(inner.next_id());
    let url = request.url();
    let has_authorization = http::has_authorization(&request);
    let caller = Rc::new(Slot::default());
    inner.io.borrow_mut().apps.push(App {
        id,
        request: Some(request),
        copy: None,
        response: None,
        caller: caller.clone(),
    });
    with_core(inner, |k, now| k.fetch(id, &url, has_authorization, now));
    Wait(caller).await
}

/// A rejected `fetch` as the keeper's error: `aborted` when the caller's `AbortSignal` stopped it
/// (an `AbortError`), so an app can tell its own cancellations from a network that is down;
/// `network` otherwise, with the browser's message.
fn failed(error: &JsValue) -> Error {
    let name = js_sys::Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    let message = match error.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.message()),
        None => error
            .as_string()
            .unwrap_or_else(|| "the request failed".into()),
    };
    let kind = if name.as_deref() == Some("AbortError") {
        ErrorKind::Aborted
    } else {
        ErrorKind::Network
    };
    Error::new(kind, message)
}

/// The answer `app` last got, or, if it never got one, `aborted`.
fn last_answer(app: &App) -> Answer {
    app.response
        .clone()
        .ok_or_else(|| Error::new(ErrorKind::Aborted, "the request was dropped"))
}

fn take_app(inner: &Inner, id: FetchId) -> Option<App> {
    let mut io = inner.io.borrow_mut();
    let i = io.apps.iter().position(|a| a.id == id)?;
    Some(io.apps.swap_remove(i))
}

/// Sends `request` with `authorization` (after signing its proof, with `dpop`); the browser's
/// answer, or what `fetch` rejected with.
async fn send(
    request: Request,
    authorization: Option<Authorization>,
    proof: Option<(Proof, Dpop)>,
) -> Result<Response, JsValue> {
    if let Some(authorization) = &authorization {
        if let Some((proof, dpop)) = proof {
            // `ath` hashes the token: the core says where it starts.
            let token = Some(authorization.token());
            let signed = dpop.proof(&request.method(), &proof, token).await?;
            request.headers().set("dpop", &signed)?;
        }
        http::set_authorization(&request, authorization.expose());
    }
    let answer = JsFuture::from(http::send_now(&request)?).await?;
    answer
        .dyn_into::<Response>()
        .map_err(|_| JsValue::from_str("fetch gave something else than a response"))
}

pub(super) fn send_app(
    inner: &Rc<Inner>,
    id: FetchId,
    authorization: Option<&Authorization>,
    proof: Option<Proof>,
    watch: bool,
) {
    let Some(mut app) = take_app(inner, id) else {
        return;
    };
    let Some(request) = app.request.take().or_else(|| app.copy.take()) else {
        // No copy to retry with (the body could not be cloned): the caller gets the answer it
        // already had, and the keeper forgets the request.
        with_core(inner, |k, now| {
            k.handle_app_answer(id, AppAnswer::Failed, now)
        });
        return app.caller.fill(last_answer(&app));
    };
    if watch {
        // Each send keeps a copy, so any body can be sent again (with `dpop` a request may go
        // three times: a nonce challenge's resend besides the 401 retry).
        app.copy = request.clone().ok();
    }
    // With `dpop` a request carrying the token first gets a proof of its own, as the core said.
    let proof = proof.zip(inner.dpop.clone());
    let sending = send(request, authorization.cloned(), proof);
    if !watch {
        // The caller gets the browser's own answer or failure.
        let caller = app.caller.clone();
        return spawn(async move { caller.fill(sending.await.map_err(|e| failed(&e))) });
    }
    inner.io.borrow_mut().apps.push(app);
    let weak = Rc::downgrade(inner);
    spawn(async move {
        let answer = sending.await;
        if let Some(inner) = weak.upgrade() {
            answered(&inner, id, answer);
        }
    });
}

/// A watched request's answer, for the core: it finishes the request, retries it, or has it
/// wait for a refresh.
fn answered(inner: &Rc<Inner>, id: FetchId, answer: Result<Response, JsValue>) {
    let response = match answer {
        Ok(response) => response,
        Err(error) => {
            // The network failed: the caller gets the failure, the request is forgotten.
            let app = take_app(inner, id);
            with_core(inner, |k, now| {
                k.handle_app_answer(id, AppAnswer::Failed, now)
            });
            if let Some(app) = app {
                app.caller.fill(Err(failed(&error)));
            }
            return;
        }
    };
    let (status, url) = (response.status(), response.url());
    // A 401's challenge (does it blame the token?), and with `dpop` the server's nonce.
    let headers = response.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    let nonce = inner.dpop.as_ref().and_then(|_| get("dpop-nonce"));
    let www = (status == 401).then(|| get("www-authenticate")).flatten();
    if let Some(app) = inner.io.borrow_mut().apps.iter_mut().find(|a| a.id == id) {
        app.response = Some(response);
    }
    with_core(inner, |k, now| {
        k.handle_app_answer(
            id,
            AppAnswer::Response {
                status,
                url: &url,
                www_authenticate: www.as_deref(),
                dpop_nonce: nonce.as_deref(),
            },
            now,
        );
    });
}

pub(super) fn finish_app(inner: &Rc<Inner>, id: FetchId) {
    let Some(mut app) = take_app(inner, id) else {
        return;
    };
    if app.response.is_none() {
        // Never sent (it waited for a refresh that was cancelled): sent untouched.
        if let Some(request) = app.request.take() {
            let caller = app.caller.clone();
            let sending = send(request, None, None);
            return spawn(async move { caller.fill(sending.await.map_err(|e| failed(&e))) });
        }
    }
    app.caller.fill(last_answer(&app));
}
