//! The reader's [`Error`]: what it could not read and where, in serde_json's words where the
//! caller shows them.

#![forbid(unsafe_code)]

use crate::grammar::text::Quoted;
use serde::de::{self, Unexpected};
use std::fmt;

/// Why the text was not read (boxed: the reader's results stay one word wide).
#[derive(Debug, PartialEq)]
pub struct Error(Box<ErrorKind>);

/// What [`Error`] holds.
#[derive(Debug, PartialEq)]
pub enum ErrorKind {
    /// Not JSON at byte `offset`. `message` is set where serde_json's parser, which the caller
    /// asks for the wording otherwise, would not see the fault without building the value (a
    /// lone surrogate, a number out of range).
    Syntax {
        offset: usize,
        message: Option<&'static str>,
    },
    /// Objects or lists nested deeper than the bound, at the opening bracket at `offset`.
    Depth { offset: usize },
    /// A value the target does not take, in serde's words (`invalid type: ..., expected ...`);
    /// `offset` is where serde_json places such errors: past a value it read, at the bracket of
    /// a list or object it did not (either way, the JSON pointer there names the value).
    Data {
        message: String,
        offset: Option<usize>,
    },
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    pub(super) fn syntax(offset: usize) -> Error {
        Error(Box::new(ErrorKind::Syntax {
            offset,
            message: None,
        }))
    }

    pub(super) fn worded(offset: usize, message: &'static str) -> Error {
        Error(Box::new(ErrorKind::Syntax {
            offset,
            message: Some(message),
        }))
    }

    /// Objects or lists nested deeper than the bound, at the bracket at `offset`.
    pub(super) fn depth(offset: usize) -> Error {
        Error(Box::new(ErrorKind::Depth { offset }))
    }

    /// A data error without a place gets `offset`.
    pub(super) fn at(mut self, offset: usize) -> Error {
        if let ErrorKind::Data {
            offset: o @ None, ..
        } = &mut *self.0
        {
            *o = Some(offset);
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Syntax { offset, message } => {
                write!(f, "{} at byte {offset}", message.unwrap_or("not JSON"))
            }
            ErrorKind::Depth { offset } => write!(f, "nested too deep at byte {offset}"),
            ErrorKind::Data { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(Box::new(ErrorKind::Data {
            message: msg.to_string(),
            offset: None,
        }))
    }

    // serde_json's words: `null`, and floats printed as serde_json prints them.
    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "invalid type: {}, expected {expected}",
            JsonUnexpected(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "invalid value: {}, expected {expected}",
            JsonUnexpected(unexpected)
        ))
    }
}

/// An unexpected value as serde_json names it.
struct JsonUnexpected<'a>(Unexpected<'a>);

impl fmt::Display for JsonUnexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Float(value) => match serde_json::Number::from_f64(value) {
                Some(n) => write!(f, "floating point `{n}`"),
                None => f.write_str("floating point"),
            },
            // Worded as serde's own `Display` words them; that one would also carry a second
            // float printer (`core::fmt`'s) into the wasm builds.
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(i) => write!(f, "integer `{i}`"),
            Unexpected::Signed(i) => write!(f, "integer `{i}`"),
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            // Quoted as every message quotes (serde quotes with `Debug`, which differs on a few
            // rare characters and would carry Unicode tables into the wasm builds).
            Unexpected::Str(s) => write!(f, "string {s:?}", s = Quoted(s)),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_values_are_worded_as_serde_words_them() {
        let same = [
            Unexpected::Bool(true),
            Unexpected::Unsigned(7),
            Unexpected::Signed(-7),
            Unexpected::Char('é'),
            Unexpected::Str("a \"b\"\n"),
            Unexpected::Bytes(b"x"),
            Unexpected::Option,
            Unexpected::NewtypeStruct,
            Unexpected::Seq,
            Unexpected::Map,
            Unexpected::Enum,
            Unexpected::UnitVariant,
            Unexpected::NewtypeVariant,
            Unexpected::TupleVariant,
            Unexpected::StructVariant,
            Unexpected::Other("something else"),
        ];
        for u in same {
            assert_eq!(JsonUnexpected(u).to_string(), u.to_string());
        }
        // serde_json's own wording for these two.
        assert_eq!(JsonUnexpected(Unexpected::Unit).to_string(), "null");
        assert_eq!(
            JsonUnexpected(Unexpected::Float(1.5)).to_string(),
            "floating point `1.5`"
        );
    }
}
