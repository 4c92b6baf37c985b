//! Linting manifests: every object of a YAML or JSON text judged on its own, as a CREATE.
//!
//! The `secretfree check` command and the browser playground both call [`lint_text`]; what they
//! show per object (label, status, JSON entry, repaired manifest) is built here once. No I/O.

#![forbid(unsafe_code)]

use super::manifest::{self, Document, ManifestError};
use super::positions::Pos;
use crate::context::Context;
use crate::rules::Action;
use crate::settings::Settings;
use crate::verdict::Verdict;
use serde_json::{Value, json};

/// One object of a manifest, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Linted {
    /// `"<source>#<doc index>"`, or `"<source>#<doc>/items/<i>"` for items of a `List`
    /// (`.../items/<i>/items/<j>` for a `List` inside a `List`).
    pub source: String,
    /// 1-based line where the document starts (0 when unknown).
    pub line: usize,
    /// The object's kind (for an AdmissionReview: the kind of the object inside it).
    pub kind: String,
    /// `metadata.name`, else `metadata.generateName`, else empty.
    pub name: String,
    /// The namespace the object is judged in (`default` when unset; empty for ImageCache).
    pub namespace: String,
    pub verdict: Verdict,
    /// The document with the verdict's patch applied, when there is a patch (bare objects only).
    pub patched: Option<Value>,
    /// The document as read.
    pub original: Value,
    /// Where each finding is in the source text, in the order of `verdict.findings` (line 0
    /// when unknown): the key (or list item) its JSON path names, or the deepest part of the
    /// path that exists (for a key to add).
    pub locations: Vec<Pos>,
}

/// Whether a case's request document is an AdmissionReview or a bare AdmissionRequest rather
/// than a bare object (the case runner's rule: cases may hold bare AdmissionRequests). `check`
/// and the playground do not sniff like this: see [`is_admission_review`].
pub fn is_admission(v: &Value) -> bool {
    is_admission_review(v)
        || v.get("request").is_some()
        || v.get("operation").is_some()
        || (v.get("object").is_some() && v.get("uid").is_some())
}

/// Whether a manifest document is an AdmissionReview (`kind: AdmissionReview`; its `request` is
/// judged). Every other document is a Kubernetes object judged as a CREATE, whatever other
/// top-level keys it has: an `operation: DELETE` or `request:` key on a Pod does not make it a
/// request that skips the rules.
pub fn is_admission_review(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("AdmissionReview")
}

/// Wrap a bare object as an AdmissionRequest (CREATE, or UPDATE when `old` is given).
pub fn request_for(object: &Value, old: Option<&Value>) -> Value {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (group, version) = crate::model::split_api_version(api_version);
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let meta = object.get("metadata");
    let namespace = judged_namespace(kind, None, object);
    let mut req = json!({
        "uid": "00000000-0000-0000-0000-000000000000",
        "kind": {"group": group, "version": version, "kind": kind},
        "operation": if old.is_some() { "UPDATE" } else { "CREATE" },
        "namespace": namespace,
        "object": object,
    });
    if let (Some(name), Some(map)) = (meta.and_then(|m| m.get("name")), req.as_object_mut()) {
        map.insert("name".into(), name.clone());
    }
    if let (Some(old), Some(map)) = (old, req.as_object_mut()) {
        map.insert("oldObject".into(), old.clone());
    }
    req
}

/// The namespace an object is judged in, by the evaluator's rule: the request's `namespace`
/// when it is set, else the object's `metadata.namespace`, else `default`. ImageCache is
/// cluster-scoped: it has none (the access gate judges it against the `*` entry).
fn judged_namespace<'a>(
    kind: &str,
    request_namespace: Option<&'a str>,
    object: &'a Value,
) -> &'a str {
    if kind == "ImageCache" {
        return "";
    }
    request_namespace
        .filter(|n| !n.is_empty())
        .or_else(|| str_at(object, &["metadata", "namespace"]))
        .unwrap_or("default")
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str()
}

