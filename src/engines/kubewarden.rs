//! Kubewarden's waPC protocol: `validate` (`{request, settings}` → ValidationResponse) and
//! `validate_settings`.

#![forbid(unsafe_code)]

use super::{admission, envelope, evaluate_raw, settings_denial, settings_from};
use crate::settings::Settings;
use crate::verdict::Verdict;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// The object in an AdmissionRequest with the verdict's patch applied.
fn patched_object(request: &RawValue, verdict: &Verdict) -> Option<Value> {
    if verdict.patch.is_empty() {
        return None;
    }
    let mut req: Value = serde_json::from_str(request.get()).ok()?;
    let mut object = crate::model::request_object_mut(&mut req)?.take();
    crate::patch::apply(&mut object, &verdict.patch).ok()?;
    Some(object)
}

/// Kubewarden `validate`: `{request, settings}` → ValidationResponse. A denial is a normal
/// response (`accepted: false`), never an error.
pub fn kubewarden_validate(payload: &[u8]) -> Value {
    let (verdict, mutated) = match envelope(payload) {
        Err(v) => (v, None),
        Ok(env) => match settings_from(env.settings.as_ref()) {
            Err(e) => (settings_denial(&e), None),
            Ok(settings) => {
                let (_, verdict) = evaluate_raw(env.request, &settings);
                let mutated = if verdict.allowed {
                    env.request.and_then(|r| patched_object(r, &verdict))
                } else {
                    None
                };
                (verdict, mutated)
            }
        },
    };
    kubewarden_response(&verdict, mutated)
}

/// The Kubewarden ValidationResponse for a verdict.
pub fn kubewarden_response(verdict: &Verdict, mutated_object: Option<Value>) -> Value {
    let warnings = admission::warnings(verdict);
    json!({
        "accepted": verdict.allowed,
        "message": admission::deny_message(verdict),
        "code": if verdict.allowed { Value::Null } else { json!(403) },
        "mutated_object": mutated_object,
        "audit_annotations": Value::Null,
        "warnings": if warnings.is_empty() { Value::Null } else { json!(warnings) },
    })
}

/// Kubewarden `validate_settings`: settings JSON → `{valid, message}` listing every problem.
pub fn kubewarden_validate_settings(payload: &[u8]) -> Value {
    let parsed = if payload.iter().all(u8::is_ascii_whitespace) {
        Ok(Settings::default())
    } else {
        if crate::json::nesting_exceeds(payload, crate::MAX_DEPTH).is_some() {
            return json!({"valid": false, "message": "settings nest deeper than any settings document needs"});
        }
        match serde_json::from_slice::<Value>(payload) {
            Ok(v) => Settings::from_value(&v),
            Err(e) => {
                return json!({"valid": false, "message": format!("settings are not valid JSON: {e}")});
            }
        }
    };
    match parsed {
        Ok(_) => json!({"valid": true, "message": Value::Null}),
        Err(e) => json!({"valid": false, "message": e.to_string()}),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const POD: &str = r#"{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"default","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"alibabacloud.com/eci":"true"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}}"#;
    const SETTINGS: &str = r#"{"customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234"}]}"#;

    #[test]
    fn kubewarden_denies_and_mutates() {
        let deny =
            kubewarden_validate(format!(r#"{{"request":{POD},"settings":{SETTINGS}}}"#).as_bytes());
        assert_eq!(deny["accepted"], false);
        assert!(
            deny["message"]
                .as_str()
                .unwrap()
                .contains("custom-domain-missing-instance")
        );
        let mutating = SETTINGS.replacen('{', r#"{"mutate":true,"#, 1);
        let ok =
            kubewarden_validate(format!(r#"{{"request":{POD},"settings":{mutating}}}"#).as_bytes());
        assert_eq!(ok["accepted"], true);
        assert_eq!(
            ok["mutated_object"]["metadata"]["annotations"]["k8s.aliyun.com/acr-instance-ids"],
            "cri-j36zhodptmyq1234"
        );
        let garbage = kubewarden_validate(b"\xff not json");
        assert_eq!(garbage["accepted"], false);
        assert!(
            garbage["message"]
                .as_str()
                .unwrap()
                .contains("request-invalid")
        );
    }

    #[test]
    fn kubewarden_settings_validation_lists_problems() {
        assert_eq!(kubewarden_validate_settings(b"{}")["valid"], true);
        let bad = kubewarden_validate_settings(br#"{"clusterRegion":"x","mutate":1}"#);
        assert_eq!(bad["valid"], false);
        let msg = bad["message"].as_str().unwrap();
        assert!(
            msg.contains("clusterRegion") && msg.contains("mutate"),
            "{msg}"
        );
    }
}
