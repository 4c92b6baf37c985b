//! Arbitrary bytes as a request: the verdict keeps its promises under every fixed settings,
//! and a patch applies to the object the policy decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretfree::fuzzing::{apply_patch, decoded_object};
use secretfree_fuzz::{SETTINGS, check_verdict};

fuzz_target!(|data: &[u8]| {
    for (name, settings) in SETTINGS.iter() {
        let verdict = secretfree::evaluate_json(data, settings);
        check_verdict(&verdict, settings);
        if verdict.patch.is_empty() {
            continue;
        }
        let Some(mut object) = decoded_object(data) else {
            panic!(
                "{name}: a patch for input whose object does not decode: {}",
                verdict.to_json()
            );
        };
        if let Err(e) = apply_patch(&mut object, &verdict.patch) {
            panic!(
                "{name}: the patch does not apply: {e}: {}",
                verdict.to_json()
            );
        }
    }
});
