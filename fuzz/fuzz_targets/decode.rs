//! Arbitrary bytes through the request decoder and the typed serde_json decode it replaced:
//! both accept the same bytes, to the same request, and word a field of the wrong type the same
//! (but for how a few rare characters in a quoted string are escaped).
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
            // serde_json quotes the offending string with `Debug`, the policy with its own
            // quoting, and the two escape a few rare characters differently (`\u{...}`).
            let escapes = |v: &secretfree::Verdict| {
                v.findings
                    .first()
                    .is_some_and(|f| f.message.contains("\\u{"))
            };
            if std::str::from_utf8(data).is_ok() && wrong_type(b) && !escapes(a) && !escapes(b) {
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
