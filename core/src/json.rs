//! A small, strict JSON reader, and the two writers the keeper needs.
//!
//! The keeper reads auth-server answers, JWT payloads and other tabs' messages, and wants only a
//! few top-level fields of each, so [`fields`] reads just those. serde with serde_json costs
//! 22–29 KB of wasm (measured); this reader is all the keeper needs.
//!
//! It is strict RFC 8259, so it accepts what `JSON.parse` accepts, and linear in the text. It
//! never recurses: nested containers are checked by a loop that keeps one byte per open container
//! on the heap, so any depth is accepted and a million `[` cost a megabyte, not the stack.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// A top-level field's value, as far as callers need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string, unescaped.
    Str(String),
    /// Any number, as core's `f64` parser reads it: too large ones are infinite, callers filter.
    Num(f64),
    /// An array whose items are all strings; an empty array is one too.
    StrList(Vec<String>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object, as its (checked) JSON text, to be read with [`entries`] in turn.
    Object(String),
    /// An array with an item that is not a string (checked all the same).
    Other,
}

/// Parses `json` (the whole text must be one JSON value, surrounded by optional whitespace).
/// `Err(())` when it is not JSON; `Ok(None)` when it is JSON but not an object;
/// else the values of the `wanted` keys, in the order of `wanted` (None when absent).
/// A key given twice: the last occurrence wins, as with JavaScript's JSON.parse.
pub(crate) fn fields(json: &str, wanted: &[&str]) -> Result<Option<Vec<Option<Value>>>, ()> {
    known_fields(json, wanted, None)
}

/// [`fields`], noting in `unknown` (when given) the first key that is not `wanted`.
pub(crate) fn known_fields(
    json: &str,
    wanted: &[&str],
    mut unknown: Option<&mut Option<String>>,
) -> Result<Option<Vec<Option<Value>>>, ()> {
    let mut values = vec![None; wanted.len()];
    let object = each_field(json, |key, reader| {
        // Unwanted values are only checked, not kept; a later duplicate overwrites the slot.
        if !wanted.contains(&key) {
            if let Some(first @ None) = unknown.as_deref_mut() {
                *first = Some(String::from(key));
            }
            return reader.skip_value();
        }
        let value = reader.field_value()?;
        for (name, slot) in wanted.iter().zip(&mut values) {
            if *name == key {
                *slot = Some(value.clone());
            }
        }
        Ok(())
    })?;
    Ok(object.then_some(values))
}

