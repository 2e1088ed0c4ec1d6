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
//! JSON, base64 and UTF-8 are read by JavaScript (`JSON.parse`, `atob`, `TextDecoder`), not in
//! the wasm. An auth answer's body comes parsed: JavaScript hands its members over with the
//! export [`field`] ([`crate::fields`]) just before the answer. A token the core reads is
//! decoded when it reads it: the core asks [`decode_segment`], which calls the import
//! `tk.segment(data)`; JavaScript decodes the segment and, before it returns, hands its text and
//! members over with [`field`], which touches nothing but the members being collected. The other
//! import, `tk.cookies()`, writes the page's cookies where the export [`room`] says, which
//! touches nothing but them.

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
/// (`tk.segment`) and [`room`] (`tk.cookies`), which do not use it, so the borrow cannot fail.
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
    /// The JWT segment (base64url, without padding) at `data`, decoded by JavaScript: 0 when
    /// `atob` refuses it, 1 when its bytes are not UTF-8, 2 when the text is not JSON, 3 when it
    /// is not an object, 4 when it is one (its text and members were handed over with [`field`]
    /// meanwhile). JavaScript catches what it throws; nothing else it does throws but a trap of
    /// [`field`].
    fn segment(data: *const u8, len: usize) -> u32;
}

/// The core's [`Decoder`](token_keeper_core::jwt::Decoder) in the npm build: `atob`,
/// `TextDecoder` and `JSON.parse`.
#[cfg(all(target_arch = "wasm32", not(test)))]
pub(crate) fn decode_segment(data: &str) -> token_keeper_core::jwt::Decoded {
    borrow(&FIELDS.0).put(9, 0.0, 0, 0);
    // SAFETY: the pointer is to live UTF-8 of the length given, which the import only reads,
    // during the call; it calls back nothing that touches it.
    let kind = unsafe { segment(data.as_ptr(), data.len()) };
    borrow(&FIELDS.0).segment(kind)
}

/// Natively (the tests) the core's decoder of the Rust crate stands in for JavaScript's.
#[cfg(not(all(target_arch = "wasm32", not(test))))]
pub(crate) use token_keeper_core::parsed::serde_segment as decode_segment;

/// The auth answer's body as JavaScript parsed it (`kind`: 2 not JSON, 3 not an object, 4 an
/// object, its members handed over with [`field`] just before).
pub(crate) fn parsed_body(kind: u32) -> token_keeper_core::parsed::Parsed {
    borrow(&FIELDS.0).take(kind).1
}

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

/// What npm/js/core.js does with an auth answer's body before the answer (the tests):
/// `JSON.parse` (here `serde_json`), each member handed over; the kind for the answer.
#[cfg(test)]
pub(crate) fn stage_body(body: &str) -> u32 {
    use token_keeper_core::parsed::{serde_parse, Parsed, Value};
    let mut fields = borrow(&FIELDS.0);
    fields.put(9, 0.0, 0, 0);
    let members = match serde_parse(body) {
        Parsed::NotJson => return 2,
        Parsed::NotObject => return 3,
        Parsed::Object(members) => members,
    };
    for (key, value) in members.iter() {
        match value {
            Value::Null => fields.put_text(0, 0.0, key, ""),
            Value::Bool(b) => fields.put_text(1, f64::from(u8::from(*b)), key, ""),
            Value::Num(n) => fields.put_text(2, *n, key, ""),
            Value::Str(s) => fields.put_text(3, 0.0, key, s),
            Value::StrList(items) => {
                fields.put_text(4, 0.0, key, "");
                for item in items {
                    fields.put_text(5, 0.0, "", item);
                }
            }
            _ => fields.put_text(7, 0.0, key, ""),
        }
    }
    4
}

/// One member of a text JavaScript parsed: see [`Fields::put`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn field(kind: u32, number: f64, key_len: usize, len: usize) -> *mut u8 {
    borrow(&FIELDS.0).put(kind, number, key_len, len)
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
    auth_answer(h: u32, id: f64, status: u32, len: usize, parsed: u32, retry_after: f64, now: f64) -> u32;
    fetch(h: u32, id: f64, len: usize, has_authorization: u32, now: f64) -> u32;
    fetch_answer(h: u32, id: f64, status: u32, len: usize, now: f64) -> u32;
    lock(h: u32, what: u32, now: f64) -> u32;
    second(len: usize) -> u32;
    nonce(len: usize) -> u32;
    token(h: u32) -> u32;
    claims(h: u32) -> u32;
    expires(h: u32) -> f64;
}
