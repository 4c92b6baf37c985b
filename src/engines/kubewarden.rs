//! Kubewarden's waPC protocol: `validate` (`{request, settings}` → ValidationResponse),
//! `validate_settings`, and the context lookups `validate` makes through the host's
//! `kubernetes/get_resource` capability (spec/engines.md A.4).
//!
//! Context is looked up only when it can change the verdict (`crate::eval::context_need`):
//! never for a kind the policy does not judge, an ImageCache, a bound pod's update or a pod
//! routed to ACS. A pod that shows no ECI signal needs the eci-profile ConfigMap
//! (`kube-system/eci-profile`) and its Namespace (the `alibabacloud.com/eci` label). A pod that
//! already shows one is judged without context when that verdict has no finding; otherwise
//! the eci-profile is looked up (annotations it injects may be what the pod relies on), and
//! its Namespace only when a selector reads namespace labels. A lookup that fails (no
//! permission, not found, a module run without context access) or an answer that does not
//! read means "no context": never a crash, never a denial by itself.

#![forbid(unsafe_code)]

use super::{admission, envelope_cached, evaluate_raw, payload_settings_cached, settings_denial};
use crate::context::{Context, PROFILE_NAME, PROFILE_NAMESPACE};
use crate::model::AdmissionRequest;
use crate::settings::Settings;
use crate::verdict::Verdict;
use serde_json::{Value, json};

/// The JSON text of the object in an AdmissionRequest with the verdict's patch applied
/// ([`crate::patch::apply_text`]: the object's text as sent, with the objects the patch edits
/// written anew).
fn patched_object(request: &str, verdict: &Verdict) -> Option<String> {
    if verdict.patch.is_empty() {
        return None;
    }
    let object = crate::model::request_object_text(request)?;
    crate::patch::apply_text(object, &verdict.patch)
}

/// The waPC binding and namespace of Kubewarden's Kubernetes host capabilities.
pub const HOST_BINDING: &str = "kubewarden";
pub const HOST_NAMESPACE: &str = "kubernetes";
/// The operation of a [`ResourceLookup`].
pub const GET_RESOURCE: &str = "get_resource";

/// One `kubernetes/get_resource` host call: the object the policy asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceLookup {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub name: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
}

impl ResourceLookup {
    /// The Namespace a workload runs in.
    pub fn namespace(name: &str) -> ResourceLookup {
        ResourceLookup {
            api_version: "v1",
            kind: "Namespace",
            name: name.to_owned(),
            namespace: None,
        }
    }

    /// The ConfigMap `kube-system/eci-profile`.
    pub fn eci_profile() -> ResourceLookup {
        ResourceLookup {
            api_version: "v1",
            kind: "ConfigMap",
            name: PROFILE_NAME.to_owned(),
            namespace: Some(PROFILE_NAMESPACE.to_owned()),
        }
    }

    /// The payload of the host call (the SDK's `GetResourceRequest`; the host's cache of a
    /// few seconds is fine for objects that change this rarely).
    pub fn payload(&self) -> Vec<u8> {
        let mut out = String::new();
        crate::json::write::object(
            &mut out,
            &mut [
                ("api_version", &|o| {
                    crate::json::write::string(o, self.api_version)
                }),
                ("kind", &|o| crate::json::write::string(o, self.kind)),
                ("name", &|o| crate::json::write::string(o, &self.name)),
                ("namespace", &|o| {
                    crate::json::write::opt_string(o, self.namespace.as_deref());
                }),
                ("disable_cache", &|o| o.push_str("false")),
            ],
        );
        out.into_bytes()
    }
}

/// The most bytes of one host answer the policy reads (a ConfigMap holds at most 1 MiB).
const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;

