//! The OPA module's decisions: entrypoints, Gatekeeper violations, Kubewarden's opa-mode
//! AdmissionReview and the verdict (spec/engines.md B and C).

#![forbid(unsafe_code)]

use super::{
    Envelope, admission, envelope_known, evaluate_raw, payload_settings, settings_denial,
    settings_from,
};
use crate::context::{Context, PROFILE_NAME, PROFILE_NAMESPACE, is_selector_group};
use crate::decode::decode_text;
use crate::rules::Action;
use crate::settings::{Settings, SettingsErrors};
use crate::verdict::Verdict;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

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
            // The bundle's and Gatekeeper's keys beside the settings, and Kubewarden's context.
            Value::Object(_) => {
                Settings::from_value_ignoring(data, &["secretfree", "inventory", "kubernetes"])
            }
            other => settings_from(Some(other)),
        },
    }
}

/// The context `data` carries: Gatekeeper's sync shape under `inventory` (also what
/// Kubewarden's gatekeeper mode passes for context-aware resources) and Kubewarden opa mode's
/// `kubernetes` (`<plural>/<name>` for cluster-scoped kinds, `<plural>/<namespace>/<name>`
/// for namespaced ones). Read: every Namespace, the ConfigMap `kube-system/eci-profile` and
/// the `eci.aliyun.com` Selectors. An object that does not read as context is left out: a
/// broken eci-profile means no eci-profile, never a denial by itself.
pub fn context_from_data(data: &Value) -> Context {
    fn values(v: Option<&Value>) -> impl Iterator<Item = &Value> {
        v.and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
    }
    let mut ctx = Context::new();
    let mut add = |object: &Value| {
        let _ = ctx.add_object(object);
    };
    let inventory = data.get("inventory");
    let cluster = inventory.and_then(|i| i.get("cluster"));
    values(
        cluster
            .and_then(|c| c.get("v1"))
            .and_then(|v| v.get("Namespace")),
    )
    .for_each(&mut add);
    if let Some(profile) = inventory
        .and_then(|i| i.get("namespace"))
        .and_then(|n| n.get(PROFILE_NAMESPACE))
        .and_then(|n| n.get("v1"))
        .and_then(|v| v.get("ConfigMap"))
        .and_then(|c| c.get(PROFILE_NAME))
    {
        add(profile);
    }
    for (group_version, kinds) in cluster.and_then(Value::as_object).into_iter().flatten() {
        if is_selector_group(group_version) {
            values(kinds.get("Selector")).for_each(&mut add);
        }
    }
    let kubernetes = data.get("kubernetes");
    values(kubernetes.and_then(|k| k.get("namespaces"))).for_each(&mut add);
    if let Some(profile) = kubernetes
        .and_then(|k| k.get("configmaps"))
        .and_then(|c| c.get(PROFILE_NAMESPACE))
        .and_then(|n| n.get(PROFILE_NAME))
    {
        add(profile);
    }
    values(kubernetes.and_then(|k| k.get("selectors"))).for_each(&mut add);
    ctx
}

/// What an evaluation takes from `data`: the settings it carries (or why they are invalid:
/// `settings_from_data`) and the context ([`context_from_data`]). It depends on `data` alone,
/// so it can be read once for as long as `data` stays the same: the OPA module keeps it across
/// the heap resets of its host, keyed by the data document's text.
#[derive(Debug, Clone, PartialEq)]
pub struct OpaData {
    settings: Result<Settings, SettingsErrors>,
    context: Context,
}

impl OpaData {
    /// Read the parsed data document.
    pub fn new(data: &Value) -> Self {
        OpaData {
            settings: settings_from_data(data),
            context: context_from_data(data),
        }
    }
}

/// The settings an input carries, read from their text (the `settings` of `{request,
/// settings}`, the `parameters` of `{review, parameters}`: [`OpaInput::settings_text`]). Like
/// [`OpaData`], this depends on the text alone.
pub fn input_settings(text: &str) -> Result<Settings, SettingsErrors> {
    payload_settings(Some(text))
}

/// One evaluation's input, read: its envelope, or the verdict refusing it.
#[derive(Debug)]
pub struct OpaInput<'a> {
    entrypoint: OpaEntrypoint,
    envelope: Result<Envelope<'a>, Verdict>,
}

