//! dist/opa/policy.wasm in the two Python OPA-wasm SDKs from PyPI (wasm-tests/python/opa_sdks.py,
//! pinned in wasm-tests/python/requirements.txt): `opa-py-wasm` and `opa-wasmtime`, both on the
//! `wasmtime` Python wheel and the ABI 1.2+ fast path (`opa_eval`).
//!
//! Every case of policies/cases: `secretfree/verdict` byte for byte against the native verdict,
//! `secretfree/violation` against the Gatekeeper violations of the verdict with mutation off;
//! hostile inputs deny and leave the policy object usable.
//!
//! The interpreter is `$SECRETFREE_PYTHON` (`just wasm-tests` sets it to the venv made by
//! `just python-deps`), else `python3`. Missing packages fail the test; nothing is skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use secretfree::engines::opa::gatekeeper_violations;
use secretfree_wasm_tests::{assert_no_differences, cases, repo, same_verdict, write_corpus_json};
use serde_json::Value;

const SDKS: [&str; 2] = ["opa-py-wasm", "opa-wasmtime"];

/// Run `<python> wasm-tests/python/opa_sdks.py <policy.wasm> <corpus.json>` and parse its stdout.
fn run_python(args: &[&str]) -> Value {
    let python = std::env::var("SECRETFREE_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = repo().join("wasm-tests/python/opa_sdks.py");
    let out = std::process::Command::new(&python).arg(&script).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run the Python interpreter {python:?} ({e}); run `just python-deps` and set SECRETFREE_PYTHON")
    });
    assert!(
        out.status.success(),
        "{python} {} failed ({}); the Python OPA SDKs must be importable \
         (`just python-deps` installs wasm-tests/python/requirements.txt into target/pyvenv, \
         then SECRETFREE_PYTHON=$PWD/target/pyvenv/bin/python):\n{}\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout),
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "opa_sdks.py printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn python_sdks_match_the_native_verdict() {
    let cases = cases();
    let corpus = write_corpus_json(&cases, "opa-python-corpus.json");
    let module = repo().join("dist/opa/policy.wasm");
    assert!(
        module.is_file(),
        "{}: missing (run `just dist` first)",
        module.display()
    );
    let out = run_python(&[module.to_str().unwrap(), corpus.to_str().unwrap()]);

    let mut failures = Vec::new();
    for sdk in SDKS {
        let r = &out["sdks"][sdk];
        if let Some(err) = r["loadError"].as_str() {
            failures.push(format!(
                "{sdk} {}: cannot load or run the module:\n{err}",
                r["version"]
            ));
            continue;
        }
        assert_eq!(r["abiVersion"], "1.3", "{sdk} ABI version: {r}");
        let mut matched = 0;
        for case in &cases {
            let got = &r["results"][&case.id];
            if let Some(err) = got["error"].as_str() {
                failures.push(format!("{sdk} {}: {err}", case.id));
                continue;
            }
            let mut ok = true;
            let verdict = got["verdict"]
                .as_str()
                .unwrap_or_else(|| panic!("{sdk} {}: no verdict text: {got}", case.id));
            if let Err(diff) = same_verdict(case, verdict) {
                failures.push(format!("{sdk} verdict {diff}"));
                ok = false;
            }
            let want = gatekeeper_violations(&case.native_without_mutation());
            if got["violation"] != want {
                failures.push(format!(
                    "{sdk} violation {}\n  want {want}\n  got  {}",
                    case.id, got["violation"]
                ));
                ok = false;
            }
            matched += usize::from(ok);
        }

        let hostile = r["hostile"]
            .as_array()
            .unwrap_or_else(|| panic!("{sdk}: no hostile results: {r}"));
        assert!(
            hostile.len() >= 8,
            "{sdk}: only {} hostile evaluations",
            hostile.len()
        );
        for h in hostile {
            if h["denied"] != true {
                failures.push(format!(
                    "{sdk} hostile {} via {}: no denial: {}",
                    h["label"], h["entrypoint"], h["detail"]
                ));
            }
        }
        let after = r["afterHostile"].as_array().unwrap();
        assert_eq!(
            after.len(),
            hostile.len(),
            "{sdk}: a normal case after every hostile input"
        );
        for a in after {
            let case = cases
                .iter()
                .find(|c| a["id"] == c.id.as_str())
                .unwrap_or_else(|| panic!("{sdk}: unknown case {a}"));
            match a["verdict"].as_str() {
                Some(text) => {
                    if let Err(diff) = same_verdict(case, text) {
                        failures.push(format!("{sdk} after {}: {diff}", a["after"]));
                    }
                }
                None => failures.push(format!("{sdk} after {}: {}", a["after"], a["error"])),
            }
        }
        let extra = match sdk {
            "opa-py-wasm" => {
                // One pooled instance served everything: nothing trapped (a trap discards it).
                assert_eq!(r["instancesCreated"], 1, "{sdk}: {r}");
                assert_eq!(
                    r["instancesRecreated"], 0,
                    "{sdk}: an evaluation trapped and the instance was discarded"
                );
                format!(
                    "1 instance, none discarded; default config on a 3 MiB input: {}",
                    r["defaultConfig3MiB"]
                )
            }
            _ => format!("memory {} pages", r["memoryPages"]),
        };
        println!(
            "{sdk} {} (wasmtime {}, Python {}): {matched}/{} cases match (verdict byte for byte + violations); \
             {} hostile evaluations, {} denied, a normal case correct after each; {extra}",
            r["version"].as_str().unwrap_or_default(),
            out["wasmtime"].as_str().unwrap_or_default(),
            out["python"].as_str().unwrap_or_default(),
            cases.len(),
            hostile.len(),
            hostile.iter().filter(|h| h["denied"] == true).count(),
        );
    }
    assert_no_differences(&failures);
}
