//! The case-suite runner (`secretfree test`, `tests/cases.rs`): native tooling, reads files.
//!
//! Format: DESIGN §9. Every case states `expect.allowed` and `expect.findings`; a case that
//! omits either fails. A case may name a `context` file (YAML, several documents or a `List`:
//! Namespaces, the eci-profile ConfigMap, Selectors; what `secretfree check --context` reads). Cases with a patch are also re-evaluated after applying it: the rules the
//! patch claims to repair must not fire again.

#![forbid(unsafe_code)]

use super::lint::{is_admission, request_for};
use super::manifest;
use crate::context::Context;
use crate::rules::{Action, RuleId};
use crate::settings::Settings;
use crate::verdict::Verdict;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One case, resolved and run.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The suite's folder name (the rule id).
    pub rule: String,
    pub name: String,
    pub suite: PathBuf,
    /// The request file.
    pub request: Option<PathBuf>,
    pub verdict: Option<Verdict>,
    /// Empty when the case passed.
    pub failures: Vec<String>,
}

impl CaseOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// How deep [`find_suites`] looks for `suite.yaml` files under the folder it is given.
const MAX_SUITE_DEPTH: usize = 16;

/// Every `suite.yaml` under `dir` (any depth, hidden folders and symlinked folders left out),
/// sorted; `dir` may also name one suite file.
pub fn find_suites(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if meta.is_file() {
        return Ok(vec![dir.to_owned()]);
    }
    let mut suites = Vec::new();
    let mut folders = vec![(dir.to_owned(), 0usize)];
    while let Some((folder, depth)) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if file_type.is_dir() && !hidden && depth < MAX_SUITE_DEPTH {
                folders.push((path, depth + 1));
            } else if entry.file_name() == "suite.yaml" && path.is_file() {
                suites.push(path);
            }
        }
    }
    suites.sort();
    Ok(suites)
}

fn read_value(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut docs =
        manifest::parse_documents(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if docs.len() != 1 {
        return Err(format!(
            "{}: expected exactly one document, found {}",
            path.display(),
            docs.len()
        ));
    }
    Ok(docs.remove(0).value)
}

/// A mapping inline, or a path (relative to the suite) to a file holding one.
fn value_or_file(v: &Value, base: &Path) -> Result<(Value, Option<PathBuf>), String> {
    match v {
        Value::String(rel) => {
            let path = base.join(rel);
            Ok((read_value(&path)?, Some(path)))
        }
        other => Ok((other.clone(), None)),
    }
}

/// One case of a suite, found but not run: what a test harness lists, one test per case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRef {
    /// The suite's folder name (the rule id).
    pub rule: String,
    /// The case's `name` (`case #<index>` when it has none), or `(suite)` for the suite itself.
    pub name: String,
    pub suite: PathBuf,
    /// Position in the suite's `cases` list; `None` stands for the suite itself when it is
    /// malformed (unreadable, `rule` not its folder name, no `cases` list): running it fails
    /// and says why.
    pub index: Option<usize>,
}

/// A suite file, read once.
struct Suite {
    path: PathBuf,
    /// The folder name (the rule id).
    rule: String,
    cases: Vec<Value>,
    /// What is wrong with the suite itself (empty when nothing).
    problems: Vec<String>,
}

fn case_name(case: &Value, index: usize) -> String {
    case.get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("case #{index}"))
}

impl Suite {
    fn read(path: &Path) -> Suite {
        let mut suite = Suite {
            path: path.to_owned(),
            rule: String::new(),
            cases: Vec::new(),
            problems: Vec::new(),
        };
        suite.rule = suite
            .base()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let doc = match read_value(path) {
            Ok(doc) => doc,
            Err(e) => {
                suite.problems.push(e);
                return suite;
            }
        };
        // In a folder named after a rule (the project's corpus, policies/cases/<rule-id>/),
        // `rule` must be that rule; elsewhere (a team's own suites) it is optional, and names
        // the suite when given.
        let named = doc.get("rule").and_then(Value::as_str);
        if RuleId::from_id(&suite.rule).is_some() {
            if named != Some(suite.rule.as_str()) {
                let folder = &suite.rule;
                suite
                    .problems
                    .push(format!("suite `rule` must be {folder:?}, the folder name"));
            }
        } else if let Some(named) = named {
            suite.rule = named.to_owned();
        }
        match doc.get("cases").and_then(Value::as_array) {
            Some(cases) => suite.cases.clone_from(cases),
            None => suite.problems.push("suite has no `cases` list".into()),
        }
        suite
    }

