//! JSON text read as a tree (`serde_json::Value`), or only checked, the way serde_json's
//! `from_slice` reads it as a `Value` or an `IgnoredAny`: the same values (numbers included:
//! floats are computed with the same arithmetic), and the same errors, in the same words, at the
//! same line and column. The policy modules read settings, context objects and requests to
//! patch with it, and word what is not JSON with it, without linking serde_json's parser.
//!
//! The one difference: serde_json gives an object whose first key is its private raw-value
//! marker (`$serde_json::private::RawValue`) a meaning of its own; here it is a key like any
//! other.

#![forbid(unsafe_code)]

mod check;
mod error;
mod fields;
mod number;
mod string;
#[cfg(test)]
mod tests;

use error::Code;
pub use error::Error;
use serde_json::{Map, Value};

type Result<T> = std::result::Result<T, Error>;

/// `bytes` as a tree, as `serde_json::from_slice::<Value>` reads them.
pub fn from_slice(bytes: &[u8]) -> Result<Value> {
    let mut p = Parser::new(bytes);
    let value = p.value()?;
    p.end()?;
    Ok(value)
}

/// `text` as a tree ([`from_slice`]).
pub fn from_str(text: &str) -> Result<Value> {
    from_slice(text.as_bytes())
}

/// Whether `bytes` are JSON, as `serde_json::from_slice::<IgnoredAny>` checks them: any nesting,
/// any number, strings' escapes checked but not decoded.
pub fn check(bytes: &[u8]) -> Result<()> {
    let mut p = Parser::new(bytes);
    p.ignore_value()?;
    p.end()
}

/// The texts of the fields `names` of the object `bytes` hold, read as serde_json reads a struct
/// of optional raw values (`Option<&RawValue>`, each with a default) named `expected`: a field
/// that is `null` or absent is `None`, a field given twice is an error, other fields are
/// checked and skipped. (serde_json also takes such a struct as a list of its fields in order.)
pub fn fields<'a, const N: usize>(
    bytes: &'a [u8],
    names: [&str; N],
    expected: &'static str,
) -> Result<[Option<&'a str>; N]> {
    let mut p = Parser::new(bytes);
    let texts = p.fields(names, expected)?;
    p.end()?;
    Ok(texts)
}

/// Line and column of byte `offset` of `bytes` as serde_json places its errors: the line from 1,
/// the column counting the bytes before it on its line.
pub fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |n| n + 1);
    let lines = memchr::memchr_iter(b'\n', before.get(..line_start).unwrap_or_default()).count();
    (1 + lines, offset.saturating_sub(line_start))
}

/// How deep lists and objects may nest in a tree: serde_json's bound (the 128th level is refused).
const DEPTH: u8 = 128;

