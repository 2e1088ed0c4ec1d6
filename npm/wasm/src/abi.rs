//! The one module allowed `unsafe`: what makes a `no_std` cdylib a wasm module JavaScript can
//! drive. Everything here is boundary; every decision is in safe code ([`crate::api`]).
//!
//! - the exports: `#[no_mangle] extern "C"` functions taking and returning plain numbers, each a
//!   one-line call into [`crate::api`] (`no_mangle` counts as unsafe code: two exports with one
//!   name would be undefined behaviour, so the list lives here, in one place);
//! - the state: one `static` [`RefCell`], declared `Sync` because this wasm has no threads (it is
//!   built without the `atomics` feature, so no second thread can ever see it);
//! - the allocator (`lol_alloc`'s free list, single-threaded for the same reason) and a panic
//!   handler that traps without formatting anything. The core is written not to panic; if it ever
//!   did (or an allocation failed), the trap would leave the state borrowed and every later export
//!   would trap too: the JavaScript driver then fails every call, of every keeper of the page,
//!   with `internal` (npm/js/core.js, `halt`).
//!
//! Strings cross through memory: JavaScript asks [`buf`] for room, writes UTF-8 there and passes
//! the length; answers are left in the out string, whose address and length [`crate::api`]
//! writes into the registers JavaScript reads at [`reg`].
//!
//! JSON is read by JavaScript's `JSON.parse`, not in the wasm: the core asks [`read_json`], which
//! calls the import `tk.json(text, keys)`; JavaScript parses the text and, before it returns,
//! hands each wanted member over with the export [`field`] ([`crate::fields`]), which touches
//! nothing but the members being collected. The other import, `tk.cookies()`, writes the page's
//! cookies where the export [`room`] says, which touches nothing but them.

#![allow(unsafe_code)]

use core::cell::RefCell;

use crate::api::{self, State};
use crate::fields::Fields;

/// The state, shared by every keeper of the page.
struct Local(RefCell<State>);

// SAFETY: wasm32 without the `atomics` target feature runs exactly one thread: no other thread
// exists to share this with. Natively (tests) nothing runs the exports from two threads either.
unsafe impl Sync for Local {}

static STATE: Local = Local(RefCell::new(State::new()));

/// Runs `f` on the state. Exports that use it never nest: the imports call back only [`field`]
/// (`tk.json`) and [`room`] (`tk.cookies`), which do not use it, so the borrow cannot fail.
fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut state = borrow(&STATE.0);
    let r = f(&mut state);
    state.sync();
    r
}

/// `cell`, borrowed; borrowed already (after a trap, see the module's doc), a trap again.
/// `RefCell::borrow_mut` would do the same through a panic, whose message and source path would
/// stay in the wasm's data.
fn borrow<T>(cell: &RefCell<T>) -> core::cell::RefMut<'_, T> {
    match cell.try_borrow_mut() {
        Ok(borrowed) => borrowed,
        Err(_) => trap(),
    }
}

#[cfg(all(target_arch = "wasm32", not(test)))]
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

/// Natively (the tests) a panic stands in for the trap.
#[cfg(not(all(target_arch = "wasm32", not(test))))]
#[allow(clippy::panic)]
fn trap() -> ! {
    panic!("the state is borrowed: a trap in the wasm")
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[global_allocator]
// SAFETY: single-threaded, as above.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    trap()
}

/// The members JavaScript is handing over, apart from [`STATE`] (which is borrowed meanwhile).
struct Collecting(RefCell<Fields>);

// SAFETY: as for `Local`.
unsafe impl Sync for Collecting {}

static FIELDS: Collecting = Collecting(RefCell::new(Fields::new()));

#[cfg(all(target_arch = "wasm32", not(test)))]
#[link(wasm_import_module = "tk")]
extern "C" {
    /// The page's `document.cookie`, written with [`room`]: its length in bytes.
    fn cookies() -> usize;
    /// `JSON.parse` of the UTF-8 text at `text`, for the `keys`, each ending with `\n`: 0 when it is not
    /// JSON, 1 when it is not an object, 2 when it is one (its wanted members, and a key not
    /// wanted, were handed over with [`field`] meanwhile). JavaScript catches what `JSON.parse`
    /// throws; nothing else it does throws but a trap of [`field`].
    fn json(text: *const u8, text_len: usize, keys: *const u8, keys_len: usize) -> u32;
}

