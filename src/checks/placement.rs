//! Placement and keys: annotations where ECI never reads them (controller metadata, labels),
//! copies that repeat the pod template's, near-miss and legacy keys, annotations on pods that
//! show no ECI signal, and annotation changes on existing pods. Plans the moves and renames that mutation applies.

#![forbid(unsafe_code)]

use super::{Report, Shown};
use crate::context::Applied;
use crate::grammar::text::Quoted;
use crate::keys::{self, ACR_PULL_KEYS, INSTANCE_ID_LEGACY, INSTANCE_IDS};
use crate::model::{K8sObject, Str};
use crate::repair::Moves;
use crate::rules::RuleId;
use crate::workload::{Workload, ann_path, object_annotations};
use std::borrow::Cow;

/// The placement family, in order: misplaced annotations and labels (planning moves), key
/// names, the legacy key (planning its rename), annotations off ECI.
pub fn check<'a>(r: &mut Report, w: &Workload<'a>, on_eci: bool, context: &Applied) -> Moves<'a> {
    let mut moves = Moves::none(w);
    misplaced(r, w, &mut moves);
    labels(r, w, &mut moves);
    key_names(r, w);
    legacy(r, w, &mut moves);
    off_eci(r, w, &moves, on_eci, context);
    moves
}

/// The longest annotation value a repair moves or renames. Every valid value is far shorter
/// (64 instance ids, one ARN); a longer one is reported but left where it is, so that a patch
/// never copies an unbounded value.
const MAX_MOVED_VALUE: usize = 4096;

fn movable(value: &str) -> bool {
    value.len() <= MAX_MOVED_VALUE
}

/// A Pod UPDATE: ECI reads the pull annotations only when the pod is created.
pub fn existing_pod(r: &mut Report, new: &K8sObject, old: Option<&K8sObject>) {
    let Some(old) = old else { return };
    let (new_ann, old_ann) = (object_annotations(new), object_annotations(old));
    for key in ACR_PULL_KEYS {
        let verb = match (old_ann.get(key), new_ann.get(key)) {
            (None, Some(_)) => "adds",
            (Some(_), None) => "removes",
            (Some(a), Some(b)) if a != b => "changes",
            _ => continue,
        };
        r.report(
            RuleId::AnnotationOnExistingPod,
            ann_path("/metadata", key),
            format!("this update {verb} {key} on an existing pod, but ECI reads it only when the pod is created, so the running pod keeps pulling as before"),
            "set the annotation in the pod's controller template (spec.template.metadata.annotations) or delete and recreate the pod".to_owned(),
        );
    }
}

fn misplaced<'a>(r: &mut Report, w: &Workload<'a>, moves: &mut Moves<'a>) {
    for meta in &w.ignored_meta {
        for key in ACR_PULL_KEYS {
            let Some(value) = meta.annotations.get(key) else {
                continue;
            };
            let path = ann_path(meta.path, key);
            // The same key and value in the pod template as sent (kustomize
            // commonAnnotations, Helm charts): the pods get it, this copy changes nothing.
            if w.original().get(key) == Some(value) {
                r.report(
                    RuleId::AnnotationDuplicated,
                    path,
                    format!(
                        "{key} is set on the {}'s {} with the same value as in the pod template; ECI reads only the pod template's copy, so this one has no effect",
                        w.kind, meta.dots
                    ),
                    format!(
                        "nothing to fix for the pods; remove it from {} if you want a single copy (kustomize commonAnnotations and Helm charts often put it there)",
                        meta.dots
                    ),
                );
                continue;
            }
            let where_ = format!(
                "{key} is set on the {}'s {}, where ECI never reads it",
                w.kind, meta.dots
            );
            let repair = r.can_mutate(RuleId::AnnotationMisplaced) && movable(value);
            match met(moves, key) {
                Some((name, existing)) if existing != value => r.report(
                    RuleId::AnnotationMisplaced,
                    path,
                    format!("{where_}, and the pod template has a different value{} ({existing:?} instead of {value:?})", other_key(name, key), existing = Shown(existing), value = Shown(value)),
                    format!("decide which value is right, keep it in {} and remove the other", w.meta_dots),
                ),
                // Another misplaced copy with the same value is being moved there.
                Some(_) => {
                    if repair {
                        moves.removals.push(path.clone());
                    }
                    r.report_repair(
                        repair,
                        RuleId::AnnotationMisplaced,
                        path,
                        format!("{where_}: the pods it creates get no {key}"),
                        format!(
                            "move {key}: {value:?} to {} and remove it from {}",
                            w.meta_dots,
                            meta.dots,
                            value = Shown(value)
                        ),
                    );
                }
                None => {
                    let fix = format!("move {key}: {value:?} to {}", w.meta_dots, value = Shown(value));
                    if repair {
                        moves.removals.push(path.clone());
                        moves
                            .effective
                            .to_mut()
                            .insert(Cow::Owned((*key).to_owned()), value.clone());
                    }
                    r.report_repair(
                        repair,
                        RuleId::AnnotationMisplaced,
                        path,
                        format!("{where_}: the pods it creates get no {key}"),
                        fix,
                    );
                }
            }
        }
    }
}

