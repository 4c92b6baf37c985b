//! From request bytes to an [`AdmissionRequest`]: the size and depth bounds, one typed decode,
//! and the `request-invalid` verdict that says what is wrong and where.

#![forbid(unsafe_code)]

use crate::context::Context;
use crate::model::{self, AdmissionRequest};
use crate::verdict::Verdict;
use crate::{MAX_DEPTH, MAX_INPUT_BYTES, eval, json, settings::Settings};

/// [`decode`] for bytes whose nesting the caller already bounded.
pub fn decode_prescanned(request: &[u8]) -> Result<AdmissionRequest<'_>, Box<Verdict>> {
    decode_with(request, false)
}

/// The request read from the text of `request` (a host's envelope may have decoded it while
/// reading the envelope: `decoded`).
pub(crate) fn decode_text<'a>(
    request: &'a str,
    decoded: Option<model::Input<'a>>,
) -> Result<AdmissionRequest<'a>, Box<Verdict>> {
    match decoded {
        // Over the size bound, the request is refused as `decode` refuses it.
        Some(input) if request.len() <= MAX_INPUT_BYTES => from_input(input),
        _ => decode_prescanned(request.as_bytes()),
    }
}

/// The request a decoded input holds, or why it holds none.
fn from_input(input: model::Input<'_>) -> Result<AdmissionRequest<'_>, Box<Verdict>> {
    input
        .into_request()
        .map_err(|msg| Box::new(Verdict::invalid("", msg)))
}

/// The uid and the verdict of a decoded request (or the decoding failure's verdict).
pub fn review_decoded(
    request: &[u8],
    decoded: Result<AdmissionRequest<'_>, Box<Verdict>>,
    settings: &Settings,
    context: &Context,
) -> (String, Verdict) {
    let uid = decoded
        .as_ref()
        .map(|req| req.uid.to_string())
        .unwrap_or_default();
    (uid, verdict_decoded(request, decoded, settings, context))
}

/// The verdict of a decoded request (or the decoding failure's verdict), without its uid.
pub fn verdict_decoded(
    request: &[u8],
    decoded: Result<AdmissionRequest<'_>, Box<Verdict>>,
    settings: &Settings,
    context: &Context,
) -> Verdict {
    match decoded {
        Ok(req) => patchable(request, eval::evaluate_in(&req, settings, context)),
        Err(verdict) => *verdict,
    }
}

/// `verdict`, unless it has a patch and `request` cannot be read as a JSON tree: applying the
/// patch needs one, and the typed decode never builds the fields it skips.
pub fn patchable(request: &[u8], verdict: Verdict) -> Verdict {
    if verdict.patch.is_empty() {
        return verdict;
    }
    match json::tree::from_slice(request) {
        Ok(_) => verdict,
        Err(err) => unpatchable(request, &err),
    }
}

/// The verdict for a request that needs a repair but cannot be read as a JSON tree, which
/// applying the patch needs: the decoder skips the fields it does not read without building
/// their values, so a lone UTF-16 surrogate escape or a number out of range there passes it.
fn unpatchable(request: &[u8], err: &json::tree::Error) -> Verdict {
    let pointer = object_relative(json::pointer::pointer_at(request, err.line(), err.column()));
    Verdict::invalid(
        pointer.clone(),
        format!(
            "the request needs a repair, but its JSON has a value that cannot be read back to apply it{}: {}",
            at(&pointer),
            json_error_detail(err)
        ),
    )
}

/// Decode request bytes into an [`AdmissionRequest`], or the `request-invalid` verdict saying why not.
pub fn decode(request: &[u8]) -> Result<AdmissionRequest<'_>, Box<Verdict>> {
    decode_with(request, true)
}

