//! The reader of JSON text that decodes the request in one pass: it skips the fields no rule
//! reads while counting their nesting (so no separate depth scan runs), and it borrows every
//! string that has no escape. The model's types read themselves from it ([`Decode`], without
//! serde's visitors); it is also a serde [`Deserializer`](serde::Deserializer), which the tests
//! use to compare it with serde_json on any type.
//!
//! It is the only typed decoder of requests (one copy of the model's decoding code in each
//! artifact). Where it accepts, it gives the value `serde_json` would give; where it fails, the
//! [`Error`] says why: a value of the wrong type in serde's own words and where it starts, a
//! nesting deeper than the bound, or text that is not JSON (which the caller words with
//! serde_json's parser, see `decode.rs`). `decode.rs` tests and `fuzz/` check it against
//! serde_json.

#![forbid(unsafe_code)]

use crate::swar;
use serde::de::{self, Unexpected};
use std::borrow::Cow;
use std::ops::Range;

mod decode;
mod error;
mod items;

pub use decode::{Decode, Token, decode};
pub use error::{Error, ErrorKind};
use items::Items;

/// What the reader gives.
pub type Result<T> = std::result::Result<T, Error>;

// serde_json's words for what its parser finds only in the values it builds.
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
const END_OF_HEX_ESCAPE: &str = "unexpected end of hex escape";
const OUT_OF_RANGE: &str = "number out of range";
const TRAILING_COMMA: &str = "trailing comma";

/// A JSON number as serde_json reads it for `deserialize_any`.
#[derive(Debug)]
pub enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

/// Deserialize `text` as a `T` through serde (the tests' way to compare the reader with
/// serde_json on any type; the model reads itself with [`decode`]). Nesting deeper than `max_depth` (objects and lists, the outermost
/// one counting 1, as [`super::nesting_exceeds`] counts) is an [`ErrorKind::Depth`].
#[cfg(test)]
pub fn from_str<'de, T: de::Deserialize<'de>>(text: &'de str, max_depth: usize) -> Result<T> {
    let mut reader = Reader::new(text, max_depth);
    let value = T::deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// Whether `text` is one JSON value (and whitespace), nested at most `max_depth` deep; also at
/// most 64 levels below its outermost list or object, the bound of one skipped value.
pub fn is_json(text: &str, max_depth: usize) -> bool {
    let mut reader = Reader::new(text, max_depth);
    reader.skip_value().is_ok() && reader.end().is_ok()
}

/// [`is_json`] for a host's input that may carry a `known` text again: a list or an object that
/// this reader accepted before as a field of an object, such as the settings hosts send with
/// every request. Where a field of the outermost object starts with it byte for byte, that is
/// the field's value (a list or an object ends where it ends), and it is not read again.
pub fn is_json_known(text: &str, max_depth: usize, known: Option<&[u8]>) -> bool {
    let Some(known) = known.filter(|k| matches!(k.first(), Some(b'{' | b'['))) else {
        return is_json(text, max_depth);
    };
    let mut reader = Reader::new(text, max_depth);
    let fields = |reader: &mut Reader<'_>| {
        if reader.peek_value()? != b'{' {
            return reader.skip_value();
        }
        reader.container(|items| {
            while items.advance(b'}')? {
                let r = &mut *items.reader;
                r.entry_key()?;
                r.peek_value()?;
                match r.known_at(known) {
                    Some(len) => r.pos += len,
                    None => r.skip_value()?,
                }
            }
            Ok(())
        })
    };
    fields(&mut reader).is_ok() && reader.end().is_ok()
}

/// The members of the JSON object `text` (whitespace may surround it), in the order written:
/// each key and the byte range of its value in `text`. The values are skipped and checked like
/// any skipped value; anything but an object is an error.
pub fn members(text: &str, max_depth: usize) -> Result<Vec<(Cow<'_, str>, Range<usize>)>> {
    let mut out = Vec::new();
    Reader::new(text, max_depth).each_member(|r, key, start| {
        r.skip_value()?;
        out.push((key, start..r.pos));
        Ok(())
    })?;
    Ok(out)
}

