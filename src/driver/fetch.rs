//! App requests in the browser: each goes out with the `Authorization` value the core hands over
//! (or none), and, when the core watches it, its answer goes back to the core, which finishes it
//! or has it sent once more from the copy kept before the first send.

use std::rc::Rc;

use js_sys::{Function, Promise};
use token_keeper_core::FetchId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Request, Response};

use super::{with_core, Inner};
use crate::http;
use crate::Error;

/// An app request in the driver's hands.
pub(super) struct App {
    id: FetchId,
    /// The request not yet sent.
    request: Option<Request>,
    /// A copy kept before a watched send, for the one retry.
    copy: Option<Request>,
    /// The last answer.
    response: Option<Response>,
    resolve: Function,
    reject: Function,
}

/// `fetch` for JavaScript: the request goes out before this returns when no refresh has to come
/// first; the promise settles with its answer (or the retry's).
pub(crate) fn fetch(inner: &Rc<Inner>, request: Request) -> Promise {
    let mut handlers = None;
    // The executor runs synchronously inside `new Promise`.
    let promise = Promise::new(&mut |resolve, reject| handlers = Some((resolve, reject)));
    let Some((resolve, reject)) = handlers else {
        return promise;
    };
    let id = inner.next_id();
    let url = request.url();
    let has_authorization = http::has_authorization(&request);
    inner.io.borrow_mut().apps.push(App {
        id,
        request: Some(request),
        copy: None,
        response: None,
        resolve,
        reject,
    });
    with_core(inner, |k, now| k.fetch(id, &url, has_authorization, now));
    promise
}

fn take_app(inner: &Inner, id: FetchId) -> Option<App> {
    let mut io = inner.io.borrow_mut();
    let i = io.apps.iter().position(|a| a.id == id)?;
    Some(io.apps.swap_remove(i))
}

pub(super) fn send_app(inner: &Rc<Inner>, id: FetchId, authorization: Option<&str>, watch: bool) {
    let Some(mut app) = take_app(inner, id) else {
        return;
    };
    let Some(request) = app.request.take().or_else(|| app.copy.take()) else {
        // No copy to retry with (the body could not be cloned): the caller gets the answer it
        // already had, and the keeper forgets the request.
        with_core(inner, |k, _| k.fetch_failed(id));
        return settle_app(&app, app.response.as_ref());
    };
    if watch && app.response.is_none() {
        // The first send keeps a copy, so any body can be sent again.
        app.copy = request.clone().ok();
    }
    if let Some(value) = authorization {
        http::set_authorization(&request, value);
    }
    let sent = match http::send_now(&request) {
        Ok(p) => p,
        Err(e) => {
            if watch {
                with_core(inner, |k, _| k.fetch_failed(id));
            }
            let _ = app.reject.call1(&JsValue::UNDEFINED, &e);
            return;
        }
    };
    if !watch {
        // The caller gets the browser's own answer or rejection.
        let _ = app.resolve.call1(&JsValue::UNDEFINED, &sent);
        return;
    }
    let reject = app.reject.clone();
    inner.io.borrow_mut().apps.push(app);
    let weak = Rc::downgrade(inner);
    // One closure for both outcomes, so it is called exactly once and never leaks.
    let on_settled = Closure::once_into_js(move |value: JsValue| {
        let inner = weak.upgrade();
        match value.dyn_into::<Response>() {
            Ok(response) => {
                let Some(inner) = inner else { return };
                let (status, url) = (response.status(), response.url());
                if let Some(app) = inner.io.borrow_mut().apps.iter_mut().find(|a| a.id == id) {
                    app.response = Some(response);
                }
                with_core(&inner, |k, now| k.fetch_answer(id, status, &url, now));
            }
            Err(error) => {
                if let Some(inner) = inner {
                    drop(take_app(&inner, id));
                    with_core(&inner, |k, _| k.fetch_failed(id));
                }
                let _ = reject.call1(&JsValue::UNDEFINED, &error);
            }
        }
    });
    // The same function as both handlers: the promise calls exactly one of them.
    let _ = js_sys::Reflect::get(&sent, &"then".into())
        .and_then(|then| then.dyn_into::<Function>())
        .and_then(|then| then.call2(&sent, &on_settled, &on_settled));
}

pub(super) fn finish_app(inner: &Rc<Inner>, id: FetchId) {
    if let Some(mut app) = take_app(inner, id) {
        if app.response.is_none() {
            // Never sent (it waited for a refresh that was cancelled): send it untouched.
            if let Some(request) = app.request.take() {
                let sent = http::send_now(&request).unwrap_or_else(|e| Promise::reject(&e));
                let _ = app.resolve.call1(&JsValue::UNDEFINED, &sent);
                return;
            }
        }
        settle_app(&app, app.response.as_ref());
    }
}

fn settle_app(app: &App, response: Option<&Response>) {
    match response {
        Some(r) => drop(app.resolve.call1(&JsValue::UNDEFINED, r)),
        None => {
            let e = Error::new(
                token_keeper_core::ErrorKind::Aborted,
                "the request was dropped",
            );
            drop(
                app.reject
                    .call1(&JsValue::UNDEFINED, &crate::error::ToJs::to_js(&e)),
            );
        }
    }
}
