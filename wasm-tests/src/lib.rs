//! Shared by the host tests: the case corpus, the native oracle, the artifacts.

use secretfree::tools::suite::{self, ResolvedCase};
use secretfree::{Settings, Verdict};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The hostile request families, shared with `benches/hostile.rs`.
#[path = "../../benches/support/hostile.rs"]
pub mod hostile;

/// How the benchmarks time a call, shared with `benches/evaluate.rs`.
#[path = "../../benches/support/timing.rs"]
pub mod timing;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A built artifact under dist/ (run `just dist` first).
pub fn artifact(rel: &str) -> Vec<u8> {
    let path = repo().join("dist").join(rel);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `just dist` first)", path.display()))
}

/// One case with everything a host needs and the native answer.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    /// The AdmissionRequest (unwrapped from an AdmissionReview when the case holds one).
    pub request: Value,
    /// The request document as the case holds it (AdmissionReview or AdmissionRequest).
    pub document: Value,
    pub settings: Value,
    /// The case's context objects (Namespaces, the eci-profile ConfigMap, Selectors); empty
    /// for cases without context.
    pub context: Vec<Value>,
    /// The native verdict (with the case's context): the oracle every artifact must match
    /// byte for byte.
    pub native: Verdict,
}

impl Case {
    pub fn request_json(&self) -> String {
        serde_json::to_string(&self.request).unwrap_or_default()
    }
    pub fn settings_json(&self) -> String {
        serde_json::to_string(&self.settings).unwrap_or_default()
    }
    /// The native verdict with mutation forced off (what Gatekeeper mode must match).
    pub fn native_without_mutation(&self) -> Verdict {
        let mut settings = Settings::from_value(&self.settings).unwrap_or_default();
        settings.mutate = false;
        let context = suite::context_of(&self.context).unwrap_or_default();
        secretfree::evaluate_json_with_context(self.request_json().as_bytes(), &settings, &context)
    }

    /// The context object of `kind` named `name` (in `namespace`, for namespaced kinds): what
    /// a host's `get_resource` answers.
    pub fn context_object(
        &self,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<&Value> {
        self.context.iter().find(|o| {
            o["kind"] == kind
                && o["metadata"]["name"] == name
                && namespace.is_none_or(|ns| o["metadata"]["namespace"] == ns)
        })
    }
}

fn all_cases() -> Vec<Case> {
    let resolved =
        suite::resolve_all(&repo().join("policies/cases")).unwrap_or_else(|e| panic!("{e}"));
    resolved.into_iter().map(to_case).collect()
}

/// Every case of policies/cases without context, with its native verdict: what every host
/// receives (hosts without a way to pass context run only these).
pub fn cases() -> Vec<Case> {
    all_cases()
        .into_iter()
        .filter(|c| c.context.is_empty())
        .collect()
}

/// The cases that carry context (Namespaces, eci-profile), with their native verdicts: for
/// the hosts that can pass it (Kubewarden's host capabilities, OPA data).
pub fn context_cases() -> Vec<Case> {
    all_cases()
        .into_iter()
        .filter(|c| !c.context.is_empty())
        .collect()
}

fn to_case(c: ResolvedCase) -> Case {
    let request = c
        .request
        .get("request")
        .cloned()
        .unwrap_or_else(|| c.request.clone());
    let settings = Settings::from_value(&c.settings_doc)
        .unwrap_or_else(|e| panic!("{} :: {}: {e}", c.rule, c.name));
    let context = c
        .context()
        .unwrap_or_else(|e| panic!("{} :: {}: {e}", c.rule, c.name));
    let bytes = serde_json::to_vec(&c.request).unwrap_or_default();
    let native = secretfree::evaluate_json_with_context(&bytes, &settings, &context);
    Case {
        id: format!("{} :: {}", c.rule, c.name),
        request,
        document: c.request,
        settings: c.settings_doc,
        context: c.context,
        native,
    }
}

/// Inputs no host may trap on: (label, request bytes).
pub fn hostile_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut deep = String::from(
        r#"{"uid":"d","operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"},"object":{"metadata":{"labels":"#,
    );
    deep.push_str(&"[".repeat(5000));
    deep.push_str(&"]".repeat(5000));
    deep.push_str("}}}");
    let big = format!(
        r#"{{"uid":"b","operation":"CREATE","kind":{{"group":"","version":"v1","kind":"Pod"}},"object":{{"metadata":{{"annotations":{{"x":"{}"}}}}}}}}"#,
        "a".repeat(3 * 1024 * 1024)
    );
    vec![
        ("garbage bytes", b"\x00\xff\xfegarbage{{{".to_vec()),
        ("empty", Vec::new()),
        ("json array", b"[1,2,3]".to_vec()),
        ("wrong shape", br#"{"uid":"w","operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"},"object":{"spec":{"containers":"app"}}}"#.to_vec()),
        ("invalid utf-8 in a string", b"{\"uid\":\"\xff\",\"operation\":\"CREATE\"}".to_vec()),
        ("deep nesting", deep.into_bytes()),
        ("3 MiB", big.into_bytes()),
    ]
}

/// Write the corpus for a Node host: `[{id, request, document, settings, native, nativeNoMutation}]`
/// (verdicts as parsed JSON). Returns the file path.
pub fn write_corpus_json(cases: &[Case], name: &str) -> PathBuf {
    let items: Vec<Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "request": c.request,
                "document": c.document,
                "settings": c.settings,
                "native": serde_json::from_str::<Value>(&c.native.to_json()).unwrap_or(Value::Null),
                "nativeNoMutation": serde_json::from_str::<Value>(&c.native_without_mutation().to_json()).unwrap_or(Value::Null),
            })
        })
        .collect();
    let dir = repo().join("target/wasm-tests");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&items).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// Run `node wasm-tests/node/<script> <args>` and parse its stdout as JSON.
