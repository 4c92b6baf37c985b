#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Gatekeeper proper (`policies/gatekeeper/`): the ConstraintTemplate's Rego, evaluated with
//! the `regorus` crate, against the core.
//!
//! - `generated_text_is_current`: the generated section of `src.rego` (from the Rust tables)
//!   and the Rego copied into `template.yaml` are current. `just gatekeeper` runs it with
//!   `SECRETFREE_WRITE_GATEKEEPER=1`, which writes them instead.
//! - `rego_agrees_with_the_core`: every case of `policies/cases`, every example of
//!   `policies/examples` and every sample of `policies/gatekeeper/samples`: the set of
//!   (rule, path) of the `deny` constraint's violations equals the core's deny findings (with
//!   mutation off: Gatekeeper cannot mutate), and the `warn` constraint's equals the warn
//!   findings. Cases that cannot agree are listed in the README with the reason; a case outside
//!   the list that disagrees fails, and so does a listed case that agrees.
//! - `skip_edges_agree`: the same comparison on inputs that reach the edges of
//!   `secretfree.io/skip` the corpus does not (the id bound, a full report, a CronJob's ignored
//!   metadata, a bound pod's UPDATE, `rule-skipped` off).
//! - `parameters_schema_accepts_the_settings`: the template's OpenAPI schema accepts every
//!   settings document of the corpus.

