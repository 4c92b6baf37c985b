//! Arbitrary bytes through the request decoder and the typed serde_json decode it replaced:
//! both accept the same bytes, to the same request, and word a field of the wrong type the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ours, reference) = secretfree::fuzzing::decode_paths(data);
    let text = String::from_utf8_lossy(data);
    match (&ours, &reference) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
        (Err(a), Err(b)) => {
            let wrong_type = |v: &secretfree::Verdict| {
                v.findings
                    .first()
                    .is_some_and(|f| f.message.contains("field of the wrong type"))
            };
            if std::str::from_utf8(data).is_ok() && wrong_type(b) {
                assert_eq!(a, b, "{text:?}");
            }
        }
        _ => assert_eq!(
            ours.is_ok(),
            reference.is_ok(),
            "one decoder accepts, the other does not: {ours:?} {reference:?} {text:?}"
        ),
    }
});
