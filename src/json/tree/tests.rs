//! The tree, the check and the fields compared with serde_json.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::engines::RawEnvelope;
use serde::de::IgnoredAny;

/// The tree and the check agree with serde_json on `bytes`: the same value (floats to the
/// bit), or the same error (words, category, line and column).
fn agree(bytes: &[u8]) {
    let shown = String::from_utf8_lossy(bytes);
    match (from_slice(bytes), serde_json::from_slice::<Value>(bytes)) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours, theirs, "{shown:?}");
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&theirs).unwrap(),
                "{shown:?}"
            );
        }
        (Err(ours), Err(theirs)) => {
            assert_eq!(ours, Error::from(theirs), "{shown:?}");
        }
        (ours, theirs) => panic!("{shown:?}: {ours:?} but serde_json {theirs:?}"),
    }
    match (check(bytes), serde_json::from_slice::<IgnoredAny>(bytes)) {
        (Ok(()), Ok(_)) => {}
        (Err(ours), Err(theirs)) => assert_eq!(ours, Error::from(theirs), "{shown:?}"),
        (ours, theirs) => panic!("check {shown:?}: {ours:?} but serde_json {theirs:?}"),
    }
}

#[test]
fn values_and_errors_are_serde_jsons() {
    let cases: &[&[u8]] = &[
        b"",
        b" ",
        b"null",
        b"nul",
        b"nulx",
        b"true false",
        b"[1, 2,]",
        b"[1 2]",
        b"[,1]",
        b"[",
        b"[1,",
        b"{\"a\":1,}",
        b"{\"a\" 1}",
        b"{1:2}",
        b"{\"a\":1 \"b\":2}",
        b"{\"a\":1,\"a\":2,\"b\":[{}]}",
        b"{\"a\"",
        b"{\"a\":",
        b"{",
        b"\"abc",
        b"\"a\\qb\"",
        b"\"a\\u12\"",
        b"\"a\\u12G4\"",
        b"\"\\ud83d\\ude00 \\u00e9 \\/\\b\\f\\n\\r\\t\"",
        b"\"\\ud83d\"",
        b"\"\\ud83d\\n\"",
        b"\"\\ud83dx\"",
        b"\"\\ude00\"",
        b"\"\\ud83d\\u0041\"",
        b"\"\\ud83d",
        b"\"\\ud83d\\",
        b"\"tab\there\"",
        b"\"\xff\"",
        b"\"ok \xc3\xa9 then \xc3\"",
        b"\"esc \\n then \xe2\x82\"",
        b"\xff",
        b"[\"a\",\n  \"b\" x]",
        b"{\n\"a\": [1,\n2,\n\n 3}",
        b"0",
        b"-0",
        b"-",
        b"-a",
        b"01",
        b"1.",
        b"1.e5",
        b"1.5e",
        b"1.5e+",
        b"1e5x",
        b"18446744073709551615",
        b"18446744073709551616",
        b"184467440737095516151234.5e3",
        b"18446744073709551615.1234567890123",
        b"-9223372036854775808",
        b"-9223372036854775809",
        b"1e308",
        b"1e309",
        b"-1e309",
        b"1e-400",
        b"0e99999999999",
        b"1e99999999999",
        b"1e-99999999999",
        b"0.1e-500",
        b"1.7976931348623157e308",
        b"2.2250738585072014e-308",
        b"4.9e-324",
        b"123456789012345678901234567890e-10",
        b"0.30000000000000004",
        b"3.141592653589793238462643383279",
        b"[1e400]",
        b"{\"n\": 1.5, \"m\": -2, \"o\": 7}",
    ];
    for case in cases {
        agree(case);
    }
}

#[test]
fn nesting_is_bounded_where_serde_json_bounds_it() {
    for depth in [126, 127, 128, 129, 300] {
        for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
            let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            agree(text.as_bytes());
            agree(text.get(..text.len() - 1).unwrap().as_bytes());
        }
    }
}

/// Seeds cut, grown and changed at random, with the bytes JSON's grammar turns on.
#[test]
fn mutated_texts_agree_with_serde_json() {
    let seeds: [&[u8]; 6] = [
        b" {\"a\" : [1, -2.5e+3, {\"b\":null}, [ ], { }],\n\"c\":\ttrue ,\"d\":false} ",
        br#"{"s":"a b\" c\\","t":"\u0041 \n \ud83d\ude00","u":[" ", "\t"]}"#,
        br#"{"request":{"uid":"x y","object":{"metadata":{"annotations":{"k":"v w"}}}},"settings":{}}"#,
        b"[0, 10, 18446744073709551615, -9223372036854775808, 0.5, 1e10, 1E-2]",
        b"\"plain \xc3\xa9\"",
        b"  {\"deep\": [[[[{\"x\": [[]]}]]]]}  ",
    ];
    let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
    let pieces: [&[u8]; 16] = [
        b" ", b"\"", b"\\", b",", b"1", b"]", b"}", b"{", b"[", b"\n", b"e", b"-", b".", b"\\u",
        b"\xff", b"\x01",
    ];
    for seed in seeds {
        agree(seed);
        for _ in 0..4000 {
            agree(&mutated(seed, &pieces, &mut next));
        }
    }
}

