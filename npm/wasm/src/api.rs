//! What each export does, in safe Rust over the core ([`token_keeper_core::Keeper`]).
//!
//! The calling convention, shared with `npm/js/token-keeper.js`:
//! - a string argument is first written as UTF-8 at [`buf`]`(len)`; the call then takes `len`;
//! - numbers go as `f64` (ids, times in ms since the epoch) or `u32` (flags, statuses, handles);
//! - a string answer is left in the out string; its address and length are registers 6 and 7;
//! - [`poll`] (in `commands.rs`) returns the next command's kind ([`Kind`]) with its numbers in
//!   registers 0–4;
//! - an error is the out string `code\nmessage`, with its HTTP status (or 0) in register 3.
//!
//! A handle that names no keeper (freed, or never made) makes every call a no-op: the JavaScript
//! object may outlive what it points to, but never reaches another keeper's state.

use alloc::string::String;
use alloc::vec::Vec;

use token_keeper_core::message::{Kind as MessageKind, Wire};
use token_keeper_core::{
    Answer, AppAnswer, AuthId, CallId, Credentials, Error, FetchId, Keeper, LockEvent,
};

pub(crate) use crate::commands::poll;
pub use crate::commands::Kind;
pub(crate) use crate::create::{create, decode};

/// Every keeper of the page, the registers, the input buffer and the out string.
#[derive(Debug)]
pub struct State {
    pub(crate) keepers: Vec<Option<Keeper>>,
    pub(crate) reg: [f64; 8],
    buf: Vec<u8>,
    pub(crate) out: String,
    /// A second string for the export called next ([`second`]).
    header: Option<String>,
    /// An answer's `DPoP-Nonce`, for the answer handed over next ([`nonce`]).
    nonce: Option<String>,
}

impl State {
    pub(crate) const fn new() -> State {
        State {
            keepers: Vec::new(),
            reg: [0.0; 8],
            buf: Vec::new(),
            out: String::new(),
            header: None,
            nonce: None,
        }
    }

    /// After every export: where the out string is now.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn sync(&mut self) {
        self.reg[6] = self.out.as_ptr() as usize as f64;
        self.reg[7] = self.out.len() as f64;
    }

    /// The input buffer, for tests writing where JavaScript writes.
    #[cfg(test)]
    pub(crate) fn input_mut(&mut self, len: usize) -> &mut [u8] {
        &mut self.buf[..len]
    }

    /// The out string and the registers, for tests.
    #[cfg(test)]
    pub(crate) fn out(&self) -> &str {
        &self.out
    }

    #[cfg(test)]
    pub(crate) fn reg(&self) -> &[f64; 8] {
        &self.reg
    }

    /// The string JavaScript wrote at [`buf`]. Invalid UTF-8 (it never writes any) reads as "".
    pub(crate) fn input(&self, len: usize) -> &str {
        utf8(&self.buf, len)
    }

    /// Keeper `h` and the string at [`buf`], borrowed together: nothing is copied.
    fn keeper_and_input(&mut self, h: u32, len: usize) -> Option<(&mut Keeper, &str)> {
        let keeper = self.keepers.get_mut(h as usize)?.as_mut()?;
        Some((keeper, utf8(&self.buf, len)))
    }

    pub(crate) fn keeper(&mut self, h: u32) -> Option<&mut Keeper> {
        self.keepers.get_mut(h as usize)?.as_mut()
    }

    fn say(&mut self, text: &str) {
        self.out.clear();
        self.out.push_str(text);
    }

    pub(crate) fn fail(&mut self, e: &Error) {
        self.say(e.code());
        self.out.push('\n');
        self.out.push_str(e.message());
        self.reg[3] = f64::from(e.status().unwrap_or(0));
    }

    /// Feeds keeper `h` one input; 1 when it exists.
    fn feed(&mut self, h: u32, f: impl FnOnce(&mut Keeper)) -> u32 {
        self.keeper(h).map(f).is_some().into()
    }

    /// Feeds keeper `h` one input with the string at [`buf`].
    fn feed_str(&mut self, h: u32, len: usize, f: impl FnOnce(&mut Keeper, &str)) -> u32 {
        self.keeper_and_input(h, len)
            .map(|(k, text)| f(k, text))
            .is_some()
            .into()
    }
}

