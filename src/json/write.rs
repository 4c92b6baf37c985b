//! JSON text written as serde_json writes it (compact), for the few fixed shapes the hosts get
//! back: the same bytes as building a `serde_json::Value` and serialising it, without the
//! value tree, the map inserts and serde's serializer in the wasm modules.
//!
//! Objects whose keys are written here come out in the order a `serde_json::Map` would keep
//! them: as inserted with serde_json's `preserve_order` (the OPA module, the playground, the
//! command line), sorted by key without it (the Kubewarden module, the component).

#![forbid(unsafe_code)]

use serde_json::Value;

/// Whether serde_json keeps object keys in insertion order in this build (the features that
/// turn on its `preserve_order`; a unit test checks this against serde_json itself).
pub(crate) const PRESERVE_ORDER: bool =
    cfg!(any(feature = "cli", feature = "opa", feature = "browser"));

/// `s` as a JSON string, escaped as serde_json escapes: `"`, `\` and control characters only,
/// the short escapes where JSON has one, `\u00xx` (lower-case hex) for the others.
pub(crate) fn string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte: a character boundary.
        out.push_str(s.get(run..i).unwrap_or_default());
        run = i + 1;
        if short.is_empty() {
            out.push_str("\\u00");
            for nibble in [b >> 4, b & 0xf] {
                out.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        } else {
            out.push_str(short);
        }
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// `v` as serde_json writes it: compact, object keys in the map's own order, numbers as
/// `serde_json::Number` prints them (which is how its serializer prints them).
pub(crate) fn value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            use std::fmt::Write;
            let _ = write!(out, "{n}");
        }
        Value::String(s) => string(out, s),
        Value::Array(list) => items(out, ['[', ']'], list, value),
        Value::Object(map) => items(out, ['{', '}'], map, |out, (k, item)| {
            string(out, k);
            out.push(':');
            value(out, item);
        }),
    }
}

/// An optional string: the string, or `null`.
pub(crate) fn opt_string(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.push_str("null"),
    }
}

/// A list of strings.
pub(crate) fn strings(out: &mut String, list: &[String]) {
    items(out, ['[', ']'], list, |out, s| string(out, s));
}

/// One field of an [`object`]: its key and what writes its value.
pub(crate) type Field<'a> = (&'static str, &'a dyn Fn(&mut String));

/// An object of `fields`, given in insertion order, written in the order a `serde_json::Map`
/// built by inserting them would keep (see [`PRESERVE_ORDER`]). Keys are plain (no escapes).
pub(crate) fn object(out: &mut String, fields: &mut [Field<'_>]) {
    if !PRESERVE_ORDER {
        crate::sort::sort_small_by(fields, |a, b| a.0.cmp(b.0));
    }
    items(out, ['{', '}'], fields.iter(), |out, (k, write)| {
        out.push('"');
        out.push_str(k);
        out.push_str("\":");
        write(out);
    });
}

/// A list or an object (between `open` and `close`): `each` writes every item, separated by commas.
fn items<T>(
    out: &mut String,
    [open, close]: [char; 2],
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut String, T),
) {
    out.push(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(close);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_order_is_serde_jsons() {
        let mut map = serde_json::Map::new();
        map.insert("b".into(), Value::Null);
        map.insert("a".into(), Value::Null);
        let first = map.keys().next().unwrap();
        assert_eq!(PRESERVE_ORDER, first == "b");
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all = String::new();
        for c in (0u32..0x80).chain([0xe9, 0x2028, 0x1f600]) {
            all.push(char::from_u32(c).unwrap());
        }
        for s in [
            "",
            "plain",
            &all,
            "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{0}i\u{1f}j\u{7f}",
            "ü…",
        ] {
            let mut out = String::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let v: Value = serde_json::from_str(
            r#"{"z":[1,-2,3.5,1e300,-0.0,0.1,18446744073709551615,-9223372036854775808,123456789012345678901234567890],"a":{"q":null,"b":true,"c":false,"s":"x\u0001\"y"},"m":[],"n":{}}"#,
        )
        .unwrap();
        let mut out = String::new();
        value(&mut out, &v);
        assert_eq!(out, serde_json::to_string(&v).unwrap());
        assert_eq!(out, v.to_string());
    }

    #[test]
    fn objects_keep_the_order_a_map_would() {
        let mut out = String::new();
        object(
            &mut out,
            &mut [
                ("valid", &|o: &mut String| o.push_str("false")),
                ("message", &|o: &mut String| opt_string(o, Some("m"))),
                ("list", &|o: &mut String| {
                    strings(o, &["a".into(), "b".into()])
                }),
            ],
        );
        let want = json!({"valid": false, "message": "m", "list": ["a", "b"]});
        assert_eq!(out, want.to_string());
    }
}