impl<'a> OpaInput<'a> {
    /// Read the raw input JSON of `entrypoint` (empty or blank: undefined).
    pub fn read(entrypoint: OpaEntrypoint, input: &'a [u8]) -> Self {
        Self::read_known(entrypoint, input, None)
    }

    /// [`OpaInput::read`], where the settings may be `known`: a [`OpaInput::settings_text`] of
    /// an earlier input, not read again where this input carries it byte for byte.
    pub fn read_known(entrypoint: OpaEntrypoint, input: &'a [u8], known: Option<&[u8]>) -> Self {
        let envelope = if input.iter().all(u8::is_ascii_whitespace) {
            Ok(Envelope::default())
        } else {
            envelope_known(input, known)
        };
        OpaInput {
            entrypoint,
            envelope,
        }
    }

    /// The settings text the decision reads from the input (Gatekeeper's `parameters`, else
    /// `settings`); `None` when it takes the settings from `data`, or reads none.
    pub fn settings_text(&self) -> Option<&'a str> {
        let env = self.envelope.as_ref().ok()?;
        if gatekeeper(self.entrypoint, env) {
            env.parameters
        } else {
            env.settings
        }
    }

    /// Whether [`Self::settings_text`] is the `known` text [`Self::read_known`] was given, byte
    /// for byte (found so while reading, so not compared again).
    pub fn settings_known(&self) -> bool {
        let Ok(env) = self.envelope.as_ref() else {
            return false;
        };
        let slot = if gatekeeper(self.entrypoint, env) {
            3
        } else {
            1
        };
        env.known == Some(slot)
    }

    /// The decision value (the adapter wraps it in the result set). `data` is what the data
    /// document gives; `settings`, what [`input_settings`] gives for [`Self::settings_text`]
    /// (read here when it is `None`; unused when there is no settings text).
    pub fn decide(
        self,
        data: &OpaData,
        settings: Option<&Result<Settings, SettingsErrors>>,
    ) -> Value {
        match self.decision(data, settings) {
            Decision::Violations(v) => gatekeeper_violations(&v),
            Decision::Verdict(v) => verdict_value(&v),
            Decision::Review(uid, v) => admission::admission_review(&uid, &v),
        }
    }

    /// [`Self::decide`] as the JSON text serde_json writes for the decision value, written
    /// without building it.
    pub fn decide_json(
        self,
        data: &OpaData,
        settings: Option<&Result<Settings, SettingsErrors>>,
    ) -> String {
        let mut out = String::new();
        self.decide_into(&mut out, data, settings);
        out
    }

    /// [`OpaInput::decide_json`], written at the end of `out`.
    pub fn decide_into(
        self,
        out: &mut String,
        data: &OpaData,
        settings: Option<&Result<Settings, SettingsErrors>>,
    ) {
        let decision = self.decision(data, settings);
        // Room for the whole decision (and a result set around it): one allocation instead of
        // a string that doubles its way there.
        let (Decision::Violations(v) | Decision::Verdict(v) | Decision::Review(_, v)) = &decision;
        let len = v.text_len();
        out.reserve(len + len / 8 + 16);
        match decision {
            Decision::Violations(v) => gatekeeper_violations_json(out, &v),
            Decision::Verdict(v) => verdict_value_json(out, &v),
            Decision::Review(uid, v) => admission::admission_review_json(out, &uid, &v),
        }
    }

    fn decision(
        self,
        data: &OpaData,
        settings: Option<&Result<Settings, SettingsErrors>>,
    ) -> Decision {
        let from_input = match (self.settings_text(), settings) {
            (None, _) => None,
            (Some(_), Some(read)) => Some(Cow::Borrowed(read)),
            (Some(text), None) => Some(Cow::Owned(input_settings(text))),
        };
        let settings = from_input.as_deref().unwrap_or(&data.settings);
        let entrypoint = self.entrypoint;
        let mut env = match self.envelope {
            Ok(env) => env,
            Err(v) => {
                return match entrypoint {
                    OpaEntrypoint::Violation => Decision::Violations(v),
                    OpaEntrypoint::Verdict => Decision::Verdict(v),
                    OpaEntrypoint::Main => Decision::Review(String::new(), v),
                };
            }
        };
        let context = &data.context;
        if gatekeeper(entrypoint, &env) {
            // Gatekeeper cannot mutate: repairable findings deny.
            let verdict = match settings {
                Err(e) => settings_denial(e),
                Ok(settings) => {
                    let settings = if settings.mutate {
                        Cow::Owned(Settings {
                            mutate: false,
                            ..settings.clone()
                        })
                    } else {
                        Cow::Borrowed(settings)
                    };
                    let review = env.review.map(|text| (text, decode_text(text, None)));
                    evaluate_raw(review.or_else(|| env.request()), &settings, context).1
                }
            };
            return if entrypoint == OpaEntrypoint::Verdict {
                Decision::Verdict(verdict)
            } else {
                Decision::Violations(verdict)
            };
        }
        let (uid, verdict) = match settings {
            Err(e) => (String::new(), settings_denial(e)),
            Ok(settings) => evaluate_raw(env.request(), settings, context),
        };
        match entrypoint {
            OpaEntrypoint::Verdict => Decision::Verdict(verdict),
            _ => Decision::Review(uid, verdict),
        }
    }
}

