//! `just bench`: `evaluate_json` on the requests of `policies/bench/` (and the hostile families
//! at 3 MiB), each as a ratio to the floor measured in the same run: reading the same bytes
//! once with `serde_json::from_slice::<IgnoredAny>`, which any JSON evaluator must at least do.
//! A generic `serde_json::Value` parse is shown beside it for scale. No timing is asserted.
//!
//! `cargo bench --bench evaluate -- FILTER` runs the rows whose label contains FILTER.

#[path = "support/hostile.rs"]
#[allow(dead_code)]
mod hostile;

use secretfree::{Settings, evaluate_json};
use serde::de::IgnoredAny;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median over `ROUNDS` batches of the time per call, each batch about `BATCH` long.
const ROUNDS: usize = 15;
const BATCH: Duration = Duration::from_millis(40);

fn per_call(f: &dyn Fn()) -> f64 {
    // Warm up and size the batch.
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < BATCH {
        f();
        n += 1;
    }
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds.get(ROUNDS / 2).copied().unwrap_or(f64::NAN)
}

fn micros(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

fn row(label: &str, bytes: &[u8], settings: &Settings) {
    let floor = per_call(&|| {
        black_box(serde_json::from_slice::<IgnoredAny>(black_box(bytes)).ok());
    });
    let tree = per_call(&|| {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes)).ok());
    });
    let eval = per_call(&|| {
        black_box(evaluate_json(black_box(bytes), settings));
    });
    println!(
        "| {label} | {} | {:.2} | {} | {} | {} | {:.2} |",
        bytes.len(),
        eval / floor,
        micros(eval),
        micros(floor),
        micros(tree),
        tree / floor,
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

fn main() {
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let bench = settings(&String::from_utf8_lossy(&read("settings.yaml")));
    let mut mutate = bench.clone();
    mutate.mutate = true;
    let multi_team = settings(hostile::SETTINGS_YAML);
    println!("secretfree bench: medians of {ROUNDS} batches, ratios to the floor of this run");
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
}