use secretfree::engines::gatekeeper::{splice_tables, splice_template};
use secretfree::tools::{manifest, suite};
use secretfree::{Context, Settings, evaluate_json_with_context};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FIX: &str = "just gatekeeper";
const FIX_WITHOUT_JUST: &str =
    "SECRETFREE_WRITE_GATEKEEPER=1 cargo test --test gatekeeper generated";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dir() -> PathBuf {
    root().join("policies/gatekeeper")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn generated_text_is_current() {
    let write = std::env::var_os("SECRETFREE_WRITE_GATEKEEPER").is_some_and(|v| v != "0");
    let src_path = dir().join("src.rego");
    let template_path = dir().join("template.yaml");
    let src = read(&src_path);
    let want_src = splice_tables(&src).expect("src.rego has the generated markers");
    let template = read(&template_path);
    let want_template = splice_template(&template, &want_src).expect("template.yaml has `rego: |`");
    let mut stale = Vec::new();
    for (path, have, want) in [
        (&src_path, &src, &want_src),
        (&template_path, &template, &want_template),
    ] {
        if have == want {
            continue;
        }
        if write {
            std::fs::write(path, want).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("wrote {}", path.display());
        } else {
            stale.push(path.strip_prefix(root()).unwrap().display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "{} stale: run `{FIX}` (without just: `{FIX_WITHOUT_JUST}`)",
        stale.join(" and ")
    );
}

/// The Rego of the template (which the test above keeps equal to src.rego).
fn template_rego() -> String {
    let template = manifest::yaml_to_value(&read(&dir().join("template.yaml"))).unwrap();
    template["spec"]["targets"][0]["code"][0]["source"]["rego"]
        .as_str()
        .expect("spec.targets[0].code[0].source.rego")
        .to_owned()
}

/// One input the two implementations judge.
struct Input {
    name: String,
    request: Value,
    settings: Value,
    context: Vec<Value>,
}

fn corpus() -> Vec<Input> {
    let mut inputs: Vec<Input> = suite::resolve_all(&root().join("policies/cases"))
        .unwrap()
        .into_iter()
        .map(|c| Input {
            name: format!("{} :: {}", c.rule, c.name),
            request: c.request,
            settings: c.settings_doc,
            context: c.context,
        })
        .collect();
    let strict =
        manifest::yaml_to_value(&read(&root().join("policies/settings/strict.yaml"))).unwrap();
    for (folder, settings) in [
        ("policies/examples", Some(strict)),
        ("policies/gatekeeper/samples", None),
    ] {
        let mut files: Vec<PathBuf> = walk(&root().join(folder));
        files.sort();
        for file in files {
            let rel = file.strip_prefix(root()).unwrap().display().to_string();
            let is_sample = rel.contains("/example_");
            if folder.ends_with("samples") && !is_sample {
                continue;
            }
            let settings = settings.clone().unwrap_or_else(|| sample_parameters(&file));
            for (i, doc) in manifest::parse_documents(&read(&file))
                .unwrap()
                .into_iter()
                .enumerate()
            {
                let request = json!({
                    "uid": "", "operation": "CREATE",
                    "namespace": doc.value["metadata"]["namespace"].as_str().unwrap_or("default"),
                    "object": doc.value,
                });
                inputs.push(Input {
                    name: format!("{rel} #{i}"),
                    request,
                    settings: settings.clone(),
                    context: Vec::new(),
                });
            }
        }
    }
    inputs
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out
}

/// The parameters of the `deny` constraint beside a sample.
fn sample_parameters(example: &Path) -> Value {
    let constraint = example.parent().unwrap().join("constraint.yaml");
    let c = manifest::yaml_to_value(&read(&constraint)).unwrap();
    c["spec"]["parameters"].clone()
}

/// The request the core and Gatekeeper see: an AdmissionReview's request, or the request.
fn admission_request(request: &Value) -> Value {
    request
        .get("request")
        .cloned()
        .unwrap_or_else(|| request.clone())
}

/// `data.inventory` as Gatekeeper's sync fills it from the context objects.
fn inventory(context: &[Value]) -> Value {
    let mut inventory = json!({"cluster": {}, "namespace": {}});
    for o in context {
        let (Some(api_version), Some(kind), Some(name)) = (
            o["apiVersion"].as_str(),
            o["kind"].as_str(),
            o["metadata"]["name"].as_str(),
        ) else {
            continue;
        };
        match o["metadata"]["namespace"].as_str() {
            Some(ns) => inventory["namespace"][ns][api_version][kind][name] = o.clone(),
            None => inventory["cluster"][api_version][kind][name] = o.clone(),
        }
    }
    json!({"inventory": inventory})
}

type Found = BTreeSet<(String, String)>;

fn core_findings(input: &Input) -> (Found, Found) {
    let mut settings_doc = input.settings.clone();
    if let Some(map) = settings_doc.as_object_mut() {
        map.insert("mutate".into(), Value::Bool(false));
        // Which findings a constraint reports: not a setting.
        map.remove("action");
    }
    let settings =
        Settings::from_value(&settings_doc).unwrap_or_else(|e| panic!("{}: {e}", input.name));
    let mut context = Context::new();
    for o in &input.context {
        context.add_object(o).unwrap();
    }
    let bytes = serde_json::to_vec(&input.request).unwrap();
    let verdict = evaluate_json_with_context(&bytes, &settings, &context);
    let mut deny = Found::new();
    let mut warn = Found::new();
    for f in &verdict.findings {
        let key = (f.rule.id().to_owned(), f.path.clone());
        match f.action.as_str() {
            "deny" => deny.insert(key),
            "warn" => warn.insert(key),
            _ => panic!("{}: a {} finding with mutation off", input.name, f.action),
        };
    }
    (deny, warn)
}

/// The violations of the constraint whose parameters are `parameters`.
fn violations(
    engine: &regorus::Engine,
    request: &Value,
    parameters: &Value,
    context: &[Value],
) -> Result<Vec<Value>, String> {
    let mut engine = engine.clone();
    let doc = json!({"review": admission_request(request), "parameters": parameters});
    engine
        .set_input_json(&doc.to_string())
        .map_err(|e| e.to_string())?;
    engine
        .add_data_json(&inventory(context).to_string())
        .map_err(|e| e.to_string())?;
    let found = engine
        .eval_rule("data.ecisecretfree.violation".into())
        .map_err(|e| e.to_string())?;
    let found: Value = serde_json::from_str(&found.to_json_str().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    Ok(found.as_array().cloned().unwrap_or_default())
}

fn rego_findings(engine: &regorus::Engine, input: &Input) -> Result<(Found, Found), String> {
    let mut out = Vec::new();
    for action in ["deny", "warn"] {
        let mut parameters = input.settings.clone();
        if parameters.is_null() {
            parameters = json!({});
        }
        parameters["action"] = json!(action);
        let found_violations = violations(engine, &input.request, &parameters, &input.context)?;
        let mut found = Found::new();
        for v in &found_violations {
            let rule = v["details"]["rule"].as_str().unwrap_or_default().to_owned();
            let msg = v["msg"].as_str().unwrap_or_default();
            if !msg.starts_with(&format!("[{rule}] ")) {
                return Err(format!("message does not start with [{rule}]: {msg}"));
            }
            found.insert((
                rule,
                v["details"]["path"].as_str().unwrap_or_default().to_owned(),
            ));
        }
        out.push(found);
    }
    let warn = out.pop().unwrap_or_default();
    let deny = out.pop().unwrap_or_default();
    Ok((deny, warn))
}

/// The cases the README lists as unable to agree: `| rule :: case | reason |` rows between
/// its `cannot-agree` markers.
fn cannot_agree() -> BTreeMap<String, String> {
    let readme = read(&dir().join("README.md"));
    let (_, rest) = readme
        .split_once("<!-- cannot-agree:start -->")
        .expect("README.md has <!-- cannot-agree:start -->");
    let (table, _) = rest
        .split_once("<!-- cannot-agree:end -->")
        .expect("README.md has <!-- cannot-agree:end -->");
    table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            match cells.as_slice() {
                [case, reason] if case.starts_with('`') => {
                    Some((case.trim_matches('`').to_owned(), (*reason).to_owned()))
                }
                _ => None,
            }
        })
        .collect()
}

fn engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("template.rego".into(), template_rego())
        .unwrap_or_else(|e| panic!("the template's Rego does not compile: {e}"));
    engine
}

#[test]
fn rego_agrees_with_the_core() {
    let engine = engine();
    let listed = cannot_agree();
    let only = std::env::var("SECRETFREE_GATEKEEPER_CASE").ok();
    let mut agreed = 0usize;
    let mut disagreed = Vec::new();
    let mut listed_and_agreeing = Vec::new();
    let mut seen = BTreeSet::new();
    for input in corpus() {
        if only
            .as_ref()
            .is_some_and(|o| !input.name.contains(o.as_str()))
        {
            continue;
        }
        seen.insert(input.name.clone());
        let core = core_findings(&input);
        let problem = match rego_findings(&engine, &input) {
            Ok(rego) if rego == core => None,
            Ok((deny, warn)) => Some(format!(
                "core deny {:?} warn {:?}\n      rego deny {:?} warn {:?}",
                core.0, core.1, deny, warn
            )),
            Err(e) => Some(format!("rego error: {e}")),
        };
        match (problem, listed.contains_key(&input.name)) {
            (None, false) => agreed += 1,
            (None, true) => listed_and_agreeing.push(input.name),
            (Some(_), true) => {}
            (Some(p), false) => disagreed.push(format!("{}\n      {p}", input.name)),
        }
    }
    let unknown: Vec<&String> = listed
        .keys()
        .filter(|k| only.is_none() && !seen.contains(*k))
        .collect();
    eprintln!(
        "gatekeeper parity: {agreed} agree, {} listed as unable to agree, {} disagree",
        listed.len(),
        disagreed.len()
    );
    assert!(
        disagreed.is_empty() && listed_and_agreeing.is_empty() && unknown.is_empty(),
        "{} disagree:\n  {}\nlisted in the README but agree: {listed_and_agreeing:?}\nlisted in the README but not in the corpus: {unknown:?}",
        disagreed.len(),
        disagreed.join("\n  ")
    );
}

/// A small OpenAPI v3 check: types, enums, patterns, required properties, items and
/// additionalProperties, which is all the parameters schema uses.
fn schema_errors(schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let ty = schema["type"].as_str().unwrap_or("");
    let type_ok = match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => true,
    };
    if !type_ok {
        out.push(format!("{at}: not a {ty}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(format!("{at}: {value} not in {allowed:?}"));
    }
    if let (Some(pattern), Some(s)) = (schema["pattern"].as_str(), value.as_str()) {
        let mut engine = regorus::Engine::new();
        let query = format!("regex.match({}, {})", json!(pattern), json!(s));
        if !engine.eval_bool_query(query, false).unwrap_or(false) {
            out.push(format!("{at}: {s:?} does not match {pattern}"));
        }
    }
    if let Some(map) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            if !map.contains_key(key.as_str().unwrap_or("")) {
                out.push(format!("{at}: missing {key}"));
            }
        }
        for (k, v) in map {
            let sub = &schema["properties"][k];
            if !sub.is_null() {
                schema_errors(sub, v, &format!("{at}.{k}"), out);
            } else if schema["additionalProperties"].is_object() {
                schema_errors(
                    &schema["additionalProperties"],
                    v,
                    &format!("{at}.{k}"),
                    out,
                );
            } else if schema["properties"].is_object() {
                out.push(format!("{at}: unknown key {k:?}"));
            }
        }
    }
    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
        schema_errors(&schema["items"], item, &format!("{at}[{i}]"), out);
    }
}

