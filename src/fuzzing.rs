//! Thin wrappers over internal functions for the fuzz targets in `fuzz/` (feature `fuzzing`).
//!
//! Not an API: these exist so the fuzz targets and their seed generator can reach the parsers
//! without the modules behind them being public. Every function only forwards.

#![forbid(unsafe_code)]

use crate::verdict::PatchOp;
use serde_json::Value;

pub use crate::image::ImageRef;

/// [`ImageRef::parse`], the error as its reason text.
pub fn parse_image(text: &str) -> Result<ImageRef<'_>, String> {
    ImageRef::parse(text).map_err(|e| e.reason)
}

/// Request bytes the policy decodes as a JSON value, and the JSON pointer of the object it
/// judges in it: `/request/object` of an AdmissionReview, `/object` of an AdmissionRequest,
/// `""` (the whole document) for a bare object. `None` when the policy does not decode the
/// bytes or the request carries no object.
pub fn decoded_object(request: &[u8]) -> Option<(Value, &'static str)> {
    crate::decode(request).ok()?;
    let doc: Value = serde_json::from_slice(request).ok()?;
    // The three shapes the decoder reads (model::Input::into_request).
    let request_like = ["operation", "object", "uid"]
        .iter()
        .any(|k| doc.get(k).is_some())
        || doc.get("kind").is_some_and(Value::is_object);
    let pointer = if doc.get("request").is_some() {
        "/request/object"
    } else if request_like {
        "/object"
    } else {
        ""
    };
    doc.pointer(pointer)?;
    Some((doc, pointer))
}

/// Apply a verdict's RFC 6902 patch to an object ([`crate::patch::apply`]).
pub fn apply_patch(object: &mut Value, patch: &[PatchOp]) -> Result<(), String> {
    crate::patch::apply(object, patch).map_err(|e| e.0)
}

/// Apply a verdict's patch to the text of the object the request text carries, as the
/// Kubewarden module does (`model::request_object_text`, `patch::apply_text`);
/// `bare`: the request text is the object.
pub fn apply_patch_text(request: &str, bare: bool, patch: &[PatchOp]) -> Option<String> {
    let object = if bare {
        request
    } else {
        crate::model::request_object_text(request)?
    };
    crate::patch::apply_text(object, patch)
}

/// Every object of a manifest text, as `secretfree check` reads it (YAML stream or JSON,
/// `List`s unrolled).
#[cfg(feature = "yaml")]
pub fn manifest_objects(text: &str) -> Result<Vec<Value>, String> {
    crate::tools::manifest::parse_documents(text)
        .map(|docs| docs.into_iter().map(|d| d.value).collect())
        .map_err(|e| e.0)
}

/// One object of a manifest as `secretfree check` judged it.
#[cfg(feature = "yaml")]
#[derive(Debug, Clone, PartialEq)]
pub struct LintedObject {
    pub verdict: crate::Verdict,
    /// Whether the object is an AdmissionReview / AdmissionRequest rather than a bare object.
    pub admission: bool,
    /// The object with the verdict's patch applied (bare objects with a patch only).
    pub patched: Option<Value>,
}

/// Judge every object of a manifest text ([`crate::tools::lint::lint_text`]) and render what
/// `check --fix` prints; `Err` when the text is not a manifest.
#[cfg(feature = "yaml")]
pub fn lint_manifest(
    text: &str,
    settings: &crate::Settings,
) -> Result<(Vec<LintedObject>, String), String> {
    use crate::tools::lint;
    let linted = lint::lint_text(text, "<fuzz>", settings).map_err(|e| e.0)?;
    let fixed = lint::fixed_manifest(&linted, !lint::is_json_text(text));
    let objects = linted
        .into_iter()
        .map(|l| LintedObject {
            admission: lint::is_admission(&l.original),
            verdict: l.verdict,
            patched: l.patched,
        })
        .collect();
    Ok((objects, fixed))
}

/// The request bytes `secretfree check` evaluates for one manifest object: an AdmissionReview
/// or AdmissionRequest as it is, a bare object wrapped as a CREATE request.
#[cfg(feature = "yaml")]
pub fn request_bytes(object: &Value) -> Vec<u8> {
    let request = if crate::tools::lint::is_admission(object) {
        object.clone()
    } else {
        crate::tools::lint::request_for(object, None)
    };
    serde_json::to_vec(&request).unwrap_or_default()
}

/// Parse one YAML document into a JSON value, as settings files are read.
#[cfg(feature = "yaml")]
pub fn yaml_value(text: &str) -> Result<Value, String> {
    crate::yaml::to_value(text)
}

/// Every case of the suites under `dir` (`policies/cases`), resolved as the case runner does:
/// the request bytes evaluated and the settings document.
#[cfg(feature = "cli")]
pub fn case_requests(dir: &std::path::Path) -> Result<Vec<(Vec<u8>, Value)>, String> {
    Ok(crate::tools::suite::resolve_all(dir)?
        .into_iter()
        .map(|case| {
            let bytes = serde_json::to_vec(&case.request).unwrap_or_default();
            (bytes, case.settings_doc)
        })
        .collect())
}

/// The policy's decode of request bytes (the one-pass reader) and the typed serde_json decode it
/// replaced, kept as a reference: both accept the same bytes, to the same request, and where
/// serde_json finds a field of the wrong type in valid UTF-8, both give the same verdict.
pub fn decode_paths(
    request: &[u8],
) -> (
    Result<crate::AdmissionRequest<'_>, crate::Verdict>,
    Result<crate::AdmissionRequest<'_>, crate::Verdict>,
) {
    (
        crate::decode::decode(request).map_err(|v| *v),
        crate::decode::read_serde(request).map_err(|v| *v),
    )
}

/// How [`decode_paths`] disagree on `request`, if they do: one accepts and the other does not,
/// they give different requests, or, in valid UTF-8, they word a field of the wrong type
/// differently (but for how a few rare characters in a quoted string are escaped: serde_json
/// quotes with `Debug`, the policy with its own quoting, and the two differ on `\u{...}`).
pub fn decode_paths_disagree(request: &[u8]) -> Option<String> {
    let (ours, reference) = decode_paths(request);
    let text = String::from_utf8_lossy(request);
    match (&ours, &reference) {
        (Ok(a), Ok(b)) if a != b => Some(format!(
            "the two decoders disagree on {text:?}: {a:?} against {b:?}"
        )),
        (Err(a), Err(b)) => {
            let first = |v: &crate::Verdict| v.findings.first().map(|f| f.message.clone());
            let wrong_type = first(b).is_some_and(|m| m.contains("field of the wrong type"));
            let escapes = |v: &crate::Verdict| first(v).is_some_and(|m| m.contains("\\u{"));
            (std::str::from_utf8(request).is_ok()
                && wrong_type
                && !escapes(a)
                && !escapes(b)
                && a != b)
                .then(|| format!("the two decoders word {text:?} differently: {a:?} against {b:?}"))
        }
        (Ok(_), Ok(_)) => None,
        _ => Some(format!(
            "one decoder accepts {text:?}, the other does not: {ours:?} {reference:?}"
        )),
    }
}

/// The policy's JSON tree reader (`json::tree`) over `bytes`: the tree (or its error's text)
/// and the check (or its error's text), for comparing with serde_json's `from_slice` as a
/// `Value` and an `IgnoredAny`.
pub fn json_tree(bytes: &[u8]) -> (Result<Value, String>, Result<(), String>) {
    (
        crate::json::tree::from_slice(bytes).map_err(|e| e.to_string()),
        crate::json::tree::check(bytes).map_err(|e| e.to_string()),
    )
}