/// What [`object_fields`] reads: the text of each named field (`None` when absent or `null`),
/// the one field decoded on the way, and which field (its index in the names) was the known
/// text, not read again.
pub type Fields<'de, T, const N: usize> = ([Option<&'de str>; N], Option<T>, Option<usize>);

/// The fields `names` of the JSON object `text` in one pass: the text of each as written (other
/// keys are skipped and checked like any skipped value), and the value of `names[decoded]` also
/// decoded as a `T` on the way, so that a host's envelope and the request it carries are read
/// once. A repeated name is an error, as serde's derived readers make it; so is a `null`
/// where the decoded field is (the caller's own reader says what that means).
///
/// `known` names fields (their indexes in `names`) and a text this function gave before for one
/// of them, in an object read the same way, if that text is an object or a list: where such a field's value starts with
/// it byte for byte, that is the value (a list or an object ends where it ends), and it is not
/// read again. Hosts send the same settings with every request.
pub fn object_fields<'de, T: Decode<'de>, const N: usize>(
    text: &'de str,
    max_depth: usize,
    names: [&str; N],
    decoded: usize,
    known: Option<(&[usize], &[u8])>,
) -> Result<Fields<'de, T, N>> {
    let known = known.filter(|(_, k)| matches!(k.first(), Some(b'{' | b'[')));
    let mut texts = [None; N];
    let mut value = None;
    let mut known_seen = None;
    Reader::new(text, max_depth).each_member(|r, key, start| {
        let slot = names.iter().position(|n| *n == key);
        if let Some(i) = slot
            && (texts.get(i).is_some_and(Option::is_some) || (i == decoded && value.is_some()))
        {
            return Err(Error::syntax(start));
        }
        let seen = match (slot, known) {
            (Some(i), Some((slots, k))) if slots.contains(&i) => r.known_at(k),
            _ => None,
        };
        if slot == Some(decoded) {
            value = Some(T::decode(&mut *r)?);
        } else if let Some(len) = seen {
            r.pos += len;
            known_seen = slot;
        } else {
            r.skip_value()?;
        }
        let field = r
            .text
            .get(start..r.pos)
            .ok_or_else(|| Error::syntax(start))?;
        if let Some(text) = slot.and_then(|i| texts.get_mut(i)) {
            *text = Some(field).filter(|f| *f != "null");
        }
        Ok(())
    })?;
    Ok((texts, value, known_seen))
}

/// The reader over one JSON text ([`Decode`] types read from it).
#[derive(Debug)]
pub struct Reader<'de> {
    text: &'de str,
    bytes: &'de [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
}

impl<'de> Reader<'de> {
    fn new(text: &'de str, max_depth: usize) -> Reader<'de> {
        Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
            max_depth,
        }
    }

    /// The length of `known` when the text at the reader's position starts with it.
    fn known_at(&self, known: &[u8]) -> Option<usize> {
        self.bytes
            .get(self.pos..)
            .and_then(|rest| rest.get(..known.len()))
            .is_some_and(|head| head == known)
            .then_some(known.len())
    }

