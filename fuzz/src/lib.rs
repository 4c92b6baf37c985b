//! What the fuzz targets share: the fixed settings and the invariants every verdict keeps.

use secretfree::{Action, RuleId, Settings, Verdict};
use serde_json::Value;
use std::sync::LazyLock;

/// The largest verdict JSON any host may have to carry.
pub const MAX_VERDICT_JSON: usize = 64 * 1024;

/// The settings every request is judged under: the defaults, the multi-team example (access
/// control, scope `all`, mutation on) and the strict example (rules raised to deny).
pub static SETTINGS: LazyLock<Vec<(&'static str, Settings)>> = LazyLock::new(|| {
    let parse = |name: &'static str, text: &str| match Settings::from_yaml(text) {
        Ok(s) => (name, s),
        Err(e) => panic!("{name}: {e}"),
    };
    vec![
        ("default", Settings::default()),
        parse(
            "multi-team",
            include_str!("../../policies/settings/multi-team.yaml"),
        ),
        parse(
            "strict",
            include_str!("../../policies/settings/strict.yaml"),
        ),
    ]
});

/// One request that reaches most rules: misplaced and template annotations, role ARNs, a
/// registry list, custom-domain, VPC, personal and external images, pull secrets.
pub const FIXED_REQUEST: &str = r#"{"uid":"fuzz","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","namespace":"team-a","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"team-a","annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},"spec":{"template":{"metadata":{"labels":{"alibabacloud.com/eci":"true"},"annotations":{"k8s.aliyun.com/acr-service-arns":"acs:ram::1609982529000000:role/acr-team-a","k8s.aliyun.com/acr-user-arns":"acs:ram::1300000000000002:role/shared-images-reader","k8s.aliyun.com/plain-http-registry":"registry.example.com,harbor.local:5000","k8s.aliyun.com/eci-ram-role-name":"team-a-runtime","k8s.aliyun.com/eci-imc-id":"imc-2zebxkiifuyzzlhl"}},"spec":{"imagePullSecrets":[{"name":"pull"}],"containers":[{"name":"app","image":"registry.example.com/shop/app:1.0"},{"name":"side","image":"registry-vpc.cn-beijing.aliyuncs.com/ns/side@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}],"initContainers":[{"name":"init","image":"crpi-abc123.cn-hangzhou.personal.cr.aliyuncs.com/ns/init"},{"name":"hub","image":"nginx:1.25"}]}}}}}"#;

/// Check what every verdict promises (DESIGN §6): its JSON parses back and is at most
/// [`MAX_VERDICT_JSON`] bytes; `allowed` is true iff no finding denies; every rule id is known;
/// findings are sorted by path, then rule; a patch comes only with mutation on, and a finding is
/// `mutated` only when there is a patch. Panics (a fuzzer crash) when one is broken.
pub fn check_verdict(verdict: &Verdict, settings: &Settings) {
    let json = verdict.to_json();
    assert!(
        json.len() <= MAX_VERDICT_JSON,
        "verdict JSON is {} bytes (limit {MAX_VERDICT_JSON})",
        json.len()
    );
    let parsed: Value = match serde_json::from_str(&json) {
        Ok(v) => v,
        Err(e) => panic!("verdict JSON does not parse: {e}: {json}"),
    };

    let denies = verdict.findings.iter().any(|f| f.action == Action::Deny);
    assert_eq!(
        verdict.allowed, !denies,
        "allowed disagrees with findings: {json}"
    );
    for f in &verdict.findings {
        assert_eq!(RuleId::from_id(f.rule.id()), Some(f.rule), "{json}");
    }
    for pair in verdict.findings.windows(2) {
        if let [a, b] = pair {
            assert!(
                (a.path.as_str(), a.rule.id()) <= (b.path.as_str(), b.rule.id()),
                "findings not sorted: {json}"
            );
        }
    }
    if !verdict.patch.is_empty() {
        assert!(settings.mutate, "a patch without mutation on: {json}");
    }
    if verdict.patch.is_empty() {
        assert!(
            verdict.findings.iter().all(|f| f.action != Action::Mutated),
            "a mutated finding without a patch: {json}"
        );
    }

    // The same facts, read back from the JSON as a host reads them.
    assert_eq!(
        parsed.get("allowed").and_then(Value::as_bool),
        Some(verdict.allowed),
        "{json}"
    );
    let findings = parsed.get("findings").and_then(Value::as_array);
    let findings = findings.map(Vec::as_slice).unwrap_or_default();
    assert_eq!(findings.len(), verdict.findings.len(), "{json}");
    let mut any_deny = false;
    for f in findings {
        let rule = f.get("rule").and_then(Value::as_str).unwrap_or_default();
        assert!(
            RuleId::from_id(rule).is_some(),
            "unknown rule id {rule:?}: {json}"
        );
        let action = f.get("action").and_then(Value::as_str).unwrap_or_default();
        assert!(
            matches!(action, "deny" | "warn" | "mutated"),
            "unknown action {action:?}: {json}"
        );
        any_deny |= action == "deny";
    }
    assert_eq!(verdict.allowed, !any_deny, "{json}");
    assert_eq!(
        parsed.get("patch").is_some(),
        !verdict.patch.is_empty(),
        "{json}"
    );
}
