//! The two exports that read text JavaScript hands over before any keeper exists: `decodeJwt`
//! and `new TokenKeeper(options)` — the options, the URLs the browser resolved and the
//! allow-list.

use alloc::string::String;
use alloc::vec::Vec;

use token_keeper_core::config::{attempts, config_error, millis, RefreshMethod, Retry};
use token_keeper_core::origin::allow_list;
use token_keeper_core::schedule::Policy;
use token_keeper_core::{jwt, AllowList, Config, Environment, Error, Keeper};

use crate::abi::decode_segment;
use crate::api::{id, State};

/// `decodeJwt`: 1 with the claims (or, with `header`, the header) as JSON out; 0 with an error.
pub(crate) fn decode(s: &mut State, len: usize, header: u32) -> u32 {
    let token = s.input(len);
    let json = if header == 1 {
        jwt::decode_header_unverified(token, decode_segment).map(|h| String::from(h.json()))
    } else {
        jwt::decode_unverified(token, decode_segment).map(|c| String::from(c.json()))
    };
    match json {
        Ok(json) => {
            s.out = json;
            1
        }
        Err(e) => {
            s.fail(&Error::from(e));
            0
        }
    }
}

/// The options' numbers, `NaN` for one not given.
type Numbers = [f64; 7];

/// `refreshUrl`, `loginUrl` and `logoutUrl`, resolved against the page.
type Urls = [Option<String>; 3];

/// `new TokenKeeper(options)`, its options typed by JavaScript (each of the right type, no
/// unknown name: npm/js/create.js); their meaning is checked here, by the core's rules.
///
/// At [`buf`](crate::api::buf), lines: the page's origin, then `refreshUrl`, `loginUrl` and
/// `logoutUrl` resolved against the page (empty when they do not parse), then the string options
/// as given, each `=` and its value or empty when not given — `refreshUrl`, `loginUrl`,
/// `logoutUrl`, `tokenField`, `channelName`, `tokenHeader`, `refreshMethod`, `csrf.headerName`,
/// `csrf.cookieName`, `csrf.responseField` — then each of `allowedOrigins` as the browser
/// normalizes it (empty when it does not parse). `flags`, two bits each (0 not given, 1 `false`,
/// 2 `true` or, for `csrf`, an object; 2 for `allowedOrigins` given): `crossTab`,
/// `sendAccessTokenOnRefresh`, `dpop`, `refreshAfterLogin`, `csrf`, `allowedOrigins`.
/// Then the numbers, `NaN` for one not given: `refreshLeadMs`, `refreshLeadRatio`,
/// `jitterRatio`, `timeoutMs`, `retry.attempts`, `retry.baseDelayMs`, `retry.maxDelayMs`.
/// `channel`: 0 no channel, 1 a channel, 2 a channel that carries no token (the isolated entry).
/// The handle, with the channel name out (empty when tabs are not coordinated); or -1 with an
/// error.
#[allow(clippy::too_many_arguments)]
pub(crate) fn create(
    s: &mut State,
    len: usize,
    locks: u32,
    channel: u32,
    seed: f64,
    flags: u32,
    lead: f64,
    ratio: f64,
    jitter: f64,
    timeout: f64,
    tries: f64,
    base: f64,
    max: f64,
) -> i32 {
    let numbers = [lead, ratio, jitter, timeout, tries, base, max];
    match configure(s.input(len), flags, numbers) {
        Ok((config, allowed, [session, login_url, logout_url])) => {
            let session = session.unwrap_or_default();
            let cross_tab = config.cross_tab;
            let name = if cross_tab {
                config.channel_name_for(&session)
            } else {
                String::new()
            };
            let env = Environment {
                allowed,
                locks: cross_tab && locks == 1,
                channel: cross_tab && channel >= 1,
                tab_tokens: channel != 2,
                seed: id(seed),
                session,
                login_url,
                logout_url,
                decoder: decode_segment,
            };
            let keeper = Some(Keeper::new(config, env));
            let h = match s.keepers.iter().position(Option::is_none) {
                Some(free) => {
                    if let Some(slot) = s.keepers.get_mut(free) {
                        *slot = keeper;
                    }
                    free
                }
                None => {
                    s.keepers.push(keeper);
                    s.keepers.len() - 1
                }
            };
            s.out = name;
            i32::try_from(h).unwrap_or(-1)
        }
        Err(e) => {
            s.fail(&e);
            -1
        }
    }
}

