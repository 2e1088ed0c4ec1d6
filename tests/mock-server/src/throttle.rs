//! Failed logins, throttled per user and per client address: after [`MAX_FAILURES`] within
//! [`WINDOW_MS`], every login of that user, or from that address, is answered 429 with
//! `Retry-After` until the window ends — the password is not even compared, so guessing costs
//! the attacker the window. A success clears the user's count. Per instance, in memory (a
//! backend behind a load balancer keeps the counts where it keeps sessions).

use std::collections::HashMap;

/// Failed logins a user (or an address) may make within [`WINDOW_MS`].
pub(crate) const MAX_FAILURES: u32 = 5;
/// How long failures are counted, from the first of a window.
pub(crate) const WINDOW_MS: i64 = 60_000;
/// The counts are pruned of ended windows past this many entries.
const PRUNE_AT: usize = 10_000;

/// Failure counts: `user:<name>` and `addr:<ip>` → (failures, when the window began).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    failures: HashMap<String, (u32, i64)>,
}

impl Throttle {
    /// Seconds to wait before `keys` may log in again, if any of them is throttled at `now_ms`.
    pub(crate) fn wait_s(&self, keys: &[String], now_ms: i64) -> Option<i64> {
        keys.iter()
            .filter_map(|key| self.failures.get(key))
            .filter(|(count, since)| *count >= MAX_FAILURES && now_ms < since + WINDOW_MS)
            .map(|(_, since)| (since + WINDOW_MS - now_ms + 999) / 1000)
            .max()
    }

    /// A failed login by `keys` at `now_ms`.
    pub(crate) fn failed(&mut self, keys: &[String], now_ms: i64) {
        if self.failures.len() >= PRUNE_AT {
            self.failures
                .retain(|_, (_, since)| now_ms < *since + WINDOW_MS);
        }
        for key in keys {
            let entry = self.failures.entry(key.clone()).or_insert((0, now_ms));
            if now_ms >= entry.1 + WINDOW_MS {
                *entry = (0, now_ms);
            }
            entry.0 += 1;
        }
    }

    /// A successful login of `user`: its count starts over (the address's stays).
    pub(crate) fn succeeded(&mut self, user_key: &str) {
        self.failures.remove(user_key);
    }

    /// Forgets every count (`POST /__mock/reset`).
    pub(crate) fn clear(&mut self) {
        self.failures.clear();
    }
}

/// Whether `given` equals `expected`, in time that depends on their lengths only, never on
/// where they first differ: a password comparison must not tell an attacker how much was right.
pub(crate) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut differ = u8::from(given.len() != expected.len());
    for (i, b) in given.iter().enumerate() {
        differ |= b ^ expected
            .get(i % expected.len().max(1))
            .copied()
            .unwrap_or(0);
    }
    differ == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_throttle_for_the_rest_of_the_window() {
        let mut t = Throttle::default();
        let keys = ["user:alice".to_owned(), "addr:127.0.0.1".to_owned()];
        for i in 0..MAX_FAILURES {
            assert_eq!(t.wait_s(&keys, 1_000), None, "failure {i}");
            t.failed(&keys, 1_000);
        }
        assert_eq!(t.wait_s(&keys, 1_000), Some(60));
        assert_eq!(t.wait_s(&["user:bob".to_owned()], 1_000), None);
        assert_eq!(t.wait_s(&keys, 1_000 + WINDOW_MS), None, "the window ended");
        t.succeeded("user:alice");
        assert_eq!(t.wait_s(&keys[..1], 2_000), None);
        assert_eq!(
            t.wait_s(&keys[1..], 2_000),
            Some(59),
            "the address's count stays"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"wonderland", b"wonderland"));
        for given in [&b"wonderlanD"[..], b"wonderlan", b"wonderland!", b"", b"x"] {
            assert!(!same_secret(given, b"wonderland"), "{given:?}");
        }
    }
}