/// The first `len` bytes of `buf` as text. Invalid UTF-8 (JavaScript never writes any) reads as "".
fn utf8(buf: &[u8], len: usize) -> &str {
    core::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or_default()
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn id(n: f64) -> u64 {
    n as u64
}

#[allow(clippy::cast_precision_loss)]
pub(crate) fn num(n: u64) -> f64 {
    n as f64
}

fn status(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(0)
}

pub(crate) fn reg(s: &mut State) -> *const f64 {
    s.reg.as_ptr()
}

pub(crate) fn buf(s: &mut State, len: usize) -> *mut u8 {
    s.buf.clear();
    s.buf.resize(len, 0);
    s.buf.as_mut_ptr()
}

/// Forgets keeper `h` (the JavaScript object was garbage-collected).
pub(crate) fn free(s: &mut State, h: u32) -> u32 {
    s.keepers
        .get_mut(h as usize)
        .map(Option::take)
        .is_some()
        .into()
}

/// When keeper `h`'s one timer must fire (ms on the local clock); NaN for never.
pub(crate) fn deadline(s: &mut State, h: u32) -> f64 {
    s.keeper(h)
        .and_then(|k| k.poll_timeout())
        .unwrap_or(f64::NAN)
}

pub(crate) fn restore(s: &mut State, h: u32, call: f64, now: f64) -> u32 {
    s.feed(h, |k| k.restore(CallId(id(call)), now))
}

pub(crate) fn refresh(s: &mut State, h: u32, call: f64, now: f64) -> u32 {
    s.feed(h, |k| k.refresh(CallId(id(call)), now))
}

/// `login(body, init)`: at [`buf`], the body's JSON (which `JSON.stringify` writes on one line),
/// then the app's headers as `name` and `value` lines.
pub(crate) fn login(s: &mut State, h: u32, call: f64, len: usize, now: f64) -> u32 {
    s.feed_str(h, len, |k, text| {
        // Byte scans: `str`'s pattern searchers cost the wasm hundreds of bytes. Cut at `\n`,
        // so every line is still UTF-8.
        let mut lines = text
            .as_bytes()
            .split(|&b| b == b'\n')
            .map(|line| String::from(core::str::from_utf8(line).unwrap_or_default()));
        let body = lines.next().unwrap_or_default();
        let mut headers = Vec::new();
        while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
            headers.push((name, value));
        }
        k.login(CallId(id(call)), Credentials { body, headers }, now);
    })
}

pub(crate) fn logout(s: &mut State, h: u32, call: f64, now: f64) -> u32 {
    s.feed(h, |k| k.logout(CallId(id(call)), now))
}

/// `setToken`: 1 with the claims JSON out; 0 with an error (the keeper keeps what it held).
pub(crate) fn set_token(s: &mut State, h: u32, len: usize, now: f64) -> u32 {
    let Some((keeper, token)) = s.keeper_and_input(h, len) else {
        return 0;
    };
    match keeper.set_token(token, now) {
        Ok(claims) => {
            s.say(claims.json());
            1
        }
        Err(e) => {
            s.fail(&e);
            0
        }
    }
}

pub(crate) fn wake(s: &mut State, h: u32, visible: u32, now: f64) -> u32 {
    s.feed(h, |k| k.handle_wake(visible == 1, now))
}

pub(crate) fn timeout(s: &mut State, h: u32, now: f64) -> u32 {
    s.feed(h, |k| k.handle_timeout(now))
}

pub(crate) fn dispose(s: &mut State, h: u32) -> u32 {
    s.feed(h, Keeper::dispose)
}

/// A message from another tab, its members as JavaScript read them off the structured clone
/// (`message.rs` has the structure; JavaScript dropped what does not fit it): the token at
/// [`buf`] ("" for none), the session handed over just before with [`second`]; `kind` the `type`'s
/// index in [`MessageKind::ALL`] (−1: another, dropped); the numbers NaN when absent (one that
/// was NaN comes as −1, which the core refuses).
#[allow(clippy::too_many_arguments)]
pub(crate) fn hear(
    s: &mut State,
    h: u32,
    len: usize,
    v: f64,
    kind: i32,
    at: f64,
    lifetime: f64,
    for_ms: f64,
    now: f64,
) -> u32 {
    let session = s.header.take().unwrap_or_default();
    let Some(&kind) = usize::try_from(kind)
        .ok()
        .and_then(|i| MessageKind::ALL.get(i))
    else {
        return 0;
    };
    let given = |n: f64| (!n.is_nan()).then_some(n);
    s.feed_str(h, len, |k, token| {
        let wire = Wire {
            v,
            kind,
            session,
            token: (!token.is_empty()).then(|| String::from(token)),
            at: given(at),
            lifetime: given(lifetime),
            for_ms: given(for_ms),
        };
        k.handle_tab_message(&wire, now);
    })
}

