//! Where the families live: this process's memory (the default) or a Redis shared by instances.
//! One set of async methods over both, so the handlers do not care which.

use std::sync::{Mutex, MutexGuard};

use crate::redis_store::RedisStore;
pub use crate::redis_store::Unavailable;
use crate::store::{MemoryStore, Millis, Outcome, Session};

/// The store of refresh families and access-token revocations.
#[derive(Debug)]
pub enum Backend {
    /// One process's memory.
    Memory(Mutex<MemoryStore>),
    /// One Redis, shared by every instance pointed at it.
    Redis(RedisStore),
}

impl Default for Backend {
    fn default() -> Self {
        Backend::Memory(Mutex::default())
    }
}

fn memory(store: &Mutex<MemoryStore>) -> MutexGuard<'_, MemoryStore> {
    // Every update is a few assignments: a panic elsewhere cannot leave the map torn.
    store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Backend {
    /// The Redis (or cluster) every instance shares, if the state is kept there.
    pub fn redis(&self) -> Option<&RedisStore> {
        match self {
            Backend::Memory(_) => None,
            Backend::Redis(r) => Some(r),
        }
    }

    /// Starts a family for `user` with its refresh token and CSRF value and returns its session;
    /// `replaced` is the family of the refresh cookie the browser presented, if any.
    pub async fn login(
        &self,
        user: &str,
        (token, csrf): (&str, &str),
        replaced: Option<u64>,
        now: Millis,
        ttl: Millis,
    ) -> Result<Session, Unavailable> {
        match self {
            Backend::Memory(m) => {
                let secrets = (token.to_owned(), csrf.to_owned());
                Ok(memory(m).login(user, secrets, replaced, now, ttl))
            }
            Backend::Redis(r) => r.login(user, (token, csrf), replaced, now, ttl).await,
        }
    }

    /// The family of a live or retired refresh token, while the family lives.
    pub async fn session_of(
        &self,
        token: &str,
        now: Millis,
    ) -> Result<Option<Session>, Unavailable> {
        match self {
            Backend::Memory(m) => Ok(memory(m).session_of(token, now)),
            Backend::Redis(r) => r.session_of(token, now).await,
        }
    }

    /// Presents `token` for a refresh; `fresh` is the successor to issue if it rotates.
    pub async fn refresh(
        &self,
        token: &str,
        fresh: &str,
        now: Millis,
        grace: Millis,
    ) -> Result<Outcome, Unavailable> {
        match self {
            Backend::Memory(m) => Ok(memory(m).refresh(token, fresh.to_owned(), now, grace)),
            Backend::Redis(r) => r.refresh(token, fresh, now, grace).await,
        }
    }

    /// Revokes family `id`: its refresh tokens and its access tokens die.
    pub async fn revoke_family(&self, id: u64) -> Result<(), Unavailable> {
        match self {
            Backend::Memory(m) => {
                memory(m).revoke_family(id);
                Ok(())
            }
            Backend::Redis(r) => r.revoke_family(id).await,
        }
    }

    /// Revokes every family and every access token issued so far.
    pub async fn revoke_all(&self) -> Result<(), Unavailable> {
        match self {
            Backend::Memory(m) => {
                memory(m).revoke_all();
                Ok(())
            }
            Backend::Redis(r) => r.revoke_all().await,
        }
    }

    /// Revokes every access token issued so far.
    pub async fn revoke_access_tokens(&self) -> Result<(), Unavailable> {
        match self {
            Backend::Memory(m) => {
                memory(m).revoke_access_tokens();
                Ok(())
            }
            Backend::Redis(r) => r.revoke_access_tokens().await,
        }
    }

    /// Revokes one access token by its `jti`; `ttl` outlasts any access token.
    pub async fn revoke_jti(&self, jti: &str, ttl: Millis) -> Result<(), Unavailable> {
        match self {
            Backend::Memory(m) => {
                memory(m).revoke_jti(jti);
                Ok(())
            }
            Backend::Redis(r) => r.revoke_jti(jti, ttl).await,
        }
    }

    /// The serial of a new access token, its `jti`.
    pub async fn next_serial(&self) -> Result<u64, Unavailable> {
        match self {
            Backend::Memory(m) => Ok(memory(m).next_serial()),
            Backend::Redis(r) => r.next_serial().await,
        }
    }

    /// Whether an access token of `family` with `jti` is still good.
    pub async fn access_live(&self, family: u64, jti: &str) -> Result<bool, Unavailable> {
        match self {
            Backend::Memory(m) => Ok(memory(m).access_live(family, jti, crate::now())),
            Backend::Redis(r) => r.access_live(family, jti).await,
        }
    }
}
