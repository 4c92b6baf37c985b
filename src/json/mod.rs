//! JSON text as bytes: the one tokenizer every raw scan of the crate uses, the nesting bound
//! checked before any recursive parser runs, and JSON Pointers (RFC 6901).

pub mod depth;
pub mod lexer;
pub mod pointer;

pub use depth::nesting_exceeds;