/// What a decision is made of: the verdict, and the shape the entrypoint gives it.
enum Decision {
    /// Gatekeeper violations.
    Violations(Verdict),
    /// The verdict itself.
    Verdict(Verdict),
    /// An AdmissionReview answering the request with this uid.
    Review(String, Verdict),
}

/// Gatekeeper's shape (`review`, or the violation entrypoint): its settings are the
/// `parameters`, and it cannot mutate.
fn gatekeeper(entrypoint: OpaEntrypoint, env: &Envelope<'_>) -> bool {
    env.review.is_some() || entrypoint == OpaEntrypoint::Violation
}

/// Evaluate one OPA entrypoint: the decision value (the adapter wraps it in the result set).
/// `input` is the raw input JSON (empty = undefined), `data` the parsed data document (its
/// `inventory` and `kubernetes` keys are context: [`context_from_data`]). Everything read
/// afresh; [`OpaInput::decide`] takes what `data` and the input's settings give, read once.
pub fn opa_decision(entrypoint: OpaEntrypoint, input: &[u8], data: &Value) -> Value {
    OpaInput::read(entrypoint, input).decide(&OpaData::new(data), None)
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

/// The verdict as [`verdict_value`] gives it, written as serde_json writes that value.
fn verdict_value_json(out: &mut String, verdict: &Verdict) {
    use crate::json::write::{Field, object, string};
    let allowed = |o: &mut String| o.push_str(if verdict.allowed { "true" } else { "false" });
    let findings = |o: &mut String| {
        o.push('[');
        for (i, f) in verdict.findings.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            object(
                o,
                &mut [
                    ("rule", &|o| string(o, f.rule.id())),
                    ("action", &|o| string(o, f.action.as_str())),
                    ("path", &|o| string(o, &f.path)),
                    ("message", &|o| string(o, &f.message)),
                    ("fix", &|o| string(o, &f.fix)),
                ],
            );
        }
        o.push(']');
    };
    let patch = |o: &mut String| admission::patch_json(o, &verdict.patch);
    let mut fields: Vec<Field<'_>> = vec![("allowed", &allowed), ("findings", &findings)];
    if !verdict.patch.is_empty() {
        fields.push(("patch", &patch));
    }
    object(out, &mut fields);
}