/// Judge one document of a manifest read from `source`: an AdmissionReview's `request` as it
/// is, any other document as a CREATE of that object, with what `context` says about scope.
pub fn lint_document(
    source: &str,
    doc: Document,
    settings: &Settings,
    context: &Context,
) -> Linted {
    let value = doc.value;
    // For an AdmissionReview, name the object inside its request.
    let admission = is_admission_review(&value);
    let object_tree = doc.positions.as_ref().and_then(|t| {
        if admission {
            t.get("/request/object")
        } else {
            Some(t)
        }
    });
    let request = value.get("request");
    let object = if admission {
        request
            .and_then(|r| r.get("object"))
            .unwrap_or(&Value::Null)
    } else {
        &value
    };
    let kind = str_at(object, &["kind"]).unwrap_or("").to_owned();
    let name = str_at(object, &["metadata", "name"])
        .or_else(|| str_at(object, &["metadata", "generateName"]))
        .unwrap_or("")
        .to_owned();
    let request_namespace = if admission {
        request.and_then(|r| str_at(r, &["namespace"]))
    } else {
        None
    };
    let namespace = judged_namespace(&kind, request_namespace, object).to_owned();
    let verdict = if admission {
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        crate::evaluate_json_with_context(&bytes, settings, context)
    } else if kind.is_empty() {
        not_an_object(&value)
    } else {
        let bytes = serde_json::to_vec(&request_for(&value, None));
        crate::evaluate_json_with_context(&bytes.unwrap_or_default(), settings, context)
    };
    let patched = if verdict.patch.is_empty() || admission {
        None
    } else {
        let mut obj = value.clone();
        crate::patch::apply(&mut obj, &verdict.patch)
            .ok()
            .map(|()| obj)
    };
    let locations = verdict
        .findings
        .iter()
        .map(|f| {
            object_tree
                .map(|t| t.locate(&f.path))
                .or_else(|| doc.positions.as_ref().map(|t| t.pos()))
                .unwrap_or_default()
        })
        .collect();
    Linted {
        locations,
        source: format!("{source}#{}", doc.locator),
        line: doc.line,
        kind,
        name,
        namespace,
        verdict,
        patched,
        original: value,
    }
}

/// The `request-invalid` verdict for a document without a string `kind` (fail closed).
fn not_an_object(value: &Value) -> Verdict {
    let what = match value.get("kind") {
        None | Some(Value::Null) => "it has no kind",
        Some(Value::String(_)) => "its kind is empty",
        Some(_) => "its kind is not a string",
    };
    let hint = if value.get("operation").is_some() || value.get("request").is_some() {
        " (an AdmissionRequest is read only inside a `kind: AdmissionReview` document; `secretfree review` reads bare ones)"
    } else {
        ""
    };
    Verdict::invalid(
        "/kind",
        format!("the document is not a Kubernetes object: {what}{hint}"),
    )
}

/// Judge every object of a manifest text (YAML stream or JSON; `List`s unrolled).
/// `source` names the text in [`Linted::source`] (a file name, `<stdin>`, ...).
pub fn lint_text(
    text: &str,
    source: &str,
    settings: &Settings,
) -> Result<Vec<Linted>, ManifestError> {
    lint_text_with_context(text, source, settings, &Context::new())
}

/// [`lint_text`] with context (namespace labels, eci-profile selectors).
pub fn lint_text_with_context(
    text: &str,
    source: &str,
    settings: &Settings,
    context: &Context,
) -> Result<Vec<Linted>, ManifestError> {
    Ok(manifest::parse_documents(text)?
        .into_iter()
        .map(|doc| lint_document(source, doc, settings, context))
        .collect())
}