    /// The folder holding the suite; fixture paths are relative to it.
    fn base(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The suite itself when it is malformed, then every case.
    fn list(&self) -> Vec<CaseRef> {
        let entry = |name: String, index| CaseRef {
            rule: self.rule.clone(),
            name,
            suite: self.path.clone(),
            index,
        };
        let mut out = Vec::new();
        if !self.problems.is_empty() {
            out.push(entry("(suite)".into(), None));
        }
        for (i, case) in self.cases.iter().enumerate() {
            out.push(entry(case_name(case, i), Some(i)));
        }
        out
    }

    fn run(&self, index: Option<usize>) -> CaseOutcome {
        let mut outcome = CaseOutcome {
            rule: self.rule.clone(),
            name: "(suite)".into(),
            suite: self.path.clone(),
            request: None,
            verdict: None,
            failures: Vec::new(),
        };
        let Some(i) = index else {
            outcome.failures.clone_from(&self.problems);
            return outcome;
        };
        let Some(case) = self.cases.get(i) else {
            outcome.name = format!("case #{i}");
            outcome
                .failures
                .push(format!("the suite has no case #{i} (it changed?)"));
            return outcome;
        };
        outcome.name = case_name(case, i);
        if let Err(e) = run_case(case, self.base(), &mut outcome) {
            outcome.failures.push(e);
        }
        outcome
    }
}

/// Run every case of one suite.
pub fn run_suite(suite_path: &Path) -> Vec<CaseOutcome> {
    let suite = Suite::read(suite_path);
    suite.list().iter().map(|c| suite.run(c.index)).collect()
}

/// Every case of every suite under `dir`, in order, without running them (a malformed suite is
/// listed as one entry named `(suite)`).
pub fn list_cases(dir: &Path) -> Result<Vec<CaseRef>, String> {
    Ok(find_suites(dir)?
        .iter()
        .flat_map(|p| Suite::read(p).list())
        .collect())
}

/// Run one case found by [`list_cases`] (its suite is read again).
pub fn run_listed(case: &CaseRef) -> CaseOutcome {
    Suite::read(&case.suite).run(case.index)
}

/// A case reduced to what every host receives: the request document (an AdmissionReview,
/// or an AdmissionRequest built from a manifest) and the settings document.
#[derive(Debug, Clone)]
pub struct ResolvedCase {
    pub rule: String,
    pub name: String,
    pub request: Value,
    /// The settings document as written (`{}` when the case has none).
    pub settings_doc: Value,
    /// The context objects (Namespaces, the eci-profile ConfigMap, Selectors); empty when the
    /// case has no `context`.
    pub context: Vec<Value>,
}

impl ResolvedCase {
    /// The case's [`Context`] (empty when it has none).
    pub fn context(&self) -> Result<Context, String> {
        context_of(&self.context)
    }
}

/// A [`Context`] from context objects; the error names the object.
pub fn context_of(objects: &[Value]) -> Result<Context, String> {
    let mut ctx = Context::new();
    for (i, object) in objects.iter().enumerate() {
        ctx.add_object(object)
            .map_err(|e| format!("context object #{i}: {e}"))?;
    }
    Ok(ctx)
}

/// The objects of a case's `context`: a path (relative to the suite) to a YAML or JSON file
/// of several documents or `List`s, or the objects inline (a list).
fn context_objects(case: &Value, base: &Path) -> Result<Vec<Value>, String> {
    match case.get("context") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(rel)) => {
            let path = base.join(rel);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Ok(manifest::parse_documents(&text)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .into_iter()
                .map(|d| d.value)
                .collect())
        }
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err("`context` is a file name or a list of objects".into()),
    }
}

fn resolve(case: &Value, base: &Path) -> Result<(Value, Value, Option<PathBuf>), String> {
    let settings_doc = match case.get("settings") {
        None | Some(Value::Null) => json!({}),
        Some(v) => value_or_file(v, base)?.0,
    };
    let request_ref = case.get("request").ok_or("case has no `request`")?;
    let (request_doc, request_path) = value_or_file(request_ref, base)?;
    let old = match case.get("oldObject") {
        Some(v) => Some(value_or_file(v, base)?.0),
        None => None,
    };
    let request = if is_admission(&request_doc) {
        request_doc
    } else {
        request_for(&request_doc, old.as_ref())
    };
    Ok((request, settings_doc, request_path))
}

