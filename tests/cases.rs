#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice
)]
//! The case corpus (policies/cases/<rule-id>/suite.yaml) run natively, one test per case, each
//! verdict snapshotted in tests/snapshots/cases/<rule-id>__<case name slug>.snap.
//!
//! Its own harness (libtest-mimic, `harness = false`), so libtest's flags work: tests are named
//! `<rule-id>::<case name slug>`, `cargo test --test cases annotation-misplaced` runs one rule's
//! cases, `-- --exact <rule-id>::<slug>` one case, `-- --list` names them all. The coverage
//! check is the test `every_rule_has_allow_and_deny_cases`.

use libtest_mimic::{Arguments, Failed, Trial};
use secretfree::engines::admission;
use secretfree::tools::suite::{self, CaseRef};
use secretfree::{Action, Verdict};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cases_dir() -> PathBuf {
    root().join("policies/cases")
}

/// A path relative to the repository (for messages and snapshot metadata).
fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

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

/// `<rule-id>::<case name slug>`; `<rule-id>::(suite)` for a malformed suite.
fn test_name(case: &CaseRef) -> String {
    match case.index {
        Some(_) => format!("{}::{}", case.rule, slug(&case.name)),
        None => format!("{}::(suite)", case.rule),
    }
}

fn main() {
    let args = Arguments::from_args();
    let dir = cases_dir();
    let mut trials = vec![Trial::test(
        "every_rule_has_allow_and_deny_cases",
        every_rule_has_allow_and_deny_cases,
    )];
    match suite::list_cases(&dir) {
        Ok(cases) if !cases.is_empty() => trials.extend(
            cases
                .into_iter()
                .map(|case| Trial::test(test_name(&case), move || check_case(&case))),
        ),
        Ok(_) => trials.push(Trial::test("policies/cases", move || {
            Err(format!("no cases found under {}", dir.display()).into())
        })),
        Err(e) => trials.push(Trial::test("policies/cases", move || Err(e.into()))),
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Run one case: its expectations must hold and its verdict must match its snapshot.
fn check_case(case: &CaseRef) -> Result<(), Failed> {
    let o = suite::run_listed(case);
    if !o.passed() {
        let at = match case.index {
            Some(i) => format!("{}, case #{i}", relative(&o.suite)),
            None => relative(&o.suite),
        };
        return Err(format!(
            "{} :: {} ({at})\n    {}",
            o.rule,
            o.name,
            o.failures.join("\n    ")
        )
        .into());
    }
    let Some(verdict) = o.verdict.as_ref() else {
        return Ok(());
    };
    admission_text_holds(verdict).map_err(|e| format!("{} :: {}: {e}", o.rule, o.name))?;
    let request = o
        .request
        .as_deref()
        .map(relative)
        .unwrap_or_else(|| "(inline)".into());
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(root().join("tests/snapshots/cases"));
    settings.bind(|| {
        insta::with_settings!({ description => format!("{}: {}", o.rule, o.name), info => &request }, {
            insta::assert_snapshot!(format!("{}__{}", o.rule, slug(&o.name)), verdict.to_json_pretty());
        });
    });
    Ok(())
}

/// What the admission hosts show of a verdict: every warning within Kubernetes' recommended
/// 120 characters; the deny message a summary line, then every finding in full, one a line.
fn admission_text_holds(verdict: &Verdict) -> Result<(), String> {
    for w in admission::warnings(verdict) {
        let n = w.chars().count();
        if n > admission::MAX_WARNING_CHARS || w.contains('\n') {
            return Err(format!("warning of {n} characters: {w}"));
        }
    }
    match admission::deny_message(verdict) {
        None if verdict.allowed => Ok(()),
        None => Err("denied without a deny message".into()),
        Some(_) if verdict.allowed => Err("allowed with a deny message".into()),
        Some(message) => {
            let lines: Vec<&str> = message.lines().skip(1).collect();
            let want: Vec<String> = verdict
                .with_action(Action::Deny)
                .map(Verdict::line)
                .chain(
                    verdict
                        .with_action(Action::Warn)
                        .map(|f| format!("warning: {}", Verdict::line(f))),
                )
                .collect();
            if lines == want {
                Ok(())
            } else {
                Err(format!(
                    "deny message {message:?} does not list the findings one a line"
                ))
            }
        }
    }
}

fn every_rule_has_allow_and_deny_cases() -> Result<(), Failed> {
    let dir = cases_dir();
    let outcomes = suite::run_all(&dir)?;
    let mut problems = suite::coverage_gaps(&dir, &outcomes);
    // Fixture names state the expected outcome.
    for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
        for file in std::fs::read_dir(entry.path()).expect("readable").flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name == "suite.yaml" {
                continue;
            }
            if ![
                "allow_", "deny_", "warn_", "mutate_", "patched_", "old_", "context_",
            ]
            .iter()
            .any(|p| name.starts_with(p))
            {
                problems.push(format!(
                    "{}: fixture names start with allow_, deny_, warn_, mutate_, patched_, old_ or context_",
                    relative(&file.path())
                ));
            }
        }
    }
    // Each case is one test and one snapshot: their names must not collide.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for case in suite::list_cases(&dir)? {
        let name = test_name(&case);
        if let Some(first) = seen.insert(name.clone(), case.name.clone()) {
            problems.push(format!(
                "{name}: cases {first:?} and {:?} have the same name once slugged",
                case.name
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("case coverage gaps:\n{}", problems.join("\n")).into())
    }
}