/// Node and `npm ci` in wasm-tests/node are installed by `just wasm-tests`.
pub fn run_node(script: &str, args: &[&str]) -> Value {
    let node_dir = repo().join("wasm-tests/node");
    let out = std::process::Command::new("node")
        .current_dir(&node_dir)
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running node {script}: {e}"));
    assert!(
        out.status.success(),
        "node {script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "node {script} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Compare an artifact's verdict JSON text with the native one; `Err` describes the difference.
pub fn same_verdict(case: &Case, got: &str) -> Result<(), String> {
    let want = case.native.to_json();
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{}\n  native:   {want}\n  artifact: {got}",
            case.id
        ))
    }
}

/// Fail with every differing case listed, or pass when there are none.
pub fn assert_all_match(failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// [`assert_all_match`] where the differences are not counted in cases (several checks per
/// case, or hostile requests).
pub fn assert_no_differences(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A hostile request of `tests/hostile.rs` with its native verdict under
/// `policies/settings/multi-team.yaml`.
#[derive(Debug, Clone)]
pub struct Hostile {
    pub family: hostile::Family,
    /// The request as a host receives it (an AdmissionReview, or a bare object).
    pub bytes: Vec<u8>,
    /// The native verdict of `bytes`: the oracle every artifact must match byte for byte.
    pub native: Verdict,
}

impl Hostile {
    pub fn label(&self) -> &'static str {
        self.family.label()
    }

    /// `{"request": <bytes>, "settings": <settings>}`: what the waPC `validate` and the OPA
    /// `secretfree/verdict` entrypoint take, with the request's bytes spliced in unchanged.
    pub fn envelope(&self) -> Vec<u8> {
        envelope(&self.bytes, &hostile_settings_json())
    }
}

/// `{"request": <request>, "settings": <settings>}` with both texts spliced in unchanged.
pub fn envelope(request: &[u8], settings_json: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(request.len() + settings_json.len() + 32);
    out.extend_from_slice(b"{\"request\":");
    out.extend_from_slice(request);
    out.extend_from_slice(b",\"settings\":");
    out.extend_from_slice(settings_json.as_bytes());
    out.push(b'}');
    out
}

/// The settings of the hostile requests as a JSON value.
pub fn hostile_settings() -> Value {
    secretfree::tools::manifest::yaml_to_value(hostile::SETTINGS_YAML)
        .unwrap_or_else(|e| panic!("multi-team.yaml: {e}"))
}

/// The settings of the hostile requests as compact JSON text.
pub fn hostile_settings_json() -> String {
    serde_json::to_string(&hostile_settings()).unwrap_or_default()
}

/// Every hostile family's canonical request, with its native verdict (each one a denial).
pub fn hostile_requests() -> Vec<Hostile> {
    let settings = Settings::from_value(&hostile_settings())
        .unwrap_or_else(|e| panic!("multi-team.yaml: {e}"));
    hostile::Family::ALL
        .iter()
        .map(|&family| {
            let bytes = family.canonical();
            assert!(
                bytes.len() <= secretfree::MAX_INPUT_BYTES,
                "{}: {} bytes is over the limit",
                family.label(),
                bytes.len()
            );
            let native = secretfree::evaluate_json(&bytes, &settings);
            assert!(!native.allowed, "{}: natively allowed", family.label());
            Hostile {
                family,
                bytes,
                native,
            }
        })
        .collect()
}
