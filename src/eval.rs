//! The evaluation pipeline, top to bottom: request checks → workload view → scope → rule
//! families → repairs → verdict. Every step is a pure function of the request and settings.

#![forbid(unsafe_code)]

use crate::checks::{self, Report, Shown, access, placement};
use crate::context::{Applied, Context};
use crate::model::{AdmissionRequest, K8sObject};
use crate::scope;
use crate::settings::Settings;
use crate::skip;
use crate::verdict::Verdict;
use crate::workload::{Shape, Workload, object_annotations};

/// The pod is bound to a node (`spec.nodeName` set).
fn is_bound(pod: &K8sObject) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
}

/// Evaluate one admission request without context.
pub fn evaluate(req: &AdmissionRequest, settings: &Settings) -> Verdict {
    evaluate_in(req, settings, &Context::new())
}

/// What a request leaves for context to decide: the workload's namespace, and whether the
/// pods already run on ECI by the settings or a signal of their own. `None`: context cannot
/// change the verdict (not a judged kind, nothing to judge, an ImageCache, a bound pod's
/// update, a pod routed to ACS, a malformed request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextNeed {
    pub namespace: String,
    pub on_eci: bool,
}

/// See [`ContextNeed`].
pub fn context_need(req: &AdmissionRequest, settings: &Settings) -> Option<ContextNeed> {
    let (workload, bound_update) = judged_workload(req)?;
    if bound_update || workload.shape == Shape::ImageCache || scope::routed_to_acs(&workload) {
        return None;
    }
    let on_eci = scope::decide(&workload, settings, &Applied::default()).on_eci;
    Some(ContextNeed {
        namespace: workload.namespace.to_owned(),
        on_eci,
    })
}

/// The workload a CREATE or UPDATE of a judged kind carries, and whether the request is an
/// UPDATE of a bound pod. `None` for anything else.
fn judged_workload<'a>(req: &'a AdmissionRequest<'a>) -> Option<(Workload<'a>, bool)> {
    let op = &*req.operation;
    if op != "CREATE" && op != "UPDATE" {
        return None;
    }
    let group = req.kind.group.as_deref().unwrap_or("");
    let kind = req.kind.kind.as_deref()?;
    let shape = Shape::of(group, kind)?;
    if req
        .sub_resource
        .as_deref()
        .is_some_and(|s| s != "ephemeralcontainers")
    {
        return None;
    }
    let object = req.object.as_ref()?;
    let workload = Workload::new(shape, kind, judged_namespace(req, object), object)?;
    let old = req.old_object.as_ref();
    let bound_update = shape == Shape::Pod
        && op == "UPDATE"
        && [Some(object), old].into_iter().flatten().any(is_bound);
    Some((workload, bound_update))
}

/// The namespace the pods run in: the request's, else the object's, else `default`.
fn judged_namespace<'a>(req: &'a AdmissionRequest<'a>, object: &'a K8sObject<'a>) -> &'a str {
    req.namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .or_else(|| {
            object
                .metadata
                .as_ref()
                .and_then(|m| m.namespace.as_deref())
        })
        .unwrap_or("default")
}

