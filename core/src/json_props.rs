//! Properties of the JSON reader over generated input: it never panics, what it writes it reads
//! back, and its numbers agree with core's exact parser.

use super::*;
extern crate std;
use proptest::prelude::*;
use std::format;
use std::string::{String, ToString};
use std::vec;

proptest! {
    #[test]
    fn any_text_is_read_without_panicking(text in any::<String>()) {
        let _ = fields(&text, &["a", "b"]);
    }

    #[test]
    fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = fields(&std::string::String::from_utf8_lossy(&bytes), &["a"]);
    }

    /// Texts made of JSON's own characters reach far more of the reader than random ones.
    #[test]
    fn json_like_text_is_read_without_panicking(text in r#"[\[\]{}",: \\u0-9a-fA-FeE.+\-tnrl]{0,48}"#) {
        let _ = fields(&text, &["a", "\u{0}"]);
        let _ = fields(&format!(r#"{{"a":{text}"#), &["a"]);
    }

    #[test]
    fn write_string_round_trips(s in any::<String>()) {
        let mut json = "{\"k\":".to_owned();
        write_string(&mut json, &s);
        json.push_str(",\"l\":[");
        write_string(&mut json, &s);
        json.push_str("]}");
        let values = fields(&json, &["k", "l"]).unwrap().unwrap();
        prop_assert_eq!(values, vec![Some(Value::Str(s.clone())), Some(Value::StrList(vec![s]))]);
    }

    #[test]
    fn write_u64_round_trips(n in any::<u64>()) {
        let mut out = String::new();
        write_u64(&mut out, n);
        prop_assert_eq!(out.parse::<u64>(), Ok(n));
    }

    /// Dates, durations and counts (up to 15 significant digits, exponents within ±22) read
    /// exactly as `str::parse::<f64>` reads them (three decimals, so `e-19` is `10^-22` in all).
    #[test]
    fn everyday_numbers_are_exact(whole in 0u64..999_999_999_999, frac in 0u32..1000, exp in -19i32..=22, neg in any::<bool>()) {
        let text = format!("{}{whole}.{frac:03}e{exp}", if neg { "-" } else { "" });
        let values = fields(&format!("{{\"n\":{text}}}"), &["n"]).unwrap().unwrap();
        prop_assert_eq!(values, vec![Some(Value::Num(text.parse::<f64>().unwrap()))]);
    }

    /// Any number at all is within a few units in the last place of the exact value.
    #[test]
    fn any_number_is_close(mantissa in any::<u64>(), digits in 0usize..20, exp in -300i32..300) {
        let m = mantissa.to_string();
        let cut = digits.min(m.len().saturating_sub(1));
        let text = format!("{}.{}e{exp}", &m[..m.len() - cut], &m[m.len() - cut..]);
        let text = text.replace(".e", "e");
        let exact = text.parse::<f64>().unwrap();
        let Some(Some(Value::Num(ours))) = fields(&format!("{{\"n\":{text}}}"), &["n"]).unwrap().unwrap().pop() else {
            panic!("{text} is a number");
        };
        if exact.is_finite() && exact.abs() > 1e-290 {
            prop_assert!((ours - exact).abs() <= exact.abs() * 1e-14, "{} read as {} not {}", text, ours, exact);
        }
    }
}
