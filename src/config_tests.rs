use super::*;

#[test]
fn defaults_are_the_documented_ones() {
    let c = Builder::new("/auth/refresh").build_config().unwrap();
    assert_eq!(c.token_field, "access_token");
    assert_eq!(c.policy, Policy::default());
    assert_eq!(c.policy.lead_ms, 60_000.0);
    assert_eq!(c.timeout, Duration::from_secs(10));
    assert_eq!(c.retry, Retry::default());
    assert_eq!(c.csrf, Some(Csrf::default()));
    assert!(c.cross_tab);
    assert_eq!(c.channel_name, None);
    assert_eq!(c.allowed_origins, None);
}

#[test]
fn out_of_range_options_are_named() {
    let cases: Vec<(Builder, &str)> = vec![
        (Builder::new(" "), "refreshUrl"),
        (Builder::new("/r").login_url(""), "loginUrl"),
        (Builder::new("/r").token_field(""), "tokenField"),
        (
            Builder::new("/r").refresh_lead(Duration::ZERO),
            "refreshLeadMs",
        ),
        (
            Builder::new("/r").refresh_lead_ratio(1.0),
            "refreshLeadRatio",
        ),
        (
            Builder::new("/r").refresh_lead_ratio(0.0),
            "refreshLeadRatio",
        ),
        (
            Builder::new("/r").refresh_lead_ratio(f64::NAN),
            "refreshLeadRatio",
        ),
        (Builder::new("/r").jitter_ratio(1.0), "jitterRatio"),
        (Builder::new("/r").jitter_ratio(-0.1), "jitterRatio"),
        (Builder::new("/r").timeout(Duration::ZERO), "timeoutMs"),
        (
            Builder::new("/r").retry(Retry {
                attempts: 1,
                base_delay: Duration::from_secs(9),
                max_delay: Duration::from_secs(1),
            }),
            "retry",
        ),
        (Builder::new("/r").channel_name(""), "channelName"),
    ];
    for (builder, option) in cases {
        let err = builder.build_config().unwrap_err();
        assert_eq!(err.code(), "config");
        assert!(err.message().contains(&format!("`{option}`")), "{err}");
    }
}
