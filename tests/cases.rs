#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice
)]
//! The case corpus (policies/cases/<rule-id>/suite.yaml) run natively, each verdict snapshotted.

use secretfree::tools::suite;
use std::path::Path;

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

#[test]
fn every_case_passes_and_matches_its_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/cases");
    let outcomes = suite::run_all(&dir).expect("policies/cases is readable");
    assert!(
        !outcomes.is_empty(),
        "no cases found under {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for o in &outcomes {
        if !o.passed() {
            failures.push(format!(
                "{} :: {}\n    {}",
                o.rule,
                o.name,
                o.failures.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/cases"));
    settings.bind(|| {
        for o in &outcomes {
            let verdict = o.verdict.as_ref().expect("passed cases have a verdict");
            let request = o
                .request
                .as_ref()
                .and_then(|p| p.strip_prefix(env!("CARGO_MANIFEST_DIR")).ok())
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(inline)".into());
            insta::with_settings!({ description => format!("{}: {}", o.rule, o.name), info => &request }, {
                insta::assert_snapshot!(format!("{}__{}", o.rule, slug(&o.name)), verdict.to_json_pretty());
            });
        }
    });
}

#[test]
fn every_rule_has_allow_and_deny_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/cases");
    let outcomes = suite::run_all(&dir).expect("policies/cases is readable");
    let gaps = suite::coverage_gaps(&dir, &outcomes);
    assert!(gaps.is_empty(), "case coverage gaps:\n{}", gaps.join("\n"));
    // Fixture names state the expected outcome.
    for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
        for file in std::fs::read_dir(entry.path()).expect("readable").flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name == "suite.yaml" {
                continue;
            }
            assert!(
                ["allow_", "deny_", "warn_", "mutate_", "patched_", "old_"]
                    .iter()
                    .any(|p| name.starts_with(p)),
                "{}: fixture names start with allow_, deny_, warn_, mutate_, patched_ or old_",
                file.path().display()
            );
        }
    }
}