    /// Past the value read from the whole text: nothing but whitespace may follow it.
    fn end(&mut self) -> Result<()> {
        self.skip_ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(Error::syntax(self.pos))
        }
    }

    /// Each member of the object the text is (nothing but whitespace may follow it): `field`
    /// gets the reader past the key's colon and the whitespace after it, the key, and where
    /// the member's value starts; it reads the value.
    #[inline]
    fn each_member(
        &mut self,
        mut field: impl FnMut(&mut Reader<'de>, Cow<'de, str>, usize) -> Result<()>,
    ) -> Result<()> {
        if self.peek_value()? != b'{' {
            return Err(Error::syntax(self.pos));
        }
        self.container(|items| {
            while items.advance(b'}')? {
                let r = &mut *items.reader;
                let key = r.entry_key()?;
                r.peek_value()?;
                let start = r.pos;
                field(r, key, start)?;
            }
            Ok(())
        })?;
        self.end()
    }

    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn next(&mut self) -> Result<u8> {
        let b = self.peek().ok_or_else(|| Error::syntax(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn expect(&mut self, want: u8) -> Result<()> {
        if self.next()? == want {
            Ok(())
        } else {
            Err(Error::syntax(self.pos))
        }
    }

    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The next value's first byte, after whitespace.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn peek_value(&mut self) -> Result<u8> {
        self.skip_ws();
        self.peek().ok_or_else(|| Error::syntax(self.pos))
    }

    #[inline(always)]
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            Err(Error::depth(self.pos.saturating_sub(1)))
        } else {
            Ok(())
        }
    }

    fn literal(&mut self, rest: &[u8]) -> Result<()> {
        let end = self.pos + rest.len();
        if self.bytes.get(self.pos..end) == Some(rest) {
            self.pos = end;
            Ok(())
        } else {
            Err(Error::syntax(self.pos))
        }
    }

    /// Past the bytes of a string up to its next quote, backslash or control character
    /// (which it returns, or `None` at the end of the text).
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn scan_plain(&mut self) -> Option<u8> {
        let rest = self.bytes.get(self.pos..)?;
        let n = plain_len(rest);
        self.pos += n;
        rest.get(n).copied()
    }

    /// A string whose opening quote was read: borrowed when it has no escape.
    #[inline(always)]
    fn string(&mut self) -> Result<Cow<'de, str>> {
        let start = self.pos;
        if self.scan_plain() == Some(b'"')
            && let Some(s) = slice(self.text, start, self.pos)
        {
            self.pos += 1;
            return Ok(Cow::Borrowed(s));
        }
        self.string_rest(start)
    }

    /// [`Reader::string`] from its first backslash, control byte or the end of the text (the
    /// string began at `start`).
    #[cold]
    #[inline(never)]
    fn string_rest(&mut self, start: usize) -> Result<Cow<'de, str>> {
        let mut out = match self.peek().ok_or_else(|| Error::syntax(self.pos))? {
            b'\\' => String::from(
                self.text
                    .get(start..self.pos)
                    .ok_or_else(|| Error::syntax(self.pos))?,
            ),
            _ => return Err(Error::syntax(self.pos)),
        };
        loop {
            // At a backslash.
            self.pos += 1;
            self.escape(&mut out)?;
            let run = self.pos;
            let stop = self.scan_plain().ok_or_else(|| Error::syntax(self.pos))?;
            out.push_str(
                self.text
                    .get(run..self.pos)
                    .ok_or_else(|| Error::syntax(self.pos))?,
            );
            match stop {
                b'"' => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {}
                _ => return Err(Error::syntax(self.pos)),
            }
        }
    }

    /// One escape after its backslash. A surrogate must come as a pair (serde_json's rule for
    /// the strings it builds).
    fn escape(&mut self, out: &mut String) -> Result<()> {
        let c = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xDC00..0xE000).contains(&hi) {
                    return Err(Error::worded(self.pos, LONE_SURROGATE));
                }
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if self.literal(b"\\u").is_err() {
                        return Err(Error::worded(self.pos, END_OF_HEX_ESCAPE));
                    }
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(Error::worded(self.pos, LONE_SURROGATE));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                char::from_u32(code).ok_or_else(|| Error::syntax(self.pos))?
            }
            _ => return Err(Error::syntax(self.pos)),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = char::from(self.next()?)
                .to_digit(16)
                .ok_or_else(|| Error::syntax(self.pos))?;
            n = n * 16 + digit;
        }
        Ok(n)
    }

    /// Skip a string whose opening quote was read, checking its escapes.
    fn skip_string(&mut self) -> Result<()> {
        loop {
            match self.scan_plain().ok_or_else(|| Error::syntax(self.pos))? {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.pos += 1;
                    match self.next()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            self.hex4()?;
                        }
                        _ => return Err(Error::syntax(self.pos)),
                    }
                }
                _ => return Err(Error::syntax(self.pos)),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Skip a number (JSON grammar, any magnitude: serde_json skips without converting).
    fn skip_number(&mut self) -> Result<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return Err(Error::syntax(self.pos)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Error::syntax(self.pos));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Error::syntax(self.pos));
            }
        }
        Ok(())
    }

    /// Skip one value, nested values included, without recursion.
    fn skip_value(&mut self) -> Result<()> {
        let base = self.depth;
        // Bit i: the container at depth base + i + 1 is an object.
        let mut objects: u64 = 0;
        let mut open = 0usize;
        loop {
            // A value starts here.
            match self.peek_value()? {
                b'{' | b'[' => {
                    let object = self.next()? == b'{';
                    if base + open + 1 > self.max_depth || open >= 64 {
                        return Err(Error::depth(self.pos.saturating_sub(1)));
                    }
                    if object {
                        objects |= 1 << open;
                    } else {
                        objects &= !(1 << open);
                    }
                    open += 1;
                    match (object, self.peek_value()?) {
                        (true, b'}') | (false, b']') => {
                            self.pos += 1;
                            open -= 1;
                        }
                        (true, _) => {
                            self.key()?;
                            continue;
                        }
                        (false, _) => continue,
                    }
                }
                b'"' => {
                    self.pos += 1;
                    self.skip_string()?;
                }
                b't' => {
                    self.pos += 1;
                    self.literal(b"rue")?;
                }
                b'f' => {
                    self.pos += 1;
                    self.literal(b"alse")?;
                }
                b'n' => {
                    self.pos += 1;
                    self.literal(b"ull")?;
                }
                _ => self.skip_number()?,
            }
            // After a value: a comma, or the end of enclosing containers.
            loop {
                let Some(top) = open.checked_sub(1) else {
                    return Ok(());
                };
                let object = objects & (1 << top) != 0;
                self.skip_ws();
                match (self.next()?, object) {
                    (b',', true) => {
                        self.skip_ws();
                        self.key()?;
                        break;
                    }
                    (b',', false) => break,
                    (b'}', true) | (b']', false) => open = top,
                    _ => return Err(Error::syntax(self.pos)),
                }
            }
        }
    }

    /// A key and its colon, inside a skipped object.
    fn key(&mut self) -> Result<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.skip_ws();
        self.expect(b':')
    }

    /// Past the separator before the next entry of an open list or object (`first`: none was
    /// read yet); `false` past its closing bracket `close`, where the container ends (one
    /// level up).
    #[inline(always)]
    fn step(&mut self, first: &mut bool, close: u8) -> Result<bool> {
        let b = self.peek_value()?;
        if b == close {
            self.pos += 1;
            self.depth -= 1;
            return Ok(false);
        }
        if !*first {
            if b != b',' {
                return Err(Error::syntax(self.pos));
            }
            self.pos += 1;
            // serde_json's typed decode names this one (its parser alone does not).
            if self.peek_value()? == close {
                return Err(Error::worded(self.pos, TRAILING_COMMA));
            }
        }
        *first = false;
        Ok(true)
    }

    /// At an object's entry: its key and the colon after it.
    #[inline(always)]
    fn entry_key(&mut self) -> Result<Cow<'de, str>> {
        if self.peek_value()? != b'"' {
            return Err(Error::syntax(self.pos));
        }
        self.pos += 1;
        let key = self.string()?;
        self.skip_ws();
        self.expect(b':')?;
        Ok(key)
    }

    /// A list or an object opening with `open`, its entries read by `visit` to the closing
    /// bracket (a visitor that stops early leaves text that is not JSON there). The caller
    /// checked that `open` comes next.
    fn container<T>(&mut self, visit: impl FnOnce(&mut Items<'_, 'de>) -> Result<T>) -> Result<T> {
        let start = self.pos;
        self.pos += 1;
        self.enter()?;
        let mut items = Items {
            reader: &mut *self,
            first: true,
            done: false,
        };
        let value = visit(&mut items).map_err(|e| e.at(start + 1))?;
        if !items.done {
            return Err(Error::syntax(self.pos));
        }
        Ok(value)
    }

    /// A number as serde_json reads it for `deserialize_any`: u64 when not negative, i64 when
    /// negative, f64 for the rest (fractions, exponents, `-0`, integers beyond 64 bits), which
    /// serde_json itself converts, so the value is the one it gives.
    fn number(&mut self) -> Result<Number> {
        let start = self.pos;
        self.skip_number()?;
        let text = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| Error::syntax(start))?;
        if !text.contains(['.', 'e', 'E']) {
            if text.starts_with('-') {
                if let Ok(n @ ..0) = text.parse::<i64>() {
                    return Ok(Number::Signed(n));
                }
            } else if let Ok(n) = text.parse::<u64>() {
                return Ok(Number::Unsigned(n));
            }
        }
        match super::tree::from_str(text) {
            Ok(serde_json::Value::Number(n)) => n
                .as_f64()
                .map(Number::Float)
                .ok_or_else(|| Error::worded(start, OUT_OF_RANGE)),
            _ => Err(Error::worded(start, OUT_OF_RANGE)),
        }
    }

    /// The error for the value at the reader, which is not what `expected` takes (serde's
    /// `invalid type: ..., expected ...`), or the error that reading the value gives.
    fn invalid_type(&mut self, expected: &dyn de::Expected) -> Error {
        let start = self.pos;
        let unexpected = |u: Unexpected<'_>| -> Error { de::Error::invalid_type(u, expected) };
        let err = match self.peek() {
            Some(b'n') => {
                self.pos += 1;
                self.literal(b"ull")
                    .map_or_else(|e| e, |()| unexpected(Unexpected::Unit))
            }
            Some(b't') => {
                self.pos += 1;
                self.literal(b"rue")
                    .map_or_else(|e| e, |()| unexpected(Unexpected::Bool(true)))
            }
            Some(b'f') => {
                self.pos += 1;
                self.literal(b"alse")
                    .map_or_else(|e| e, |()| unexpected(Unexpected::Bool(false)))
            }
            Some(b'"') => {
                self.pos += 1;
                match self.string() {
                    Ok(s) => unexpected(Unexpected::Str(&s)),
                    Err(e) => e,
                }
            }
            // Not read: the error is at the bracket, outside the list or object.
            Some(b'[') => return unexpected(Unexpected::Seq).at(start),
            Some(b'{') => return unexpected(Unexpected::Map).at(start),
            _ => match self.number() {
                Ok(Number::Unsigned(n)) => unexpected(Unexpected::Unsigned(n)),
                Ok(Number::Signed(n)) => unexpected(Unexpected::Signed(n)),
                Ok(Number::Float(n)) => unexpected(Unexpected::Float(n)),
                Err(e) => e,
            },
        };
        // After the value it read, where serde_json places the error.
        err.at(self.pos)
    }
}

