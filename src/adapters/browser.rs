//! Browser playground glue (`dist/playground/`): wasm-bindgen exports taking strings and
//! returning JSON strings. Everything they say is computed by `crate::tools::lint` and the core.

use crate::context::Context;
use crate::rules::RuleId;
use crate::settings::Settings;
use crate::tools::fix;
use crate::tools::lint::{self, Linted};
use serde_json::{Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

fn object(r: &Linted, json_input: bool) -> Value {
    let mut entry = r.to_json();
    let patched = r.patched.as_ref().map(|p| {
        if json_input {
            serde_json::to_string_pretty(p).unwrap_or_default() + "\n"
        } else {
            lint::to_yaml(p)
        }
    });
    if let Some(map) = entry.as_object_mut() {
        map.insert("line".into(), json!(r.line));
        map.insert("label".into(), json!(r.label()));
        map.insert("status".into(), json!(r.status()));
        map.insert("patched".into(), json!(patched));
    }
    entry
}

/// Lint a manifest (YAML or JSON, several documents) with settings (YAML or JSON; empty means
/// defaults) and context (Namespaces, the eci-profile ConfigMap, Selectors, as `check
/// --context` reads them; empty means none); `fix` evaluates with `mutate: true`, like
/// `secretfree check --fix`.
///
/// Returns `{"settingsProblems": [{"path", "message"}], "contextProblem": null | "<why the
/// context cannot be read>", "error": null | "<why the manifest cannot be read>", "objects":
/// [{"source", "kind", "name", "namespace", "verdict", "line", "label", "status", "patched"}],
/// "skipped": <documents that are not Kubernetes objects>, "fixed": null | "<the whole
/// manifest, repaired>"}`. Each finding of a verdict carries `line` and `column` (1-based) where
/// it is in the manifest, as `secretfree check --format json` prints them. Only Kubernetes
/// objects are judged (apiVersion and kind), as `check` judges them. When the settings have
/// problems the manifest is judged with the default settings; when the context has one,
/// without context.
#[wasm_bindgen]
pub fn evaluate(manifest: &str, settings: &str, fix: bool, context: &str) -> String {
    let (mut parsed, problems) = match Settings::from_yaml(settings) {
        Ok(s) => (s, Vec::new()),
        Err(errors) => (Settings::default(), errors.0),
    };
    if fix {
        parsed.mutate = true;
    }
    let problems: Vec<Value> = problems
        .into_iter()
        .map(|e| json!({"path": e.path, "message": e.message}))
        .collect();
    let (context, context_problem) = if context.trim().is_empty() {
        (Context::new(), None)
    } else {
        match lint::context_from_text(context, "context") {
            Ok(c) => (c, None),
            Err(e) => (Context::new(), Some(e.to_string())),
        }
    };
    let json_input = lint::is_json_text(manifest);
    let linted = lint::lint_objects(manifest, "manifest", &parsed, &context, false);
    let (error, objects, skipped, fixed) = match linted {
        Ok(found) => {
            let results = found.objects;
            let objects: Vec<Value> = results.iter().map(|r| object(r, json_input)).collect();
            // The repairs as line edits of the manifest (what `check --fix --write` writes);
            // where they cannot be (flow style, JSON), the repaired objects written out whole.
            let refs: Vec<&Linted> = results.iter().collect();
            let fixed = match fix::fix_text(manifest, &refs) {
                Ok(fixed) => fixed,
                Err(_) => results
                    .iter()
                    .any(|r| r.patched.is_some())
                    .then(|| lint::fixed_manifest(&results, !json_input)),
            };
            (None, objects, found.skipped, fixed)
        }
        Err(e) => (Some(e.to_string()), Vec::new(), 0, None),
    };
    json!({
        "settingsProblems": problems,
        "contextProblem": context_problem,
        "error": error,
        "objects": objects,
        "skipped": skipped,
        "fixed": fixed,
    })
    .to_string()
}

/// The rule table (`RuleId::ALL`): `[{"id", "defaultAction", "mutates", "category", "summary"}]`.
#[wasm_bindgen]
pub fn rules() -> String {
    let rules: Vec<Value> = RuleId::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "defaultAction": r.default_action().as_str(),
                "mutates": r.mutates(),
                "category": r.category().title(),
                "summary": r.summary(),
            })
        })
        .collect();
    Value::Array(rules).to_string()
}

/// The crate version, for the page footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