/// The options, the allow-list, and the resolved URLs: the session (`refreshUrl`), `loginUrl`
/// and `logoutUrl` (when set).
fn configure(text: &str, flags: u32, n: Numbers) -> Result<(Config, AllowList, Urls), Error> {
    // What can be refused is checked before anything is allocated: each early return with
    // strings alive would carry its own clean-up of them (wasm bytes).
    // Byte scans: `str`'s pattern searchers cost the wasm hundreds of bytes. Cut at `\n` (which
    // JavaScript refuses in a string option), so every line is still UTF-8.
    let mut lines = text
        .as_bytes()
        .split(|&b| b == b'\n')
        .map(|line| core::str::from_utf8(line).unwrap_or_default());
    let mut head = [""; 4];
    for slot in &mut head {
        *slot = lines.next().unwrap_or_default();
    }
    let [page, refresh, login, logout] = head;
    // The string options: `=` and the value when given.
    let mut strings = [None; 10];
    for slot in &mut strings {
        *slot = lines.next().and_then(|line| line.strip_prefix('='));
    }
    let [refresh_url, login_url, logout_url, field, channel, header, method, csrf @ ..] = strings;
    let refresh_url = refresh_url.ok_or_else(|| config_error("refreshUrl", "is required"))?;
    let method = match method {
        Some(method) => RefreshMethod::from_option(method)?,
        None => RefreshMethod::Post,
    };
    let [lead, ratio, jitter, timeout, tries, base, max] = n;
    // NaN: not given (JavaScript refused any other number that is not finite).
    let given = |x: f64| !x.is_nan();
    let mut retry = Retry::default();
    let mut policy = Policy::default();
    if given(lead) {
        policy.lead = millis("refreshLeadMs", lead)?;
    }
    if given(ratio) {
        policy.lead_ratio = ratio;
    }
    if given(jitter) {
        policy.jitter_ratio = jitter;
    }
    let timeout = if given(timeout) {
        Some(millis("timeoutMs", timeout)?)
    } else {
        None
    };
    if given(tries) {
        retry.attempts = attempts(tries)?;
    }
    if given(base) {
        retry.base_delay = millis("retry.baseDelayMs", base)?;
    }
    if given(max) {
        retry.max_delay = millis("retry.maxDelayMs", max)?;
    }
    let flag = |i: u32| (flags >> (2 * i)) & 3;
    let mut c = Config::new(refresh_url);
    c.login_url = login_url.map(String::from);
    c.logout_url = logout_url.map(String::from);
    if let Some(field) = field {
        c.token_field = String::from(field);
    }
    c.channel_name = channel.map(String::from);
    c.token_header = header.map(String::from);
    c.refresh_method = method;
    c.policy = policy;
    c.retry = retry;
    if let Some(timeout) = timeout {
        c.timeout = timeout;
    }
    let flagged = [
        &mut c.cross_tab,
        &mut c.send_access_token_on_refresh,
        &mut c.dpop,
        &mut c.refresh_after_login,
    ];
    for (on, i) in flagged.into_iter().zip(0..) {
        if flag(i) != 0 {
            *on = flag(i) == 2;
        }
    }
    if flag(4) == 1 {
        c.csrf = None;
    } else if let Some(names) = &mut c.csrf {
        for (slot, value) in [
            &mut names.header_name,
            &mut names.cookie_name,
            &mut names.response_field,
        ]
        .into_iter()
        .zip(csrf)
        {
            if let Some(value) = value {
                *slot = String::from(value);
            }
        }
    }
    let origins: Vec<&str> = lines.collect();
    if flag(5) != 0 {
        let mut listed = Vec::new();
        for origin in &origins {
            listed.push(String::from(*origin));
        }
        c.allowed_origins = Some(listed);
    }
    let c = c.validate()?;
    let login = Some(login).filter(|_| c.login_url.is_some());
    let logout = Some(logout).filter(|_| c.logout_url.is_some());
    let urls = [Some(refresh), login, logout];
    let allowed = allow_list(&c, page, urls, origins)?;
    Ok((c, allowed, urls.map(|url| url.map(String::from))))
}
