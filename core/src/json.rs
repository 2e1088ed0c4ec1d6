//! A small, strict JSON reader and the two writers the keeper needs.
//!
//! The keeper reads three kinds of JSON: the auth server's answers, JWT payloads and messages from
//! other tabs. All it wants from them is a few top-level fields, so this module offers exactly
//! that, [`fields`], instead of a general parser: serde with serde_json costs 22–29 KB of wasm
//! (measured), and this reader is all the keeper needs.
//!
//! It follows RFC 8259 strictly (no comments, trailing commas, leading zeros, NaN, lone
//! surrogates...), so that what it accepts is what `JSON.parse` accepts. It runs in linear time
//! and never recurses: containers nested below a field are checked by a loop that keeps the
//! closers it still expects in a vector, so any depth is accepted and a text of a million `[`
//! costs a megabyte of memory, not the stack.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// A top-level field's value, as far as callers need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string, unescaped.
    Str(String),
    /// Any number, as core's `f64` parser reads it; too large ones are infinite, callers filter.
    Num(f64),
    /// An array whose items are all strings; an empty array is one too.
    StrList(Vec<String>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object, or an array with an item that is not a string (checked all the same).
    Other,
}

/// Parses `json` (the whole text must be one JSON value, surrounded by optional whitespace).
/// `Err(())` when it is not JSON; `Ok(None)` when it is JSON but not an object;
/// else the values of the `wanted` keys, in the order of `wanted` (None when absent).
/// A key given twice: the last occurrence wins, as with JavaScript's JSON.parse.
pub(crate) fn fields(json: &str, wanted: &[&str]) -> Result<Option<Vec<Option<Value>>>, ()> {
    let mut reader = Reader { text: json, pos: 0 };
    reader.skip_whitespace();
    if !reader.eat(b'{') {
        reader.skip_value()?;
        return reader.finish().map(|()| None);
    }
    let mut values = vec![None; wanted.len()];
    reader.skip_whitespace();
    if !reader.eat(b'}') {
        loop {
            let key = reader.key()?;
            // Values of unwanted keys are only checked; wanted ones are kept in every slot that
            // names them, overwriting an earlier duplicate.
            if wanted.contains(&key.as_str()) {
                let value = reader.field_value()?;
                for (name, slot) in wanted.iter().zip(values.iter_mut()) {
                    if *name == key {
                        *slot = Some(value.clone());
                    }
                }
            } else {
                reader.skip_value()?;
            }
            reader.skip_whitespace();
            if !reader.eat(b',') {
                reader.expect(b'}')?;
                break;
            }
        }
    }
    reader.finish().map(|()| Some(values))
}

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping `"` `\` and control
/// characters (< 0x20) as \n \r \t \b \f or \u00XX; everything else as is (UTF-8).
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\0'..='\u{1f}' => {
                let low = c as u8 & 0xf;
                out.push_str(if (c as u8) < 0x10 { "\\u000" } else { "\\u001" });
                out.push(char::from(if low < 10 {
                    b'0' + low
                } else {
                    b'a' + low - 10
                }));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a non-negative whole number (u64) in decimal, without core::fmt.
pub(crate) fn write_u64(out: &mut String, n: u64) {
    // The largest power of ten not above `n` (1 for 0); `unit * 10 <= n` keeps it from overflowing.
    let mut unit = 1u64;
    while n / unit >= 10 {
        unit *= 10;
    }
    loop {
        out.push(char::from(b'0' + (n / unit % 10) as u8));
        if unit == 1 {
            return;
        }
        unit /= 10;
    }
}

/// A cursor over the text. `pos` only ever stops on an ASCII byte or at the end, so slicing the
/// text there cannot split a character; every access goes through `get` all the same.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    /// The byte at the cursor, if any.
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The byte at the cursor, consumed; `Err` at the end of the text.
    fn next(&mut self) -> Result<u8, ()> {
        let byte = self.peek().ok_or(())?;
        self.pos += 1;
        Ok(byte)
    }

    /// Consumes `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.pos += usize::from(found);
        found
    }

    /// Consumes `byte`, which must be next.
    fn expect(&mut self, byte: u8) -> Result<(), ()> {
        self.eat(byte).then_some(()).ok_or(())
    }

    /// Skips the four whitespace bytes RFC 8259 allows, and no others.
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Checks that only whitespace follows the value.
    fn finish(&mut self) -> Result<(), ()> {
        self.skip_whitespace();
        (self.pos == self.text.len()).then_some(()).ok_or(())
    }

    /// Reads an object's key and the colon after it, with the whitespace around them.
    fn key(&mut self) -> Result<String, ()> {
        self.skip_whitespace();
        let key = self.string()?;
        self.skip_whitespace();
        self.expect(b':')?;
        self.skip_whitespace();
        Ok(key)
    }

    /// Reads a wanted field's value. An array is first read as a list of strings; at its first
    /// other item the reader goes back and checks the whole array, so at most twice, still linear.
    fn field_value(&mut self) -> Result<Value, ()> {
        if !matches!(self.peek(), Some(b'[' | b'{')) {
            return self.scalar();
        }
        let start = self.pos;
        if let Some(list) = self.string_list()? {
            return Ok(Value::StrList(list));
        }
        self.pos = start;
        self.skip_value()?;
        Ok(Value::Other)
    }

    /// Reads an array of strings; `Ok(None)` when the next value is not one.
    fn string_list(&mut self) -> Result<Option<Vec<String>>, ()> {
        let mut list = Vec::new();
        if !self.eat(b'[') {
            return Ok(None);
        }
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(Some(list));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Ok(None);
            }
            list.push(self.string()?);
            self.skip_whitespace();
            if !self.eat(b',') {
                self.expect(b']')?;
                return Ok(Some(list));
            }
        }
    }

    /// Checks one value of any kind. Iterative: `closers` holds the bracket or brace each open
    /// container still expects, innermost last, so depth costs heap, not stack.
    fn skip_value(&mut self) -> Result<(), ()> {
        let mut closers = Vec::new();
        loop {
            // At the start of a value: open a container, or read a scalar.
            self.skip_whitespace();
            let opener = self.peek();
            if opener == Some(b'[') || opener == Some(b'{') {
                self.pos += 1;
                self.skip_whitespace();
                let closer = if opener == Some(b'[') { b']' } else { b'}' };
                if !self.eat(closer) {
                    closers.push(closer);
                    if closer == b'}' {
                        self.key()?;
                    }
                    continue;
                }
            } else {
                self.scalar()?;
            }
            // After a value: close finished containers until one has a next item.
            loop {
                self.skip_whitespace();
                let Some(&closer) = closers.last() else {
                    return Ok(());
                };
                if self.eat(b',') {
                    if closer == b'}' {
                        self.key()?;
                    }
                    break;
                }
                self.expect(closer)?;
                closers.pop();
            }
        }
    }

    /// Reads a string, number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Result<Value, ()> {
        match self.peek() {
            Some(b'"') => return self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => return self.number().map(Value::Num),
            _ => {}
        }
        let rest = self.text.get(self.pos..).unwrap_or_default();
        for (word, value) in [
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(())
    }

    /// Reads a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, then lets core
    /// parse the checked lexeme.
    fn number(&mut self) -> Result<f64, ()> {
        let start = self.pos;
        self.eat(b'-');
        // A leading 0 stands alone: the digit after `01` is left for the caller to reject.
        if !self.eat(b'0') {
            self.digits()?;
        }
        if self.eat(b'.') {
            self.digits()?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            self.digits()?;
        }
        self.text
            .get(start..self.pos)
            .and_then(|lexeme| lexeme.parse().ok())
            .ok_or(())
    }

    /// Skips one or more decimal digits.
    fn digits(&mut self) -> Result<(), ()> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        (self.pos > start).then_some(()).ok_or(())
    }

    /// Reads a string literal and unescapes it.
    fn string(&mut self) -> Result<String, ()> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character in one go.
            let run = self.pos;
            while matches!(self.peek(), Some(byte) if byte != b'"' && byte != b'\\' && byte >= 0x20)
            {
                self.pos += 1;
            }
            out.push_str(self.text.get(run..self.pos).ok_or(())?);
            match self.next()? {
                b'"' => return Ok(out),
                b'\\' => out.push(self.escape()?),
                _ => return Err(()),
            }
        }
    }

    /// Reads the escape after a backslash. A `\u` surrogate must be a high one followed by an
    /// escaped low one; a lone surrogate is no character, so the text is rejected.
    fn escape(&mut self) -> Result<char, ()> {
        Ok(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let mut code = self.hex4()?;
                if (0xD800..0xDC00).contains(&code) {
                    self.expect(b'\\')?;
                    self.expect(b'u')?;
                    let low = self.hex4()?;
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

    /// Reads exactly four hex digits (not `u32::from_str_radix`, which would take a `+`).
    fn hex4(&mut self) -> Result<u32, ()> {
        let mut code = 0;
        for _ in 0..4 {
            code = code * 16 + char::from(self.next()?).to_digit(16).ok_or(())?;
        }
        Ok(code)
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
