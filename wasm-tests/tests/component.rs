//! The WebAssembly Component (`dist/component/secretfree.wasm`, world `secretfree` of
//! `wit/secretfree.wit`) in two real hosts: wasmtime (here) and jco (`node/component.mjs`).
//!
//! Every case of policies/cases must give the native verdict byte for byte once the WIT records
//! are turned back into the DESIGN §6 JSON. Run `just dist` (or `xtask dist component`) first.

mod support;

use secretfree::Settings;
use secretfree::rules::RuleId;
use secretfree::tools::manifest;
use secretfree_wasm_tests::{
    Case, artifact, cases, hostile_inputs, hostile_requests, hostile_settings_json, repo, run_node,
    same_verdict, write_corpus_json,
};
use wasmparser::{Parser, Payload};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};

wasmtime::component::bindgen!({ world: "secretfree", path: "../wit" });

use exports::secretfree::policy::evaluator::{Action, PatchKind, SettingsProblem, Verdict};

const ARTIFACT: &str = "component/secretfree.wasm";

/// A fresh engine, store and instance; the linker is empty, so instantiation proves the
/// component imports nothing.
fn instantiate(bytes: &[u8]) -> (Store<()>, Secretfree) {
    let engine = Engine::new(&Config::new()).unwrap_or_else(|e| panic!("engine: {e:?}"));
    let component =
        Component::new(&engine, bytes).unwrap_or_else(|e| panic!("compiling the component: {e:?}"));
    let mut store = Store::new(&engine, ());
    let linker = Linker::<()>::new(&engine);
    let instance = Secretfree::instantiate(&mut store, &component, &linker)
        .unwrap_or_else(|e| panic!("instantiating with an empty linker: {e:?}"));
    (store, instance)
}

