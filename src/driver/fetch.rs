//! App requests in the browser: each goes out with the `Authorization` value the core hands over
//! (or none), and, when the core watches it, its answer goes back to the core, which finishes it
//! or has it sent once more from the copy kept before the first send.
//!
//! The caller's promise is, whenever possible, the one `fetch` itself returned (chained with a
//! `then` that shows the answer to the core): no promise of the keeper's own, no extra hop. The
//! keeper makes one only when the answer must wait — for a refresh to come first, or for the one
//! retry after a 401.

use std::rc::Rc;

use js_sys::{Function, Promise};
use token_keeper_core::{FetchId, Proof};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use super::{with_core, Inner};
use crate::dpop::Dpop;
use crate::http;

/// An app request in the driver's hands.
pub(super) struct App {
    id: FetchId,
    /// The request not yet sent.
    request: Option<Request>,
    /// A copy kept before a watched send, for the one retry.
    copy: Option<Request>,
    /// The last answer.
    response: Option<Response>,
    /// The resolve and reject of the caller's promise, once the keeper had to make one.
    caller: Option<(Function, Function)>,
}

/// How the request stands for a caller who has no promise of the keeper's: filled while the
/// core runs inside `fetch` (the promise to return) or inside the answer's `then` (the value to
/// return from it).
#[derive(Default)]
pub(super) struct Inline {
    /// The promise that will settle with the answer.
    promise: Option<Promise>,
    /// The answer itself (or the rejection), when the core finished the request.
    finished: Option<Result<JsValue, JsValue>>,
}

/// `fetch` for JavaScript: the request goes out before this returns when no refresh has to come
/// first; the promise settles with its answer (or the retry's).
pub(crate) fn fetch(inner: &Rc<Inner>, request: Request) -> Promise {
    let id = inner.next_id();
    let url = request.url();
    let has_authorization = http::has_authorization(&request);
    inner.io.borrow_mut().apps.push(App {
        id,
        request: Some(request),
        copy: None,
        response: None,
        caller: None,
    });
    with_core(inner, |k, now| k.fetch(id, &url, has_authorization, now));
    let now = take_inline(inner);
    match (now.finished, now.promise) {
        (_, Some(promise)) => promise,
        (Some(Ok(v)), None) => Promise::resolve(&v),
        (Some(Err(e)), None) => Promise::reject(&e),
        // A refresh comes first: the caller gets a promise of the keeper's.
        (None, None) => own_promise(inner, id),
    }
}

/// The answer `app` last got, or, if it never got one, an `aborted` rejection.
fn last_answer(app: &App) -> Result<JsValue, JsValue> {
    app.response.clone().map(JsValue::from).ok_or_else(|| {
        let e = crate::Error::new(crate::ErrorKind::Aborted, "the request was dropped");
        crate::error::ToJs::to_js(&e)
    })
}

fn take_inline(inner: &Inner) -> Inline {
    std::mem::take(&mut inner.io.borrow_mut().inline)
}

/// A promise for app request `id`, settled when the core finishes it.
fn own_promise(inner: &Inner, id: FetchId) -> Promise {
    let mut handlers = None;
    // The executor runs synchronously inside `new Promise`.
    let promise = Promise::new(&mut |resolve, reject| handlers = Some((resolve, reject)));
    if let Some(app) = inner.io.borrow_mut().apps.iter_mut().find(|a| a.id == id) {
        app.caller = handlers;
    }
    promise
}

fn take_app(inner: &Inner, id: FetchId) -> Option<App> {
    let mut io = inner.io.borrow_mut();
    let i = io.apps.iter().position(|a| a.id == id)?;
    Some(io.apps.swap_remove(i))
}

/// Answers the caller of `app` with `value` (a response, or a promise of one) or a rejection.
fn answer(inner: &Inner, app: &App, value: Result<JsValue, JsValue>) {
    match &app.caller {
        Some((resolve, reject)) => {
            let _ = match &value {
                Ok(v) => resolve.call1(&JsValue::UNDEFINED, v),
                Err(e) => reject.call1(&JsValue::UNDEFINED, e),
            };
        }
        // Inside `fetch` a promise is returned, inside the answer's `then` a value.
        None => {
            let mut io = inner.io.borrow_mut();
            match value {
                Ok(v) => match v.dyn_into::<Promise>() {
                    Ok(p) => io.inline.promise = Some(p),
                    Err(v) => io.inline.finished = Some(Ok(v)),
                },
                Err(e) => io.inline.finished = Some(Err(e)),
            }
        }
    }
}

