//! JSON Pointers (RFC 6901): escaping reference tokens, and finding where in a JSON text an
//! error happened.
//!
//! serde_json reports the line and column of a failure. Re-reading the bytes up to that
//! position with the lexer recovers the path of keys and indices, so the decoder needs no
//! path-tracking wrapper (which would compile every decoding routine twice).

#![forbid(unsafe_code)]

use super::lexer::{Lexer, Token};

/// Escape one reference token: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> String {
    Escaped(token).to_string()
}

/// One reference token escaped as it is shown (`~` → `~0`, `/` → `~1`), without building it.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `get` instead of `split_at`: no panic path (its message formats with `Debug`).
        let text = self.0;
        let mut run = 0;
        for (i, b) in text.bytes().enumerate() {
            let escaped = match b {
                b'~' => "~0",
                b'/' => "~1",
                _ => continue,
            };
            // `i` is at an ASCII byte: a character boundary.
            f.write_str(text.get(run..i).unwrap_or_default())?;
            f.write_str(escaped)?;
            run = i + 1;
        }
        f.write_str(text.get(run..).unwrap_or_default())
    }
}

/// Unescape one reference token: `~1` → `/`, then `~0` → `~` (so `~01` is `~1`).
pub fn unescape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        let unescaped = match (c, chars.as_str().as_bytes().first()) {
            ('~', Some(b'1')) => '/',
            ('~', Some(b'0')) => '~',
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push(unescaped);
        chars.next();
    }
    out
}

/// One open container while scanning.
enum Frame {
    /// An object: the last key read, and whether a key (not a value) comes next.
    Object { key: Option<String>, want_key: bool },
    /// An array: the index of the current element, and whether it has started.
    Array { index: usize, started: bool },
}

/// Byte offset of a 1-based line and column (serde_json's position).
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut current = 1usize;
    let mut start = 0usize;
    if line > 1 {
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                current += 1;
                if current == line {
                    start = i + 1;
                    break;
                }
            }
        }
    }
    start.saturating_add(column).min(bytes.len())
}

/// The text of a string's contents (between the quotes), escapes decoded; anything that does
/// not decode becomes U+FFFD.
pub(crate) fn decode(content: &[u8]) -> String {
    let mut out = Vec::with_capacity(content.len());
    let mut i = 0usize;
    while let Some(&b) = content.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = content.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        match esc {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'u' => {
                let c = content
                    .get(i..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 4;
            }
            other => out.push(other),
        }
    }
    super::lossy(&out)
}

/// The JSON pointer of the value being read at `line`/`column` of `bytes`.
pub fn pointer_at(bytes: &[u8], line: usize, column: usize) -> String {
    pointer_at_offset(bytes, offset_of(bytes, line, column))
}

