//! dist/kubewarden/policy.wasm in the waPC host stack Kubewarden uses (wapc + wasmtime-provider).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use secretfree::engines::admission;
use secretfree_wasm_tests::{
    Case, artifact, cases, context_cases, hostile_inputs, hostile_requests,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use wapc::WapcHost;
use wasmparser::{Parser, Payload};
use wasmtime_provider::WasmtimeEngineProviderBuilder;

const MODULE: &str = "kubewarden/policy.wasm";

fn host(bytes: &[u8]) -> WapcHost {
    let engine = WasmtimeEngineProviderBuilder::new()
        .module_bytes(bytes)
        .build()
        .expect("wasmtime engine");
    WapcHost::new(Box::new(engine), None).expect("waPC host")
}

/// The host calls a module made, as `(binding, namespace, operation, payload)`.
type Calls = Arc<Mutex<Vec<(String, String, String, Value)>>>;

/// A waPC host whose `kubewarden/kubernetes/get_resource` answers come from recorded objects
/// (the case's context): the object of the kind and name asked for, or an error like the
/// policy-server's when there is none ("not found"). Every call is recorded.
fn host_with_context(bytes: &[u8], objects: Vec<Value>) -> (WapcHost, Calls) {
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let callback = move |_id: u64,
                         binding: &str,
                         namespace: &str,
                         operation: &str,
                         payload: &[u8]|
          -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let asked: Value = serde_json::from_slice(payload)?;
        seen.lock().unwrap().push((
            binding.to_owned(),
            namespace.to_owned(),
            operation.to_owned(),
            asked.clone(),
        ));
        if (binding, namespace, operation) != ("kubewarden", "kubernetes", "get_resource") {
            return Err(
                format!("unknown host capability {binding}/{namespace}/{operation}").into(),
            );
        }
        let found = objects.iter().find(|o| {
            o["kind"] == asked["kind"]
                && o["apiVersion"] == asked["api_version"]
                && o["metadata"]["name"] == asked["name"]
                && (asked["namespace"].is_null()
                    || o["metadata"]["namespace"] == asked["namespace"])
        });
        match found {
            Some(o) => Ok(serde_json::to_vec(o)?),
            None => Err(format!("{} {} not found", asked["kind"], asked["name"]).into()),
        }
    };
    let engine = WasmtimeEngineProviderBuilder::new()
        .module_bytes(bytes)
        .build()
        .expect("wasmtime engine");
    let host = WapcHost::new(Box::new(engine), Some(Box::new(callback))).expect("waPC host");
    (host, calls)
}

/// A host on an engine whose memory reports its size (see `support`).
fn tracked_host(bytes: &[u8]) -> (WapcHost, std::sync::Arc<support::Memories>) {
    let (engine, memories) = support::engine();
    let provider = WasmtimeEngineProviderBuilder::new()
        .engine(engine)
        .module_bytes(bytes)
        .build()
        .expect("wasmtime engine");
    (
        WapcHost::new(Box::new(provider), None).expect("waPC host"),
        memories,
    )
}