/// Auth call `id` answered with `status` and the body at [`buf`]; status 0: it failed. The
/// body as `JSON.parse` read it (`parsed`: see [`parsed_body`](crate::abi::parsed_body)), its
/// members, its token header ([`second`]) and `DPoP-Nonce` ([`nonce`]) handed over just
/// before; `retry_after` in seconds, NaN when absent.
#[allow(clippy::too_many_arguments)]
pub(crate) fn auth_answer(
    s: &mut State,
    h: u32,
    id_: f64,
    status_: u32,
    len: usize,
    parsed: u32,
    retry_after: f64,
    now: f64,
) -> u32 {
    let token_header = s.header.take();
    let dpop_nonce = s.nonce.take();
    let parsed = crate::abi::parsed_body(parsed);
    s.feed_str(h, len, |k, body| {
        let answer = match status(status_) {
            0 => Answer::Failed,
            status => Answer::Response {
                status,
                body: String::from(body),
                parsed,
                retry_after_s: (retry_after >= 0.0 && retry_after.is_finite())
                    .then_some(retry_after),
                token_header,
                dpop_nonce,
            },
        };
        k.handle_auth_answer(AuthId(id(id_)), answer, now);
    })
}

/// App request `id` to the URL at [`buf`]; `has_authorization` when the caller set that header.
pub(crate) fn fetch(s: &mut State, h: u32, id_: f64, len: usize, has: u32, now: f64) -> u32 {
    s.feed_str(h, len, |k, url| {
        k.fetch(FetchId(id(id_)), url, has == 1, now)
    })
}

/// App request `id`'s answer: its status and final URL (at [`buf`]); a 401's
/// `WWW-Authenticate` value ([`second`]) and with `dpop` its `DPoP-Nonce` ([`nonce`]) handed
/// over just before. A status that is none (JavaScript's -1): the request failed (the network,
/// the browser, or the caller's abort). Not 0, which an opaque redirect answers with (where
/// [`auth_answer`] takes 0 as its failure: an auth call is never redirected opaquely).
pub(crate) fn fetch_answer(
    s: &mut State,
    h: u32,
    id_: f64,
    status_: u32,
    len: usize,
    now: f64,
) -> u32 {
    let www_authenticate = s.header.take();
    let nonce = s.nonce.take();
    s.feed_str(h, len, |k, url| {
        let (www, nonce) = (www_authenticate.as_deref(), nonce.as_deref());
        let answer = match u16::try_from(status_) {
            Ok(status) => AppAnswer::Response {
                status,
                url,
                www_authenticate: www,
                dpop_nonce: nonce,
            },
            Err(_) => AppAnswer::Failed,
        };
        k.handle_app_answer(FetchId(id(id_)), answer, now);
    })
}

/// The lock: 0 granted, 1 refused, 2 stolen from this tab.
pub(crate) fn lock(s: &mut State, h: u32, what: u32, now: f64) -> u32 {
    s.feed(h, |k| match what {
        0 => k.handle_lock(LockEvent::Granted, now),
        1 => k.handle_lock(LockEvent::Refused, now),
        _ => k.handle_lock(LockEvent::Lost, now),
    })
}

/// A second string (at [`buf`]) for the export called next, which takes it: the `tokenHeader`
/// value before [`auth_answer`], a 401's `WWW-Authenticate` before [`fetch_answer`], a tab
/// message's session before [`hear`].
pub(crate) fn second(s: &mut State, len: usize) -> u32 {
    let value = String::from(s.input(len));
    s.header = Some(value);
    1
}

/// An answer's `DPoP-Nonce` (at [`buf`]), for the answer handed over next, which takes it:
/// [`auth_answer`] or [`fetch_answer`].
pub(crate) fn nonce(s: &mut State, len: usize) -> u32 {
    let value = String::from(s.input(len));
    s.nonce = Some(value);
    1
}

/// `accessToken()`: 1 with the token out, 0 when none is held.
pub(crate) fn token(s: &mut State, h: u32) -> u32 {
    let token = s
        .keeper(h)
        .and_then(|k| k.access_token().map(|t| String::from(t.expose())));
    s.out = token.unwrap_or_default();
    u32::from(!s.out.is_empty())
}

/// `claims()`: 1 with the claims JSON out, 0 when no token is held.
pub(crate) fn claims(s: &mut State, h: u32) -> u32 {
    let json = s
        .keeper(h)
        .and_then(|k| k.claims().map(|c| String::from(c.json())));
    s.out = json.unwrap_or_default();
    u32::from(!s.out.is_empty())
}

/// `expiresAt()`: ms on the local clock; NaN when unknown.
pub(crate) fn expires(s: &mut State, h: u32) -> f64 {
    s.keeper(h)
        .and_then(|k| k.expires_at_ms())
        .unwrap_or(f64::NAN)
}
