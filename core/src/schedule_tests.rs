use super::*;
use proptest::prelude::*;

const NOW: f64 = 1_700_000_000_000.0;
const HOUR_MS: f64 = 3_600_000.0;

fn no_jitter() -> Policy {
    Policy {
        jitter_ratio: 0.0,
        ..Policy::default()
    }
}

#[test]
fn a_five_minute_token_refreshes_a_minute_before_it_expires() {
    let plan = Plan::new(NOW, 300_000.0, no_jitter(), 0.0);
    assert_eq!(plan.expires_at_ms, NOW + 300_000.0);
    assert_eq!(plan.refresh_at_ms, NOW + 240_000.0);
    assert_eq!(plan.delay_ms(NOW), 240_000.0);
    assert!(!plan.is_due(NOW + 239_999.0));
    assert!(plan.is_due(NOW + 240_000.0));
}

#[test]
fn the_lead_is_capped_at_a_fraction_of_a_short_lifetime() {
    // 2 s token: lead = min(60 s, 0.25 × 2 s) = 500 ms.
    let plan = Plan::new(NOW, 2_000.0, no_jitter(), 0.0);
    assert_eq!(plan.refresh_at_ms, NOW + 1_500.0);
}

#[test]
fn jitter_moves_the_refresh_later_by_at_most_its_share_of_the_lead() {
    let policy = Policy::default(); // lead 60 s, jitter 10 %
    let earliest = Plan::new(NOW, 300_000.0, policy, 0.0).refresh_at_ms;
    let latest = Plan::new(NOW, 300_000.0, policy, 0.999_999).refresh_at_ms;
    assert_eq!(earliest, NOW + 240_000.0);
    assert!(latest > earliest && latest < NOW + 246_000.0);
    // Out-of-range randomness is clamped, not trusted.
    assert_eq!(
        Plan::new(NOW, 300_000.0, policy, -3.0).refresh_at_ms,
        earliest
    );
    assert_eq!(
        Plan::new(NOW, 300_000.0, policy, 7.0).refresh_at_ms,
        NOW + 246_000.0
    );
}

#[test]
fn a_one_second_token_does_not_refresh_loop() {
    let plan = Plan::new(NOW, 1_000.0, Policy::default(), 0.5);
    // Three quarters of its life pass before the refresh: at most ~1.3 refreshes a second.
    assert!(plan.refresh_at_ms - NOW >= 750.0);
    assert!(plan.refresh_at_ms < plan.expires_at_ms);
}

#[test]
fn an_already_expired_token_refreshes_now() {
    // Lifetime 0 from the claims (exp == iat) or from the local clock (exp in the past).
    for lifetime in [
        lifetime_ms(None, Some(100.0), Some(100.0), NOW),
        lifetime_ms(None, Some(100.0), Some(50.0), NOW),
        lifetime_ms(None, None, Some(NOW / 1000.0 - 60.0), NOW),
        lifetime_ms(Some(0.0), None, None, NOW),
    ] {
        assert_eq!(lifetime, Some(0.0));
        let plan = Plan::new(NOW, 0.0, Policy::default(), 0.3);
        assert_eq!(plan.delay_ms(NOW), 0.0);
        assert!(plan.is_due(NOW) && plan.is_expired(NOW));
    }
    // A token whose refresh moment slept by is due the moment the clock is read again.
    let plan = Plan::new(NOW, 300_000.0, Policy::default(), 0.3);
    assert_eq!(plan.delay_ms(NOW + 10.0 * HOUR_MS), 0.0);
    assert!(plan.is_expired(NOW + 10.0 * HOUR_MS));
}

#[test]
fn lifetime_prefers_expires_in_then_exp_minus_iat() {
    assert_eq!(
        lifetime_ms(Some(300.5), Some(0.0), Some(60.0), NOW),
        Some(300_500.0)
    );
    assert_eq!(
        lifetime_ms(None, Some(1_000.0), Some(1_060.5), NOW),
        Some(60_500.0)
    );
    assert_eq!(
        lifetime_ms(None, None, Some(NOW / 1000.0 + 90.0), NOW),
        Some(90_000.0)
    );
    assert_eq!(lifetime_ms(None, Some(1_000.0), None, NOW), None);
    assert_eq!(lifetime_ms(Some(f64::NAN), None, None, NOW), None);
}

