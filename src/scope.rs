//! ECI scope: whether the pods of a workload may run on ECI (settings, a scheduling signal in
//! the pod, or context: a namespace label or an eci-profile selector), and whether the policy
//! judges the workload at all.

#![forbid(unsafe_code)]

use crate::context::{ACS_LABEL, Applied};
use crate::grammar::text::glob_match;
use crate::keys::{self, ACR_PULL_KEYS};
use crate::model::{StrMap, Toleration};
use crate::settings::{ScopeMode, Settings};
use crate::workload::{Shape, Workload};

/// What the policy knows about where a workload's pods run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The settings, a scheduling signal or the context put the pods on ECI.
    pub on_eci: bool,
    /// The policy judges the workload: on ECI, or it carries an ACR pull annotation (even a
    /// misspelt or misplaced one).
    pub judged: bool,
}

/// Decide the scope of `w`, with what the context says about it (`Applied::default()`: none).
pub fn decide(w: &Workload, settings: &Settings, context: &Applied) -> Scope {
    let on_eci = by_settings(w, settings) || eci_signal(w) || context.on_eci.is_some();
    let judged = on_eci
        || has_pull_keys(w.original())
        || w.ignored_meta.iter().any(|m| has_pull_keys(m.annotations))
        || ACR_PULL_KEYS.iter().any(|k| w.labels.contains_key(k));
    Scope { on_eci, judged }
}

fn by_settings(w: &Workload, s: &Settings) -> bool {
    s.eci_scope.mode == ScopeMode::All
        || s.eci_scope
            .namespaces
            .iter()
            .any(|p| glob_match(p, w.namespace))
}

fn has_pull_keys(map: &StrMap<'_>) -> bool {
    map.keys().any(|k| {
        ACR_PULL_KEYS.contains(&&**k)
            || keys::near_miss(k).is_some_and(|t| ACR_PULL_KEYS.contains(&t))
    })
}

/// The pod is labelled `alibabacloud.com/acs: "true"`: it runs on ACS, not ECI.
pub fn routed_to_acs(w: &Workload) -> bool {
    w.labels.get(ACS_LABEL).is_some_and(|v| v == "true")
}

/// A scheduling signal in the pod that sends it to ECI.
fn eci_signal(w: &Workload) -> bool {
    if w.shape == Shape::ImageCache {
        return true;
    }
    let label = |k: &str| w.labels.get(k).is_some_and(|v| v == "true");
    if routed_to_acs(w) {
        return false;
    }
    if label("alibabacloud.com/eci") {
        return true;
    }
    if w.original()
        .get("alibabacloud.com/burst-resource")
        .is_some_and(|v| v == "eci" || v == "eci_only")
    {
        return true;
    }
    let Some(spec) = w.spec else { return false };
    let vk_selector = |k: &str, v: &str| {
        (k == "type" && v == "virtual-kubelet") || (k == "k8s.aliyun.com/vnode" && v == "true")
    };
    if spec
        .node_selector
        .iter()
        .flatten()
        .any(|(k, v)| vk_selector(k, v))
    {
        return true;
    }
    if spec
        .node_name
        .as_deref()
        .is_some_and(|n| n.starts_with("virtual-kubelet"))
    {
        return true;
    }
    if spec
        .tolerations
        .iter()
        .flatten()
        .any(tolerates_virtual_node)
    {
        return true;
    }
    let Some(na) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
    else {
        return false;
    };
    let required = na
        .required
        .iter()
        .flat_map(|r| r.node_selector_terms.iter().flatten());
    let preferred = na
        .preferred
        .iter()
        .flatten()
        .filter_map(|p| p.preference.as_ref());
    required.chain(preferred).any(|term| {
        term.match_expressions.iter().flatten().any(|e| {
            e.operator.as_deref() == Some("In")
                && e.key
                    .as_deref()
                    .is_some_and(|k| e.values.iter().flatten().any(|v| vk_selector(k, v)))
        })
    })
}

