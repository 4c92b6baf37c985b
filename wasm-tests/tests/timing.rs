//! `just bench-hosts`: how long one evaluation takes in each host, as a ratio to native
//! `evaluate_json` measured in the same run, on the requests of `policies/bench/`: the waPC
//! module (one long-lived instance, as a Kubewarden policy-server keeps it, and a fresh
//! instance per request from a compiled module), the OPA module through the opa-wasm crate
//! (`secretfree/verdict`; the settings in the input, and in `data` as Kubewarden's opa mode
//! passes them), and the component (`validate`). Also the module compile times. Each ratio is
//! the median over batches of host calls that alternate with batches of native ones.
//!
//! A benchmark, not a test of speed: nothing here asserts a time. It checks that every host
//! gives the native decision on each request before timing it. Without `SECRETFREE_TIMING`
//! it does nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use opa_wasm::wasmtime as owt;
use secretfree::Settings;
use secretfree_wasm_tests::timing::Batches;
use secretfree_wasm_tests::{artifact, envelope, repo};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};
use wapc::WapcHost;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Module, Store};
use wasmtime_provider::WasmtimeEngineProviderBuilder;

wasmtime::component::bindgen!({ world: "secretfree", path: "../wit" });

/// Medians of 9 batches of about 60 ms.
const TIMING: Batches = Batches {
    rounds: 9,
    batch: Duration::from_millis(60),
};

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

type ResultEntry = HashMap<String, Box<RawValue>>;

