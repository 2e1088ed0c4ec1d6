//! Refresh-token families and access-token revocation, in this process's memory.
//!
//! A *family* starts at login. Every refresh retires the presented token and issues its successor.
//! Presenting a retired token is reuse: unless it is the token retired last and the grace window
//! is still open, the whole family is revoked (the newest token dies too) — the thief and the
//! victim both lose the session, and the victim signs in again.
//!
//! [`crate::redis_store`] is the same contract kept in Redis, for several server instances; the
//! tests in this file describe both (`tests/redis.rs` runs them against Redis too).

use std::collections::{HashMap, HashSet};

/// What a server needs to know about the family of a presented refresh token.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The family id (the `fam` claim of its access tokens).
    pub family: u64,
    /// Who signed in.
    pub user: String,
    /// The CSRF value bound to this family at login.
    pub csrf: String,
    /// The families this browser's logins replaced, newest first (at most [`LINEAGE`]): a tab
    /// that missed the last login still holds one of their access tokens.
    pub lineage: Vec<u64>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The CSRF value is a secret of the session: never printed.
        f.debug_struct("Session")
            .field("family", &self.family)
            .field("user", &self.user)
            .field("lineage", &self.lineage)
            .finish_non_exhaustive()
    }
}

/// How many replaced families a session remembers.
pub const LINEAGE: usize = 8;

/// What a presented refresh token earns.
#[derive(PartialEq, Eq)]
pub enum Outcome {
    /// Rotated: the family's new live token.
    Rotated { session: Session, token: String },
    /// The token retired last, strictly within the grace window: the family's current token,
    /// no rotation.
    Grace { session: Session, token: String },
    /// A retired token outside the grace window: the family is now revoked.
    ReuseDetected,
    /// Unknown, expired, or of a revoked family.
    Invalid,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The refresh token is never printed.
        match self {
            Outcome::Rotated { session, .. } => write!(f, "Rotated({session:?})"),
            Outcome::Grace { session, .. } => write!(f, "Grace({session:?})"),
            Outcome::ReuseDetected => f.write_str("ReuseDetected"),
            Outcome::Invalid => f.write_str("Invalid"),
        }
    }
}

/// Times are milliseconds since 1970 (the server's clock, without the test skew).
pub type Millis = u64;

struct Family {
    user: String,
    csrf: String,
    lineage: Vec<u64>,
    /// Generation of the one live refresh token.
    generation: u64,
    /// The live refresh token (the grace rule hands it to a late tab).
    current: String,
    expires_at: Millis,
    /// Set on logout, on reuse detection, on a new login over it, and on reset.
    revoked: bool,
}

struct Issued {
    family: u64,
    generation: u64,
    retired_at: Option<Millis>,
}

/// Every family, every refresh token ever issued, and which access tokens are revoked.
#[derive(Default)]
pub struct MemoryStore {
    families: HashMap<u64, Family>,
    tokens: HashMap<String, Issued>,
    next_family: u64,
    /// The serial (`jti`) of the last access token issued.
    serial: u64,
    /// Access tokens with a serial at or below this are revoked.
    revoked_through: u64,
    /// Access tokens revoked one by one.
    revoked_jtis: HashSet<String>,
    /// How many families there may be before the expired ones are forgotten ([`Self::forget_expired`]).
    prune_at: usize,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: the maps hold live refresh tokens and CSRF values.
        f.debug_struct("MemoryStore")
            .field("families", &self.families.len())
            .field("refresh_tokens", &self.tokens.len())
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// The memory store forgets expired families once it holds this many (then twice what is left).
const PRUNE_MIN: usize = 1_024;

/// The latest expiry Redis (and any sane store) takes: the end of year 9999, in ms.
pub const MAX_EXPIRY: Millis = 253_402_300_799_999;

impl MemoryStore {
    /// Starts a family for `user` and returns its session; `replaced` is the family of the
    /// refresh cookie the browser presented, if any (the caller revokes it).
    pub fn login(
        &mut self,
        user: &str,
        (token, csrf): (String, String),
        replaced: Option<u64>,
        now: Millis,
        ttl: Millis,
    ) -> Session {
        self.forget_expired(now);
        let mut lineage = Vec::new();
        if let Some(old) = replaced {
            lineage.push(old);
            if let Some(f) = self.families.get(&old) {
                lineage.extend(f.lineage.iter().copied());
            }
            lineage.truncate(LINEAGE);
        }
        self.next_family += 1;
        let id = self.next_family;
        let issued = Issued {
            family: id,
            generation: 0,
            retired_at: None,
        };
        self.tokens.insert(token.clone(), issued);
        let session = Session {
            family: id,
            user: user.to_owned(),
            csrf,
            lineage,
        };
        let family = Family {
            user: session.user.clone(),
            csrf: session.csrf.clone(),
            lineage: session.lineage.clone(),
            generation: 0,
            current: token,
            expires_at: now.saturating_add(ttl).min(MAX_EXPIRY),
            revoked: false,
        };
        self.families.insert(id, family);
        session
    }

