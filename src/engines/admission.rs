//! AdmissionReview responses (the `review` command, the OPA-mode result): the deny message,
//! the warnings, the base64 patch.

#![forbid(unsafe_code)]

use crate::rules::Action;
use crate::verdict::{Finding, Verdict};
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

/// The denial message: a short summary line, then every finding on a line of its own (deny
/// findings first, then warnings), in full: `[rule] message (at /path); fix: ...`. Audit
/// reports (Kubewarden PolicyReports) show this text as it is, so one finding per line keeps
/// them readable. `None` when nothing denies.
pub fn deny_message(verdict: &Verdict) -> Option<String> {
    let denies = verdict.with_action(Action::Deny).count();
    if denies == 0 {
        return None;
    }
    use std::fmt::Write;
    let warns = verdict.with_action(Action::Warn).count();
    let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    // Room for every line: one allocation instead of a string that doubles its way there.
    let mut message = String::with_capacity(verdict.text_len());
    // Writing into a `String` does not fail.
    let _ = write!(
        message,
        "secretfree: {denies} {} the request",
        plural(denies, "finding denies", "findings deny")
    );
    if warns > 0 {
        let _ = write!(
            message,
            ", {warns} {}",
            plural(warns, "warning", "warnings")
        );
    }
    for finding in verdict.with_action(Action::Deny) {
        message.push('\n');
        Verdict::write_line(&mut message, finding);
    }
    for finding in verdict.with_action(Action::Warn) {
        message.push_str("\nwarning: ");
        Verdict::write_line(&mut message, finding);
    }
    Some(message)
}

/// The longest admission warning, in characters (what Kubernetes recommends for the
/// `warnings` of an AdmissionResponse).
pub const MAX_WARNING_CHARS: usize = 120;

/// One admission warning: `[rule] message`, at most [`MAX_WARNING_CHARS`] characters (cut on
/// a character boundary, ending in `…`), control characters shown as spaces. The full text
/// is in the verdict (the CLI, the playground) and, when the request is denied, in the deny
/// message.
pub fn warning(finding: &Finding) -> String {
    let full = format!("[{}] {}", finding.rule.id(), finding.message);
    let clean = |c: char| if c.is_control() { ' ' } else { c };
    if full.chars().count() <= MAX_WARNING_CHARS {
        return full.chars().map(clean).collect();
    }
    let mut short: String = full
        .chars()
        .take(MAX_WARNING_CHARS.saturating_sub(1))
        .map(clean)
        .collect();
    short.truncate(short.trim_end().len());
    short.push('…');
    short
}

/// The warnings: every warn finding, one entry each, shortened by [`warning`].
pub fn warnings(verdict: &Verdict) -> Vec<String> {
    verdict.with_action(Action::Warn).map(warning).collect()
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

/// [`admission_review`] as serde_json writes it, written without building the value.
pub fn admission_review_json(out: &mut String, uid: &str, verdict: &Verdict) {
    use crate::json::write::{Field, object, string};
    let response = |o: &mut String| {
        let message = deny_message(verdict);
        let warnings = warnings(verdict);
        let patch = (verdict.allowed && !verdict.patch.is_empty()).then(|| {
            let mut text = String::new();
            patch_json(&mut text, &verdict.patch);
            base64(text.as_bytes())
        });
        let uid = |o: &mut String| string(o, uid);
        let allowed = |o: &mut String| o.push_str(if verdict.allowed { "true" } else { "false" });
        let status = |o: &mut String| {
            object(
                o,
                &mut [
                    ("code", &|o| o.push_str("403")),
                    ("message", &|o| {
                        string(o, message.as_deref().unwrap_or_default())
                    }),
                ],
            );
        };
        let warned = |o: &mut String| crate::json::write::strings(o, &warnings);
        let patch_type = |o: &mut String| string(o, "JSONPatch");
        let patched = |o: &mut String| string(o, patch.as_deref().unwrap_or_default());
        let mut fields: Vec<Field<'_>> = vec![("uid", &uid), ("allowed", &allowed)];
        if message.is_some() {
            fields.push(("status", &status));
        }
        if !warnings.is_empty() {
            fields.push(("warnings", &warned));
        }
        if patch.is_some() {
            fields.push(("patchType", &patch_type));
            fields.push(("patch", &patched));
        }
        object(o, &mut fields);
    };
    object(
        out,
        &mut [
            ("apiVersion", &|o| string(o, "admission.k8s.io/v1")),
            ("kind", &|o| string(o, "AdmissionReview")),
            ("response", &response),
        ],
    );
}

/// An RFC 6902 patch as serde_json writes `Vec<PatchOp>`: `op`, `path`, then `value` when
/// there is one, in that order (a serialised map, not a `serde_json::Map`).
pub(crate) fn patch_json(out: &mut String, patch: &[crate::verdict::PatchOp]) {
    use crate::json::write::{string, value};
    out.push('[');
    for (i, op) in patch.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"op\":");
        string(out, op.op.as_str());
        out.push_str(",\"path\":");
        string(out, &op.path);
        if let Some(v) = &op.value {
            out.push_str(",\"value\":");
            value(out, v);
        }
        out.push('}');
    }
    out.push(']');
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    fn finding(rule: RuleId, action: Action, message: &str) -> Finding {
        Finding {
            rule,
            action,
            path: "/metadata/annotations".into(),
            message: message.into(),
            fix: "do this".into(),
        }
    }

    #[test]
    fn the_deny_message_has_one_finding_per_line_after_a_summary() {
        let v = Verdict::new(
            vec![
                finding(
                    RuleId::ImageInvalid,
                    Action::Deny,
                    "image \"a b\" does not parse",
                ),
                finding(
                    RuleId::PlaceholderValue,
                    Action::Deny,
                    "value \"****\" is masked",
                ),
                finding(
                    RuleId::PullSecretRedundant,
                    Action::Warn,
                    "secrets are not needed",
                ),
            ],
            Vec::new(),
        );
        let message = deny_message(&v).unwrap();
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(
            lines,
            [
                "secretfree: 2 findings deny the request, 1 warning",
                "[image-invalid] image \"a b\" does not parse (at /metadata/annotations); fix: do this",
                "[placeholder-value] value \"****\" is masked (at /metadata/annotations); fix: do this",
                "warning: [pull-secret-redundant] secrets are not needed (at /metadata/annotations); fix: do this",
            ]
        );
        let warned = Verdict::new(
            vec![finding(RuleId::PullSecretRedundant, Action::Warn, "x")],
            Vec::new(),
        );
        assert_eq!(deny_message(&warned), None);
        assert_eq!(warnings(&warned), ["[pull-secret-redundant] x"]);
    }

    #[test]
    fn warnings_stay_within_120_characters_and_cut_between_characters() {
        let long = "ü".repeat(300);
        let w = warning(&finding(RuleId::PullSecretRedundant, Action::Warn, &long));
        assert_eq!(w.chars().count(), MAX_WARNING_CHARS);
        assert!(
            w.starts_with("[pull-secret-redundant] üü") && w.ends_with("ü…"),
            "{w}"
        );
        let exact = "x".repeat(MAX_WARNING_CHARS - "[pull-secret-redundant] ".len());
        let w = warning(&finding(RuleId::PullSecretRedundant, Action::Warn, &exact));
        assert_eq!(w.chars().count(), MAX_WARNING_CHARS);
        assert!(w.ends_with('x'));
        let w = warning(&finding(
            RuleId::PullSecretRedundant,
            Action::Warn,
            "a\nb\tc",
        ));
        assert_eq!(w, "[pull-secret-redundant] a b c");
    }

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
