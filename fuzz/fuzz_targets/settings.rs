//! Arbitrary text as settings (JSON and YAML): no panic; every error names a problem; settings
//! that parse judge a fixed request into a verdict that keeps its promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretfree::Settings;
use secretfree_fuzz::{FIXED_REQUEST, check_verdict};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [Settings::from_json(text), Settings::from_yaml(text)] {
        match parsed {
            Ok(settings) => {
                let verdict = secretfree::evaluate_json(FIXED_REQUEST.as_bytes(), &settings);
                check_verdict(&verdict, &settings);
            }
            Err(errors) => {
                assert!(!errors.0.is_empty(), "an error without problems");
                let _ = errors.to_string();
            }
        }
    }
});
