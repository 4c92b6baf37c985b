//! How deep a JSON text nests, bounded before any recursive parser reads it.

#![forbid(unsafe_code)]

/// Byte offset where JSON nesting first exceeds `limit`, if it does. One pass, no allocation:
/// the parser skips unknown fields without recursion, so depth is bounded here for all of them.
/// Bytes that are not JSON are read past (the parser reports them); brackets inside strings do
/// not count, and strings are skipped with a search for their next quote or backslash.
pub fn nesting_exceeds(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => loop {
                // An unterminated string ends the scan (the parser reports it).
                let rest = bytes.get(i..)?;
                let at = i + memchr::memchr2(b'"', b'\\', rest)?;
                if bytes.get(at) == Some(&b'"') {
                    i = at + 1;
                    break;
                }
                i = at + 2;
            },
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Some(i - 1);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::nesting_exceeds;

    #[test]
    fn nesting_scan_skips_strings_and_escapes() {
        assert_eq!(nesting_exceeds(br#"{"a":[[1]]}"#, 3), None);
        assert_eq!(nesting_exceeds(br#"{"a":[[[1]]]}"#, 3), Some(7));
        // Brackets inside strings, escaped quotes and escaped backslashes do not count.
        assert_eq!(nesting_exceeds(br#"{"a":"[[[[\"{{{{\\","b":[1]}"#, 2), None);
        assert_eq!(nesting_exceeds(br#"{"a":"\\\\","b":[[1]]}"#, 2), Some(17));
        // An unterminated string ends the scan (the parser reports it).
        assert_eq!(nesting_exceeds(br#"{"a":"[[[["#, 1), None);
        assert_eq!(nesting_exceeds(b"", 0), None);
    }

    #[test]
    fn garbage_between_brackets_still_counts_the_brackets() {
        assert_eq!(nesting_exceeds(b"{x[ tru -[", 2), Some(9));
        assert_eq!(nesting_exceeds(b"[]]]][[", 1), Some(6));
        assert_eq!(nesting_exceeds(b"\xff[\xfe[", 1), Some(3));
    }

    /// The scan agrees with counting the lexer's bracket tokens, on random bytes drawn from
    /// the characters that matter.
    #[test]
    fn agrees_with_the_lexer_on_random_text() {
        use super::super::lexer::{Lexer, Token};
        let reference = |bytes: &[u8], limit: usize| {
            let mut depth = 0usize;
            for lexeme in Lexer::new(bytes) {
                match lexeme.token {
                    Token::ObjectStart | Token::ArrayStart => {
                        depth += 1;
                        if depth > limit {
                            return Some(lexeme.start);
                        }
                    }
                    Token::ObjectEnd | Token::ArrayEnd => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            None
        };
        let alphabet = b"{}[]\"\\a:, \xff";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let text: Vec<u8> = (0..len)
                .map(|i| alphabet[((state >> (i % 16 * 4)) as usize + i) % alphabet.len()])
                .collect();
            for limit in [0, 1, 2, 3] {
                assert_eq!(
                    nesting_exceeds(&text, limit),
                    reference(&text, limit),
                    "{:?} limit {limit}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }
}
