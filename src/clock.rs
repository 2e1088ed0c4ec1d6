//! The local clock, and the browser's timers (gloo-timers) and wake-up events as handles that
//! undo themselves.
//!
//! Time comes from `Date.now()`: `std::time::SystemTime` and `Instant` panic on
//! wasm32-unknown-unknown. Each handle owns its JavaScript side effect and removes it on `Drop`,
//! as gloo's do: a dropped [`Timeout`] is cleared, a dropped [`Listener`] is removed.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
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

/// A pending `setTimeout` (gloo-timers'), cleared when dropped (gloo's drop does it: the field
/// is held for that alone).
#[must_use = "a Timeout is cleared as soon as it is dropped"]
pub struct Timeout(#[allow(dead_code)] gloo_timers::callback::Timeout);

impl Timeout {
    /// Calls `callback` once after `delay_ms` (clamped to what browsers honour).
    pub fn new(delay_ms: f64, callback: impl FnOnce() + 'static) -> Option<Timeout> {
        Some(Timeout(gloo_timers::callback::Timeout::new(
            millis(delay_ms),
            callback,
        )))
    }
}

/// A delay as `setTimeout` takes it: whole milliseconds from 0 to 2^31 − 1.
fn millis(delay_ms: f64) -> u32 {
    // Not `f64::clamp`: its assertion drags float formatting into the wasm.
    #[allow(clippy::manual_clamp)]
    let delay = delay_ms.max(0.0).min(MAX_TIMEOUT_MS).ceil();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let delay = delay as u32;
    delay
}

impl core::fmt::Debug for Timeout {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Timeout")
    }
}

/// Waits `delay_ms` (gloo-timers' `TimeoutFuture`).
pub async fn sleep_ms(delay_ms: f64) {
    gloo_timers::future::TimeoutFuture::new(millis(delay_ms)).await;
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
