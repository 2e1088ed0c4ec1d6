use super::*;

#[test]
fn defaults_are_the_documented_ones() {
    let c = Builder::new("/auth/refresh").build_config().unwrap();
    assert_eq!(c.token_field, "access_token");
    assert_eq!(c.policy, Policy::default());
    assert_eq!(c.policy.lead, Duration::from_secs(60));
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
        (Builder::new(" "), "TokenKeeper::builder(refresh_url)"),
        (Builder::new("/r").login_url(""), "login_url"),
        (Builder::new("/r").token_field(""), "token_field"),
        (
            Builder::new("/r").refresh_lead(Duration::ZERO),
            "refresh_lead",
        ),
        (
            Builder::new("/r").refresh_lead_ratio(1.0),
            "refresh_lead_ratio",
        ),
        (
            Builder::new("/r").refresh_lead_ratio(0.0),
            "refresh_lead_ratio",
        ),
        (
            Builder::new("/r").refresh_lead_ratio(f64::NAN),
            "refresh_lead_ratio",
        ),
        (Builder::new("/r").jitter_ratio(1.0), "jitter_ratio"),
        (Builder::new("/r").jitter_ratio(-0.1), "jitter_ratio"),
        (Builder::new("/r").timeout(Duration::ZERO), "timeout"),
        (
            Builder::new("/r").retry(Retry {
                attempts: 1,
                base_delay: Duration::from_secs(9),
                max_delay: Duration::from_secs(1),
            }),
            "retry",
        ),
        (Builder::new("/r").channel_name(""), "channel_name"),
    ];
    for (builder, option) in cases {
        let err = builder.build_config().unwrap_err();
        assert_eq!(err.code(), "config");
        assert!(
            err.message().starts_with(&format!("builder: `{option}` ")),
            "{err}"
        );
    }
}
