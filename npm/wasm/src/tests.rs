//! The export layer on the host: the calling convention of `npm/js/token-keeper.js`, driven
//! through [`api`] with the strings written where JavaScript writes them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;

use crate::api::{self, Kind, State};

const T0: f64 = 1_700_000_000_000.0;

/// Writes `text` at `buf`, as JavaScript does; its length.
fn put(s: &mut State, text: &str) -> usize {
    api::buf(s, text.len());
    s.input_mut(text.len()).copy_from_slice(text.as_bytes());
    text.len()
}

fn out(s: &mut State) -> String {
    s.sync();
    String::from(s.out())
}

fn token(iat_s: f64, life_s: f64) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"alice","iat":{iat_s},"exp":{}}}"#,
        iat_s + life_s
    ));
    format!("{header}.{payload}.c2ln")
}

/// Options as npm/js/create.js hands them over: `strings`, the string options' lines (each `=`
/// and the value, or empty: refreshUrl, loginUrl, logoutUrl, tokenField, channelName,
/// tokenHeader, refreshMethod, the csrf names), after the page's origin and the resolved URLs.
fn made(s: &mut State, strings: &str, flags: u32, numbers: [f64; 7]) -> i32 {
    let lines = format!(
        "https://app.example\nhttps://app.example/auth/refresh\nhttps://app.example/auth/login\n\n{strings}"
    );
    let len = put(s, &lines);
    let [a, b, c, d, e, f, g] = numbers;
    api::create(s, len, 1, 1, 7.0, flags, a, b, c, d, e, f, g)
}

/// No number given.
const NONE: [f64; 7] = [f64::NAN; 7];

fn keeper(s: &mut State, strings: &str) -> i32 {
    made(s, strings, 0, NONE)
}

#[test]
fn a_keeper_is_made_from_typed_options_and_names_its_channel() {
    let mut s = State::new();
    let h = keeper(&mut s, "=/auth/refresh\n=/auth/login");
    assert_eq!(h, 0);
    // Derived from the session (the resolved refreshUrl): keepers of two backends keep apart.
    assert_eq!(out(&mut s), "token-keeper:https://app.example/auth/refresh");
    // crossTab false: its two bits 1.
    let h = made(&mut s, "=/r", 1, NONE);
    assert_eq!(h, 1);
    assert_eq!(out(&mut s), "", "no channel without crossTab");
    assert_eq!(api::free(&mut s, 0), 1);
    assert_eq!(keeper(&mut s, "=/r"), 0, "a freed slot is used again");
    // channelName given.
    assert_eq!(keeper(&mut s, "=/r\n\n\n\n=shop"), 2);
    assert_eq!(out(&mut s), "shop");
}

#[test]
fn options_out_of_range_and_unparsable_urls_are_config_errors() {
    let mut s = State::new();
    let refused = |s: &mut State, strings: &str, flags: u32, numbers: [f64; 7]| {
        assert_eq!(made(s, strings, flags, numbers), -1, "{strings:?}");
        out(s)
    };
    assert_eq!(
        refused(&mut s, "", 0, NONE),
        "config\noption `refreshUrl` is required"
    );
    assert_eq!(
        refused(&mut s, "=", 0, NONE),
        "config\noption `refreshUrl` must not be empty"
    );
    // loginUrl given, but the page could not resolve it (JavaScript wrote an empty line).
    let len = put(
        &mut s,
        "https://a.example\nhttps://a.example/r\n\n\n=/r\n=http://[",
    );
    let n = NONE;
    assert_eq!(
        api::create(&mut s, len, 0, 0, 1.0, 0, n[0], n[1], n[2], n[3], n[4], n[5], n[6]),
        -1
    );
    assert_eq!(out(&mut s), "config\noption `loginUrl` is not a valid url");
    // allowedOrigins given (its bits 2): an entry the browser could not read as an origin.
    let strings = "=/r\n\n\n\n\n\n\n\n\n\n";
    assert!(refused(&mut s, strings, 2 << 10, NONE).contains("allowedOrigins"));
    let mut n = NONE;
    n[3] = -1.0;
    assert_eq!(
        refused(&mut s, "=/r", 0, n),
        "config\noption `timeoutMs` must be between 0 and 10^12 milliseconds"
    );
    let mut n = NONE;
    n[4] = 1.5;
    assert_eq!(
        refused(&mut s, "=/r", 0, n),
        "config\noption `retry.attempts` must be a whole number from 0 to 100"
    );
    let mut n = NONE;
    n[1] = 1.0;
    assert!(refused(&mut s, "=/r", 0, n).contains("refreshLeadRatio"));
    assert_eq!(
        refused(&mut s, "=/r\n\n\n\n\n\n=PUT", 0, NONE),
        "config\noption `refreshMethod` must be \"POST\" or \"GET\""
    );
    // dpop and sendAccessTokenOnRefresh both true.
    assert!(refused(&mut s, "=/r", (2 << 2) | (2 << 4), NONE).contains("dpop"));
    // csrf given as an object with an empty header name.
    assert!(refused(&mut s, "=/r\n\n\n\n\n\n\n=", 2 << 8, NONE).contains("csrf"));
    assert!(s.keepers.iter().all(Option::is_none), "nothing was made");
}

