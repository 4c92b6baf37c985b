//! Values as the OPA WebAssembly ABI passes them: compact JSON text.
//!
//! The OPA adapter keeps each value as text on its heap; everything about that text is
//! decided here, natively tested: validating and compacting JSON and Rego value text
//! ([`canonical`], without recursion, so any nesting depth is fine), printing a result set as
//! a Rego set ([`rego_set`]), and the `opa_value_add_path` / `opa_value_remove_path` edits.

#![forbid(unsafe_code)]

use crate::json::lexer::{Lexer, Token};
use serde_json::Value;
use std::borrow::Cow;
use std::ops::Range;

#[derive(Debug, Clone, Copy)]
enum Frame {
    Array,
    Object,
    Set,
    /// `{` in a Rego value, before we know whether it opens an object or a set; holds the
    /// output offset of the bracket to rewrite.
    Brace(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    Key,
    After,
}

fn is_hex(bytes: Option<&[u8]>) -> bool {
    bytes.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
}

/// Copy the string lexeme `src[start..end]` (quotes included), checking its escapes and that it
/// holds no control bytes. With `rego`, Go's `\xHH` escapes become `\u00HH`.
fn copy_string(src: &[u8], start: usize, end: usize, out: &mut Vec<u8>, rego: bool) -> Option<()> {
    let content = src.get(start + 1..end.saturating_sub(1))?;
    out.push(b'"');
    let mut i = 0;
    loop {
        let rest = content.get(i..)?;
        let run = memchr::memchr(b'\\', rest).unwrap_or(rest.len());
        let plain = rest.get(..run)?;
        if plain.iter().any(|&b| b < 0x20) {
            return None;
        }
        out.extend_from_slice(plain);
        i += run;
        if i >= content.len() {
            out.push(b'"');
            return Some(());
        }
        let e = *content.get(i + 1)?;
        match e {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                out.extend_from_slice(&[b'\\', e]);
                i += 2;
            }
            b'u' if is_hex(content.get(i + 2..i + 6)) => {
                out.extend_from_slice(content.get(i..i + 6)?);
                i += 6;
            }
            // Go's strconv.Quote (OPA Go's value text) writes `\xHH` for control bytes.
            b'x' if rego && is_hex(content.get(i + 2..i + 4)) => {
                out.extend_from_slice(b"\\u00");
                out.extend_from_slice(content.get(i + 2..i + 4)?);
                i += 4;
            }
            _ => return None,
        }
    }
}

/// Validate JSON text (with `rego`: a Rego value, where sets become arrays) and return it
/// compact. Iterative, so any nesting depth is fine; `None` on any syntax error or bad UTF-8.
///
/// `known` is a compact list or object text that was a field of an object this function
/// accepted before (the settings an input carried): where a field of `src`'s outermost object
/// starts with it byte for byte, that field is not checked again (hosts send the same settings
/// with every request, and this check is a pass over the whole input).
pub fn canonical(src: &[u8], rego: bool, known: Option<&[u8]>) -> Option<Vec<u8>> {
    if !rego && let Some(out) = compact_json(src, known) {
        return Some(out);
    }
    canonical_general(src, rego)
}

/// JSON text that the request reader accepts, without its whitespace outside strings: what
/// [`canonical_general`] gives for it (the same grammar; strings, numbers and literals are
/// copied as written), at the cost of one checking pass and a copy. `None` for anything else
/// (not JSON, or nested deeper than one skipped value may be), which the general path reads.
/// Hosts send input this way with every evaluation (`opa_json_parse`).
fn compact_json(src: &[u8], known: Option<&[u8]>) -> Option<Vec<u8>> {
    let text = core::str::from_utf8(src).ok()?;
    if !crate::json::reader::is_json_known(text, usize::MAX, known) {
        return None;
    }
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if !crate::json::reader::has_space(src) {
        return Some(src.to_vec());
    }
    // Valid JSON: a quote outside a string opens one, and the first unescaped quote closes it.
    let mut out = Vec::with_capacity(src.len());
    let mut rest = src;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if space(&b) {
            continue;
        }
        out.push(b);
        if b != b'"' {
            continue;
        }
        loop {
            let at = memchr::memchr2(b'"', b'\\', rest)?;
            let (run, tail) = rest.split_at(at);
            out.extend_from_slice(run);
            let (&stop, tail) = tail.split_first()?;
            out.push(stop);
            rest = tail;
            if stop == b'"' {
                break;
            }
            // The escaped byte (`\u` is followed by hex digits only).
            let (&escaped, tail) = rest.split_first()?;
            out.push(escaped);
            rest = tail;
        }
    }
    Some(out)
}

