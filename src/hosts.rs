//! What each host receives and must get back, as pure functions over bytes.
//!
//! The adapters in `src/adapters/` only move bytes across an ABI; every decision about
//! payload shapes, settings and the verdict mapping (DESIGN §6) lives here, where it is
//! tested natively and shared.

#![forbid(unsafe_code)]

use crate::response;
use crate::rules::Action;
use crate::settings::{Settings, SettingsErrors};
use crate::verdict::Verdict;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

/// The `{request, settings}` / `{review, parameters}` envelopes hosts send.
#[derive(Deserialize, Default)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(borrow, default)]
    review: Option<&'a RawValue>,
    #[serde(default)]
    parameters: Option<Value>,
}

fn envelope(bytes: &[u8]) -> Result<Envelope<'_>, Verdict> {
    if bytes.len() > crate::MAX_INPUT_BYTES + 64 * 1024 {
        return Err(Verdict::invalid(
            "",
            format!(
                "the request is {} bytes, more than the 3 MiB the Kubernetes API server accepts",
                bytes.len()
            ),
        ));
    }
    if let Some(offset) = crate::json::nesting_exceeds(bytes, crate::MAX_DEPTH) {
        return Err(Verdict::invalid(
            "",
            format!(
                "the payload nests objects or lists deeper than {} levels (at byte {offset})",
                crate::MAX_DEPTH
            ),
        ));
    }
    match serde_json::from_slice::<Envelope>(bytes) {
        Ok(e) => Ok(e),
        Err(err) => Err(Verdict::invalid(
            "",
            format!("the host's payload is not a JSON object with the expected fields: {err}"),
        )),
    }
}

fn settings_from(value: Option<&Value>) -> Result<Settings, SettingsErrors> {
    match value {
        None => Ok(Settings::default()),
        // Kubewarden's opa mode puts context-aware data under `kubernetes`: not a setting.
        Some(Value::Object(map)) if map.contains_key("kubernetes") => {
            let mut map = map.clone();
            map.remove("kubernetes");
            Settings::from_value(&Value::Object(map))
        }
        Some(other) => Settings::from_value(other),
    }
}

fn settings_denial(errors: &SettingsErrors) -> Verdict {
    Verdict::invalid(
        "",
        format!("the policy settings are invalid, so every request is refused: {errors}"),
    )
}

