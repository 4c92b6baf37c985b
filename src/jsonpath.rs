//! Where in a JSON text an error happened, as a JSON pointer.
//!
//! serde_json reports the line and column of a failure. Re-reading the bytes up to that
//! position with a tiny tokenizer recovers the path of keys and indices, so the decoder needs
//! no path-tracking wrapper (which would compile every decoding routine twice).

#![forbid(unsafe_code)]

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

/// Read a JSON string starting after its opening quote; returns (decoded text, index after the closing quote).
fn read_string(bytes: &[u8], mut i: usize, decode: bool) -> (String, usize) {
    let mut out = Vec::new();
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return (String::from_utf8_lossy(&out).into_owned(), i + 1),
            b'\\' => {
                let esc = bytes.get(i + 1).copied().unwrap_or(b'\\');
                i += 2;
                if !decode {
                    continue;
                }
                match esc {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let hex = bytes
                            .get(i..i + 4)
                            .and_then(|h| std::str::from_utf8(h).ok());
                        let c = hex
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
            other => {
                if decode {
                    out.push(other);
                }
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), i)
}

/// The JSON pointer of the value being read at `line`/`column` of `bytes`.
pub fn pointer_at(bytes: &[u8], line: usize, column: usize) -> String {
    let end = offset_of(bytes, line, column);
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0usize;
    let start_value = |stack: &mut Vec<Frame>| {
        if let Some(Frame::Array { started, .. }) = stack.last_mut() {
            *started = true;
        }
    };
    while i < end {
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'{' => {
                start_value(&mut stack);
                stack.push(Frame::Object {
                    key: None,
                    want_key: true,
                });
                i += 1;
            }
            b'[' => {
                start_value(&mut stack);
                stack.push(Frame::Array {
                    index: 0,
                    started: false,
                });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b':' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Object { want_key, .. }) => *want_key = true,
                    Some(Frame::Array { index, started }) => {
                        *index += 1;
                        *started = false;
                    }
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                let is_key = matches!(stack.last(), Some(Frame::Object { want_key: true, .. }));
                let (text, next) = read_string(bytes, i + 1, is_key);
                if is_key {
                    if let Some(Frame::Object { key, .. }) = stack.last_mut() {
                        *key = Some(text);
                    }
                } else {
                    start_value(&mut stack);
                }
                i = next;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                start_value(&mut stack);
                i += 1;
            }
        }
    }
    let mut out = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                out.push('/');
                out.push_str(&crate::grammar::text::pointer_escape(k));
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
#[allow(clippy::unwrap_used)]
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
}
