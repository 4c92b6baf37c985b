//! JSON text as bytes: the tokenizer of the error locator and the OPA value writer, the nesting bound
//! checked before any recursive parser runs, JSON Pointers (RFC 6901), and the one-pass
//! reader that decodes requests.

pub mod depth;
pub mod lexer;
pub mod pointer;
pub mod reader;
pub(crate) mod write;

pub use depth::nesting_exceeds;

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
