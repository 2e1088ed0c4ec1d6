//! Tabs of one origin share one refresh cookie, and the server rotates it: two tabs refreshing at
//! once would present the same cookie twice and the second would look like theft. So refreshes
//! run under a Web Lock, and new tokens and logouts travel over a `BroadcastChannel`.
//!
//! Both APIs are reached through `Reflect`, so a browser without them (or a worker) simply gets
//! per-tab behaviour: [`Channel::open`] returns `None` and [`with_lock`] runs the work at once.

use std::future::Future;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::clock::Timeout;

fn global(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// A `BroadcastChannel`, closed when dropped.
#[must_use = "the channel is closed as soon as it is dropped"]
pub(crate) struct Channel {
    channel: JsValue,
    _on_message: Closure<dyn FnMut(JsValue)>,
}

impl Channel {
    /// Opens channel `name`; `on_message` receives each message's `data`.
    pub(crate) fn open(
        name: &str,
        mut on_message: impl FnMut(JsValue) + 'static,
    ) -> Option<Channel> {
        let constructor: Function = global("BroadcastChannel")?.dyn_into().ok()?;
        let channel = Reflect::construct(&constructor, &Array::of1(&name.into())).ok()?;
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            if let Ok(data) = Reflect::get(&event, &"data".into()) {
                on_message(data);
            }
        });
        Reflect::set(&channel, &"onmessage".into(), on_message.as_ref()).ok()?;
        Some(Channel {
            channel,
            _on_message: on_message,
        })
    }

    /// Posts `message` to every other channel of that name on the origin.
    pub(crate) fn post(&self, message: &JsValue) {
        if let Some(post) = method(&self.channel, "postMessage") {
            let _ = post.call1(&self.channel, message);
        }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        let _ = Reflect::set(&self.channel, &"onmessage".into(), &JsValue::NULL);
        if let Some(close) = method(&self.channel, "close") {
            let _ = close.call0(&self.channel);
        }
    }
}

fn method(object: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(object, &name.into()).ok()?.dyn_into().ok()
}

/// A promise and the function that resolves it.
fn deferred() -> (Promise, Option<Function>) {
    let mut resolve = None;
    // The executor runs synchronously inside `new Promise`: `resolve` is set on return.
    let promise = Promise::new(&mut |res, _| resolve = Some(res));
    (promise, resolve)
}

fn settle(resolve: Option<&Function>, value: &JsValue) {
    if let Some(resolve) = resolve {
        let _ = resolve.call1(&JsValue::UNDEFINED, value);
    }
}

thread_local! {
    /// Swallows the rejection of a lock request nobody waits on (stolen or aborted).
    static SWALLOW: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// Runs `work` holding the exclusive Web Lock `name` (when the browser has Web Locks).
///
/// Waits at most `wait_ms` for the lock; a holder that keeps it longer (a tab frozen or hung
/// mid-refresh) has it stolen, so no tab can block the others forever. A tab that closes or
/// crashes loses its locks at once: the browser releases them.
pub(crate) async fn with_lock<T>(name: &str, wait_ms: f64, work: impl Future<Output = T>) -> T {
    let Some(locks) = global("navigator").and_then(|n| Reflect::get(&n, &"locks".into()).ok())
    else {
        return work.await;
    };
    let Some(request) = method(&locks, "request") else {
        return work.await;
    };
    // The lock is held until `release` settles; `acquired` settles when it is granted.
    let (release, release_now) = deferred();
    let (acquired, acquired_now) = deferred();
    let callback = |release: Promise, acquired_now: Option<Function>| {
        Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            settle(acquired_now.as_ref(), &JsValue::UNDEFINED);
            release.into()
        })
    };
    let ask = |options: &Object, callback: JsValue| {
        request
            .call3(&locks, &name.into(), options, &callback)
            .ok()
            .and_then(|p| p.dyn_into::<Promise>().ok())
            .map(|p| SWALLOW.with(|swallow| p.catch(swallow)))
    };
    let controller = web_sys::AbortController::new().ok();
    let options = Object::new();
    if let Some(c) = &controller {
        let _ = Reflect::set(&options, &"signal".into(), &c.signal());
    }
    if ask(&options, callback(release.clone(), acquired_now.clone())).is_none() {
        return work.await;
    }
    let (timed_out, time_out) = deferred();
    let _timer = Timeout::new(wait_ms, move || {
        settle(time_out.as_ref(), &"timeout".into())
    });
    let first = JsFuture::from(Promise::race(&Array::of2(&acquired, &timed_out)))
        .await
        .ok();
    if first.is_some_and(|v| v.as_string().is_some()) {
        // Still queued after the wait: stop queueing and take the lock from its holder.
        if let Some(c) = &controller {
            c.abort();
        }
        let steal = Object::new();
        let _ = Reflect::set(&steal, &"steal".into(), &JsValue::TRUE);
        if ask(&steal, callback(release.clone(), acquired_now)).is_some() {
            let _ = JsFuture::from(acquired).await;
        }
    }
    let out = work.await;
    settle(release_now.as_ref(), &JsValue::UNDEFINED);
    out
}