/// A toleration of the virtual node taint: `virtual-kubelet.io/provider=alibabacloud:NoSchedule`
/// (ACK virtual nodes) or `k8s.aliyun.com/vnode=true:NoSchedule` (self-managed VNode). It
/// lets the pod run on ECI (ECS first, overflow to ECI) without sending it there, so the pod
/// may run on ECI and its ACR pull annotations matter. A toleration of every taint (no key)
/// is not counted: it says nothing about ECI.
fn tolerates_virtual_node(t: &Toleration) -> bool {
    let Some(key) = t.key.as_deref() else {
        return false;
    };
    let wanted = match key {
        "virtual-kubelet.io/provider" => "alibabacloud",
        "k8s.aliyun.com/vnode" => "true",
        _ => return false,
    };
    let value_matches = match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" => t.value.as_deref() == Some(wanted),
        _ => false,
    };
    let effect_matches = matches!(t.effect.as_deref(), None | Some("" | "NoSchedule"));
    value_matches && effect_matches
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::model::K8sObject;

    fn scope(pod: &str, settings: &Settings) -> Scope {
        let o: K8sObject = serde_json::from_str(pod).unwrap();
        let w = Workload::new(Shape::Pod, "Pod", "team-a", &o).unwrap();
        decide(&w, settings, &Applied::default())
    }

    #[test]
    fn signals() {
        let s = Settings::default();
        let on = |pod: &str| scope(pod, &s).on_eci;
        assert!(on(
            r#"{"metadata":{"labels":{"alibabacloud.com/eci":"true"}}}"#
        ));
        assert!(!on(
            r#"{"metadata":{"labels":{"alibabacloud.com/eci":"true","alibabacloud.com/acs":"true"}}}"#
        ));
        assert!(on(
            r#"{"spec":{"nodeSelector":{"type":"virtual-kubelet"}}}"#
        ));
        assert!(on(
            r#"{"spec":{"nodeName":"virtual-kubelet-cn-hangzhou-k"}}"#
        ));
        assert!(on(
            r#"{"metadata":{"annotations":{"alibabacloud.com/burst-resource":"eci_only"}}}"#
        ));
        assert!(on(
            r#"{"spec":{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"preference":{"matchExpressions":[{"key":"type","operator":"In","values":["virtual-kubelet"]}]}}]}}}}"#
        ));
        assert!(!on(
            r#"{"spec":{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"preference":{"matchExpressions":[{"key":"type","operator":"NotIn","values":["virtual-kubelet"]}]}}]}}}}"#
        ));
        assert!(!on(r#"{"spec":{"containers":[{"image":"nginx"}]}}"#));
        // Tolerating the virtual node taint: the pod may run on ECI.
        for t in [
            r#"{"key":"virtual-kubelet.io/provider","operator":"Exists","effect":"NoSchedule"}"#,
            r#"{"key":"virtual-kubelet.io/provider","operator":"Equal","value":"alibabacloud","effect":"NoSchedule"}"#,
            r#"{"key":"virtual-kubelet.io/provider","value":"alibabacloud"}"#,
            r#"{"key":"k8s.aliyun.com/vnode","operator":"Equal","value":"true","effect":"NoSchedule"}"#,
        ] {
            assert!(on(&format!(r#"{{"spec":{{"tolerations":[{t}]}}}}"#)), "{t}");
        }
        for t in [
            r#"{"operator":"Exists"}"#,
            r#"{"key":"virtual-kubelet.io/provider","operator":"Equal","value":"aws"}"#,
            r#"{"key":"virtual-kubelet.io/provider","operator":"Exists","effect":"NoExecute"}"#,
            r#"{"key":"node.kubernetes.io/not-ready","operator":"Exists"}"#,
        ] {
            assert!(
                !on(&format!(r#"{{"spec":{{"tolerations":[{t}]}}}}"#)),
                "{t}"
            );
        }
    }

    #[test]
    fn judged_when_annotated_or_listed() {
        let s = Settings::default();
        let plain = scope(r#"{"spec":{}}"#, &s);
        assert_eq!(
            plain,
            Scope {
                on_eci: false,
                judged: false
            }
        );
        // A near-miss key still puts the pod in front of the rules.
        let typo = scope(
            r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-id":"x"}}}"#,
            &s,
        );
        assert!(typo.judged && !typo.on_eci);
        let listed = Settings::from_json(r#"{"eciScope":{"namespaces":["team-*"]}}"#).unwrap();
        assert!(scope(r#"{"spec":{}}"#, &listed).on_eci);
    }
}
