//! Tabs of one origin share one refresh cookie, and the server rotates it: two tabs refreshing at
//! once would present the same cookie twice and the second would look like theft. So refreshes
//! run under a Web Lock, and new tokens and logouts travel over a `BroadcastChannel`.
//!
//! Both APIs are reached through `Reflect`, so a browser without them (or a worker) simply gets
//! per-tab behaviour: [`Channel::open`] returns `None`, [`has_locks`] is false. What to do with
//! the lock — when to ask, steal, give up — is the core's decision; this file only performs it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use token_keeper_core::keeper::MAX_INPUT_BYTES;
use token_keeper_core::Wire;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

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
    /// Opens channel `name`; `on_message` receives each message that is a [`Wire`] structure
    /// (an object read through serde-wasm-bindgen: a member of another type, or a required one
    /// missing, and the message is dropped, as a JavaScript tab drops it; `null` is absent).
    pub(crate) fn open(name: &str, mut on_message: impl FnMut(Wire) + 'static) -> Option<Channel> {
        let constructor: Function = global("BroadcastChannel")?.dyn_into().ok()?;
        let channel = Reflect::construct(&constructor, &Array::of1(&name.into())).ok()?;
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = Reflect::get(&event, &"data".into()).unwrap_or_default();
            // An object, as a JavaScript tab requires: never an array, whatever a deserializer
            // would make of one.
            if !data.is_object() || Array::is_array(&data) {
                return;
            }
            // A string member longer than the core takes is dropped before it is copied into
            // the wasm, as a JavaScript tab drops it (`MAX_INPUT`, in UTF-16 units there too).
            let too_long = ["type", "session", "token"].iter().any(|name| {
                Reflect::get(&data, &(*name).into())
                    .ok()
                    .and_then(|v| v.dyn_into::<js_sys::JsString>().ok())
                    .is_some_and(|s| s.length() as usize > MAX_INPUT_BYTES)
            });
            if too_long {
                return;
            }
            if let Ok(wire) = serde_wasm_bindgen::from_value::<Wire>(data) {
                on_message(wire);
            }
        });
        Reflect::set(&channel, &"onmessage".into(), on_message.as_ref()).ok()?;
        Some(Channel {
            channel,
            _on_message: on_message,
        })
    }

    /// Posts `message` to every other channel of that name on the origin, as a plain object.
    pub(crate) fn post(&self, message: &Wire) {
        let Ok(value) = serde_wasm_bindgen::to_value(message) else {
            return;
        };
        if let Some(post) = method(&self.channel, "postMessage") {
            let _ = post.call1(&self.channel, &value);
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

fn locks() -> Option<(JsValue, Function)> {
    let locks = Reflect::get(&global("navigator")?, &"locks".into()).ok()?;
    let request = method(&locks, "request")?;
    Some((locks, request))
}

/// Whether the browser has Web Locks.
pub(crate) fn has_locks() -> bool {
    locks().is_some()
}

/// A request for the exclusive Web Lock of one name, and the lock once granted. Dropping it
/// releases the lock, or stops waiting for it.
#[must_use = "the lock is released (or no longer waited for) as soon as this is dropped"]
pub(crate) struct Lock {
    controller: Option<web_sys::AbortController>,
    /// Resolves the promise the lock callback returned: the browser holds the lock until then.
    release: Rc<RefCell<Option<Function>>>,
    /// Set when this side gave up the request, so its rejection is not a refusal.
    abandoned: Rc<Cell<bool>>,
}

impl Lock {
    /// Asks for lock `name` (taking it from its holder with `steal`). `on_granted` runs when it
    /// is granted; `on_failed(stolen)` when the request is refused (`false`) or the lock is
    /// stolen from this tab, granted or not yet (`true`).
    ///
    /// # Errors
    ///
    /// `Err(())` when the browser has no Web Locks or refuses the request outright (an invalid
    /// name, an opaque origin).
    pub(crate) fn request(
        name: &str,
        steal: bool,
        on_granted: impl FnOnce() + 'static,
        on_failed: impl FnOnce(bool) + 'static,
    ) -> Result<Lock, ()> {
        let (locks, request) = locks().ok_or(())?;
        let release: Rc<RefCell<Option<Function>>> = Rc::default();
        let granted = Rc::new(Cell::new(false));
        let abandoned = Rc::new(Cell::new(false));
        let callback = {
            let (release, granted, gave_up) = (release.clone(), granted.clone(), abandoned.clone());
            // Called once if the lock is granted; a request aborted before that never calls it,
            // and this closure is then not freed (a few bytes per abandoned request).
            Closure::once_into_js(move |_lock: JsValue| -> JsValue {
                if gave_up.get() {
                    // Granted to a request this side dropped (a steal cannot be aborted, an abort
                    // can race the grant): give the lock back at once.
                    return Promise::resolve(&JsValue::UNDEFINED).into();
                }
                granted.set(true);
                // The executor runs synchronously inside `new Promise`.
                let held = Promise::new(&mut |resolve, _| *release.borrow_mut() = Some(resolve));
                on_granted();
                held.into()
            })
        };
        let options = Object::new();
        let controller = if steal {
            let _ = Reflect::set(&options, &"steal".into(), &JsValue::TRUE);
            None
        } else {
            let c = web_sys::AbortController::new().map_err(drop)?;
            let _ = Reflect::set(&options, &"signal".into(), &c.signal());
            Some(c)
        };
        let asked: Promise = request
            .call3(&locks, &name.into(), &options, &callback)
            .map_err(drop)?
            .dyn_into()
            .map_err(drop)?;
        let gave_up = abandoned.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = JsFuture::from(asked).await {
                // An AbortError is a steal (this one stolen back before its callback ran): the
                // lock works and another tab holds it. Anything else: locks are refused.
                let name = Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string());
                let stolen = name.as_deref() == Some("AbortError");
                if !gave_up.get() {
                    on_failed(granted.get() || stolen);
                }
            }
        });
        Ok(Lock {
            controller,
            release,
            abandoned,
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.abandoned.set(true);
        if let Some(c) = &self.controller {
            c.abort();
        }
        if let Some(release) = self.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

impl std::fmt::Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lock")
    }
}
