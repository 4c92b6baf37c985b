//! How deep a JSON text nests, bounded before any recursive parser reads it.

#![forbid(unsafe_code)]

use super::lexer::{Lexer, Token};

/// Byte offset where JSON nesting first exceeds `limit`, if it does. One pass, no allocation:
/// the parser skips unknown fields without recursion, so depth is bounded here for all of them.
/// Bytes that are not JSON are read past (the parser reports them); brackets inside strings do
/// not count.
pub fn nesting_exceeds(bytes: &[u8], limit: usize) -> Option<usize> {
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
}

#[cfg(test)]
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
}
