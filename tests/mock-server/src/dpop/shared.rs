//! Where the DPoP state lives: this instance's [`Memory`](super::Memory), or — when the store is
//! Redis or a cluster — Redis, so that behind a load balancer a proof spent at one instance is
//! refused at the other, a nonce one hands out is accepted by the other, and a family bound at
//! one is bound at the other.

use super::memory::fresh_nonce;
use super::{Proven, Refusal, IAT_WINDOW_MS, NONCE_PERIOD_MS};
use crate::backend::Unavailable;
use crate::{millis, now, AppState};

/// The nonce check (when `require_nonce`), then the replay check; spends the `jti` of a proof
/// it accepts.
pub(crate) async fn accept(
    state: &AppState,
    proven: &Proven,
    require_nonce: bool,
    now_ms: i64,
) -> Result<Result<(), Refusal>, Unavailable> {
    let Some(redis) = state.store.redis() else {
        return Ok(state.lock().dpop.accept(proven, require_nonce, now_ms));
    };
    if require_nonce {
        let (current, previous) = redis
            .nonces(now_ms, NONCE_PERIOD_MS, &fresh_nonce(), false)
            .await?;
        let known = proven
            .nonce
            .as_deref()
            .is_some_and(|nonce| nonce == current || (!previous.is_empty() && nonce == previous));
        if !known {
            return Ok(Err(Refusal::UseNonce));
        }
    }
    // Relative to this instance's clock: instances need not agree on the time for a proof to
    // be remembered as long as it could be accepted.
    let ttl = proven
        .iat_ms
        .saturating_add(IAT_WINDOW_MS)
        .saturating_sub(now_ms);
    let ttl = u64::try_from(ttl).unwrap_or(0);
    if redis.spend_jti(&proven.jkt, &proven.jti, ttl).await? {
        Ok(Ok(()))
    } else {
        Ok(Err(Refusal::Invalid("replayed jti")))
    }
}

/// The nonce to hand out now.
pub(crate) async fn nonce(state: &AppState, now_ms: i64) -> Result<String, Unavailable> {
    match state.store.redis() {
        None => Ok(state.lock().dpop.nonce(now_ms).to_owned()),
        Some(redis) => {
            let candidate = fresh_nonce();
            let (current, _) = redis
                .nonces(now_ms, NONCE_PERIOD_MS, &candidate, false)
                .await?;
            Ok(current)
        }
    }
}

/// A fresh nonce, and the previous one forgotten: every nonce handed out so far is challenged.
pub(crate) async fn rotate_nonce(state: &AppState, now_ms: i64) -> Result<(), Unavailable> {
    match state.store.redis() {
        None => state.lock().dpop.rotate_nonce(now_ms),
        Some(redis) => {
            let candidate = fresh_nonce();
            redis
                .nonces(now_ms, NONCE_PERIOD_MS, &candidate, true)
                .await?;
        }
    }
    Ok(())
}

/// The thumbprint of the key family `family` is bound to.
pub(crate) async fn bound_key(
    state: &AppState,
    family: u64,
) -> Result<Option<String>, Unavailable> {
    match state.store.redis() {
        None => Ok(state.lock().dpop.bound_key(family).map(str::to_owned)),
        Some(redis) => redis.bound_key(family).await,
    }
}

/// Binds `family` to `jkt` (for as long as the family lives); true when that replaces
/// another key.
pub(crate) async fn bind(state: &AppState, family: u64, jkt: &str) -> Result<bool, Unavailable> {
    match state.store.redis() {
        None => {
            let ttl = millis(state.options.refresh_ttl);
            Ok(state.lock().dpop.bind(family, jkt, now(), ttl))
        }
        Some(redis) => redis.bind(family, jkt).await,
    }
}