    /// Forgets the families past their expiry and their refresh tokens, as Redis lets their keys
    /// expire: an expired family answers as an unknown one did (`Invalid`), and the store does not
    /// grow with every login ever made. Done when the families have doubled since the last time
    /// (at least [`PRUNE_MIN`]), so it costs O(1) a login over time.
    fn forget_expired(&mut self, now: Millis) {
        if self.families.len() < self.prune_at.max(PRUNE_MIN) {
            return;
        }
        self.families.retain(|_, f| now < f.expires_at);
        let families = &self.families;
        self.tokens.retain(|_, t| families.contains_key(&t.family));
        self.prune_at = self.families.len() * 2;
    }

    /// The family of a live or retired refresh token, while the family lives.
    pub fn session_of(&self, token: &str, now: Millis) -> Option<Session> {
        let id = self.tokens.get(token)?.family;
        let family = self.families.get(&id)?;
        (!family.revoked && now < family.expires_at).then(|| Session {
            family: id,
            user: family.user.clone(),
            csrf: family.csrf.clone(),
            lineage: family.lineage.clone(),
        })
    }

    /// Presents `token` for a refresh; `fresh` is the successor to issue if it rotates.
    pub fn refresh(&mut self, token: &str, fresh: String, now: Millis, grace: Millis) -> Outcome {
        let Some(issued) = self.tokens.get(token) else {
            return Outcome::Invalid;
        };
        let (id, generation, retired_at) = (issued.family, issued.generation, issued.retired_at);
        let Some(family) = self.families.get_mut(&id) else {
            return Outcome::Invalid;
        };
        if family.revoked || now >= family.expires_at {
            return Outcome::Invalid;
        }
        let session = Session {
            family: id,
            user: family.user.clone(),
            csrf: family.csrf.clone(),
            lineage: family.lineage.clone(),
        };
        match retired_at {
            None => {
                // The live token: rotate.
                if let Some(old) = self.tokens.get_mut(token) {
                    old.retired_at = Some(now);
                }
                family.generation += 1;
                family.current = fresh.clone();
                let issued = Issued {
                    family: id,
                    generation: family.generation,
                    retired_at: None,
                };
                self.tokens.insert(fresh.clone(), issued);
                Outcome::Rotated {
                    session,
                    token: fresh,
                }
            }
            // Strictly less: a grace of zero accepts nothing.
            Some(at) if generation + 1 == family.generation && now.saturating_sub(at) < grace => {
                Outcome::Grace {
                    session,
                    token: family.current.clone(),
                }
            }
            Some(_) => {
                family.revoked = true;
                Outcome::ReuseDetected
            }
        }
    }

    /// Revokes family `id`: its refresh tokens and its access tokens die.
    pub fn revoke_family(&mut self, id: u64) {
        if let Some(family) = self.families.get_mut(&id) {
            family.revoked = true;
        }
    }

    /// Revokes every family and every access token issued so far.
    pub fn revoke_all(&mut self) {
        for family in self.families.values_mut() {
            family.revoked = true;
        }
        self.revoked_through = self.serial;
    }

    /// The serial of a new access token, its `jti`.
    pub fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// Revokes every access token issued so far.
    pub fn revoke_access_tokens(&mut self) {
        self.revoked_through = self.serial;
    }

    /// Revokes one access token by its `jti`.
    pub fn revoke_jti(&mut self, jti: &str) {
        self.revoked_jtis.insert(jti.to_owned());
    }