/// Every case under `dir`, resolved (for hosts that replay the corpus).
pub fn resolve_all(dir: &Path) -> Result<Vec<ResolvedCase>, String> {
    let mut out = Vec::new();
    for suite_path in find_suites(dir)? {
        let base = suite_path.parent().unwrap_or(Path::new("."));
        let suite = read_value(&suite_path)?;
        let rule = suite
            .get("rule")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| base.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        for (i, case) in suite
            .get("cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let name = case_name(case, i);
            let (request, settings_doc, _) =
                resolve(case, base).map_err(|e| format!("{rule} :: {name}: {e}"))?;
            let context =
                context_objects(case, base).map_err(|e| format!("{rule} :: {name}: {e}"))?;
            out.push(ResolvedCase {
                rule: rule.clone(),
                name,
                request,
                settings_doc,
                context,
            });
        }
    }
    Ok(out)
}

fn run_case(case: &Value, base: &Path, outcome: &mut CaseOutcome) -> Result<(), String> {
    let (request, settings_doc, request_path) = resolve(case, base)?;
    outcome.request = request_path;
    let settings = Settings::from_value(&settings_doc).map_err(|e| format!("settings: {e}"))?;
    let context = context_of(&context_objects(case, base)?)?;
    let bytes = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    let verdict = crate::evaluate_json_with_context(&bytes, &settings, &context);

    let expect = case.get("expect").ok_or("case has no `expect`")?;
    let want_allowed = expect
        .get("allowed")
        .and_then(Value::as_bool)
        .ok_or("case has no `expect.allowed` (true or false)")?;
    let want_rules: BTreeSet<String> = expect
        .get("findings")
        .and_then(Value::as_array)
        .ok_or("case has no `expect.findings` (list of rule ids; [] for none)")?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or("expect.findings holds rule ids (strings)")
        })
        .collect::<Result<_, _>>()?;
    for id in &want_rules {
        if RuleId::from_id(id).is_none() {
            outcome
                .failures
                .push(format!("expect.findings names unknown rule {id:?}"));
        }
    }
    if verdict.allowed != want_allowed {
        outcome.failures.push(format!(
            "expected allowed: {want_allowed}, got {}",
            verdict.allowed
        ));
    }
    let got_rules: BTreeSet<String> = verdict.rule_ids().into_iter().map(str::to_owned).collect();
    if got_rules != want_rules {
        outcome.failures.push(format!(
            "expected findings {:?}, got {:?}",
            want_rules.iter().collect::<Vec<_>>(),
            got_rules.iter().collect::<Vec<_>>()
        ));
    }
    // The request with the patch applied to its object, computed once for both checks below.
    let repaired = if verdict.patch.is_empty() && expect.get("patched").is_none() {
        None
    } else {
        let mut repaired = request.clone();
        let applied = match crate::model::request_object_mut(&mut repaired) {
            Some(obj) => crate::patch::apply(obj, &verdict.patch)
                .map_err(|e| format!("patch does not apply: {e}")),
            None => Err("the request has no object to patch".to_owned()),
        };
        match applied {
            Ok(()) => Some(repaired),
            Err(e) => {
                outcome.failures.push(e);
                None
            }
        }
    };
    if let Some(patched_ref) = expect.get("patched") {
        let (want_obj, _) = value_or_file(patched_ref, base)?;
        if let Some(obj) = repaired.as_ref().and_then(request_object)
            && *obj != want_obj
        {
            outcome.failures.push(format!(
                "patched object differs from expect.patched; got:\n{}",
                serde_json::to_string_pretty(obj).unwrap_or_default()
            ));
        }
    }
    if let Some(repaired) = repaired.filter(|_| !verdict.patch.is_empty()) {
        check_repair(&repaired, &verdict, &settings, &context, outcome);
    }
    outcome.verdict = Some(verdict);
    Ok(())
}

/// Evaluate the repaired request again: what the patch claimed to repair must be gone.
fn check_repair(
    repaired: &Value,
    verdict: &Verdict,
    settings: &Settings,
    context: &Context,
    outcome: &mut CaseOutcome,
) {
    let bytes = serde_json::to_vec(repaired).unwrap_or_default();
    let again = crate::evaluate_json_with_context(&bytes, settings, context);
    let repaired: BTreeSet<&str> = verdict
        .with_action(Action::Mutated)
        .map(|f| f.rule.id())
        .collect();
    for f in &again.findings {
        if repaired.contains(f.rule.id()) {
            outcome.failures.push(format!(
                "after applying the patch, {} still fires: {}",
                f.rule.id(),
                f.message
            ));
        }
    }
    if !again.patch.is_empty() {
        outcome
            .failures
            .push("after applying the patch, evaluating again produces another patch".into());
    }
}