/// ACR pull keys written as labels: valid Kubernetes, silently ignored by ECI.
fn labels<'a>(r: &mut Report, w: &Workload<'a>, moves: &mut Moves<'a>) {
    for key in ACR_PULL_KEYS {
        let Some(value) = w.labels.get(key) else {
            continue;
        };
        // `metadata.annotations` → `metadata.labels` (every shape's metadata path ends so).
        let labels_dots = format!(
            "{}labels",
            w.meta_dots
                .strip_suffix("annotations")
                .unwrap_or(w.meta_dots)
        );
        let path = w.label_path(key);
        let where_ = format!(
            "{key} is set as a label in {labels_dots}, but ECI reads it only from annotations"
        );
        match met(moves, key) {
            Some((name, existing)) if existing != value => r.report(
                RuleId::AnnotationMisplaced,
                path,
                format!(
                    "{where_}, and the annotation {} has a different value ({existing:?})",
                    if name == *key {
                        "of the same name"
                    } else {
                        name
                    },
                    existing = Shown(existing)
                ),
                format!(
                    "remove the label and keep the right value in {}",
                    w.meta_dots
                ),
            ),
            existing => {
                let absent = existing.is_none();
                let fix = format!(
                    "move {key}: {value:?} from {labels_dots} to {}",
                    w.meta_dots,
                    value = Shown(value)
                );
                let repair = r.can_mutate(RuleId::AnnotationMisplaced) && movable(value);
                if repair {
                    moves.removals.push(path.clone());
                    if absent {
                        moves
                            .effective
                            .to_mut()
                            .insert(Cow::Owned((*key).to_owned()), value.clone());
                    }
                }
                r.report_repair(repair, RuleId::AnnotationMisplaced, path, where_, fix);
            }
        }
    }
}

/// The annotation a moved `key` would meet in the pod template: its own, or for the singular
/// instance-id key, the plural one, which renaming the singular key keeps (so that a copy
/// that disagrees with it is a conflict before the rename as well as after it).
fn met<'m, 'a>(moves: &'m Moves<'a>, key: &'static str) -> Option<(&'static str, &'m Str<'a>)> {
    match moves.effective.get(key) {
        Some(existing) => Some((key, existing)),
        None if key == INSTANCE_ID_LEGACY => {
            moves.effective.get(INSTANCE_IDS).map(|v| (INSTANCE_IDS, v))
        }
        None => None,
    }
}

/// ` in {name}` where the annotation met is not `key` itself.
fn other_key(name: &str, key: &str) -> String {
    if name == key {
        String::new()
    } else {
        format!(" in {name}")
    }
}

fn key_names(r: &mut Report, w: &Workload) {
    let ignored = w.ignored_meta.iter().map(|m| (m.path, m.annotations));
    for (meta_path, map) in std::iter::once((w.meta_path, w.original())).chain(ignored) {
        for key in map.keys() {
            if let Some(want) = keys::near_miss(key) {
                r.report(
                    RuleId::AnnotationKeyUnknown,
                    ann_path(meta_path, key),
                    format!("annotation {key:?} is not a key the ECI documentation lists, so ECI is not known to read it; did you mean {want:?}?", key = Quoted(key), want = Quoted(want)),
                    format!("rename the annotation to {want}"),
                );
            }
        }
    }
}