    /// Whether an access token of family `family` with serial `jti` is still good (its
    /// signature and dates are the caller's to check).
    pub fn access_live(&self, family: u64, jti: &str, now: Millis) -> bool {
        let Ok(serial) = jti.parse::<u64>() else {
            return false;
        };
        serial > self.revoked_through
            && !self.revoked_jtis.contains(jti)
            && self
                .families
                .get(&family)
                .is_some_and(|f| !f.revoked && now < f.expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Millis = 86_400_000;
    const NOW: Millis = 1_800_000_000_000;

    fn store() -> MemoryStore {
        let mut s = MemoryStore::default();
        s.login("alice", ("t0".into(), "c".into()), None, NOW, DAY);
        s
    }

    #[test]
    fn expired_families_and_their_tokens_are_forgotten_as_redis_forgets_them() {
        let mut s = MemoryStore::default();
        // 10,000 sessions over time, each refreshed once, each expired a second after its login.
        for i in 0..10_000u64 {
            let at = NOW + i * 1_000;
            s.login("alice", (format!("t{i}"), "c".into()), None, at, 500);
            s.refresh(&format!("t{i}"), format!("r{i}"), at, 0);
        }
        // What is left is bounded by the live ones (one) and the amortized pruning, not by
        // every login ever made.
        let counts = format!("{s:?}");
        let number = |name: &str| -> usize {
            let rest = &counts[counts.find(name).unwrap() + name.len()..];
            rest[..rest.find(',').unwrap()].parse().unwrap()
        };
        assert!(number("families: ") <= 2 * PRUNE_MIN, "{counts}");
        assert!(number("refresh_tokens: ") <= 4 * PRUNE_MIN, "{counts}");
        // An expired family's token answers as an unknown one; the newest still works.
        let late = NOW + 9_999 * 1_000;
        assert!(matches!(
            s.refresh("r5", "x".into(), late, 0),
            Outcome::Invalid
        ));
        assert!(s.session_of("r9999", late).is_some());
    }

    #[test]
    fn rotation_retires_the_presented_token() {
        let mut s = store();
        assert!(matches!(
            s.refresh("t0", "t1".into(), NOW, 0),
            Outcome::Rotated { ref token, .. } if token == "t1"
        ));
        assert!(matches!(
            s.refresh("t1", "t2".into(), NOW, 0),
            Outcome::Rotated { ref session, .. } if session.user == "alice" && session.csrf == "c"
        ));
        assert_eq!(s.session_of("t2", NOW).map(|x| x.family), Some(1));
    }

    #[test]
    fn reuse_revokes_the_whole_family_even_the_newest_token() {
        let mut s = store();
        s.refresh("t0", "t1".into(), NOW, 0);
        assert_eq!(
            s.refresh("t0", "x".into(), NOW + 1, 0),
            Outcome::ReuseDetected
        );
        assert_eq!(s.refresh("t1", "t2".into(), NOW, 0), Outcome::Invalid);
        assert_eq!(s.session_of("t1", NOW), None);
    }

    #[test]
    fn the_last_retired_token_strictly_within_grace_gets_the_current_one() {
        let mut s = store();
        s.refresh("t0", "t1".into(), NOW, 5_000);
        assert!(matches!(
            s.refresh("t0", "unused".into(), NOW + 4_999, 5_000),
            Outcome::Grace { ref token, .. } if token == "t1"
        ));
        assert!(s.session_of("unused", NOW).is_none(), "grace never rotates");
        // At exactly the grace, it is over.
        assert_eq!(
            s.refresh("t0", "x".into(), NOW + 5_000, 5_000),
            Outcome::ReuseDetected
        );
    }

    #[test]
    fn a_grace_of_zero_accepts_nothing_not_even_at_the_same_millisecond() {
        let mut s = store();
        s.refresh("t0", "t1".into(), NOW, 0);
        assert_eq!(s.refresh("t0", "x".into(), NOW, 0), Outcome::ReuseDetected);
    }

    #[test]
    fn two_generations_back_is_reuse_grace_or_not() {
        let mut s = store();
        s.refresh("t0", "t1".into(), NOW, 5_000);
        s.refresh("t1", "t2".into(), NOW, 5_000);
        assert_eq!(
            s.refresh("t0", "x".into(), NOW, 5_000),
            Outcome::ReuseDetected
        );
    }

    #[test]
    fn expired_unknown_and_revoked_are_invalid() {
        let mut s = store();
        assert_eq!(s.refresh("nope", "x".into(), NOW, 0), Outcome::Invalid);
        assert_eq!(s.refresh("t0", "x".into(), NOW + DAY, 0), Outcome::Invalid);
        s.revoke_family(1);
        assert_eq!(s.refresh("t0", "x".into(), NOW, 0), Outcome::Invalid);
    }

    #[test]
    fn debug_output_holds_no_refresh_token_and_no_csrf_value() {
        let mut s = MemoryStore::default();
        let secrets = ("refresh-SECRET".to_owned(), "csrf-SECRET".to_owned());
        s.login("alice", secrets, None, NOW, DAY);
        let outcome = s.refresh("refresh-SECRET", "next-SECRET".into(), NOW, 0);
        let session = s.session_of("next-SECRET", NOW);
        for printed in [
            format!("{s:?}"),
            format!("{outcome:?}"),
            format!("{session:?}"),
        ] {
            assert!(!printed.contains("SECRET"), "{printed}");
        }
    }

    #[test]
    fn access_tokens_die_with_their_family_their_serial_or_their_jti() {
        let mut s = store();
        let (one, two) = (s.next_serial().to_string(), s.next_serial().to_string());
        assert!(s.access_live(1, &one, NOW) && s.access_live(1, &two, NOW));
        assert!(!s.access_live(2, &one, NOW), "an unknown family");
        assert!(!s.access_live(1, "x", NOW), "a jti that is no serial");
        s.revoke_jti(&one);
        assert!(!s.access_live(1, &one, NOW) && s.access_live(1, &two, NOW));
        s.revoke_access_tokens();
        assert!(!s.access_live(1, &two, NOW));
        let three = s.next_serial().to_string();
        assert!(s.access_live(1, &three, NOW));
        s.revoke_family(1);
        assert!(!s.access_live(1, &three, NOW));
    }
}
