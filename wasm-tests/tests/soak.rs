//! Soak: `SECRETFREE_SOAK=<n>` evaluations on ONE instance of each long-lived host, the waPC
//! module in wapc + wasmtime and the OPA module in the npm SDK (`node/soak.mjs`): the corpus
//! cases in turn with one hostile request (`secretfree_wasm_tests::hostile_requests`, in turn)
//! after every 100 of them. Every verdict must be the native one, and the linear memory must
//! not grow once every hostile request has been seen twice (the first ones grow it to what the
//! largest needs; the OPA module's second evaluation of the largest one can take one page more
//! than its first, as what the module keeps across heap resets differs between the two).
//! Prints memory pages and throughput. Without `SECRETFREE_SOAK` the tests do nothing
//! (`just soak [n]` runs them; `just wasm-tests` runs a short one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use secretfree::engines::kubewarden::kubewarden_response;
use secretfree_wasm_tests::{Case, artifact, cases, envelope, hostile_requests, repo};
use serde_json::{Value, json};
use std::time::Instant;
use wapc::WapcHost;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// One hostile request after every this many corpus cases.
const NORMAL_PER_HOSTILE: usize = 100;

fn soak_n() -> Option<usize> {
    let n = std::env::var("SECRETFREE_SOAK").ok()?;
    Some(
        n.parse()
            .unwrap_or_else(|e| panic!("SECRETFREE_SOAK={n:?}: {e}")),
    )
}

/// Which item the i-th evaluation judges: `Ok(corpus index)` or `Err(hostile index)`.
fn item(
    i: usize,
    normal: &mut usize,
    hostile: &mut usize,
    cases: usize,
    hostiles: usize,
) -> Result<usize, usize> {
    if i % (NORMAL_PER_HOSTILE + 1) == NORMAL_PER_HOSTILE {
        *hostile += 1;
        Err((*hostile - 1) % hostiles)
    } else {
        *normal += 1;
        Ok((*normal - 1) % cases)
    }
}

/// Memory pages after the first hostile request, once every hostile request has been seen twice,
/// and at the end.
#[derive(Debug, Default)]
struct Pages {
    after_first_hostile: Option<usize>,
    after_every_hostile: Option<usize>,
    end: usize,
}

/// Counts and times of one soak run.
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    normal: usize,
    hostile: usize,
    wrong: usize,
    /// Seconds spent in hostile evaluations (the rest of `seconds` went to corpus cases).
    hostile_seconds: f64,
    seconds: f64,
}

fn report(host: &str, n: usize, run: Run, pages: &Pages) {
    let Run {
        normal,
        hostile,
        wrong,
        hostile_seconds,
        seconds,
    } = run;
    println!(
        "soak {host}: {n} evaluations ({normal} corpus, {hostile} hostile), {wrong} wrong verdicts; \
         memory pages after the first hostile request {:?}, after every hostile request twice {:?}, \
         at the end {} ({:.1} MiB); {seconds:.1} s, {:.0} evaluations/s ({:.0} corpus cases/s, \
         {:.1} ms per hostile request)",
        pages.after_first_hostile,
        pages.after_every_hostile,
        pages.end,
        (pages.end * support::PAGE) as f64 / (1024.0 * 1024.0),
        n as f64 / seconds,
        normal as f64 / (seconds - hostile_seconds),
        hostile_seconds * 1000.0 / hostile.max(1) as f64,
    );
    assert_eq!(wrong, 0, "{host}: wrong verdicts");
    assert!(
        pages.end * support::PAGE <= support::MAX_MEMORY_BYTES,
        "{host}: memory over 64 MiB"
    );
    if let Some(seen) = pages.after_every_hostile {
        assert_eq!(
            pages.end, seen,
            "{host}: memory grew after every hostile request had been seen twice"
        );
    }
}

/// What the waPC `validate` must answer for a corpus case.
fn wapc_expected(case: &Case) -> Value {
    let v = &case.native;
    let mutated = (v.allowed && !v.patch.is_empty()).then(|| {
        let mut obj = case.request["object"].clone();
        secretfree::apply_patch(&mut obj, &v.patch).expect("native patch applies");
        obj
    });
    kubewarden_response(v, mutated)
}