fn decode_with(request: &[u8], scan_nesting: bool) -> Result<AdmissionRequest<'_>, Box<Verdict>> {
    if request.len() > MAX_INPUT_BYTES {
        return Err(Box::new(Verdict::invalid(
            "",
            format!(
                "the request is {} bytes, more than the {MAX_INPUT_BYTES} bytes (3 MiB) the Kubernetes API server accepts",
                request.len()
            ),
        )));
    }
    // Invalid UTF-8 is refused, but what comes before it is read first: an earlier fault is
    // the one to name (the replacement characters only shift what follows them).
    let err = match std::str::from_utf8(request) {
        Ok(text) => match json::reader::decode::<model::Input>(text, MAX_DEPTH) {
            Ok(input) => return from_input(input),
            Err(err) => (Some(err), None),
        },
        Err(bad) => {
            let text = json::lossy(request);
            match json::reader::decode::<model::Input>(&text, MAX_DEPTH) {
                Ok(_) => (None, Some(bad.valid_up_to())),
                Err(err) => (Some(err), Some(bad.valid_up_to())),
            }
        }
    };
    Err(Box::new(describe_failure(
        request,
        scan_nesting,
        err.1,
        err.0,
    )))
}

/// The nesting bound's verdict, for the bracket at byte `offset`.
fn too_deep(offset: usize) -> Verdict {
    Verdict::invalid(
        "",
        format!(
            "the request nests objects or lists deeper than {MAX_DEPTH} levels (at byte {offset}); no Kubernetes object needs that"
        ),
    )
}

/// The `request-invalid` verdict for bytes the reader did not read (`err`, or invalid UTF-8 at
/// `bad_utf8`): nesting beyond the bound first (the whole text is scanned unless the caller
/// did), then a field of the wrong type, else what serde_json's parser says is not JSON.
fn describe_failure(
    request: &[u8],
    scan_nesting: bool,
    bad_utf8: Option<usize>,
    err: Option<json::reader::Error>,
) -> Verdict {
    use json::reader::ErrorKind;
    let kind = err.as_ref().map(json::reader::Error::kind);
    let depth = match kind {
        Some(ErrorKind::Depth { offset }) => Some(*offset),
        _ => None,
    };
    if let Some(offset) = json::nesting_exceeds(request, MAX_DEPTH)
        .filter(|_| scan_nesting)
        .or(depth)
    {
        return too_deep(offset);
    }
    let before_bad_utf8 = |offset: usize| bad_utf8.is_none_or(|bad| offset <= bad);
    match kind {
        Some(ErrorKind::Data { message, offset }) if before_bad_utf8(offset.unwrap_or(0)) => {
            let pointer = object_relative(json::pointer::pointer_at_offset(
                request,
                offset.unwrap_or(0),
            ));
            return Verdict::invalid(
                pointer.clone(),
                format!(
                    "the request has a field of the wrong type{}: {}",
                    at(&pointer),
                    detail(message)
                ),
            );
        }
        Some(ErrorKind::Syntax {
            offset,
            message: Some(message),
        }) if before_bad_utf8(*offset) => {
            let what = if bad_utf8.is_some() {
                "the request is not valid UTF-8 JSON"
            } else {
                "the request is not valid JSON"
            };
            return Verdict::invalid("", format!("{what}: {message}"));
        }
        _ => {}
    }
    // What is not JSON (and where a truncation is) in serde_json's words, as it always was.
    if let Err(err) = json::tree::check(request) {
        return describe_json_error(request, &err);
    }
    match bad_utf8 {
        Some(offset) => invalid_utf8(request, offset),
        None => Verdict::invalid("", "the request is not valid JSON".to_owned()),
    }
}

/// The typed decode by serde_json that the reader replaced, kept as the reference it is checked
/// against (`fuzz/` and the tests below): where one accepts the bytes, the other gives the same
/// request.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn read_serde(request: &[u8]) -> Result<AdmissionRequest<'_>, Box<Verdict>> {
    if let Some(offset) = json::nesting_exceeds(request, MAX_DEPTH) {
        return Err(Box::new(too_deep(offset)));
    }
    match serde_json::from_slice::<model::Input>(request) {
        Ok(input) => {
            // The decoder skips the strings of fields it does not read without checking
            // their UTF-8: check the whole request, as for the fields it reads.
            if let Err(err) = std::str::from_utf8(request) {
                return Err(Box::new(invalid_utf8(request, err.valid_up_to())));
            }
            input
                .into_request()
                .map_err(|msg| Box::new(Verdict::invalid("", msg)))
        }
        Err(err) => Err(Box::new(describe_json_error(request, &err.into()))),
    }
}

