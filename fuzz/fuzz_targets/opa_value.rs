//! Arbitrary bytes as OPA value text (what hosts pass to `opa_json_parse` / `opa_value_parse`
//! and read back from `opa_value_dump`): the reader never panics, what it writes reads back
//! unchanged, a Rego set dump reads back as a Rego value, path edits never panic and write JSON, and a known
//! field text (the settings hosts send again) changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretfree::engines::opa_value::{add_path, canonical, path_keys, rego_set, remove_path, tree};

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
        if tree(&out).is_some() {
            let keys = path_keys(br#"["a","0"]"#).unwrap_or_default();
            if let Ok(text) = add_path(&out, &keys, b"null") {
                assert!(
                    canonical(&text, false, None).is_some(),
                    "add_path wrote {text:?}"
                );
            }
            if let Ok(Some(text)) = remove_path(&out, &keys) {
                assert!(
                    canonical(&text, false, None).is_some(),
                    "remove_path wrote {text:?}"
                );
            }
        }
    }
    if let Some(keys) = path_keys(data) {
        let text = add_path(b"{}", &keys, b"true");
        assert!(
            text.as_deref()
                .is_ok_and(|t| canonical(t, false, None).is_some()),
            "add_path on {{}} gave {text:?}"
        );
    }
});