#[test]
fn per_evaluation_time_in_every_host() {
    if std::env::var_os("SECRETFREE_TIMING").is_none() {
        println!("timing skipped: set SECRETFREE_TIMING=1 (just bench-hosts)");
        return;
    }
    let settings_yaml =
        std::fs::read_to_string(repo().join("policies/bench/settings.yaml")).unwrap();
    let settings_value = secretfree::tools::manifest::yaml_to_value(&settings_yaml).unwrap();
    let settings_json = settings_value.to_string();
    let settings = Settings::from_value(&settings_value).unwrap();

    // Compile each module once (timed), as a host does at start-up.
    let engine = Engine::new(&Config::new()).unwrap();
    let wapc_bytes = artifact("kubewarden/policy.wasm");
    let start = Instant::now();
    let wapc_module = Module::new(&engine, &wapc_bytes).unwrap();
    let wapc_compile = start.elapsed();
    let host = WapcHost::new(
        Box::new(
            WasmtimeEngineProviderBuilder::new()
                .engine(engine.clone())
                .module(wapc_module.clone())
                .build()
                .unwrap(),
        ),
        None,
    )
    .unwrap();

    let opa_engine = owt::Engine::new(&owt::Config::new()).unwrap();
    let start = Instant::now();
    let opa_module = owt::Module::new(&opa_engine, artifact("opa/policy.wasm")).unwrap();
    let opa_compile = start.elapsed();
    let mut opa_store = owt::Store::new(&opa_engine, ());
    let data: Value =
        serde_json::from_slice(&std::fs::read(repo().join("policies/opa/data.json")).unwrap())
            .unwrap();
    // opa-wasm is async; its futures complete without waiting (no I/O), so one current-thread
    // runtime drives them, in the timing loop too.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let runtime = rt
        .block_on(opa_wasm::Runtime::new(&mut opa_store, &opa_module))
        .unwrap();
    let opa = rt
        .block_on(runtime.with_data(&mut opa_store, &data))
        .unwrap();
    // Kubewarden's opa mode, in an instance of its own: the settings are the data document,
    // the input is `{request}`.
    let runtime = rt
        .block_on(opa_wasm::Runtime::new(&mut opa_store, &opa_module))
        .unwrap();
    let opa_data = rt
        .block_on(runtime.with_data(&mut opa_store, &settings_value))
        .unwrap();

    let start = Instant::now();
    let component = Component::new(&engine, artifact("component/secretfree.wasm")).unwrap();
    let component_compile = start.elapsed();
    let mut store = Store::new(&engine, ());
    let policy =
        Secretfree::instantiate(&mut store, &component, &Linker::<()>::new(&engine)).unwrap();

    println!(
        "module compile (wasmtime, cranelift): waPC {:.0} ms, OPA {:.0} ms, component {:.0} ms",
        wapc_compile.as_secs_f64() * 1e3,
        opa_compile.as_secs_f64() * 1e3,
        component_compile.as_secs_f64() * 1e3,
    );
    println!();
    println!(
        "| request | native | waPC call | OPA opa_eval | OPA opa_eval, settings in data | component call | waPC instantiate + validate |"
    );
    println!("|---|---|---|---|---|---|---|");
    for name in ["small", "typical", "large"] {
        let request = std::fs::read(repo().join(format!("policies/bench/{name}.json"))).unwrap();
        let payload = envelope(&request, &settings_json);
        let native = secretfree::evaluate_json(&request, &settings);
        let request_text = String::from_utf8(request.clone()).unwrap();
        let opa_input = RawValue::from_string(String::from_utf8(payload.clone()).unwrap()).unwrap();
        let opa_request = RawValue::from_string(format!("{{\"request\":{request_text}}}")).unwrap();

        // The same decision everywhere before anything is timed.
        let wapc_out: Value =
            serde_json::from_slice(&host.call("validate", &payload).unwrap()).unwrap();
        assert_eq!(wapc_out["accepted"], native.allowed, "{name}: waPC");
        let set: Vec<ResultEntry> = rt
            .block_on(opa.evaluate(&mut opa_store, "secretfree/verdict", &opa_input))
            .unwrap();
        assert_eq!(set[0]["result"].get(), native.to_json(), "{name}: OPA");
        let set: Vec<ResultEntry> = rt
            .block_on(opa_data.evaluate(&mut opa_store, "secretfree/verdict", &opa_request))
            .unwrap();
        assert_eq!(
            set[0]["result"].get(),
            native.to_json(),
            "{name}: OPA, data"
        );
        let got = policy
            .secretfree_policy_evaluator()
            .call_validate(&mut store, &request_text, &settings_json)
            .unwrap()
            .unwrap_or_else(|_| panic!("{name}: component settings"));
        assert_eq!(got.allowed, native.allowed, "{name}: component");

        let mut native_call = || {
            black_box(secretfree::evaluate_json(black_box(&request), &settings));
        };
        let t_native = TIMING.per_call(&mut native_call);
        let wapc = TIMING.against(&mut native_call, &mut || {
            black_box(host.call("validate", black_box(&payload)).unwrap());
        });
        let opa_in = TIMING.against(&mut native_call, &mut || {
            let set: Vec<ResultEntry> = rt
                .block_on(opa.evaluate(&mut opa_store, "secretfree/verdict", &opa_input))
                .unwrap();
            black_box(set);
        });
        let opa_in_data = TIMING.against(&mut native_call, &mut || {
            let set: Vec<ResultEntry> = rt
                .block_on(opa_data.evaluate(&mut opa_store, "secretfree/verdict", &opa_request))
                .unwrap();
            black_box(set);
        });
        let component = TIMING.against(&mut native_call, &mut || {
            let verdict = policy
                .secretfree_policy_evaluator()
                .call_validate(&mut store, black_box(&request_text), &settings_json)
                .unwrap();
            black_box(verdict.is_ok());
        });
        let fresh = TIMING.against(&mut native_call, &mut || {
            let provider = WasmtimeEngineProviderBuilder::new()
                .engine(engine.clone())
                .module(wapc_module.clone())
                .build()
                .unwrap();
            let host = WapcHost::new(Box::new(provider), None).unwrap();
            black_box(host.call("validate", black_box(&payload)).unwrap());
        });
        println!(
            "| {name} ({} B) | {} | {:.2}× ({}) | {:.2}× ({}) | {:.2}× ({}) | {:.2}× ({}) | {:.1}× ({}) |",
            request.len(),
            micros(t_native),
            wapc.1,
            micros(wapc.0),
            opa_in.1,
            micros(opa_in.0),
            opa_in_data.1,
            micros(opa_in_data.0),
            component.1,
            micros(component.0),
            fresh.1,
            micros(fresh.0),
        );
    }
}