fn call(host: &WapcHost, op: &str, payload: &[u8]) -> Value {
    let out = host
        .call(op, payload)
        .unwrap_or_else(|e| panic!("{op} returned a guest error: {e}"));
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{op}: not JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

/// What Kubewarden must see for this case, from the native verdict.
fn expected(case: &Case) -> Value {
    let v = &case.native;
    let mutated = if v.allowed && !v.patch.is_empty() {
        let mut obj = case.request["object"].clone();
        secretfree::apply_patch(&mut obj, &v.patch).expect("native patch applies");
        obj
    } else {
        Value::Null
    };
    secretfree::engines::kubewarden::kubewarden_response(
        v,
        if mutated.is_null() {
            None
        } else {
            Some(mutated)
        },
    )
}

#[test]
fn every_case_matches_the_native_verdict() {
    let bytes = artifact(MODULE);
    let host = host(&bytes);
    let cases = cases();
    let mut failures = Vec::new();
    let mut mutated = 0;
    for case in &cases {
        let payload =
            serde_json::to_vec(&json!({"request": case.request, "settings": case.settings}))
                .unwrap();
        let got = call(&host, "validate", &payload);
        let want = expected(case);
        if got != want {
            failures.push(format!("{}\n  want {want}\n  got  {got}", case.id));
        }
        // The fields Kubewarden maps to the AdmissionResponse, checked one by one as well.
        assert_eq!(got["accepted"], case.native.allowed, "{}", case.id);
        assert_eq!(
            got["message"].as_str().map(str::to_owned),
            admission::deny_message(&case.native),
            "{}",
            case.id
        );
        if !got["mutated_object"].is_null() {
            mutated += 1;
        }
        let settings = call(
            &host,
            "validate_settings",
            &serde_json::to_vec(&case.settings).unwrap(),
        );
        assert_eq!(settings["valid"], true, "{}: {settings}", case.id);
    }
    secretfree_wasm_tests::assert_all_match(&failures, cases.len());
    assert!(mutated > 0, "no case exercised mutated_object");
    println!(
        "kubewarden: {} cases match the native verdict ({mutated} with mutated_object)",
        cases.len()
    );
}

#[test]
fn context_cases_are_judged_with_the_objects_the_host_answers() {
    let bytes = artifact(MODULE);
    let cases = context_cases();
    assert!(
        cases.len() >= 5,
        "expected the context cases of policies/cases"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let (host, calls) = host_with_context(&bytes, case.context.clone());
        let payload =
            serde_json::to_vec(&json!({"request": case.request, "settings": case.settings}))
                .unwrap();
        let got = call(&host, "validate", &payload);
        let want = expected(case);
        if got != want {
            failures.push(format!("{}\n  want {want}\n  got  {got}", case.id));
        }
        // Only get_resource, for the request's Namespace and kube-system/eci-profile.
        for (binding, namespace, operation, asked) in calls.lock().unwrap().iter() {
            assert_eq!(
                (binding.as_str(), namespace.as_str(), operation.as_str()),
                ("kubewarden", "kubernetes", "get_resource"),
                "{}",
                case.id
            );
            let wanted = [
                json!({"api_version": "v1", "kind": "ConfigMap", "name": "eci-profile", "namespace": "kube-system", "disable_cache": false}),
                json!({"api_version": "v1", "kind": "Namespace", "name": case.request["namespace"], "namespace": null, "disable_cache": false}),
            ];
            assert!(wanted.contains(asked), "{}: asked for {asked}", case.id);
        }
    }
    secretfree_wasm_tests::assert_all_match(&failures, cases.len());
    println!(
        "kubewarden: {} context cases match the native verdict with host-answered lookups",
        cases.len()
    );
}

#[test]
fn a_workload_out_of_scope_without_context_is_judged_with_it() {
    let bytes = artifact(MODULE);
    let case = context_cases()
        .into_iter()
        .find(|c| {
            c.id.contains("a namespace labelled for ECI puts an unmarked deployment")
        })
        .expect("the namespace-label case");
    let payload =
        serde_json::to_vec(&json!({"request": case.request, "settings": case.settings})).unwrap();
    // No host callback (a module run without context access): every lookup fails.
    let plain = call(&host(&bytes), "validate", &payload);
    assert_eq!(plain["accepted"], true, "{plain}");
    assert_eq!(plain["warnings"], Value::Null);
    // Lookups answered, but nothing found: the same.
    let (empty, calls) = host_with_context(&bytes, Vec::new());
    assert_eq!(call(&empty, "validate", &payload), plain);
    assert_eq!(
        calls.lock().unwrap().len(),
        2,
        "eci-profile and Namespace asked for"
    );
    // The namespace is labelled for ECI: judged, denied.
    let (with, _) = host_with_context(&bytes, case.context.clone());
    let denied = call(&with, "validate", &payload);
    assert_eq!(denied["accepted"], false, "{denied}");
    assert!(
        denied["message"]
            .as_str()
            .unwrap()
            .contains("custom-domain-missing-instance"),
        "{denied}"
    );
    // A pod that shows an ECI signal and passes makes no lookup at all.
    let clean = cases()
        .into_iter()
        .find(|c| {
            c.native.allowed
                && c.native.findings.is_empty()
                && c.request["kind"]["kind"] == "Pod"
                && c.request["object"]["metadata"]["labels"]["alibabacloud.com/eci"] == "true"
        })
        .expect("a clean ECI pod case");
    let (quiet, calls) = host_with_context(&bytes, Vec::new());
    let got = call(
        &quiet,
        "validate",
        &serde_json::to_vec(&json!({"request": clean.request, "settings": clean.settings}))
            .unwrap(),
    );
    assert_eq!(got, expected(&clean), "{}", clean.id);
    assert!(
        calls.lock().unwrap().is_empty(),
        "{}: {:?}",
        clean.id,
        calls.lock().unwrap()
    );
}

#[test]
fn a_fresh_instance_per_request_gives_the_same_answer() {
    // policy-server re-instantiates the module for every request.
    let bytes = artifact(MODULE);
    for case in cases().iter().step_by(17) {
        let payload =
            serde_json::to_vec(&json!({"request": case.request, "settings": case.settings}))
                .unwrap();
        assert_eq!(
            call(&host(&bytes), "validate", &payload),
            expected(case),
            "{}",
            case.id
        );
    }
}

#[test]
fn protocol_version_and_settings_validation() {
    let host = host(&artifact(MODULE));
    assert_eq!(host.call("protocol_version", b"").unwrap(), b"\"v1\"");
    for name in ["minimal", "strict", "multi-team"] {
        let text = std::fs::read_to_string(
            secretfree_wasm_tests::repo().join(format!("policies/settings/{name}.yaml")),
        )
        .unwrap();
        let doc = secretfree::tools::manifest::yaml_to_value(&text).unwrap();
        let got = call(
            &host,
            "validate_settings",
            &serde_json::to_vec(&doc).unwrap(),
        );
        assert_eq!(got["valid"], true, "{name}: {got}");
    }
    let bad = call(
        &host,
        "validate_settings",
        br#"{"clusterRegion":"hangzhou","accountId":"12","mutate":"yes","rules":{"nope":"off"}}"#,
    );
    assert_eq!(bad["valid"], false);
    let msg = bad["message"].as_str().unwrap();
    for key in ["clusterRegion", "accountId", "mutate", "rules.nope"] {
        assert!(msg.contains(key), "{key} missing from {msg}");
    }
    assert!(
        host.call("no_such_op", b"").is_err(),
        "unknown operations are guest errors"
    );
}

#[test]
fn hostile_input_is_denied_without_trapping() {
    let host = host(&artifact(MODULE));
    let normal = cases().into_iter().next().unwrap();
    let normal_payload =
        serde_json::to_vec(&json!({"request": normal.request, "settings": normal.settings}))
            .unwrap();
    for (label, bytes) in hostile_inputs() {
        // As the raw waPC payload...
        let got = call(&host, "validate", &bytes);
        assert_eq!(got["accepted"], false, "{label}: {got}");
        assert!(
            got["message"].as_str().unwrap().contains("request-invalid"),
            "{label}: {got}"
        );
        // ...and, where it is JSON, as the request inside a well-formed payload.
        if let Ok(request) = serde_json::from_slice::<Value>(&bytes) {
            let got = call(
                &host,
                "validate",
                &serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap(),
            );
            assert_eq!(got["accepted"], false, "{label} (wrapped): {got}");
        }
        // The same instance still works.
        assert_eq!(
            call(&host, "validate", &normal_payload),
            expected(&normal),
            "after {label}"
        );
    }
}

#[test]
fn hostile_requests_match_native_in_64_mib() {
    // The requests of tests/hostile.rs and one of 3 MiB, one after another in ONE instance.
    let (host, memories) = tracked_host(&artifact(MODULE));
    for h in hostile_requests() {
        let start = std::time::Instant::now();
        let got = call(&host, "validate", &h.envelope());
        let elapsed = start.elapsed();
        let want = secretfree::engines::kubewarden::kubewarden_response(&h.native, None);
        assert_eq!(got, want, "{}", h.label());
        assert_eq!(
            got["message"].as_str().map(str::to_owned),
            admission::deny_message(&h.native),
            "{}: the message differs from the native one",
            h.label()
        );
        support::report(
            "waPC (wapc + wasmtime)",
            h.label(),
            h.bytes.len(),
            memories.last_pages(),
            elapsed,
        );
    }
    assert_eq!(memories.count(), 1, "one instance, one memory");
    let normal = cases().into_iter().next().unwrap();
    let payload =
        serde_json::to_vec(&json!({"request": normal.request, "settings": normal.settings}))
            .unwrap();
    assert_eq!(
        call(&host, "validate", &payload),
        expected(&normal),
        "a normal case after the hostile requests"
    );
}

#[test]
fn module_shape_and_metadata() {
    let bytes = artifact(MODULE);
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut metadata = None;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.unwrap() {
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    let i = i.unwrap();
                    imports.push(format!("{}.{}", i.module, i.name));
                }
            }
            Payload::ExportSection(r) => {
                exports.extend(r.into_iter().map(|e| e.unwrap().name.to_owned()))
            }
            Payload::CustomSection(c) if c.name() == "io.kubewarden.metadata" => {
                metadata =
                    Some(serde_json::from_slice::<Value>(c.data()).expect("metadata is JSON"));
            }
            _ => {}
        }
    }
    imports.sort();
    assert_eq!(
        imports,
        [
            "wapc.__guest_error",
            "wapc.__guest_request",
            "wapc.__guest_response",
            "wapc.__host_call",
            "wapc.__host_error",
            "wapc.__host_error_len",
            "wapc.__host_response",
            "wapc.__host_response_len"
        ],
        "waPC only (host calls for the context lookups), no WASI"
    );
    for e in ["memory", "wapc_init", "__guest_call"] {
        assert!(exports.iter().any(|x| x == e), "missing export {e}");
    }
    assert!(
        !exports.iter().any(|e| e.starts_with("opa_")),
        "kwctl would take an opa_* export for Rego"
    );
    let meta = metadata.expect("io.kubewarden.metadata section");
    assert_eq!(meta["protocolVersion"], "v1");
    assert_eq!(meta["executionMode"], "kubewarden-wapc");
    assert_eq!(meta["mutating"], true);
    assert_eq!(
        meta["contextAwareResources"],
        json!([{"apiVersion": "v1", "kind": "Namespace"}, {"apiVersion": "v1", "kind": "ConfigMap"}])
    );
    let resources: Vec<&str> = meta["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
        })
        .collect();
    for kind in [
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "replicationcontrollers",
        "jobs",
        "cronjobs",
        "imagecaches",
    ] {
        assert!(resources.contains(&kind), "metadata rules miss {kind}");
    }
    for key in [
        "io.kubewarden.policy.title",
        "io.kubewarden.policy.version",
        "io.kubewarden.policy.description",
    ] {
        assert!(
            meta["annotations"][key].is_string(),
            "annotation {key} missing"
        );
    }
    println!(
        "kubewarden: policy.wasm is {} bytes; imports {imports:?}",
        bytes.len()
    );
}
