//! The serde side of the reader: [`Deserializer`] for it, and the entries of a list or an
//! object as serde's `SeqAccess` and `MapAccess`.

#![forbid(unsafe_code)]

use super::{Error, Number, Reader, Result};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;

impl<'de> Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let first = self.peek_value()?;
        let start = self.pos;
        let value: Result<V::Value> = match first {
            b'n' => {
                self.pos += 1;
                self.literal(b"ull")?;
                visitor.visit_unit()
            }
            b't' => {
                self.pos += 1;
                self.literal(b"rue")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.pos += 1;
                self.literal(b"alse")?;
                visitor.visit_bool(false)
            }
            b'"' => return self.deserialize_string(visitor),
            b'[' => return self.deserialize_seq(visitor),
            b'{' => return self.deserialize_map(visitor),
            _ => match self.number()? {
                Number::Unsigned(n) => visitor.visit_u64(n),
                Number::Signed(n) => visitor.visit_i64(n),
                Number::Float(n) => visitor.visit_f64(n),
            },
        };
        value.map_err(|e: Error| e.at(start + 1))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek_value()? != b'"' {
            return Err(self.invalid_type(&visitor));
        }
        let start = self.pos;
        self.pos += 1;
        match self.string()? {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
        .map_err(|e: Error| e.at(start + 1))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek_value()? == b'n' {
            self.pos += 1;
            self.literal(b"ull")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek_value()? != b'[' {
            return Err(self.invalid_type(&visitor));
        }
        self.container(|items| visitor.visit_seq(items))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek_value()? != b'{' {
            return Err(self.invalid_type(&visitor));
        }
        self.container(|items| visitor.visit_map(items))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct newtype_struct tuple tuple_struct struct enum identifier
    }
}

/// The entries of a list or an object being read.
pub(super) struct Items<'a, 'de> {
    pub(super) reader: &'a mut Reader<'de>,
    pub(super) first: bool,
    pub(super) done: bool,
}

impl Items<'_, '_> {
    /// Past the separator before the next entry; `false` at the closing bracket.
    pub(super) fn advance(&mut self, close: u8) -> Result<bool> {
        let more = self.reader.step(&mut self.first, close)?;
        self.done = !more;
        Ok(more)
    }
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.done || !self.advance(b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

impl<'de> MapAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.done || !self.advance(b'}')? {
            return Ok(None);
        }
        if self.reader.peek_value()? != b'"' {
            return Err(Error::syntax(self.reader.pos));
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.reader.skip_ws();
        self.reader.expect(b':')?;
        seed.deserialize(&mut *self.reader)
    }
}
