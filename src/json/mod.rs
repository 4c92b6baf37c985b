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

/// Whether `a` and `b` are the same bytes, compared a word at a time. Hosts hand over the same
/// settings text with every call, and the wasm builds' `memcmp` compares a byte at a time.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (wa.remainder(), wb.remainder());
    let word = |c: &[u8]| {
        <[u8; 8]>::try_from(c)
            .map(u64::from_ne_bytes)
            .unwrap_or_default()
    };
    wa.zip(wb).all(|(x, y)| word(x) == word(y)) && ra == rb
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
    fn same_bytes_is_equality() {
        let text: Vec<u8> = (0..40u8).collect();
        for n in 0..text.len() {
            for m in 0..text.len() {
                let (a, b) = (&text[..n], &text[..m]);
                assert_eq!(super::same_bytes(a, b), a == b);
            }
            let mut changed = text[..n].to_vec();
            for i in 0..n {
                changed[i] ^= 1;
                assert!(!super::same_bytes(&changed, &text[..n]));
                changed[i] ^= 1;
            }
        }
    }
}
