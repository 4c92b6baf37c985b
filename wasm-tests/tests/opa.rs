//! dist/opa/policy.wasm (OPA WebAssembly ABI 1.3) in real hosts:
//! - the module's shape (imports, memory limits, exports, ABI globals);
//! - matrix-org's `opa-wasm` crate (the ABI 1.2+ fast path `opa_eval`);
//! - a hand-written context-path host on wasmtime, doing what Kubewarden's burrego does
//!   (5-page memory made by the host, `opa_malloc` + `opa_json_parse`, `opa_eval_ctx_*`, `eval`);
//! - the npm SDK `@open-policy-agent/opa-wasm` (wasm-tests/node/opa.mjs), fast and context path;
//! - the bundle dist/opa/bundle.tar.gz.
//!
//! Every case of policies/cases is compared with the native verdict: `secretfree/verdict` byte
//! for byte, the Gatekeeper and Kubewarden-opa shapes against their mappings of it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use opa_wasm::wasmtime as owt;
use secretfree::engines::admission;
use secretfree::engines::opa::{OPA_ENTRYPOINTS, gatekeeper_violations};
use secretfree_wasm_tests::{
    Case, artifact, assert_no_differences, cases, context_cases, hostile_inputs, hostile_requests,
    repo, run_node, same_verdict, write_corpus_json,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};
use wasmtime::{
    Caller, Engine, Instance, Linker, Memory, MemoryType, Module, Store, WasmParams, WasmResults,
};

const MODULE: &str = "opa/policy.wasm";
const PAGE: usize = 65536;

/// The bundle's data document (policies/opa/data.json).
fn bundle_data() -> Value {
    serde_json::from_slice(&std::fs::read(repo().join("policies/opa/data.json")).unwrap()).unwrap()
}

/// The uid the policy can read from the request (none when the request does not decode;
/// Kubewarden overwrites the uid anyway).
fn uid(case: &Case) -> String {
    secretfree::decode(&serde_json::to_vec(&case.request).unwrap())
        .map(|r| r.uid.into_owned())
        .unwrap_or_default()
}

/// Gatekeeper's expectation: violations of the verdict with mutation off.
fn expected_violations(case: &Case) -> Value {
    gatekeeper_violations(&case.native_without_mutation())
}

/// Kubewarden opa mode's expectation: the AdmissionReview of the native verdict.
fn expected_review(case: &Case) -> Value {
    admission::admission_review(&uid(case), &case.native)
}

fn verdict_input(case: &Case) -> Value {
    json!({"request": case.request, "settings": case.settings})
}

fn gatekeeper_input(case: &Case) -> Value {
    json!({"review": case.request, "parameters": case.settings})
}

fn kubewarden_input(case: &Case) -> Value {
    json!({"request": case.request})
}

/// `[{"result": X}]` → X (exactly one result: the decision is never undefined).
fn decision(result_set: &str) -> Value {
    let set: Value = serde_json::from_str(result_set)
        .unwrap_or_else(|e| panic!("result set is not JSON ({e}): {result_set}"));
    let items = set
        .as_array()
        .unwrap_or_else(|| panic!("result set is not an array: {result_set}"));
    assert_eq!(items.len(), 1, "expected exactly one result: {result_set}");
    items[0]["result"].clone()
}

/// The decision of entrypoint `ep` denies.
fn denies(ep: usize, d: &Value) -> bool {
    match OPA_ENTRYPOINTS[ep].0 {
        "secretfree/verdict" => d["allowed"] == false,
        "secretfree/violation" => d.as_array().is_some_and(|v| !v.is_empty()),
        _ => d["response"]["allowed"] == false || d.as_array().is_some_and(|v| !v.is_empty()),
    }
}

// ---------------------------------------------------------------------------------------
// Module shape
// ---------------------------------------------------------------------------------------

#[test]
fn module_has_the_abi_1_3_shape() {
    let bytes = artifact(MODULE);
    let mut imports = Vec::new();
    let mut globals: Vec<(bool, Option<i32>)> = Vec::new();
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let mut min_pages = None;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.unwrap() {
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports() {
                    let imp = imp.unwrap();
                    if let TypeRef::Memory(m) = imp.ty {
                        assert_eq!(m.maximum, None, "env.memory must have no maximum");
                        assert!(!m.memory64 && !m.shared);
                        min_pages = Some(m.initial);
                    }
                    assert!(
                        !matches!(imp.ty, TypeRef::Global(_)),
                        "no imported globals expected"
                    );
                    imports.push(format!("{}.{}", imp.module, imp.name));
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.unwrap();
                    let mut ops = g.init_expr.get_operators_reader();
                    let value = match ops.read().unwrap() {
                        Operator::I32Const { value } => Some(value),
                        _ => None,
                    };
                    globals.push((g.ty.mutable, value));
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.unwrap();
                    exports.push((e.name.to_owned(), e.kind, e.index));
                }
            }
            _ => {}
        }
    }
    imports.sort();
    assert_eq!(imports, ["env.memory", "env.opa_abort"], "imports");
    assert!(!imports.iter().any(|i| i.starts_with("wasi")), "no WASI");
    let min_pages = min_pages.expect("env.memory import");
    assert!(
        min_pages <= 2,
        "env.memory min {min_pages} pages > 2: opa-py-wasm gives 2 (the npm SDK and burrego 5)"
    );

    for name in [
        "memory",
        "eval",
        "builtins",
        "entrypoints",
        "opa_eval_ctx_new",
        "opa_eval_ctx_set_input",
        "opa_eval_ctx_set_data",
        "opa_eval_ctx_set_entrypoint",
        "opa_eval_ctx_get_result",
        "opa_malloc",
        "opa_free",
        "opa_json_parse",
        "opa_value_parse",
        "opa_json_dump",
        "opa_value_dump",
        "opa_heap_ptr_set",
        "opa_heap_ptr_get",
        "opa_value_add_path",
        "opa_value_remove_path",
        "opa_eval",
        "opa_value_free",
        "opa_heap_blocks_stash",
        "opa_heap_blocks_restore",
        "opa_heap_stash_clear",
    ] {
        assert!(
            exports.iter().any(|(n, _, _)| n == name),
            "missing export {name}"
        );
    }
    assert!(
        exports
            .iter()
            .any(|(n, k, _)| n == "memory" && *k == ExternalKind::Memory)
    );
    for gone in ["__data_end", "__heap_base"] {
        assert!(
            !exports.iter().any(|(n, _, _)| n == gone),
            "{gone} must not be exported"
        );
    }
    for (name, want) in [
        ("opa_wasm_abi_version", 1),
        ("opa_wasm_abi_minor_version", 3),
    ] {
        let (_, kind, index) = exports
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("missing {name}"));
        assert_eq!(*kind, ExternalKind::Global, "{name} is a global");
        let (mutable, value) = globals[*index as usize];
        assert!(!mutable, "{name} must be immutable");
        assert_eq!(value, Some(want), "{name}");
    }
    println!(
        "opa module: {} bytes, env.memory min {min_pages} pages (no max), imports {imports:?}, {} exports, ABI 1.3",
        bytes.len(),
        exports.len()
    );
}

