//! The `secretfree` command: exit codes, output shapes, stdin, the rule table.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretfree"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn secretfree");
    {
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or_default()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("secretfree-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const GOOD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\n  labels: {alibabacloud.com/eci: \"true\"}\n  annotations:\n    k8s.aliyun.com/acr-service-arns: acs:ram::1609982529000000:role/acr-pull\nspec:\n  containers:\n  - name: app\n    image: registry-vpc.cn-hangzhou.aliyuncs.com/shop/app:1.0\n";
const BAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n  namespace: shop\n  annotations:\n    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234\nspec:\n  template:\n    metadata:\n      labels: {alibabacloud.com/eci: \"true\"}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/shop/app:1.0\n";

#[test]
fn check_exit_codes_follow_the_verdict() {
    let good = tmp("good.yaml", GOOD);
    let bad = tmp("bad.yaml", BAD);
    assert_eq!(
        run(&["check", good.to_str().unwrap()], None).status.code(),
        Some(0)
    );
    let out = run(&["check", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("annotation-misplaced"), "{text}");
    assert!(text.contains("fix:"), "{text}");
    let missing = run(&["check", "/nonexistent/file.yaml"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.yaml"));
    let garbage = tmp("garbage.yaml", "kind: [unclosed\n");
    let out = run(&["check", garbage.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("garbage.yaml"));
}

#[test]
fn check_json_lists_every_object() {
    let both = tmp("both.yaml", &format!("{GOOD}---\n{BAD}"));
    let out = run(
        &[
            "check",
            "--format",
            "json",
            "--settings",
            "policies/settings/minimal.yaml",
            both.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("both.yaml#0")
    );
    assert_eq!(items[0]["kind"], "Pod");
    assert_eq!(items[0]["verdict"]["allowed"], true);
    assert_eq!(items[1]["name"], "bad");
    assert_eq!(items[1]["namespace"], "shop");
    let rules: Vec<&str> = items[1]["verdict"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    // One mistake, one deny: the misplaced annotation lists the custom domain's instance.
    assert_eq!(rules, ["annotation-misplaced"]);
}

#[test]
fn check_reads_stdin_and_fix_write_prints_the_repaired_manifest() {
    let out = run(
        &[
            "check",
            "--fix",
            "--write",
            "--settings",
            "policies/settings/minimal.yaml",
            "-",
        ],
        Some(BAD.as_bytes()),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = String::from_utf8(out.stdout).unwrap();
    // Re-checking the repaired manifest finds nothing to deny.
    let again = run(
        &["check", "--settings", "policies/settings/minimal.yaml", "-"],
        Some(fixed.as_bytes()),
    );
    assert_eq!(
        again.status.code(),
        Some(0),
        "{fixed}\n{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

#[test]
fn sarif_is_2_1_0_with_results() {
    let bad = tmp("bad-sarif.yaml", BAD);
    let out = run(&["check", "--format", "sarif", bad.to_str().unwrap()], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "annotation-misplaced" && r["level"] == "error")
    );
    // The finding points at the misplaced annotation's key, not the document's first line.
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 7, "{region}");
    assert_eq!(region["startColumn"], 5, "{region}");
}

#[test]
fn review_answers_with_an_admission_review() {
    let review = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"abc-123","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"default","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"k8s.aliyun.com/acr-user-arns":"acs:ram::1609982529000000:role/x"}},"spec":{"containers":[{"name":"a","image":"registry-vpc.cn-hangzhou.aliyuncs.com/a/b:1"}]}}}}"#;
    let out = run(&["review"], Some(review.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "AdmissionReview");
    assert_eq!(v["response"]["uid"], "abc-123");
    assert_eq!(v["response"]["allowed"], false);
    assert!(
        v["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("user-arn-without-service-arn")
    );
    let out = run(&["review"], Some(b"\x00garbage"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["response"]["allowed"], false);
    assert!(
        v["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("request-invalid")
    );
}

#[test]
fn review_mutation_carries_a_base64_json_patch() {
    let review = r#"{"request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"alibabacloud.com/eci":"true"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}}}"#;
    let settings = tmp(
        "mutate.yaml",
        "mutate: true\ncustomDomains: [{host: registry.example.com, instanceId: cri-j36zhodptmyq1234}]\n",
    );
    let out = run(
        &["review", "--settings", settings.to_str().unwrap()],
        Some(review.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["response"]["allowed"], true);
    assert_eq!(v["response"]["patchType"], "JSONPatch");
    assert!(v["response"]["patch"].as_str().unwrap().len() > 20);
}

#[test]
fn settings_validate_reports_every_problem() {
    for f in ["minimal", "strict", "multi-team"] {
        let out = run(
            &[
                "settings",
                "validate",
                &format!("policies/settings/{f}.yaml"),
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let bad = tmp(
        "bad-settings.yaml",
        "clusterRegion: hangzhou\naccountId: 12\nmutate: maybe\nfoo: 1\n",
    );
    let out = run(&["settings", "validate", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in ["clusterRegion", "accountId", "mutate", "foo"] {
        assert!(err.contains(key), "{key} missing from {err}");
    }
}

#[test]
fn rules_markdown_prints_the_policies_readme() {
    // tests/docs.rs keeps policies/README.md equal to the same text.
    let out = run(&["rules", "--markdown"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        secretfree::rules::policies_readme()
    );
}

#[test]
fn test_command_prints_the_summary_line() {
    let out = run(&["test"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    let last = text.lines().last().unwrap_or("");
    assert!(
        last.ends_with(" failed") && last.contains(" passed, "),
        "{text}"
    );
}

#[test]
fn check_context_decides_scope_and_bad_context_files_exit_2() {
    let deployment = "policies/cases/custom-domain-missing-instance/deny_deployment_namespace_labelled_for_eci.yaml";
    let settings = "policies/settings/minimal.yaml";
    let labelled =
        "policies/cases/custom-domain-missing-instance/context_namespace_labelled_for_eci.yaml";
    // Without context: no ECI signal, not judged.
    let out = run(&["check", deployment, "--settings", settings], None);
    assert_eq!(out.status.code(), Some(0));
    // The namespace is labelled for ECI: judged and denied.
    let out = run(
        &[
            "check",
            deployment,
            "--settings",
            settings,
            "--context",
            labelled,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("custom-domain-missing-instance"), "{text}");
    // The eci-profile injects the instance id (YAML documents; a JSON List works too).
    let profile = std::fs::read_to_string(
        "policies/cases/custom-domain-missing-instance/context_eci_profile_injects_instance.yaml",
    )
    .unwrap();
    let docs = secretfree::tools::manifest::parse_documents(&profile).unwrap();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List",
        "items": docs.iter().map(|d| d.value.clone()).collect::<Vec<_>>()});
    let json_context = tmp("context.json", &list.to_string());
    let allowed = "policies/cases/custom-domain-missing-instance/allow_deployment_instance_from_eci_profile.yaml";
    for ctx in [
        "policies/cases/custom-domain-missing-instance/context_eci_profile_injects_instance.yaml",
        json_context.to_str().unwrap(),
    ] {
        let out = run(
            &["check", allowed, "--settings", settings, "--context", ctx],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{ctx}");
    }

    // Bad context files: exit 2, the message names the file, the document and the problem.
    let pod = tmp("pod-context.yaml", GOOD);
    let out = run(
        &["check", deployment, "--context", pod.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("pod-context.yaml#0") && err.contains("a Pod (v1) is not context"),
        "{err}"
    );
    let broken = tmp(
        "broken-profile.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: eci-profile, namespace: kube-system}\ndata:\n  selectors: '[{\"name\": \"x\",'\n",
    );
    let out = run(
        &["check", deployment, "--context", broken.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("broken-profile.yaml#0") && err.contains("data.selectors is not valid JSON"),
        "{err}"
    );
    let garbage = tmp("garbage.yaml", "a: [1, 2\n");
    let out = run(
        &["check", deployment, "--context", garbage.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("garbage.yaml: not valid YAML"), "{err}");
    let out = run(
        &["check", deployment, "--context", "/nonexistent.yaml"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot read /nonexistent.yaml")
    );
}