/// [`gatekeeper_violations`] as serde_json writes it.
fn gatekeeper_violations_json(out: &mut String, verdict: &Verdict) {
    use crate::json::write::{object, string};
    out.push('[');
    for (i, f) in verdict.with_action(Action::Deny).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let msg = format!("[{}] {}", f.rule.id(), f.message);
        object(
            out,
            &mut [
                ("msg", &|o| string(o, &msg)),
                ("details", &|o| {
                    object(
                        o,
                        &mut [
                            ("rule", &|o| string(o, f.rule.id())),
                            ("path", &|o| string(o, &f.path)),
                            ("fix", &|o| string(o, &f.fix)),
                        ],
                    );
                }),
            ],
        );
    }
    out.push(']');
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    use crate::engines::fixtures::{POD, SETTINGS};

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

    /// The settings text is known to be the kept one only where it is, byte for byte, and
    /// only for the field the decision reads.
    #[test]
    fn the_settings_are_known_only_where_they_are_the_known_text() {
        let known = br#"{"mutate" : true}"#;
        let known_here = |ep: OpaEntrypoint, input: &str| {
            OpaInput::read_known(ep, input.as_bytes(), Some(known)).settings_known()
        };
        let main = OpaEntrypoint::Main;
        let same = format!(r#"{{"request":{POD},"settings":{{"mutate" : true}}}}"#);
        assert!(known_here(main, &same));
        assert!(!OpaInput::read(main, same.as_bytes()).settings_known());
        let other = format!(r#"{{"request":{POD},"settings":{{"mutate" : false}}}}"#);
        assert!(!known_here(main, &other));
        // The known text in `settings`, but Gatekeeper's shape reads `parameters`.
        let review =
            format!(r#"{{"review":{POD},"parameters":{{}},"settings":{{"mutate" : true}}}}"#);
        assert!(!known_here(OpaEntrypoint::Violation, &review));
        let parameters = format!(r#"{{"review":{POD},"parameters":{{"mutate" : true}}}}"#);
        assert!(known_here(OpaEntrypoint::Violation, &parameters));
    }

    #[test]
    fn the_settings_text_is_the_one_the_decision_reads() {
        fn read(ep: OpaEntrypoint, input: &str) -> Option<&str> {
            OpaInput::read(ep, input.as_bytes()).settings_text()
        }
        let main = OpaEntrypoint::Main;
        let request = format!(r#"{{"request":{POD},"settings":{{"mutate" : true}}}}"#);
        assert_eq!(read(main, &request), Some(r#"{"mutate" : true}"#));
        assert_eq!(
            read(OpaEntrypoint::Verdict, &request),
            Some(r#"{"mutate" : true}"#)
        );
        // Gatekeeper's shape reads `parameters`, never `settings`; so does the violation
        // entrypoint, whatever the shape.
        let review = format!(r#"{{"review":{POD},"parameters":[1],"settings":{{}}}}"#);
        assert_eq!(read(main, &review), Some("[1]"));
        assert_eq!(read(OpaEntrypoint::Violation, &request), None);
        assert_eq!(
            read(
                OpaEntrypoint::Violation,
                &format!(r#"{{"request":{POD},"parameters":{{}}}}"#)
            ),
            Some("{}")
        );
        // Settings from data, or none read at all.
        assert_eq!(read(main, &format!(r#"{{"request":{POD}}}"#)), None);
        assert_eq!(read(main, ""), None);
        assert_eq!(read(main, "["), None);
    }

    /// Inputs of every shape and data documents of every kind, for the equivalence below.
    fn inputs_and_data() -> (Vec<String>, Vec<Value>) {
        let mutate = r#"{"mutate":true,"customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234"}]}"#;
        let invalid = r#"{"clusterRegion":"nowhere"}"#;
        let mut inputs = Vec::new();
        for request in [POD, UNMARKED, r#"{"object":1}"#] {
            inputs.push(format!(r#"{{"request":{request}}}"#));
            inputs.push(format!(r#"{{"review":{request}}}"#));
            for settings in [SETTINGS, mutate, invalid, "{}", "[1]"] {
                inputs.push(format!(r#"{{"request":{request},"settings":{settings}}}"#));
                inputs.push(format!(r#"{{"review":{request},"parameters":{settings}}}"#));
            }
        }
        inputs.extend([
            "".into(),
            "[".into(),
            "{}".into(),
            r#"{"request":1}"#.into(),
        ]);
        let mut context: Value = serde_json::from_str(mutate).unwrap();
        context["kubernetes"] =
            json!({"namespaces": {"shop": shop(json!({"alibabacloud.com/eci": "true"}))}});
        let data = vec![
            Value::Null,
            json!({}),
            serde_json::from_str(SETTINGS).unwrap(),
            json!({"secretfree": {"settings": serde_json::from_str::<Value>(mutate).unwrap()}}),
            serde_json::from_str(invalid).unwrap(),
            context,
            json!({"inventory": {"cluster": {"v1": {"Namespace": {
                "shop": shop(json!({"alibabacloud.com/eci": "true"}))}}}}}),
            json!("data could not be read"),
        ];
        (inputs, data)
    }

    /// The decision as it was written before data and the input's settings could be read
    /// once: everything read afresh, in the order it is needed (the oracle of the test below).
    fn read_afresh(entrypoint: OpaEntrypoint, input: &[u8], data: &Value) -> Value {
        let env = if input.iter().all(u8::is_ascii_whitespace) {
            Ok(Envelope::default())
        } else {
            crate::engines::envelope(input)
        };
        let mut env = match env {
            Ok(env) => env,
            Err(v) => {
                return match entrypoint {
                    OpaEntrypoint::Violation => gatekeeper_violations(&v),
                    OpaEntrypoint::Verdict => verdict_value(&v),
                    OpaEntrypoint::Main => admission::admission_review("", &v),
                };
            }
        };
        let context = context_from_data(data);
        if env.review.is_some() || entrypoint == OpaEntrypoint::Violation {
            let verdict = match env
                .parameters
                .map_or_else(|| settings_from_data(data), |p| payload_settings(Some(p)))
            {
                Err(e) => settings_denial(&e),
                Ok(mut settings) => {
                    settings.mutate = false;
                    let review = env.review.map(|text| (text, decode_text(text, None)));
                    evaluate_raw(review.or_else(|| env.request()), &settings, &context).1
                }
            };
            return if entrypoint == OpaEntrypoint::Verdict {
                verdict_value(&verdict)
            } else {
                gatekeeper_violations(&verdict)
            };
        }
        let settings = match env.settings {
            Some(s) => payload_settings(Some(s)),
            None => settings_from_data(data),
        };
        let (uid, verdict) = match settings {
            Err(e) => (String::new(), settings_denial(&e)),
            Ok(settings) => evaluate_raw(env.request(), &settings, &context),
        };
        match entrypoint {
            OpaEntrypoint::Verdict => verdict_value(&verdict),
            _ => admission::admission_review(&uid, &verdict),
        }
    }

    #[test]
    fn the_written_decisions_are_the_bytes_serde_json_writes() {
        let (mut inputs, data) = inputs_and_data();
        let warn = SETTINGS.replacen(
            '{',
            r#"{"rules":{"custom-domain-missing-instance":"warn"},"#,
            1,
        );
        let odd = POD.replace(
            r#""name":"p","#,
            r#""name":"p\u00e9\n\"","n":[1.5,-0.0,1e300],"#,
        );
        let mutate = SETTINGS.replacen('{', r#"{"mutate":true,"#, 1);
        for request in [POD, odd.as_str()] {
            for settings in [warn.as_str(), mutate.as_str()] {
                inputs.push(format!(r#"{{"request":{request},"settings":{settings}}}"#));
                inputs.push(format!(r#"{{"review":{request},"parameters":{settings}}}"#));
            }
        }
        let (mut patched, mut warned) = (0, 0);
        for data in &data {
            let kept = OpaData::new(data);
            for &(_, ep) in OPA_ENTRYPOINTS {
                for input in &inputs {
                    let value = OpaInput::read(ep, input.as_bytes()).decide(&kept, None);
                    let text = OpaInput::read(ep, input.as_bytes()).decide_json(&kept, None);
                    assert_eq!(
                        text,
                        serde_json::to_string(&value).unwrap(),
                        "{ep:?} {input}"
                    );
                    patched += usize::from(text.contains("\"patch\""));
                    warned += usize::from(text.contains("\"warnings\""));
                }
            }
        }
        assert!(patched > 0 && warned > 0, "{patched} {warned}");
    }

    #[test]
    fn what_data_and_the_input_settings_give_can_be_read_once() {
        let (inputs, data) = inputs_and_data();
        let entrypoints = OPA_ENTRYPOINTS.iter().map(|&(_, ep)| ep);
        let mut checked = 0;
        for data in &data {
            // Read once, kept (a copy, as the adapter keeps it), used for every input.
            let once = OpaData::new(data);
            let kept = once.clone();
            assert_eq!(kept, OpaData::new(data));
            for ep in entrypoints.clone() {
                for input in &inputs {
                    let fresh = read_afresh(ep, input.as_bytes(), data);
                    assert_eq!(opa_decision(ep, input.as_bytes(), data), fresh);
                    let read = OpaInput::read(ep, input.as_bytes());
                    let settings = read.settings_text().map(input_settings);
                    let with_both = read.decide(&kept, settings.as_ref());
                    assert_eq!(with_both, fresh, "{ep:?} {input} {data}");
                    let with_data = OpaInput::read(ep, input.as_bytes()).decide(&kept, None);
                    assert_eq!(with_data, fresh, "{ep:?} {input} {data}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "{checked}");
        // What the caller read for the settings text is what the decision uses.
        let input = format!(r#"{{"request":{POD},"settings":{{}}}}"#);
        let decide = |settings| {
            OpaInput::read(OpaEntrypoint::Verdict, input.as_bytes())
                .decide(&OpaData::new(&Value::Null), settings)["allowed"]
                .clone()
        };
        assert_eq!(decide(None), true);
        assert_eq!(decide(Some(&input_settings(SETTINGS))), false);
    }

    const UNMARKED: &str = r#"{"uid":"u-2","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","namespace":"shop","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}}}}"#;

    fn shop(labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": labels}})
    }

    fn profile() -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "eci-profile", "namespace": "kube-system"},
               "data": {"selectors": r#"[{"name": "web", "objectLabels": {"matchLabels": {"app": "web"}}, "effect": {"annotations": {"k8s.aliyun.com/acr-instance-ids": "cri-j36zhodptmyq1234"}}}]"#}})
    }

    #[test]
    fn gatekeeper_inventory_is_context() {
        let input = format!(r#"{{"review":{UNMARKED},"parameters":{SETTINGS}}}"#);
        let run = |data: &Value| opa_decision(OpaEntrypoint::Main, input.as_bytes(), data);
        assert_eq!(run(&Value::Null), json!([]));
        // Gatekeeper's sync shape: the namespace label puts the deployment in scope.
        let labelled = json!({"inventory": {"cluster": {"v1": {"Namespace": {
            "shop": shop(json!({"alibabacloud.com/eci": "true"}))}}}}});
        let denied = run(&labelled);
        assert_eq!(denied.as_array().unwrap().len(), 1, "{denied}");
        assert!(
            denied[0]["msg"]
                .as_str()
                .unwrap()
                .starts_with("[custom-domain-missing-instance]")
        );
        // The eci-profile synced under kube-system injects the instance id.
        let mut both = labelled.clone();
        both["inventory"]["namespace"] =
            json!({"kube-system": {"v1": {"ConfigMap": {"eci-profile": profile()}}}});
        assert_eq!(run(&both), json!([]));
        // Selector resources under their group version.
        let selector = json!({"apiVersion": "eci.aliyun.com/v1", "kind": "Selector", "metadata": {"name": "all"}, "spec": {}});
        let selectors = json!({"inventory": {"cluster": {"eci.aliyun.com/v1": {"Selector": {"all": selector}}}}});
        assert_eq!(run(&selectors).as_array().unwrap().len(), 1);
        // What the data holds, as context.
        let ctx = context_from_data(&both);
        assert!(ctx.knows_namespace("shop") && ctx.has_profile());
    }

    #[test]
    fn kubewarden_opa_mode_context_is_read_from_data_kubernetes() {
        let input = format!(r#"{{"request":{UNMARKED}}}"#);
        let mut data: Value = serde_json::from_str(SETTINGS).unwrap();
        let run = |data: &Value| opa_decision(OpaEntrypoint::Main, input.as_bytes(), data);
        assert_eq!(run(&data)["response"]["allowed"], true);
        data["kubernetes"] =
            json!({"namespaces": {"shop": shop(json!({"alibabacloud.com/eci": "true"}))}});
        assert_eq!(run(&data)["response"]["allowed"], false);
        data["kubernetes"]["configmaps"] = json!({"kube-system": {"eci-profile": profile()}});
        assert_eq!(run(&data)["response"]["allowed"], true, "{}", run(&data));
        // A broken eci-profile is no eci-profile, not a denial.
        data["kubernetes"]["configmaps"]["kube-system"]["eci-profile"]["data"]["selectors"] =
            json!("[{");
        assert_eq!(run(&data)["response"]["allowed"], false);
        data["kubernetes"]["namespaces"] = json!({});
        assert_eq!(run(&data)["response"]["allowed"], true);
    }
}