/// The verdict for JSON that holds invalid UTF-8 at byte `offset`, in a string the decoder skipped.
fn invalid_utf8(request: &[u8], offset: usize) -> Verdict {
    let (line, column) = json::tree::line_column(request, offset);
    let pointer = object_relative(json::pointer::pointer_at(request, line, column));
    Verdict::invalid(
        pointer.clone(),
        format!(
            "the request is not valid UTF-8 JSON{}: a string holds bytes that are not UTF-8",
            at(&pointer)
        ),
    )
}

/// ` at <pointer>`, or nothing for the root.
fn at(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!(" at {pointer}")
    }
}

/// A pointer into the request made relative to the object, like every other finding's path.
fn object_relative(mut pointer: String) -> String {
    for prefix in ["/request/object", "/object"] {
        if let Some(rest) = pointer.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            pointer = rest.to_owned();
            break;
        }
    }
    pointer
}

/// The most characters of serde's own error text a message keeps.
const MAX_DETAIL: usize = 200;

/// serde_json's message without its position (which depends on how the host laid out the
/// bytes), cut as [`detail`] cuts.
fn json_error_detail(err: &json::tree::Error) -> String {
    detail(err.message())
}

/// A decoder's message cut to [`MAX_DETAIL`] characters (serde quotes an offending value in full).
fn detail(message: &str) -> String {
    match message.char_indices().nth(MAX_DETAIL) {
        Some((cut, _)) => format!("{}…", message.get(..cut).unwrap_or_default()),
        None => message.to_owned(),
    }
}