/// The JSON pointer of the value being read just before byte `end` of `bytes` (one past the
/// first byte of a value names that value).
pub fn pointer_at_offset(bytes: &[u8], end: usize) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let start_value = |stack: &mut Vec<Frame>| {
        if let Some(Frame::Array { started, .. }) = stack.last_mut() {
            *started = true;
        }
    };
    for lexeme in Lexer::new(bytes) {
        if lexeme.start >= end {
            break;
        }
        match lexeme.token {
            Token::ObjectStart => {
                start_value(&mut stack);
                stack.push(Frame::Object {
                    key: None,
                    want_key: true,
                });
            }
            Token::ArrayStart => {
                start_value(&mut stack);
                stack.push(Frame::Array {
                    index: 0,
                    started: false,
                });
            }
            Token::ObjectEnd | Token::ArrayEnd => {
                stack.pop();
            }
            Token::Colon => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
            }
            Token::Comma => match stack.last_mut() {
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                Some(Frame::Array { index, started }) => {
                    *index += 1;
                    *started = false;
                }
                None => {}
            },
            // A string, or one that never closes (an invalid token starting with a quote).
            _ if bytes.get(lexeme.start) == Some(&b'"') => {
                if let Some(Frame::Object {
                    key,
                    want_key: true,
                }) = stack.last_mut()
                {
                    let close = usize::from(lexeme.token == Token::String);
                    let content = bytes
                        .get(lexeme.start + 1..lexeme.end.saturating_sub(close))
                        .unwrap_or_default();
                    *key = Some(decode(content));
                } else {
                    start_value(&mut stack);
                }
            }
            _ => start_value(&mut stack),
        }
    }
    let mut out = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                out.push('/');
                out.push_str(&escape(k));
            }
            Frame::Array {
                index,
                started: true,
            } => out.push_str(&format!("/{index}")),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pointer_of_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        let err = serde_json::from_str::<T>(text).unwrap_err();
        pointer_at(text.as_bytes(), err.line(), err.column())
    }

    #[test]
    fn finds_the_failing_value() {
        use std::collections::BTreeMap;
        type Doc = BTreeMap<String, BTreeMap<String, Vec<BTreeMap<String, String>>>>;
        assert_eq!(
            pointer_of_error::<Doc>(r#"{"spec":{"containers":[{"name":"a","image":3}]}}"#),
            "/spec/containers/0/image"
        );
        assert_eq!(
            pointer_of_error::<Doc>(
                "{\"spec\":\n {\"c\": [{\"a\":\"x\"},\n {\"b\":\"y\", \"a/b~\":[]}]}}"
            ),
            "/spec/c/1/a~1b~0"
        );
        assert_eq!(pointer_of_error::<Doc>(r#"{"s":{"c":"app"}}"#), "/s/c");
        assert_eq!(
            pointer_of_error::<Doc>(r#"{"s":{"c":[{"k\"q":1}]}}"#),
            "/s/c/0/k\"q"
        );
    }

    #[test]
    fn decodes_escaped_keys() {
        use std::collections::BTreeMap;
        type Doc = BTreeMap<String, BTreeMap<String, String>>;
        assert_eq!(
            pointer_of_error::<Doc>(r#"{"a\u002fb\n\\":{"\u00e9t\u00E9":1}}"#),
            "/a~1b\n\\/été"
        );
        // A lone surrogate is not a character: it reads as U+FFFD.
        assert_eq!(pointer_at(br#"{"\ud800":{"k":[]}}"#, 1, 16), "/\u{fffd}/k");
    }

    #[test]
    fn positions_past_the_end_and_unclosed_input_do_not_panic() {
        assert_eq!(pointer_at(br#"{"a":[1,2"#, 1, 100), "/a/1");
        assert_eq!(pointer_at(br#"{"a"#, 1, 2), "/a");
        assert_eq!(pointer_at(br#"{"a\"#, 1, 2), "/a\\");
        assert_eq!(pointer_at(b"]]}}", 1, 4), "");
        assert_eq!(pointer_at(b"", 0, 0), "");
        assert_eq!(pointer_at(b"[\xff, {\"\xfe\":1", 1, 8), "/1/\u{fffd}");
    }

    #[test]
    fn escape_and_unescape_round_trip() {
        for (token, escaped) in [
            (
                "k8s.aliyun.com/acr-instance-ids",
                "k8s.aliyun.com~1acr-instance-ids",
            ),
            ("a~b", "a~0b"),
            ("~/", "~0~1"),
            ("~1", "~01"),
            ("/0", "~10"),
            ("~~//", "~0~0~1~1"),
            ("plain", "plain"),
            ("", ""),
        ] {
            assert_eq!(escape(token), escaped, "{token:?}");
            assert_eq!(unescape(escaped), token, "{escaped:?}");
        }
        // `~01` is `~1`, never `/`: `~1` is replaced first.
        assert_eq!(unescape("~01"), "~1");
        assert_eq!(unescape("~0"), "~");
        assert_eq!(unescape("~1"), "/");
        // Whatever follows a `~`, as the two replacements of RFC 6901 give it.
        let alphabet = ["~", "0", "1", "2", "/", "é", "a"];
        for n in 0..5u32 {
            for i in 0..alphabet.len().pow(n) {
                let token: String = (0..n)
                    .map(|d| alphabet[i / alphabet.len().pow(d) % alphabet.len()])
                    .collect();
                let want = token.replace("~1", "/").replace("~0", "~");
                assert_eq!(unescape(&token), want, "{token:?}");
            }
        }
    }
}
