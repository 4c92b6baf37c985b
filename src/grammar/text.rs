//! Small text helpers: DNS names, globs, edit distance.

#![forbid(unsafe_code)]

use core::fmt::{self, Write};

/// A user-written text as a message quotes it: in double quotes, `"` and `\` escaped, `\t`,
/// `\r`, `\n` and `\0` as in Rust, and every character a reader could not see or could
/// mistake for another ([`hidden`]) as `\u{hex}`. Close to `Debug` for `str`, without the
/// Unicode tables that `Debug` carries (about 5 KB of each wasm module); other non-ASCII
/// characters (a full-width comma, a CJK name) are shown as they are.
#[derive(Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Debug for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        escaped(f, self.0, '"')?;
        f.write_str("\"")
    }
}

/// A user-written character as a message quotes it: in single quotes, escaped as [`Quoted`]
/// escapes (`'` instead of `"`).
#[derive(Clone, Copy)]
pub struct QuotedChar(pub char);

impl fmt::Debug for QuotedChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0; 4];
        f.write_str("'")?;
        escaped(f, self.0.encode_utf8(&mut buf), '\'')?;
        f.write_str("'")
    }
}

/// `text` with `quote`, `\` and the [`hidden`] characters escaped.
fn escaped(f: &mut fmt::Formatter<'_>, text: &str, quote: char) -> fmt::Result {
    let mut run = 0;
    for (i, c) in text.char_indices() {
        let short = match c {
            '\\' => "\\\\",
            '\t' => "\\t",
            '\r' => "\\r",
            '\n' => "\\n",
            '\0' => "\\0",
            '"' if quote == '"' => "\\\"",
            '\'' if quote == '\'' => "\\'",
            c if hidden(c) => "",
            _ => continue,
        };
        f.write_str(text.get(run..i).unwrap_or_default())?;
        run = i + c.len_utf8();
        if short.is_empty() {
            // `\u{hex}`, the hex digits written out: no `LowerHex` formatting machinery.
            let code = u32::from(c);
            let digits = (32 - code.leading_zeros()).div_ceil(4).max(1);
            f.write_str("\\u{")?;
            for i in (0..digits).rev() {
                f.write_char(char::from_digit((code >> (4 * i)) & 0xf, 16).unwrap_or('0'))?;
            }
            f.write_str("}")?;
        } else {
            f.write_str(short)?;
        }
    }
    f.write_str(text.get(run..).unwrap_or_default())
}

/// Characters a message shows escaped: controls (C0, DEL, C1), spaces other than ' ' (a
/// no-break space reads as one), combining marks (which join the character before them), and
/// the invisible, direction-changing and private-use characters a copied value can carry
/// unseen (soft hyphen, zero-width spaces and joiners, bidirectional controls, variation
/// selectors, the byte-order mark, tags).
pub fn hidden(c: char) -> bool {
    matches!(
        c,
        '\0'..='\u{1f}'
            | '\u{7f}'..='\u{a0}'
            | '\u{ad}'
            | '\u{300}'..='\u{36f}'
            | '\u{61c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{1680}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{2000}'..='\u{200f}'
            | '\u{2028}'..='\u{202f}'
            | '\u{205f}'..='\u{206f}'
            | '\u{3000}'
            | '\u{3164}'
            | '\u{e000}'..='\u{f8ff}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{e0000}'..
    )
}

fn is_label_generic(s: &str, allow_upper: bool, max: usize) -> bool {
    let ok = |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || (allow_upper && c.is_ascii_uppercase())
    };
    if s.is_empty() || s.len() > max {
        return false;
    }
    let first_ok = s.chars().next().is_some_and(ok);
    let last_ok = s.chars().next_back().is_some_and(ok);
    first_ok && last_ok && s.chars().all(|c| ok(c) || c == '-')
}

/// Where `needle` (a few bytes, not empty) first occurs in `text`. A plain search instead of
/// `str::find` with a string pattern, whose two-way searcher is 2 KB of wasm; the needles here
/// are two or three bytes and the texts annotation values.
pub fn find(text: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    let first = *needle.first()?;
    let bytes = text.as_bytes();
    memchr::memchr_iter(first, bytes)
        .find(|&i| bytes.get(i..).is_some_and(|rest| rest.starts_with(needle)))
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 chars.
pub fn is_dns1123_label(s: &str) -> bool {
    is_label_generic(s, false, 63)
}

/// DNS-1123 subdomain as Kubernetes checks it: lower-case labels joined by '.',
/// at most 253 chars (Kubernetes puts no 63 limit on each label here).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && !s.is_empty() && s.split('.').all(|l| is_label_generic(l, false, 253))
}

