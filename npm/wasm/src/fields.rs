//! What JavaScript parsed, collected for the core: an auth answer's body (`JSON.parse`, before
//! the answer goes in) and a JWT segment (`atob`, `TextDecoder` and `JSON.parse`, while the
//! import `tk.segment` runs; see [`crate::abi`]).
//!
//! JavaScript calls the export `field(kind, number, key_len, len)` once per member, in the
//! order `Object.keys` gives them, and writes the member's key (`key_len` bytes of UTF-8) and
//! then its text (`len` bytes) where the answer points. `kind`: 0 `null`, 1 a boolean (`number`
//! 0 or 1), 2 a number, 3 a string, 4 an array of strings begun (empty so far), 5 one more
//! string of that array (no key), 7 anything else (an object, an array with an item that is not
//! a string), 8 a segment's decoded text (no key), 9 a new text begins (what was collected is
//! dropped).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use token_keeper_core::jwt::Decoded;
use token_keeper_core::parsed::{Members, Parsed, Value};

/// One member handed over: its kind, number, and key and text as the bytes JavaScript writes.
#[derive(Debug)]
struct Field {
    kind: u32,
    number: f64,
    key_len: usize,
    bytes: Vec<u8>,
}

/// The members collected so far.
#[derive(Debug)]
pub(crate) struct Fields(Vec<Field>);

impl Fields {
    pub(crate) const fn new() -> Fields {
        Fields(Vec::new())
    }

    /// Takes one member (module documentation); returns where its bytes go (null for kind 9,
    /// which only drops what was collected).
    pub(crate) fn put(&mut self, kind: u32, number: f64, key_len: usize, len: usize) -> *mut u8 {
        if kind == 9 {
            self.0.clear();
            return core::ptr::null_mut();
        }
        let mut bytes = vec![0; key_len.saturating_add(len)];
        let at = bytes.as_mut_ptr();
        self.0.push(Field {
            kind,
            number,
            key_len,
            bytes,
        });
        at
    }

    /// A member handed over as npm/js/core.js hands it, written at once (the tests).
    #[cfg(test)]
    pub(crate) fn put_text(&mut self, kind: u32, number: f64, key: &str, text: &str) {
        let mut bytes = Vec::from(key.as_bytes());
        bytes.extend_from_slice(text.as_bytes());
        self.0.push(Field {
            kind,
            number,
            key_len: key.len(),
            bytes,
        });
    }

    /// What JavaScript made of a text (`kind`: 2 not JSON, 3 not an object, 4 an object), with
    /// the members collected; and the text itself when it was handed over (kind 8).
    pub(crate) fn take(&mut self, kind: u32) -> (Option<String>, Parsed) {
        let mut text = None;
        let mut members: Vec<(String, Value)> = Vec::new();
        // Plain loops: an iterator chain here cost the wasm two kilobytes.
        for mut field in self.0.drain(..) {
            // JavaScript's TextEncoder writes UTF-8; anything else is no text.
            let value = String::from_utf8(field.bytes.split_off(field.key_len)).ok();
            let key = String::from_utf8(field.bytes).unwrap_or_default();
            let value = match (field.kind, value) {
                (8, value) => {
                    text = value;
                    continue;
                }
                (5, Some(item)) => {
                    if let Some((_, Value::StrList(items))) = members.last_mut() {
                        items.push(item);
                    }
                    continue;
                }
                (0, _) => Value::Null,
                (1, _) => Value::Bool(field.number != 0.0),
                (2, _) => Value::Num(field.number),
                (3, Some(text)) => Value::Str(text),
                (4, _) => Value::StrList(Vec::new()),
                _ => Value::Other,
            };
            members.push((key, value));
        }
        let parsed = match kind {
            2 => Parsed::NotJson,
            3 => Parsed::NotObject,
            _ => Parsed::Object(Members::from(members)),
        };
        (text, parsed)
    }

    /// What the import `tk.segment` answered (`kind`: 0 not base64url, 1 not UTF-8, else as for
    /// [`Fields::take`]).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn segment(&mut self, kind: u32) -> Decoded {
        match kind {
            0 => Decoded::NotBase64,
            1 => Decoded::NotUtf8,
            _ => {
                let (text, parsed) = self.take(kind);
                Decoded::Json {
                    text: text.unwrap_or_default(),
                    parsed,
                }
            }
        }
    }
}
