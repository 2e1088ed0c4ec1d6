//! What one instance remembers for DPoP when the store is its memory: the `jti`s of the proofs it
//! accepted (while they could be replayed), the server nonce and the one before it, and the key
//! each refresh family is bound to. Under `--redis` and `--redis-cluster` all of it is in Redis
//! instead ([`super::shared`]).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{Proven, Refusal, IAT_WINDOW_MS, NONCE_PERIOD_MS};
use crate::random_bytes;

/// The most `jti`s remembered at once, for every key together. Past it (expired ones pruned),
/// the oldest of the key that has the most is forgotten: never a refusal of everyone's proofs,
/// which anyone with a throwaway key could cause before logging in.
pub(super) const MAX_SEEN: usize = 100_000;
/// The most `jti`s remembered for one key (`jkt`): past it, that key's own oldest is forgotten —
/// a key that floods the cache spends only its own replay protection.
pub(super) const MAX_SEEN_PER_KEY: usize = 10_000;
/// A map is pruned of expired entries when it reaches this size, then at twice what is left.
pub(super) const PRUNE_MIN: usize = 1_024;

pub(super) fn fresh_nonce() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// What one instance remembers for DPoP, in its own memory. Times are
/// the server's clock with the test skew (ms), except the bindings', which follow the families
/// (the store's clock).
pub(crate) struct Memory {
    /// Key thumbprint → the `jti`s of its proofs, each until when the proof could be accepted.
    pub(super) seen: HashMap<String, Jtis>,
    /// How many `jti`s `seen` holds, every key together.
    pub(super) seen_total: usize,
    seen_prune_at: usize,
    nonce: String,
    previous_nonce: Option<String>,
    nonce_since_ms: i64,
    /// Refresh family → the key of its login or last refresh.
    bindings: HashMap<u64, Binding>,
    bindings_prune_at: usize,
}

/// One key's `jti`s: until when each could be replayed, and the order they came in (the oldest
/// is the first forgotten).
#[derive(Default)]
pub(super) struct Jtis {
    pub(super) until: HashMap<String, i64>,
    order: VecDeque<String>,
}

impl Jtis {
    pub(super) fn len(&self) -> usize {
        self.until.len()
    }

    fn insert(&mut self, jti: &str, until: i64) -> bool {
        let new = self.until.insert(jti.to_owned(), until).is_none();
        if new {
            self.order.push_back(jti.to_owned());
        }
        new
    }

    fn forget_oldest(&mut self) -> bool {
        while let Some(jti) = self.order.pop_front() {
            if self.until.remove(&jti).is_some() {
                return true;
            }
        }
        false
    }

    fn prune(&mut self, now_ms: i64) {
        self.until.retain(|_, until| *until >= now_ms);
        let until = &self.until;
        self.order.retain(|jti| until.contains_key(jti));
    }
}

struct Binding {
    jkt: String,
    until_ms: u64,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("seen", &self.seen.len())
            .field("bindings", &self.bindings.len())
            .finish_non_exhaustive()
    }
}

/// Drops the expired entries of `map` once it has grown to `*prune_at`, and sets the next size
/// to prune at: twice what is left, so pruning costs O(1) a request over time.
fn prune<V>(map: &mut HashMap<impl Eq + Hash, V>, prune_at: &mut usize, live: impl Fn(&V) -> bool) {
    if map.len() >= *prune_at {
        map.retain(|_, v| live(v));
        *prune_at = (map.len() * 2).max(PRUNE_MIN);
    }
}

impl Memory {
    pub(crate) fn new(now_ms: i64) -> Self {
        Memory {
            seen: HashMap::new(),
            seen_total: 0,
            seen_prune_at: PRUNE_MIN,
            nonce: fresh_nonce(),
            previous_nonce: None,
            nonce_since_ms: now_ms,
            bindings: HashMap::new(),
            bindings_prune_at: PRUNE_MIN,
        }
    }

    /// The current nonce; after [`NONCE_PERIOD_MS`] a fresh one, the old one kept as previous.
    pub(crate) fn nonce(&mut self, now_ms: i64) -> &str {
        if now_ms.saturating_sub(self.nonce_since_ms) >= NONCE_PERIOD_MS {
            let old = std::mem::replace(&mut self.nonce, fresh_nonce());
            self.previous_nonce = Some(old);
            self.nonce_since_ms = now_ms;
        }
        &self.nonce
    }