/// Describe a decoding failure: what went wrong and where (JSON pointer, relative to the object).
fn describe_json_error(request: &[u8], err: &json::tree::Error) -> Verdict {
    let pointer = if err.is_data() {
        object_relative(json::pointer::pointer_at(request, err.line(), err.column()))
    } else {
        String::new()
    };
    let what = if std::str::from_utf8(request).is_err() && err.is_syntax() {
        "the request is not valid UTF-8 JSON"
    } else if err.is_eof() {
        "the request ends early (truncated JSON)"
    } else if err.is_syntax() {
        "the request is not valid JSON"
    } else {
        "the request has a field of the wrong type"
    };
    Verdict::invalid(
        pointer.clone(),
        format!("{what}{}: {}", at(&pointer), json_error_detail(err)),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use crate::{RuleId, Settings, evaluate_json};

    /// The one `request-invalid` finding of a verdict: (path, message).
    fn invalid(request: &[u8], settings: &Settings) -> (String, String) {
        let v = evaluate_json(request, settings);
        assert!(!v.allowed && v.patch.is_empty(), "{}", v.to_json());
        assert_eq!(v.findings.len(), 1, "{}", v.to_json());
        assert_eq!(v.findings[0].rule, RuleId::RequestInvalid);
        (v.findings[0].path.clone(), v.findings[0].message.clone())
    }

    fn mutating() -> Settings {
        Settings {
            mutate: true,
            ..Settings::default()
        }
    }

    #[test]
    fn the_reader_words_errors_as_serde_json_did() {
        let pod =
            |spec: &str| format!(r#"{{"kind":"Pod","metadata":{{"name":"a"}},"spec":{spec}}}"#);
        for text in [
            pod(r#"{"containers":"nginx"}"#),
            pod(r#"{"containers":[{"name":"a","image":3}]}"#),
            pod(r#"{"containers":[{"name":"a"},{"image":-3}]}"#),
            pod(r#"{"containers":[{"image":1.5e3}]}"#),
            pod(r#"{"containers":[{"image":{"a":1}}]}"#),
            pod(r#"{"containers":[{"image":["x"]}]}"#),
            pod(r#"{"containers":[{"image":true}]}"#),
            pod(r#"{"nodeSelector":{"a":null,"b":false}}"#),
            pod(r#"{"images":["a",{"b":1}]}"#),
            pod(r#"{"imageCacheSize":1e999}"#),
            pod(r#"{"imagePullSecrets":[3]}"#),
            pod(r#"{"containers":[{"image":"\ud800"}]}"#),
            pod(r#"{"containers":[{"image":"\udc00"}]}"#),
            pod(r#"{"containers":[{"image":"\ud800\u0041"}]}"#),
            pod(r#"{"containers":[{"image":"x"},]}"#),
            pod(r#"{"containers":[{"image":"x"}"#),
            r#"{"kind":5}"#.to_owned(),
            r#"{"kind":[1]}"#.to_owned(),
            r#"{"request":{"kind":"Pod","object":{"kind":"Pod"}}}"#.to_owned(),
            r#"{"request":[]}"#.to_owned(),
            "[1,2]".to_owned(),
            "42".to_owned(),
            "not json".to_owned(),
            String::new(),
        ] {
            let ours = super::decode(text.as_bytes()).map_err(|v| v.to_json());
            let reference = super::read_serde(text.as_bytes()).map_err(|v| v.to_json());
            assert_eq!(ours, reference, "{text}");
        }
        // Floats read as serde_json reads them.
        let text = pod(r#"{"images":[1.5,-0,18446744073709551616]}"#);
        assert_eq!(
            super::decode(text.as_bytes()).map_err(|v| v.to_json()),
            super::read_serde(text.as_bytes()).map_err(|v| v.to_json())
        );
    }

    #[test]
    fn invalid_utf8_in_fields_the_decoder_skips_is_request_invalid() {
        // Found by fuzz/ (evaluate_json, minimised): the bytes decoded, the legacy key got a
        // rename patch, and the object could not be read to apply it.
        let found = b"{\"kind\":{\"group\":\"batch\",\"kind\":\"CronJob\"},\"operation\":\"CREATE\",\"object\":{\"spec\":{\"\":\" \",\"jobTemplate\":{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"k8s.aliyun.com/acr-instance-id\":\"\"}},\"\":{\"et\":\"\xff\"}}}}}}}";
        let (path, message) = invalid(found, &mutating());
        assert_eq!(path, "/spec/jobTemplate/spec/template//et");
        assert!(message.contains("not valid UTF-8"), "{message}");
        // Without mutation too, and the path names the string.
        let (path, _) = invalid(
            b"{\"kind\":\"Pod\",\"metadata\":{\"x\":[\"a\",\n\"\xff\"]}}",
            &Settings::default(),
        );
        assert_eq!(path, "/metadata/x/1");
        let (path, _) = invalid(
            b"{\"request\":{\"uid\":\"1\",\"operation\":\"CREATE\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"kind\":\"Pod\",\"metadata\":{\"nme\":\"\xff\"}}}}",
            &Settings::default(),
        );
        assert_eq!(path, "/metadata/nme");
    }

    #[test]
    fn a_repair_of_json_no_tree_can_hold_is_request_invalid() {
        // A value the decoder skips but a JSON tree cannot hold (lone surrogate, number out of
        // range): the patch could not be applied, so the verdict may not promise it.
        let deployment = |x: &str| {
            format!(
                r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"w","annotations":{{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}}}},"spec":{{"x":{x},"template":{{"metadata":{{"labels":{{"alibabacloud.com/eci":"true"}}}},"spec":{{"containers":[{{"name":"a","image":"nginx"}}]}}}}}}}}"#
            )
        };
        for (x, detail) in [
            (r#""\udc00""#, "surrogate"),
            (r#""\ud800""#, "hex escape"),
            ("1e999", "out of range"),
        ] {
            let (path, message) = invalid(deployment(x).as_bytes(), &mutating());
            assert_eq!(path, "/spec/x", "{x}");
            assert!(
                message.contains("needs a repair") && message.contains(detail),
                "{message}"
            );
            // Without a repair the value does not matter, as before.
            let v = evaluate_json(deployment(x).as_bytes(), &Settings::default());
            assert!(
                v.rule_ids().contains(&"annotation-misplaced"),
                "{}",
                v.to_json()
            );
        }
        let v = evaluate_json(deployment("1").as_bytes(), &mutating());
        assert!(v.allowed && !v.patch.is_empty(), "{}", v.to_json());
    }
}