/// A token issued at 12.9 s by a server that truncates to the second says `iat` 12, `exp` 15:
/// it has 2.1 s left on arrival. Whole seconds lose up to one second, so plan for 2.
#[test]
fn whole_second_dates_are_planned_a_second_short() {
    assert_eq!(
        lifetime_ms(None, Some(12.0), Some(15.0), NOW),
        Some(2_000.0)
    );
    assert_eq!(lifetime_ms(Some(3.0), None, None, NOW), Some(2_000.0));
    assert_eq!(
        lifetime_ms(Some(3.0), Some(12.0), Some(15.0), NOW),
        Some(2_000.0)
    );
    // Millisecond dates say exactly when the token was issued.
    assert_eq!(
        lifetime_ms(None, Some(12.9), Some(15.9), NOW),
        Some(3_000.0)
    );
    assert_eq!(
        lifetime_ms(Some(3.0), Some(12.9), Some(15.9), NOW),
        Some(3_000.0)
    );
    // A one-second token may be gone already: due at once, never negative.
    assert_eq!(lifetime_ms(None, Some(12.0), Some(13.0), NOW), Some(0.0));
    // `exp` read against the local clock names the moment itself.
    assert_eq!(
        lifetime_ms(None, None, Some(NOW / 1000.0 + 90.0), NOW),
        Some(90_000.0)
    );
    // Planned this way, the refresh comes before the real expiry at 2.1 s after receipt.
    let plan = Plan::new(NOW, 2_000.0, Policy::default(), 0.99);
    assert!(plan.refresh_at_ms < NOW + 2_100.0 && plan.expires_at_ms < NOW + 2_100.0);
}

#[test]
fn a_server_clock_hours_ahead_or_behind_changes_nothing() {
    let iat = NOW / 1000.0;
    let honest = lifetime_ms(None, Some(iat), Some(iat + 300.0), NOW).unwrap();
    for skew_s in [-3.0 * 3600.0, -3600.0, 3600.0, 5.0 * 3600.0] {
        let skewed = lifetime_ms(None, Some(iat + skew_s), Some(iat + skew_s + 300.0), NOW);
        assert_eq!(skewed, Some(honest));
        assert_eq!(
            Plan::new(NOW, skewed.unwrap(), Policy::default(), 0.2),
            Plan::new(NOW, honest, Policy::default(), 0.2)
        );
    }
}

#[test]
fn a_client_clock_hours_wrong_plans_the_same_durations() {
    let right = Plan::new(NOW, 300_000.0, Policy::default(), 0.4);
    let wrong = Plan::new(NOW - 7.0 * HOUR_MS, 300_000.0, Policy::default(), 0.4);
    assert_eq!(
        right.refresh_at_ms - right.received_at_ms,
        wrong.refresh_at_ms - wrong.received_at_ms
    );
}

#[test]
fn nonsense_policies_degrade_instead_of_misbehaving() {
    let nan = Policy {
        lead: core::time::Duration::MAX,
        lead_ratio: f64::NAN,
        jitter_ratio: f64::NAN,
    };
    let plan = Plan::new(NOW, 1_000.0, nan, f64::NAN);
    assert_eq!(plan.refresh_at_ms, plan.expires_at_ms);
    let plan = Plan::new(NOW, f64::INFINITY, Policy::default(), 0.0);
    assert_eq!(plan.expires_at_ms, NOW);
}

proptest! {
    /// The refresh moment is strictly between receipt and local expiry for any lifetime ≥ 1 ms,
    /// any valid policy and any jitter draw.
    #[test]
    fn refresh_is_after_receipt_and_before_expiry(
        received in 0.0f64..4.0e12,
        lifetime in 1.0f64..1.0e10,
        lead_ms in 1.0f64..1.0e8,
        lead_ratio in 0.001f64..0.999,
        jitter_ratio in 0.0f64..0.999,
        jitter_unit in 0.0f64..1.0,
    ) {
        let plan = Plan::new(received, lifetime, Policy { lead: core::time::Duration::from_secs_f64(lead_ms / 1000.0), lead_ratio, jitter_ratio }, jitter_unit);
        prop_assert!(plan.refresh_at_ms > received, "{plan:?}");
        prop_assert!(plan.refresh_at_ms < plan.expires_at_ms, "{plan:?}");
        // Never sooner than (1 − lead_ratio) of the lifetime: no refresh loop.
        prop_assert!(plan.refresh_at_ms - received >= (1.0 - lead_ratio) * lifetime - 1e-6);
    }

    /// Skewing both server dates by the same offset never moves the plan. The offset is whole
    /// seconds, as server clocks stamp dates: a fraction would turn whole-second dates into
    /// fractional ones, which are planned a second longer on purpose
    /// (`whole_second_dates_are_planned_a_second_short`; a random run found iat = 1e9, a
    /// lifetime of 1 s and a skew of 54058.156 s).
    #[test]
    fn server_skew_cancels_out(
        iat in prop_oneof![1.0e9f64..2.0e9, (1_000_000_000u32..2_000_000_000).prop_map(f64::from)],
        life_s in 1u32..100_000,
        skew_s in -86_400i32..86_400,
    ) {
        let exp = iat + f64::from(life_s);
        let skew_s = f64::from(skew_s);
        let a = lifetime_ms(None, Some(iat), Some(exp), NOW).unwrap();
        let b = lifetime_ms(None, Some(iat + skew_s), Some(exp + skew_s), NOW).unwrap();
        prop_assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
}
