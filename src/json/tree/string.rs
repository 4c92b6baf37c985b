//! Strings: decoded with their escapes, as serde_json decodes them.

use super::{Code, Error, Parser, Result};
use std::borrow::Cow;

impl<'a> Parser<'a> {
    /// Past the bytes of a string up to its next quote, backslash or control character.
    pub(super) fn plain(&mut self) {
        let rest = self.bytes.get(self.index..).unwrap_or_default();
        self.index += crate::json::reader::plain_len(rest);
    }

    /// A string whose opening quote was read, decoded.
    pub(super) fn string(&mut self) -> Result<String> {
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
    pub(super) fn hex4(&mut self) -> Result<u16> {
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
}
