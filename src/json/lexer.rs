//! A JSON tokenizer over bytes: no recursion, no allocation, no panics.
//!
//! It yields one [`Lexeme`] per token with its byte span and never stops early: a byte that
//! starts no token becomes a one-byte [`Token::Invalid`] and the scan goes on, so each
//! consumer decides how strict to be (the nesting bound reads past garbage and lets the
//! parser report it; the OPA value reader rejects it). Strings are skipped with `memchr`
//! from quote or backslash to the next one; their escapes and control bytes are left to the
//! consumers that read their contents.

#![forbid(unsafe_code)]

/// What a lexeme is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `{`
    ObjectStart,
    /// `}`
    ObjectEnd,
    /// `[`
    ArrayStart,
    /// `]`
    ArrayEnd,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// A string, both quotes included in the span. A backslash escapes the next byte; the
    /// escapes themselves are not checked.
    String,
    /// A number of the JSON grammar (`-`, integer part, optional fraction and exponent).
    Number,
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
    /// A byte that starts no token (span of one byte), or a string without its closing quote
    /// (span to the end of the input).
    Invalid,
}

/// A token and its byte span `start..end` in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexeme {
    /// What was read.
    pub token: Token,
    /// Offset of the token's first byte.
    pub start: usize,
    /// Offset just after its last byte.
    pub end: usize,
}

/// The tokens of a JSON text, in order; whitespace between them is skipped.
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// Tokens of `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Lexer { bytes, pos: 0 }
    }

    /// Continue the scan at byte `pos` (after a token the caller read itself).
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The next token, without consuming it.
    pub fn peek(&self) -> Option<Lexeme> {
        self.clone().next()
    }
}

impl Iterator for Lexer<'_> {
    type Item = Lexeme;

    #[inline]
    fn next(&mut self) -> Option<Lexeme> {
        let bytes = self.bytes;
        let mut start = self.pos;
        let (token, end) = loop {
            let &b = bytes.get(start)?;
            let one = start + 1;
            break match CLASSES.get(usize::from(b)).copied().unwrap_or(Class::Other) {
                Class::Space => {
                    start = one;
                    continue;
                }
                Class::Quote => match string_end(bytes, start) {
                    Some(end) => (Token::String, end),
                    None => (Token::Invalid, bytes.len()),
                },
                Class::ObjectStart => (Token::ObjectStart, one),
                Class::ObjectEnd => (Token::ObjectEnd, one),
                Class::ArrayStart => (Token::ArrayStart, one),
                Class::ArrayEnd => (Token::ArrayEnd, one),
                Class::Colon => (Token::Colon, one),
                Class::Comma => (Token::Comma, one),
                Class::Number => match number_end(bytes, start) {
                    Some(end) => (Token::Number, end),
                    None => (Token::Invalid, one),
                },
                Class::True => literal(bytes, start, b"true", Token::True),
                Class::False => literal(bytes, start, b"false", Token::False),
                Class::Null => literal(bytes, start, b"null", Token::Null),
                Class::Other => (Token::Invalid, one),
            };
        };
        self.pos = end;
        Some(Lexeme { token, start, end })
    }
}

/// What a byte starts, looked up in a table: one indexed jump per token instead of a tree of
/// comparisons keeps the scan as fast as a plain loop over the bytes.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
enum Class {
    Space,
    Quote,
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    Colon,
    Comma,
    Number,
    True,
    False,
    Null,
    Other,
}

const fn class_of(b: u8) -> Class {
    match b {
        b' ' | b'\t' | b'\n' | b'\r' => Class::Space,
        b'"' => Class::Quote,
        b'{' => Class::ObjectStart,
        b'}' => Class::ObjectEnd,
        b'[' => Class::ArrayStart,
        b']' => Class::ArrayEnd,
        b':' => Class::Colon,
        b',' => Class::Comma,
        b'-' | b'0'..=b'9' => Class::Number,
        b't' => Class::True,
        b'f' => Class::False,
        b'n' => Class::Null,
        _ => Class::Other,
    }
}

// Built at compile time: an index out of bounds here fails the build, it cannot panic.
#[allow(clippy::indexing_slicing)]
static CLASSES: [Class; 256] = {
    let mut table = [Class::Other; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = class_of(b as u8);
        b += 1;
    }
    table
};

/// Offset after the closing quote of the string opened at `open`; `None` if it never closes.
#[inline]
fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        let rest = bytes.get(i..)?;
        let k = memchr::memchr2(b'"', b'\\', rest)?;
        if rest.get(k) == Some(&b'\\') {
            i += k + 2;
        } else {
            return Some(i + k + 1);
        }
    }
}