/// [`canonical`] by a general lexer: Rego values, any nesting depth, and any JSON.
fn canonical_general(src: &[u8], rego: bool) -> Option<Vec<u8>> {
    core::str::from_utf8(src).ok()?;
    let mut out = Vec::with_capacity(src.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut expect = Expect::Value;
    let mut last_was_string = false;
    let mut lexer = Lexer::new(src);
    loop {
        let next = lexer.next();
        match expect {
            Expect::Value => {
                last_was_string = false;
                let lexeme = next?;
                match lexeme.token {
                    Token::ObjectStart | Token::ArrayStart => {
                        let object = lexeme.token == Token::ObjectStart;
                        let close = if object {
                            Token::ObjectEnd
                        } else {
                            Token::ArrayEnd
                        };
                        if lexer.peek().map(|l| l.token) == Some(close) {
                            lexer.next();
                            out.extend_from_slice(if object { b"{}" } else { b"[]" });
                            expect = Expect::After;
                        } else {
                            let (frame, next) = match (object, rego) {
                                (false, _) => (Frame::Array, Expect::Value),
                                (true, false) => (Frame::Object, Expect::Key),
                                (true, true) => (Frame::Brace(out.len()), Expect::Value),
                            };
                            stack.push(frame);
                            out.push(if object { b'{' } else { b'[' });
                            expect = next;
                        }
                    }
                    Token::String => {
                        copy_string(src, lexeme.start, lexeme.end, &mut out, rego)?;
                        last_was_string = true;
                        expect = Expect::After;
                    }
                    Token::Number | Token::True | Token::False | Token::Null => {
                        out.extend_from_slice(src.get(lexeme.start..lexeme.end)?);
                        expect = Expect::After;
                    }
                    // The empty set, the one Rego literal that is not JSON.
                    Token::Invalid if rego && src.get(lexeme.start..)?.starts_with(b"set()") => {
                        out.extend_from_slice(b"[]");
                        lexer.seek(lexeme.start + b"set()".len());
                        expect = Expect::After;
                    }
                    _ => return None,
                }
            }
            Expect::Key => {
                let key = next?;
                if key.token != Token::String {
                    return None;
                }
                copy_string(src, key.start, key.end, &mut out, rego)?;
                if lexer.next()?.token != Token::Colon {
                    return None;
                }
                out.push(b':');
                expect = Expect::Value;
            }
            Expect::After => {
                let Some(frame) = stack.last_mut() else {
                    return next.is_none().then_some(out);
                };
                match (*frame, next?.token) {
                    (Frame::Brace(_), Token::Colon) if last_was_string => {
                        *frame = Frame::Object;
                        out.push(b':');
                        expect = Expect::Value;
                    }
                    (Frame::Brace(at), token @ (Token::Comma | Token::ObjectEnd)) => {
                        *out.get_mut(at)? = b'[';
                        *frame = Frame::Set;
                        if token == Token::Comma {
                            out.push(b',');
                            expect = Expect::Value;
                        } else {
                            out.push(b']');
                            stack.pop();
                        }
                    }
                    (Frame::Object, Token::Comma) => {
                        out.push(b',');
                        expect = Expect::Key;
                    }
                    (Frame::Array | Frame::Set, Token::Comma) => {
                        out.push(b',');
                        expect = Expect::Value;
                    }
                    (Frame::Object, Token::ObjectEnd) => {
                        out.push(b'}');
                        stack.pop();
                    }
                    (Frame::Array, Token::ArrayEnd) | (Frame::Set, Token::ObjectEnd) => {
                        out.push(b']');
                        stack.pop();
                    }
                    _ => return None,
                }
                last_was_string = false;
            }
        }
    }
}

/// A JSON array's text as a Rego set: `[a,b]` → `{a,b}`, `[]` → `set()`.
pub fn rego_set(array: &[u8]) -> Vec<u8> {
    match array.strip_prefix(b"[").and_then(|a| a.strip_suffix(b"]")) {
        Some([]) | None => b"set()".to_vec(),
        Some(inner) => {
            let mut out = Vec::with_capacity(inner.len() + 2);
            out.push(b'{');
            out.extend_from_slice(inner);
            out.push(b'}');
            out
        }
    }
}

/// A value's text as a tree; `None` if it does not parse or nests deeper than
/// [`crate::MAX_DEPTH`] (the tree's reader recurses, so the depth is bounded first).
pub fn tree(text: &[u8]) -> Option<Value> {
    if crate::json::nesting_exceeds(text, crate::MAX_DEPTH).is_some() {
        return None;
    }
    crate::json::tree::from_slice(text).ok()
}

/// The keys of a path value: a non-empty array of strings.
pub fn path_keys(text: &[u8]) -> Option<Vec<String>> {
    match tree(text)? {
        Value::Array(items) if !items.is_empty() => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Why a path edit failed (`opa_errc`: 1 internal, 2 invalid type, 3 invalid path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// The edited value could not be written back.
    Internal,
    /// A value on the way is not an object.
    InvalidType,
    /// The path has no keys.
    InvalidPath,
}

/// A value's text for a path edit: UTF-8, nested at most [`crate::MAX_DEPTH`] deep (values
/// the module made always are; deeper ones are refused as their tree was).
fn edit_text(text: &[u8]) -> Result<&str, PathError> {
    if crate::json::nesting_exceeds(text, crate::MAX_DEPTH).is_some() {
        return Err(PathError::Internal);
    }
    core::str::from_utf8(text).map_err(|_| PathError::Internal)
}

/// An object's members as written: each key and the range of its value in the text.
type Members<'a> = Vec<(Cow<'a, str>, Range<usize>)>;

/// The members of `text`, or [`PathError::InvalidType`] when it is not an object.
fn members_of(text: &str) -> Result<Members<'_>, PathError> {
    crate::json::reader::members(text, crate::MAX_DEPTH).map_err(|_| PathError::InvalidType)
}

/// The value text of the member `key` of an object (the last one written: the one a reader
/// keeps).
fn member<'a>(text: &'a str, members: &Members<'_>, key: &str) -> Option<&'a str> {
    let (_, range) = members.iter().rev().find(|(k, _)| k == key)?;
    text.get(range.clone())
}

/// The object `text` (with `members`) without its members `key` and, with a `value`, with one
/// member `key` of that value text where the first of them was (or last, when there was none):
/// serde_json's map, which keeps its keys in the order they came, gives the same.
fn with_member(
    text: &str,
    members: &Members<'_>,
    key: &str,
    value: Option<&str>,
) -> Result<String, PathError> {
    let mut out = String::with_capacity(text.len() + key.len() + value.map_or(0, str::len) + 4);
    let mut value = value;
    let mut put = |k: &str, v: &str| {
        out.push(if out.is_empty() { '{' } else { ',' });
        crate::json::write::string(&mut out, k);
        out.push(':');
        out.push_str(v);
    };
    for (k, range) in members {
        if k != key {
            put(k, text.get(range.clone()).ok_or(PathError::Internal)?);
        } else if let Some(v) = value.take() {
            put(key, v);
        }
    }
    if let Some(v) = value {
        put(key, v);
    }
    if out.is_empty() {
        out.push('{');
    }
    out.push('}');
    Ok(out)
}

/// `opa_value_add_path`: the object text `text` with `keys` set to the value text `value`,
/// objects created where the path's keys are missing. Only the objects on the path are
/// written anew; every other value keeps its text.
pub fn add_path(text: &[u8], keys: &[String], value: &[u8]) -> Result<Vec<u8>, PathError> {
    edit(text, keys, Some(value))?.ok_or(PathError::Internal)
}

/// `opa_value_remove_path`: the object text `text` without `keys`; `None` when part of the
/// path is missing (the target is already gone and the text stays as it is).
pub fn remove_path(text: &[u8], keys: &[String]) -> Result<Option<Vec<u8>>, PathError> {
    edit(text, keys, None)
}

/// [`add_path`] with a `value`, [`remove_path`] without.
fn edit(text: &[u8], keys: &[String], value: Option<&[u8]>) -> Result<Option<Vec<u8>>, PathError> {
    let (last, parents) = keys.split_last().ok_or(PathError::InvalidPath)?;
    let mut current = edit_text(text)?;
    let value = value.map(edit_text).transpose()?;
    // Down the path while its keys are there: each object on the way, with its members.
    let mut levels = Vec::new();
    let mut missing = None;
    for (i, key) in parents.iter().enumerate() {
        let members = match members_of(current) {
            Ok(members) => members,
            // A value on the way that is not an object has no keys: nothing to remove.
            Err(_) if value.is_none() => return Ok(None),
            Err(e) => return Err(e),
        };
        let inner = member(current, &members, key);
        levels.push((current, members));
        match inner {
            Some(inner) => current = inner,
            None if value.is_none() => return Ok(None),
            None => {
                missing = Some(i + 1);
                break;
            }
        }
    }
    let mut new = match (missing, value) {
        // The keys past the last object there become objects around the value.
        (Some(first), Some(value)) => {
            let mut new = value.to_owned();
            for key in keys.iter().skip(first).rev() {
                new = with_member("{}", &Vec::new(), key, Some(&new))?;
            }
            new
        }
        _ => with_member(current, &members_of(current)?, last, value)?,
    };
    for ((text, members), key) in levels.iter().zip(keys).rev() {
        new = with_member(text, members, key, Some(&new))?;
    }
    Ok(Some(new.into_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn json_text(src: &str) -> Option<String> {
        canonical(src.as_bytes(), false, None).map(|t| String::from_utf8(t).unwrap())
    }

    fn rego_text(src: &str) -> Option<String> {
        canonical(src.as_bytes(), true, None).map(|t| String::from_utf8(t).unwrap())
    }

    #[test]
    fn compacts_nested_objects_and_arrays() {
        assert_eq!(
            json_text(
                " {\"a\" : [1, -2.5e+3, {\"b\":null}, [ ], { }],\n\"c\":\ttrue ,\"d\":false} "
            )
            .as_deref(),
            Some(r#"{"a":[1,-2.5e+3,{"b":null},[],{}],"c":true,"d":false}"#)
        );
        assert_eq!(json_text("\"x\"").as_deref(), Some("\"x\""));
        assert_eq!(json_text(" 0 ").as_deref(), Some("0"));
        assert_eq!(json_text("[[[]]]").as_deref(), Some("[[[]]]"));
        // Duplicate keys and key order stay as written: the text is only compacted.
        assert_eq!(
            json_text(r#"{"b":1,"a":2,"b":3}"#).as_deref(),
            Some(r#"{"b":1,"a":2,"b":3}"#)
        );
    }

    #[test]
    fn keeps_escapes_as_written() {
        assert_eq!(
            json_text(r#"["\"\\\/\b\f\n\r\t", "\u00e9\uD83D\uDE00", "é"]"#).as_deref(),
            Some(r#"["\"\\\/\b\f\n\r\t","\u00e9\uD83D\uDE00","é"]"#)
        );
        assert_eq!(
            json_text(r#"{"k\u002Fey":"v"}"#).as_deref(),
            Some(r#"{"k\u002Fey":"v"}"#)
        );
        // `\xHH` is Go's escape, read only in Rego values, as `\u00HH`.
        assert_eq!(json_text(r#""a\x1fb""#), None);
        assert_eq!(
            rego_text(r#"{"k\x01":"a\x1Fb"}"#).as_deref(),
            Some(r#"{"k\u0001":"a\u001Fb"}"#)
        );
        for bad in [
            r#""\x1""#,
            r#""\xZZ""#,
            r#""\u12""#,
            r#""\u12G4""#,
            r#""\q""#,
            r#""\"#,
            "\"tab\there\"",
            "\"nl\nhere\"",
        ] {
            assert_eq!(rego_text(bad), None, "{bad:?}");
            assert_eq!(json_text(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rego_sets_become_arrays() {
        assert_eq!(rego_text("set()").as_deref(), Some("[]"));
        assert_eq!(
            rego_text(r#"{1, "a", {2}}"#).as_deref(),
            Some(r#"[1,"a",[2]]"#)
        );
        assert_eq!(rego_text(r#"{"a"}"#).as_deref(), Some(r#"["a"]"#));
        assert_eq!(
            rego_text(r#"{"a": {"b", set()}, "c": {}}"#).as_deref(),
            Some(r#"{"a":["b",[]],"c":{}}"#)
        );
        assert_eq!(
            rego_text(r#"[{{"result":1}}]"#).as_deref(),
            Some(r#"[[{"result":1}]]"#)
        );
        // Only a string can be a key; `set()` is no JSON.
        assert_eq!(rego_text("{1: 2}"), None);
        assert_eq!(rego_text(r#"{"a", "b": 1}"#), None);
        assert_eq!(json_text("set()"), None);
        assert_eq!(json_text(r#"{"a"}"#), None);
        assert_eq!(rego_text("set()x"), None);
        assert_eq!(rego_text("set("), None);
    }

    #[test]
    fn invalid_input_gives_none() {
        for bad in [
            "",
            "   ",
            "{",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{,}",
            "[}",
            "{]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            ".5",
            "+1",
            "tru",
            "truex",
            "nul",
            "[1]]",
            "[1] [2]",
            "\"unterminated",
            "{\"a\":1}}",
            "NaN",
        ] {
            assert_eq!(json_text(bad), None, "{bad:?}");
            assert_eq!(rego_text(bad), None, "{bad:?}");
        }
        assert_eq!(canonical(b"\"\xff\"", false, None), None);
        assert_eq!(canonical(b"[\"\xc3\x28\"]", true, None), None);
    }

    /// The fast path gives what the general lexer gives, on JSON with whitespace in and out
    /// of strings, escapes, and mutations of it that are not JSON.
    #[test]
    fn the_compact_path_agrees_with_the_general_one() {
        const KNOWN: &[u8] = br#"{"uid":"x y","object":{"metadata":{"annotations":{"k":"v w"}}}}"#;
        let seeds = [
            " {\"a\" : [1, -2.5e+3, {\"b\":null}, [ ], { }],\n\"c\":\ttrue ,\"d\":false} ",
            r#"{"s":"a b\" c\\","t":"\u0041 \n","u":[" ", "\t"]}"#,
            r#"{"request":{"uid":"x y","object":{"metadata":{"annotations":{"k":"v w"}}}},"settings":{}}"#,
            "[1 , 2 ,3]",
            "\"plain\"",
            "  0  ",
        ];
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let pieces: [&[u8]; 9] = [b" ", b"\"", b"\\", b",", b"1", b"]", b"{", b"\n", b"e"];
        let mut compacted = 0;
        for seed in seeds {
            assert_eq!(
                compact_json(seed.as_bytes(), None),
                canonical_general(seed.as_bytes(), false),
                "{seed:?}"
            );
            for _ in 0..3000 {
                let mut m = seed.as_bytes().to_vec();
                for _ in 0..1 + next() % 3 {
                    let at = (next() as usize) % (m.len() + 1);
                    match next() % 3 {
                        0 if at < m.len() => {
                            m.remove(at);
                        }
                        _ => {
                            let piece = pieces[(next() as usize) % pieces.len()];
                            m.splice(at..at, piece.iter().copied());
                        }
                    }
                }
                let fast = compact_json(&m, None);
                let general = canonical_general(&m, false);
                // A known field text (valid JSON) changes nothing, whether the mutation hit it,
                // left it whole or moved it.
                assert_eq!(
                    compact_json(&m, Some(KNOWN)),
                    fast,
                    "{:?}",
                    String::from_utf8_lossy(&m)
                );
                if fast.is_some() {
                    compacted += 1;
                    assert_eq!(fast, general, "{:?}", String::from_utf8_lossy(&m));
                }
                assert_eq!(
                    canonical(&m, false, None),
                    general,
                    "{:?}",
                    String::from_utf8_lossy(&m)
                );
            }
        }
        // Both kinds of input were tried.
        assert!((2_000..16_000).contains(&compacted), "{compacted}");
    }

    #[test]
    fn deep_nesting_needs_no_recursion() {
        let depth = 200_000;
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(
            canonical(deep.as_bytes(), false, None).map(|t| t.len()),
            Some(2 * depth)
        );
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        assert_eq!(
            canonical(objects.as_bytes(), true, None).map(|t| t.len()),
            Some(objects.len())
        );
        let sets = format!("{}1{}", "{".repeat(depth), "}".repeat(depth));
        let as_arrays = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(
            canonical(sets.as_bytes(), true, None),
            Some(as_arrays.into_bytes())
        );
        let unclosed = "[".repeat(depth);
        assert_eq!(canonical(unclosed.as_bytes(), false, None), None);
        // Too deep for a tree: refused before serde recurses.
        assert_eq!(tree(deep.as_bytes()), None);
    }

    #[test]
    fn result_sets_dump_as_rego_sets() {
        assert_eq!(rego_set(b"[]"), b"set()");
        assert_eq!(rego_set(b"[{\"result\":1}]"), b"{{\"result\":1}}");
        assert_eq!(rego_set(b"[1,[2]]"), b"{1,[2]}");
        assert_eq!(rego_set(b"not an array"), b"set()");
        assert_eq!(rego_set(b""), b"set()");
    }

    /// The keys of a path text; none for `[]`, which is no path.
    fn keys(path: &str) -> Vec<String> {
        path_keys(path.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn path_keys_are_non_empty_string_arrays() {
        assert_eq!(keys(r#"["a","b/c"]"#), vec!["a", "b/c"]);
        for bad in [r#"[]"#, r#"["a",1]"#, r#""a""#, "{}", "[", ""] {
            assert_eq!(path_keys(bad.as_bytes()), None, "{bad:?}");
        }
    }

    fn add(text: &str, path: &str, value: &str) -> Result<String, PathError> {
        add_path(text.as_bytes(), &keys(path), value.as_bytes())
            .map(|t| String::from_utf8(t).unwrap())
    }

    fn remove(text: &str, path: &str) -> Result<Option<String>, PathError> {
        remove_path(text.as_bytes(), &keys(path)).map(|t| t.map(|t| String::from_utf8(t).unwrap()))
    }

    #[test]
    fn add_path_creates_objects_on_the_way() {
        assert_eq!(
            add(r#"{"a":1}"#, r#"["b","c"]"#, "[true]").unwrap(),
            r#"{"a":1,"b":{"c":[true]}}"#
        );
        assert_eq!(
            add(r#"{"a":{"x":1}}"#, r#"["a","x"]"#, "2").unwrap(),
            r#"{"a":{"x":2}}"#
        );
        assert_eq!(add("{}", r#"["a"]"#, "{}").unwrap(), r#"{"a":{}}"#);
        // Values off the path keep their text; keys are written as JSON strings.
        assert_eq!(
            add(
                r#"{"k":1.50,"a\u0041":{"y":[ 1 ]}}"#,
                r#"["aA","z\"q"]"#,
                "null"
            )
            .unwrap(),
            r#"{"k":1.50,"aA":{"y":[ 1 ],"z\"q":null}}"#
        );
        assert_eq!(
            add(r#"{"a":1}"#, r#"["a","b"]"#, "2"),
            Err(PathError::InvalidType)
        );
        assert_eq!(add("[1]", r#"["a"]"#, "2"), Err(PathError::InvalidType));
        assert_eq!(add("{}", "[]", "2"), Err(PathError::InvalidPath));
        let deep = format!(
            "{}{}",
            "[".repeat(crate::MAX_DEPTH + 1),
            "]".repeat(crate::MAX_DEPTH + 1)
        );
        assert_eq!(add("{}", r#"["a"]"#, &deep), Err(PathError::Internal));
        assert_eq!(
            add(&format!(r#"{{"a":{deep}}}"#), r#"["b"]"#, "1"),
            Err(PathError::Internal)
        );
    }

    #[test]
    fn a_repeated_key_is_set_once_where_it_first_was() {
        // A reader keeps the last of repeated keys; the edit goes into that one.
        assert_eq!(
            add(r#"{"a":{"x":1},"b":2,"a":{"y":3}}"#, r#"["a","z"]"#, "4").unwrap(),
            r#"{"a":{"y":3,"z":4},"b":2}"#
        );
        assert_eq!(
            remove(r#"{"a":1,"b":2,"a":3}"#, r#"["a"]"#)
                .unwrap()
                .unwrap(),
            r#"{"b":2}"#
        );
    }

    #[test]
    fn remove_path_leaves_missing_targets_alone() {
        let tree = r#"{"a":{"b":1,"c":2}}"#;
        assert_eq!(
            remove(tree, r#"["a","b"]"#),
            Ok(Some(r#"{"a":{"c":2}}"#.into()))
        );
        // A missing last key still rewrites the text; a missing parent does not.
        assert_eq!(remove(tree, r#"["a","z"]"#), Ok(Some(tree.into())));
        assert_eq!(remove(tree, r#"["z","b"]"#), Ok(None));
        assert_eq!(remove(r#"{"a":[1]}"#, r#"["a","0","x"]"#), Ok(None));
        assert_eq!(
            remove(tree, r#"["a","b","c"]"#),
            Err(PathError::InvalidType)
        );
        assert_eq!(remove("[1]", r#"["0"]"#), Err(PathError::InvalidType));
        assert_eq!(
            remove(r#"{"a":{"b":{}}}"#, r#"["a","b","c"]"#),
            Ok(Some(r#"{"a":{"b":{}}}"#.into()))
        );
        assert_eq!(remove(tree, "[]"), Err(PathError::InvalidPath));
    }

    /// The edits as a tree gives them (serde_json's map in insertion order).
    mod tree_edits {
        use super::super::PathError;
        use serde_json::{Map, Value};

        pub fn add(mut tree: Value, keys: &[String], value: Value) -> Result<Value, PathError> {
            let (last, parents) = keys.split_last().ok_or(PathError::InvalidPath)?;
            let mut current = &mut tree;
            for key in parents {
                let Value::Object(map) = current else {
                    return Err(PathError::InvalidType);
                };
                current = map
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            let Value::Object(map) = current else {
                return Err(PathError::InvalidType);
            };
            map.insert(last.clone(), value);
            Ok(tree)
        }

        pub fn remove(mut tree: Value, keys: &[String]) -> Result<Option<Value>, PathError> {
            let (last, parents) = keys.split_last().ok_or(PathError::InvalidPath)?;
            let mut current = &mut tree;
            for key in parents {
                match current.get_mut(key.as_str()) {
                    Some(next) => current = next,
                    None => return Ok(None),
                }
            }
            match current {
                Value::Object(map) => {
                    map.remove(last.as_str());
                }
                _ => return Err(PathError::InvalidType),
            }
            Ok(Some(tree))
        }
    }

    /// Random objects (small keys, so that paths meet them, repeated keys among them), random
    /// paths and values: the text edits give what the tree edits give; an added key in the same
    /// place. (A removal keeps the order of the other keys, where the tree's map moves its last
    /// key into the gap.)
    #[test]
    fn text_edits_agree_with_tree_edits() {
        let mut next = crate::testing::xorshift(0x5eed_0a11_2024);
        fn value(next: &mut impl FnMut() -> u64, depth: u32) -> String {
            let keys = ["a", "b", "c", r"\u0061", r#"d\"e"#];
            match next() % if depth > 3 { 3 } else { 5 } {
                0 => "1.0".into(),
                1 => "\"s\"".into(),
                2 => "[ 1,{\"a\":2} ]".into(),
                _ => {
                    let n = next() % 4;
                    let members: Vec<String> = (0..n)
                        .map(|_| {
                            let key = keys[(next() % keys.len() as u64) as usize];
                            format!("\"{key}\":{}", value(next, depth + 1))
                        })
                        .collect();
                    format!("{{{}}}", members.join(","))
                }
            }
        }
        let mut checked = [0usize; 4];
        for _ in 0..20_000 {
            let text = value(&mut next, 0);
            let n = 1 + next() % 3;
            let path: Vec<String> = (0..n)
                .map(|_| ["a", "b", "d\"e"][(next() % 3) as usize].to_string())
                .collect();
            let new = value(&mut next, 2);
            let tree: Value = serde_json::from_str(&text).unwrap();
            let as_tree = |t: Vec<u8>| serde_json::from_slice::<Value>(&t).unwrap();
            let want = tree_edits::add(tree.clone(), &path, serde_json::from_str(&new).unwrap());
            let got = add_path(text.as_bytes(), &path, new.as_bytes()).map(as_tree);
            assert_eq!(got, want, "add {text} {path:?} {new}");
            if let (Ok(got), Ok(want)) = (&got, &want) {
                // The same keys in the same order.
                assert_eq!(got.to_string(), want.to_string());
            }
            checked[usize::from(got.is_ok())] += 1;
            let want = tree_edits::remove(tree, &path);
            let got = remove_path(text.as_bytes(), &path).map(|t| t.map(as_tree));
            assert_eq!(got, want, "remove {text} {path:?}");
            checked[2 + usize::from(matches!(got, Ok(Some(_))))] += 1;
        }
        assert!(checked.iter().all(|&n| n > 1000), "{checked:?}");
    }
}