/// Reads `json`, calling `field` with each top-level key and the reader at its value, which
/// `field` must consume. `Ok(false)` when the text is JSON but not an object.
fn each_field(
    json: &str,
    mut field: impl FnMut(&str, &mut Reader<'_>) -> Result<(), ()>,
) -> Result<bool, ()> {
    let mut reader = Reader { text: json, pos: 0 };
    if !reader.token("{") {
        reader.skip_value()?;
        return reader.finish().map(|()| false);
    }
    let mut more = !reader.token("}");
    while more {
        let key = reader.string()?;
        reader.expect(":")?;
        field(&key, &mut reader)?;
        more = reader.next_item("}")?;
    }
    reader.finish().map(|()| true)
}

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping `"` `\` and control
/// characters (< 0x20) as \n \r \t \b \f or \u00XX; everything else as is (UTF-8). Runs between
/// escapes are copied whole rather than character by character.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let (escape, hex) = match b {
            b'"' => ("\\\"", false),
            b'\\' => ("\\\\", false),
            b'\n' => ("\\n", false),
            b'\r' => ("\\r", false),
            b'\t' => ("\\t", false),
            0x08 => ("\\b", false),
            0x0c => ("\\f", false),
            0..=0x0f => ("\\u000", true),
            0x10..=0x1f => ("\\u001", true),
            _ => continue,
        };
        // Cut at ASCII bytes, so on character boundaries.
        out.push_str(s.get(run..i).unwrap_or_default());
        out.push_str(escape);
        if hex {
            let digit = usize::from(b & 0xf);
            out.push_str(HEX.get(digit..=digit).unwrap_or_default());
        }
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

const HEX: &str = "0123456789abcdef";

/// Appends a non-negative whole number (u64) in decimal, without core::fmt.
pub(crate) fn write_u64(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(digit) = digits.get_mut(at) {
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // ASCII digits.
    out.push_str(core::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default());
}

/// A cursor over the text. Every access goes through `get`, so no input can make it panic.
/// Whitespace is skipped before each token and value, the only places RFC 8259 allows it.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// The byte at the cursor, consumed; `Err` at the end of the text.
    fn next(&mut self) -> Result<u8, ()> {
        let byte = *self.rest().first().ok_or(())?;
        self.pos += 1;
        Ok(byte)
    }

    /// The text from the cursor on.
    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.pos..).unwrap_or_default()
    }

    /// Consumes `text` if it comes next, with no whitespace before it.
    fn eat(&mut self, text: &str) -> bool {
        let found = self.rest().starts_with(text.as_bytes());
        self.pos += if found { text.len() } else { 0 };
        found
    }

    /// Skips whitespace, then consumes `token` if it comes next.
    fn token(&mut self, token: &str) -> bool {
        self.skip_whitespace();
        self.eat(token)
    }

    /// Skips whitespace, then consumes `token`, which must come next.
    fn expect(&mut self, token: &str) -> Result<(), ()> {
        self.token(token).then_some(()).ok_or(())
    }

    /// After an item of a container that ends with `close`: whether another item follows.
    fn next_item(&mut self, close: &str) -> Result<bool, ()> {
        if self.token(",") {
            return Ok(true);
        }
        self.expect(close).map(|()| false)
    }

    /// Skips bytes while `allowed` holds them; returns how many.
    fn skip(&mut self, allowed: impl Fn(u8) -> bool) -> usize {
        let count = self
            .rest()
            .iter()
            .take_while(|&&byte| allowed(byte))
            .count();
        self.pos += count;
        count
    }

    /// Skips the four whitespace bytes RFC 8259 allows, and no others.
    fn skip_whitespace(&mut self) {
        self.skip(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    }

    /// Checks that only whitespace follows the value.
    fn finish(&mut self) -> Result<(), ()> {
        self.skip_whitespace();
        (self.pos == self.text.len()).then_some(()).ok_or(())
    }

    /// Reads a wanted field's value. An array is first read as a list of strings; at an item that
    /// is not one the reader goes back and checks the whole array: twice at most, still linear.
    fn field_value(&mut self) -> Result<Value, ()> {
        self.skip_whitespace();
        let start = self.pos;
        match self.rest().first() {
            Some(b'[') => self.pos += 1,
            Some(b'{') => {
                self.skip_value()?;
                let text = self.text.get(start..self.pos).ok_or(())?;
                return Ok(Value::Object(String::from(text)));
            }
            _ => return self.scalar(),
        }
        let mut list = Vec::new();
        let mut more = !self.token("]");
        while more {
            self.skip_whitespace();
            if self.rest().first() != Some(&b'"') {
                self.pos = start;
                return self.skip_value().map(|()| Value::Other);
            }
            list.push(self.string()?);
            more = self.next_item("]")?;
        }
        Ok(Value::StrList(list))
    }

    /// Checks one value of any kind. `open` holds, innermost last, whether each open container is
    /// an object: an explicit stack, so that depth costs heap and never the call stack.
    fn skip_value(&mut self) -> Result<(), ()> {
        let mut open = Vec::new();
        loop {
            // At the start of an item: its key in an object, then a container or a scalar.
            if open.last() == Some(&true) {
                self.string()?;
                self.expect(":")?;
            }
            let object = self.token("{");
            if object || self.token("[") {
                if !self.token(if object { "}" } else { "]" }) {
                    open.push(object);
                    continue;
                }
            } else {
                self.scalar()?;
            }
            // After a value: close finished containers until one has a next item.
            loop {
                let Some(&object) = open.last() else {
                    return Ok(());
                };
                if self.next_item(if object { "}" } else { "]" })? {
                    break;
                }
                open.pop();
            }
        }
    }

    /// Reads a string, number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Result<Value, ()> {
        self.skip_whitespace();
        match self.rest().first() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Num),
            _ if self.eat("true") => Ok(Value::Bool(true)),
            _ if self.eat("false") => Ok(Value::Bool(false)),
            _ if self.eat("null") => Ok(Value::Null),
            _ => Err(()),
        }
    }

    /// Reads a number, `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, and converts
    /// the checked lexeme with [`decimal`].
    fn number(&mut self) -> Result<f64, ()> {
        let start = self.pos;
        self.eat("-");
        // A leading 0 stands alone: the digit after the 0 of `01` is left for the caller to refuse.
        if !self.eat("0") {
            self.digits()?;
        }
        if self.eat(".") {
            self.digits()?;
        }
        if self.eat("e") || self.eat("E") {
            let _sign = self.eat("+") || self.eat("-");
            self.digits()?;
        }
        let lexeme = self.text.get(start..self.pos).ok_or(())?;
        Ok(decimal(lexeme.as_bytes()))
    }

    /// Skips one or more decimal digits.
    fn digits(&mut self) -> Result<(), ()> {
        (self.skip(|byte| byte.is_ascii_digit()) > 0)
            .then_some(())
            .ok_or(())
    }

    /// Reads a string literal and unescapes it.
    fn string(&mut self) -> Result<String, ()> {
        self.expect("\"")?;
        let mut out = String::new();
        loop {
            // Copies the run up to the next quote, backslash or control character at once: these
            // are ASCII, so the run ends on a character boundary.
            let run = self.pos;
            self.skip(|byte| byte != b'"' && byte != b'\\' && byte >= 0x20);
            out.push_str(self.text.get(run..self.pos).ok_or(())?);
            match self.next()? {
                b'"' => return Ok(out),
                b'\\' => out.push(self.escape()?),
                _ => return Err(()),
            }
        }
    }

    /// Reads the escape after a backslash. A `\u` surrogate must be a high one followed by an
    /// escaped low one: a lone surrogate is no character, so the text is refused.
    fn escape(&mut self) -> Result<char, ()> {
        Ok(match self.next()? {
            byte @ (b'"' | b'\\' | b'/') => char::from(byte),
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let mut code = self.hex4()?;
                if (0xD800..0xDC00).contains(&code) {
                    let low = if self.eat("\\u") { self.hex4()? } else { 0 };
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(());
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                }
                char::from_u32(code).ok_or(())?
            }
            _ => return Err(()),
        })
    }

    /// Reads exactly four hex digits (not with `u32::from_str_radix`, which would take a `+`).
    fn hex4(&mut self) -> Result<u32, ()> {
        let mut code = 0;
        for _ in 0..4 {
            code = code * 16 + char::from(self.next()?).to_digit(16).ok_or(())?;
        }
        Ok(code)
    }
}