fn legacy<'a>(r: &mut Report, w: &Workload<'a>, moves: &mut Moves<'a>) {
    let Some(value) = moves.effective.get(INSTANCE_ID_LEGACY).cloned() else {
        return;
    };
    let path = w.ann_path(INSTANCE_ID_LEGACY);
    let base = format!(
        "{INSTANCE_ID_LEGACY} is the singular key from older ECI docs (the current documentation uses {INSTANCE_IDS} and does not say whether the singular key is still read)"
    );
    match moves.effective.get(INSTANCE_IDS).cloned() {
        Some(plural) if plural != value => r.report(
            RuleId::AnnotationKeyLegacy,
            path,
            format!(
                "{base}, and both are set with different values ({value:?} and {plural:?})",
                value = Shown(&value),
                plural = Shown(&plural)
            ),
            format!("remove {INSTANCE_ID_LEGACY} and keep the ids you need in {INSTANCE_IDS}"),
        ),
        plural => {
            let repair = r.can_mutate(RuleId::AnnotationKeyLegacy) && movable(&value);
            if repair {
                let effective = moves.effective.to_mut();
                effective.remove(INSTANCE_ID_LEGACY);
                if plural.is_none() {
                    effective.insert(Cow::Borrowed(INSTANCE_IDS), value);
                }
            }
            r.report_repair(
                repair,
                RuleId::AnnotationKeyLegacy,
                path,
                base,
                format!("rename {INSTANCE_ID_LEGACY} to {INSTANCE_IDS}"),
            );
        }
    }
}

