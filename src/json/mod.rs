//! JSON text as bytes: the tokenizer of the error locator and the OPA value writer, the nesting bound
//! checked before any recursive parser runs, JSON Pointers (RFC 6901), and the one-pass
//! reader that decodes requests.

pub mod depth;
pub mod lexer;
pub mod pointer;
pub mod reader;
pub mod tree;
pub(crate) mod write;

pub use depth::nesting_exceeds;

/// `bytes` as text with each invalid UTF-8 sequence replaced by U+FFFD, as
/// `String::from_utf8_lossy` replaces them, through `str::from_utf8` (which the modules carry
/// anyway) instead of a second UTF-8 decoder.
pub fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let valid = rest.get(..e.valid_up_to()).unwrap_or_default();
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                // No error length: the bytes end inside a sequence.
                let Some(bad) = e.error_len() else {
                    return out;
                };
                rest = rest.get(e.valid_up_to() + bad..).unwrap_or_default();
            }
        }
    }
}

/// What kind of JSON value `v` is, for messages ("found a list").
pub fn type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    #[test]
    fn lossy_is_from_utf8_lossy() {
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        let alphabet: &[u8] = &[
            b'a', 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xed, 0xff,
        ];
        for _ in 0..20_000 {
            let state = next();
            let len = (state % 12) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| alphabet[((state >> (i * 5)) as usize) % alphabet.len()])
                .collect();
            assert_eq!(
                super::lossy(&bytes),
                String::from_utf8_lossy(&bytes),
                "{bytes:?}"
            );
        }
    }
}
