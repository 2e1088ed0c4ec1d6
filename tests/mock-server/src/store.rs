//! Refresh-token families: rotation, reuse detection and revocation, as plain Rust.
//!
//! A *family* starts at login. Every refresh retires the presented token and issues its successor.
//! Presenting a retired token is reuse: unless it is the token retired last and the grace window
//! is still open, the whole family is revoked (the newest token dies too) — the thief and the
//! victim both lose the session, and the victim signs in again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One login's chain of refresh tokens.
#[derive(Debug)]
pub struct Family {
    /// Who signed in.
    pub user: String,
    /// The double-submit CSRF value bound to this session.
    pub csrf: String,
    /// Generation of the one live refresh token.
    pub generation: u64,
    /// The live refresh token.
    pub current: String,
    /// When the family stops accepting refreshes.
    pub expires_at: Instant,
    /// Set on logout, on reuse detection and on reset.
    pub revoked: bool,
}

#[derive(Debug)]
struct Issued {
    family: u64,
    generation: u64,
    retired_at: Option<Instant>,
}

/// What a presented refresh token earns.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Rotated: the family's new live token.
    Rotated { family: u64, token: String },
    /// The token retired last, within the grace window: the family's current token, no rotation.
    Grace { family: u64, token: String },
    /// A retired token outside the grace window: the family is now revoked.
    ReuseDetected,
    /// Unknown, expired, or of a revoked family.
    Invalid,
}

/// Every family and every refresh token ever issued.
#[derive(Debug, Default)]
pub struct Store {
    families: HashMap<u64, Family>,
    tokens: HashMap<String, Issued>,
    next_family: u64,
}

impl Store {
    /// Starts a family for `user` and returns its id.
    pub fn login(
        &mut self,
        user: &str,
        token: String,
        csrf: String,
        now: Instant,
        ttl: Duration,
    ) -> u64 {
        self.next_family += 1;
        let id = self.next_family;
        self.tokens.insert(
            token.clone(),
            Issued {
                family: id,
                generation: 0,
                retired_at: None,
            },
        );
        self.families.insert(
            id,
            Family {
                user: user.to_owned(),
                csrf,
                generation: 0,
                current: token,
                expires_at: now + ttl,
                revoked: false,
            },
        );
        id
    }

    /// The family of a live or retired refresh token.
    pub fn family_of(&self, token: &str) -> Option<(u64, &Family)> {
        let issued = self.tokens.get(token)?;
        Some((issued.family, self.families.get(&issued.family)?))
    }

    /// A family by id.
    pub fn family(&self, id: u64) -> Option<&Family> {
        self.families.get(&id)
    }

    /// Presents `token` for a refresh; `fresh` is the successor to issue if it rotates.
    pub fn refresh(
        &mut self,
        token: &str,
        fresh: String,
        now: Instant,
        grace: Duration,
    ) -> Outcome {
        let Some(issued) = self.tokens.get(token) else {
            return Outcome::Invalid;
        };
        let (family_id, generation, retired_at) =
            (issued.family, issued.generation, issued.retired_at);
        let Some(family) = self.families.get_mut(&family_id) else {
            return Outcome::Invalid;
        };
        if family.revoked || now >= family.expires_at {
            return Outcome::Invalid;
        }
        match retired_at {
            None => {
                // The live token: rotate.
                if let Some(old) = self.tokens.get_mut(token) {
                    old.retired_at = Some(now);
                }
                family.generation += 1;
                family.current = fresh.clone();
                self.tokens.insert(
                    fresh.clone(),
                    Issued {
                        family: family_id,
                        generation: family.generation,
                        retired_at: None,
                    },
                );
                Outcome::Rotated {
                    family: family_id,
                    token: fresh,
                }
            }
            Some(at) if generation + 1 == family.generation && now.duration_since(at) <= grace => {
                Outcome::Grace {
                    family: family_id,
                    token: family.current.clone(),
                }
            }
            Some(_) => {
                family.revoked = true;
                Outcome::ReuseDetected
            }
        }
    }

    /// Revokes the family of `token`, if any; returns its id.
    pub fn revoke_family_of(&mut self, token: &str) -> Option<u64> {
        let id = self.tokens.get(token)?.family;
        self.families.get_mut(&id)?.revoked = true;
        Some(id)
    }

    /// Whether the family `id` is revoked (or unknown).
    pub fn is_revoked(&self, id: u64) -> bool {
        self.families.get(&id).is_none_or(|f| f.revoked)
    }

    /// Revokes every family.
    pub fn revoke_all(&mut self) {
        for family in self.families.values_mut() {
            family.revoked = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn store() -> (Store, Instant) {
        let mut s = Store::default();
        let now = Instant::now();
        s.login("alice", "t0".into(), "c".into(), now, DAY);
        (s, now)
    }

    #[test]
    fn rotation_retires_the_presented_token() {
        let (mut s, now) = store();
        assert!(matches!(
            s.refresh("t0", "t1".into(), now, Duration::ZERO),
            Outcome::Rotated { ref token, .. } if token == "t1"
        ));
        assert!(matches!(
            s.refresh("t1", "t2".into(), now, Duration::ZERO),
            Outcome::Rotated { .. }
        ));
        assert_eq!(s.family_of("t2").map(|(_, f)| f.generation), Some(2));
    }

    #[test]
    fn reuse_revokes_the_whole_family_even_the_newest_token() {
        let (mut s, now) = store();
        s.refresh("t0", "t1".into(), now, Duration::ZERO);
        assert_eq!(
            s.refresh(
                "t0",
                "x".into(),
                now + Duration::from_millis(1),
                Duration::ZERO
            ),
            Outcome::ReuseDetected
        );
        assert_eq!(
            s.refresh("t1", "t2".into(), now, Duration::ZERO),
            Outcome::Invalid
        );
    }

    #[test]
    fn the_last_retired_token_within_grace_gets_the_current_one() {
        let (mut s, now) = store();
        let grace = Duration::from_secs(5);
        s.refresh("t0", "t1".into(), now, grace);
        assert!(matches!(
            s.refresh("t0", "unused".into(), now + Duration::from_secs(4), grace),
            Outcome::Grace { ref token, .. } if token == "t1"
        ));
        assert!(s.family_of("unused").is_none(), "grace never rotates");
        // Two generations back is reuse, grace or not.
        s.refresh("t1", "t2".into(), now, grace);
        assert_eq!(
            s.refresh("t0", "x".into(), now, grace),
            Outcome::ReuseDetected
        );
    }

    #[test]
    fn expired_unknown_and_revoked_are_invalid() {
        let (mut s, now) = store();
        assert_eq!(
            s.refresh("nope", "x".into(), now, Duration::ZERO),
            Outcome::Invalid
        );
        assert_eq!(
            s.refresh("t0", "x".into(), now + DAY, Duration::ZERO),
            Outcome::Invalid
        );
        s.revoke_family_of("t0");
        assert_eq!(
            s.refresh("t0", "x".into(), now, Duration::ZERO),
            Outcome::Invalid
        );
    }
}