fn off_eci(r: &mut Report, w: &Workload, moves: &Moves, on_eci: bool, context: &Applied) {
    if on_eci {
        return;
    }
    let present: Vec<&str> = ACR_PULL_KEYS
        .iter()
        .copied()
        .filter(|k| w.original().contains_key(k) || moves.effective.contains_key(k))
        .collect();
    if present.is_empty() {
        return;
    }
    // What the policy could not see may still send the pods to ECI; what it saw did not.
    let (message, fix) = match (context.namespace_known, context.profile_known) {
        (false, false) => (
            "a namespace label or eci-profile selector, which the policy cannot see, may still send the pods to ECI".to_owned(),
            "if a namespace label or eci-profile sends these pods to ECI, list the namespace in the policy's eciScope.namespaces; otherwise schedule the pods onto ECI (label alibabacloud.com/eci: \"true\" or nodeSelector type: virtual-kubelet) or drop the annotations",
        ),
        (true, false) => (
            format!("namespace {ns:?} is not labelled alibabacloud.com/eci: \"true\", and an eci-profile selector, which the policy cannot see, may still send the pods to ECI", ns = Shown(w.namespace)),
            "if eci-profile sends these pods to ECI, give the policy the eci-profile too (or list the namespace in its eciScope.namespaces); otherwise schedule the pods onto ECI (label alibabacloud.com/eci: \"true\" or nodeSelector type: virtual-kubelet) or drop the annotations",
        ),
        (false, true) => (
            format!("no eci-profile selector sends them there, and a label on namespace {ns:?}, which the policy cannot see, may still do so", ns = Shown(w.namespace)),
            "if the namespace is labelled alibabacloud.com/eci: \"true\", give the policy the namespace too (or list it in its eciScope.namespaces); otherwise schedule the pods onto ECI (label alibabacloud.com/eci: \"true\" or nodeSelector type: virtual-kubelet) or drop the annotations",
        ),
        (true, true) => (
            format!("neither a label on namespace {ns:?} nor an eci-profile selector sends them there", ns = Shown(w.namespace)),
            "schedule the pods onto ECI (label alibabacloud.com/eci: \"true\" on the pods or their namespace, an eci-profile selector, or nodeSelector type: virtual-kubelet) or drop the annotations",
        ),
    };
    r.report(
        RuleId::AnnotationsOffEci,
        format!("{}/annotations", w.meta_path),
        format!(
            "the {} carries {} but the policy sees no ECI signal in the pod (no alibabacloud.com/eci label, virtual-kubelet nodeSelector, affinity, toleration or nodeName); pods on ordinary nodes ignore these annotations, and {message}",
            w.kind,
            present.join(", ")
        ),
        fix.to_owned(),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::checks::testing::{object, settings, summary, workload};
    use crate::workload::Shape;

    const DEPLOYMENT_MISPLACED: &str = r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},
        "spec":{"template":{"metadata":{"labels":{"alibabacloud.com/eci":"true"}},"spec":{}}}}"#;

    #[test]
    fn misplaced_is_reported_and_moved_only_when_mutating() {
        let o = object(DEPLOYMENT_MISPLACED);
        let w = workload(Shape::Template, "ns", &o);
        let path = "/metadata/annotations/k8s.aliyun.com~1acr-instance-ids".to_owned();

        let s = settings("{}");
        let mut r = Report::new(&s);
        let moves = check(&mut r, &w, true, &Applied::default());
        assert_eq!(
            summary(&r.finish()),
            [("annotation-misplaced", "deny", path.clone())]
        );
        assert!(moves.removals.is_empty());
        assert!(!moves.effective.contains_key(INSTANCE_IDS));

        let s = settings(r#"{"mutate":true}"#);
        let mut r = Report::new(&s);
        let moves = check(&mut r, &w, true, &Applied::default());
        assert_eq!(
            summary(&r.finish()),
            [("annotation-misplaced", "mutated", path.clone())]
        );
        assert_eq!(moves.removals, [path]);
        assert_eq!(
            moves.effective.get(INSTANCE_IDS).map(|v| &**v),
            Some("cri-j36zhodptmyq1234")
        );
    }

    #[test]
    fn a_singular_copy_that_disagrees_with_the_plural_key_is_not_moved() {
        // After a rename of the template's singular key, a misplaced singular copy with another
        // value meets the plural key: the same conflict as before the rename, so it denies and
        // stays where it is (a repaired request needs no second repair).
        let s = settings(r#"{"mutate":true}"#);
        for (doc, path) in [
            (
                r#"{"spec":{"template":{"metadata":{"labels":{"k8s.aliyun.com/acr-instance-id":"cri-aaaaaaaaaaaaaaaa"},
                    "annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},"spec":{}}}}"#,
                "/spec/template/metadata/labels/k8s.aliyun.com~1acr-instance-id",
            ),
            (
                r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-id":"cri-aaaaaaaaaaaaaaaa"}},"spec":{"template":{"metadata":{
                    "annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},"spec":{}}}}"#,
                "/metadata/annotations/k8s.aliyun.com~1acr-instance-id",
            ),
        ] {
            let o = object(doc);
            let w = workload(Shape::Template, "ns", &o);
            let mut r = Report::new(&s);
            let moves = check(&mut r, &w, true, &Applied::default());
            let findings = r.finish();
            assert_eq!(
                summary(&findings),
                [("annotation-misplaced", "deny", path.to_owned())]
            );
            assert!(
                findings
                    .iter()
                    .any(|f| f.message.contains("acr-instance-ids")),
                "{findings:?}"
            );
            assert!(moves.removals.is_empty(), "{path}");
            assert!(!moves.effective.contains_key(INSTANCE_ID_LEGACY), "{path}");
        }
        // The same value: the copy goes, and the plural key stays as it is.
        let o = object(
            r#"{"spec":{"template":{"metadata":{"labels":{"k8s.aliyun.com/acr-instance-id":"cri-j36zhodptmyq1234"},
                "annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},"spec":{}}}}"#,
        );
        let w = workload(Shape::Template, "ns", &o);
        let mut r = Report::new(&s);
        let moves = check(&mut r, &w, true, &Applied::default());
        assert_eq!(moves.removals.len(), 1);
        assert!(!moves.effective.contains_key(INSTANCE_ID_LEGACY));
    }

    #[test]
    fn same_value_on_controller_and_template_only_warns_and_is_left_alone() {
        // kustomize commonAnnotations on a CronJob: metadata, jobTemplate and pod template.
        let o = object(
            r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},
                "spec":{"jobTemplate":{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},
                "spec":{"template":{"metadata":{"labels":{"alibabacloud.com/eci":"true"},
                "annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},"spec":{}}}}}}"#,
        );
        let w = workload(Shape::CronJob, "ns", &o);
        let s = settings(r#"{"mutate":true}"#);
        let mut r = Report::new(&s);
        let moves = check(&mut r, &w, true, &Applied::default());
        assert_eq!(
            summary(&r.finish()),
            [
                (
                    "annotation-duplicated",
                    "warn",
                    "/metadata/annotations/k8s.aliyun.com~1acr-instance-ids".into()
                ),
                (
                    "annotation-duplicated",
                    "warn",
                    "/spec/jobTemplate/metadata/annotations/k8s.aliyun.com~1acr-instance-ids"
                        .into()
                ),
            ]
        );
        assert!(moves.removals.is_empty());
    }

    #[test]
    fn two_misplaced_copies_of_one_value_are_both_moved() {
        let o = object(
            r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},
                "spec":{"jobTemplate":{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},
                "spec":{"template":{"metadata":{"labels":{"alibabacloud.com/eci":"true"}},"spec":{}}}}}}"#,
        );
        let w = workload(Shape::CronJob, "ns", &o);
        let s = settings(r#"{"mutate":true}"#);
        let mut r = Report::new(&s);
        let moves = check(&mut r, &w, true, &Applied::default());
        let found = summary(&r.finish());
        assert_eq!(found.len(), 2);
        assert!(
            found
                .iter()
                .all(|f| f.0 == "annotation-misplaced" && f.1 == "mutated")
        );
        assert_eq!(moves.removals.len(), 2);
    }

    #[test]
    fn legacy_key_renamed_when_mutating() {
        let o = object(
            r#"{"metadata":{"labels":{"alibabacloud.com/eci":"true"},"annotations":{"k8s.aliyun.com/acr-instance-id":"cri-j36zhodptmyq1234"}}}"#,
        );
        let w = workload(Shape::Pod, "ns", &o);
        let s = settings(r#"{"mutate":true}"#);
        let mut r = Report::new(&s);
        let moves = check(&mut r, &w, true, &Applied::default());
        assert_eq!(
            summary(&r.finish()),
            [(
                "annotation-key-legacy",
                "mutated",
                "/metadata/annotations/k8s.aliyun.com~1acr-instance-id".into()
            )]
        );
        assert!(!moves.effective.contains_key(INSTANCE_ID_LEGACY));
        assert!(moves.effective.contains_key(INSTANCE_IDS));
    }

    #[test]
    fn off_eci_and_near_miss() {
        let o = object(
            r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-service-arns":"x","k8s.aliyun.com/acr-user-arn":"y"}}}"#,
        );
        let w = workload(Shape::Pod, "ns", &o);
        let s = settings("{}");
        let mut r = Report::new(&s);
        check(&mut r, &w, false, &Applied::default());
        assert_eq!(
            summary(&r.finish()),
            [
                (
                    "annotation-key-unknown",
                    "deny",
                    "/metadata/annotations/k8s.aliyun.com~1acr-user-arn".into()
                ),
                (
                    "annotations-off-eci",
                    "warn",
                    "/metadata/annotations".into()
                ),
            ]
        );
    }

    #[test]
    fn existing_pod_changes() {
        let old = object(r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"a"}}}"#);
        let new = object(r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-service-arns":"b"}}}"#);
        let s = settings("{}");
        let mut r = Report::new(&s);
        existing_pod(&mut r, &new, Some(&old));
        let verbs: Vec<_> = r
            .findings
            .iter()
            .map(|f| f.message.split(' ').nth(2).unwrap_or_default())
            .collect();
        assert_eq!(verbs, ["removes", "adds"]);
    }
}
