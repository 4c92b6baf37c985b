//! Arbitrary bytes through the policy's JSON tree reader and serde_json's `from_slice`, which it
//! stands in for in the policy modules: the same tree, or the same error at the same place; the
//! same for checking without building (`IgnoredAny`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (tree, check) = secretfree::fuzzing::json_tree(data);
    let text = String::from_utf8_lossy(data);
    // serde_json gives its private raw-value marker key a meaning of its own; the tree does not.
    if text.contains("$serde_json::private::RawValue") {
        return;
    }
    let reference = serde_json::from_slice::<serde_json::Value>(data).map_err(|e| e.to_string());
    assert_eq!(tree, reference, "{text:?}");
    let reference = serde_json::from_slice::<serde::de::IgnoredAny>(data)
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(check, reference, "{text:?}");
});
