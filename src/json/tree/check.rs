//! JSON checked without building it, as serde_json checks an `IgnoredAny`.

use super::{Code, Parser, Result};

impl<'a> Parser<'a> {
    /// One value checked, not built (`tree::check`): nesting kept on a stack of brackets, not
    /// by recursion.
    pub(super) fn ignore_value(&mut self) -> Result<()> {
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
