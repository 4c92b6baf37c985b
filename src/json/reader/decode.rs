//! Typed reading without serde's visitors: [`Decode`] types read themselves from the
//! [`Reader`] with the few calls below. Each call accepts, refuses and places its errors as the
//! reader's serde `Deserializer` does for the matching serde call (`deserialize_option`,
//! `deserialize_string`, `deserialize_seq`, `deserialize_map`, `deserialize_any`), so a
//! [`Decode`] type reads what its `Deserialize` twin reads and fails where it fails, with the
//! same words; `decode.rs` tests and `fuzz/` check the model against serde_json's typed decode.

#![forbid(unsafe_code)]

use super::{Error, Number, Reader, Result};
use serde::de::{self, Unexpected};
use std::borrow::Cow;

/// A value that reads itself from a [`Reader`].
pub trait Decode<'de>: Sized {
    fn decode(r: &mut Reader<'de>) -> Result<Self>;

    /// Read over `out` (a value that reads itself field by field fills it in place; by
    /// default, a new value replaces it).
    #[inline]
    fn fill(r: &mut Reader<'de>, out: &mut Self) -> Result<()> {
        *out = Self::decode(r)?;
        Ok(())
    }

    /// Read into `slot`, which holds `None` or what an earlier key of the same name gave (it is
    /// replaced). A large struct is built in the slot rather than moved into it.
    #[inline]
    fn decode_into(r: &mut Reader<'de>, slot: &mut Option<Self>) -> Result<()> {
        *slot = Some(Self::decode(r)?);
        Ok(())
    }

    /// Read one more item of a list onto `out` (a large struct built in its place in the list).
    #[inline]
    fn decode_push(r: &mut Reader<'de>, out: &mut Vec<Self>) -> Result<()> {
        out.push(Self::decode(r)?);
        Ok(())
    }
}

