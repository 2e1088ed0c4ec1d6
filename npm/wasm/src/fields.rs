//! The members of a JSON text as JavaScript's `JSON.parse` read them, collected for the core
//! while the import `tk.json` runs (see [`crate::abi`]).
//!
//! JavaScript calls the export `field(index, kind, number, len)` once per wanted member it found
//! (`index` in the order the core asked), and once for a key the core did not ask for (`index`
//! ignored). `kind`: 0 `null`, 1 a boolean (`number` 0 or 1), 2 a number, 3 a string, 4 an array
//! of strings begun (empty so far), 5 one more string of that array, 6 an object (its
//! `JSON.stringify`), 7 anything else (an array with an item that is not a string), 8 the
//! unknown key. For 3, 5, 6 and 8 the answer is where JavaScript writes the `len` bytes of
//! UTF-8; otherwise it is null.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use token_keeper_core::json::{Parsed, Value};

/// The members collected so far.
#[derive(Debug)]
pub(crate) struct Fields {
    values: Vec<Option<Value>>,
    /// Texts on their way in, as the bytes JavaScript writes: (slot, kind, bytes).
    texts: Vec<(usize, u32, Vec<u8>)>,
}

impl Fields {
    pub(crate) const fn new() -> Fields {
        Fields {
            values: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// Ready for a text of which `wanted` members are asked.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn start(&mut self, wanted: usize) {
        self.values.clear();
        self.values.resize_with(wanted, || None);
        self.texts.clear();
    }

    /// Takes one member (module documentation); returns where its bytes go, or null.
    pub(crate) fn put(&mut self, index: u32, kind: u32, number: f64, len: usize) -> *mut u8 {
        let slot = index as usize;
        if matches!(kind, 3 | 5 | 6 | 8) {
            let mut bytes = vec![0; len];
            let at = bytes.as_mut_ptr();
            self.texts.push((slot, kind, bytes));
            return at;
        }
        if let Some(value) = self.values.get_mut(slot) {
            *value = Some(match kind {
                0 => Value::Null,
                1 => Value::Bool(number != 0.0),
                2 => Value::Num(number),
                4 => Value::StrList(Vec::new()),
                _ => Value::Other,
            });
        }
        core::ptr::null_mut()
    }

    /// What the import answered (`kind`), with the members collected.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn finish(&mut self, kind: u32) -> Parsed {
        match kind {
            0 => return Parsed::NotJson,
            1 => return Parsed::NotObject,
            _ => {}
        }
        let mut unknown = None;
        // Plain loops: an iterator chain here cost the wasm two kilobytes.
        for (slot, kind, bytes) in self.texts.drain(..) {
            // JavaScript's TextEncoder writes UTF-8; anything else is no text.
            let text = String::from_utf8(bytes).ok();
            if kind == 8 {
                unknown = text;
                continue;
            }
            let Some(value) = self.values.get_mut(slot) else {
                continue;
            };
            *value = match (kind, text, value.take()) {
                (5, Some(item), Some(Value::StrList(mut items))) => {
                    items.push(item);
                    Some(Value::StrList(items))
                }
                (3, Some(text), _) => Some(Value::Str(text)),
                (6, Some(text), _) => Some(Value::Object(text)),
                _ => Some(Value::Other),
            };
        }
        Parsed::Object {
            values: core::mem::take(&mut self.values),
            unknown,
        }
    }
}