/// The value of a checked JSON number. Exact (correctly rounded) when its significant digits fit
/// in 2^53 and its decimal exponent in ±22 — every date, duration and count a token or an auth
/// answer carries, such as `1700000000.123` — and within a few units in the last place beyond.
/// Not `str::parse::<f64>`: core's exact parser costs 18 KB of wasm, measured, three times this
/// whole reader.
fn decimal(lexeme: &[u8]) -> f64 {
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    let mut negative = false;
    let mut in_fraction = false;
    let mut bytes = lexeme.iter();
    for &b in bytes.by_ref() {
        match b {
            b'-' => negative = true,
            b'.' => in_fraction = true,
            b'e' | b'E' => break,
            digit => {
                let d = u64::from(digit - b'0');
                if mantissa < (u64::MAX - 9) / 10 {
                    mantissa = mantissa * 10 + d;
                    exponent -= i64::from(in_fraction);
                } else {
                    // Digits past 19 only round: count them in the exponent.
                    exponent += i64::from(!in_fraction);
                }
            }
        }
    }
    let mut written: i64 = 0;
    let mut written_negative = false;
    for &b in bytes {
        match b {
            b'-' => written_negative = true,
            b'+' => {}
            digit => {
                written = written
                    .saturating_mul(10)
                    .saturating_add(i64::from(digit - b'0'))
            }
        }
    }
    exponent = exponent.saturating_add(if written_negative { -written } else { written });
    #[allow(clippy::cast_precision_loss)]
    let mut value = mantissa as f64;
    // Powers of ten up to 10^22 are exact in an f64: one step is one rounding.
    let mut scale = exponent;
    while scale != 0 && value != 0.0 && value.is_finite() {
        let step = scale.clamp(-22, 22);
        #[allow(clippy::cast_possible_truncation)]
        let power = POWERS
            .get(step.unsigned_abs() as usize)
            .copied()
            .unwrap_or(1e22);
        value = if step > 0 {
            value * power
        } else {
            value / power
        };
        scale -= step;
    }
    if negative {
        -value
    } else {
        value
    }
}

/// 10^0 … 10^22, each exact.
const POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "json_props.rs"]
mod props;