// ---------------------------------------------------------------------------------------
// matrix-org opa-wasm (fast path)
// ---------------------------------------------------------------------------------------

/// One entry of a result set, the decision kept as the raw text the module wrote.
type ResultEntry = std::collections::HashMap<String, Box<RawValue>>;

fn raw_result(set: &[ResultEntry]) -> &str {
    assert_eq!(set.len(), 1, "exactly one result");
    set[0]["result"].get()
}

struct Sdk {
    /// The store's data remembers how large the instance's memory grew.
    store: owt::Store<support::Grown>,
    module: owt::Module,
}

impl Sdk {
    fn new() -> Self {
        // wasmtime 48 needs no async flag any more (the crate calls the async entry points).
        let engine = owt::Engine::new(&owt::Config::new()).unwrap();
        let module = owt::Module::new(&engine, artifact(MODULE)).unwrap();
        let mut store = owt::Store::new(&engine, support::Grown::default());
        store.limiter(|grown| grown);
        Sdk { store, module }
    }

    async fn policy(&mut self, data: &Value) -> opa_wasm::Policy<opa_wasm::DefaultContext> {
        let runtime = opa_wasm::Runtime::new(&mut self.store, &self.module)
            .await
            .unwrap();
        assert_eq!(runtime.abi_version().to_string(), "1.3 (1.2+ compatible)");
        assert_eq!(runtime.default_entrypoint(), Some("secretfree/main"));
        runtime.with_data(&mut self.store, data).await.unwrap()
    }

    /// Evaluate and return the decision's raw JSON text.
    async fn eval(
        &mut self,
        policy: &opa_wasm::Policy<opa_wasm::DefaultContext>,
        ep: &str,
        input: &Value,
    ) -> String {
        let set: Vec<ResultEntry> = policy
            .evaluate(&mut self.store, ep, input)
            .await
            .unwrap_or_else(|e| panic!("{ep}: evaluation failed: {e:?}"));
        raw_result(&set).to_owned()
    }