#[test]
fn parameters_schema_accepts_the_settings() {
    let template = manifest::yaml_to_value(&read(&dir().join("template.yaml"))).unwrap();
    let schema = &template["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"];
    assert_eq!(schema["type"], "object");
    let mut problems = Vec::new();
    let mut documents: Vec<(String, Value)> = Vec::new();
    for file in walk(&root().join("policies/settings")) {
        documents.push((
            file.display().to_string(),
            manifest::yaml_to_value(&read(&file)).unwrap(),
        ));
    }
    for c in suite::resolve_all(&root().join("policies/cases")).unwrap() {
        documents.push((format!("{} :: {}", c.rule, c.name), c.settings_doc));
    }
    for file in walk(&dir().join("samples")) {
        if file.file_name().is_some_and(|n| n == "constraint.yaml") {
            let c = manifest::yaml_to_value(&read(&file)).unwrap();
            assert_eq!(c["kind"], "EciSecretFree", "{}", file.display());
            documents.push((file.display().to_string(), c["spec"]["parameters"].clone()));
        }
    }
    for (name, doc) in &mut documents {
        if doc.is_null() {
            continue;
        }
        // YAML 1.1 (kubectl's) reads an unquoted `off` as false: constraints quote it (README).
        for (_, action) in doc
            .get_mut("rules")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flatten()
        {
            if *action == Value::Bool(false) {
                *action = json!("off");
            }
        }
        // The core accepts it, so the schema must.
        if Settings::from_value(doc).is_err() {
            continue;
        }
        let mut errors = Vec::new();
        schema_errors(schema, doc, "parameters", &mut errors);
        if !errors.is_empty() {
            problems.push(format!("{name}: {}", errors.join("; ")));
        }
    }
    assert!(
        problems.is_empty(),
        "the parameters schema refuses settings the core accepts:\n{}",
        problems.join("\n")
    );
}