pub(super) fn send_app(inner: &Rc<Inner>, id: FetchId, authorization: Option<&str>, watch: bool) {
    let Some(mut app) = take_app(inner, id) else {
        return;
    };
    let Some(request) = app.request.take().or_else(|| app.copy.take()) else {
        // No copy to retry with (the body could not be cloned): the caller gets the answer it
        // already had, and the keeper forgets the request.
        with_core(inner, |k, _| k.fetch_failed(id));
        return answer(inner, &app, last_answer(&app));
    };
    if watch {
        // Each send keeps a copy, so any body can be sent again (with `dpop` a request may go
        // three times: a nonce challenge's resend besides the 401 retry).
        app.copy = request.clone().ok();
    }
    // With `dpop` a request carrying the token first gets a proof of its own.
    // Asked only with a key: without `dpop` a bearer request reads no URL back out of the browser.
    let proof = inner
        .dpop
        .clone()
        .filter(|_| authorization.is_some())
        .and_then(|dpop| Some((inner.read(|k| k.dpop_proof(&request.url()))?, dpop)));
    let sent = match (proof, authorization) {
        (Some((proof, dpop)), Some(value)) => signed_send(dpop, proof, request, value.to_owned()),
        _ => {
            if let Some(value) = authorization {
                http::set_authorization(&request, value);
            }
            match http::send_now(&request) {
                Ok(p) => p,
                Err(e) => {
                    if watch {
                        with_core(inner, |k, _| k.fetch_failed(id));
                    }
                    return answer(inner, &app, Ok(Promise::reject(&e).into()));
                }
            }
        }
    };
    if !watch {
        // The caller gets the browser's own answer or rejection.
        return answer(inner, &app, Ok(sent.into()));
    }
    let inline = app.caller.is_none();
    inner.io.borrow_mut().apps.push(app);
    let weak = Rc::downgrade(inner);
    // One closure for both outcomes, so it is called exactly once and never leaks.
    let on_settled = Closure::once_into_js(move |value: JsValue| -> JsValue {
        let Some(inner) = weak.upgrade() else {
            return value;
        };
        let mut inline = false;
        match value.dyn_into::<Response>() {
            Ok(response) => {
                let (status, url) = (response.status(), response.url());
                // A 401's challenge (does it blame the token?), and with `dpop` the server's
                // nonce, for the core.
                let headers = response.headers();
                let get = |name: &str| headers.get(name).ok().flatten();
                let nonce = inner.dpop.as_ref().and_then(|_| get("dpop-nonce"));
                let www = (status == 401).then(|| get("www-authenticate"));
                if let Some(app) = inner.io.borrow_mut().apps.iter_mut().find(|a| a.id == id) {
                    inline = app.caller.is_none();
                    app.response = Some(response);
                }
                with_core(&inner, |k, now| {
                    if let Some(nonce) = &nonce {
                        k.dpop_nonce(&url, nonce);
                    }
                    k.fetch_answer_dpop(id, status, &url, www.flatten().as_deref(), now);
                });
            }
            Err(error) => {
                // The network failed: rejected as `window.fetch` rejects, the request forgotten.
                let app = take_app(&inner, id);
                with_core(&inner, |k, _| k.fetch_failed(id));
                match app.as_ref().and_then(|a| a.caller.as_ref()) {
                    Some((_, reject)) => drop(reject.call1(&JsValue::UNDEFINED, &error)),
                    None => return Promise::reject(&error).into(),
                }
                return JsValue::UNDEFINED;
            }
        }
        if !inline {
            // The caller holds a promise of the keeper's: the core settles it.
            return JsValue::UNDEFINED;
        }
        let now = take_inline(&inner);
        match (now.finished, now.promise) {
            // Finished at once: the answer (the usual case), or a rejection.
            (Some(Ok(v)), _) => v,
            (Some(Err(e)), _) => Promise::reject(&e).into(),
            // Retried at once with a newer token: the retry's promise.
            (None, Some(p)) => p.into(),
            // Waiting for a refresh: a promise of the keeper's, settled when it is done.
            (None, None) => own_promise(&inner, id).into(),
        }
    });
    // The same function as both handlers: the promise calls exactly one of them.
    let chained = js_sys::Reflect::get(&sent, &"then".into())
        .and_then(|then| then.dyn_into::<Function>())
        .and_then(|then| then.call2(&sent, &on_settled, &on_settled))
        .and_then(|p| p.dyn_into::<Promise>());
    if inline {
        inner.io.borrow_mut().inline.promise = chained.ok();
    }
}

/// Signs a proof for `request` (WebCrypto answers asynchronously), then sends it with it and
/// `authorization`; a failure to sign rejects as a failed `fetch` would.
fn signed_send(dpop: Dpop, proof: Proof, request: Request, authorization: String) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let token = authorization.strip_prefix("DPoP ");
        let signed = dpop.proof(&request.method(), &proof, token).await?;
        http::set_authorization(&request, &authorization);
        request.headers().set("dpop", &signed)?;
        JsFuture::from(http::send_now(&request)?).await
    })
}

pub(super) fn finish_app(inner: &Rc<Inner>, id: FetchId) {
    let Some(mut app) = take_app(inner, id) else {
        return;
    };
    if app.response.is_none() {
        // Never sent (it waited for a refresh that was cancelled): send it untouched.
        if let Some(request) = app.request.take() {
            let sent = http::send_now(&request).unwrap_or_else(|e| Promise::reject(&e));
            return answer(inner, &app, Ok(sent.into()));
        }
    }
    answer(inner, &app, last_answer(&app));
}