#[inline]
fn digits(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// Offset after the number starting at `i`; `None` if no number of the JSON grammar starts there.
#[inline]
fn number_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(bytes, i),
        _ => return None,
    }
    if bytes.get(i) == Some(&b'.') {
        let j = digits(bytes, i + 1);
        if j == i + 1 {
            return None;
        }
        i = j;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = digits(bytes, i);
        if j == i {
            return None;
        }
        i = j;
    }
    Some(i)
}

/// The token `word` if the input has it at `start`, else a one-byte invalid token.
#[inline]
fn literal(bytes: &[u8], start: usize, word: &[u8], token: Token) -> (Token, usize) {
    if bytes
        .get(start..)
        .is_some_and(|rest| rest.starts_with(word))
    {
        (token, start + word.len())
    } else {
        (Token::Invalid, start + 1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(Token, &str)> {
        Lexer::new(text.as_bytes())
            .map(|l| (l.token, text.get(l.start..l.end).unwrap_or("<split>")))
            .collect()
    }

    #[test]
    fn reads_every_token_with_its_span() {
        use Token::*;
        assert_eq!(
            tokens(" {\"a\\\"b\" : [1, -2.5e+3, true,false ,null]}\n"),
            vec![
                (ObjectStart, "{"),
                (String, "\"a\\\"b\""),
                (Colon, ":"),
                (ArrayStart, "["),
                (Number, "1"),
                (Comma, ","),
                (Number, "-2.5e+3"),
                (Comma, ","),
                (True, "true"),
                (Comma, ","),
                (False, "false"),
                (Comma, ","),
                (Null, "null"),
                (ArrayEnd, "]"),
                (ObjectEnd, "}"),
            ]
        );
        assert_eq!(tokens(""), vec![]);
        assert_eq!(tokens(" \t\r\n"), vec![]);
        assert_eq!(tokens(r#""\\""#), vec![(String, r#""\\""#)]);
    }

    #[test]
    fn numbers_follow_the_grammar() {
        use Token::*;
        assert_eq!(tokens("0"), vec![(Number, "0")]);
        assert_eq!(tokens("01"), vec![(Number, "0"), (Number, "1")]);
        assert_eq!(
            tokens("1.5.3"),
            vec![(Number, "1.5"), (Invalid, "."), (Number, "3")]
        );
        assert_eq!(tokens("-"), vec![(Invalid, "-")]);
        assert_eq!(tokens("1."), vec![(Invalid, "1"), (Invalid, ".")]);
        assert_eq!(tokens("1e"), vec![(Invalid, "1"), (Invalid, "e")]);
        assert_eq!(tokens("2E-7"), vec![(Number, "2E-7")]);
    }

    #[test]
    fn invalid_bytes_are_one_byte_tokens_and_the_scan_goes_on() {
        use Token::*;
        assert_eq!(
            tokens("tru x[nul"),
            vec![
                (Invalid, "t"),
                (Invalid, "r"),
                (Invalid, "u"),
                (Invalid, "x"),
                (ArrayStart, "["),
                (Invalid, "n"),
                (Invalid, "u"),
                (Invalid, "l"),
            ]
        );
        assert_eq!(tokens("truex"), vec![(True, "true"), (Invalid, "x")]);
        // An unterminated string runs to the end, also when it ends in a backslash.
        assert_eq!(
            tokens(r#"["ab"#),
            vec![(ArrayStart, "["), (Invalid, "\"ab")]
        );
        assert_eq!(tokens(r#""ab\"#), vec![(Invalid, r#""ab\"#)]);
        assert_eq!(tokens(r#""ab\""#), vec![(Invalid, r#""ab\""#)]);
        // Non-UTF-8 bytes are invalid tokens too, never a panic.
        let bytes = b"[\xff\xfe\"\xc3\x28\"]";
        let got: Vec<Token> = Lexer::new(bytes).map(|l| l.token).collect();
        assert_eq!(got, vec![ArrayStart, Invalid, Invalid, String, ArrayEnd]);
    }

    #[test]
    fn seek_and_peek() {
        let mut lexer = Lexer::new(b"[set(), 1]");
        assert_eq!(lexer.next().map(|l| l.token), Some(Token::ArrayStart));
        let invalid = lexer.peek().unwrap();
        assert_eq!((invalid.token, invalid.start), (Token::Invalid, 1));
        lexer.seek(6);
        assert_eq!(lexer.next().map(|l| l.token), Some(Token::Comma));
        assert_eq!(
            lexer.next().map(|l| (l.token, l.start)),
            Some((Token::Number, 8))
        );
    }
}