#[test]
fn wapc_one_instance() {
    let Some(n) = soak_n() else {
        println!("soak skipped: set SECRETFREE_SOAK=<evaluations> (just soak)");
        return;
    };
    let cases = cases();
    let normal: Vec<(Vec<u8>, Value)> = cases
        .iter()
        .map(|c| {
            let payload = envelope(c.request_json().as_bytes(), &c.settings_json());
            (payload, wapc_expected(c))
        })
        .collect();
    let hostile: Vec<(Vec<u8>, Value)> = hostile_requests()
        .iter()
        .map(|h| (h.envelope(), kubewarden_response(&h.native, None)))
        .collect();

    let (engine, memories) = support::engine();
    let provider = WasmtimeEngineProviderBuilder::new()
        .engine(engine)
        .module_bytes(&artifact("kubewarden/policy.wasm"))
        .build()
        .expect("wasmtime engine");
    let host = WapcHost::new(Box::new(provider), None).expect("waPC host");

    let mut run = Run::default();
    let mut pages = Pages::default();
    let mut seen = vec![0u8; hostile.len()];
    let start = Instant::now();
    for i in 0..n {
        let which = item(
            i,
            &mut run.normal,
            &mut run.hostile,
            normal.len(),
            hostile.len(),
        );
        let (payload, want) = match which {
            Ok(c) => &normal[c],
            Err(h) => &hostile[h],
        };
        let call_start = Instant::now();
        let out = host
            .call("validate", payload)
            .unwrap_or_else(|e| panic!("evaluation {i}: guest error or trap: {e}"));
        if which.is_err() {
            run.hostile_seconds += call_start.elapsed().as_secs_f64();
        }
        let got: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
        if got != *want {
            run.wrong += 1;
            if run.wrong <= 5 {
                let id = match which {
                    Ok(c) => cases[c].id.clone(),
                    Err(h) => format!("hostile {h}"),
                };
                eprintln!("soak waPC: evaluation {i} ({id}) differs:\n  want {want}\n  got  {got}");
            }
        }
        if let Err(h) = which {
            pages
                .after_first_hostile
                .get_or_insert(memories.last_pages());
            if let Some(count) = seen.get_mut(h) {
                *count = count.saturating_add(1);
            }
            if pages.after_every_hostile.is_none() && seen.iter().all(|&s| s >= 2) {
                pages.after_every_hostile = Some(memories.last_pages());
            }
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!(
                "soak waPC: {}/{n} evaluations, {} wrong, {} pages, {:.0}/s",
                i + 1,
                run.wrong,
                memories.last_pages(),
                (i + 1) as f64 / start.elapsed().as_secs_f64()
            );
        }
    }
    run.seconds = start.elapsed().as_secs_f64();
    pages.end = memories.last_pages();
    assert_eq!(memories.count(), 1, "one instance, one memory");
    report("waPC (wapc + wasmtime)", n, run, &pages);
}

#[test]
fn npm_sdk_one_instance() {
    let Some(n) = soak_n() else {
        println!("soak skipped: set SECRETFREE_SOAK=<evaluations> (just soak)");
        return;
    };
    let dir = repo().join("target/wasm-tests/soak");
    std::fs::create_dir_all(&dir).unwrap();
    let normal: Vec<Value> = cases()
        .iter()
        .map(|c| {
            let input = envelope(c.request_json().as_bytes(), &c.settings_json());
            json!({"id": c.id, "input": String::from_utf8(input).unwrap(), "native": c.native.to_json()})
        })
        .collect();
    let hostile: Vec<Value> = hostile_requests()
        .iter()
        .map(|h| {
            let file = dir.join(format!("{}.json", h.family.name()));
            std::fs::write(&file, h.envelope()).unwrap();
            json!({"id": h.label(), "file": file, "native": h.native.to_json()})
        })
        .collect();
    let plan = dir.join("plan.json");
    let data = json!({"secretfree": {"settings": {}}});
    std::fs::write(
        &plan,
        serde_json::to_vec(&json!({"data": data, "normal": normal, "hostile": hostile})).unwrap(),
    )
    .unwrap();

    let module = repo().join("dist/opa/policy.wasm");
    let out = std::process::Command::new("node")
        .current_dir(repo().join("wasm-tests/node"))
        .arg("soak.mjs")
        .arg(&module)
        .arg(&plan)
        .arg(n.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("running node soak.mjs: {e}"));
    assert!(out.status.success(), "node soak.mjs failed: {}", out.status);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "node soak.mjs printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    for wrong in summary["firstWrong"].as_array().into_iter().flatten() {
        eprintln!("soak npm: {wrong}");
    }
    let count = |key: &str| {
        summary[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {summary}")) as usize
    };
    let page = |key: &str| summary["pages"][key].as_u64().map(|p| p as usize);
    let pages = Pages {
        after_first_hostile: page("afterFirstHostile"),
        after_every_hostile: page("afterEveryHostile"),
        end: page("end").unwrap_or_else(|| panic!("no end pages: {summary}")),
    };
    assert_eq!(count("n"), n);
    let run = Run {
        normal: count("normal"),
        hostile: count("hostile"),
        wrong: count("wrong"),
        hostile_seconds: summary["hostileSeconds"].as_f64().unwrap(),
        seconds: summary["seconds"].as_f64().unwrap(),
    };
    report("OPA (npm SDK)", n, run, &pages);
}
