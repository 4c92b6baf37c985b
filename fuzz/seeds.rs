//! Write the seed corpora of the fuzz targets from the repository's cases and examples.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds [-- CORPUS_DIR]` (default
//! `fuzz/corpus`) writes, one file per input, named by a hash of its bytes:
//!
//! - `evaluate_json/`: every case of `policies/cases` as the request the case runner evaluates
//!   (also wrapped in an AdmissionReview), and every object of every file under
//!   `policies/cases` and `policies/examples` as a CREATE request and as a bare object;
//! - `settings/`: `policies/settings/*.yaml` as YAML and as JSON, and every case's settings;
//! - `manifest/`: every YAML and JSON file under `policies/cases` and `policies/examples`;
//! - `image_ref/`: every image reference those files name.
//!
//! Existing files are kept: the corpus also holds what the fuzzer found.

use secretfree::fuzzing::{case_requests, manifest_objects, request_bytes, yaml_value};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Default)]
struct Corpus {
    evaluate_json: BTreeSet<Vec<u8>>,
    settings: BTreeSet<Vec<u8>>,
    manifest: BTreeSet<Vec<u8>>,
    image_ref: BTreeSet<Vec<u8>>,
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            files_under(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Image references anywhere in a document: `image` strings and `images` lists.
fn images(v: &Value, out: &mut BTreeSet<Vec<u8>>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                match (k.as_str(), item) {
                    ("image", Value::String(s)) => {
                        out.insert(s.clone().into_bytes());
                    }
                    ("images", Value::Array(list)) => {
                        out.extend(list.iter().filter_map(Value::as_str).map(|s| s.into()));
                    }
                    _ => images(item, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| images(i, out)),
        _ => {}
    }
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn collect(root: &Path, corpus: &mut Corpus) -> Result<(), String> {
    let cases = root.join("policies/cases");
    for (request, settings) in case_requests(&cases)? {
        if let Ok(value) = serde_json::from_slice::<Value>(&request) {
            let review = json!({
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": value,
            });
            corpus.evaluate_json.insert(json_bytes(&review));
        }
        corpus.evaluate_json.insert(request);
        corpus.settings.insert(json_bytes(&settings));
    }

    let mut files = Vec::new();
    files_under(&cases, &mut files)?;
    files_under(&root.join("policies/examples"), &mut files)?;
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        corpus.manifest.insert(text.clone().into_bytes());
        if path.file_name().is_some_and(|n| n == "suite.yaml") {
            continue;
        }
        let objects = manifest_objects(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for object in &objects {
            corpus.evaluate_json.insert(request_bytes(object));
            corpus.evaluate_json.insert(json_bytes(object));
            images(object, &mut corpus.image_ref);
        }
    }

    let settings_dir = root.join("policies/settings");
    let mut settings_files = Vec::new();
    files_under(&settings_dir, &mut settings_files)?;
    for path in &settings_files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value = yaml_value(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        corpus.settings.insert(json_bytes(&value));
        corpus.settings.insert(text.into_bytes());
    }
    Ok(())
}

fn write(dir: &Path, inputs: &BTreeSet<Vec<u8>>) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for input in inputs {
        let mut h = DefaultHasher::new();
        input.hash(&mut h);
        let path = dir.join(format!("seed-{:016x}", h.finish()));
        std::fs::write(&path, input).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(inputs.len())
}

fn run() -> Result<(), String> {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = package.parent().ok_or("the fuzz package has no parent")?;
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| package.join("corpus"), PathBuf::from);
    let mut corpus = Corpus::default();
    collect(root, &mut corpus)?;
    for (target, inputs) in [
        ("evaluate_json", &corpus.evaluate_json),
        ("settings", &corpus.settings),
        ("manifest", &corpus.manifest),
        ("image_ref", &corpus.image_ref),
        // The OPA value text reader and writer take the same JSON the hosts send.
        ("opa_value", &corpus.evaluate_json),
        ("decode", &corpus.evaluate_json),
        ("json_tree", &corpus.evaluate_json),
    ] {
        let n = write(&out.join(target), inputs)?;
        println!("{target}: {n} seeds");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seeds: {e}");
            ExitCode::FAILURE
        }
    }
}
