extern crate std;

use super::*;
use std::format;
use std::vec;

fn from_json(json: &str) -> Result<Config, Error> {
    Config::from_parsed(crate::parsed::serde_parse(json))
}

fn problem(json: &str) -> String {
    let e = from_json(json).unwrap_err();
    assert_eq!(e.code(), "config", "{json}");
    String::from(e.message())
}

#[test]
fn every_option_is_read_by_its_javascript_name() {
    let c = from_json(
        r#"{"refreshUrl":"/r","loginUrl":"/in","logoutUrl":"/out","tokenField":"jwt",
            "refreshLeadMs":5000,"refreshLeadRatio":0.5,"jitterRatio":0,
            "allowedOrigins":["https://api.example.com"],
            "csrf":{"headerName":"X-X","cookieName":"xc","responseField":"xf"},
            "timeoutMs":2500.4,"retry":{"attempts":1,"baseDelayMs":10,"maxDelayMs":20},
            "crossTab":false,"channelName":"app"}"#,
    )
    .unwrap();
    assert_eq!(c.refresh_url, "/r");
    assert_eq!(c.login_url.as_deref(), Some("/in"));
    assert_eq!(c.logout_url.as_deref(), Some("/out"));
    assert_eq!(c.token_field, "jwt");
    assert_eq!(c.policy.lead, core::time::Duration::from_secs(5));
    assert_eq!(c.policy.lead_ratio, 0.5);
    assert_eq!(c.policy.jitter_ratio, 0.0);
    assert_eq!(
        c.allowed_origins,
        Some(vec!["https://api.example.com".into()])
    );
    let csrf = c.csrf.unwrap();
    assert_eq!(
        (
            csrf.header_name.as_str(),
            csrf.cookie_name.as_str(),
            csrf.response_field.as_str()
        ),
        ("X-X", "xc", "xf")
    );
    assert_eq!(c.timeout, Duration::from_millis(2500));
    assert_eq!(c.retry.attempts, 1);
    assert_eq!(c.retry.base_delay, Duration::from_millis(10));
    assert_eq!(c.retry.max_delay, Duration::from_millis(20));
    assert!(!c.cross_tab);
    assert_eq!(c.channel_name.as_deref(), Some("app"));
}

