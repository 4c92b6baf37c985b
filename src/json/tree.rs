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

use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// Why a text is not JSON, and where (serde_json's words, line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    message: Cow<'static, str>,
    category: Category,
    line: usize,
    column: usize,
}

/// What kind of fault an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    /// The text ends inside a value.
    Eof,
    /// The text is not JSON.
    Syntax,
    /// JSON, but not the shape that was wanted (only the typed decode of the tests gives these).
    Data,
}

impl Error {
    fn new(code: Code, line: usize, column: usize) -> Error {
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
enum Code {
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
    fn message(self) -> &'static str {
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

    /// Past the bytes of a string up to its next quote, backslash or control character.
    fn plain(&mut self) {
        let rest = self.bytes.get(self.index..).unwrap_or_default();
        self.index += super::reader::plain_len(rest);
    }

    /// A string whose opening quote was read, decoded.
    fn string(&mut self) -> Result<String> {
        let mut scratch: Vec<u8> = Vec::new();
        let mut start = self.index;
        loop {
            self.plain();
            let run = self.bytes.get(start..self.index).unwrap_or_default();
            match self.peek() {
                None => return Err(self.error(Code::EofWhileParsingString)),
                Some(b'"') => {
                    let text = if scratch.is_empty() {
                        Cow::Borrowed(run)
                    } else {
                        scratch.extend_from_slice(run);
                        Cow::Owned(std::mem::take(&mut scratch))
                    };
                    self.eat();
                    return self.utf8(text);
                }
                Some(b'\\') => {
                    scratch.extend_from_slice(run);
                    self.eat();
                    self.escape(&mut scratch)?;
                    start = self.index;
                }
                Some(_) => {
                    self.eat();
                    return Err(self.error(Code::ControlCharacterWhileParsingString));
                }
            }
        }
    }

    /// A string's decoded bytes as text; invalid UTF-8 is placed where serde_json places it (the
    /// column past the closing quote, less the bytes from the first invalid one on).
    fn utf8(&self, bytes: Cow<'_, [u8]>) -> Result<String> {
        let invalid = |valid_up_to: usize, len: usize| {
            let (line, column) = self.position_of(self.index);
            Error::new(
                Code::InvalidUnicodeCodePoint,
                line,
                column.saturating_sub(len - valid_up_to),
            )
        };
        match bytes {
            Cow::Borrowed(b) => std::str::from_utf8(b)
                .map(str::to_owned)
                .map_err(|e| invalid(e.valid_up_to(), b.len())),
            Cow::Owned(b) => {
                let len = b.len();
                String::from_utf8(b).map_err(|e| invalid(e.utf8_error().valid_up_to(), len))
            }
        }
    }

    /// One escape after its backslash, decoded into `out`.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let Some(b) = self.next_char() else {
            return Err(self.error(Code::EofWhileParsingString));
        };
        let decoded = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode_escape(out),
            _ => return Err(self.error(Code::InvalidEscape)),
        };
        out.push(decoded);
        Ok(())
    }

    /// `\u` and its four hex digits (read), with the second half of a surrogate pair.
    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let n = self.hex4()?;
        if (0xDC00..=0xDFFF).contains(&n) {
            return Err(self.error(Code::LoneLeadingSurrogateInHexEscape));
        }
        let code = if (0xD800..=0xDBFF).contains(&n) {
            for want in [b'\\', b'u'] {
                match self.peek() {
                    None => return Err(self.error(Code::EofWhileParsingString)),
                    Some(b) => {
                        self.eat();
                        if b != want {
                            return Err(self.error(Code::UnexpectedEndOfHexEscape));
                        }
                    }
                }
            }
            let low = self.hex4()?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return Err(self.error(Code::LoneLeadingSurrogateInHexEscape));
            }
            (((u32::from(n) - 0xD800) << 10) | (u32::from(low) - 0xDC00)) + 0x1_0000
        } else {
            u32::from(n)
        };
        let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// Four hex digits; at the end of the text, the end of the string is the fault.
    fn hex4(&mut self) -> Result<u16> {
        let Some(digits) = self.bytes.get(self.index..self.index + 4) else {
            self.index = self.bytes.len();
            return Err(self.error(Code::EofWhileParsingString));
        };
        self.index += 4;
        let mut n: u16 = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.error(Code::InvalidEscape)),
            };
            n = (n << 4) | u16::from(v);
        }
        Ok(n)
    }

    /// A number after its sign: an unsigned integer, a negative one, or a float (fractions,
    /// exponents, `-0`, integers beyond 64 bits), computed as serde_json computes it.
    fn integer(&mut self, positive: bool) -> Result<Value> {
        let Some(first) = self.next_char() else {
            return Err(self.error(Code::EofWhileParsingValue));
        };
        let mut significand: u64 = match first {
            b'0' => {
                if self.peek_or_null().is_ascii_digit() {
                    return Err(self.peek_error(Code::InvalidNumber));
                }
                0
            }
            b'1'..=b'9' => u64::from(first - b'0'),
            _ => return Err(self.error(Code::InvalidNumber)),
        };
        if first != b'0' {
            while let c @ b'0'..=b'9' = self.peek_or_null() {
                let digit = u64::from(c - b'0');
                match significand
                    .checked_mul(10)
                    .and_then(|s| s.checked_add(digit))
                {
                    Some(s) => {
                        self.eat();
                        significand = s;
                    }
                    None => {
                        // Beyond 64 bits: a float, the further digits only scaling it.
                        let f = self.long_integer(positive, significand)?;
                        return Ok(float(f));
                    }
                }
            }
        }
        match self.peek_or_null() {
            b'.' => self.decimal(positive, significand, 0).map(float),
            b'e' | b'E' => self.exponent(positive, significand, 0).map(float),
            _ if positive => Ok(Value::Number(Number::from(significand))),
            _ => {
                let negative = (significand as i64).wrapping_neg();
                if negative >= 0 {
                    // `-0`, or below i64::MIN.
                    Ok(float(-(significand as f64)))
                } else {
                    Ok(Value::Number(Number::from(negative)))
                }
            }
        }
    }

    #[cold]
    fn long_integer(&mut self, positive: bool, significand: u64) -> Result<f64> {
        let mut exponent: i32 = 0;
        loop {
            match self.peek_or_null() {
                b'0'..=b'9' => {
                    self.eat();
                    exponent = exponent.saturating_add(1);
                }
                b'.' => return self.decimal(positive, significand, exponent),
                b'e' | b'E' => return self.exponent(positive, significand, exponent),
                _ => return self.scaled(positive, significand, exponent),
            }
        }
    }

    /// At the decimal point.
    fn decimal(&mut self, positive: bool, mut significand: u64, before: i32) -> Result<f64> {
        self.eat();
        let mut after: i32 = 0;
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            let digit = u64::from(c - b'0');
            match significand
                .checked_mul(10)
                .and_then(|s| s.checked_add(digit))
            {
                Some(s) => {
                    self.eat();
                    significand = s;
                    after -= 1;
                }
                None => {
                    // The further digits are dropped.
                    while self.peek_or_null().is_ascii_digit() {
                        self.eat();
                    }
                    let exponent = before + after;
                    return match self.peek_or_null() {
                        b'e' | b'E' => self.exponent(positive, significand, exponent),
                        _ => self.scaled(positive, significand, exponent),
                    };
                }
            }
        }
        if after == 0 {
            return Err(match self.peek() {
                Some(_) => self.peek_error(Code::InvalidNumber),
                None => self.peek_error(Code::EofWhileParsingValue),
            });
        }
        let exponent = before + after;
        match self.peek_or_null() {
            b'e' | b'E' => self.exponent(positive, significand, exponent),
            _ => self.scaled(positive, significand, exponent),
        }
    }

    /// At the `e`.
    fn exponent(&mut self, positive: bool, significand: u64, start: i32) -> Result<f64> {
        self.eat();
        let positive_exp = match self.peek_or_null() {
            b'+' => {
                self.eat();
                true
            }
            b'-' => {
                self.eat();
                false
            }
            _ => true,
        };
        let mut exp: i32 = match self.next_char() {
            None => return Err(self.error(Code::EofWhileParsingValue)),
            Some(c @ b'0'..=b'9') => i32::from(c - b'0'),
            Some(_) => return Err(self.error(Code::InvalidNumber)),
        };
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            self.eat();
            match exp
                .checked_mul(10)
                .and_then(|e| e.checked_add(i32::from(c - b'0')))
            {
                Some(e) => exp = e,
                None => {
                    // Far beyond any float: infinity is refused, zero is zero.
                    if significand != 0 && positive_exp {
                        return Err(self.error(Code::NumberOutOfRange));
                    }
                    while self.peek_or_null().is_ascii_digit() {
                        self.eat();
                    }
                    return Ok(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        let exponent = if positive_exp {
            start.saturating_add(exp)
        } else {
            start.saturating_sub(exp)
        };
        self.scaled(positive, significand, exponent)
    }

    /// `significand` × 10^`exponent`, by serde_json's arithmetic (one multiplication or
    /// division by a power of ten, so the last bit can differ from the closest float).
    fn scaled(&self, positive: bool, significand: u64, mut exponent: i32) -> Result<f64> {
        let mut f = significand as f64;
        loop {
            match POW10.get(exponent.unsigned_abs() as usize) {
                Some(&pow) => {
                    if exponent >= 0 {
                        f *= pow;
                        if f.is_infinite() {
                            return Err(self.error(Code::NumberOutOfRange));
                        }
                    } else {
                        f /= pow;
                    }
                    break;
                }
                None => {
                    if f == 0.0 {
                        break;
                    }
                    if exponent >= 0 {
                        return Err(self.error(Code::NumberOutOfRange));
                    }
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
        Ok(if positive { f } else { -f })
    }

    /// [`fields`] at the start of the text.
    fn fields<const N: usize>(
        &mut self,
        names: [&str; N],
        expected: &'static str,
    ) -> Result<[Option<&'a str>; N]> {
        let Some(peek) = self.whitespace() else {
            return Err(self.peek_error(Code::EofWhileParsingValue));
        };
        let mut texts = [None; N];
        let read = match peek {
            b'{' | b'[' => {
                self.deeper()?;
                self.eat();
                let read = if peek == b'{' {
                    self.field_entries(&names, &mut texts)
                } else {
                    self.field_items(&mut texts)
                };
                self.remaining_depth += 1;
                let end = if peek == b'{' {
                    self.end_object()
                } else {
                    self.end_list()
                };
                read.and(end)
            }
            _ => Err(self.invalid_type(expected)?),
        };
        // serde's own errors get the place the reader is at once the object was closed.
        read.map_err(|mut err| {
            if err.line == 0 {
                (err.line, err.column) = self.position_of(self.index);
            }
            err
        })?;
        Ok(texts)
    }

    /// The entries of [`Parser::fields`]' object, up to its closing brace (not read).
    fn field_entries<const N: usize>(
        &mut self,
        names: &[&str; N],
        texts: &mut [Option<&'a str>; N],
    ) -> Result<()> {
        let mut seen = [false; N];
        let mut first = true;
        while self.next_key(&mut first)? {
            self.eat();
            let key = self.string()?;
            let slot = names.iter().position(|n| *n == key);
            if let Some(i) = slot {
                if seen.get(i).copied().unwrap_or(false) {
                    // Placed by the caller, as serde_json places it.
                    return Err(Error {
                        message: Cow::Owned(format!("duplicate field `{key}`")),
                        category: Category::Data,
                        line: 0,
                        column: 0,
                    });
                }
                if let Some(s) = seen.get_mut(i) {
                    *s = true;
                }
            }
            self.colon()?;
            match slot.and_then(|i| texts.get_mut(i)) {
                Some(text) => *text = self.raw_value()?,
                None => self.ignore_value()?,
            }
        }
        Ok(())
    }

    /// The values of [`Parser::fields`]' list, the fields in order, up to its closing bracket
    /// (not read) or the last field.
    fn field_items<const N: usize>(&mut self, texts: &mut [Option<&'a str>; N]) -> Result<()> {
        let mut first = true;
        for text in texts.iter_mut() {
            if !self.next_item(&mut first)? {
                break;
            }
            *text = self.raw_value()?;
        }
        Ok(())
    }

    /// An optional raw value: `None` for `null`, else the text of the value (checked).
    fn raw_value(&mut self) -> Result<Option<&'a str>> {
        if self.whitespace() == Some(b'n') {
            self.eat();
            self.ident(b"ull")?;
            return Ok(None);
        }
        let start = self.index;
        self.ignore_value()?;
        let raw = self.bytes.get(start..self.index).unwrap_or_default();
        match std::str::from_utf8(raw) {
            Ok(text) => Ok(Some(text)),
            Err(err) => {
                // At the first invalid byte, as serde_json places it.
                let (line, column) = self.position_of(start + err.valid_up_to() + 1);
                Err(Error::new(Code::InvalidUnicodeCodePoint, line, column))
            }
        }
    }

    /// serde's `invalid type` error for the value at the reader, which is read to name it (or
    /// the error reading it gives), placed past it.
    fn invalid_type(&mut self, expected: &'static str) -> Result<Error> {
        use serde::de::{Error as _, Unexpected};
        // Not a list or an object here: a scalar, read as a tree reads it.
        let value = self.value()?;
        let unexpected = match &value {
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Unexpected::Unsigned(u),
                (None, Some(i)) => Unexpected::Signed(i),
                _ => Unexpected::Float(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => Unexpected::Str(s),
            _ => Unexpected::Unit,
        };
        let message = super::reader::Error::invalid_type(unexpected, &expected).to_string();
        let (line, column) = self.position_of(self.index);
        Ok(Error {
            message: Cow::Owned(message),
            category: Category::Data,
            line,
            column,
        })
    }

    /// One value checked, not built ([`check`]): nesting kept on a stack of brackets, not
    /// by recursion.
    fn ignore_value(&mut self) -> Result<()> {
        let mut open: Vec<u8> = Vec::new();
        let mut enclosing: Option<u8> = None;
        loop {
            let Some(peek) = self.whitespace() else {
                return Err(self.peek_error(Code::EofWhileParsingValue));
            };
            let frame = match peek {
                b'n' => {
                    self.eat();
                    self.ident(b"ull")?;
                    None
                }
                b't' => {
                    self.eat();
                    self.ident(b"rue")?;
                    None
                }
                b'f' => {
                    self.eat();
                    self.ident(b"alse")?;
                    None
                }
                b'-' => {
                    self.eat();
                    self.ignore_number()?;
                    None
                }
                b'0'..=b'9' => {
                    self.ignore_number()?;
                    None
                }
                b'"' => {
                    self.eat();
                    self.ignore_string()?;
                    None
                }
                b'[' | b'{' => {
                    open.extend(enclosing.take());
                    self.eat();
                    Some(peek)
                }
                _ => return Err(self.peek_error(Code::ExpectedSomeValue)),
            };
            let (mut accept_comma, mut frame) = match frame {
                Some(frame) => (false, frame),
                None => match enclosing.take().or_else(|| open.pop()) {
                    Some(frame) => (true, frame),
                    None => return Ok(()),
                },
            };
            loop {
                match self.whitespace() {
                    Some(b',') if accept_comma => {
                        self.eat();
                        break;
                    }
                    Some(b']') if frame == b'[' => {}
                    Some(b'}') if frame == b'{' => {}
                    Some(_) if accept_comma => {
                        return Err(self.peek_error(if frame == b'[' {
                            Code::ExpectedListCommaOrEnd
                        } else {
                            Code::ExpectedObjectCommaOrEnd
                        }));
                    }
                    Some(_) => break,
                    None => {
                        return Err(self.peek_error(if frame == b'[' {
                            Code::EofWhileParsingList
                        } else {
                            Code::EofWhileParsingObject
                        }));
                    }
                }
                // The bracket that closes `frame`.
                self.eat();
                match open.pop() {
                    Some(f) => frame = f,
                    None => return Ok(()),
                }
                accept_comma = true;
            }
            if frame == b'{' {
                match self.whitespace() {
                    Some(b'"') => self.eat(),
                    Some(_) => return Err(self.peek_error(Code::KeyMustBeAString)),
                    None => return Err(self.peek_error(Code::EofWhileParsingObject)),
                }
                self.ignore_string()?;
                match self.whitespace() {
                    Some(b':') => self.eat(),
                    Some(_) => return Err(self.peek_error(Code::ExpectedColon)),
                    None => return Err(self.peek_error(Code::EofWhileParsingObject)),
                }
            }
            enclosing = Some(frame);
        }
    }

    /// A string whose opening quote was read, its escapes checked (not surrogate pairing) and
    /// its bytes not decoded.
    fn ignore_string(&mut self) -> Result<()> {
        loop {
            self.plain();
            match self.peek() {
                None => return Err(self.error(Code::EofWhileParsingString)),
                Some(b'"') => {
                    self.eat();
                    return Ok(());
                }
                Some(b'\\') => {
                    self.eat();
                    match self.next_char() {
                        None => return Err(self.error(Code::EofWhileParsingString)),
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            self.hex4()?;
                        }
                        Some(_) => return Err(self.error(Code::InvalidEscape)),
                    }
                }
                Some(_) => return Err(self.error(Code::ControlCharacterWhileParsingString)),
            }
        }
    }

    /// A number after its sign, checked by the grammar only (any magnitude).
    fn ignore_number(&mut self) -> Result<()> {
        match self.next_char().unwrap_or(0) {
            b'0' => {
                if self.peek_or_null().is_ascii_digit() {
                    return Err(self.peek_error(Code::InvalidNumber));
                }
            }
            b'1'..=b'9' => {
                while self.peek_or_null().is_ascii_digit() {
                    self.eat();
                }
            }
            _ => return Err(self.error(Code::InvalidNumber)),
        }
        if self.peek_or_null() == b'.' {
            self.eat();
            let mut digits = false;
            while self.peek_or_null().is_ascii_digit() {
                self.eat();
                digits = true;
            }
            if !digits {
                return Err(self.peek_error(Code::InvalidNumber));
            }
        }
        if let b'e' | b'E' = self.peek_or_null() {
            self.eat();
            if let b'+' | b'-' = self.peek_or_null() {
                self.eat();
            }
            if !self.next_char().unwrap_or(0).is_ascii_digit() {
                return Err(self.error(Code::InvalidNumber));
            }
            while self.peek_or_null().is_ascii_digit() {
                self.eat();
            }
        }
        Ok(())
    }
}

/// A float as a tree's number (serde_json's `Value::from(f64)`).
fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// 10^0 to 10^308, each the float closest to it.
#[rustfmt::skip]
static POW10: [f64; 309] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31,
    1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46,
    1e47, 1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59, 1e60, 1e61,
    1e62, 1e63, 1e64, 1e65, 1e66, 1e67, 1e68, 1e69, 1e70, 1e71, 1e72, 1e73, 1e74, 1e75, 1e76,
    1e77, 1e78, 1e79, 1e80, 1e81, 1e82, 1e83, 1e84, 1e85, 1e86, 1e87, 1e88, 1e89, 1e90, 1e91,
    1e92, 1e93, 1e94, 1e95, 1e96, 1e97, 1e98, 1e99, 1e100, 1e101, 1e102, 1e103, 1e104, 1e105,
    1e106, 1e107, 1e108, 1e109, 1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118,
    1e119, 1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129, 1e130, 1e131,
    1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, 1e140, 1e141, 1e142, 1e143, 1e144,
    1e145, 1e146, 1e147, 1e148, 1e149, 1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157,
    1e158, 1e159, 1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169, 1e170,
    1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179, 1e180, 1e181, 1e182, 1e183,
    1e184, 1e185, 1e186, 1e187, 1e188, 1e189, 1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196,
    1e197, 1e198, 1e199, 1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209,
    1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219, 1e220, 1e221, 1e222,
    1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229, 1e230, 1e231, 1e232, 1e233, 1e234, 1e235,
    1e236, 1e237, 1e238, 1e239, 1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248,
    1e249, 1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259, 1e260, 1e261,
    1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269, 1e270, 1e271, 1e272, 1e273, 1e274,
    1e275, 1e276, 1e277, 1e278, 1e279, 1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287,
    1e288, 1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299, 1e300,
    1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    /// The tree and the check agree with serde_json on `bytes`: the same value (floats to the
    /// bit), or the same error (words, category, line and column).
    fn agree(bytes: &[u8]) {
        let shown = String::from_utf8_lossy(bytes);
        match (from_slice(bytes), serde_json::from_slice::<Value>(bytes)) {
            (Ok(ours), Ok(theirs)) => {
                assert_eq!(ours, theirs, "{shown:?}");
                assert_eq!(
                    serde_json::to_string(&ours).unwrap(),
                    serde_json::to_string(&theirs).unwrap(),
                    "{shown:?}"
                );
            }
            (Err(ours), Err(theirs)) => {
                assert_eq!(ours, Error::from(theirs), "{shown:?}");
            }
            (ours, theirs) => panic!("{shown:?}: {ours:?} but serde_json {theirs:?}"),
        }
        match (check(bytes), serde_json::from_slice::<IgnoredAny>(bytes)) {
            (Ok(()), Ok(_)) => {}
            (Err(ours), Err(theirs)) => assert_eq!(ours, Error::from(theirs), "{shown:?}"),
            (ours, theirs) => panic!("check {shown:?}: {ours:?} but serde_json {theirs:?}"),
        }
    }

    #[test]
    fn values_and_errors_are_serde_jsons() {
        let cases: &[&[u8]] = &[
            b"",
            b" ",
            b"null",
            b"nul",
            b"nulx",
            b"true false",
            b"[1, 2,]",
            b"[1 2]",
            b"[,1]",
            b"[",
            b"[1,",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{1:2}",
            b"{\"a\":1 \"b\":2}",
            b"{\"a\":1,\"a\":2,\"b\":[{}]}",
            b"{\"a\"",
            b"{\"a\":",
            b"{",
            b"\"abc",
            b"\"a\\qb\"",
            b"\"a\\u12\"",
            b"\"a\\u12G4\"",
            b"\"\\ud83d\\ude00 \\u00e9 \\/\\b\\f\\n\\r\\t\"",
            b"\"\\ud83d\"",
            b"\"\\ud83d\\n\"",
            b"\"\\ud83dx\"",
            b"\"\\ude00\"",
            b"\"\\ud83d\\u0041\"",
            b"\"\\ud83d",
            b"\"\\ud83d\\",
            b"\"tab\there\"",
            b"\"\xff\"",
            b"\"ok \xc3\xa9 then \xc3\"",
            b"\"esc \\n then \xe2\x82\"",
            b"\xff",
            b"[\"a\",\n  \"b\" x]",
            b"{\n\"a\": [1,\n2,\n\n 3}",
            b"0",
            b"-0",
            b"-",
            b"-a",
            b"01",
            b"1.",
            b"1.e5",
            b"1.5e",
            b"1.5e+",
            b"1e5x",
            b"18446744073709551615",
            b"18446744073709551616",
            b"184467440737095516151234.5e3",
            b"18446744073709551615.1234567890123",
            b"-9223372036854775808",
            b"-9223372036854775809",
            b"1e308",
            b"1e309",
            b"-1e309",
            b"1e-400",
            b"0e99999999999",
            b"1e99999999999",
            b"1e-99999999999",
            b"0.1e-500",
            b"1.7976931348623157e308",
            b"2.2250738585072014e-308",
            b"4.9e-324",
            b"123456789012345678901234567890e-10",
            b"0.30000000000000004",
            b"3.141592653589793238462643383279",
            b"[1e400]",
            b"{\"n\": 1.5, \"m\": -2, \"o\": 7}",
        ];
        for case in cases {
            agree(case);
        }
    }

    #[test]
    fn nesting_is_bounded_where_serde_json_bounds_it() {
        for depth in [126, 127, 128, 129, 300] {
            for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
                let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
                agree(text.as_bytes());
                agree(text.get(..text.len() - 1).unwrap().as_bytes());
            }
        }
    }

    /// Seeds cut, grown and changed at random, with the bytes JSON's grammar turns on.
    #[test]
    fn mutated_texts_agree_with_serde_json() {
        let seeds: [&[u8]; 6] = [
            b" {\"a\" : [1, -2.5e+3, {\"b\":null}, [ ], { }],\n\"c\":\ttrue ,\"d\":false} ",
            br#"{"s":"a b\" c\\","t":"\u0041 \n \ud83d\ude00","u":[" ", "\t"]}"#,
            br#"{"request":{"uid":"x y","object":{"metadata":{"annotations":{"k":"v w"}}}},"settings":{}}"#,
            b"[0, 10, 18446744073709551615, -9223372036854775808, 0.5, 1e10, 1E-2]",
            b"\"plain \xc3\xa9\"",
            b"  {\"deep\": [[[[{\"x\": [[]]}]]]]}  ",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pieces: [&[u8]; 16] = [
            b" ", b"\"", b"\\", b",", b"1", b"]", b"}", b"{", b"[", b"\n", b"e", b"-", b".",
            b"\\u", b"\xff", b"\x01",
        ];
        for seed in seeds {
            agree(seed);
            for _ in 0..4000 {
                let mut m = seed.to_vec();
                for _ in 0..1 + next() % 3 {
                    let at = (next() as usize) % (m.len() + 1);
                    match next() % 4 {
                        0 if at < m.len() => {
                            m.remove(at);
                        }
                        1 => m.truncate(at),
                        _ => {
                            let piece = pieces[(next() as usize) % pieces.len()];
                            m.splice(at..at, piece.iter().copied());
                        }
                    }
                }
                agree(&m);
            }
        }
    }

    /// Numbers of every length and exponent, as serde_json computes them.
    #[test]
    fn numbers_agree_with_serde_json() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut text = String::new();
            if next() % 3 == 0 {
                text.push('-');
            }
            let digits = 1 + next() % 30;
            for i in 0..digits {
                let d = next() % 10;
                text.push(char::from(
                    b'0' + if i == 0 && digits > 1 { 1 + d % 9 } else { d } as u8,
                ));
            }
            if next() % 2 == 0 {
                text.push('.');
                for _ in 0..1 + next() % 25 {
                    text.push(char::from(b'0' + (next() % 10) as u8));
                }
            }
            if next() % 2 == 0 {
                text.push(if next() % 2 == 0 { 'e' } else { 'E' });
                let exp = (next() % 800) as i64 - 400;
                text.push_str(&exp.to_string());
            }
            agree(text.as_bytes());
        }
    }

    /// The struct of optional raw values that [`fields`] reads as serde_json reads it.
    #[derive(serde::Deserialize)]
    struct RawEnvelope<'a> {
        #[serde(borrow, default)]
        request: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        settings: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        review: Option<&'a serde_json::value::RawValue>,
    }

    fn agree_fields(bytes: &[u8]) {
        let shown = String::from_utf8_lossy(bytes);
        let ours = fields(
            bytes,
            ["request", "settings", "review"],
            "struct RawEnvelope",
        );
        match (ours, serde_json::from_slice::<RawEnvelope>(bytes)) {
            (Ok(ours), Ok(theirs)) => {
                fn text(r: Option<&serde_json::value::RawValue>) -> Option<&str> {
                    r.map(serde_json::value::RawValue::get)
                }
                let theirs = [
                    text(theirs.request),
                    text(theirs.settings),
                    text(theirs.review),
                ];
                assert_eq!(ours, theirs, "{shown:?}");
            }
            (Err(ours), Err(theirs)) => assert_eq!(ours, Error::from(theirs), "{shown:?}"),
            (ours, theirs) => panic!(
                "{shown:?}: {ours:?} but serde_json {:?}",
                theirs.map(|_| "ok")
            ),
        }
    }

    #[test]
    fn fields_are_read_as_serde_json_reads_a_struct() {
        let cases: &[&[u8]] = &[
            b"{}",
            b"[]",
            b"null",
            b"5",
            b"-1.5",
            b"\"text\"",
            b"true",
            b"nul",
            b"{\"request\":{\"a\":1},\"settings\":null,\"x\":[1,{}]}",
            b"{\"request\":1,\"request\":2}",
            b"{\"request\":null,\"request\":2}",
            b"{\"request\":1,\"request\"}",
            b"{\"request\":1 , \"request\"  : 2}",
            b"[{\"a\":1}, null, \"s\"]",
            b"[1,2,3,4]",
            b"[1,]",
            b"{\"review\": \"\xff\"}",
            b"{\"other\": \"\xff\"}",
            b"{\"review\": [1, 2,]}",
            b"{\"re\\u0076iew\": 3}",
            b"{\"\\ud800\": 3}",
        ];
        for case in cases {
            agree_fields(case);
        }
        let seeds: [&[u8]; 3] = [
            b"{\"request\":{\"uid\":\"x\",\"object\":{\"kind\":\"Pod\"}},\"settings\":{\"a\":[1,2]}}",
            b" { \"settings\" : null ,\n \"review\" :\t[1, \"\\u00e9\"] , \"x\":[{}]} ",
            b"[{\"a\":1}, null, \"s\"]",
        ];
        let mut state: u64 = 0x5851_f42d_4c95_7f2d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pieces: [&[u8]; 12] = [
            b" ", b"\"", b"\\", b",", b"1", b"]", b"}", b"{", b"[", b":", b"null", b"\xff",
        ];
        for seed in seeds {
            agree_fields(seed);
            for _ in 0..4000 {
                let mut m = seed.to_vec();
                for _ in 0..1 + next() % 3 {
                    let at = (next() as usize) % (m.len() + 1);
                    match next() % 4 {
                        0 if at < m.len() => {
                            m.remove(at);
                        }
                        1 => m.truncate(at),
                        _ => {
                            let piece = pieces[(next() as usize) % pieces.len()];
                            m.splice(at..at, piece.iter().copied());
                        }
                    }
                }
                agree_fields(&m);
            }
        }
    }
}
