//! Arbitrary text as a manifest, read and judged object by object as `secretfree check` does
//! (with `--fix` output): no panic; verdicts keep their promises; a bare object's patch applies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretfree::fuzzing::lint_manifest;
use secretfree_fuzz::{SETTINGS, check_verdict};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The defaults and the multi-team settings (scope `all`, mutation on).
    for (_, settings) in SETTINGS.iter().take(2) {
        let Ok((objects, _fixed)) = lint_manifest(text, settings) else {
            return;
        };
        for object in &objects {
            check_verdict(&object.verdict, settings);
            if !object.verdict.patch.is_empty() && !object.admission {
                assert!(
                    object.patched.is_some(),
                    "the patch does not apply: {}",
                    object.verdict.to_json()
                );
            }
        }
    }
});
