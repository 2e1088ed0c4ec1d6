//! The local clock, and the browser's timers and wake-up events as handles that undo themselves.
//!
//! Time comes from `Date.now()`: `std::time::SystemTime` and `Instant` panic on
//! wasm32-unknown-unknown. Each handle owns its JavaScript side effect and removes it on `Drop`,
//! as gloo's do: a dropped [`Timeout`] is cleared, a dropped [`Listener`] is removed.

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::EventTarget;

/// Milliseconds since the epoch on the local clock.
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Milliseconds since the epoch on the local clock (off the browser: the system clock).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A random number in `[0, 1)`.
pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

/// The largest delay `setTimeout` honours (2^31 − 1 ms); longer ones fire at once.
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// `setTimeout`/`clearTimeout` on the global object, so timers work in windows and workers.
fn global() -> JsValue {
    js_sys::global().into()
}

fn call(name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let global = global();
    let f: Function = js_sys::Reflect::get(&global, &name.into())?.dyn_into()?;
    match args {
        [a] => f.call1(&global, a),
        [a, b] => f.call2(&global, a, b),
        _ => f.call0(&global),
    }
}

/// A pending `setTimeout`, cleared when dropped.
#[must_use = "a Timeout is cleared as soon as it is dropped"]
pub struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `callback` once after `delay_ms` (clamped to what browsers honour).
    pub fn new(delay_ms: f64, callback: impl FnOnce() + 'static) -> Option<Timeout> {
        let callback = Closure::once(callback);
        // Not `f64::clamp`: its assertion drags float formatting into the wasm.
        #[allow(clippy::manual_clamp)]
        let delay = JsValue::from_f64(delay_ms.max(0.0).min(MAX_TIMEOUT_MS).ceil());
        let id = call("setTimeout", &[callback.as_ref(), &delay]).ok()?;
        Some(Timeout {
            id,
            _callback: callback,
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        let _ = call("clearTimeout", &[&self.id]);
    }
}

impl core::fmt::Debug for Timeout {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Timeout")
    }
}

/// Waits `delay_ms`.
pub async fn sleep_ms(delay_ms: f64) {
    let mut timer = None;
    let promise = Promise::new(&mut |resolve, _| {
        timer = Timeout::new(delay_ms, move || {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        });
    });
    let _ = JsFuture::from(promise).await;
    drop(timer);
}

/// An event listener, removed when dropped.
#[must_use = "a Listener is removed as soon as it is dropped"]
pub struct Listener {
    target: EventTarget,
    event: &'static str,
    callback: Closure<dyn FnMut()>,
}

impl Listener {
    /// Listens for `event` on `target`.
    pub fn new(
        target: &EventTarget,
        event: &'static str,
        callback: impl FnMut() + 'static,
    ) -> Option<Listener> {
        let callback = Closure::<dyn FnMut()>::new(callback);
        target
            .add_event_listener_with_callback(event, callback.as_ref().unchecked_ref())
            .ok()?;
        Some(Listener {
            target: target.clone(),
            event,
            callback,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(
            self.event,
            self.callback.as_ref().unchecked_ref(),
        );
    }
}

impl core::fmt::Debug for Listener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Listener")
            .field("event", &self.event)
            .finish()
    }
}