struct Parser<'a> {
    bytes: &'a [u8],
    index: usize,
    remaining_depth: u8,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8]) -> Parser<'a> {
        Parser {
            bytes,
            index: 0,
            remaining_depth: DEPTH,
        }
    }

    /// Line and column of byte `i` ([`line_column`]).
    fn position_of(&self, i: usize) -> (usize, usize) {
        line_column(self.bytes, i)
    }

    /// An error at the reader (after the byte it read last).
    #[cold]
    fn error(&self, code: Code) -> Error {
        let (line, column) = self.position_of(self.index);
        Error::new(code, line, column)
    }

    /// An error at the byte the reader looked at without reading it.
    #[cold]
    fn peek_error(&self, code: Code) -> Error {
        let (line, column) = self.position_of(self.bytes.len().min(self.index + 1));
        Error::new(code, line, column)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.index).copied()
    }

    fn peek_or_null(&self) -> u8 {
        self.peek().unwrap_or(0)
    }

    fn next_char(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.index += 1;
        Some(b)
    }

    fn eat(&mut self) {
        self.index += 1;
    }

    /// The next byte that is not whitespace, not read.
    fn whitespace(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.eat();
        }
        None
    }

    /// Only whitespace may follow the value.
    fn end(&mut self) -> Result<()> {
        match self.whitespace() {
            Some(_) => Err(self.peek_error(Code::TrailingCharacters)),
            None => Ok(()),
        }
    }

    fn ident(&mut self, rest: &[u8]) -> Result<()> {
        for &want in rest {
            match self.next_char() {
                None => return Err(self.error(Code::EofWhileParsingValue)),
                Some(b) if b != want => return Err(self.error(Code::ExpectedSomeIdent)),
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value> {
        let Some(peek) = self.whitespace() else {
            return Err(self.peek_error(Code::EofWhileParsingValue));
        };
        match peek {
            b'n' => {
                self.eat();
                self.ident(b"ull")?;
                Ok(Value::Null)
            }
            b't' => {
                self.eat();
                self.ident(b"rue")?;
                Ok(Value::Bool(true))
            }
            b'f' => {
                self.eat();
                self.ident(b"alse")?;
                Ok(Value::Bool(false))
            }
            b'-' => {
                self.eat();
                self.integer(false)
            }
            b'0'..=b'9' => self.integer(true),
            b'"' => {
                self.eat();
                self.string().map(Value::String)
            }
            b'[' => {
                self.deeper()?;
                self.eat();
                let items = self.items();
                self.remaining_depth += 1;
                let end = self.end_list();
                let items = items?;
                end?;
                Ok(Value::Array(items))
            }
            b'{' => {
                self.deeper()?;
                self.eat();
                let entries = self.entries();
                self.remaining_depth += 1;
                let end = self.end_object();
                let entries = entries?;
                end?;
                Ok(Value::Object(entries))
            }
            _ => Err(self.peek_error(Code::ExpectedSomeValue)),
        }
    }

    /// One level deeper, at the opening bracket.
    fn deeper(&mut self) -> Result<()> {
        self.remaining_depth -= 1;
        if self.remaining_depth == 0 {
            return Err(self.peek_error(Code::RecursionLimitExceeded));
        }
        Ok(())
    }

    /// Past the separator before a list's next value (`first`: none read yet); `false` at the
    /// closing bracket (not read).
    fn next_item(&mut self, first: &mut bool) -> Result<bool> {
        let Some(peek) = self.whitespace() else {
            return Err(self.peek_error(Code::EofWhileParsingList));
        };
        if peek == b']' {
            return Ok(false);
        }
        if *first {
            *first = false;
        } else if peek == b',' {
            self.eat();
            match self.whitespace() {
                Some(b']') => return Err(self.peek_error(Code::TrailingComma)),
                Some(_) => {}
                None => return Err(self.peek_error(Code::EofWhileParsingValue)),
            }
        } else {
            return Err(self.peek_error(Code::ExpectedListCommaOrEnd));
        }
        Ok(true)
    }

    /// Past the separator before an object's next key, at its opening quote (`first`: none read
    /// yet); `false` at the closing brace (not read).
    fn next_key(&mut self, first: &mut bool) -> Result<bool> {
        let Some(peek) = self.whitespace() else {
            return Err(self.peek_error(Code::EofWhileParsingObject));
        };
        if peek == b'}' {
            return Ok(false);
        }
        if *first {
            *first = false;
            if peek != b'"' {
                return Err(self.peek_error(Code::KeyMustBeAString));
            }
        } else if peek == b',' {
            self.eat();
            match self.whitespace() {
                Some(b'"') => {}
                Some(b'}') => return Err(self.peek_error(Code::TrailingComma)),
                Some(_) => return Err(self.peek_error(Code::KeyMustBeAString)),
                None => return Err(self.peek_error(Code::EofWhileParsingValue)),
            }
        } else {
            return Err(self.peek_error(Code::ExpectedObjectCommaOrEnd));
        }
        Ok(true)
    }

    /// A list's values, up to its closing bracket (not read).
    fn items(&mut self) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut first = true;
        while self.next_item(&mut first)? {
            items.push(self.value()?);
        }
        Ok(items)
    }

    /// An object's entries, up to its closing brace (not read). A repeated key keeps the last
    /// value (in the first one's place, where the map keeps the order).
    fn entries(&mut self) -> Result<Map<String, Value>> {
        let mut map = Map::new();
        let mut first = true;
        while self.next_key(&mut first)? {
            self.eat();
            let key = self.string()?;
            self.colon()?;
            let value = self.value()?;
            map.insert(key, value);
        }
        Ok(map)
    }

    fn colon(&mut self) -> Result<()> {
        match self.whitespace() {
            Some(b':') => {
                self.eat();
                Ok(())
            }
            Some(_) => Err(self.peek_error(Code::ExpectedColon)),
            None => Err(self.peek_error(Code::EofWhileParsingObject)),
        }
    }

    fn end_list(&mut self) -> Result<()> {
        match self.whitespace() {
            Some(b']') => {
                self.eat();
                Ok(())
            }
            Some(b',') => {
                self.eat();
                match self.whitespace() {
                    Some(b']') => Err(self.peek_error(Code::TrailingComma)),
                    _ => Err(self.peek_error(Code::TrailingCharacters)),
                }
            }
            Some(_) => Err(self.peek_error(Code::TrailingCharacters)),
            None => Err(self.peek_error(Code::EofWhileParsingList)),
        }
    }

    fn end_object(&mut self) -> Result<()> {
        match self.whitespace() {
            Some(b'}') => {
                self.eat();
                Ok(())
            }
            Some(b',') => Err(self.peek_error(Code::TrailingComma)),
            Some(_) => Err(self.peek_error(Code::TrailingCharacters)),
            None => Err(self.peek_error(Code::EofWhileParsingObject)),
        }
    }
}
