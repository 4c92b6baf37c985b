//! Arbitrary bytes through both request decoders: where the one-pass reader reads the bytes,
//! serde_json reads them too, to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (fast, slow) = secretfree::fuzzing::decode_paths(data);
    if let Some(fast) = fast {
        assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(data));
    }
});