/// Numbers of every length and exponent, as serde_json computes them.
#[test]
fn numbers_agree_with_serde_json() {
    let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
    for _ in 0..20_000 {
        let mut text = String::new();
        if next().is_multiple_of(3) {
            text.push('-');
        }
        let digits = 1 + next() % 30;
        for i in 0..digits {
            let d = next() % 10;
            text.push(char::from(
                b'0' + if i == 0 && digits > 1 { 1 + d % 9 } else { d } as u8,
            ));
        }
        if next().is_multiple_of(2) {
            text.push('.');
            for _ in 0..1 + next() % 25 {
                text.push(char::from(b'0' + (next() % 10) as u8));
            }
        }
        if next().is_multiple_of(2) {
            text.push(if next().is_multiple_of(2) { 'e' } else { 'E' });
            let exp = (next() % 800) as i64 - 400;
            text.push_str(&exp.to_string());
        }
        agree(text.as_bytes());
    }
}

/// `tree::fields` over the envelope's names against serde_json's reading of the envelope
/// struct (`engines::RawEnvelope`).
fn agree_fields(bytes: &[u8]) {
    let shown = String::from_utf8_lossy(bytes);
    let ours = fields(
        bytes,
        ["request", "settings", "review", "parameters"],
        "struct RawEnvelope",
    );
    match (ours, serde_json::from_slice::<RawEnvelope>(bytes)) {
        (Ok(ours), Ok(theirs)) => {
            fn text(r: Option<&serde_json::value::RawValue>) -> Option<&str> {
                r.map(serde_json::value::RawValue::get)
            }
            let theirs = [
                text(theirs.request),
                text(theirs.settings),
                text(theirs.review),
                text(theirs.parameters),
            ];
            assert_eq!(ours, theirs, "{shown:?}");
        }
        (Err(ours), Err(theirs)) => assert_eq!(ours, Error::from(theirs), "{shown:?}"),
        (ours, theirs) => panic!(
            "{shown:?}: {ours:?} but serde_json {:?}",
            theirs.map(|_| "ok")
        ),
    }
}

#[test]
fn fields_are_read_as_serde_json_reads_a_struct() {
    let cases: &[&[u8]] = &[
        b"{}",
        b"[]",
        b"null",
        b"5",
        b"-1.5",
        b"\"text\"",
        b"true",
        b"nul",
        b"{\"request\":{\"a\":1},\"settings\":null,\"x\":[1,{}]}",
        b"{\"request\":1,\"request\":2}",
        b"{\"request\":null,\"request\":2}",
        b"{\"request\":1,\"request\"}",
        b"{\"request\":1 , \"request\"  : 2}",
        b"[{\"a\":1}, null, \"s\"]",
        b"[1,2,3,4]",
        b"[1,]",
        b"{\"review\": \"\xff\"}",
        b"{\"other\": \"\xff\"}",
        b"{\"review\": [1, 2,]}",
        b"{\"re\\u0076iew\": 3}",
        b"{\"\\ud800\": 3}",
    ];
    for case in cases {
        agree_fields(case);
    }
    let seeds: [&[u8]; 3] = [
        b"{\"request\":{\"uid\":\"x\",\"object\":{\"kind\":\"Pod\"}},\"settings\":{\"a\":[1,2]}}",
        b" { \"settings\" : null ,\n \"review\" :\t[1, \"\\u00e9\"] , \"x\":[{}]} ",
        b"[{\"a\":1}, null, \"s\"]",
    ];
    let mut next = crate::testing::xorshift(0x5851_f42d_4c95_7f2d);
    let pieces: [&[u8]; 12] = [
        b" ", b"\"", b"\\", b",", b"1", b"]", b"}", b"{", b"[", b":", b"null", b"\xff",
    ];
    for seed in seeds {
        agree_fields(seed);
        for _ in 0..4000 {
            agree_fields(&mutated(seed, &pieces, &mut next));
        }
    }
}

/// `seed` changed one to three times at random places: a byte removed, the text cut there, or
/// one of `pieces` put in.
fn mutated(seed: &[u8], pieces: &[&[u8]], next: &mut impl FnMut() -> u64) -> Vec<u8> {
    let mut m = seed.to_vec();
    for _ in 0..1 + next() % 3 {
        let at = (next() as usize) % (m.len() + 1);
        match next() % 4 {
            0 if at < m.len() => {
                m.remove(at);
            }
            1 => m.truncate(at),
            _ => {
                let piece = pieces[(next() as usize) % pieces.len()];
                m.splice(at..at, piece.iter().copied());
            }
        }
    }
    m
}
