//! Which requests may carry the bearer: those whose URL's origin is on the allow-list.
//!
//! Drivers hand the core URLs as the browser normalized them (`Request.url`, `Response.url`:
//! absolute, lowercase scheme and host, no default port), so an origin is the text before the
//! first `/`, `?` or `#` after `scheme://`, and comparing it is a byte comparison.

use alloc::string::String;
use alloc::vec::Vec;

use crate::config::{config_error, Config};
use crate::Error;

/// The origin of an absolute, normalized URL: `scheme://host[:port]`. `None` for URLs without an
/// authority (`data:`, `blob:`, `about:`), whose origin is opaque, and for URLs carrying
/// `user:pass@`, which are never compared as a host.
pub fn origin_of_absolute(url: &str) -> Option<&str> {
    // Byte scans: a `str` pattern search would pull in kilobytes of searcher code.
    let bytes = url.as_bytes();
    let after_scheme = bytes.windows(3).position(|w| w == b"://")? + 3;
    let scheme = bytes.get(..after_scheme - 3)?;
    if scheme.is_empty()
        || !scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
    {
        return None;
    }
    let end = bytes
        .get(after_scheme..)?
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .map_or(bytes.len(), |i| after_scheme + i);
    let host = bytes.get(after_scheme..end)?;
    // Not `contains`: a slice's search costs the npm wasm hundreds of bytes.
    #[allow(clippy::manual_contains)]
    let userinfo = host.iter().any(|&b| b == b'@');
    if host.is_empty() || userinfo {
        return None;
    }
    url.get(..end)
}

/// The allow-list from what the page resolved — one decision for every driver. `urls`:
/// `refreshUrl`, `loginUrl`, `logoutUrl` as the browser resolved them against the page (`None`:
/// not given; `""`: given, but not a URL); `origins`: each of `allowedOrigins` as the browser
/// normalizes an origin (`""` when it is none); `page`: the page's origin. Without
/// `allowedOrigins`, the origins of the auth URLs and of the page.
///
/// # Errors
///
/// A `config` error naming an auth URL that is not one, or `allowedOrigins` when one of them is
/// not an origin such as `https://api.example.com`.
pub fn allow_list<'a>(
    config: &Config,
    page: &str,
    urls: [Option<&str>; 3],
    origins: impl IntoIterator<Item = &'a str>,
) -> Result<AllowList, Error> {
    let listed = config.allowed_origins.is_some();
    let mut list = Vec::new();
    // Plain loops and one message per error: this runs once, but its bytes ship in the wasm.
    for (url, name) in urls
        .into_iter()
        .zip(["refreshUrl", "loginUrl", "logoutUrl"])
    {
        if let Some(url) = url {
            if url.is_empty() {
                return Err(config_error(name, "is not a valid url"));
            }
            if !listed {
                list.extend(origin_of_absolute(url).map(String::from));
            }
        }
    }
    if !listed {
        if !page.is_empty() && page != "null" {
            list.push(String::from(page));
        }
        return Ok(AllowList::new(list));
    }
    for origin in origins {
        if origin.is_empty() || origin == "null" || origin_of_absolute(origin) != Some(origin) {
            return Err(config_error(
                "allowedOrigins",
                "must list origins such as https://api.example.com",
            ));
        }
        list.push(String::from(origin));
    }
    Ok(AllowList::new(list))
}

/// The origins that receive the bearer, normalized by the driver when the keeper starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// An allow-list of these origins (each `scheme://host[:port]`, as browsers write origins).
    pub fn new(origins: Vec<String>) -> AllowList {
        AllowList(origins)
    }

    /// Whether a request to (or an answer from) `url` may carry the bearer.
    pub fn allows(&self, url: &str) -> bool {
        origin_of_absolute(url).is_some_and(|o| self.0.iter().any(|a| a == o))
    }

    /// The origins, as given.
    pub fn origins(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn the_allow_list_is_decided_here_for_every_driver() {
        let mut config = Config::new(String::from("/auth/refresh"));
        config.login_url = Some(String::from("https://id.example/login"));
        let urls = [
            Some("https://app.example/auth/refresh"),
            Some("https://id.example/login"),
            None,
        ];
        // By default: the auth URLs' origins and the page's.
        let list = allow_list(&config, "https://app.example", urls, []).unwrap();
        assert_eq!(
            list,
            AllowList::new(vec![
                "https://app.example".into(),
                "https://id.example".into(),
                "https://app.example".into()
            ])
        );
        assert!(list.allows("https://id.example/api"));
        // An opaque page adds nothing.
        let list = allow_list(&config, "null", urls, []).unwrap();
        assert!(!list.allows("null/x"));
        // A URL given that did not resolve, and an allowed origin that is none, are named.
        let bad = allow_list(&config, "", [urls[0], Some(""), None], []).unwrap_err();
        assert!(bad.message().contains("loginUrl"), "{}", bad.message());
        config.allowed_origins = Some(vec![String::from("https://api.example")]);
        let list = allow_list(
            &config,
            "https://app.example",
            urls,
            ["https://api.example"],
        );
        assert_eq!(
            list.unwrap(),
            AllowList::new(vec!["https://api.example".into()])
        );
        for origin in ["", "null", "https://api.example/v1", "api.example"] {
            let bad = allow_list(&config, "https://app.example", urls, [origin]).unwrap_err();
            assert!(bad.message().contains("allowedOrigins"), "{origin}");
        }
    }

    #[test]
    fn origins_are_cut_at_the_path_query_or_fragment() {
        for (url, origin) in [
            (
                "https://api.example.com/v1/me",
                Some("https://api.example.com"),
            ),
            ("http://127.0.0.1:8080?x=1", Some("http://127.0.0.1:8080")),
            ("https://a.example#frag", Some("https://a.example")),
            ("https://a.example", Some("https://a.example")),
            ("data:text/plain,hi", None),
            ("blob:https://a.example/uuid", None),
            ("https://user:pw@a.example/", None),
            ("://nohost", None),
            ("https:///path", None),
            ("", None),
        ] {
            assert_eq!(origin_of_absolute(url), origin, "{url}");
        }
    }

    #[test]
    fn only_listed_origins_are_allowed() {
        let list = AllowList::new(alloc::vec!["http://127.0.0.1:8080".into()]);
        assert!(list.allows("http://127.0.0.1:8080/api/me"));
        assert!(!list.allows("http://127.0.0.1:8081/api/me"));
        assert!(!list.allows("http://127.0.0.1:8080.evil.example/api"));
        assert!(!list.allows("https://127.0.0.1:8080/api/me"));
    }
}
