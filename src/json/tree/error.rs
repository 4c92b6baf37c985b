//! What is not JSON, in serde_json's words, and where.

use std::borrow::Cow;
use std::fmt;

/// Why a text is not JSON, and where (serde_json's words, line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub(super) message: Cow<'static, str>,
    pub(super) category: Category,
    pub(super) line: usize,
    pub(super) column: usize,
}

/// What kind of fault an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Category {
    /// The text ends inside a value.
    Eof,
    /// The text is not JSON.
    Syntax,
    /// JSON, but not the shape that was wanted (only the typed decode of the tests gives these).
    Data,
}

impl Error {
    pub(super) fn new(code: Code, line: usize, column: usize) -> Error {
        let category = match code {
            Code::EofWhileParsingList
            | Code::EofWhileParsingObject
            | Code::EofWhileParsingString
            | Code::EofWhileParsingValue => Category::Eof,
            _ => Category::Syntax,
        };
        Error {
            message: Cow::Borrowed(code.message()),
            category,
            line,
            column,
        }
    }

    /// The message without its place.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The line of the fault, from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column of the fault (the bytes before it on its line).
    pub fn column(&self) -> usize {
        self.column
    }

    /// The text ends inside a value.
    pub fn is_eof(&self) -> bool {
        self.category == Category::Eof
    }

    /// The text is not JSON.
    pub fn is_syntax(&self) -> bool {
        self.category == Category::Syntax
    }

    /// JSON of the wrong shape.
    pub fn is_data(&self) -> bool {
        self.category == Category::Data
    }
}

/// serde_json's own errors, for the reference decode the tests and fuzz targets compare with.
#[cfg(any(test, feature = "fuzzing"))]
impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Error {
        use serde_json::error::Category as C;
        let text = err.to_string();
        let place = format!(" at line {} column {}", err.line(), err.column());
        let message = text.strip_suffix(&place).unwrap_or(&text).to_owned();
        Error {
            message: Cow::Owned(message),
            category: match err.classify() {
                C::Eof => Category::Eof,
                C::Data => Category::Data,
                C::Syntax | C::Io => Category::Syntax,
            },
            line: err.line(),
            column: err.column(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "{} at line {} column {}",
                self.message, self.line, self.column
            )
        }
    }
}

impl std::error::Error for Error {}

/// The faults a text can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Code {
    EofWhileParsingList,
    EofWhileParsingObject,
    EofWhileParsingString,
    EofWhileParsingValue,
    ExpectedColon,
    ExpectedListCommaOrEnd,
    ExpectedObjectCommaOrEnd,
    ExpectedSomeIdent,
    ExpectedSomeValue,
    InvalidEscape,
    InvalidNumber,
    NumberOutOfRange,
    InvalidUnicodeCodePoint,
    ControlCharacterWhileParsingString,
    KeyMustBeAString,
    LoneLeadingSurrogateInHexEscape,
    TrailingComma,
    TrailingCharacters,
    UnexpectedEndOfHexEscape,
    RecursionLimitExceeded,
}

impl Code {
    pub(super) fn message(self) -> &'static str {
        match self {
            Code::EofWhileParsingList => "EOF while parsing a list",
            Code::EofWhileParsingObject => "EOF while parsing an object",
            Code::EofWhileParsingString => "EOF while parsing a string",
            Code::EofWhileParsingValue => "EOF while parsing a value",
            Code::ExpectedColon => "expected `:`",
            Code::ExpectedListCommaOrEnd => "expected `,` or `]`",
            Code::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            Code::ExpectedSomeIdent => "expected ident",
            Code::ExpectedSomeValue => "expected value",
            Code::InvalidEscape => "invalid escape",
            Code::InvalidNumber => "invalid number",
            Code::NumberOutOfRange => "number out of range",
            Code::InvalidUnicodeCodePoint => "invalid unicode code point",
            Code::ControlCharacterWhileParsingString => {
                "control character (\\u0000-\\u001F) found while parsing a string"
            }
            Code::KeyMustBeAString => "key must be a string",
            Code::LoneLeadingSurrogateInHexEscape => "lone leading surrogate in hex escape",
            Code::TrailingComma => "trailing comma",
            Code::TrailingCharacters => "trailing characters",
            Code::UnexpectedEndOfHexEscape => "unexpected end of hex escape",
            Code::RecursionLimitExceeded => "recursion limit exceeded",
        }
    }
}
