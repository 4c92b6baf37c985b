//! secretfree: an admission policy for Alibaba Cloud ECI secret-free image pulls from ACR.
//!
//! One pure core (no I/O) that every host calls: [`evaluate_json`] takes the bytes of an
//! AdmissionReview, an AdmissionRequest or a bare object and returns a [`Verdict`].
#![deny(unsafe_code)]

pub mod acr;
mod adapters;
mod checks;
pub mod eval;
/// Wrappers over internal parsers for the fuzz targets in `fuzz/` only; not an API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod grammar;
pub mod hosts;
pub mod image;
pub mod jsonpath;
pub mod keys;
pub mod model;
pub mod patch;
mod repair;
pub mod response;
pub mod rules;
mod scope;
pub mod settings;
/// Native tooling behind the `yaml`/`cli` features: manifests, per-object linting (CLI and
/// playground), the case runner; not part of the policy core.
#[cfg(feature = "yaml")]
pub mod tools;
pub mod verdict;
mod workload;
#[cfg(feature = "yaml")]
mod yaml;

pub use model::AdmissionRequest;
pub use rules::{Action, RuleId};
pub use settings::{Settings, SettingsError, SettingsErrors};
pub use verdict::{Finding, PatchKind, PatchOp, Verdict};

/// The largest input the policy reads (the API server's own request body limit).
pub const MAX_INPUT_BYTES: usize = 3 * 1024 * 1024;

/// The deepest nesting of objects and lists the policy reads. Kubernetes objects stay far
/// below it; the bound keeps every parser's recursion small enough for a 64 KiB wasm stack.
pub const MAX_DEPTH: usize = 64;

/// Byte offset where JSON nesting first exceeds `limit`, if it does. One pass, no allocation:
/// the parser skips unknown fields without recursion, so depth is bounded here for all of them.
pub fn nesting_exceeds(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // Skip the string: jump from quote/backslash to the next one.
                let mut j = i + 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', bytes.get(j..).unwrap_or_default()) {
                        Some(k) if bytes.get(j + k) == Some(&b'\\') => j += k + 2,
                        Some(k) => {
                            j += k;
                            break;
                        }
                        None => return None,
                    }
                }
                i = j;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Evaluate an AdmissionRequest (or whole AdmissionReview, or a bare object treated as CREATE).
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    eval::evaluate(request, settings)
}

/// Decode and evaluate request bytes. Malformed input gives a `request-invalid` deny verdict.
pub fn evaluate_json(request: &[u8], settings: &Settings) -> Verdict {
    review_json(request, settings).1
}

/// [`evaluate_json`] plus the request's `uid` (empty when the bytes do not decode): what an
/// AdmissionReview response echoes, from the same single decode.
pub fn review_json(request: &[u8], settings: &Settings) -> (String, Verdict) {
    review_decoded(decode(request), settings)
}

/// [`review_json`] for bytes whose nesting the caller already bounded (hosts scan the whole
/// payload that carries the request), so the scan is not done twice.
pub(crate) fn review_json_prescanned(request: &[u8], settings: &Settings) -> (String, Verdict) {
    review_decoded(decode_with(request, false), settings)
}

fn review_decoded(
    decoded: Result<(AdmissionRequest, model::InputShape), Box<Verdict>>,
    settings: &Settings,
) -> (String, Verdict) {
    match decoded {
        Ok((req, _)) => {
            let verdict = eval::evaluate(&req, settings);
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
    if let Some(offset) = nesting_exceeds(request, MAX_DEPTH).filter(|_| scan_nesting) {
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

/// Describe a decoding failure: what went wrong and where (JSON pointer, relative to the object).
fn describe_json_error(request: &[u8], err: &serde_json::Error) -> Verdict {
    let mut pointer = if err.is_data() {
        jsonpath::pointer_at(request, err.line(), err.column())
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
    Verdict::invalid(pointer.clone(), format!("{what}{path_text}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::nesting_exceeds;

    #[test]
    fn nesting_scan_skips_strings_and_escapes() {
        assert_eq!(nesting_exceeds(br#"{"a":[[1]]}"#, 3), None);
        assert_eq!(nesting_exceeds(br#"{"a":[[[1]]]}"#, 3), Some(7));
        // Brackets inside strings, escaped quotes and escaped backslashes do not count.
        assert_eq!(nesting_exceeds(br#"{"a":"[[[[\"{{{{\\","b":[1]}"#, 2), None);
        assert_eq!(nesting_exceeds(br#"{"a":"\\\\","b":[[1]]}"#, 2), Some(17));
        // An unterminated string ends the scan (the parser reports it).
        assert_eq!(nesting_exceeds(br#"{"a":"[[[["#, 1), None);
        assert_eq!(nesting_exceeds(b"", 0), None);
    }
}
