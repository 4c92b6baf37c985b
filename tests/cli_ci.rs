//! `secretfree check` on a repository and in CI: what a directory walk judges (only Kubernetes
//! objects; .gitignore, hidden folders, --exclude; Helm templates), where findings are (line
//! and column), the CI formats (SARIF validated against the 2.1.0 schema, JUnit parsed as XML,
//! GitHub workflow commands), the switches (--quiet, --color, NO_COLOR, --fail-on), a closed
//! pipe, settings warnings and `secretfree test` on a team's own suites.
#![cfg(unix)]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice
)]

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BAD: &str = "# the shop's web deployment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n  namespace: shop\n  annotations:\n    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234   # misplaced\nspec:\n  template:\n    metadata:\n      labels: {alibabacloud.com/eci: \"true\"}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/shop/app:1.0\n";
const WARN_ONLY: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: warned\n  labels: {alibabacloud.com/eci: \"true\"}\n  annotations:\n    k8s.aliyun.com/acr-service-arns: acs:ram::1609982529000000:role/acr-pull\nspec:\n  containers:\n  - name: app\n    image: docker.io/example/app:1\n";

mod support;
use support::TempDir;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_secretfree"));
    cmd.current_dir(cwd)
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run secretfree");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn run(cwd: &Path, args: &[&str]) -> Run {
    run_env(cwd, args, &[])
}

/// A small repository as a platform team has one: Kubernetes manifests, a Helm chart, CI
/// workflows, Node files (node_modules, skipped even when no .gitignore names it), a vendored
/// folder to exclude.
fn repository(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write(".gitignore", "/build/\n");
    dir.write(
        "package.json",
        "{\"name\": \"shop\", \"version\": \"1.0.0\", \"dependencies\": {\"kind-of\": \"6\"}}\n",
    );
    dir.write(
        "tsconfig.json",
        "{\n  // comments are fine here\n  \"compilerOptions\": {\"strict\": true}\n}\n",
    );
    dir.write("node_modules/x/package.json", "{\"name\": \"x\"}\n");
    dir.write("node_modules/x/deploy.yaml", BAD);
    dir.write("build/out.yaml", BAD);
    dir.write(
        ".github/workflows/ci.yml",
        "name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n",
    );
    dir.write(".hidden/deploy.yaml", BAD);
    dir.write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    );
    dir.write(
        "chart/values.yaml",
        "kind: Deployment\nimage: registry.example.com/shop/app\n",
    );
    dir.write(
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"shop.fullname\" . }}\nspec:\n  template:\n    spec:\n      containers:\n      - image: \"{{ .Values.image }}\"\n",
    );
    dir.write("deploy/web.yaml", BAD);
    dir.write(
        "deploy/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n---\n# no object here\nfoo: bar\n",
    );
    dir.write("vendor/other.yaml", BAD);
    dir
}

