//! The evaluation pipeline, top to bottom: request checks → workload view → scope → rule
//! families → repairs → verdict. Every step is a pure function of the request and settings.

#![forbid(unsafe_code)]

use crate::checks::{self, Report, Shown, access, placement};
use crate::model::{AdmissionRequest, K8sObject};
use crate::scope;
use crate::settings::Settings;
use crate::verdict::Verdict;
use crate::workload::{Shape, Workload, object_annotations};

/// The pod is bound to a node (`spec.nodeName` set).
fn is_bound(pod: &K8sObject) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
}

/// Evaluate one admission request.
pub fn evaluate(req: &AdmissionRequest, settings: &Settings) -> Verdict {
    let allowed = || Verdict::new(Vec::new(), Vec::new());
    let op = req.operation.as_str();
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
    let namespace = req
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .or_else(|| {
            object
                .metadata
                .as_ref()
                .and_then(|m| m.namespace.as_deref())
        })
        .unwrap_or("default");
    let Some(workload) = Workload::new(shape, kind, namespace, object) else {
        return allowed();
    };
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
        access::gate(&mut report, &workload, old.map(object_annotations));
        return Verdict::new(report.finish(), Vec::new());
    }
    let scope = scope::decide(&workload, settings);
    if !scope.judged {
        return allowed();
    }
    let (findings, repairs) = checks::run(&workload, scope.on_eci, settings);
    let patch = if settings.mutate {
        repairs.patch(&workload)
    } else {
        Vec::new()
    };
    Verdict::new(findings, patch)
}