#[test]
fn a_restore_goes_through_commands_to_a_settled_call() {
    let mut s = State::new();
    let h = keeper(&mut s, "=/auth/refresh") as u32;
    api::restore(&mut s, h, 1.0, T0);
    // The refresh event, the Web Lock, then the refresh call under the lock.
    assert_eq!(api::poll(&mut s, h), Kind::Emit as u32);
    assert_eq!(out(&mut s), "restore");
    assert_eq!(api::poll(&mut s, h), Kind::RequestLock as u32);
    assert_eq!(api::poll(&mut s, h), Kind::None as u32);
    api::lock(&mut s, h, 0, T0);
    // The other tabs hear that this one is working on it, then the call goes.
    assert_eq!(api::poll(&mut s, h), Kind::Post as u32);
    assert_eq!(
        out(&mut s),
        "https://app.example/auth/refresh",
        "its session, no token"
    );
    assert_eq!((s.reg()[0], s.reg()[4]), (3.0, 1.0), "working, version 1");
    assert!(
        s.reg()[3] > 0.0 && s.reg()[1].is_nan() && s.reg()[2].is_nan(),
        "for, no at"
    );
    // The page's cookies, read (through the import) as the call leaves: its CSRF header.
    crate::abi::set_cookies("other=1; csrf_token=c0");
    assert_eq!(api::poll(&mut s, h), Kind::SendAuth as u32);
    let (id, headers, flags) = (s.reg()[0], s.reg()[1], s.reg()[2]);
    assert_eq!(
        (headers, flags),
        (1.0, 2.0),
        "one header; a URL, POST, no body"
    );
    assert_eq!(
        out(&mut s),
        "https://app.example/auth/refresh\nX-CSRF-Token\nc0\n"
    );
    let body = format!(r#"{{"access_token":"{}"}}"#, token(T0 / 1000.0, 300.0));
    let len = put(&mut s, &body);
    let parsed = crate::abi::stage_body(&body);
    api::auth_answer(&mut s, h, id, 200, len, parsed, f64::NAN, T0 + 5.0);
    let mut kinds = Vec::new();
    loop {
        let kind = api::poll(&mut s, h);
        if kind == Kind::None as u32 {
            break;
        }
        if kind == Kind::Settle as u32 {
            assert_eq!(
                (s.reg()[0], s.reg()[1]),
                (1.0, 2.0),
                "call 1: restored, true"
            );
        }
        kinds.push(kind);
    }
    assert!(kinds.contains(&(Kind::Settle as u32)), "{kinds:?}");
    assert!(api::deadline(&mut s, h) > T0, "the refresh is scheduled");
    assert_eq!(api::claims(&mut s, h), 1);
    assert!(out(&mut s).contains(r#""sub":"alice""#));

    // A request to the page's origin carries the bearer; one elsewhere does not.
    let url = put(&mut s, "https://app.example/api/me");
    api::fetch(&mut s, h, 9.0, url, 0, T0 + 10.0);
    assert_eq!(api::poll(&mut s, h), Kind::SendApp as u32);
    assert_eq!(&s.reg()[..3], &[9.0, 1.0, 1.0]);
    assert!(out(&mut s).starts_with("Bearer ey"));
    let url = put(&mut s, "https://elsewhere.example/api/me");
    api::fetch(&mut s, h, 10.0, url, 0, T0 + 10.0);
    assert_eq!(api::poll(&mut s, h), Kind::SendApp as u32);
    assert_eq!(&s.reg()[..3], &[10.0, 0.0, 0.0]);
}

#[test]
fn set_token_and_decode_report_errors_without_changing_anything() {
    let mut s = State::new();
    let h = keeper(&mut s, "=/r") as u32;
    let len = put(&mut s, "e30.!.x");
    assert_eq!(api::set_token(&mut s, h, len, T0), 0);
    assert_eq!(
        out(&mut s),
        "invalid_token\nthe jwt payload segment is not valid base64url"
    );
    assert_eq!(api::token(&mut s, h), 0);
    let good = token(T0 / 1000.0, 60.0);
    let len = put(&mut s, &good);
    assert_eq!(api::set_token(&mut s, h, len, T0), 1);
    assert_eq!(api::token(&mut s, h), 1);
    assert_eq!(out(&mut s), good);
    let len = put(&mut s, "a.b");
    assert_eq!(api::decode(&mut s, len, 0), 0);
    assert_eq!(
        out(&mut s),
        "invalid_token\na jwt has 3 dot-separated segments, this token has 2"
    );
    let len = put(&mut s, &good);
    assert_eq!(api::decode(&mut s, len, 1), 1);
    assert_eq!(out(&mut s), r#"{"alg":"HS256","typ":"JWT"}"#);
}

#[test]
fn a_handle_that_names_no_keeper_is_a_no_op() {
    let mut s = State::new();
    assert_eq!(api::restore(&mut s, 3, 1.0, T0), 0);
    assert_eq!(api::poll(&mut s, 3), Kind::None as u32);
    assert!(api::deadline(&mut s, 3).is_nan());
    assert_eq!(api::free(&mut s, 3), 0);
}

proptest! {
    /// Whatever JavaScript (or another tab, or a server) hands over, no export panics: a panic
    /// would trap and poison the module for the whole page.
    #[test]
    fn no_input_makes_an_export_panic(text in ".{0,200}", n in any::<u32>(), x in any::<f64>()) {
        let mut s = State::new();
        let len = put(&mut s, &text);
        let _ = api::create(&mut s, len, n & 1, n & 2, x, n, x, x, x, x, x, x, x);
        let h = keeper(&mut s, "=/r") as u32;
        let len = put(&mut s, &text);
        let _ = api::second(&mut s, len);
        let len = put(&mut s, &text);
        #[allow(clippy::cast_possible_wrap)]
        let _ = api::hear(&mut s, h, len, x, n as i32 % 5, x, x, x, x);
        let len = put(&mut s, &text);
        let _ = api::set_token(&mut s, h, len, x);
        let len = put(&mut s, &text);
        let parsed = crate::abi::stage_body(&text);
        let _ = api::auth_answer(&mut s, h, x, n, len, parsed, x, x);
        let _ = api::auth_answer(&mut s, h, x, n, len, n, x, x);
        let len = put(&mut s, &text);
        let _ = api::fetch(&mut s, h, x, len, n, x);
        let len = put(&mut s, &text);
        let _ = api::fetch_answer(&mut s, h, x, n, len, x);
        let len = put(&mut s, &text);
        let _ = api::login(&mut s, h, x, len, x);
        crate::abi::set_cookies(&text);
        let len = put(&mut s, &text);
        let _ = api::second(&mut s, len);
        let len = put(&mut s, &text);
        let _ = api::decode(&mut s, len, n);
        let _ = api::lock(&mut s, h, n, x);
        let _ = api::wake(&mut s, h, n, x);
        let _ = api::timeout(&mut s, h, x);
        while api::poll(&mut s, h) != 0 {}
        // Lengths past the buffer read as an empty string.
        let _ = api::hear(&mut s, h, usize::MAX, 1.0, 2, x, x, x, x);
        let _ = api::dispose(&mut s, h);
    }
}