/// Add a host answer to `ctx`; an answer that does not read as the object asked for is left out.
fn add_answer(ctx: &mut Context, lookup: &ResourceLookup, answer: Option<Vec<u8>>) {
    let Some(bytes) = answer.filter(|b| b.len() <= MAX_ANSWER_BYTES) else {
        return;
    };
    if crate::json::nesting_exceeds(&bytes, crate::MAX_DEPTH).is_some() {
        return;
    }
    let Ok(Value::Object(object)) = crate::json::tree::from_slice(&bytes) else {
        return;
    };
    // The host answers with the object as the API server has it: read as the kind asked for
    // (a host might leave `kind` out), and an answer about another kind refused.
    if object
        .get("kind")
        .is_some_and(|kind| kind.as_str() != Some(lookup.kind))
    {
        return;
    }
    let _ = ctx.add_scope_object(lookup.kind == "Namespace", &object);
}

/// The verdict for a request, with the context `host` answers (see the module comment). The
/// envelope was already scanned for nesting.
fn evaluate_with_lookups(
    request: Option<(&str, Result<AdmissionRequest, Box<Verdict>>)>,
    settings: &Settings,
    host: &mut dyn FnMut(&ResourceLookup) -> Option<Vec<u8>>,
) -> Verdict {
    let Some((text, decoded)) = request else {
        return evaluate_raw(None, settings, &Context::new()).1;
    };
    let verdict = match decoded {
        Ok(req) => lookups_verdict(&req, settings, host),
        Err(verdict) => *verdict,
    };
    crate::decode::patchable(text.as_bytes(), verdict)
}

fn lookups_verdict(
    req: &AdmissionRequest,
    settings: &Settings,
    host: &mut dyn FnMut(&ResourceLookup) -> Option<Vec<u8>>,
) -> Verdict {
    let mut ctx = Context::new();
    let Some(need) = crate::eval::context_need(req, settings) else {
        return crate::eval::evaluate_in(req, settings, &ctx);
    };
    let plain = if need.on_eci {
        let verdict = crate::eval::evaluate_in(req, settings, &ctx);
        if verdict.findings.is_empty() {
            return verdict;
        }
        Some(verdict)
    } else {
        None
    };
    let profile = ResourceLookup::eci_profile();
    add_answer(&mut ctx, &profile, host(&profile));
    if !need.on_eci || ctx.selectors_read_namespace_labels() {
        let namespace = ResourceLookup::namespace(&need.namespace);
        add_answer(&mut ctx, &namespace, host(&namespace));
    }
    match plain {
        Some(verdict) if ctx.is_empty() => verdict,
        _ => crate::eval::evaluate_in(req, settings, &ctx),
    }
}

/// Kubewarden `validate`: `{request, settings}` → ValidationResponse, without context lookups
/// (what a module run without context access gets). A denial is a normal response
/// (`accepted: false`), never an error.
pub fn kubewarden_validate(payload: &[u8]) -> Value {
    kubewarden_validate_with(payload, &mut |_| None)
}

/// Kubewarden `validate` with context: `host` answers each [`ResourceLookup`] with the
/// object's JSON, or `None` when the lookup fails.
pub fn kubewarden_validate_with(
    payload: &[u8],
    host: &mut dyn FnMut(&ResourceLookup) -> Option<Vec<u8>>,
) -> Value {
    let (verdict, mutated) = validate(payload, host);
    let mutated = mutated.and_then(|text| crate::json::tree::from_str(&text).ok());
    kubewarden_response(&verdict, mutated)
}

/// [`kubewarden_validate_with`] as the JSON text the module answers with: the bytes
/// serde_json writes for that value, written without building it, but for the mutated object,
/// which is the request's object as sent with the objects the patch edits written anew.
pub fn kubewarden_validate_json(
    payload: &[u8],
    host: &mut dyn FnMut(&ResourceLookup) -> Option<Vec<u8>>,
) -> String {
    let (verdict, mutated) = validate(payload, host);
    kubewarden_response_json(&verdict, mutated.as_deref())
}

