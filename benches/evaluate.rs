//! `just bench`: `evaluate_json` on the requests of `policies/bench/` (and the hostile families
//! at 3 MiB), each as a ratio to the floor measured in the same run: reading the same bytes
//! once with `serde_json::from_slice::<IgnoredAny>`, which any JSON evaluator must at least do.
//! A generic `serde_json::Value` parse is shown beside it for scale. No timing is asserted.
//!
//! The second table runs the Gatekeeper template's Rego (`policies/gatekeeper/template.yaml`)
//! in the `regorus` engine on the same requests, with the same settings as parameters, after
//! checking that both give the same deny findings (rule id and path): one evaluation is setting
//! the input (the AdmissionRequest as JSON text) and evaluating `violation`.
//!
//! `cargo bench --bench evaluate -- FILTER` runs the rows whose label contains FILTER.

#[path = "support/hostile.rs"]
#[allow(dead_code)]
mod hostile;
#[path = "support/timing.rs"]
mod timing;

use secretfree::tools::manifest::yaml_to_value;
use secretfree::{Settings, evaluate_json};
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;
use timing::Batches;

/// Medians of 15 batches of about 40 ms.
const TIMING: Batches = Batches {
    rounds: 15,
    batch: Duration::from_millis(40),
};

/// Nanoseconds per call (the median of [`TIMING`]'s batches).
fn per_call(f: &dyn Fn()) -> f64 {
    TIMING.per_call(&mut || f()).as_secs_f64() * 1e9
}

/// Nanoseconds per call of `f`, and its ratio to `base`'s ([`Batches::against`]).
fn against(base: &dyn Fn(), f: &dyn Fn()) -> (f64, f64) {
    let (t, ratio) = TIMING.against(&mut || base(), &mut || f());
    (t.as_secs_f64() * 1e9, ratio)
}

fn micros(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

fn row(label: &str, bytes: &[u8], settings: &Settings) {
    let floor_call = || {
        black_box(serde_json::from_slice::<IgnoredAny>(black_box(bytes)).ok());
    };
    let floor = per_call(&floor_call);
    let (tree, tree_ratio) = against(&floor_call, &|| {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes)).ok());
    });
    let (eval, eval_ratio) = against(&floor_call, &|| {
        black_box(evaluate_json(black_box(bytes), settings));
    });
    println!(
        "| {label} | {} | {:.2} | {} | {} | {} | {:.2} |",
        bytes.len(),
        eval_ratio,
        micros(eval),
        micros(floor),
        micros(tree),
        tree_ratio,
    );
}

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/policies/bench/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    })
}

fn settings(yaml: &str) -> Settings {
    Settings::from_yaml(yaml).unwrap_or_else(|e| {
        eprintln!("bench settings: {e:?}");
        std::process::exit(2)
    })
}

/// The Gatekeeper template's Rego, compiled once.
fn rego_engine() -> regorus::Engine {
    let path = format!(
        "{}/policies/gatekeeper/template.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let template = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| yaml_to_value(&t).ok())
        .unwrap_or(Value::Null);
    let rego = template
        .pointer("/spec/targets/0/code/0/source/rego")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut engine = regorus::Engine::new();
    if let Err(e) = engine.add_policy("template.rego".into(), rego) {
        eprintln!("{path}: the Rego does not compile: {e}");
        std::process::exit(2);
    }
    engine
}

/// The constraint input Gatekeeper builds: the AdmissionRequest and the parameters.
fn rego_input(request: &[u8], parameters: &Value) -> String {
    let review: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let review = review.get("request").cloned().unwrap_or(review);
    json!({"review": review, "parameters": parameters}).to_string()
}

/// The (rule, path) of each violation, or the engine's error.
fn rego_denies(
    engine: &mut regorus::Engine,
    input: &str,
) -> Result<BTreeSet<(String, String)>, String> {
    engine.set_input_json(input).map_err(|e| e.to_string())?;
    let found = engine
        .eval_rule("data.ecisecretfree.violation".into())
        .map_err(|e| e.to_string())?;
    let found: Value = serde_json::from_str(&found.to_json_str().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    Ok(found
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default();
            (
                text("/details/rule").to_owned(),
                text("/details/path").to_owned(),
            )
        })
        .collect())
}

fn rego_row(label: &str, bytes: &[u8], settings: &Settings, parameters: &Value) {
    let mut engine = rego_engine();
    let input = rego_input(bytes, parameters);
    let verdict = evaluate_json(bytes, settings);
    let core: BTreeSet<(String, String)> = verdict
        .findings
        .iter()
        .filter(|f| f.action.as_str() == "deny")
        .map(|f| (f.rule.id().to_owned(), f.path.clone()))
        .collect();
    match rego_denies(&mut engine, &input) {
        Ok(rego) if rego == core => {}
        Ok(rego) => {
            eprintln!("{label}: the Rego and the core disagree: {rego:?} against {core:?}");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{label}: regorus: {e}");
            std::process::exit(1);
        }
    }
    let engine = std::cell::RefCell::new(engine);
    let eval_call = || {
        black_box(evaluate_json(black_box(bytes), settings));
    };
    let eval = per_call(&eval_call);
    let (rego, ratio) = against(&eval_call, &|| {
        let mut engine = engine.borrow_mut();
        black_box(rego_denies(&mut engine, black_box(&input)).ok());
    });
    println!(
        "| {label} | {} | {:.0} | {} | {} |",
        core.len(),
        ratio,
        micros(eval),
        micros(rego),
    );
}

fn main() {
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let bench_yaml = String::from_utf8_lossy(&read("settings.yaml")).into_owned();
    let bench = settings(&bench_yaml);
    let mut parameters = yaml_to_value(&bench_yaml).unwrap_or_else(|e| {
        eprintln!("bench settings: {e}");
        std::process::exit(2)
    });
    if let Some(map) = parameters.as_object_mut() {
        map.insert("action".into(), json!("deny"));
    }
    let mut mutate = bench.clone();
    mutate.mutate = true;
    let multi_team = settings(hostile::SETTINGS_YAML);
    println!(
        "secretfree bench: medians of {} batches; each ratio the median over batches that alternate with the floor's",
        TIMING.rounds
    );
    println!();
    println!(
        "| request | bytes | evaluate_json / floor | evaluate_json | floor (IgnoredAny) | serde_json::Value | Value / floor |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut rows: Vec<(String, Vec<u8>, &Settings)> = vec![
        ("small Pod review".into(), read("small.json"), &bench),
        (
            "typical Deployment review".into(),
            read("typical.json"),
            &bench,
        ),
        ("large Deployment review".into(), read("large.json"), &bench),
        (
            "small Pod, instance missing, mutate (patch)".into(),
            read("small-repair.json"),
            &mutate,
        ),
    ];
    for family in hostile::Family::ALL {
        rows.push((
            format!("hostile {} 3 MiB", family.name()),
            family.sized(hostile::LIMIT),
            &multi_team,
        ));
    }
    for (label, bytes, settings) in &rows {
        if label.contains(&filter) {
            row(label, bytes, settings);
        }
    }
    println!();
    println!(
        "| request (Gatekeeper template's Rego in regorus) | deny findings (same in both) | Rego / evaluate_json | evaluate_json | regorus |"
    );
    println!("|---|---|---|---|---|");
    for (label, bytes, settings) in rows.iter().take(3) {
        if label.contains(&filter) {
            rego_row(label, bytes, settings, &parameters);
        }
    }
}