/// The core's [`Reader`](token_keeper_core::json::Reader) in the npm build: `JSON.parse`.
#[cfg(all(target_arch = "wasm32", not(test)))]
pub(crate) fn read_json(text: &str, wanted: &[&str]) -> token_keeper_core::json::Parsed {
    let mut keys = alloc::string::String::new();
    for key in wanted {
        keys.push_str(key);
        keys.push('\n');
    }
    borrow(&FIELDS.0).start(wanted.len());
    // SAFETY: both pointers are to live UTF-8 of the lengths given, which the import only reads,
    // during the call; it calls back nothing that touches them.
    let kind = unsafe { json(text.as_ptr(), text.len(), keys.as_ptr(), keys.len()) };
    borrow(&FIELDS.0).finish(kind)
}

/// Natively (the tests) the core's reader of the Rust crate stands in for `JSON.parse`.
#[cfg(not(all(target_arch = "wasm32", not(test))))]
pub(crate) use token_keeper_core::json::serde_reader as read_json;

/// The page's cookies, as JavaScript wrote them with [`room`] (apart from [`STATE`], which is
/// borrowed meanwhile).
struct Cookies(RefCell<alloc::vec::Vec<u8>>);

// SAFETY: as for `Local`.
unsafe impl Sync for Cookies {}

static COOKIES: Cookies = Cookies(RefCell::new(alloc::vec::Vec::new()));

/// Room for `len` bytes of the page's cookies, which the import `tk.cookies` writes there.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn room(len: usize) -> *mut u8 {
    let mut cookies = borrow(&COOKIES.0);
    *cookies = alloc::vec![0; len];
    cookies.as_mut_ptr()
}

/// The page's cookies, read through the import `tk.cookies` when the core sends an auth call
/// (for its CSRF header). Invalid UTF-8 (JavaScript never writes any) reads as "".
#[cfg(all(target_arch = "wasm32", not(test)))]
pub(crate) fn read_cookies() -> alloc::string::String {
    // SAFETY: the import only calls back [`room`], which touches nothing but COOKIES.
    let len = unsafe { cookies() };
    let cookies = borrow(&COOKIES.0);
    let bytes = cookies.get(..len).unwrap_or_default();
    alloc::string::String::from(core::str::from_utf8(bytes).unwrap_or_default())
}

/// The page's cookies, as a test has JavaScript write them.
#[cfg(test)]
pub(crate) fn set_cookies(text: &str) {
    *borrow(&COOKIES.0) = alloc::vec::Vec::from(text.as_bytes());
}

/// Natively (the tests), what a test last wrote with [`room`].
#[cfg(not(all(target_arch = "wasm32", not(test))))]
pub(crate) fn read_cookies() -> alloc::string::String {
    let cookies = borrow(&COOKIES.0);
    alloc::string::String::from(core::str::from_utf8(&cookies).unwrap_or_default())
}

/// One member of the text `tk.json` is reading: see [`Fields::put`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn field(index: u32, kind: u32, number: f64, len: usize) -> *mut u8 {
    borrow(&FIELDS.0).put(index, kind, number, len)
}

/// Each export is `name(args) -> ret` calling `api::name(state, args)`.
macro_rules! exports {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        #[cfg_attr(target_arch = "wasm32", no_mangle)]
        pub extern "C" fn $name($($arg: $ty),*) -> $ret {
            with(|s| api::$name(s, $($arg),*))
        }
    )*};
}

exports! {
    reg() -> *const f64;
    buf(len: usize) -> *mut u8;
    decode(len: usize, header: u32) -> u32;
    create(len: usize, locks: u32, channel: u32, seed: f64, flags: u32,
           lead: f64, ratio: f64, jitter: f64, timeout: f64, tries: f64, base: f64, max: f64) -> i32;
    free(h: u32) -> u32;
    poll(h: u32) -> u32;
    deadline(h: u32) -> f64;
    restore(h: u32, call: f64, now: f64) -> u32;
    refresh(h: u32, call: f64, now: f64) -> u32;
    login(h: u32, call: f64, len: usize, now: f64) -> u32;
    logout(h: u32, call: f64, now: f64) -> u32;
    set_token(h: u32, len: usize, now: f64) -> u32;
    wake(h: u32, visible: u32, now: f64) -> u32;
    timeout(h: u32, now: f64) -> u32;
    dispose(h: u32) -> u32;
    hear(h: u32, len: usize, v: f64, kind: i32, at: f64, lifetime: f64, for_ms: f64, now: f64) -> u32;
    auth_answer(h: u32, id: f64, status: u32, len: usize, retry_after: f64, now: f64) -> u32;
    fetch(h: u32, id: f64, len: usize, has_authorization: u32, now: f64) -> u32;
    fetch_answer(h: u32, id: f64, status: u32, len: usize, now: f64) -> u32;
    fetch_failed(h: u32, id: f64) -> u32;
    lock(h: u32, what: u32, now: f64) -> u32;
    second(len: usize) -> u32;
    nonce(len: usize) -> u32;
    token(h: u32) -> u32;
    claims(h: u32) -> u32;
    expires(h: u32) -> f64;
}