/// Evaluate one admission request with what `ctx` says about namespaces and eci-profile.
pub fn evaluate_in(req: &AdmissionRequest, settings: &Settings, ctx: &Context) -> Verdict {
    let allowed = || Verdict::new(Vec::new(), Vec::new());
    let op = &*req.operation;
    match op {
        "CREATE" | "UPDATE" => {}
        "DELETE" | "CONNECT" => return allowed(),
        "" => return Verdict::invalid("/operation", "the admission request has no operation"),
        other => {
            return Verdict::invalid(
                "/operation",
                format!(
                    "the admission request has an unknown operation {other:?} (expected CREATE, UPDATE, DELETE or CONNECT)",
                    other = Shown(other)
                ),
            );
        }
    }
    let group = req.kind.group.as_deref().unwrap_or("");
    let kind = req.kind.kind.as_deref().unwrap_or("");
    if kind.is_empty() {
        return Verdict::invalid(
            "/kind",
            format!("the {op} request names no kind (neither request.kind nor object.kind)"),
        );
    }
    let Some(shape) = Shape::of(group, kind) else {
        return allowed();
    };
    // Status and scale updates cannot change what ECI pulls.
    if req
        .sub_resource
        .as_deref()
        .is_some_and(|s| s != "ephemeralcontainers")
    {
        return allowed();
    }
    let Some(object) = req.object.as_ref() else {
        return Verdict::invalid(
            "/object",
            format!("the {op} request for a {kind} carries no object"),
        );
    };
    let namespace = judged_namespace(req, object);
    let Some(workload) = Workload::new(shape, kind, namespace, object) else {
        return allowed();
    };
    // `secretfree.io/skip`: the rules this object turns off, and the findings that say so.
    let skip = skip::plan(&workload, settings);
    let settings = skip.settings.as_ref();
    // ECI creates the instance from the pod as it is when the pod is bound to the virtual
    // node: an update before that counts like a create, one after that changes nothing but
    // is still gated (what it adds must be allowed).
    let old = req.old_object.as_ref();
    if shape == Shape::Pod
        && op == "UPDATE"
        && [Some(object), old].into_iter().flatten().any(is_bound)
    {
        let mut report = Report::new(settings);
        placement::existing_pod(&mut report, object, old);
        access::gate(
            &mut report,
            &workload,
            old.map(object_annotations),
            &checks::values::Known::default(),
        );
        let mut findings = report.finish();
        findings.extend(skip.findings);
        return Verdict::new(findings, Vec::new());
    }
    // eci-profile injects into pods, never into an ImageCache (always ECI anyway); a pod
    // routed to ACS is not ECI whatever the context says.
    let applied = if workload.shape == Shape::ImageCache || scope::routed_to_acs(&workload) {
        Applied::default()
    } else {
        ctx.apply(workload.namespace, workload.labels, workload.original())
    };
    let scope = scope::decide(&workload, settings, &applied);
    if !scope.judged {
        return allowed();
    }
    let (mut findings, repairs) = checks::run(&workload, scope.on_eci, &applied, settings);
    findings.extend(skip.findings);
    let patch = if settings.mutate {
        repairs.patch(&workload)
    } else {
        Vec::new()
    };
    Verdict::new(findings, patch)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const DOMAIN: &str = r#"{"customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234"}]}"#;

    fn request(object: Value) -> AdmissionRequest<'static> {
        let kind = object["kind"].as_str().unwrap().to_owned();
        let group = if object["apiVersion"] == "apps/v1" {
            "apps"
        } else {
            ""
        };
        let req = json!({"uid": "u", "operation": "CREATE", "namespace": "shop",
                         "kind": {"group": group, "version": "v1", "kind": kind}, "object": object});
        // The request borrows its text: leaked, as the test's requests live to the end.
        crate::decode(serde_json::to_vec(&req).unwrap().leak()).unwrap()
    }

    fn deployment(labels: Value, annotations: Value) -> AdmissionRequest<'static> {
        request(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"metadata": {"labels": labels, "annotations": annotations},
                "spec": {"containers": [{"name": "app", "image": "registry.example.com/shop/web:1"}]}}}}),
        )
    }

    fn context(objects: &[Value]) -> Context {
        let mut ctx = Context::new();
        for o in objects {
            ctx.add_object(o).unwrap();
        }
        ctx
    }

    fn namespace(labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": labels}})
    }

    fn profile(selectors: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "eci-profile", "namespace": "kube-system"},
               "data": {"selectors": selectors.to_string()}})
    }

    fn rules(v: &Verdict) -> Vec<&'static str> {
        v.rule_ids()
    }

    #[test]
    fn without_context_an_unmarked_pod_is_not_judged_with_a_namespace_label_it_is() {
        let s = Settings::from_json(DOMAIN).unwrap();
        let req = deployment(json!({"app": "web"}), json!({}));
        assert!(rules(&evaluate(&req, &s)).is_empty());
        let ctx = context(&[namespace(json!({"alibabacloud.com/eci": "true"}))]);
        let v = evaluate_in(&req, &s, &ctx);
        assert_eq!(rules(&v), ["custom-domain-missing-instance"]);
        // A namespace without the label, or another namespace's label, changes nothing.
        let other = context(&[namespace(json!({"team": "shop"}))]);
        assert_eq!(evaluate_in(&req, &s, &other), evaluate(&req, &s));
        // An empty context is no context.
        assert_eq!(evaluate_in(&req, &s, &Context::new()), evaluate(&req, &s));
    }

    #[test]
    fn injected_instance_ids_count_as_present_and_are_not_judged_or_patched() {
        let mut s = Settings::from_json(DOMAIN).unwrap();
        s.mutate = true;
        let req = deployment(json!({"app": "web"}), json!({}));
        let ctx = context(&[profile(json!([{"name": "shop-acr",
            "objectLabels": {"matchLabels": {"app": "web"}},
            "effect": {"annotations": {"k8s.aliyun.com/acr-instance-ids": "cri-j36zhodptmyq1234",
                                       "k8s.aliyun.com/acr-service-arns": "acs:ram::****:role/x"}}}]))]);
        let v = evaluate_in(&req, &s, &ctx);
        // On ECI by the selector; the injected id satisfies the custom domain; the masked ARN
        // is the cluster's configuration, not judged as the pod's; nothing to patch.
        assert!(
            v.allowed && v.findings.is_empty() && v.patch.is_empty(),
            "{}",
            v.to_json()
        );

        // A pod's own key wins over the injected one.
        let own = deployment(
            json!({"app": "web"}),
            json!({"k8s.aliyun.com/acr-instance-ids": "cri-aaaaaaaaaaaaaaaa"}),
        );
        s.mutate = false;
        let v = evaluate_in(&own, &s, &ctx);
        assert_eq!(rules(&v), ["custom-domain-missing-instance"]);

        // An injected list without the instance: denied, never rewritten, and the fix says
        // the pod's own key replaces the injected one.
        let ctx = context(&[profile(json!([{"name": "other",
            "effect": {"annotations": {"k8s.aliyun.com/acr-instance-ids": "cri-bbbbbbbbbbbbbbbb"}}}]))]);
        s.mutate = true;
        let v = evaluate_in(&req, &s, &ctx);
        assert_eq!(rules(&v), ["custom-domain-missing-instance"]);
        assert_eq!(v.findings[0].action.as_str(), "deny");
        assert!(v.patch.is_empty());
        assert!(
            v.findings[0]
                .fix
                .contains("\"cri-bbbbbbbbbbbbbbbb,cri-j36zhodptmyq1234\"")
                && v.findings[0].fix.contains("\"other\""),
            "{}",
            v.findings[0].fix
        );
    }

    #[test]
    fn acs_pods_stay_out_and_normal_node_only_selectors_send_nowhere() {
        let s = Settings::from_json(DOMAIN).unwrap();
        let ctx = context(&[namespace(json!({"alibabacloud.com/eci": "true"}))]);
        let acs = deployment(json!({"alibabacloud.com/acs": "true"}), json!({}));
        assert!(rules(&evaluate_in(&acs, &s, &ctx)).is_empty());
        let selector = json!({"apiVersion": "eci.aliyun.com/v1", "kind": "Selector", "metadata": {"name": "ecs"},
            "spec": {"policy": {"normalNodeOnly": {}}}});
        let req = deployment(json!({"app": "web"}), json!({}));
        assert!(rules(&evaluate_in(&req, &s, &context(&[selector]))).is_empty());
    }

    #[test]
    fn off_eci_says_what_the_context_showed() {
        let s = Settings::default();
        let req = deployment(
            json!({"app": "web"}),
            json!({"k8s.aliyun.com/acr-instance-ids": "cri-j36zhodptmyq1234"}),
        );
        let msg = |ctx: &Context| evaluate_in(&req, &s, ctx).findings[0].message.clone();
        assert!(msg(&Context::new()).contains("which the policy cannot see, may still send"));
        let ns = namespace(json!({}));
        let both = msg(&context(&[ns.clone(), profile(json!([]))]));
        assert!(
            both.contains("neither a label on namespace \"shop\" nor an eci-profile selector"),
            "{both}"
        );
        let ns_only = msg(&context(&[ns]));
        assert!(
            ns_only.contains("an eci-profile selector, which the policy cannot see"),
            "{ns_only}"
        );
    }

    #[test]
    fn context_need() {
        let s = Settings::default();
        let req = deployment(json!({"app": "web"}), json!({}));
        assert_eq!(
            super::context_need(&req, &s),
            Some(ContextNeed {
                namespace: "shop".into(),
                on_eci: false
            })
        );
        let eci = deployment(json!({"alibabacloud.com/eci": "true"}), json!({}));
        assert!(super::context_need(&eci, &s).unwrap().on_eci);
        let acs = deployment(json!({"alibabacloud.com/acs": "true"}), json!({}));
        assert_eq!(super::context_need(&acs, &s), None);
        let cm =
            request(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}));
        assert_eq!(super::context_need(&cm, &s), None);
    }
}
