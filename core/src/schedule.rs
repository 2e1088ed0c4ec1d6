//! When to refresh: pure functions of the local clock, in milliseconds.
//!
//! The server's clock never enters the arithmetic. A token's *lifetime* comes from the server
//! (`expires_in`, or `exp − iat`: a difference, so any offset of the server's clock cancels out),
//! and its *local expiry* is the local moment the token was received plus that lifetime. A client
//! clock that is hours wrong, or a server clock that is hours skewed, changes nothing.

/// How early to refresh, as the options `refreshLeadMs`, `refreshLeadRatio` and `jitterRatio` say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Refresh when at most this much lifetime remains …
    pub lead: core::time::Duration,
    /// … capped at this fraction of the lifetime, so a short token never loops. In `(0, 1)`.
    pub lead_ratio: f64,
    /// Random spread of the refresh moment, as a fraction of the lead. In `[0, 1)`.
    pub jitter_ratio: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            lead: core::time::Duration::from_secs(60),
            lead_ratio: 0.25,
            jitter_ratio: 0.1,
        }
    }
}

/// A token's lifetime in milliseconds: `expires_in` (seconds, from the auth response) when given,
/// else `exp − iat` from the claims, else `exp` against the local clock (all the keeper can do
/// without `iat`). `None` when nothing says the token expires.
///
/// Whole seconds are planned conservatively. Most server JWT libraries truncate `iat` to the
/// second, so a token issued at 12.9 s says `iat` 12 and `exp` 15: it has 2.1 s left when it
/// arrives, not 3. When every figure given is a whole number of seconds, the token may be up to a
/// second older than they say, and that second comes off its lifetime (an `exp` read against the
/// local clock is not affected: it names the moment itself).
pub fn lifetime_ms(
    expires_in_s: Option<f64>,
    iat_s: Option<f64>,
    exp_s: Option<f64>,
    now_ms: f64,
) -> Option<f64> {
    let coarse = [expires_in_s, iat_s, exp_s]
        .iter()
        .all(|figure| figure.map_or(true, is_whole));
    let ms = match (expires_in_s, iat_s, exp_s) {
        (Some(expires_in), _, _) => expires_in * 1000.0 - truncation_ms(coarse),
        (None, Some(iat), Some(exp)) => (exp - iat) * 1000.0 - truncation_ms(coarse),
        (None, None, Some(exp)) => exp * 1000.0 - now_ms,
        (None, _, None) => return None,
    };
    // A lifetime that is not a number is as good as none; one in the past means expired now.
    ms.is_finite().then_some(ms.max(0.0))
}

/// What whole-second figures may hide: up to a second.
fn truncation_ms(coarse: bool) -> f64 {
    if coarse {
        1000.0
    } else {
        0.0
    }
}

/// Whether `seconds` is a whole number (without `f64::fract`, which `core` lacks).
fn is_whole(seconds: f64) -> bool {
    // The cast saturates beyond ±9.2e18 s, a date no token carries.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let truncated = seconds as i64 as f64;
    truncated == seconds
}

/// The timetable of one token, on the local clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// When the token arrived.
    pub received_at_ms: f64,
    /// When it stops working: receipt plus lifetime.
    pub expires_at_ms: f64,
    /// When to refresh it: within the lead before expiry.
    pub refresh_at_ms: f64,
}

impl Plan {
    /// Plans a token received at `received_at_ms` that lives `lifetime_ms`.
    ///
    /// `jitter_unit` is a random number in `[0, 1)` (values outside are clamped); it moves the
    /// refresh moment later by up to `jitter_ratio × lead`, so that many clients given tokens at the
    /// same moment do not all refresh at the same moment. For any lifetime of at least 1 ms the
    /// refresh moment lies strictly after receipt and strictly before expiry; a lifetime of 0 (an
    /// already expired token) refreshes at once.
    pub fn new(received_at_ms: f64, lifetime_ms: f64, policy: Policy, jitter_unit: f64) -> Plan {
        let lifetime_ms = if lifetime_ms.is_finite() {
            lifetime_ms.max(0.0)
        } else {
            0.0
        };
        let ratio = clamp(policy.lead_ratio, 0.0, 1.0);
        let lead_ms = (policy.lead.as_secs_f64() * 1000.0).min(ratio * lifetime_ms);
        let jitter_ms =
            clamp(policy.jitter_ratio, 0.0, 1.0) * clamp(jitter_unit, 0.0, 1.0) * lead_ms;
        Plan {
            received_at_ms,
            expires_at_ms: received_at_ms + lifetime_ms,
            refresh_at_ms: received_at_ms + lifetime_ms - (lead_ms - jitter_ms),
        }
    }

    /// How long to wait from `now_ms` until the refresh is due; 0 when it is due already.
    pub fn delay_ms(&self, now_ms: f64) -> f64 {
        (self.refresh_at_ms - now_ms).max(0.0)
    }

    /// Whether the refresh is due at `now_ms` (the token is within its lead, or expired).
    pub fn is_due(&self, now_ms: f64) -> bool {
        now_ms >= self.refresh_at_ms
    }

    /// Whether the token has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: f64) -> bool {
        now_ms >= self.expires_at_ms
    }
}

/// Clamps `value` into `[low, high]`, NaN to `low`. (Not `f64::clamp`: it passes NaN through,
/// and its assertion drags float formatting into the wasm.)
fn clamp(value: f64, low: f64, high: f64) -> f64 {
    if value.is_nan() {
        low
    } else {
        value.max(low).min(high)
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
