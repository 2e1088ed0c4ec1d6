//! The two exports that read text JavaScript hands over before any keeper exists: `decodeJwt`
//! and `new TokenKeeper(options)` — the options, the URLs the browser resolved and the
//! allow-list.

use alloc::string::String;

use token_keeper_core::origin::allow_list;
use token_keeper_core::{jwt, AllowList, Config, Environment, Error, Keeper};

use crate::abi::read_json;
use crate::api::{id, State};

/// `decodeJwt`: 1 with the claims (or, with `header`, the header) as JSON out; 0 with an error.
pub(crate) fn decode(s: &mut State, len: usize, header: u32) -> u32 {
    let token = s.input(len);
    let json = if header == 1 {
        jwt::decode_header_unverified(token, read_json).map(|h| String::from(h.json()))
    } else {
        jwt::decode_unverified(token, read_json).map(|c| String::from(c.json()))
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

/// `new TokenKeeper(options)`. At [`buf`], lines: the options as JSON, the page's origin, then
/// `refreshUrl`, `loginUrl` and `logoutUrl` resolved against the page (empty when they do not
/// parse), then each of `allowedOrigins` as the browser normalizes it (empty when it does not
/// parse). `channel`: 0 no channel, 1 a channel, 2 a channel that carries no token (the isolated
/// entry). The handle, with the channel name out (empty when tabs are not coordinated); or -1
/// with an error.
pub(crate) fn create(s: &mut State, len: usize, locks: u32, channel: u32, seed: f64) -> i32 {
    match configure(s.input(len)) {
        Ok((config, allowed, session)) => {
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
                json: read_json,
            };
            let keeper = Some(Keeper::new(config, env));
            let h = match s.keepers.iter().position(Option::is_none) {
                Some(free) => {
                    s.keepers[free] = keeper;
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

/// The options, the allow-list, and the session (`refreshUrl` resolved).
fn configure(text: &str) -> Result<(Config, AllowList, String), Error> {
    // Byte scans: `str`'s pattern searchers cost the wasm hundreds of bytes. Cut at `\n`, so
    // every line is still UTF-8.
    let mut lines = text
        .as_bytes()
        .split(|&b| b == b'\n')
        .map(|line| core::str::from_utf8(line).unwrap_or_default());
    let config = Config::from_json(lines.next().unwrap_or_default(), read_json)?;
    let page = lines.next().unwrap_or_default();
    let refresh = lines.next().unwrap_or_default();
    let login = lines.next().filter(|_| config.login_url.is_some());
    let logout = lines.next().filter(|_| config.logout_url.is_some());
    let allowed = allow_list(&config, page, [Some(refresh), login, logout], lines)?;
    Ok((config, allowed, String::from(refresh)))
}