/// `suite.yaml` as `gator verify` reads it: each case's violations of its constraint (count,
/// or yes/no, of those whose message matches `message`).
#[test]
fn samples_follow_the_suite() {
    let engine = engine();
    let suite = manifest::yaml_to_value(&read(&dir().join("suite.yaml"))).unwrap();
    assert_eq!(suite["kind"], "Suite");
    let mut problems = Vec::new();
    let mut checked = 0;
    for test in suite["tests"].as_array().unwrap() {
        assert_eq!(test["template"], "template.yaml");
        let constraint =
            manifest::yaml_to_value(&read(&dir().join(test["constraint"].as_str().unwrap())))
                .unwrap();
        let parameters = constraint["spec"]["parameters"].clone();
        for case in test["cases"].as_array().unwrap() {
            let file = dir().join(case["object"].as_str().unwrap());
            let object = manifest::yaml_to_value(&read(&file)).unwrap();
            let request = json!({
                "uid": "", "operation": "CREATE",
                "namespace": object["metadata"]["namespace"].as_str().unwrap_or("default"),
                "object": object,
            });
            let found = violations(&engine, &request, &parameters, &[]).unwrap();
            for assertion in case["assertions"].as_array().unwrap() {
                let pattern = assertion["message"].as_str().unwrap_or("");
                let matching = found
                    .iter()
                    .filter(|v| v["msg"].as_str().unwrap_or("").contains(pattern))
                    .count();
                let ok = match &assertion["violations"] {
                    Value::String(s) if s == "yes" => matching > 0,
                    Value::String(s) if s == "no" => matching == 0,
                    Value::Bool(b) => (matching > 0) == *b,
                    Value::Number(n) => Some(matching as u64) == n.as_u64(),
                    other => panic!("violations: {other}"),
                };
                checked += 1;
                if !ok {
                    problems.push(format!(
                        "{}: {} violations matching {pattern:?}, expected {}; got {found:?}",
                        case["object"], matching, assertion["violations"]
                    ));
                }
            }
        }
    }
    assert!(checked > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The skip annotation's edges the case corpus does not reach: the id bound, more refusals
/// than a report lists, a CronJob's two ignored metadata, a bound pod's UPDATE, `rule-skipped`
/// turned off, an object the policy does not judge.
#[test]
fn skip_edges_agree() {
    let engine = engine();
    let pod = |skip: &str, labels: Value| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "team-a", "labels": labels,
                "annotations": {"secretfree.io/skip": skip,
                    "k8s.aliyun.com/acr-instance-ids": "cri-xxxxxxxxxxxxxxxx",
                    "k8s.aliyun.com/acr-service-arns": "acs:ram::1609982529000000:role/acr-team-b"}},
            "spec": {"containers": [{"name": "a", "image": "nginx"}]}})
    };
    let eci = json!({"alibabacloud.com/eci": "true"});
    let create = |object: Value| json!({"uid": "", "operation": "CREATE", "namespace": "team-a", "object": object});
    let unknown = |n: usize| {
        (0..n)
            .map(|i| format!("r{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let access = json!({"clusterRegion": "cn-hangzhou", "accountId": "1609982529000000",
        "access": [{"namespaces": ["team-a"], "serviceRoleArns": ["acs:ram::1609982529000000:role/acr-team-a"]}]});
    let mut bound = pod("placeholder-value,role-not-allowed,nope", eci.clone());
    bound["spec"]["nodeName"] = json!("virtual-kubelet-cn-hangzhou-k");
    let mut old = bound.clone();
    old["metadata"]["annotations"] = json!({});
    let cronjob = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "c", "namespace": "team-a", "annotations": {"secretfree.io/skip": "placeholder-value"}},
        "spec": {"schedule": "* * * * *", "jobTemplate": {
            "metadata": {"annotations": {"secretfree.io/skip": "image-tag-latest"}},
            "spec": {"template": {
                "metadata": {"labels": eci.clone(), "annotations": {"secretfree.io/skip": "placeholder-value",
                    "k8s.aliyun.com/acr-instance-ids": "cri-xxxxxxxxxxxxxxxx"}},
                "spec": {"containers": [{"name": "a", "image": "nginx:latest"}]}}}}}});
    // Twelve refusals fill the report: the ignored metadata's finding is only counted.
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "team-a", "annotations": {"secretfree.io/skip": "placeholder-value"}},
        "spec": {"template": {
            "metadata": {"labels": eci.clone(), "annotations": {"secretfree.io/skip": unknown(12)}},
            "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}});
    let inputs = [
        (
            "the id bound",
            create(pod(&unknown(70), eci.clone())),
            json!({}),
        ),
        (
            "more refusals than listed",
            create(pod(&unknown(12), eci.clone())),
            json!({}),
        ),
        (
            "blanks, repeats, the never-skippable",
            create(pod(
                " placeholder-value , ,placeholder-value,rule-skipped,request-invalid,placeholder-valu",
                eci.clone(),
            )),
            json!({}),
        ),
        ("a cronjob's ignored metadata", create(cronjob), json!({})),
        (
            "allowSkip without the rule",
            create(pod("role-not-allowed,placeholder-value", eci.clone())),
            {
                let mut s = access.clone();
                s["allowSkip"] = json!(["placeholder-value"]);
                s
            },
        ),
        (
            "a bound pod's update",
            json!({"uid": "", "operation": "UPDATE", "namespace": "team-a", "object": bound, "oldObject": old}),
            access.clone(),
        ),
        (
            "rule-skipped off",
            create(pod("placeholder-value,nope", eci.clone())),
            json!({"rules": {"rule-skipped": "off"}}),
        ),
        (
            "not judged",
            create(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "annotations": {"secretfree.io/skip": "nope"}},
                "spec": {"containers": [{"name": "a", "image": "nginx"}]}})),
            json!({}),
        ),
        ("a full report", create(deployment), json!({})),
    ];
    let mut problems = Vec::new();
    for (name, request, settings) in inputs {
        let input = Input {
            name: name.to_owned(),
            request,
            settings,
            context: Vec::new(),
        };
        let core = core_findings(&input);
        match rego_findings(&engine, &input) {
            Ok(rego) if rego == core => {}
            Ok(rego) => problems.push(format!("{name}: core {core:?}\n  rego {rego:?}")),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