/// The verdict of a `validate` payload and, when it is allowed with a patch, the patched object.
fn validate(
    payload: &[u8],
    host: &mut dyn FnMut(&ResourceLookup) -> Option<Vec<u8>>,
) -> (Verdict, Option<String>) {
    match envelope_cached(payload) {
        Err(v) => (v, None),
        Ok(mut env) => match payload_settings_cached(env.settings).as_ref() {
            Err(e) => (settings_denial(e), None),
            Ok(settings) => {
                let verdict = evaluate_with_lookups(env.request(), settings, host);
                let mutated = if verdict.allowed {
                    env.request.and_then(|r| patched_object(r, &verdict))
                } else {
                    None
                };
                (verdict, mutated)
            }
        },
    }
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

/// [`kubewarden_response`] as serde_json writes it, with `mutated_object` the object's JSON text.
pub fn kubewarden_response_json(verdict: &Verdict, mutated_object: Option<&str>) -> String {
    use crate::json::write;
    let warnings = admission::warnings(verdict);
    let message = admission::deny_message(verdict);
    // Room for the whole response (the texts, their quotes and a few escapes, the fixed
    // fields): one allocation instead of a string that doubles its way there.
    let texts = message.as_deref().map_or(0, str::len)
        + mutated_object.map_or(0, str::len)
        + warnings.iter().map(|w| w.len() + 8).sum::<usize>();
    let mut out = String::with_capacity(texts + texts / 8 + 160);
    write::object(
        &mut out,
        &mut [
            ("accepted", &|o| {
                o.push_str(if verdict.allowed { "true" } else { "false" });
            }),
            ("message", &|o| write::opt_string(o, message.as_deref())),
            ("code", &|o| {
                o.push_str(if verdict.allowed { "null" } else { "403" });
            }),
            ("mutated_object", &|o| {
                o.push_str(mutated_object.unwrap_or("null"))
            }),
            ("audit_annotations", &|o| o.push_str("null")),
            ("warnings", &|o| {
                if warnings.is_empty() {
                    o.push_str("null");
                } else {
                    write::strings(o, &warnings);
                }
            }),
        ],
    );
    out
}

/// Kubewarden `validate_settings`: settings JSON → `{valid, message}` listing every problem.
pub fn kubewarden_validate_settings(payload: &[u8]) -> Value {
    match settings_problems(payload) {
        None => json!({"valid": true, "message": Value::Null}),
        Some(message) => json!({"valid": false, "message": message}),
    }
}

/// [`kubewarden_validate_settings`] as serde_json writes it.
pub fn kubewarden_validate_settings_json(payload: &[u8]) -> String {
    use crate::json::write;
    let problems = settings_problems(payload);
    let mut out = String::new();
    write::object(
        &mut out,
        &mut [
            ("valid", &|o| {
                o.push_str(if problems.is_none() { "true" } else { "false" });
            }),
            ("message", &|o| write::opt_string(o, problems.as_deref())),
        ],
    );
    out
}

/// What is wrong with a settings payload, or `None` when the settings are valid.
fn settings_problems(payload: &[u8]) -> Option<String> {
    let parsed = if payload.iter().all(u8::is_ascii_whitespace) {
        Ok(Settings::default())
    } else {
        if crate::json::nesting_exceeds(payload, crate::MAX_DEPTH).is_some() {
            return Some("settings nest deeper than any settings document needs".to_owned());
        }
        match crate::json::tree::from_slice(payload) {
            Ok(v) => Settings::from_value(&v),
            Err(e) => return Some(format!("settings are not valid JSON: {e}")),
        }
    };
    parsed.err().map(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    use crate::engines::fixtures::{POD, SETTINGS};

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
    fn the_written_responses_are_the_bytes_serde_json_writes() {
        let mutating = SETTINGS.replacen('{', r#"{"mutate":true,"#, 1);
        let warn = SETTINGS.replacen(
            '{',
            r#"{"rules":{"custom-domain-missing-instance":"warn"},"#,
            1,
        );
        let odd = POD.replace(
            r#""name":"p","#,
            r#""name":"p\u00e9\n\"","n":[1.5,-0.0,1e300,18446744073709551615,-3],"#,
        );
        let mut payloads = vec![
            b"\xff not json".to_vec(),
            b"{}".to_vec(),
            br#"{"settings":{"clusterRegion":"x"}}"#.to_vec(),
        ];
        for request in [POD, odd.as_str()] {
            for settings in [SETTINGS, mutating.as_str(), warn.as_str()] {
                payloads
                    .push(format!(r#"{{"request":{request},"settings":{settings}}}"#).into_bytes());
            }
        }
        let mut mutated = 0;
        for payload in &payloads {
            let value = kubewarden_validate(payload);
            mutated += usize::from(!value["mutated_object"].is_null());
            let text = kubewarden_validate_json(payload, &mut |_| None);
            if value["mutated_object"].is_null() {
                assert_eq!(text, serde_json::to_string(&value).unwrap());
            } else {
                // The mutated object is the request's text, patched: the same value.
                assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
            }
        }
        assert_eq!(mutated, 2);
        for settings in [
            "",
            "{}",
            "[",
            r#"{"clusterRegion":"x","mutate":1}"#,
            SETTINGS,
        ] {
            let value = kubewarden_validate_settings(settings.as_bytes());
            let text = kubewarden_validate_settings_json(settings.as_bytes());
            assert_eq!(text, serde_json::to_string(&value).unwrap());
        }
        for lookup in [
            ResourceLookup::namespace("a\"b"),
            ResourceLookup::eci_profile(),
        ] {
            let want = json!({"api_version": lookup.api_version, "kind": lookup.kind,
                "name": lookup.name, "namespace": lookup.namespace, "disable_cache": false});
            assert_eq!(lookup.payload(), serde_json::to_vec(&want).unwrap());
        }
    }

    /// A host that answers from recorded objects and records what it was asked.
    struct RecordedHost {
        answers: Vec<(ResourceLookup, &'static str)>,
        asked: Vec<ResourceLookup>,
    }

    impl RecordedHost {
        fn new(answers: &[(ResourceLookup, &'static str)]) -> RecordedHost {
            RecordedHost {
                answers: answers.to_vec(),
                asked: Vec::new(),
            }
        }

        fn validate(&mut self, request: &str, settings: &str) -> Value {
            let payload = format!(r#"{{"request":{request},"settings":{settings}}}"#);
            let mut host = |l: &ResourceLookup| {
                self.asked.push(l.clone());
                self.answers
                    .iter()
                    .find(|(k, _)| k == l)
                    .map(|(_, a)| a.as_bytes().to_vec())
            };
            kubewarden_validate_with(payload.as_bytes(), &mut host)
        }
    }

    const UNMARKED: &str = r#"{"uid":"u-2","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","namespace":"shop","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}}}}"#;
    const SHOP_ON_ECI: &str = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"alibabacloud.com/eci":"true"}}}"#;
    const PROFILE: &str = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"eci-profile","namespace":"kube-system"},"data":{"selectors":"[{\"name\":\"web\",\"objectLabels\":{\"matchLabels\":{\"app\":\"web\"}},\"effect\":{\"annotations\":{\"k8s.aliyun.com/acr-instance-ids\":\"cri-j36zhodptmyq1234\"}}}]"}}"#;

    #[test]
    fn lookups_put_an_unmarked_workload_in_scope() {
        // Without answers: out of scope, allowed.
        let mut host = RecordedHost::new(&[]);
        let plain = host.validate(UNMARKED, SETTINGS);
        assert_eq!(plain["accepted"], true);
        assert_eq!(
            host.asked,
            [
                ResourceLookup::eci_profile(),
                ResourceLookup::namespace("shop")
            ]
        );
        // The namespace is labelled for ECI: judged, denied.
        let mut host = RecordedHost::new(&[(ResourceLookup::namespace("shop"), SHOP_ON_ECI)]);
        let deny = host.validate(UNMARKED, SETTINGS);
        assert_eq!(deny["accepted"], false, "{deny}");
        assert!(
            deny["message"]
                .as_str()
                .unwrap()
                .contains("custom-domain-missing-instance")
        );
        // The eci-profile sends the pods to ECI and injects the instance id: allowed.
        let mut host = RecordedHost::new(&[
            (ResourceLookup::namespace("shop"), SHOP_ON_ECI),
            (ResourceLookup::eci_profile(), PROFILE),
        ]);
        let allow = host.validate(UNMARKED, SETTINGS);
        assert_eq!(allow["accepted"], true, "{allow}");
        assert_eq!(allow["warnings"], Value::Null);
    }

    #[test]
    fn lookups_happen_only_when_they_can_change_the_verdict() {
        // A pod that shows an ECI signal and has no finding: no lookup.
        let fine = POD.replace(
            r#""metadata":{"name":"p","#,
            r#""metadata":{"name":"p","annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"},"#,
        );
        let mut host = RecordedHost::new(&[]);
        assert_eq!(host.validate(&fine, SETTINGS)["accepted"], true);
        assert!(host.asked.is_empty(), "{:?}", host.asked);
        // With a finding, the eci-profile may inject what is missing: only it is looked up
        // (its selector reads no namespace labels), and it clears the finding.
        let mut host = RecordedHost::new(&[(ResourceLookup::eci_profile(), PROFILE)]);
        let pod = POD.replace(r#""labels":{"#, r#""labels":{"app":"web","#);
        assert_eq!(host.validate(&pod, SETTINGS)["accepted"], true);
        assert_eq!(host.asked, [ResourceLookup::eci_profile()]);
        // A kind the policy does not judge, an ImageCache: no lookup.
        let mut host = RecordedHost::new(&[]);
        let cm = r#"{"uid":"c","kind":{"group":"","version":"v1","kind":"ConfigMap"},"operation":"CREATE","namespace":"shop","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}}"#;
        assert_eq!(host.validate(cm, SETTINGS)["accepted"], true);
        let cache = r#"{"uid":"i","kind":{"group":"eci.alibabacloud.com","version":"v1","kind":"ImageCache"},"operation":"CREATE","object":{"apiVersion":"eci.alibabacloud.com/v1","kind":"ImageCache","metadata":{"name":"c"},"spec":{"images":["nginx"]}}}"#;
        host.validate(cache, SETTINGS);
        assert!(host.asked.is_empty(), "{:?}", host.asked);
    }

    #[test]
    fn failed_or_unreadable_answers_are_no_context() {
        let broken_profile = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"eci-profile","namespace":"kube-system"},"data":{"selectors":"[{not json"}}"#;
        for answer in [
            "not json",
            "[1,2]",
            broken_profile,
            r#"{"kind":"Secret","metadata":{"name":"shop"}}"#,
            // Another kind than the one asked for, or a kind that is not a string: refused.
            r#"{"kind":"ConfigMap","metadata":{"name":"shop","labels":{"alibabacloud.com/eci":"true"}}}"#,
            r#"{"kind":5,"metadata":{"name":"shop","labels":{"alibabacloud.com/eci":"true"}}}"#,
        ] {
            let mut host = RecordedHost::new(&[
                (ResourceLookup::namespace("shop"), answer),
                (ResourceLookup::eci_profile(), answer),
            ]);
            let got = host.validate(UNMARKED, SETTINGS);
            assert_eq!(got["accepted"], true, "{answer}: {got}");
        }
        // An answer without kind and apiVersion is read as the kind asked for.
        let bare = r#"{"metadata":{"name":"shop","labels":{"alibabacloud.com/eci":"true"}}}"#;
        let mut host = RecordedHost::new(&[(ResourceLookup::namespace("shop"), bare)]);
        assert_eq!(host.validate(UNMARKED, SETTINGS)["accepted"], false);
    }

    #[test]
    fn lookup_payloads() {
        let ns: Value =
            serde_json::from_slice(&ResourceLookup::namespace("shop").payload()).unwrap();
        assert_eq!(
            ns,
            json!({"api_version": "v1", "kind": "Namespace", "name": "shop", "namespace": null, "disable_cache": false})
        );
        let cm: Value = serde_json::from_slice(&ResourceLookup::eci_profile().payload()).unwrap();
        assert_eq!(cm["namespace"], "kube-system");
        assert_eq!(cm["name"], "eci-profile");
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
