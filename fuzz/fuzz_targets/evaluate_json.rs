//! Arbitrary bytes as a request: the verdict keeps its promises under every fixed settings; a
//! patch applies to the object the policy decoded, and the patched request needs no repair.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretfree::Action;
use secretfree::fuzzing::{apply_patch, apply_patch_text, decoded_object};
use secretfree_fuzz::{SETTINGS, check_verdict};

fuzz_target!(|data: &[u8]| {
    for (name, settings) in SETTINGS.iter() {
        let verdict = secretfree::evaluate_json(data, settings);
        check_verdict(&verdict, settings);
        if verdict.patch.is_empty() {
            continue;
        }
        let json = verdict.to_json();
        let Some((mut doc, pointer)) = decoded_object(data) else {
            panic!("{name}: a patch for input whose object does not decode: {json}");
        };
        let Some(object) = doc.pointer_mut(pointer) else {
            panic!("{name}: no object at {pointer:?}: {json}");
        };
        if let Err(e) = apply_patch(object, &verdict.patch) {
            panic!("{name}: the patch does not apply: {e}: {json}");
        }
        // The Kubewarden module patches the object's text: the same object.
        let text = std::str::from_utf8(data).unwrap_or_default();
        let Some(patched) = apply_patch_text(text, pointer.is_empty(), &verdict.patch) else {
            panic!("{name}: the patch does not apply to the object's text: {json}");
        };
        let patched: serde_json::Value = serde_json::from_str(&patched).unwrap_or_default();
        assert_eq!(&patched, &*object, "{name}: the text patch differs: {json}");
        // The repaired request, judged again, has nothing left to repair.
        let repaired = serde_json::to_vec(&doc).unwrap_or_default();
        let again = secretfree::evaluate_json(&repaired, settings);
        check_verdict(&again, settings);
        assert!(
            again.patch.is_empty() && again.with_action(Action::Mutated).next().is_none(),
            "{name}: the repaired request still needs a repair: {json} then {}",
            again.to_json()
        );
    }
});