/// Whether a manifest document is a Kubernetes object `check` judges: a string `apiVersion`
/// and a string `kind` (an AdmissionReview is one), or something meant for the policy that is
/// not one (a bare AdmissionRequest: it fails closed with `request-invalid` and says where it is
/// read). Anything else (`package.json`, a CI workflow, `Chart.yaml`, `values.yaml`) is not a
/// Kubernetes object: `check` skips and counts it unless `--strict-input`.
pub fn is_judged(v: &Value) -> bool {
    let text = |key: &str| v.get(key).and_then(Value::as_str).is_some();
    (text("apiVersion") && text("kind"))
        || v.get("request").is_some_and(Value::is_object)
        || (v.get("object").is_some() && (v.get("operation").is_some() || v.get("uid").is_some()))
}

/// What [`lint_objects`] found in one text: the objects judged and how many documents were
/// skipped as not Kubernetes objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LintedText {
    pub objects: Vec<Linted>,
    /// Documents (or `List` items) without `apiVersion` and `kind`, not judged.
    pub skipped: usize,
}

/// [`lint_text_with_context`] for `check`: only Kubernetes objects are judged ([`is_judged`]);
/// the other documents are counted in [`LintedText::skipped`]. `strict`: every document is
/// judged (one without a string `kind` fails closed with `request-invalid`).
pub fn lint_objects(
    text: &str,
    source: &str,
    settings: &Settings,
    context: &Context,
    strict: bool,
) -> Result<LintedText, ManifestError> {
    let mut out = LintedText::default();
    for doc in manifest::parse_documents(text)? {
        if strict || is_judged(&doc.value) {
            out.objects
                .push(lint_document(source, doc, settings, context));
        } else {
            out.skipped += 1;
        }
    }
    Ok(out)
}

/// The first line (1-based) that shows Go template syntax where YAML structure goes, as the
/// files under a Helm chart's `templates/` do: a line whose content, after its indentation,
/// a `- ` and a `key: `, starts with `{{` (`{{- if .Values.x }}`, `image: {{ .Values.image }}`).
/// `{{` inside a quoted value (`"{{ .Values.x }}"`, Prometheus and Argo templates) is a string
/// like any other and does not count. Comments do not count.
pub fn helm_template_line(text: &str) -> Option<usize> {
    if !text.contains("{{") {
        return None;
    }
    text.lines().enumerate().find_map(|(i, line)| {
        let mut rest = line.trim_start();
        if rest.starts_with('#') {
            return None;
        }
        while let Some(r) = rest.strip_prefix("- ") {
            rest = r.trim_start();
        }
        if !rest.starts_with("{{")
            && let Some(colon) = rest.find(": ")
            && !rest.starts_with(['"', '\''])
        {
            rest = rest.get(colon + 2..).unwrap_or("").trim_start();
        }
        rest.starts_with("{{").then_some(i + 1)
    })
}

/// Whether a text can hold a Kubernetes object at all: it names both `apiVersion` and `kind`
/// somewhere. A directory walk skips other files without parsing them (a `package-lock.json`,
/// a `tsconfig.json` with comments).
pub fn may_hold_objects(text: &str) -> bool {
    text.contains("apiVersion") && text.contains("kind")
}

/// Read a context text: every object of a YAML or JSON text (several documents, `List`s
/// unrolled), as `kubectl get namespaces -o yaml` and `kubectl get configmap eci-profile -n
/// kube-system -o yaml` print them. `source` names the text in errors, with the document.
pub fn context_from_text(text: &str, source: &str) -> Result<Context, ManifestError> {
    let mut context = Context::new();
    let docs =
        manifest::parse_documents(text).map_err(|e| ManifestError(format!("{source}: {e}")))?;
    for doc in docs {
        context.add_object(&doc.value).map_err(|e| {
            let line = if doc.line > 0 {
                format!(" (line {})", doc.line)
            } else {
                String::new()
            };
            ManifestError(format!("{source}#{}{line}: {e}", doc.locator))
        })?;
    }
    Ok(context)
}