    /// Evaluate an input given as JSON text (passed through unchanged).
    async fn eval_text(
        &mut self,
        policy: &opa_wasm::Policy<opa_wasm::DefaultContext>,
        ep: &str,
        input: &[u8],
    ) -> String {
        let text = String::from_utf8(input.to_vec()).expect("UTF-8 input");
        let raw = RawValue::from_string(text).expect("JSON input");
        let set: Vec<ResultEntry> = policy
            .evaluate(&mut self.store, ep, &raw)
            .await
            .unwrap_or_else(|e| panic!("{ep}: evaluation failed: {e:?}"));
        raw_result(&set).to_owned()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn opa_wasm_crate_matches_the_native_verdict() {
    let cases = cases();
    let mut sdk = Sdk::new();
    let policy = sdk.policy(&bundle_data()).await;
    let mut failures = Vec::new();
    for case in &cases {
        let text = sdk
            .eval(&policy, "secretfree/verdict", &verdict_input(case))
            .await;
        if let Err(diff) = same_verdict(case, &text) {
            failures.push(format!("verdict {diff}"));
        }
        let want = expected_violations(case);
        for ep in ["secretfree/violation", "secretfree/main"] {
            let got: Value =
                serde_json::from_str(&sdk.eval(&policy, ep, &gatekeeper_input(case)).await)
                    .unwrap();
            if got != want {
                failures.push(format!(
                    "{ep} {{review, parameters}} {}\n  want {want}\n  got  {got}",
                    case.id
                ));
            }
        }
    }
    // Kubewarden's opa mode: input {request}, data = the policy settings.
    for case in &cases {
        let policy = sdk.policy(&case.settings).await;
        let got: Value = serde_json::from_str(
            &sdk.eval(&policy, "secretfree/main", &kubewarden_input(case))
                .await,
        )
        .unwrap();
        let want = expected_review(case);
        if got != want {
            failures.push(format!(
                "secretfree/main {{request}} {}\n  want {want}\n  got  {got}",
                case.id
            ));
        }
    }
    assert_no_differences(&failures);
    println!(
        "opa-wasm crate (fast path): {} cases x 4 (verdict byte for byte, violation, main {{review}}, main {{request}} with data = settings) match",
        cases.len()
    );
}

/// A case's context objects as Gatekeeper syncs them (`data.inventory`: cluster-scoped objects
/// under `cluster[apiVersion][kind][name]`, namespaced ones under
/// `namespace[ns][apiVersion][kind][name]`) and as Kubewarden's opa mode passes them
/// (`data.kubernetes[plural][name]`, `data.kubernetes[plural][ns][name]`).
fn context_data(case: &Case) -> (Value, Value) {
    let mut inventory = json!({"cluster": {}, "namespace": {}});
    let mut kubernetes = json!({});
    for o in &case.context {
        let (gv, kind, name) = (
            o["apiVersion"].as_str().unwrap(),
            o["kind"].as_str().unwrap(),
            o["metadata"]["name"].as_str().unwrap(),
        );
        let plural = format!("{}s", kind.to_lowercase());
        match o["metadata"]["namespace"].as_str() {
            None => {
                inventory["cluster"][gv][kind][name] = o.clone();
                kubernetes[&plural][name] = o.clone();
            }
            Some(ns) => {
                inventory["namespace"][ns][gv][kind][name] = o.clone();
                kubernetes[&plural][ns][name] = o.clone();
            }
        }
    }
    (json!({"inventory": inventory}), kubernetes)
}

#[tokio::test(flavor = "current_thread")]
async fn opa_wasm_crate_reads_context_from_data() {
    let cases = context_cases();
    assert!(!cases.is_empty());
    let mut sdk = Sdk::new();
    let mut failures = Vec::new();
    let mut judged_only_with_context = 0;
    for case in &cases {
        let (inventory, kubernetes) = context_data(case);
        // Gatekeeper: {review, parameters}, data.inventory.
        let policy = sdk.policy(&inventory).await;
        let got: Value = serde_json::from_str(
            &sdk.eval(&policy, "secretfree/main", &gatekeeper_input(case))
                .await,
        )
        .unwrap();
        let want = expected_violations(case);
        if got != want {
            failures.push(format!(
                "secretfree/main {{review, parameters}} + data.inventory {}\n  want {want}\n  got  {got}",
                case.id
            ));
        }
        // Without the inventory, a case the context puts in scope is not judged.
        let bare = sdk.policy(&json!({})).await;
        let plain: Value = serde_json::from_str(
            &sdk.eval(&bare, "secretfree/main", &gatekeeper_input(case))
                .await,
        )
        .unwrap();
        if plain != want {
            judged_only_with_context += 1;
        }
        // Kubewarden's opa mode: {request}, data = settings plus `kubernetes`.
        let mut data = case.settings.clone();
        data["kubernetes"] = kubernetes;
        let policy = sdk.policy(&data).await;
        let got: Value = serde_json::from_str(
            &sdk.eval(&policy, "secretfree/main", &kubewarden_input(case))
                .await,
        )
        .unwrap();
        let want = expected_review(case);
        if got != want {
            failures.push(format!(
                "secretfree/main {{request}} + data.kubernetes {}\n  want {want}\n  got  {got}",
                case.id
            ));
        }
    }
    assert_no_differences(&failures);
    assert!(
        judged_only_with_context > 0,
        "no context case changes the Gatekeeper decision"
    );
    println!(
        "opa-wasm crate: {} context cases match with data.inventory and data.kubernetes ({judged_only_with_context} decided differently without it)",
        cases.len()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn opa_wasm_crate_survives_hostile_inputs() {
    let mut sdk = Sdk::new();
    let policy = sdk.policy(&bundle_data()).await;
    let normal = &cases()[0];
    for (label, bytes) in hostile_inputs() {
        // Through the crate's API an input is anything serde can write: JSON that serde_json can
        // hold as a value goes as is; the rest (not JSON, bad UTF-8, nesting serde refuses) as
        // a string. The raw bytes reach `opa_eval` in the wasmtime host test below.
        let request = serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        let request = if bytes.is_empty() {
            Value::Null
        } else {
            request
        };
        let inputs = [
            (
                "secretfree/verdict",
                json!({"request": request, "settings": {}}),
            ),
            (
                "secretfree/violation",
                json!({"review": request, "parameters": {}}),
            ),
            (
                "secretfree/main",
                json!({"review": request, "parameters": {}}),
            ),
            ("secretfree/main", json!({"request": request})),
        ];
        for (ep, input) in inputs {
            let text = sdk.eval(&policy, ep, &input).await;
            let d: Value = serde_json::from_str(&text).unwrap();
            let id = OPA_ENTRYPOINTS.iter().position(|(n, _)| *n == ep).unwrap();
            assert!(
                denies(id, &d),
                "{label} via {ep}: no denial: {}",
                &text[..text.len().min(400)]
            );
        }
        let text = sdk
            .eval(&policy, "secretfree/verdict", &verdict_input(normal))
            .await;
        same_verdict(normal, &text).unwrap_or_else(|e| panic!("after {label}: {e}"));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn opa_wasm_crate_hostile_requests_match_native_in_64_mib() {
    // The requests of tests/hostile.rs and one of 3 MiB, one after another in ONE instance.
    let mut sdk = Sdk::new();
    let policy = sdk.policy(&bundle_data()).await;
    for h in hostile_requests() {
        let start = std::time::Instant::now();
        let text = sdk
            .eval_text(&policy, "secretfree/verdict", &h.envelope())
            .await;
        let elapsed = start.elapsed();
        assert!(
            text == h.native.to_json(),
            "{}: differs from native\n  native:   {}\n  artifact: {}",
            h.label(),
            h.native.to_json(),
            text
        );
        support::report(
            "OPA (opa-wasm crate)",
            h.label(),
            h.bytes.len(),
            sdk.store.data().pages(),
            elapsed,
        );
    }
    let normal = &cases()[0];
    let text = sdk
        .eval(&policy, "secretfree/verdict", &verdict_input(normal))
        .await;
    same_verdict(normal, &text).unwrap_or_else(|e| panic!("after the hostile requests: {e}"));
}

// ---------------------------------------------------------------------------------------
// A context-path host on wasmtime (what burrego does)
// ---------------------------------------------------------------------------------------

struct CtxHost {
    store: Store<()>,
    instance: Instance,
    memory: Memory,
}

fn c_string(data: &[u8], addr: i32) -> String {
    let start = addr as u32 as usize;
    let tail = &data[start..];
    let end = tail.iter().position(|&b| b == 0).expect("NUL-terminated");
    String::from_utf8(tail[..end].to_vec()).expect("UTF-8")
}

impl CtxHost {
    fn new(engine: &Engine, module: &Module) -> Self {
        // burrego: MemoryType::new(5, None).
        Self::with_memory(engine, module, &[])
    }

    /// A fresh instance whose memory starts as a copy of `bytes` (a host cloning an instance's
    /// whole memory): the module's data segments are written over it when it is instantiated.
    fn with_memory(engine: &Engine, module: &Module, bytes: &[u8]) -> Self {
        let mut store = Store::new(engine, ());
        let pages = bytes.len().div_ceil(PAGE) as u64;
        let memory = Memory::new(&mut store, MemoryType::new(pages.max(5) as u32, None)).unwrap();
        memory.write(&mut store, 0, bytes).unwrap();
        let mut linker = Linker::new(engine);
        linker.define(&store, "env", "memory", memory).unwrap();
        linker
            .func_wrap(
                "env",
                "opa_abort",
                move |caller: Caller<'_, ()>, addr: i32| -> wasmtime::Result<()> {
                    Err(wasmtime::Error::msg(format!(
                        "opa_abort: {}",
                        c_string(memory.data(&caller), addr)
                    )))
                },
            )
            .unwrap();
        let instance = linker.instantiate(&mut store, module).unwrap();
        CtxHost {
            store,
            instance,
            memory,
        }
    }

    /// The bytes of `[from, to)` of the memory.
    fn bytes(&self, from: i32, to: i32) -> Vec<u8> {
        self.memory.data(&self.store)[from as u32 as usize..to as u32 as usize].to_vec()
    }

    /// Write `bytes` at `at`, growing the memory if needed.
    fn write(&mut self, at: i32, bytes: &[u8]) {
        let end = at as u32 as usize + bytes.len();
        let have = self.memory.data_size(&self.store);
        if end > have {
            self.memory
                .grow(&mut self.store, (end - have).div_ceil(PAGE) as u64)
                .unwrap();
        }
        self.memory
            .write(&mut self.store, at as u32 as usize, bytes)
            .unwrap();
    }

    fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        name: &str,
        params: P,
    ) -> wasmtime::Result<R> {
        let f = self
            .instance
            .get_typed_func::<P, R>(&mut self.store, name)?;
        f.call(&mut self.store, params)
    }

    fn heap(&mut self) -> i32 {
        self.call("opa_heap_ptr_get", ()).unwrap()
    }

    fn set_heap(&mut self, addr: i32) {
        self.call::<i32, ()>("opa_heap_ptr_set", addr).unwrap();
    }

    fn pages(&self) -> u64 {
        self.memory.size(&self.store)
    }

    /// `opa_malloc` + write + `opa_json_parse` (0 = parse error).
    fn parse(&mut self, bytes: &[u8]) -> i32 {
        let addr: i32 = self.call("opa_malloc", bytes.len() as i32).unwrap();
        self.memory
            .write(&mut self.store, addr as u32 as usize, bytes)
            .unwrap();
        self.call("opa_json_parse", (addr, bytes.len() as i32))
            .unwrap()
    }

    fn dump(&mut self, value: i32) -> String {
        let s: i32 = self.call("opa_json_dump", value).unwrap();
        c_string(self.memory.data(&self.store), s)
    }

    /// The context path: data, input (None = undefined), entrypoint, eval, result set JSON.
    fn eval_ctx(&mut self, ep: i32, input: Option<i32>, data: i32) -> wasmtime::Result<String> {
        let ctx: i32 = self.call("opa_eval_ctx_new", ())?;
        self.call::<(i32, i32), ()>("opa_eval_ctx_set_data", (ctx, data))?;
        if let Some(input) = input {
            self.call::<(i32, i32), ()>("opa_eval_ctx_set_input", (ctx, input))?;
        }
        self.call::<(i32, i32), ()>("opa_eval_ctx_set_entrypoint", (ctx, ep))?;
        self.call::<i32, i32>("eval", ctx)?;
        let result: i32 = self.call("opa_eval_ctx_get_result", ctx)?;
        assert_ne!(result, 0, "eval produced no result");
        Ok(self.dump(result))
    }

    /// burrego's sequence for one request: data and input parsed, entrypoint 0.
    fn burrego(&mut self, input: &Value, data: &Value) -> Value {
        let data = self.parse(&serde_json::to_vec(data).unwrap());
        let input = self.parse(&serde_json::to_vec(input).unwrap());
        assert!(data != 0 && input != 0, "opa_json_parse refused valid JSON");
        decision(&self.eval_ctx(0, Some(input), data).unwrap())
    }

    /// The fast path with raw input bytes written at the heap pointer (what every SDK does).
    fn eval_fast(&mut self, ep: i32, data: i32, input: &[u8], format: i32) -> String {
        let at = self.heap();
        let end = at as u32 as usize + input.len();
        let have = self.memory.data_size(&self.store);
        if end > have {
            self.memory
                .grow(&mut self.store, (end - have).div_ceil(PAGE) as u64)
                .unwrap();
        }
        self.memory
            .write(&mut self.store, at as u32 as usize, input)
            .unwrap();
        let len = input.len() as i32;
        let out: i32 = self
            .call("opa_eval", (0, ep, data, at, len, at + len, format))
            .unwrap_or_else(|e| panic!("opa_eval trapped: {e:?}"));
        let text = c_string(self.memory.data(&self.store), out);
        self.set_heap(at);
        text
    }
}

fn ctx_engine() -> (Engine, Module) {
    let engine = Engine::default();
    let module = Module::new(&engine, artifact(MODULE)).unwrap();
    (engine, module)
}

#[test]
fn context_path_host_matches_the_native_verdict() {
    let (engine, module) = ctx_engine();
    let cases = cases();
    let mut host = CtxHost::new(&engine, &module);
    let entrypoints = host.call::<(), i32>("entrypoints", ()).unwrap();
    let entrypoints: Value = serde_json::from_str(&host.dump(entrypoints)).unwrap();
    assert_eq!(
        entrypoints,
        json!({"secretfree/main": 0, "secretfree/violation": 1, "secretfree/verdict": 2})
    );
    let builtins = host.call::<(), i32>("builtins", ()).unwrap();
    assert_eq!(host.dump(builtins), "{}");
    let base = host.heap();

    let mut failures = Vec::new();
    let run_all = |host: &mut CtxHost, failures: &mut Vec<String>| {
        for case in &cases {
            // Gatekeeper mode: input {review, parameters}, data {}.
            host.set_heap(base);
            let got = host.burrego(&gatekeeper_input(case), &json!({}));
            let want = expected_violations(case);
            if got != want {
                failures.push(format!(
                    "gatekeeper {}\n  want {want}\n  got  {got}",
                    case.id
                ));
            }
            // Kubewarden opa mode: input {request}, data = settings.
            host.set_heap(base);
            let got = host.burrego(&kubewarden_input(case), &case.settings);
            let want = expected_review(case);
            if got != want {
                failures.push(format!("opa mode {}\n  want {want}\n  got  {got}", case.id));
            }
            // The heap reset really resets.
            host.set_heap(base);
            assert_eq!(host.heap(), base);
        }
    };
    run_all(&mut host, &mut failures);
    assert_no_differences(&failures);
    let pages = host.pages();
    for _ in 0..5 {
        run_all(&mut host, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "later passes differ:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        host.pages(),
        pages,
        "memory grew over 5 more passes with heap resets"
    );

    // A fresh instance per request (burrego instantiates per evaluation) gives the same answer.
    for case in cases.iter().step_by(13) {
        let mut fresh = CtxHost::new(&engine, &module);
        assert_eq!(
            fresh.burrego(&gatekeeper_input(case), &json!({})),
            expected_violations(case),
            "{}",
            case.id
        );
    }
    println!(
        "context path (wasmtime, 5-page host memory): {} cases x 2 shapes match, 6 passes = {} evaluations in one instance, memory steady at {pages} pages",
        cases.len(),
        cases.len() * 2 * 6
    );
}

#[test]
fn many_evaluations_without_heap_reset_by_the_host_stay_bounded_on_the_fast_path() {
    // The fast path resets the heap itself (`heap_ptr` argument): memory must stay flat.
    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    let data = host.parse(&serde_json::to_vec(&bundle_data()).unwrap());
    let cases = cases();
    let run = |host: &mut CtxHost| {
        for case in &cases {
            let text = host.eval_fast(
                2,
                data,
                &serde_json::to_vec(&verdict_input(case)).unwrap(),
                0,
            );
            let set: Vec<ResultEntry> = serde_json::from_str(&text).unwrap();
            same_verdict(case, raw_result(&set)).unwrap();
        }
    };
    run(&mut host);
    let pages = host.pages();
    for _ in 0..5 {
        run(&mut host);
    }
    assert_eq!(host.pages(), pages);
    // Format 1 (OPA Go): the result set as Rego set text.
    let case = &cases[0];
    let text = host.eval_fast(
        2,
        data,
        &serde_json::to_vec(&verdict_input(case)).unwrap(),
        1,
    );
    assert!(
        text.starts_with("{{\"result\":") && text.ends_with("}}"),
        "{text}"
    );
    assert_eq!(
        text[1..text.len() - 1],
        format!("{{\"result\":{}}}", case.native.to_json())
    );
}

// ---------------------------------------------------------------------------------------
// What the module keeps across heap resets: the values `data` and an input's settings give
// ---------------------------------------------------------------------------------------

/// A pod pulling from `registry.example.com` without naming its instance; nothing but the
/// settings or the context puts it on ECI.
const POD: &str = r#"{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"shop","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}}"#;

/// Settings texts of one length that judge `POD` differently: every pod on ECI and the custom
/// domain is the pod's registry (denied: the instance is missing), the same but another host
/// (allowed: an unknown registry), an invalid instance id (invalid settings: denied).
const SAME_LENGTH: [&str; 3] = [
    r#"{"customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234"}],"eciScope":{"mode":"all"}}"#,
    r#"{"customDomains":[{"host":"registry.exbmple.com","instanceId":"cri-j36zhodptmyq1234"}],"eciScope":{"mode":"all"}}"#,
    r#"{"customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq123!"}],"eciScope":{"mode":"all"}}"#,
];

/// Data texts that judge `POD`: `SAME_LENGTH`, then the first with mutation on (repaired), with
/// the scope left to detection (out of scope: allowed), and that with the pod's namespace
/// labelled for ECI in the context Kubewarden's opa mode passes (denied again).
fn data_texts() -> Vec<Vec<u8>> {
    let mut texts: Vec<Vec<u8>> = SAME_LENGTH.iter().map(|t| t.as_bytes().to_vec()).collect();
    let mut mutate: Value = serde_json::from_str(SAME_LENGTH[0]).unwrap();
    mutate["mutate"] = json!(true);
    let mut detect: Value = serde_json::from_str(SAME_LENGTH[0]).unwrap();
    detect["eciScope"]["mode"] = json!("detect");
    let mut context = detect.clone();
    context["kubernetes"] = json!({"namespaces": {"shop": {"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"alibabacloud.com/eci": "true"}}}}});
    for data in [mutate, detect, context] {
        texts.push(serde_json::to_vec(&data).unwrap());
    }
    texts
}

/// The native decision of entrypoint `ep` as result set text: what the module must answer.
fn native_result(ep: i32, input: &[u8], data: &[u8]) -> String {
    let data: Value = serde_json::from_slice(data).unwrap();
    let ep = OPA_ENTRYPOINTS[ep as usize].1;
    let decision = secretfree::engines::opa::opa_decision(ep, input, &data);
    format!(
        "[{{\"result\":{}}}]",
        serde_json::to_string(&decision).unwrap()
    )
}

#[test]
fn kept_data_follows_every_change_of_the_data_text() {
    let texts = data_texts();
    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    let input = format!(r#"{{"request":{POD}}}"#).into_bytes();
    let verdicts: Vec<String> = texts.iter().map(|t| native_result(2, &input, t)).collect();
    let same_length: std::collections::BTreeSet<&String> = verdicts[..3].iter().collect();
    assert_eq!(
        same_length.len(),
        3,
        "the texts of one length judge differently"
    );
    assert_ne!(verdicts[0], verdicts[3], "mutation repairs");
    assert_ne!(verdicts[4], verdicts[5], "the context puts the pod on ECI");
    let base = host.heap();
    let mut at = None;
    // burrego's sequence: heap reset, data parsed (the texts of one length at one address,
    // each over the other), input parsed, eval; each entrypoint, each text twice in a row and
    // again after the others.
    for round in 0..3 {
        for text in &texts {
            for _ in 0..2 {
                for ep in 0..3 {
                    host.set_heap(base);
                    let data = host.parse(text);
                    if text.len() == texts[0].len() {
                        assert_eq!(*at.get_or_insert(data), data, "parsed at one address");
                    }
                    let value = host.parse(&input);
                    let got = host.eval_ctx(ep, Some(value), data).unwrap();
                    let want = native_result(ep, &input, text);
                    let text = String::from_utf8_lossy(text);
                    assert_eq!(got, want, "round {round}, ep {ep}, data {text}");
                }
            }
        }
    }

    // The fast path with data loaded once and edited in place between evaluations
    // (opa_value_add_path / opa_value_remove_path on the same value).
    host.set_heap(base);
    let data = host.parse(&texts[1]);
    let mut current: Value = serde_json::from_slice(&texts[1]).unwrap();
    let fast = |host: &mut CtxHost, current: &Value| {
        let got = host.eval_fast(2, data, &input, 0);
        let want = native_result(2, &input, &serde_json::to_vec(current).unwrap());
        assert_eq!(got, want, "after editing data into {current}");
        got
    };
    let unknown_registry = fast(&mut host, &current);
    let domain = json!({"host": "registry.example.com", "instanceId": "cri-j36zhodptmyq1234"});
    let path = host.parse(br#"["customDomains"]"#);
    let domains = host.parse(&serde_json::to_vec(&json!([domain])).unwrap());
    let rc: i32 = host
        .call("opa_value_add_path", (data, path, domains))
        .unwrap();
    assert_eq!(rc, 0);
    current["customDomains"] = json!([domain]);
    let missing_instance = fast(&mut host, &current);
    assert_ne!(unknown_registry, missing_instance);
    assert_eq!(fast(&mut host, &current), missing_instance);
    let rc: i32 = host.call("opa_value_remove_path", (data, path)).unwrap();
    assert_eq!(rc, 0);
    current.as_object_mut().unwrap().remove("customDomains");
    assert_eq!(fast(&mut host, &current), unknown_registry);
    // New data loaded where the old was, the heap reset below both.
    host.set_heap(base);
    let again = host.parse(&texts[0]);
    assert_eq!(again, data);
    let got = host.eval_fast(2, again, &input, 0);
    assert_eq!(got, native_result(2, &input, &texts[0]));
}

#[test]
fn kept_input_settings_follow_every_change_of_the_settings_text() {
    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    let data_text = serde_json::to_vec(&bundle_data()).unwrap();
    let data = host.parse(&data_text);
    let settings = SAME_LENGTH.iter().chain(&["{}", "[1]", "null"]);
    let inputs = |settings: &str| {
        [
            (2, format!(r#"{{"request":{POD},"settings":{settings}}}"#)),
            (0, format!(r#"{{"review":{POD},"parameters":{settings}}}"#)),
            (1, format!(r#"{{"parameters":{settings},"review":{POD}}}"#)),
            (0, format!(r#"{{"request":{POD},"settings":{settings}}}"#)),
        ]
    };
    for round in 0..2 {
        for settings in settings.clone() {
            for (ep, input) in inputs(settings) {
                for _ in 0..2 {
                    let got = host.eval_fast(ep, data, input.as_bytes(), 0);
                    let want = native_result(ep, input.as_bytes(), &data_text);
                    assert_eq!(got, want, "round {round}, ep {ep}, input {input}");
                }
            }
        }
    }
    let verdicts: std::collections::BTreeSet<String> = SAME_LENGTH
        .iter()
        .map(|s| native_result(2, inputs(s)[0].1.as_bytes(), &data_text))
        .collect();
    assert_eq!(
        verdicts.len(),
        3,
        "the settings texts judge the pod differently"
    );
}

#[test]
fn data_and_settings_too_large_to_keep_are_read_afresh() {
    // Data of 400 namespaces (about 314 KB kept, over the 224 KiB region) and settings of
    // 3,000 anonymous images (over the 32 KiB region), alternating with texts that fit: every
    // evaluation judged as natively, the small ones kept after the large ones did not fit.
    let mut large: Value = serde_json::from_str(SAME_LENGTH[0]).unwrap();
    large["eciScope"]["mode"] = json!("detect");
    let namespaces: serde_json::Map<String, Value> = (0..400)
        .map(|i| {
            let name = if i == 399 {
                "shop".to_owned()
            } else {
                format!("team-{i}-prod")
            };
            let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name,
                "uid": "6f9e1b9c-0000-4000-8000-000000000000", "resourceVersion": "123456",
                "labels": {"kubernetes.io/metadata.name": name, "team": format!("team-{i}"),
                    "alibabacloud.com/eci": "true"}}});
            (name, ns)
        })
        .collect();
    large["kubernetes"] = json!({"namespaces": namespaces});
    let large = serde_json::to_vec(&large).unwrap();
    let small = SAME_LENGTH[1].as_bytes().to_vec();
    let images: Vec<String> = (0..3000)
        .map(|i| format!("docker.io/library/image-{i}:*"))
        .collect();
    let mut many: Value = serde_json::from_str(SAME_LENGTH[0]).unwrap();
    many["anonymousImages"] = json!(images);
    let many = serde_json::to_string(&many).unwrap();
    assert!(large.len() > 100_000 && many.len() > 32 * 1024);

    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    let base = host.heap();
    let request = format!(r#"{{"request":{POD}}}"#).into_bytes();
    let mut answers = std::collections::BTreeSet::new();
    for round in 0..3 {
        for data_text in [&large, &small, &large, &large, &small, &small] {
            host.set_heap(base);
            let data = host.parse(data_text);
            for input in [
                request.clone(),
                format!(r#"{{"request":{POD},"settings":{many}}}"#).into_bytes(),
                format!(r#"{{"request":{POD},"settings":{}}}"#, SAME_LENGTH[2]).into_bytes(),
                format!(r#"{{"request":{POD},"settings":{many}}}"#).into_bytes(),
            ] {
                let got = host.eval_fast(2, data, &input, 0);
                assert_eq!(
                    got,
                    native_result(2, &input, data_text),
                    "round {round}, data of {} bytes, input of {} bytes",
                    data_text.len(),
                    input.len()
                );
                answers.insert(got);
            }
        }
    }
    assert!(answers.len() >= 3, "{answers:?}");
}

#[test]
fn kept_values_stay_right_when_a_host_clones_memory_into_a_fresh_instance() {
    let (engine, module) = ctx_engine();
    let input = format!(r#"{{"request":{POD}}}"#).into_bytes();
    let (a, b) = (SAME_LENGTH[0].as_bytes(), SAME_LENGTH[1].as_bytes());
    let (want_a, want_b) = (native_result(2, &input, a), native_result(2, &input, b));
    assert_ne!(want_a, want_b);

    // The whole memory of an instance that kept what `a` gives, copied into a fresh instance
    // (whose data segments are written over the copy): the copy answers for `a` at once, and
    // for `b` loaded where `a` was.
    let mut first = CtxHost::new(&engine, &module);
    let base = first.heap();
    let data = first.parse(a);
    let mark = first.heap();
    assert_eq!(first.eval_fast(2, data, &input, 0), want_a);
    let size = first.memory.data_size(&first.store) as i32;
    let mut copy = CtxHost::with_memory(&engine, &module, &first.bytes(0, size));
    copy.set_heap(mark);
    assert_eq!(copy.eval_fast(2, data, &input, 0), want_a);
    copy.set_heap(base);
    assert_eq!(copy.parse(b), data, "loaded where the copied data was");
    assert_eq!(copy.eval_fast(2, data, &input, 0), want_b);

    // OPA Go's pool: the heap an instance loaded its data into, [heap base, mark), is copied
    // into another instance of the module at the same addresses, and the heap pointer set to
    // the mark. The other instance kept what `b` gives, and `b`'s value record and text were
    // at the same addresses with the same length: the copied `a` must be read as `a`.
    let mut pooled = CtxHost::new(&engine, &module);
    assert_eq!(pooled.heap(), base);
    assert_eq!(pooled.parse(b), data);
    assert_eq!(pooled.eval_fast(2, data, &input, 0), want_b);
    assert_eq!(pooled.eval_fast(2, data, &input, 0), want_b);
    pooled.write(base, &first.bytes(base, mark));
    pooled.set_heap(mark);
    assert_eq!(pooled.eval_fast(2, data, &input, 0), want_a);
    // And back to `b` (the copy's heap), through the context path.
    pooled.write(base, &copy.bytes(base, mark));
    pooled.set_heap(mark);
    let value = pooled.parse(&input);
    assert_eq!(pooled.eval_ctx(2, Some(value), data).unwrap(), want_b);
}

#[test]
fn bad_entrypoint_calls_opa_abort() {
    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    let data = host.parse(b"{}");
    let input = host.parse(b"{}");
    let err = host.eval_ctx(7, Some(input), data).unwrap_err();
    assert!(
        format!("{err:?}").contains("opa_abort: invalid entrypoint id 7"),
        "{err:?}"
    );
    let base = host.heap();
    let err = host
        .call::<(i32, i32, i32, i32, i32, i32, i32), i32>("opa_eval", (0, -1, data, 0, 0, base, 0))
        .unwrap_err();
    assert!(format!("{err:?}").contains("opa_abort"), "{err:?}");
    // The instance still works.
    let mut fresh = CtxHost::new(&engine, &module);
    let case = &cases()[0];
    assert_eq!(
        fresh.burrego(&gatekeeper_input(case), &json!({})),
        expected_violations(case)
    );
}

#[test]
fn value_functions_follow_the_abi() {
    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    // opa_json_parse: 0 on errors (burrego relies on it), compact JSON out.
    for bad in [
        &b""[..],
        b"{",
        b"[1,]",
        b"{\"a\" 1}",
        b"nul",
        b"\"\xff\"",
        b"01",
        b"{} {}",
        b"{1, 2}",
    ] {
        assert_eq!(
            host.parse(bad),
            0,
            "{:?} must not parse",
            String::from_utf8_lossy(bad)
        );
    }
    // matrix-org's opa-wasm counts the C string's NUL in the length.
    let v = host.parse(b"{\"k\":1}\0");
    assert_eq!(host.dump(v), r#"{"k":1}"#);
    let v = host.parse(b" { \"a\" : [1, 2.5e3, true, null, \"x\\n\\u00e9\"] } ");
    assert_eq!(host.dump(v), r#"{"a":[1,2.5e3,true,null,"x\n\u00e9"]}"#);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_ne!(
        host.parse(deep.as_bytes()),
        0,
        "any nesting depth parses without recursion"
    );
    // opa_value_parse: Rego sets become arrays.
    let text = br#"{"s": {1, "b"}, "e": set(), "o": {"k": {2}}}"#;
    let addr: i32 = host.call("opa_malloc", text.len() as i32).unwrap();
    host.memory
        .write(&mut host.store, addr as usize, text)
        .unwrap();
    let v: i32 = host
        .call("opa_value_parse", (addr, text.len() as i32))
        .unwrap();
    assert_eq!(host.dump(v), r#"{"s":[1,"b"],"e":[],"o":{"k":[2]}}"#);
    // add_path / remove_path on the data document.
    let base = host.parse(br#"{"a":{"b":123}}"#);
    let path = host.parse(br#"["a","x","y"]"#);
    let value = host.parse(br#"{"foo":"bar"}"#);
    assert_eq!(
        host.call::<(i32, i32, i32), i32>("opa_value_add_path", (base, path, value))
            .unwrap(),
        0
    );
    assert_eq!(
        serde_json::from_str::<Value>(&host.dump(base)).unwrap(),
        json!({"a": {"b": 123, "x": {"y": {"foo": "bar"}}}})
    );
    let path = host.parse(br#"["a","b"]"#);
    assert_eq!(
        host.call::<(i32, i32), i32>("opa_value_remove_path", (base, path))
            .unwrap(),
        0
    );
    assert_eq!(
        serde_json::from_str::<Value>(&host.dump(base)).unwrap(),
        json!({"a": {"x": {"y": {"foo": "bar"}}}})
    );
    let path = host.parse(br#"["a","x","y","foo","z"]"#);
    assert_eq!(
        host.call::<(i32, i32, i32), i32>("opa_value_add_path", (base, path, value))
            .unwrap(),
        2,
        "through a string"
    );
    let bad_path = host.parse(br#"[1]"#);
    assert_eq!(
        host.call::<(i32, i32, i32), i32>("opa_value_add_path", (base, bad_path, value))
            .unwrap(),
        3
    );
    // The result set dumps as a Rego set through opa_value_dump (OPA Go's context path).
    let data = host.parse(b"{}");
    let input = host.parse(&serde_json::to_vec(&gatekeeper_input(&cases()[0])).unwrap());
    let ctx: i32 = host.call("opa_eval_ctx_new", ()).unwrap();
    host.call::<(i32, i32), ()>("opa_eval_ctx_set_data", (ctx, data))
        .unwrap();
    host.call::<(i32, i32), ()>("opa_eval_ctx_set_input", (ctx, input))
        .unwrap();
    host.call::<i32, i32>("eval", ctx).unwrap();
    let result: i32 = host.call("opa_eval_ctx_get_result", ctx).unwrap();
    let s: i32 = host.call("opa_value_dump", result).unwrap();
    let rego = c_string(host.memory.data(&host.store), s);
    assert!(
        rego.starts_with("{{\"result\":") && rego.ends_with("}}"),
        "{rego}"
    );
    // Stash/restore/clear and the frees are callable no-ops.
    for f in [
        "opa_heap_blocks_stash",
        "opa_heap_blocks_restore",
        "opa_heap_stash_clear",
    ] {
        host.call::<(), ()>(f, ()).unwrap();
    }
    host.call::<i32, ()>("opa_free", addr).unwrap();
    host.call::<i32, ()>("opa_value_free", v).unwrap();
}

#[test]
fn context_path_hostile_requests_match_native_in_64_mib() {
    // burrego's sequence (opa_malloc, opa_json_parse, eval) in ONE instance, heap reset between
    // requests, the 5-page host memory growing as the module needs.
    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    let base = host.heap();
    for h in hostile_requests() {
        host.set_heap(base);
        let start = std::time::Instant::now();
        let data = host.parse(b"{}");
        let input = host.parse(&h.envelope());
        assert_ne!(input, 0, "{}: opa_json_parse refused it", h.label());
        let out = host
            .eval_ctx(2, Some(input), data)
            .unwrap_or_else(|e| panic!("{}: trapped: {e:?}", h.label()));
        let elapsed = start.elapsed();
        let set: Vec<ResultEntry> = serde_json::from_str(&out).unwrap();
        assert!(
            raw_result(&set) == h.native.to_json(),
            "{}: differs from native",
            h.label()
        );
        support::report(
            "OPA context path (wasmtime)",
            h.label(),
            h.bytes.len(),
            host.pages() as usize,
            elapsed,
        );
    }
    host.set_heap(base);
    let normal = &cases()[0];
    assert_eq!(
        host.burrego(&gatekeeper_input(normal), &json!({})),
        expected_violations(normal),
        "a normal case after the hostile requests"
    );
}

#[test]
fn context_and_fast_paths_survive_hostile_inputs() {
    let (engine, module) = ctx_engine();
    let mut host = CtxHost::new(&engine, &module);
    let base = host.heap();
    let normal = cases()[0].clone();
    let mut checked = 0;
    for (label, bytes) in hostile_inputs() {
        let is_json = serde_json::from_slice::<Value>(&bytes).is_ok() || label == "deep nesting";
        // Context path, both burrego shapes, the request spliced in as raw bytes.
        for (ep, prefix, data) in [
            (0, &b"{\"parameters\":{},\"review\":"[..], &b"{}"[..]),
            (0, b"{\"request\":", b"{}"),
            (1, b"{\"review\":", b"{}"),
            (2, b"{\"request\":", b"{}"),
        ] {
            host.set_heap(base);
            let mut text = prefix.to_vec();
            text.extend_from_slice(&bytes);
            text.push(b'}');
            let data = host.parse(data);
            let input = host.parse(&text);
            if is_json {
                assert_ne!(input, 0, "{label}: valid JSON refused by opa_json_parse");
            } else {
                // Not JSON: opa_json_parse says so (burrego then refuses the request); with the
                // input left undefined the policy still denies.
                assert_eq!(input, 0, "{label}: invalid JSON accepted by opa_json_parse");
            }
            let out = host
                .eval_ctx(ep, (input != 0).then_some(input), data)
                .unwrap_or_else(|e| panic!("{label}: trapped: {e:?}"));
            assert!(
                denies(ep as usize, &decision(&out)),
                "{label} ep {ep}: no denial: {}",
                &out[..out.len().min(300)]
            );
            checked += 1;
        }
        // Fast path with the raw bytes as the whole input, and spliced into the envelope.
        host.set_heap(base);
        let data = host.parse(&serde_json::to_vec(&bundle_data()).unwrap());
        for ep in 0..3 {
            let out = host.eval_fast(ep, data, &bytes, 0);
            assert!(
                denies(ep as usize, &decision(&out)),
                "{label} fast ep {ep}: no denial: {}",
                &out[..out.len().min(300)]
            );
            let mut wrapped = b"{\"settings\":{},\"request\":".to_vec();
            wrapped.extend_from_slice(&bytes);
            wrapped.push(b'}');
            let out = host.eval_fast(ep, data, &wrapped, 0);
            assert!(
                denies(ep as usize, &decision(&out)),
                "{label} fast wrapped ep {ep}: no denial: {}",
                &out[..out.len().min(300)]
            );
            checked += 2;
        }
        // The same instance still evaluates a normal case correctly.
        host.set_heap(base);
        assert_eq!(
            host.burrego(&gatekeeper_input(&normal), &json!({})),
            expected_violations(&normal),
            "after {label}"
        );
        let text = host.eval_fast(
            2,
            data,
            &serde_json::to_vec(&verdict_input(&normal)).unwrap(),
            0,
        );
        let set: Vec<ResultEntry> = serde_json::from_str(&text).unwrap();
        same_verdict(&normal, raw_result(&set)).unwrap_or_else(|e| panic!("after {label}: {e}"));
    }
    println!("hostile inputs: {checked} evaluations denied without a trap (context and fast path)");
}

// ---------------------------------------------------------------------------------------
// npm @open-policy-agent/opa-wasm
// ---------------------------------------------------------------------------------------

#[test]
fn npm_sdk_matches_the_native_verdict() {
    let cases = cases();
    let corpus = write_corpus_json(&cases, "opa-corpus.json");
    let module = repo().join("dist").join(MODULE);
    let out = run_node(
        "opa.mjs",
        &[module.to_str().unwrap(), corpus.to_str().unwrap()],
    );
    assert_eq!(out["abiVersion"], "1.3", "{out}");
    let mut failures = Vec::new();
    for case in &cases {
        let r = &out["results"][&case.id];
        if let Err(diff) = same_verdict(case, r["verdict"].as_str().unwrap_or_default()) {
            failures.push(format!("npm fast verdict {diff}"));
        }
        let want = expected_violations(case);
        for key in ["violation", "ctxMain"] {
            if r[key] != want {
                failures.push(format!(
                    "npm {key} {}\n  want {want}\n  got  {}",
                    case.id, r[key]
                ));
            }
        }
    }
    assert_no_differences(&failures);
    let pages = &out["memoryPages"];
    assert_eq!(
        pages["fastFirst"], pages["fastLast"],
        "npm fast path memory grew: {pages}"
    );
    assert_eq!(
        pages["ctxFirst"], pages["ctxLast"],
        "npm context path memory grew: {pages}"
    );
    println!(
        "npm @open-policy-agent/opa-wasm: {} cases x 3 (fast verdict byte for byte, fast violation, context path main) match; memory pages {pages}",
        cases.len()
    );
}

#[test]
fn npm_sdk_hostile_requests_match_native_in_64_mib() {
    // ONE SDK instance (default 5-page memory), inputs passed as raw bytes.
    let dir = repo().join("target/wasm-tests/hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let requests = hostile_requests();
    let mut plan = Vec::new();
    for h in &requests {
        let file = dir.join(format!("{}.json", h.family.name()));
        std::fs::write(&file, h.envelope()).unwrap();
        plan.push(json!({"name": h.family.name(), "file": file}));
    }
    let normal = &cases()[0];
    let normal_file = dir.join("normal.json");
    std::fs::write(
        &normal_file,
        serde_json::to_vec(&verdict_input(normal)).unwrap(),
    )
    .unwrap();
    let plan_file = dir.join("plan.json");
    std::fs::write(
        &plan_file,
        serde_json::to_vec(
            &json!({"data": bundle_data(), "requests": plan, "normal": {"file": normal_file}}),
        )
        .unwrap(),
    )
    .unwrap();
    let module = repo().join("dist").join(MODULE);
    let out = run_node(
        "hostile.mjs",
        &[module.to_str().unwrap(), plan_file.to_str().unwrap()],
    );
    for (h, r) in requests.iter().zip(out["results"].as_array().unwrap()) {
        assert_eq!(r["name"], h.family.name());
        assert!(
            r["verdict"].as_str() == Some(h.native.to_json().as_str()),
            "{}: differs from native\n  native:   {}\n  artifact: {}",
            h.label(),
            h.native.to_json(),
            r["verdict"]
        );
        support::report(
            "OPA (npm SDK)",
            h.label(),
            h.bytes.len(),
            r["pages"].as_u64().unwrap() as usize,
            std::time::Duration::from_secs_f64(r["ms"].as_f64().unwrap() / 1000.0),
        );
    }
    same_verdict(normal, out["normal"]["verdict"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("after the hostile requests: {e}"));
}

// ---------------------------------------------------------------------------------------
// The bundle
// ---------------------------------------------------------------------------------------

#[test]
fn bundle_holds_manifest_data_and_the_module() {
    let bundle = repo().join("dist/opa/bundle.tar.gz");
    let bytes = std::fs::read(&bundle).unwrap();
    // gzip header: no file name, mtime 0.
    assert_eq!(&bytes[..3], &[0x1f, 0x8b, 8]);
    assert_eq!(bytes[3] & 0x08, 0, "no FNAME in the gzip header");
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip mtime 0");

    let list = std::process::Command::new("tar")
        .args(["--numeric-owner", "-tvzf"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(list.status.success());
    let list = String::from_utf8(list.stdout).unwrap();
    let names: Vec<&str> = list
        .lines()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(
        names,
        ["/.manifest", "/data.json", "/policy.wasm"],
        "{list}"
    );
    for line in list.lines() {
        assert!(
            line.starts_with("-rw-r--r-- 0/0"),
            "mode 0644, owner 0/0: {line}"
        );
        assert!(line.contains("1970-01-01"), "mtime 0: {line}");
    }

    let dir = repo().join("target/wasm-tests/opa-bundle");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // (GNU tar strips the leading `/` when extracting and says so on stderr.)
    let out = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&bundle)
        .arg("-C")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join(".manifest")).unwrap()).unwrap();
    assert_eq!(manifest["roots"], json!(["secretfree"]));
    let eps: Vec<&str> = manifest["wasm"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["entrypoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        eps,
        OPA_ENTRYPOINTS.iter().map(|(n, _)| *n).collect::<Vec<_>>()
    );
    assert!(
        manifest["wasm"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["module"] == "/policy.wasm")
    );
    let data: Value =
        serde_json::from_slice(&std::fs::read(dir.join("data.json")).unwrap()).unwrap();
    assert_eq!(data, json!({"secretfree": {"settings": {}}}));
    assert!(
        std::fs::read(dir.join("policy.wasm")).unwrap() == artifact(MODULE),
        "the bundle's policy.wasm differs from dist/opa/policy.wasm"
    );
}
