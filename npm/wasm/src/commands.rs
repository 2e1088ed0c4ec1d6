//! The commands of the core as the JavaScript driver reads them: [`poll`] hands over the next
//! one as a [`Kind`], its numbers in registers 0–4 and its text in the out string (the calling
//! convention is at the top of `api.rs`).

use token_keeper_core::message::VERSION;
use token_keeper_core::{Command, Event, Settled};

use crate::api::{num, State};

/// What a command asks of the JavaScript driver; [`poll`] returns it as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// No command left.
    None = 0,
    /// Send auth call r0, with r1 headers; r2 its flags (1: `GET`, else `POST`) and the out
    /// string its lines (see [`poll`]).
    SendAuth = 1,
    /// Abort auth call r0.
    AbortAuth = 2,
    /// Send app request r0; r1 = watch; r2 = 1 with the out string's first line as
    /// `Authorization`, the token in it from byte r3 (ASCII: the same in UTF-16 units); r4 = 1
    /// with a DPoP proof to sign, its `htu` and nonce on the next two lines.
    SendApp = 3,
    /// Give app request r0's caller its last answer.
    FinishApp = 4,
    /// Ask for the lock; r0 = steal.
    RequestLock = 5,
    /// Release the lock (or stop waiting for it).
    ReleaseLock = 6,
    /// Post a message to the other tabs (`message.rs` has the structure): r0 its `type`'s index
    /// in `Kind::ALL`, r1 `at`, r2 `lifetime`, r3 `for` (NaN: absent), r4 `v`; the out string
    /// its session, then, after a line break, its token when it has one.
    Post = 7,
    /// Emit an event: r0 = 0 token (claims JSON out, expiry r1), 1 refresh (trigger out),
    /// 2 logout (reason out), 3 error.
    Emit = 8,
    /// Settle user call r0: r1 = 0 done, 1 restored false, 2 restored true, 3 claims JSON out,
    /// 4 error.
    Settle = 9,
}

/// The next command of keeper `h`, as a [`Kind`] with its numbers in the registers.
pub(crate) fn poll(s: &mut State, h: u32) -> u32 {
    let Some(command) = s.keeper(h).and_then(|k| k.poll(crate::abi::read_cookies)) else {
        return Kind::None as u32;
    };
    s.reg[..5].fill(0.0);
    s.out.clear();
    let r = &mut s.reg;
    let kind = match command {
        Command::SendAuth(send) => {
            r[0] = num(send.id.0);
            // Register 2's flag 1: `GET` (else `POST`). Lines, each present when its flag in
            // register 2 is: the URL (2), the token header's name (4), the proof's htu (8) and
            // nonce (16), then the headers' names and values (register 1 counts them), then the
            // body (32). None holds a line break: the URLs are resolved, header names and values
            // checked, and the JavaScript driver's body is `JSON.stringify`'s.
            let mut flags = u32::from(send.method == "GET");
            let out = &mut s.out;
            let mut line = |flag: u32, text: Option<&str>| {
                if let Some(text) = text {
                    flags |= flag;
                    out.push_str(text);
                    out.push('\n');
                }
            };
            line(2, send.url.as_deref());
            line(4, send.token_header.as_deref());
            line(8, send.proof.as_ref().map(|p| p.htu.as_str()));
            line(16, send.proof.as_ref().and_then(|p| p.nonce.as_deref()));
            // In the order of `AuthSend::headers`, written field by field: its iterator chain
            // cost the wasm 300 B more.
            let mut header = |name: &str, value: &str| {
                line(0, Some(name));
                line(0, Some(value));
                r[1] += 1.0;
            };
            if let Some((name, value)) = &send.csrf {
                header(name, value);
            }
            if let Some(bearer) = &send.authorization {
                header("authorization", bearer.expose());
            }
            if let Some(credentials) = &send.credentials {
                header("content-type", "application/json");
                for (name, value) in &credentials.headers {
                    header(name, value);
                }
                flags |= 32;
                out.push_str(&credentials.body);
            }
            r[2] = f64::from(flags);
            Kind::SendAuth
        }
        Command::AbortAuth { id } => {
            r[0] = num(id.0);
            Kind::AbortAuth
        }
        // One kind for both: register 1 says whether the keeper watches it, and register 2
        // whether the out string holds an `Authorization` value.
        Command::PassApp { id } => {
            r[0] = num(id.0);
            Kind::SendApp
        }
        Command::SendApp {
            id,
            authorization,
            proof,
        } => {
            (r[0], r[1], r[2]) = (num(id.0), 1.0, 1.0);
            // Where the token starts in it, for a DPoP proof's `ath`.
            r[3] = num(authorization.token_at() as u64);
            s.out.push_str(authorization.expose());
            // With a proof (register 4): its `htu` and nonce (empty: none) on two more lines.
            if let Some(proof) = proof {
                r[4] = 1.0;
                s.out.push('\n');
                s.out.push_str(&proof.htu);
                s.out.push('\n');
                s.out.push_str(proof.nonce.as_deref().unwrap_or_default());
            }
            Kind::SendApp
        }
        Command::FinishApp { id } => {
            r[0] = num(id.0);
            Kind::FinishApp
        }
        Command::RequestLock { steal } => {
            r[0] = f64::from(u8::from(steal));
            Kind::RequestLock
        }
        Command::ReleaseLock => Kind::ReleaseLock,
        Command::Post(message) => {
            let Some(k) = s.keepers.get(h as usize).and_then(Option::as_ref) else {
                return Kind::None as u32;
            };
            let (kind, token, numbers) = message.members();
            s.reg[0] = f64::from(kind as u8);
            for (r, n) in s.reg[1..4].iter_mut().zip(numbers) {
                *r = n.unwrap_or(f64::NAN);
            }
            s.reg[4] = VERSION;
            s.out.push_str(k.session());
            if let Some(token) = token {
                s.out.push('\n');
                s.out.push_str(token);
            }
            Kind::Post
        }
        Command::Emit(event) => {
            emit(s, &event);
            Kind::Emit
        }
        Command::Settle { call, result } => {
            s.reg[0] = num(call.0);
            s.reg[1] = match result {
                Ok(Settled::Done) => 0.0,
                Ok(Settled::Restored(yes)) => 1.0 + f64::from(u8::from(yes)),
                Ok(Settled::Claims(claims)) => {
                    s.out.push_str(claims.json());
                    3.0
                }
                Err(e) => {
                    s.fail(&e);
                    4.0
                }
            };
            Kind::Settle
        }
    };
    kind as u32
}

fn emit(s: &mut State, event: &Event) {
    s.reg[0] = match event {
        Event::Token {
            claims,
            expires_at_ms,
        } => {
            s.out.push_str(claims.json());
            s.reg[1] = expires_at_ms.unwrap_or(f64::NAN);
            0.0
        }
        Event::Refresh { trigger } => {
            s.out.push_str(trigger.as_str());
            1.0
        }
        Event::Logout { reason } => {
            s.out.push_str(reason.as_str());
            2.0
        }
        Event::Error(e) => {
            s.fail(e);
            3.0
        }
        // An event this driver does not know yet: an error event with no listener harm.
        _ => 4.0,
    };
}