/// Whether a manifest text is JSON (then repaired manifests are printed as JSON, else YAML).
pub fn is_json_text(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// An object as a YAML document (ends with a newline).
pub fn to_yaml(value: &Value) -> String {
    crate::yaml::to_text(value)
}

/// Every object, repaired where the verdict has a patch, as one manifest: YAML documents
/// separated by `---`, or one pretty-printed JSON object per line group (what `check --fix`
/// prints on stdout).
pub fn fixed_manifest(results: &[Linted], yaml: bool) -> String {
    let mut out = String::new();
    for (i, r) in results.iter().enumerate() {
        let obj = r.patched.as_ref().unwrap_or(&r.original);
        if yaml {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&to_yaml(obj));
        } else {
            out.push_str(&serde_json::to_string_pretty(obj).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

impl Linted {
    /// `Kind/namespace/name` (`Kind/name` when cluster-scoped), with `(no kind)` / `(no name)`.
    pub fn label(&self) -> String {
        let kind = if self.kind.is_empty() {
            "(no kind)"
        } else {
            &self.kind
        };
        let name = if self.name.is_empty() {
            "(no name)"
        } else {
            &self.name
        };
        if self.namespace.is_empty() {
            format!("{kind}/{name}")
        } else {
            format!("{kind}/{}/{name}", self.namespace)
        }
    }

    /// `DENIED`, `ALLOWED with warnings` or `ALLOWED`.
    pub fn status(&self) -> &'static str {
        if !self.verdict.allowed {
            "DENIED"
        } else if self.verdict.with_action(Action::Warn).next().is_some() {
            "ALLOWED with warnings"
        } else {
            "ALLOWED"
        }
    }

    /// `{"source", "kind", "name", "namespace", "verdict"}`: one entry of `check --format json`.
    /// Each finding of the verdict also carries `line` and `column` (1-based) where the source
    /// position is known: a tooling addition, the verdict itself is the core's.
    pub fn to_json(&self) -> Value {
        let mut verdict = serde_json::to_value(&self.verdict).unwrap_or(Value::Null);
        if let Some(Value::Array(findings)) = verdict.get_mut("findings") {
            for (f, at) in findings.iter_mut().zip(&self.locations) {
                if let (Some(map), true) = (f.as_object_mut(), at.line > 0) {
                    map.insert("line".into(), json!(at.line));
                    map.insert("column".into(), json!(at.column));
                }
            }
        }
        json!({
            "source": self.source,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "verdict": verdict,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const MISPLACED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234\nspec:\n  template:\n    metadata:\n      labels: {alibabacloud.com/eci: \"true\"}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/shop/app:1.0\n";

    #[test]
    fn names_each_object_and_repairs_when_mutating() {
        let text = format!("{MISPLACED}---\nkind: ConfigMap\nmetadata: {{name: c}}\n");
        let found = lint_text(&text, "m.yaml", &Settings::default()).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].source, "m.yaml#0");
        assert_eq!(found[0].label(), "Deployment/shop/web");
        assert_eq!(found[0].status(), "DENIED");
        assert!(
            found[0]
                .verdict
                .rule_ids()
                .contains(&"annotation-misplaced")
        );
        assert!(found[0].patched.is_none());
        assert_eq!(found[1].label(), "ConfigMap/default/c");
        assert_eq!(found[1].status(), "ALLOWED");
        assert_eq!(found[1].line, 17);

        let settings = Settings {
            mutate: true,
            ..Settings::default()
        };
        let fixed = lint_text(MISPLACED, "m.yaml", &settings).unwrap();
        let patched = fixed[0].patched.as_ref().unwrap();
        assert_eq!(
            patched["spec"]["template"]["metadata"]["annotations"]["k8s.aliyun.com/acr-instance-ids"],
            "cri-j36zhodptmyq1234"
        );
        let yaml = fixed_manifest(&fixed, true);
        assert!(yaml.contains("acr-instance-ids"), "{yaml}");
        assert!(!is_json_text(MISPLACED));
        assert!(is_json_text(" \n[{}]"));
    }

    #[test]
    fn namespaces_follow_the_evaluator_and_imagecache_has_none() {
        let cache = "apiVersion: eci.alibabacloud.com/v1\nkind: ImageCache\nmetadata: {name: c, namespace: shop}\nspec:\n  images: [registry.cn-hangzhou.aliyuncs.com/shop/app:1.0]\n";
        let found = lint_text(cache, "c.yaml", &Settings::default()).unwrap();
        assert_eq!(found[0].namespace, "");
        assert_eq!(found[0].label(), "ImageCache/c");
        assert_eq!(request_for(&found[0].original, None)["namespace"], "");
        let direct = crate::evaluate_json(
            &serde_json::to_vec(&found[0].original).unwrap(),
            &Settings::default(),
        );
        assert_eq!(found[0].verdict, direct);

        // An AdmissionReview's request namespace wins over the object's; empty means unset.
        let review = |ns: &str| {
            format!(
                "{{\"kind\": \"AdmissionReview\", \"request\": {{\"uid\": \"u\", \"operation\": \"CREATE\", \"namespace\": \"{ns}\", \"object\": {{\"kind\": \"Pod\", \"metadata\": {{\"name\": \"p\", \"namespace\": \"obj\"}}}}}}}}"
            )
        };
        let found = lint_text(&review("req"), "r.json", &Settings::default()).unwrap();
        assert_eq!(found[0].label(), "Pod/req/p");
        let found = lint_text(&review(""), "r.json", &Settings::default()).unwrap();
        assert_eq!(found[0].label(), "Pod/obj/p");
    }

    #[test]
    fn only_admission_reviews_are_requests_everything_else_is_a_create() {
        // A manifest with request-like top-level keys is still an object, judged as a CREATE.
        let delete = format!("operation: DELETE\n{MISPLACED}");
        let found = lint_text(&delete, "d.yaml", &Settings::default()).unwrap();
        assert_eq!(found[0].label(), "Deployment/shop/web");
        assert_eq!(found[0].status(), "DENIED");
        let nested = format!("request: {{operation: DELETE, uid: u, object: {{}}}}\n{MISPLACED}");
        let found = lint_text(&nested, "d.yaml", &Settings::default()).unwrap();
        assert_eq!(found[0].status(), "DENIED");
        let uid = format!("uid: u\nobject: {{}}\n{MISPLACED}");
        let found = lint_text(&uid, "d.yaml", &Settings::default()).unwrap();
        assert_eq!(found[0].status(), "DENIED");

        // A bare AdmissionRequest is not an object: it fails closed and says where it is read.
        let bare = "{\"uid\": \"u\", \"kind\": {\"group\": \"\", \"version\": \"v1\", \"kind\": \"Pod\"}, \"operation\": \"DELETE\", \"object\": {\"kind\": \"Pod\"}}";
        let found = lint_text(bare, "r.json", &Settings::default()).unwrap();
        assert_eq!(found[0].verdict.rule_ids(), ["request-invalid"]);
        let msg = &found[0].verdict.findings[0].message;
        assert!(
            msg.contains("not a string") && msg.contains("AdmissionReview"),
            "{msg}"
        );

        // An AdmissionReview is judged as the request it carries (a DELETE has nothing to judge).
        let review = format!(
            "{{\"kind\": \"AdmissionReview\", \"request\": {{\"uid\": \"u\", \"operation\": \"DELETE\", \"oldObject\": {}}}}}",
            serde_json::to_string(&yaml_to_json(MISPLACED)).unwrap()
        );
        let found = lint_text(&review, "r.json", &Settings::default()).unwrap();
        assert_eq!(found[0].status(), "ALLOWED");
        let empty = lint_text("kind: AdmissionReview\n", "r.yaml", &Settings::default()).unwrap();
        assert_eq!(empty[0].verdict.rule_ids(), ["request-invalid"]);
    }

    fn yaml_to_json(text: &str) -> Value {
        manifest::yaml_to_value(text).unwrap()
    }

    #[test]
    fn findings_are_located_in_lists_reviews_and_json() {
        let list = format!(
            "apiVersion: v1\nkind: List\nitems:\n- {}",
            MISPLACED.replace('\n', "\n  ").trim_end()
        );
        let found = lint_text(&list, "l.yaml", &Settings::default()).unwrap();
        let f = &found[0];
        let i = f
            .verdict
            .findings
            .iter()
            .position(|x| x.rule.id() == "annotation-misplaced")
            .unwrap();
        assert_eq!(
            f.locations[i],
            Pos {
                line: 10,
                column: 7
            }
        );
        let entry = f.to_json();
        assert_eq!(entry["verdict"]["findings"][i]["line"], 10);
        assert_eq!(entry["verdict"]["findings"][i]["column"], 7);

        let review = format!(
            "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  uid: u\n  operation: CREATE\n  kind: {{group: apps, version: v1, kind: Deployment}}\n  object:\n    {}",
            MISPLACED.replace('\n', "\n    ").trim_end()
        );
        let found = lint_text(&review, "r.yaml", &Settings::default()).unwrap();
        let f = &found[0];
        let i = f
            .verdict
            .findings
            .iter()
            .position(|x| x.rule.id() == "annotation-misplaced")
            .unwrap();
        assert_eq!(
            f.locations[i],
            Pos {
                line: 14,
                column: 9
            }
        );

        let json = serde_json::to_string_pretty(&yaml_to_json(MISPLACED)).unwrap();
        let found = lint_text(&json, "j.json", &Settings::default()).unwrap();
        let f = &found[0];
        let i = f
            .verdict
            .findings
            .iter()
            .position(|x| x.rule.id() == "annotation-misplaced")
            .unwrap();
        let line = json
            .lines()
            .position(|l| l.contains("acr-instance-ids"))
            .unwrap()
            + 1;
        assert_eq!(f.locations[i], Pos { line, column: 7 });
    }

    #[test]
    fn helm_templates_and_non_objects_are_told_apart() {
        assert_eq!(
            helm_template_line("a: 1\n{{- if .Values.x }}\nb: 2\n"),
            Some(2)
        );
        assert_eq!(
            helm_template_line("metadata:\n  name: {{ .Release.Name }}\n"),
            Some(2)
        );
        assert_eq!(
            helm_template_line("args:\n  - {{ .Values.arg }}\n"),
            Some(2)
        );
        // Quoted templates (Prometheus, Argo) and comments are text.
        assert_eq!(
            helm_template_line("summary: \"{{ $labels.instance }} down\"\n# {{ x }}\n"),
            None
        );
        assert!(is_judged(&yaml_to_json("apiVersion: v1\nkind: Pod\n")));
        assert!(!is_judged(&yaml_to_json("apiVersion: v2\nname: chart\n")));
        assert!(!is_judged(&yaml_to_json("kind: DaemonSet\nimage: x\n")));
        assert!(is_judged(&yaml_to_json(
            "uid: u\noperation: CREATE\nobject: {}\n"
        )));
        let found = lint_objects(
            "name: ci\non: [push]\n---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n",
            "-",
            &Settings::default(),
            &Context::new(),
            false,
        )
        .unwrap();
        assert_eq!((found.objects.len(), found.skipped), (1, 1));
        let strict = lint_objects(
            "name: ci\n",
            "-",
            &Settings::default(),
            &Context::new(),
            true,
        )
        .unwrap();
        assert_eq!(strict.objects[0].verdict.rule_ids(), ["request-invalid"]);
    }

    #[test]
    fn documents_without_kind_fail_closed_and_bad_text_is_an_error() {
        let found = lint_text("metadata: {name: x}\n", "-", &Settings::default()).unwrap();
        assert_eq!(found[0].verdict.rule_ids(), ["request-invalid"]);
        assert_eq!(found[0].label(), "(no kind)/default/x");
        assert!(lint_text("a: [1, 2\n", "-", &Settings::default()).is_err());
    }
}