#[test]
fn what_is_not_given_keeps_its_default() {
    assert_eq!(
        from_json(r#"{"refreshUrl":"/r"}"#),
        Config::new("/r").validate()
    );
    let c = from_json(r#"{"refreshUrl":"/r","csrf":{"headerName":"H"}}"#).unwrap();
    assert_eq!(
        c.csrf.as_ref().map(|c| c.cookie_name.as_str()),
        Some("csrf_token")
    );
    let c = from_json(r#"{"refreshUrl":"/r","csrf":false}"#).unwrap();
    assert_eq!(c.csrf, None);
}

#[test]
fn bad_options_are_named() {
    for (json, named) in [
        ("null", "options"),
        (r#""/r""#, "options"),
        ("[]", "options"),
        ("{", "options"),
        ("{}", "refreshUrl"),
        (r#"{"refreshUrl":5}"#, "refreshUrl"),
        (r#"{"refreshUrl":"/r","refreshURL":"/r"}"#, "refreshURL"),
        (r#"{"refreshUrl":"/r","loginUrl":null}"#, "loginUrl"),
        (r#"{"refreshUrl":"/r","timeoutMs":null}"#, "timeoutMs"),
        (r#"{"refreshUrl":"/r","timeoutMs":"5"}"#, "timeoutMs"),
        (r#"{"refreshUrl":"/r","timeoutMs":-1}"#, "timeoutMs"),
        (r#"{"refreshUrl":"/r","timeoutMs":0}"#, "timeoutMs"),
        (
            r#"{"refreshUrl":"/r","refreshLeadMs":1e13}"#,
            "refreshLeadMs",
        ),
        (
            r#"{"refreshUrl":"/r","refreshLeadRatio":1}"#,
            "refreshLeadRatio",
        ),
        (r#"{"refreshUrl":"/r","jitterRatio":true}"#, "jitterRatio"),
        (r#"{"refreshUrl":"/r","crossTab":"yes"}"#, "crossTab"),
        (
            r#"{"refreshUrl":"/r","allowedOrigins":"https://a"}"#,
            "allowedOrigins",
        ),
        (
            r#"{"refreshUrl":"/r","allowedOrigins":[1]}"#,
            "allowedOrigins",
        ),
        (r#"{"refreshUrl":"/r","csrf":true}"#, "csrf"),
        (
            r#"{"refreshUrl":"/r","csrf":{"header":"H"}}"#,
            "csrf.header",
        ),
        (
            r#"{"refreshUrl":"/r","csrf":{"headerName":1}}"#,
            "headerName",
        ),
        (r#"{"refreshUrl":"/r","csrf":{"headerName":""}}"#, "csrf"),
        (r#"{"refreshUrl":"/r","retry":3}"#, "retry"),
        (r#"{"refreshUrl":"/r","retry":{"tries":3}}"#, "retry.tries"),
        (
            r#"{"refreshUrl":"/r","retry":{"attempts":1.5}}"#,
            "retry.attempts",
        ),
        (
            r#"{"refreshUrl":"/r","retry":{"attempts":101}}"#,
            "retry.attempts",
        ),
        (
            r#"{"refreshUrl":"/r","retry":{"baseDelayMs":-1}}"#,
            "retry.baseDelayMs",
        ),
        (
            r#"{"refreshUrl":"/r","retry":{"baseDelayMs":9,"maxDelayMs":1}}"#,
            "retry",
        ),
        (r#"{"refreshUrl":" "}"#, "refreshUrl"),
        (r#"{"refreshUrl":"/r","channelName":""}"#, "channelName"),
    ] {
        let message = problem(json);
        assert!(message.contains(&format!("`{named}`")), "{json}: {message}");
    }
}

#[test]
fn an_empty_refresh_url_is_named_as_empty_and_a_missing_one_as_required() {
    assert!(problem(r#"{"refreshUrl":""}"#).contains("must not be empty"));
    assert!(problem(r#"{"loginUrl":"/in"}"#).contains("`refreshUrl` is required"));
}

#[test]
fn the_reissue_options_are_read_and_checked() {
    let c = from_json(
        r#"{"refreshUrl":"/r","sendAccessTokenOnRefresh":true,"tokenHeader":"X-Access-Token"}"#,
    )
    .unwrap();
    assert!(c.send_access_token_on_refresh);
    assert_eq!(c.token_header.as_deref(), Some("X-Access-Token"));
    let d = from_json(r#"{"refreshUrl":"/r"}"#).unwrap();
    assert!(!d.send_access_token_on_refresh);
    assert_eq!(d.token_header, None);
    assert_eq!(
        problem(r#"{"refreshUrl":"/r","sendAccessTokenOnRefresh":1}"#),
        "option `sendAccessTokenOnRefresh` must be a boolean"
    );
    // Every tchar of RFC 9110 is a header name's.
    let c = from_json(r#"{"refreshUrl":"/r","tokenHeader":"X-!#$%&'*+-.^_`|~9z"}"#).unwrap();
    assert_eq!(c.token_header.as_deref(), Some("X-!#$%&'*+-.^_`|~9z"));
    for bad in [r#""""#, r#""Bad Header""#, r#""x:y""#, r#""x(y""#, r#""é""#] {
        let json = format!(r#"{{"refreshUrl":"/r","tokenHeader":{bad}}}"#);
        assert_eq!(problem(&json), "option `tokenHeader` must be a header name");
    }
    assert_eq!(
        problem(r#"{"refreshUrl":"/r","tokenHeader":false}"#),
        "option `tokenHeader` must be a string"
    );
}

#[test]
fn the_dpop_option_is_read_and_checked() {
    assert!(
        from_json(r#"{"refreshUrl":"/r","dpop":true}"#)
            .unwrap()
            .dpop
    );
    assert!(!from_json(r#"{"refreshUrl":"/r"}"#).unwrap().dpop);
    assert_eq!(
        problem(r#"{"refreshUrl":"/r","dpop":"yes"}"#),
        "option `dpop` must be a boolean"
    );
    assert_eq!(
        problem(r#"{"refreshUrl":"/r","dpop":true,"sendAccessTokenOnRefresh":true}"#),
        "option `dpop` cannot be combined with sendAccessTokenOnRefresh"
    );
}

#[test]
fn refresh_method_is_post_get_or_refused() {
    let method = |json: &str| from_json(json).map(|c| c.refresh_method);
    assert_eq!(method(r#"{"refreshUrl":"/r"}"#), Ok(RefreshMethod::Post));
    assert_eq!(
        method(r#"{"refreshUrl":"/r","refreshMethod":"GET"}"#),
        Ok(RefreshMethod::Get)
    );
    assert_eq!(RefreshMethod::Get.as_str(), "GET");
    for bad in [r#""get""#, r#""PUT""#, "1"] {
        let e = from_json(&format!(r#"{{"refreshUrl":"/r","refreshMethod":{bad}}}"#)).unwrap_err();
        assert!(e.message().contains("refreshMethod"), "{bad}");
    }
}
