//! Hostile requests: small or large inputs built to make the evaluation slow or its verdict
//! large. Every one must give a bounded verdict (time is measured in `just bench`, not here).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use secretfree::{Settings, evaluate_json};

/// The largest verdict JSON any request may produce.
const MAX_VERDICT_BYTES: usize = 64 * 1024;

fn settings() -> Settings {
    Settings::from_yaml(include_str!("../policies/settings/multi-team.yaml")).unwrap()
}

fn pod(annotations: &str, containers: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","kind":{{"group":"","version":"v1","kind":"Pod"}},"operation":"CREATE","namespace":"team-a",
        "object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p","namespace":"team-a","annotations":{annotations}}},"spec":{{"containers":[{containers}]}}}}}}}}"#
    )
    .into_bytes()
}

const APP: &str = r#"{"name":"app","image":"registry-vpc.cn-hangzhou.aliyuncs.com/team-a/app:1"}"#;

fn check(name: &str, request: &[u8]) -> secretfree::Verdict {
    assert!(
        request.len() <= secretfree::MAX_INPUT_BYTES,
        "{name} is too big a test input"
    );
    let verdict = evaluate_json(request, &settings());
    let json = verdict.to_json();
    assert!(
        json.len() <= MAX_VERDICT_BYTES,
        "{name}: verdict is {} bytes",
        json.len()
    );
    assert!(!verdict.allowed, "{name} must be denied");
    verdict
}

#[test]
fn a_list_of_commas() {
    let value = ",".repeat(100_000);
    let v = check(
        "100,000 commas",
        &pod(
            &format!(r#"{{"k8s.aliyun.com/acr-instance-ids":"{value}"}}"#),
            APP,
        ),
    );
    assert!(v.findings.iter().all(|f| f.message.len() < 1024));
}

#[test]
fn a_forbidden_id_after_many_empty_entries_is_still_denied() {
    let value = ",".repeat(10_000) + "cri-nwj395hgf6f3abcd";
    let v = check(
        "forbidden id past the list limit",
        &pod(
            &format!(r#"{{"k8s.aliyun.com/acr-instance-ids":"{value}"}}"#),
            APP,
        ),
    );
    assert!(
        v.findings
            .iter()
            .any(|f| f.rule.id() == "instance-not-allowed")
    );
}

#[test]
fn many_distinct_ids() {
    let value: Vec<String> = (0..120_000u32).map(|i| format!("cri-{i:016}")).collect();
    check(
        "120,000 ids",
        &pod(
            &format!(
                r#"{{"k8s.aliyun.com/acr-instance-ids":"{}"}}"#,
                value.join(",")
            ),
            APP,
        ),
    );
}

#[test]
fn spaces_and_many_custom_domain_images() {
    let containers: Vec<String> = (0..400)
        .map(|i| format!(r#"{{"name":"c{i}","image":"registry.team-b.example.com/x/app{i}:1"}}"#))
        .collect();
    check(
        "1 MB of spaces and 400 custom-domain images",
        &pod(
            &format!(
                r#"{{"k8s.aliyun.com/acr-instance-ids":"{}"}}"#,
                " ".repeat(1_000_000)
            ),
            &containers.join(","),
        ),
    );
}

#[test]
fn many_role_arns_and_long_names() {
    let arns = vec!["acs:ram::1609982529000000:role/x"; 60_000].join(",");
    let long_name = "a".repeat(500_000);
    check(
        "60,000 ARNs and a 500 KB container name",
        &pod(
            &format!(r#"{{"k8s.aliyun.com/acr-service-arns":"{arns}"}}"#),
            &format!(r#"{{"name":"{long_name}","image":"quay.io/x/y:1"}}"#),
        ),
    );
}

#[test]
fn many_containers_with_findings() {
    let containers: Vec<String> = (0..20_000)
        .map(|i| format!(r#"{{"name":"c{i}","image":"BAD IMAGE {i}"}}"#))
        .collect();
    let v = check("20,000 invalid images", &pod("{}", &containers.join(",")));
    assert!(v.findings.iter().any(
        |f| f.rule.id() == "image-invalid" && f.message.contains("more image-invalid findings")
    ));
}

#[test]
fn a_huge_misplaced_value_is_not_copied_into_the_patch() {
    let value = "a".repeat(1_000_000);
    let request = format!(
        r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"d","namespace":"team-a","annotations":{{"k8s.aliyun.com/acr-service-arns":"{value}"}}}},
        "spec":{{"template":{{"metadata":{{"labels":{{"app":"d"}}}},"spec":{{"containers":[{APP}]}}}}}}}}"#
    );
    let v = check("1 MB misplaced value with mutate: true", request.as_bytes());
    assert!(v.patch.is_empty(), "{:?}", v.patch);
}
