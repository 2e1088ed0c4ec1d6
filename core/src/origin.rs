//! Which requests may carry the bearer: those whose URL's origin is on the allow-list.
//!
//! Drivers hand the core URLs as the browser normalized them (`Request.url`, `Response.url`:
//! absolute, lowercase scheme and host, no default port), so an origin is the text before the
//! first `/`, `?` or `#` after `scheme://`, and comparing it is a byte comparison.

use alloc::string::String;
use alloc::vec::Vec;

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
    if host.is_empty() || host.contains(&b'@') {
        return None;
    }
    url.get(..end)
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