/// Decode `text` as a `T` (nothing but whitespace may follow it). Nesting deeper than
/// `max_depth` is an [`super::ErrorKind::Depth`].
pub fn decode<'de, T: Decode<'de>>(text: &'de str, max_depth: usize) -> Result<T> {
    let mut reader = Reader::new(text, max_depth);
    let value = T::decode(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// A value read as `deserialize_any` reads it: scalars whole, lists and objects only seen.
#[derive(Debug)]
pub enum Token<'de> {
    Bool(bool),
    Number(Number),
    Str(Cow<'de, str>),
    /// A list starts here (the reader is still at its bracket).
    List,
    /// An object starts here (the reader is still at its brace).
    Object,
    Null,
}

impl<'de> Reader<'de> {
    /// `null` (read) or not: what `deserialize_option` tells apart.
    #[inline]
    pub fn null(&mut self) -> Result<bool> {
        if self.peek_value()? == b'n' {
            self.pos += 1;
            self.literal(b"ull")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// `null` as `None`, else a `T`, into `slot` (replacing what it held).
    #[inline]
    pub fn option_into<T: Decode<'de>>(&mut self, slot: &mut Option<T>) -> Result<()> {
        if self.null()? {
            *slot = None;
            Ok(())
        } else {
            T::decode_into(self, slot)
        }
    }

    /// A string, borrowed when it has no escape; anything else is an error that names
    /// `expected`.
    #[inline]
    pub fn str(&mut self, expected: &'static str) -> Result<Cow<'de, str>> {
        if self.peek_value()? != b'"' {
            return Err(self.invalid_type(&expected));
        }
        self.pos += 1;
        self.string()
    }

    /// Skip one value (checked as any skipped value is).
    #[inline]
    pub fn skip(&mut self) -> Result<()> {
        self.skip_value()
    }

    /// An object: `field` reads the value of each key (the reader is past the colon); anything
    /// else is an error that names `expected`.
    ///
    /// Only the call to `field` is generic: the brackets, separators and keys are read by
    /// [`Reader::open`] and [`Reader::next_key`], one copy for every object the model reads.
    #[inline]
    pub fn object(
        &mut self,
        expected: &'static str,
        mut field: impl FnMut(&mut Reader<'de>, Cow<'de, str>) -> Result<()>,
    ) -> Result<()> {
        let start = self.open(b'{', expected)?;
        let mut first = true;
        while let Some(key) = self.next_key(&mut first, start)? {
            field(self, key).map_err(|e| e.at(start))?;
        }
        Ok(())
    }

    /// A list: `item` reads each entry; anything else is an error that names `expected`.
    #[inline]
    pub fn list(
        &mut self,
        expected: &'static str,
        mut item: impl FnMut(&mut Reader<'de>) -> Result<()>,
    ) -> Result<()> {
        let start = self.open(b'[', expected)?;
        let mut first = true;
        while self.next_item(&mut first, start)? {
            item(self).map_err(|e| e.at(start))?;
        }
        Ok(())
    }

    /// Past the `open` bracket of a list or an object, one level deeper; where the value is
    /// something else, the error that names `expected`. The offset inside the bracket, where a
    /// data error of an entry without its own place is put.
    #[inline(never)]
    fn open(&mut self, open: u8, expected: &'static str) -> Result<usize> {
        if self.peek_value()? != open {
            return Err(self.invalid_type(&expected));
        }
        self.pos += 1;
        self.enter()?;
        Ok(self.pos)
    }

    /// The next key of an object opened by [`Reader::open`] at `start`, past its colon; `None`
    /// past the closing brace, where the object ends (one level up).
    #[inline(never)]
    fn next_key(&mut self, first: &mut bool, start: usize) -> Result<Option<Cow<'de, str>>> {
        let more = self.step(first, b'}').map_err(|e| e.at(start))?;
        if !more {
            return Ok(None);
        }
        self.entry_key().map(Some).map_err(|e| e.at(start))
    }

    /// Past the separator before the next entry of a list opened by [`Reader::open`] at
    /// `start`; `false` past the closing bracket, where the list ends (one level up).
    #[inline(never)]
    fn next_item(&mut self, first: &mut bool, start: usize) -> Result<bool> {
        self.step(first, b']').map_err(|e| e.at(start))
    }

    /// The next value as `deserialize_any` sees it, and where it starts. A list or an object is
    /// not read: the caller reads it ([`Reader::object`]) or refuses it ([`Reader::unexpected`]).
    pub fn token(&mut self) -> Result<(Token<'de>, usize)> {
        let first = self.peek_value()?;
        let start = self.pos;
        let token = match first {
            b'n' => {
                self.pos += 1;
                self.literal(b"ull")?;
                Token::Null
            }
            b't' => {
                self.pos += 1;
                self.literal(b"rue")?;
                Token::Bool(true)
            }
            b'f' => {
                self.pos += 1;
                self.literal(b"alse")?;
                Token::Bool(false)
            }
            b'"' => {
                self.pos += 1;
                Token::Str(self.string()?)
            }
            b'[' => Token::List,
            b'{' => Token::Object,
            _ => Token::Number(self.number()?),
        };
        Ok((token, start))
    }

    /// The error for a `token` (read by [`Reader::token`] at `start`) that the target, which
    /// takes `expected`, does not take. A list or an object is entered first, as serde's
    /// visitors refuse them inside it (so a nesting beyond the bound is named first).
    pub fn unexpected(&mut self, token: Token<'_>, start: usize, expected: &'static str) -> Error {
        let unexpected = match &token {
            Token::Null => Unexpected::Unit,
            Token::Bool(b) => Unexpected::Bool(*b),
            Token::Number(Number::Unsigned(n)) => Unexpected::Unsigned(*n),
            Token::Number(Number::Signed(n)) => Unexpected::Signed(*n),
            Token::Number(Number::Float(n)) => Unexpected::Float(*n),
            Token::Str(s) => Unexpected::Str(s),
            Token::List | Token::Object => {
                self.pos = start + 1;
                if let Err(e) = self.enter() {
                    return e;
                }
                if matches!(token, Token::List) {
                    Unexpected::Seq
                } else {
                    Unexpected::Map
                }
            }
        };
        <Error as de::Error>::invalid_type(unexpected, &expected).at(start + 1)
    }
}

impl<'de> Decode<'de> for Cow<'de, str> {
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self> {
        r.str("a string")
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Vec<T> {
    fn decode(r: &mut Reader<'de>) -> Result<Self> {
        let mut out = Vec::new();
        r.list("a sequence", |r| T::decode_push(r, &mut out))?;
        Ok(out)
    }
}

impl<'de, T: Decode<'de> + Default> Decode<'de> for Box<T> {
    /// Read in the box ([`Decode::fill`]), not moved into it.
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self> {
        let mut out = Box::<T>::default();
        T::fill(r, &mut out)?;
        Ok(out)
    }
}
