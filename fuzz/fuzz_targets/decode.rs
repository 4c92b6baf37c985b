//! Arbitrary bytes through the request decoder and the typed serde_json decode it replaced:
//! both accept the same bytes, to the same request, and word a field of the wrong type the same
//! (but for how a few rare characters in a quoted string are escaped).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert_eq!(secretfree::fuzzing::decode_paths_disagree(data), None);
});