/// Glob match: '*' matches any run (including '/'), '?' one char, the rest literal.
/// Iterative with single-star backtracking, O(n*m) worst case. No allocation for ASCII (the
/// usual case, called per image of a request): bytes are chars there.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    match memchr::memchr2(b'*', b'?', p) {
        None => return pattern == text,
        // `prefix*`, the usual namespace pattern: the prefix ends before an ASCII byte, so
        // it is whole characters.
        Some(i) if i + 1 == p.len() && p.get(i) == Some(&b'*') => {
            return p
                .get(..i)
                .is_some_and(|prefix| text.as_bytes().starts_with(prefix));
        }
        Some(_) => {}
    }
    if pattern.is_ascii() && text.is_ascii() {
        glob(pattern.as_bytes(), text.as_bytes(), b'*', b'?')
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        glob(&p, &t, '*', '?')
    }
}

fn glob<T: Copy + PartialEq>(p: &[T], t: &[T], star_sym: T, one: T) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some(&pc), _) if pc == star_sym => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(&pc), Some(&tc)) if pc == one || pc == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == star_sym))
}

/// Levenshtein distance on chars; `None` when it exceeds `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let mut row_min = i + 1;
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX / 2) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX / 2) + 1;
            let ins = cur.get(j).copied().unwrap_or(usize::MAX / 2) + 1;
            let v = sub.min(del).min(ins);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = v;
            }
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().filter(|&d| d <= max)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escapes_what_a_reader_cannot_see() {
        let q = |s: &str| format!("{:?}", Quoted(s));
        assert_eq!(q("cri-abc"), r#""cri-abc""#);
        assert_eq!(q(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(q("a\tb\r\n\0"), r#""a\tb\r\n\0""#);
        assert_eq!(q("x\u{1}\u{7f}\u{85}"), r#""x\u{1}\u{7f}\u{85}""#);
        // Invisible and direction-changing characters, a combining mark, a tag.
        assert_eq!(
            q("a\u{200b}b\u{202e}c\u{feff}e\u{301}\u{e0041}"),
            r#""a\u{200b}b\u{202e}c\u{feff}e\u{301}\u{e0041}""#
        );
        // What a reader can see is shown as it is: a full-width comma, CJK, an apostrophe.
        assert_eq!(q("a，b 镜像 it's"), r#""a，b 镜像 it's""#);
        // In the blocks of invisible and joining characters, whatever `Debug` escapes,
        // `Quoted` escapes too: combining marks, general punctuation (spaces, zero-width and
        // bidirectional characters), variation selectors, specials.
        let blocks = [
            0x300..0x370u32,
            0x2000..0x2070,
            0xfe00..0xfe10,
            0xfff0..0xfffc,
        ];
        for c in blocks.into_iter().flatten().filter_map(char::from_u32) {
            let s = c.to_string();
            if format!("{s:?}") != format!("\"{s}\"") {
                assert!(hidden(c), "{c:?}");
                assert_eq!(q(&s), format!("\"\\u{{{:x}}}\"", u32::from(c)), "{c:?}");
            }
        }
        // Every character `Debug` escapes in the ASCII and Latin-1 ranges is escaped too.
        for c in (0..0x100u32).filter_map(char::from_u32) {
            let s = c.to_string();
            assert_eq!(q(&s), format!("{s:?}"), "{c:?}");
        }
    }

    #[test]
    fn quoted_char_is_single_quoted() {
        let q = |c: char| format!("{:?}", QuotedChar(c));
        assert_eq!(q('x'), "'x'");
        assert_eq!(q('\''), r"'\''");
        assert_eq!(q('"'), "'\"'");
        assert_eq!(q('\u{200b}'), r"'\u{200b}'");
        assert_eq!(q('，'), "'，'");
    }

    #[test]
    fn find_is_str_find() {
        let alphabet = ["$", "{", "*", ":", "/", "é", "a"];
        for n in 0..6u32 {
            for i in 0..alphabet.len().pow(n) {
                let text: String = (0..n)
                    .map(|d| alphabet[i / alphabet.len().pow(d) % alphabet.len()])
                    .collect();
                for needle in ["${", "{{", "**", "://", "é", "a{"] {
                    assert_eq!(
                        find(&text, needle),
                        text.find(needle),
                        "{text:?} {needle:?}"
                    );
                }
            }
        }
        assert_eq!(find("abc", ""), None);
    }

    #[test]
    fn dns() {
        let label: &[(&str, bool)] = &[
            ("a", true),
            ("default", true),
            ("kube-system", true),
            ("a1-b2", true),
            ("-a", false),
            ("a-", false),
            ("A", false),
            ("a.b", false),
            ("", false),
            ("a_b", false),
        ];
        for (s, want) in label {
            assert_eq!(is_dns1123_label(s), *want, "{s:?}");
        }
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        let sub: &[(&str, bool)] = &[
            ("my-secret", true),
            ("my.secret.v1", true),
            ("a..b", false),
            (".a", false),
            ("a.", false),
            ("My-secret", false),
            ("", false),
        ];
        for (s, want) in sub {
            assert_eq!(is_dns1123_subdomain(s), *want, "{s:?}");
        }
        assert!(is_dns1123_subdomain(&"a".repeat(253)));
        assert!(!is_dns1123_subdomain(&"a".repeat(254)));
        let host: &[(&str, bool)] = &[
            ("registry.example.com", true),
            ("Registry.Example.COM", true),
            ("localhost", true),
            ("10.0.0.1", true),
            ("a-b.c", true),
            ("a.-b.c", false),
            ("a.b-.c", false),
            ("a..c", false),
            ("a.c.", false),
            ("a_b.c", false),
            ("a.b:5000", false),
            ("", false),
        ];
        // Host names are read by the one host[:port] parser.
        let is_hostname = |s: &str| {
            crate::grammar::hostport::parse(s).is_ok_and(|h| h.is_rfc1123() && h.port.is_none())
        };
        for (s, want) in host {
            assert_eq!(is_hostname(s), *want, "{s:?}");
        }
        assert!(!is_hostname(&format!("{}.com", "a".repeat(64))));
    }

    #[test]
    fn glob() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything/at/all", true),
            ("docker.io/library/*", "docker.io/library/nginx", true),
            ("docker.io/*", "docker.io/library/nginx", true),
            (
                "*.cr.aliyuncs.com/*",
                "x-registry.cn-hangzhou.cr.aliyuncs.com/ns/app",
                true,
            ),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("**", "x", true),
            ("", "", true),
            ("", "a", false),
            ("ä?", "äö", true),
            // '?' is one char, not one byte, whichever path runs.
            ("a?", "aö", true),
            ("a??", "aö", false),
            ("*ö", "xxö", true),
            ("a*a*a*a*a*a*b", &"a".repeat(60), false),
        ];
        for (p, t, want) in cases {
            assert_eq!(glob_match(p, t), *want, "{p:?} {t:?}");
        }
    }

    /// The shortcuts (no wildcard, one trailing `*`) answer as the general matcher does.
    #[test]
    fn glob_shortcuts_agree_with_the_general_matcher() {
        let pieces = ["a", "b", "-", "*", "?", "ö", "prod", "/"];
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let mut word = |max: u64| -> String {
            let n = next() % (max + 1);
            (0..n)
                .map(|_| pieces[(next() as usize) % pieces.len()])
                .collect()
        };
        for _ in 0..50_000 {
            let (p, t) = (word(4), word(5).replace(['*', '?'], "a"));
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            assert_eq!(
                glob_match(&p, &t),
                super::glob(&pc, &tc, '*', '?'),
                "{p:?} {t:?}"
            );
        }
    }

    #[test]
    fn distance() {
        let cases: &[(&str, &str, usize, Option<usize>)] = &[
            ("", "", 0, Some(0)),
            ("abc", "abc", 2, Some(0)),
            ("kitten", "sitting", 3, Some(3)),
            ("kitten", "sitting", 2, None),
            ("cn-beijng", "cn-beijing", 2, Some(1)),
            ("a", "abcd", 2, None),
            ("", "ab", 2, Some(2)),
            ("ab", "", 1, None),
            ("flaw", "lawn", 2, Some(2)),
            ("äb", "ab", 1, Some(1)),
        ];
        for (a, b, max, want) in cases {
            assert_eq!(edit_distance(a, b, *max), *want, "{a:?} {b:?} {max}");
        }
    }
}
