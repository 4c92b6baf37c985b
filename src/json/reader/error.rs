//! The reader's [`Error`]: what it could not read and where, in serde_json's words where the
//! caller shows them.

#![forbid(unsafe_code)]

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
            other => other.fmt(f),
        }
    }
}
