//! The raw texts of named fields, as serde_json reads a struct of optional raw values.

use super::error::Category;
use super::{Code, Error, Parser, Result};
use serde_json::Value;
use std::borrow::Cow;

impl<'a> Parser<'a> {
    /// `tree::fields` at the start of the text.
    pub(super) fn fields<const N: usize>(
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
        let message = crate::json::reader::Error::invalid_type(unexpected, &expected).to_string();
        let (line, column) = self.position_of(self.index);
        Ok(Error {
            message: Cow::Owned(message),
            category: Category::Data,
            line,
            column,
        })
    }
}
