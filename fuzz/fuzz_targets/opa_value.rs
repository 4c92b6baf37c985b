//! Arbitrary bytes as OPA value text (what hosts pass to `opa_json_parse` / `opa_value_parse`
//! and read back from `opa_value_dump`): the reader never panics, what it writes reads back
//! unchanged, a Rego set dump reads back as a Rego value, path edits never panic, and a known
//! field text (the settings hosts send again) changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretfree::engines::opa_value::{add_path, canonical, path_keys, rego_set, remove_path, tree};
use serde_json::Value;

/// A field text the module kept from an earlier input (valid, compact JSON).
const KNOWN: &[u8] = br#"{"a":[1,{"b":"c"}],"d":{}}"#;

fuzz_target!(|data: &[u8]| {
    assert_eq!(
        canonical(data, false, Some(KNOWN)),
        canonical(data, false, None),
        "known text"
    );
    for rego in [false, true] {
        let Some(out) = canonical(data, rego, None) else {
            continue;
        };
        // The compact text is plain JSON and canonical already.
        let again = canonical(&out, false, None);
        assert_eq!(again.as_deref(), Some(out.as_slice()), "rego={rego}");
        if out.first() == Some(&b'[') {
            let set = rego_set(&out);
            assert!(
                canonical(&set, true, None).is_some(),
                "set dump of {out:?} does not re-read"
            );
        }
        if let Some(value) = tree(&out) {
            let keys = path_keys(br#"["a","0"]"#).unwrap_or_default();
            let _ = add_path(value.clone(), &keys, Value::Null);
            let _ = remove_path(value, &keys);
        }
    }
    if let Some(keys) = path_keys(data) {
        let _ = add_path(Value::Object(Default::default()), &keys, Value::Bool(true));
    }
});