/// The request's uid and verdict. The envelope was already scanned for nesting.
fn evaluate_raw(request: Option<&RawValue>, settings: &Settings) -> (String, Verdict) {
    match request {
        Some(raw) => crate::review_json_prescanned(raw.get().as_bytes(), settings),
        None => (
            String::new(),
            Verdict::invalid("", "the host sent no admission request"),
        ),
    }
}

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
    let warnings = response::warnings(verdict);
    json!({
        "accepted": verdict.allowed,
        "message": response::deny_message(verdict),
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

/// Entrypoints of the OPA module (the id is the position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpaEntrypoint {
    /// `secretfree/main`: dispatches on the input shape.
    Main,
    /// `secretfree/violation`: Gatekeeper violations.
    Violation,
    /// `secretfree/verdict`: the DESIGN §6 verdict.
    Verdict,
}

/// Entrypoint names in id order (`entrypoints()` of the OPA ABI).
pub const OPA_ENTRYPOINTS: &[(&str, OpaEntrypoint)] = &[
    ("secretfree/main", OpaEntrypoint::Main),
    ("secretfree/violation", OpaEntrypoint::Violation),
    ("secretfree/verdict", OpaEntrypoint::Verdict),
];

/// Settings carried in OPA `data`: `data.secretfree.settings` (bundle) or `data` itself
/// (Kubewarden's opa mode puts the policy settings there).
fn settings_from_data(data: &Value) -> Result<Settings, SettingsErrors> {
    match data.get("secretfree").and_then(|s| s.get("settings")) {
        Some(s) => settings_from(Some(s)),
        None => match data {
            Value::Null => Ok(Settings::default()),
            Value::Object(map) => {
                let mut map = map.clone();
                map.remove("secretfree");
                map.remove("inventory");
                settings_from(Some(&Value::Object(map)))
            }
            other => settings_from(Some(other)),
        },
    }
}

/// Evaluate one OPA entrypoint: the decision value (the adapter wraps it in the result set).
/// `input` is the raw input JSON (empty = undefined), `data` the parsed data document.
pub fn opa_decision(entrypoint: OpaEntrypoint, input: &[u8], data: &Value) -> Value {
    let env = if input.iter().all(u8::is_ascii_whitespace) {
        Ok(Envelope::default())
    } else {
        envelope(input)
    };
    let env = match env {
        Ok(env) => env,
        Err(v) => {
            return match entrypoint {
                OpaEntrypoint::Violation => gatekeeper_violations(&v),
                OpaEntrypoint::Verdict => verdict_value(&v),
                OpaEntrypoint::Main => response::admission_review("", &v),
            };
        }
    };
    let gatekeeper = env.review.is_some() || entrypoint == OpaEntrypoint::Violation;
    if gatekeeper {
        // Gatekeeper cannot mutate: repairable findings deny.
        let verdict = match env
            .parameters
            .as_ref()
            .map_or_else(|| settings_from_data(data), |p| settings_from(Some(p)))
        {
            Err(e) => settings_denial(&e),
            Ok(mut settings) => {
                settings.mutate = false;
                evaluate_raw(env.review.or(env.request), &settings).1
            }
        };
        return if entrypoint == OpaEntrypoint::Verdict {
            verdict_value(&verdict)
        } else {
            gatekeeper_violations(&verdict)
        };
    }
    let settings = match env.settings.as_ref() {
        Some(s) => settings_from(Some(s)),
        None => settings_from_data(data),
    };
    let (uid, verdict) = match settings {
        Err(e) => (String::new(), settings_denial(&e)),
        Ok(settings) => evaluate_raw(env.request, &settings),
    };
    match entrypoint {
        OpaEntrypoint::Verdict => verdict_value(&verdict),
        _ => response::admission_review(&uid, &verdict),
    }
}

fn verdict_value(verdict: &Verdict) -> Value {
    serde_json::to_value(verdict).unwrap_or(Value::Null)
}

/// Gatekeeper violations: one `{msg, details}` per deny finding (`[]` when clean).
pub fn gatekeeper_violations(verdict: &Verdict) -> Value {
    Value::Array(
        verdict
            .findings
            .iter()
            .filter(|f| f.action == Action::Deny)
            .map(|f| {
                let mut details = Map::new();
                details.insert("rule".into(), json!(f.rule.id()));
                details.insert("path".into(), json!(f.path));
                details.insert("fix".into(), json!(f.fix));
                json!({"msg": format!("[{}] {}", f.rule.id(), f.message), "details": details})
            })
            .collect(),
    )
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

    #[test]
    fn opa_main_dispatches_on_shape() {
        let data: Value = serde_json::from_str(SETTINGS).unwrap();
        let gk = opa_decision(
            OpaEntrypoint::Main,
            format!(r#"{{"review":{POD},"parameters":{{"mutate":true,"customDomains":[{{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234"}}]}}}}"#).as_bytes(),
            &Value::Null,
        );
        assert_eq!(gk.as_array().unwrap().len(), 1, "{gk}");
        assert!(
            gk[0]["msg"]
                .as_str()
                .unwrap()
                .starts_with("[custom-domain-missing-instance]")
        );
        let kw = opa_decision(
            OpaEntrypoint::Main,
            format!(r#"{{"request":{POD}}}"#).as_bytes(),
            &data,
        );
        assert_eq!(kw["response"]["uid"], "u-1");
        assert_eq!(kw["response"]["allowed"], false);
        let verdict = opa_decision(
            OpaEntrypoint::Verdict,
            format!(r#"{{"request":{POD},"settings":{{}}}}"#).as_bytes(),
            &data,
        );
        assert_eq!(verdict["allowed"], true, "{verdict}");
        let clean = opa_decision(
            OpaEntrypoint::Violation,
            format!(r#"{{"review":{POD},"parameters":{{}}}}"#).as_bytes(),
            &Value::Null,
        );
        assert_eq!(clean, json!([]));
        let garbage = opa_decision(OpaEntrypoint::Violation, b"[", &Value::Null);
        assert_eq!(garbage.as_array().unwrap().len(), 1);
    }
}
