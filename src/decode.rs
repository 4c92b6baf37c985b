//! From request bytes to an [`AdmissionRequest`]: the size and depth bounds, one typed decode,
//! and the `request-invalid` verdict that says what is wrong and where.

#![forbid(unsafe_code)]

use crate::context::Context;
use crate::model::{self, AdmissionRequest};
use crate::verdict::Verdict;
use crate::{MAX_DEPTH, MAX_INPUT_BYTES, eval, json, settings::Settings};

/// [`review_json`] for bytes whose nesting the caller already bounded (hosts scan the whole
/// payload that carries the request), so the scan is not done twice.
pub fn review_json_prescanned(
    request: &[u8],
    settings: &Settings,
    context: &Context,
) -> (String, Verdict) {
    review_decoded(decode_prescanned(request), settings, context)
}

/// [`decode`] for bytes whose nesting the caller already bounded.
pub fn decode_prescanned(
    request: &[u8],
) -> Result<(AdmissionRequest, model::InputShape), Box<Verdict>> {
    decode_with(request, false)
}

pub fn review_decoded(
    decoded: Result<(AdmissionRequest, model::InputShape), Box<Verdict>>,
    settings: &Settings,
    context: &Context,
) -> (String, Verdict) {
    match decoded {
        Ok((req, _)) => {
            let verdict = eval::evaluate_in(&req, settings, context);
            (req.uid, verdict)
        }
        Err(verdict) => (String::new(), *verdict),
    }
}

/// Decode request bytes into an [`AdmissionRequest`], or the `request-invalid` verdict saying why not.
pub fn decode(request: &[u8]) -> Result<(AdmissionRequest, model::InputShape), Box<Verdict>> {
    decode_with(request, true)
}

fn decode_with(
    request: &[u8],
    scan_nesting: bool,
) -> Result<(AdmissionRequest, model::InputShape), Box<Verdict>> {
    if request.len() > MAX_INPUT_BYTES {
        return Err(Box::new(Verdict::invalid(
            "",
            format!(
                "the request is {} bytes, more than the {MAX_INPUT_BYTES} bytes (3 MiB) the Kubernetes API server accepts",
                request.len()
            ),
        )));
    }
    if let Some(offset) = json::nesting_exceeds(request, MAX_DEPTH).filter(|_| scan_nesting) {
        return Err(Box::new(Verdict::invalid(
            "",
            format!(
                "the request nests objects or lists deeper than {MAX_DEPTH} levels (at byte {offset}); no Kubernetes object needs that"
            ),
        )));
    }
    match serde_json::from_slice::<model::Input>(request) {
        Ok(input) => input
            .into_request()
            .map_err(|msg| Box::new(Verdict::invalid("", msg))),
        Err(err) => Err(Box::new(describe_json_error(request, &err))),
    }
}

/// The most characters of serde's own error text a message keeps.
const MAX_DETAIL: usize = 200;

/// Describe a decoding failure: what went wrong and where (JSON pointer, relative to the object).
fn describe_json_error(request: &[u8], err: &serde_json::Error) -> Verdict {
    let mut pointer = if err.is_data() {
        json::pointer::pointer_at(request, err.line(), err.column())
    } else {
        String::new()
    };
    // Paths inside the object are reported relative to the object, like every other finding.
    for prefix in ["/request/object", "/object"] {
        if let Some(rest) = pointer.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            pointer = rest.to_owned();
            break;
        }
    }
    let what = if std::str::from_utf8(request).is_err() && err.is_syntax() {
        "the request is not valid UTF-8 JSON"
    } else if err.is_eof() {
        "the request ends early (truncated JSON)"
    } else if err.is_syntax() {
        "the request is not valid JSON"
    } else {
        "the request has a field of the wrong type"
    };
    let path_text = if pointer.is_empty() {
        String::new()
    } else {
        format!(" at {pointer}")
    };
    // The position depends on how the host laid out the bytes; the path does not.
    let detail = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    let detail = detail.strip_suffix(&position).unwrap_or(&detail);
    // serde quotes the offending value in full (`invalid type: string "…"`): keep it short.
    let detail = match detail.char_indices().nth(MAX_DETAIL) {
        Some((cut, _)) => format!("{}…", detail.get(..cut).unwrap_or_default()),
        None => detail.to_owned(),
    };
    Verdict::invalid(pointer.clone(), format!("{what}{path_text}: {detail}"))
}