    /// A fresh current nonce, and the previous one forgotten: every nonce handed out so far is
    /// challenged.
    pub(crate) fn rotate_nonce(&mut self, now_ms: i64) {
        self.nonce = fresh_nonce();
        self.previous_nonce = None;
        self.nonce_since_ms = now_ms;
    }

    /// The nonce check (when `require_nonce`), then the replay check; remembers the `jti` of a
    /// proof it accepts.
    pub(crate) fn accept(
        &mut self,
        proven: &Proven,
        require_nonce: bool,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        if require_nonce {
            self.nonce(now_ms);
            let known = proven.nonce.as_deref().is_some_and(|nonce| {
                nonce == self.nonce || self.previous_nonce.as_deref() == Some(nonce)
            });
            if !known {
                return Err(Refusal::UseNonce);
            }
        }
        self.prune_seen(now_ms);
        let replayed = self
            .seen
            .get(&proven.jkt)
            .and_then(|jtis| jtis.until.get(&proven.jti))
            .is_some_and(|until| *until >= now_ms);
        if replayed {
            return Err(Refusal::Invalid("replayed jti"));
        }
        if self.seen_total >= MAX_SEEN {
            // The key with the most gives one up (a flood is its own).
            let biggest = self
                .seen
                .iter()
                .max_by_key(|(_, jtis)| jtis.len())
                .map(|(jkt, _)| jkt.clone());
            if let Some(jkt) = biggest {
                self.forget_oldest(&jkt);
            }
        }
        if self
            .seen
            .get(&proven.jkt)
            .is_some_and(|jtis| jtis.len() >= MAX_SEEN_PER_KEY)
        {
            self.forget_oldest(&proven.jkt.clone());
        }
        let until = proven.iat_ms.saturating_add(IAT_WINDOW_MS);
        let jtis = self.seen.entry(proven.jkt.clone()).or_default();
        if jtis.insert(&proven.jti, until) {
            self.seen_total += 1;
        }
        Ok(())
    }

    /// Drops the expired `jti`s (and the keys left with none) once the cache has grown to its
    /// pruning size; the next one is twice what is left.
    fn prune_seen(&mut self, now_ms: i64) {
        if self.seen_total < self.seen_prune_at {
            return;
        }
        for jtis in self.seen.values_mut() {
            jtis.prune(now_ms);
        }
        self.seen.retain(|_, jtis| jtis.len() > 0);
        self.seen_total = self.seen.values().map(Jtis::len).sum();
        self.seen_prune_at = (self.seen_total * 2).max(PRUNE_MIN);
    }

    /// Forgets the oldest `jti` of key `jkt`.
    fn forget_oldest(&mut self, jkt: &str) {
        let Some(jtis) = self.seen.get_mut(jkt) else {
            return;
        };
        if jtis.forget_oldest() {
            self.seen_total -= 1;
        }
        if jtis.len() == 0 {
            self.seen.remove(jkt);
        }
    }

    /// The thumbprint family `family` is bound to, if this instance bound it.
    pub(crate) fn bound_key(&self, family: u64) -> Option<&str> {
        self.bindings.get(&family).map(|b| b.jkt.as_str())
    }

    /// Binds `family` to `jkt` until `now_ms + ttl_ms` (or the end its first binding set);
    /// true when that replaces another key.
    pub(crate) fn bind(&mut self, family: u64, jkt: &str, now_ms: u64, ttl_ms: u64) -> bool {
        prune(&mut self.bindings, &mut self.bindings_prune_at, |b| {
            b.until_ms > now_ms
        });
        let until_ms = self
            .bindings
            .get(&family)
            .map_or(now_ms.saturating_add(ttl_ms), |b| b.until_ms);
        let old = self.bindings.insert(
            family,
            Binding {
                jkt: jkt.to_owned(),
                until_ms,
            },
        );
        old.is_some_and(|b| b.jkt != jkt)
    }

    /// Forgets every binding (a reset revokes every family).
    pub(crate) fn forget_bindings(&mut self) {
        self.bindings.clear();
    }
}
