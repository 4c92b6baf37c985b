//! AdmissionReview responses (the `review` command, the OPA-mode result): the deny message,
//! the warnings, the base64 patch.

#![forbid(unsafe_code)]

use crate::rules::Action;
use crate::verdict::Verdict;
use serde_json::{Map, Value, json};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (the encoding of `response.patch`).
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let idx = ((n >> shift) & 63) as usize;
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The denial message: every deny finding as one line, joined.
pub fn deny_message(verdict: &Verdict) -> Option<String> {
    let lines: Vec<String> = verdict
        .with_action(Action::Deny)
        .map(Verdict::line)
        .collect();
    if lines.is_empty() {
        None
    } else {
        Some(lines.join("; "))
    }
}

/// The warnings: every warn finding as one line.
pub fn warnings(verdict: &Verdict) -> Vec<String> {
    verdict
        .with_action(Action::Warn)
        .map(Verdict::line)
        .collect()
}

/// The `response` object of an admission.k8s.io/v1 AdmissionReview.
pub fn admission_response(uid: &str, verdict: &Verdict) -> Value {
    let mut response = Map::new();
    response.insert("uid".into(), Value::String(uid.to_owned()));
    response.insert("allowed".into(), Value::Bool(verdict.allowed));
    if let Some(message) = deny_message(verdict) {
        response.insert("status".into(), json!({"code": 403, "message": message}));
    }
    let warnings = warnings(verdict);
    if !warnings.is_empty() {
        response.insert("warnings".into(), json!(warnings));
    }
    if verdict.allowed && !verdict.patch.is_empty() {
        let patch = serde_json::to_vec(&verdict.patch).unwrap_or_default();
        response.insert("patchType".into(), Value::String("JSONPatch".into()));
        response.insert("patch".into(), Value::String(base64(&patch)));
    }
    Value::Object(response)
}

/// A whole AdmissionReview carrying the response.
pub fn admission_review(uid: &str, verdict: &Verdict) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": admission_response(uid, verdict),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
    }
}