fn sources(stdout: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| o["source"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_repository_is_judged_object_by_object_and_the_rest_is_skipped() {
    let repo = repository("walk");
    let out = run(
        repo.path(),
        &["check", ".", "--format", "json", "--exclude", "vendor/**"],
    );
    // The Helm template is a warning, not an error: the run ends on the verdicts.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        sources(&out.stdout),
        ["./deploy/config.yaml#0", "./deploy/web.yaml#0"]
    );
    assert!(
        out.stderr.contains(
            "chart/templates/deployment.yaml: a Helm template (Go template syntax on line 4)"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("helm template"), "{}", out.stderr);
    assert!(
        out.stderr.contains("1 document(s) skipped"),
        "{}",
        out.stderr
    );

    // Text: the summary counts what was skipped.
    let out = run(repo.path(), &["check", ".", "--exclude", "vendor"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout
            .contains("2 object(s): 1 allowed, 1 denied, 1 warning(s); 1 file(s) not checked"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("1 document(s) skipped: not Kubernetes objects"),
        "{}",
        out.stdout
    );
    // Without --exclude the vendored copy counts too.
    let out = run(repo.path(), &["check", ".", "--format", "json"]);
    assert!(sources(&out.stdout).contains(&"./vendor/other.yaml#0".to_owned()));

    // --strict-input: every document judged, and the Helm template is an error.
    let out = run(
        repo.path(),
        &[
            "check",
            ".",
            "--format",
            "json",
            "--strict-input",
            "--exclude",
            "vendor/**",
        ],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: ./chart/templates/deployment.yaml: a Helm template"),
        "{}",
        out.stderr
    );
    let all = sources(&out.stdout);
    assert!(all.contains(&"./package.json#0".to_owned()), "{all:?}");
    assert!(all.contains(&"./chart/values.yaml#0".to_owned()), "{all:?}");

    // A Helm chart rendered on stdin is what gets judged.
    let rendered = format!("---\n# Source: shop/templates/deployment.yaml\n{BAD}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_secretfree"))
        .current_dir(repo.path())
        .args(["check", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(rendered.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["source"], "<stdin>#0");
    assert_eq!(v[0]["verdict"]["findings"][0]["line"], 10);
}

#[test]
fn every_finding_has_its_line_and_column() {
    let repo = repository("lines");
    let out = run(
        repo.path(),
        &["check", "deploy/web.yaml", "--format", "json"],
    );
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = v[0]["verdict"]["findings"].as_array().unwrap();
    let at: Vec<(&str, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("annotation-misplaced", 8, 5),
            ("external-image-without-secret", 16, 9)
        ]
    );
    let out = run(repo.path(), &["check", "deploy/web.yaml"]);
    assert!(
        out.stdout.contains("(deploy/web.yaml:8:5)"),
        "{}",
        out.stdout
    );
    // JSON input: positions from the JSON text.
    let json =
        serde_json::to_string_pretty(&secretfree::tools::manifest::yaml_to_value(BAD).unwrap())
            .unwrap();
    repo.write("web.json", &json);
    let out = run(repo.path(), &["check", "web.json", "--format", "json"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let f = &v[0]["verdict"]["findings"][0];
    let line = json
        .lines()
        .position(|l| l.contains("acr-instance-ids"))
        .unwrap()
        + 1;
    assert_eq!(f["line"], line, "{json}");
    assert_eq!(f["column"], 7);
}

fn node_ready() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif");
    if !dir.join("node_modules/ajv").is_dir() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed to validate SARIF (tests/sarif)");
        assert!(status.success(), "npm ci in tests/sarif failed");
    }
    dir
}

#[test]
fn sarif_is_valid_2_1_0_with_rule_help_regions_and_notifications() {
    let repo = repository("sarif");
    repo.write("deploy/broken.yaml", "apiVersion: v1\nkind: [Pod\n");
    let out = run(
        repo.path(),
        &["check", ".", "--format", "sarif", "--exclude", "vendor"],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let path = repo.write("out.sarif", &out.stdout);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let run0 = &v["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), secretfree::RuleId::ALL.len());
    let misplaced = rules
        .iter()
        .find(|r| r["id"] == "annotation-misplaced")
        .unwrap();
    assert_eq!(misplaced["name"], "AnnotationMisplaced");
    for key in ["shortDescription", "fullDescription"] {
        assert!(!misplaced[key]["text"].as_str().unwrap().is_empty());
    }
    assert!(
        misplaced["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("**annotation-misplaced**")
    );
    assert!(
        misplaced["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("/README.md#placement-and-lifecycle")
    );
    let result = &run0["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/web.yaml"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        8
    );
    let invocation = &run0["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    let text: Vec<&str> = notes
        .iter()
        .map(|n| n["message"]["text"].as_str().unwrap())
        .collect();
    assert!(text.iter().any(|t| t.contains("broken.yaml")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("Helm template")), "{text:?}");

    let clean = repo.write(
        "clean/ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    let out = run(
        repo.path(),
        &["check", clean.to_str().unwrap(), "--format", "sarif"],
    );
    assert_eq!(out.code, Some(0));
    let clean_path = repo.write("clean.sarif", &out.stdout);

    let dir = node_ready();
    let check = Command::new("node")
        .arg(dir.join("validate.cjs"))
        .arg(&path)
        .arg(&clean_path)
        .output()
        .expect("node");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn junit_parses_as_xml_with_a_suite_per_file_and_a_failure_per_deny() {
    let repo = repository("junit");
    repo.write("deploy/broken.yaml", "apiVersion: v1\nkind: [Pod & <x>\n");
    let out = run(
        repo.path(),
        &["check", ".", "--format", "junit", "--exclude", "vendor"],
    );
    assert_eq!(out.code, Some(2));
    let xml = repo.write("report.xml", &out.stdout);
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
for s in root.findall("testsuite"):
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases), s.get("name")
    print(s.get("name"), len(cases), len(s.findall("testcase/failure")), len(s.findall("testcase/error")), len(s.findall("testcase/skipped")))
"#;
    let parsed = Command::new("python3")
        .args(["-c", script])
        .arg(&xml)
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&parsed.stdout);
    assert!(
        parsed.status.success(),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&parsed.stderr),
        out.stdout
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "./deploy/config.yaml 1 0 0 0",
            "./deploy/web.yaml 1 1 0 0",
            "./chart/templates/deployment.yaml 1 0 0 1",
            "./deploy/broken.yaml 1 0 1 0",
        ],
        "{}",
        out.stdout
    );
    // With --fail-on warn, warnings fail too.
    let out = run(
        repo.path(),
        &[
            "check",
            "deploy/web.yaml",
            "--format",
            "junit",
            "--fail-on",
            "warn",
        ],
    );
    assert_eq!(out.stdout.matches("<failure ").count(), 2, "{}", out.stdout);
}

#[test]
fn github_format_prints_workflow_commands() {
    let repo = repository("github");
    let out = run(
        repo.path(),
        &["check", ".", "--format", "github", "--exclude", "vendor"],
    );
    assert_eq!(out.code, Some(1));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with(
            "::error file=deploy/web.yaml,line=8,col=5,title=annotation-misplaced::Deployment/shop/bad: "
        ),
        "{}",
        out.stdout
    );
    assert!(lines[1].starts_with(
        "::warning file=deploy/web.yaml,line=16,col=9,title=external-image-without-secret::"
    ));
    assert!(
        lines[2].starts_with(
            "::warning file=chart/templates/deployment.yaml,line=4,title=secretfree::"
        )
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn quiet_colour_and_fail_on() {
    let repo = repository("switches");
    repo.write("warn/pod.yaml", WARN_ONLY);
    // --quiet: only objects with findings.
    let out = run(repo.path(), &["check", "deploy", "--quiet"]);
    assert!(!out.stdout.contains("ConfigMap/"), "{}", out.stdout);
    assert!(out.stdout.contains("Deployment/shop/bad"));
    let out = run(
        repo.path(),
        &["check", "deploy", "--quiet", "--format", "json"],
    );
    assert_eq!(sources(&out.stdout), ["deploy/web.yaml#0"]);
    // Colour: never on a pipe unless asked; NO_COLOR does not beat an explicit --color always.
    let plain = run(repo.path(), &["check", "deploy"]);
    assert!(!plain.stdout.contains('\x1b'));
    let always = run(repo.path(), &["check", "deploy", "--color", "always"]);
    assert!(
        always.stdout.contains("\x1b[1;31mDENIED"),
        "{}",
        always.stdout
    );
    let always = run_env(
        repo.path(),
        &["check", "deploy", "--color", "always"],
        &[("NO_COLOR", "1")],
    );
    assert!(always.stdout.contains('\x1b'));
    let never = run(repo.path(), &["check", "deploy", "--color", "never"]);
    assert!(!never.stdout.contains('\x1b'));
    // --fail-on warn: a warning fails the run.
    assert_eq!(run(repo.path(), &["check", "warn"]).code, Some(0));
    assert_eq!(
        run(repo.path(), &["check", "warn", "--fail-on", "warn"]).code,
        Some(1)
    );
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [&["rules"][..], &["rules", "--markdown"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_secretfree"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close our end: the next writes meet a closed pipe.
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        stdout.read_exact(&mut one).unwrap();
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn settings_with_an_unknown_region_warn_with_the_closest_one() {
    let dir = TempDir::new("region");
    let settings = dir.write("settings.yaml", "clusterRegion: cn-hangzhu\n");
    let out = run(
        dir.path(),
        &["settings", "validate", settings.to_str().unwrap()],
    );
    assert_eq!(out.code, Some(0));
    assert!(
        out.stderr.contains(
            "warning: clusterRegion: cn-hangzhu is not a known region; did you mean cn-hangzhou?"
        ),
        "{}",
        out.stderr
    );
    dir.write("pod.yaml", WARN_ONLY);
    let out = run(
        dir.path(),
        &["check", "pod.yaml", "--settings", "settings.yaml"],
    );
    assert!(
        out.stderr.contains("did you mean cn-hangzhou?"),
        "{}",
        out.stderr
    );
}

#[test]
fn test_runs_a_team_s_own_suites_without_the_coverage_check() {
    let dir = TempDir::new("suites");
    dir.write("team-a/web/deploy.yaml", BAD);
    dir.write(
        "team-a/web/suite.yaml",
        "cases:\n- name: the web deployment is denied for its misplaced annotation\n  request: deploy.yaml\n  expect: {allowed: false, findings: [annotation-misplaced, external-image-without-secret]}\n- name: a wrong expectation fails\n  request: deploy.yaml\n  expect: {allowed: true, findings: []}\n",
    );
    let out = run(dir.path(), &["test", "."]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.lines().last(),
        Some("1 passed, 1 failed"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("coverage"), "{}", out.stdout);
    let out = run(dir.path(), &["test", ".", "--require-coverage"]);
    assert!(out.stdout.contains("FAIL  coverage :: "), "{}", out.stdout);
    // The project's own corpus passes with the coverage check.
    let out = run(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["test", "policies/cases", "--require-coverage"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stdout.ends_with(" passed, 0 failed\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn fix_prints_a_diff_and_fix_write_edits_only_the_repaired_lines() {
    let dir = TempDir::new("fix");
    let settings = dir.write(
        "settings.yaml",
        "customDomains: [{host: registry.example.com, instanceId: cri-j36zhodptmyq1234}]\n",
    );
    let settings = settings.to_str().unwrap();
    let text = format!(
        "{BAD}---\napiVersion: v1\nkind: ConfigMap   # untouched\nmetadata: {{name: c}}\ndata:\n  k: 'v'\n"
    );
    dir.write("deploy/web.yaml", &text);
    let out = run(
        dir.path(),
        &["check", "deploy", "--fix", "--settings", settings],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "--- a/deploy/web.yaml\n+++ b/deploy/web.yaml\n@@ -4,12 +4,13 @@\n metadata:\n   name: bad\n   namespace: shop\n-  annotations:\n-    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234   # misplaced\n+  annotations: {}\n spec:\n   template:\n     metadata:\n       labels: {alibabacloud.com/eci: \"true\"}\n+      annotations:\n+        k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234\n     spec:\n       containers:\n       - name: app\n"
    );
    // The file is untouched until --write.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("deploy/web.yaml")).unwrap(),
        text
    );
    let out = run(
        dir.path(),
        &[
            "check",
            "deploy",
            "--fix",
            "--write",
            "--settings",
            settings,
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("deploy/web.yaml: repaired"),
        "{}",
        out.stderr
    );
    let after = std::fs::read_to_string(dir.path().join("deploy/web.yaml")).unwrap();
    let before_lines: Vec<&str> = text.lines().collect();
    let after_lines: Vec<&str> = after.lines().collect();
    let removed: Vec<&&str> = before_lines
        .iter()
        .filter(|l| !after_lines.contains(l))
        .collect();
    let added: Vec<&&str> = after_lines
        .iter()
        .filter(|l| !before_lines.contains(l))
        .collect();
    assert_eq!(
        removed,
        [
            &"  annotations:",
            &"    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234   # misplaced"
        ]
    );
    assert_eq!(
        added,
        [
            &"  annotations: {}",
            &"      annotations:",
            &"        k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234"
        ]
    );
    // Comments, order and flow style elsewhere stay; the repaired file is allowed.
    assert!(after.starts_with("# the shop's web deployment\n"));
    assert!(after.contains("kind: ConfigMap   # untouched\n"));
    let again = run(
        dir.path(),
        &[
            "check",
            "deploy",
            "--settings",
            settings,
            "--format",
            "json",
        ],
    );
    assert_eq!(again.code, Some(0), "{}", again.stdout);

    // Flow style is not edited: the file stays, the reason is on stderr, the run fails.
    let flow = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {alibabacloud.com/eci: \"true\"}, annotations: {a: b}}\nspec:\n  containers:\n  - {name: app, image: registry.example.com/shop/app:1.0}\n";
    dir.write("flow/pod.yaml", flow);
    let out = run(
        dir.path(),
        &["check", "flow", "--fix", "--write", "--settings", settings],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("flow/pod.yaml: not repaired"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("flow/pod.yaml")).unwrap(),
        flow
    );
}