/// Whether `bytes` has JSON whitespace (space, tab, line feed, carriage return) anywhere.
/// Eight bytes at a time ([`crate::swar`]).
pub(crate) fn has_space(bytes: &[u8]) -> bool {
    swar::find(
        bytes,
        |w| {
            swar::zero(w ^ swar::splat(b' '))
                | swar::zero(w ^ swar::splat(b'\t'))
                | swar::zero(w ^ swar::splat(b'\n'))
                | swar::zero(w ^ swar::splat(b'\r'))
        },
        |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'),
    )
    .is_some()
}

/// How many bytes of `bytes` come before the first quote, backslash or control character
/// (all of them when there is none). Eight bytes at a time ([`crate::swar`]).
pub(crate) fn plain_len(bytes: &[u8]) -> usize {
    swar::find(
        bytes,
        |w| {
            swar::zero(w ^ swar::splat(b'"'))
                | swar::zero(w ^ swar::splat(b'\\'))
                | swar::below(w, 0x20)
        },
        |b| b == b'"' || b == b'\\' || b < 0x20,
    )
    .unwrap_or(bytes.len())
}

/// `text[start..end]`, or `None` off a character boundary: what `text.get(start..end)` gives,
/// through two `split_at_checked`. The modules' inliner limits keep those in line in the
/// reader's loops, where `str::get` was a call for every string (the OPA module's limit).
#[inline(always)]
fn slice(text: &str, start: usize, end: usize) -> Option<&str> {
    let (head, _) = text.split_at_checked(end)?;
    let (_, s) = head.split_at_checked(start)?;
    Some(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;
    use serde_json::Value;

    #[test]
    fn slice_is_str_get() {
        let text = "a\u{e9}\u{20ac}\u{1f600}z";
        for start in 0..=text.len() + 1 {
            for end in 0..=text.len() + 1 {
                assert_eq!(
                    super::slice(text, start, end),
                    text.get(start..end),
                    "{start} {end}"
                );
            }
        }
    }

    /// What the reader makes of `text` as a `T`, checked against serde_json: where the reader
    /// accepts, serde_json accepts and agrees.
    fn read<T>(text: &str) -> Option<T>
    where
        T: for<'de> de::Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        let fast = from_str::<T>(text, 64).ok();
        if let Some(v) = &fast {
            let slow: T = serde_json::from_str(text).unwrap();
            assert_eq!(v, &slow, "{text}");
        }
        fast
    }

    #[test]
    fn values_agree_with_serde_json() {
        for text in [
            r#"{"a":"b","c":["d",{"e":null}],"f":true,"g":false,"h":12,"i":-3}"#,
            r#" { "a" : [ ] , "b" : { } } "#,
            r#"["\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00x"]"#,
            r#""plain""#,
            "18446744073709551615",
            "-9223372036854775807",
            "[[[[1]]]]",
            "1.5",
            "-1e3",
            "-0",
            "18446744073709551616",
            "-9223372036854775809",
        ] {
            assert!(read::<Value>(text).is_some(), "{text}");
        }
    }

    #[test]
    fn invalid_text_is_rejected() {
        for text in [
            "",
            "{",
            r#"{"a":1,}"#,
            "[1,]",
            "[1 2]",
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            "01",
            "1e999",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "\"a\u{1}\"",
            "\"\\x\"",
            "nul",
            "tru",
            "[] []",
            "\"unterminated",
        ] {
            assert!(read::<Value>(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn skipped_values_are_checked_like_serde_json_checks_them() {
        for (text, ok) in [
            (r#"{"a":[1,{"b":[true,false,null,"x\"y",-1.5e+3]}]}"#, true),
            (r#"{"a":1e999}"#, true),
            (r#"{"a":"\ud800"}"#, true),
            (r#"{"a":[1,]}"#, false),
            (r#"{"a":{"b":1,}}"#, false),
            (r#"{"a":{"b" 1}}"#, false),
            (r#"{"a":{1:1}}"#, false),
            (r#"{"a":[}"#, false),
            (r#"{"a":{]}"#, false),
            (r#"{"a":01}"#, false),
            (r#"{"a":1.}"#, false),
            (r#"{"a":"\q"}"#, false),
            ("{\"a\":\"\u{1f}\"}", false),
        ] {
            let fast = from_str::<IgnoredAny>(text, 64).is_ok();
            let slow = serde_json::from_str::<IgnoredAny>(text).is_ok();
            assert_eq!(slow, ok, "serde_json on {text}");
            assert_eq!(fast, ok, "{text}");
        }
    }

    #[test]
    fn nesting_is_bounded_as_the_scan_bounds_it() {
        for depth in [1, 2, 63, 64, 65, 200] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
            let over = super::super::nesting_exceeds(text.as_bytes(), 64).is_some();
            assert_eq!(from_str::<IgnoredAny>(&text, 64).is_err(), over, "{depth}");
            let over = super::super::nesting_exceeds(deep.as_bytes(), 64).is_some();
            assert_eq!(from_str::<Value>(&deep, 64).is_err(), over, "{depth}");
            assert_eq!(from_str::<IgnoredAny>(&deep, 64).is_err(), over, "{depth}");
        }
    }

    #[test]
    fn plain_runs_end_at_the_first_quote_backslash_or_control_byte() {
        for len in 0..40 {
            for stop in [b'"', b'\\', 0x00, 0x1f] {
                for fill in [b'a', b' ', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']'] {
                    let mut bytes = vec![fill; len];
                    assert_eq!(super::plain_len(&bytes), len);
                    for at in 0..len {
                        bytes[at] = stop;
                        assert_eq!(super::plain_len(&bytes), at, "{len} {stop} {fill} {at}");
                        // A later stop does not matter.
                        if at + 1 < len {
                            bytes[len - 1] = b'"';
                            assert_eq!(super::plain_len(&bytes), at);
                            bytes[len - 1] = fill;
                        }
                        bytes[at] = fill;
                    }
                }
            }
        }
    }

    #[test]
    fn space_is_found_anywhere_and_only_space() {
        let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        for len in 0..40 {
            for fill in [
                b'a', 0x00, 0x08, 0x0b, 0x0c, 0x1f, b'!', 0x21, 0x7f, 0x80, 0xff,
            ] {
                let mut bytes = vec![fill; len];
                assert!(!super::has_space(&bytes), "{len} {fill}");
                for at in 0..len {
                    for b in [b' ', b'\t', b'\n', b'\r', 0x00, 0x0b, 0x1f, 0x21, 0xa0] {
                        bytes[at] = b;
                        assert_eq!(super::has_space(&bytes), space(b), "{len} {fill} {at} {b}");
                    }
                    bytes[at] = fill;
                }
            }
        }
    }

    /// A field whose value starts with the known text is that text, unread; where it does not,
    /// or where what follows is not JSON, the field is read as any other.
    #[test]
    fn a_known_field_text_is_not_read_again() {
        let known = r#"{"a":[1,{"b":2}]}"#;
        fn fields<'a>(text: &'a str, known: Option<&str>) -> Result<[Option<&'a str>; 2]> {
            let known = known.map(|k| (&[1][..], k.as_bytes()));
            object_fields::<IgnoredSkip, 2>(text, 64, ["x", "s"], 0, known).map(|(texts, ..)| texts)
        }
        for text in [
            r#"{"s":{"a":[1,{"b":2}]},"t":1}"#,
            r#"{"s":{"a":[1,{"b":2}]}}"#,
            r#"{"s":{"a":[1,{"b":3}]}}"#,
            r#"{"s":{"a":[1,{"b":2}]}x}"#,
            r#"{"s":{"a":[1,{"b":2}]},}"#,
            r#"{"s":{"a":[1,{"b":2"#,
            r#"{"x":{"a":[1,{"b":2}]}}"#,
        ] {
            assert_eq!(fields(text, Some(known)), fields(text, None), "{text}");
        }
        // The known value is not read: a nesting bound it exceeds (which a caller's known text
        // never does) does not see it.
        let shallow = |known: Option<&str>| {
            let text = r#"{"s":{"a":[1,{"b":2}]}}"#;
            let known = known.map(|k| (&[1][..], k.as_bytes()));
            object_fields::<IgnoredSkip, 2>(text, 2, ["x", "s"], 0, known).is_ok()
        };
        assert!(shallow(Some(known)) && !shallow(None));
        // Only a list or an object: "1" is a prefix of "12".
        let scalar = object_fields::<IgnoredSkip, 2>(
            r#"{"s":12}"#,
            64,
            ["x", "s"],
            0,
            Some((&[1][..], b"1".as_slice())),
        );
        assert_eq!(scalar.unwrap().0, [None, Some("12")]);
    }

    /// Any value, skipped.
    #[derive(Debug)]
    struct IgnoredSkip;

    impl<'de> Decode<'de> for IgnoredSkip {
        fn decode(r: &mut Reader<'de>) -> Result<Self> {
            r.skip().map(|()| IgnoredSkip)
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let s: &str = from_str(r#""abc""#, 64).unwrap();
        assert_eq!(s, "abc");
        // An escaped string cannot be borrowed: a `&str` target rejects it.
        assert!(from_str::<&str>(r#""a\nb""#, 64).is_err());
        assert_eq!(from_str::<String>(r#""a\nb""#, 64).unwrap(), "a\nb");
    }
}