fn action(a: Action) -> &'static str {
    match a {
        Action::Deny => "deny",
        Action::Warn => "warn",
        Action::Mutated => "mutated",
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The §6 JSON text rebuilt from the WIT records: same field order as `Verdict::to_json`
/// (allowed, findings{rule, action, path, message, fix}, patch{op, path, value} only when
/// non-empty); `value-json` is spliced in as it is.
fn verdict_json(v: &Verdict) -> String {
    let findings: Vec<String> = v
        .findings
        .iter()
        .map(|f| {
            format!(
                r#"{{"rule":{},"action":{},"path":{},"message":{},"fix":{}}}"#,
                json_str(&f.rule),
                json_str(action(f.action)),
                json_str(&f.path),
                json_str(&f.message),
                json_str(&f.fix)
            )
        })
        .collect();
    let mut out = format!(
        r#"{{"allowed":{},"findings":[{}]"#,
        v.allowed,
        findings.join(",")
    );
    if !v.patch.is_empty() {
        let ops: Vec<String> = v
            .patch
            .iter()
            .map(|p| {
                let op = match p.op {
                    PatchKind::Add => "add",
                    PatchKind::Remove => "remove",
                    PatchKind::Replace => "replace",
                };
                let value = p
                    .value_json
                    .as_ref()
                    .map(|v| format!(r#","value":{v}"#))
                    .unwrap_or_default();
                format!(
                    r#"{{"op":{},"path":{}{value}}}"#,
                    json_str(op),
                    json_str(&p.path)
                )
            })
            .collect();
        out.push_str(&format!(r#","patch":[{}]"#, ops.join(",")));
    }
    out.push('}');
    out
}

fn problems(p: &[SettingsProblem]) -> Vec<(String, String)> {
    p.iter()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect()
}

fn native_problems(settings_json: &str) -> Vec<(String, String)> {
    match Settings::from_json(settings_json) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.into_iter().map(|e| (e.path, e.message)).collect(),
    }
}

/// Call `validate` with the given request text and the case's settings: `Ok(verdict JSON)`, or a
/// description of what went wrong.
fn run(
    store: &mut Store<()>,
    policy: &Secretfree,
    case: &Case,
    request_json: &str,
) -> Result<String, String> {
    match policy.secretfree_policy_evaluator().call_validate(
        &mut *store,
        request_json,
        &case.settings_json(),
    ) {
        Err(trap) => Err(format!("{}: trap: {trap:?}", case.id)),
        Ok(Err(p)) => Err(format!(
            "{}: settings rejected: {:?}",
            case.id,
            problems(&p)
        )),
        Ok(Ok(v)) => Ok(verdict_json(&v)),
    }
}

/// The request text the native oracle judged: the case's document (an AdmissionReview or an
/// AdmissionRequest) serialised as `wasm-tests/src/lib.rs` does before `evaluate_json`.
fn document_json(case: &Case) -> String {
    serde_json::to_string(&case.document).unwrap_or_default()
}

/// The native verdict for the unwrapped AdmissionRequest text (`Case::request_json`). It differs
/// from `case.native` only in parse-error positions of `request-invalid` messages.
fn native_for_request(case: &Case) -> String {
    let settings =
        Settings::from_value(&case.settings).unwrap_or_else(|e| panic!("{}: {e}", case.id));
    secretfree::evaluate_json(case.request_json().as_bytes(), &settings).to_json()
}

/// Both inputs of one case: the document (byte for byte against `case.native`) and the unwrapped
/// request (against the native verdict of the same text). Returns the differences.
fn check_case(store: &mut Store<()>, policy: &Secretfree, case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    match run(store, policy, case, &document_json(case)) {
        Err(e) => out.push(e),
        Ok(got) => out.extend(same_verdict(case, &got).err()),
    }
    match run(store, policy, case, &case.request_json()) {
        Err(e) => out.push(e),
        Ok(got) => {
            let want = native_for_request(case);
            if got != want {
                out.push(format!(
                    "{} (unwrapped request)\n  native:   {want}\n  artifact: {got}",
                    case.id
                ));
            }
        }
    }
    out
}

/// (imports, exports) of the component itself (depth 0, not its nested core modules), and the
/// total size of its embedded core modules.
fn component_interface(bytes: &[u8]) -> (Vec<String>, Vec<String>, u64) {
    assert!(Parser::is_component(bytes), "{ARTIFACT} is not a component");
    let (mut imports, mut exports, mut core_bytes, mut depth) =
        (Vec::new(), Vec::new(), 0u64, 0usize);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.unwrap_or_else(|e| panic!("parsing {ARTIFACT}: {e}")) {
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                core_bytes += unchecked_range.end - unchecked_range.start;
                depth += 1;
            }
            Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(r) if depth == 0 => {
                imports.extend(r.into_iter().map(|i| {
                    i.map(|i| i.name.name.to_owned())
                        .unwrap_or_else(|e| panic!("{e}"))
                }));
            }
            Payload::ComponentExportSection(r) if depth == 0 => {
                exports.extend(r.into_iter().map(|i| {
                    i.map(|i| i.name.name.to_owned())
                        .unwrap_or_else(|e| panic!("{e}"))
                }));
            }
            _ => {}
        }
    }
    (imports, exports, core_bytes)
}

#[test]
fn component_imports_nothing() {
    let bytes = artifact(ARTIFACT);
    let (imports, exports, core_bytes) = component_interface(&bytes);
    println!(
        "{ARTIFACT}: {} bytes (core module {core_bytes} bytes); imports {imports:?}; exports {exports:?}",
        bytes.len()
    );
    assert!(imports.is_empty(), "the component imports {imports:?}");
    assert_eq!(exports, ["secretfree:policy/evaluator@0.1.0"]);

    // The same, as wasmtime sees the component's type.
    let engine = Engine::new(&Config::new()).unwrap_or_else(|e| panic!("{e:?}"));
    let component = Component::new(&engine, &bytes).unwrap_or_else(|e| panic!("{e:?}"));
    let ty = component.component_type();
    let imports: Vec<String> = ty
        .imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(imports.is_empty(), "wasmtime sees imports {imports:?}");
}

#[test]
fn wasmtime_every_case_matches_native() {
    let (mut store, policy) = instantiate(&artifact(ARTIFACT));
    let cases = cases();
    assert!(!cases.is_empty(), "no cases under policies/cases");
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|case| check_case(&mut store, &policy, case))
        .collect();
    println!(
        "wasmtime component: {} cases compared (document and unwrapped request each), {} differences",
        cases.len(),
        failures.len()
    );
    secretfree_wasm_tests::assert_all_match(&failures, cases.len());
}

#[test]
fn wasmtime_rules_are_the_rule_table() {
    let (mut store, policy) = instantiate(&artifact(ARTIFACT));
    let got = policy
        .secretfree_policy_evaluator()
        .call_rules(&mut store)
        .unwrap_or_else(|e| panic!("trap: {e:?}"));
    let got: Vec<(String, &str, bool, String)> = got
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                action(r.default_action),
                r.mutates,
                r.summary.clone(),
            )
        })
        .collect();
    let want: Vec<(String, &str, bool, String)> = RuleId::ALL
        .iter()
        .map(|r| {
            (
                r.id().to_owned(),
                r.default_action().as_str(),
                r.mutates(),
                r.summary().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn wasmtime_validate_settings() {
    let (mut store, policy) = instantiate(&artifact(ARTIFACT));
    let eval = policy.secretfree_policy_evaluator();

    // Every shipped settings file is accepted.
    let dir = repo().join("policies/settings");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no settings files in {}", dir.display());
    for file in &files {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let value =
            manifest::yaml_to_value(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let json = serde_json::to_string(&value).unwrap_or_default();
        let got = eval
            .call_validate_settings(&mut store, &json)
            .unwrap_or_else(|e| panic!("trap: {e:?}"));
        assert!(
            got.is_ok(),
            "{} rejected: {:?}",
            file.display(),
            got.err().map(|p| problems(&p))
        );
    }
    println!(
        "validate-settings accepts {} files in policies/settings",
        files.len()
    );

    // Empty text and `null` mean the defaults.
    for empty in ["", "null", "{}"] {
        let got = eval
            .call_validate_settings(&mut store, empty)
            .unwrap_or_else(|e| panic!("trap: {e:?}"));
        assert!(
            got.is_ok(),
            "{empty:?} rejected: {:?}",
            got.err().map(|p| problems(&p))
        );
    }

    // Four mistakes, four problems, the same as natively (path and message).
    let bad = r#"{"clusterRegoin":"cn-hangzhou","mutate":"yes","customDomains":[{"host":"registry.example.com","instanceId":"cri-short"}],"rules":{"no-such-rule":"deny"}}"#;
    let got = eval
        .call_validate_settings(&mut store, bad)
        .unwrap_or_else(|e| panic!("trap: {e:?}"));
    let got = problems(&got.err().unwrap_or_else(|| panic!("bad settings accepted")));
    println!("bad settings: {got:#?}");
    assert_eq!(got, native_problems(bad));
    assert_eq!(got.len(), 4, "one problem per mistake: {got:?}");

    // Not JSON: one problem at the root.
    let got = eval
        .call_validate_settings(&mut store, "{not json")
        .unwrap_or_else(|e| panic!("trap: {e:?}"));
    let got = problems(
        &got.err()
            .unwrap_or_else(|| panic!("non-JSON settings accepted")),
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got, native_problems("{not json"));

    // `validate` with invalid settings is the `err` case, with the same problems.
    let request = r#"{"uid":"1","operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"},"object":{}}"#;
    let got = eval
        .call_validate(&mut store, request, bad)
        .unwrap_or_else(|e| panic!("trap: {e:?}"));
    match got {
        Ok(v) => panic!("validate accepted invalid settings: {}", verdict_json(&v)),
        Err(p) => assert_eq!(problems(&p), native_problems(bad)),
    }
}

#[test]
fn wasmtime_hostile_inputs_deny_without_trapping() {
    let (mut store, policy) = instantiate(&artifact(ARTIFACT));
    let eval = policy.secretfree_policy_evaluator();
    let normal = cases()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no cases"));
    for (label, bytes) in hostile_inputs() {
        // A component string is UTF-8 by type: invalid bytes reach the guest as U+FFFD.
        let request = String::from_utf8_lossy(&bytes);
        let got = match eval.call_validate(&mut store, &request, "{}") {
            Err(trap) => panic!("{label}: trap {trap:?}"),
            Ok(Err(p)) => panic!("{label}: settings rejected {:?}", problems(&p)),
            Ok(Ok(v)) => v,
        };
        let json = verdict_json(&got);
        println!("{label}: {}", json.chars().take(300).collect::<String>());
        let native = secretfree::evaluate_json(request.as_bytes(), &Settings::default());
        assert_eq!(json, native.to_json(), "{label}: differs from native");
        // Invalid UTF-8 cannot cross the component boundary (a WIT `string` is UTF-8 by type).
        // When replacing it with U+FFFD leaves well-formed JSON, the only hostile part is gone:
        // the guest judges an ordinary (here: object-less) request, exactly as natively.
        let only_utf8_was_hostile = request.as_bytes() != bytes.as_slice()
            && serde_json::from_str::<serde_json::Value>(&request).is_ok();
        if only_utf8_was_hostile {
            println!(
                "  ({label}: the U+FFFD-replaced text is well-formed JSON; judged as natively, no deny expected)"
            );
        } else {
            assert!(!got.allowed, "{label}: allowed: {json}");
            assert!(
                got.findings.iter().any(|f| f.action == Action::Deny),
                "{label}: no deny finding: {json}"
            );
        }

        // The same instance still works.
        let after = run(&mut store, &policy, &normal, &document_json(&normal))
            .unwrap_or_else(|e| panic!("after {label}: {e}"));
        same_verdict(&normal, &after).unwrap_or_else(|e| panic!("after {label}: {e}"));
    }
}

#[test]
fn wasmtime_hostile_requests_match_native_in_64_mib() {
    // The requests of tests/hostile.rs and one of 3 MiB, one after another in ONE instance.
    let (engine, memories) = support::engine();
    let component = Component::new(&engine, artifact(ARTIFACT))
        .unwrap_or_else(|e| panic!("compiling the component: {e:?}"));
    let mut store = Store::new(&engine, ());
    let policy = Secretfree::instantiate(&mut store, &component, &Linker::<()>::new(&engine))
        .unwrap_or_else(|e| panic!("instantiating: {e:?}"));
    let settings = hostile_settings_json();
    for h in hostile_requests() {
        let request = std::str::from_utf8(&h.bytes).unwrap_or_else(|e| panic!("{e}"));
        let start = std::time::Instant::now();
        let got = match policy
            .secretfree_policy_evaluator()
            .call_validate(&mut store, request, &settings)
        {
            Err(trap) => panic!("{}: trap {trap:?}", h.label()),
            Ok(Err(p)) => panic!("{}: settings rejected {:?}", h.label(), problems(&p)),
            Ok(Ok(v)) => verdict_json(&v),
        };
        let elapsed = start.elapsed();
        assert!(
            got == h.native.to_json(),
            "{}: differs from native\n  native:   {}\n  artifact: {got}",
            h.label(),
            h.native.to_json()
        );
        support::report(
            "component (wasmtime)",
            h.label(),
            h.bytes.len(),
            memories.last_pages(),
            elapsed,
        );
    }
    assert_eq!(memories.count(), 1, "one instance, one memory");
    let normal = cases()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no cases"));
    let after = run(&mut store, &policy, &normal, &document_json(&normal))
        .unwrap_or_else(|e| panic!("after the hostile requests: {e}"));
    same_verdict(&normal, &after).unwrap_or_else(|e| panic!("after the hostile requests: {e}"));
}

#[test]
fn jco_every_case_matches_native() {
    // The component must exist before node transpiles it.
    let _ = artifact(ARTIFACT);
    let cases = cases();
    let corpus = write_corpus_json(&cases, "component-corpus.json");
    let out = run_node("component.mjs", &[&corpus.to_string_lossy()]);
    let results = out["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {out}"));
    assert_eq!(
        results.len(),
        cases.len(),
        "jco returned {} results for {} cases",
        results.len(),
        cases.len()
    );
    let mut failures = Vec::new();
    for (case, result) in cases.iter().zip(results) {
        assert_eq!(
            result["id"].as_str(),
            Some(case.id.as_str()),
            "results out of order"
        );
        let got = result["verdict"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: verdict is not a string: {result}", case.id));
        failures.extend(same_verdict(case, got).err());
        let got = result["verdictOfRequest"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no verdictOfRequest: {result}", case.id));
        let want = native_for_request(case);
        if got != want {
            failures.push(format!(
                "{} (unwrapped request)\n  native:   {want}\n  artifact: {got}",
                case.id
            ));
        }
    }
    println!(
        "jco component: {} cases compared (document and unwrapped request each), {} differences; transpiled files {}",
        cases.len(),
        failures.len(),
        out["files"]
    );
    secretfree_wasm_tests::assert_all_match(&failures, cases.len());
}