/// Run every suite under `dir`.
pub fn run_all(dir: &Path) -> Result<Vec<CaseOutcome>, String> {
    Ok(find_suites(dir)?
        .iter()
        .flat_map(|s| run_suite(s))
        .collect())
}

/// Rules whose folder lacks a case where the rule fires or a case where it does not.
pub fn coverage_gaps(dir: &Path, outcomes: &[CaseOutcome]) -> Vec<String> {
    let mut gaps = Vec::new();
    for rule in RuleId::ALL {
        if !dir.join(rule.id()).join("suite.yaml").is_file() {
            gaps.push(format!(
                "{}: no policies/cases/{}/suite.yaml",
                rule.id(),
                rule.id()
            ));
            continue;
        }
        let mine: Vec<&CaseOutcome> = outcomes.iter().filter(|o| o.rule == rule.id()).collect();
        let fires = mine.iter().any(|o| {
            o.verdict
                .as_ref()
                .is_some_and(|v| v.findings.iter().any(|f| f.rule == *rule))
        });
        let quiet = mine.iter().any(|o| {
            o.verdict
                .as_ref()
                .is_some_and(|v| v.allowed && !v.findings.iter().any(|f| f.rule == *rule))
        });
        if !fires {
            gaps.push(format!("{}: no case where the rule fires", rule.id()));
        }
        if !quiet {
            gaps.push(format!(
                "{}: no allowed case where the rule stays quiet",
                rule.id()
            ));
        }
    }
    gaps
}

/// The object a request document carries: `request.object` of an AdmissionReview, or
/// `object` of a bare AdmissionRequest.
fn request_object(doc: &Value) -> Option<&Value> {
    doc.get("request").unwrap_or(doc).get("object")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn corpus(name: &str, suites: &[(&str, &str)]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("secretfree-suite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (rule, text) in suites {
            std::fs::create_dir_all(dir.join(rule)).unwrap();
            std::fs::write(dir.join(rule).join("suite.yaml"), text).unwrap();
        }
        dir
    }

    #[test]
    fn lists_cases_one_by_one_and_runs_each() {
        let pod = "{kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: nginx}]}}";
        let dir = corpus(
            "list",
            &[
                (
                    "image-invalid",
                    &format!(
                        "rule: image-invalid\ncases:\n- name: fine\n  request: {pod}\n  expect: {{allowed: true, findings: []}}\n- request: {pod}\n  expect: {{allowed: false, findings: []}}\n"
                    ),
                ),
                ("placeholder-value", "rule: other\n"),
            ],
        );
        let cases = list_cases(&dir).unwrap();
        let listed: Vec<(&str, &str, Option<usize>)> = cases
            .iter()
            .map(|c| (c.rule.as_str(), c.name.as_str(), c.index))
            .collect();
        assert_eq!(
            listed,
            [
                ("image-invalid", "fine", Some(0)),
                ("image-invalid", "case #1", Some(1)),
                ("placeholder-value", "(suite)", None),
            ]
        );
        assert!(run_listed(&cases[0]).passed());
        let second = run_listed(&cases[1]);
        assert_eq!(second.failures, ["expected allowed: false, got true"]);
        let suite = run_listed(&cases[2]);
        assert_eq!(suite.failures.len(), 2, "{:?}", suite.failures);
        // Running the whole corpus gives the same outcomes, in the same order.
        let all = run_all(&dir).unwrap();
        let names: Vec<&str> = all.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["fine", "case #1", "(suite)"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_team_s_own_suites_need_no_rule_folder() {
        let pod = "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: nginx}]}}";
        let dir = corpus(
            "team",
            &[
                (
                    "team-a/web",
                    &format!(
                        "cases:\n- name: web is fine\n  request: {pod}\n  expect: {{allowed: true, findings: []}}\n"
                    ),
                ),
                (
                    "team-b",
                    &format!(
                        "rule: my-checks\ncases:\n- name: b\n  request: {pod}\n  expect: {{allowed: true, findings: []}}\n"
                    ),
                ),
                (".hidden", "cases: [{}]\n"),
            ],
        );
        let all = run_all(&dir).unwrap();
        let got: Vec<(&str, &str, bool)> = all
            .iter()
            .map(|o| (o.rule.as_str(), o.name.as_str(), o.passed()))
            .collect();
        assert_eq!(
            got,
            [("web", "web is fine", true), ("my-checks", "b", true)]
        );
        // One suite file named directly.
        let one = run_all(&dir.join("team-b/suite.yaml")).unwrap();
        assert_eq!(one.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
