//! Arbitrary text as an image reference: no panic, and a parsed reference's `Display` form
//! re-parses to the same value. The exception `src/image.rs` documents: a single-label host
//! recognised only by its upper case (`Foo/bar`) is lower-cased, so its `Display` form no
//! longer names a registry and re-reads differently.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretfree::fuzzing::{ImageRef, parse_image};

/// Whether the first component of `Display` is read as a registry host again.
fn host_is_recognisable(r: &ImageRef) -> bool {
    r.port.is_some() || r.host.contains(['.', ':']) || r.host == "localhost"
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = parse_image(text) else {
        return;
    };
    let shown = parsed.to_string();
    let reparsed = parse_image(&shown);
    if host_is_recognisable(&parsed) {
        match reparsed {
            Ok(again) => assert_eq!(again, parsed, "{text:?} displays as {shown:?}"),
            Err(e) => panic!("{text:?} displays as {shown:?}, which does not parse: {e}"),
        }
    } else {
        assert!(
            text.split('/')
                .next()
                .is_some_and(|h| h.chars().any(|c| c.is_ascii_uppercase())),
            "{text:?}: host {:?} is not recognisable, yet not by its upper case",
            parsed.host
        );
    }
});
