//! The rules: from an admission request and settings to a verdict.

#![forbid(unsafe_code)]

use crate::acr::{self, AcrHost, Network};
use crate::grammar::{self, ArnProblem, TokenProblem};
use crate::image::ImageRef;
use crate::keys::{self, ACR_PULL_KEYS, INSTANCE_ID_LEGACY, INSTANCE_IDS, SERVICE_ARNS, USER_ARNS};
use crate::model::{AdmissionRequest, K8sObject, ObjectMeta, Scalar, SecretRef, Spec, StrMap};
use crate::rules::{Action, RuleId};
use crate::settings::{RuleSetting, ScopeMode, Settings};
use crate::verdict::{Finding, PatchKind, PatchOp, Verdict};
use serde_json::Value;

/// The most images an ImageCache may hold (API and ROS limit).
const IMAGECACHE_MAX_IMAGES: usize = 20;

/// Where a pod's metadata and spec live inside the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Pod,
    Template,
    CronJob,
    ImageCache,
}

/// Which shape an object of this group/kind has, if the policy evaluates it.
fn shape_of(group: &str, kind: &str) -> Option<Shape> {
    match (group, kind) {
        ("", "Pod") => Some(Shape::Pod),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("extensions", "Deployment" | "DaemonSet" | "ReplicaSet")
        | ("", "ReplicationController")
        | ("batch", "Job") => Some(Shape::Template),
        ("batch", "CronJob") => Some(Shape::CronJob),
        ("eci.alibabacloud.com", "ImageCache") => Some(Shape::ImageCache),
        _ => None,
    }
}

/// Collects findings and applies the per-rule overrides.
struct Ctx<'s> {
    settings: &'s Settings,
    findings: Vec<Finding>,
}

impl<'s> Ctx<'s> {
    fn action(&self, rule: RuleId, default: Action) -> Option<Action> {
        match self.settings.rules.get(&rule) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Deny) => Some(Action::Deny),
            Some(RuleSetting::Warn) => Some(Action::Warn),
            None => Some(default),
        }
    }

    fn enabled(&self, rule: RuleId) -> bool {
        self.action(rule, rule.default_action()).is_some()
    }

    /// Whether the policy may repair a finding of `rule` in this evaluation.
    fn can_mutate(&self, rule: RuleId) -> bool {
        self.settings.mutate && self.enabled(rule)
    }

    fn push(
        &mut self,
        rule: RuleId,
        action: Option<Action>,
        path: String,
        message: String,
        fix: String,
    ) {
        if let Some(action) = action {
            self.findings.push(Finding {
                rule,
                action,
                path,
                message,
                fix,
            });
        }
    }

    fn report(&mut self, rule: RuleId, path: String, message: String, fix: String) {
        let action = self.action(rule, rule.default_action());
        self.push(rule, action, path, message, fix);
    }

    /// A finding that only warns unless the settings say otherwise.
    fn report_soft(&mut self, rule: RuleId, path: String, message: String, fix: String) {
        let action = self.action(rule, Action::Warn);
        self.push(rule, action, path, message, fix);
    }

    /// A masked or template value copied from the documentation, in annotation `key`.
    fn report_placeholder(&mut self, key: &str, value: &str, path: String, fix: String) {
        self.report(
            RuleId::PlaceholderValue,
            path,
            format!(
                "{key} value {value:?} is a masked or template value copied from the documentation"
            ),
            fix,
        );
    }

    fn report_mutated(&mut self, rule: RuleId, path: String, message: String, fix: String) {
        let action = self
            .action(rule, rule.default_action())
            .map(|_| Action::Mutated);
        self.push(rule, action, path, message, fix);
    }
}

/// One image reference and where it sits.
struct ImageSite {
    /// `container "app"`, `init container "setup"`, `image #2`.
    who: String,
    path: String,
    image: Option<String>,
}

/// A successfully parsed image with its registry class.
struct ParsedImage<'a> {
    site: &'a ImageSite,
    raw: &'a str,
    image: ImageRef,
    host: AcrHost,
}

/// The pod (template) or ImageCache being judged.
struct Target<'a> {
    shape: Shape,
    kind: String,
    namespace: String,
    /// JSON pointer of the metadata that ECI reads.
    meta_path: String,
    /// The same, dotted for humans.
    meta_dots: &'static str,
    meta_exists: bool,
    ann_exists: bool,
    /// Annotations as sent.
    original: StrMap,
    /// Annotations after the repairs planned so far.
    effective: StrMap,
    labels: StrMap,
    spec: Option<&'a Spec>,
    spec_path: &'static str,
    images: Vec<ImageSite>,
    /// Controller-level metadata that ECI ignores: (pointer, dotted, annotations).
    ignored_meta: Vec<(&'static str, &'static str, &'a StrMap)>,
    /// Annotation pointers the patch removes from `ignored_meta`.
    removals: Vec<String>,
    /// The settings or a scheduling hint put the pods on ECI (set once, after building).
    on_eci: bool,
}

fn ann_path(meta_path: &str, key: &str) -> String {
    format!("{meta_path}/annotations/{}", grammar::pointer_escape(key))
}

/// Where the value the rules judge for `key` sits in the request object. Repairs planned in
/// `effective` may have renamed or moved it; findings point at what the user wrote.
fn value_path(t: &Target, key: &str) -> String {
    if t.original.contains_key(key) {
        return ann_path(&t.meta_path, key);
    }
    if key == INSTANCE_IDS && t.original.contains_key(INSTANCE_ID_LEGACY) {
        return ann_path(&t.meta_path, INSTANCE_ID_LEGACY);
    }
    for (meta_path, _, map) in &t.ignored_meta {
        if map.contains_key(key) {
            return ann_path(meta_path, key);
        }
    }
    if t.labels.contains_key(key) {
        return format!("{}/labels/{}", t.meta_path, grammar::pointer_escape(key));
    }
    ann_path(&t.meta_path, key)
}

fn container_sites(spec: &Spec, spec_path: &str) -> Vec<ImageSite> {
    let mut sites = Vec::new();
    let lists = [
        ("containers", "container", &spec.containers),
        ("initContainers", "init container", &spec.init_containers),
        (
            "ephemeralContainers",
            "ephemeral container",
            &spec.ephemeral_containers,
        ),
    ];
    for (field, label, list) in lists {
        for (i, c) in list.iter().flatten().enumerate() {
            let who = match c.name.as_deref() {
                Some(name) if !name.is_empty() => format!("{label} {name:?}"),
                _ => format!("{label} #{i}"),
            };
            sites.push(ImageSite {
                who,
                path: format!("{spec_path}/{field}/{i}/image"),
                image: c.image.clone(),
            });
        }
    }
    sites
}

/// Evaluate one admission request.
pub fn evaluate(req: &AdmissionRequest, settings: &Settings) -> Verdict {
    let op = req.operation.as_str();
    match op {
        "CREATE" | "UPDATE" => {}
        "DELETE" | "CONNECT" => return Verdict::new(Vec::new(), Vec::new()),
        "" => return Verdict::invalid("/operation", "the admission request has no operation"),
        other => {
            return Verdict::invalid(
                "/operation",
                format!(
                    "the admission request has an unknown operation {other:?} (expected CREATE, UPDATE, DELETE or CONNECT)"
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
    let Some(shape) = shape_of(group, kind) else {
        return Verdict::new(Vec::new(), Vec::new());
    };
    // Status and scale updates cannot change what ECI pulls.
    if req
        .sub_resource
        .as_deref()
        .is_some_and(|s| s != "ephemeralcontainers")
    {
        return Verdict::new(Vec::new(), Vec::new());
    }
    let Some(object) = req.object.as_ref() else {
        return Verdict::invalid(
            "/object",
            format!("the {op} request for a {kind} carries no object"),
        );
    };
    let mut ctx = Ctx {
        settings,
        findings: Vec::new(),
    };
    if shape == Shape::Pod && op == "UPDATE" {
        check_existing_pod(&mut ctx, object, req.old_object.as_ref());
        return Verdict::new(ctx.findings, Vec::new());
    }
    let namespace = req
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| object.metadata.as_ref().and_then(|m| m.namespace.clone()))
        .unwrap_or_else(|| "default".to_owned());
    let Some(mut target) = build_target(shape, kind, namespace, object) else {
        return Verdict::new(Vec::new(), Vec::new());
    };
    target.on_eci = scope_by_settings(&target, settings) || eci_signal(&target);
    if !in_scope(&target) {
        return Verdict::new(Vec::new(), Vec::new());
    }
    check_target(&mut ctx, &mut target);
    let patch = if settings.mutate {
        build_patch(&target)
    } else {
        Vec::new()
    };
    Verdict::new(ctx.findings, patch)
}

fn build_target<'a>(
    shape: Shape,
    kind: &str,
    namespace: String,
    object: &'a K8sObject,
) -> Option<Target<'a>> {
    let empty: &'static StrMap = &EMPTY;
    let top_meta = object.metadata.as_ref();
    let spec = object.spec.as_ref();
    let (meta, pod_spec, meta_path, meta_dots, spec_path): (
        Option<&ObjectMeta>,
        Option<&Spec>,
        &str,
        &str,
        &str,
    ) = match shape {
        Shape::Pod | Shape::ImageCache => {
            (top_meta, spec, "/metadata", "metadata.annotations", "/spec")
        }
        Shape::Template => {
            let template = spec.and_then(|s| s.template.as_deref());
            template?;
            (
                template.and_then(|t| t.metadata.as_ref()),
                template.and_then(|t| t.spec.as_ref()),
                "/spec/template/metadata",
                "spec.template.metadata.annotations",
                "/spec/template/spec",
            )
        }
        Shape::CronJob => {
            let template = spec
                .and_then(|s| s.job_template.as_deref())
                .and_then(|j| j.spec.as_ref())
                .and_then(|s| s.template.as_deref());
            template?;
            (
                template.and_then(|t| t.metadata.as_ref()),
                template.and_then(|t| t.spec.as_ref()),
                "/spec/jobTemplate/spec/template/metadata",
                "spec.jobTemplate.spec.template.metadata.annotations",
                "/spec/jobTemplate/spec/template/spec",
            )
        }
    };
    let annotations = meta.and_then(|m| m.annotations.clone());
    let mut ignored_meta = Vec::new();
    if matches!(shape, Shape::Template | Shape::CronJob) {
        ignored_meta.push((
            "/metadata",
            "metadata.annotations",
            top_meta
                .and_then(|m| m.annotations.as_ref())
                .unwrap_or(empty),
        ));
    }
    if shape == Shape::CronJob {
        let jt = spec
            .and_then(|s| s.job_template.as_deref())
            .and_then(|j| j.metadata.as_ref())
            .and_then(|m| m.annotations.as_ref());
        ignored_meta.push((
            "/spec/jobTemplate/metadata",
            "spec.jobTemplate.metadata.annotations",
            jt.unwrap_or(empty),
        ));
    }
    let images = match shape {
        Shape::ImageCache => pod_spec
            .and_then(|s| s.images.as_ref())
            .map(|imgs| {
                imgs.iter()
                    .enumerate()
                    .map(|(i, img)| ImageSite {
                        who: format!("ImageCache spec.images[{i}]"),
                        path: format!("/spec/images/{i}"),
                        image: match img {
                            Scalar::Str(s) => Some(s.clone()),
                            other => Some(other.to_string()),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => pod_spec
            .map(|s| container_sites(s, spec_path))
            .unwrap_or_default(),
    };
    let original = annotations.clone().unwrap_or_default();
    Some(Target {
        shape,
        kind: kind.to_owned(),
        namespace,
        meta_path: meta_path.to_owned(),
        meta_dots,
        meta_exists: meta.is_some(),
        ann_exists: annotations.is_some(),
        effective: original.clone(),
        original,
        labels: meta.and_then(|m| m.labels.clone()).unwrap_or_default(),
        spec: pod_spec,
        spec_path,
        images,
        ignored_meta,
        removals: Vec::new(),
        on_eci: false,
    })
}

static EMPTY: StrMap = StrMap::new();

/// A scheduling hint in the pod that sends it to ECI.
fn eci_signal(t: &Target) -> bool {
    if t.shape == Shape::ImageCache {
        return true;
    }
    if t.labels
        .get("alibabacloud.com/acs")
        .is_some_and(|v| v == "true")
    {
        return false;
    }
    if t.labels
        .get("alibabacloud.com/eci")
        .is_some_and(|v| v == "true")
    {
        return true;
    }
    if t.original
        .get("alibabacloud.com/burst-resource")
        .is_some_and(|v| v == "eci" || v == "eci_only")
    {
        return true;
    }
    let Some(spec) = t.spec else { return false };
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

fn has_acr_keys(map: &StrMap) -> bool {
    map.keys().any(|k| {
        ACR_PULL_KEYS.contains(&k.as_str())
            || keys::near_miss(k).is_some_and(|t| ACR_PULL_KEYS.contains(&t))
    })
}

fn scope_by_settings(t: &Target, s: &Settings) -> bool {
    s.eci_scope.mode == ScopeMode::All
        || s.eci_scope
            .namespaces
            .iter()
            .any(|p| grammar::glob_match(p, &t.namespace))
}

fn in_scope(t: &Target) -> bool {
    t.on_eci
        || has_acr_keys(&t.original)
        || t.ignored_meta.iter().any(|(_, _, m)| has_acr_keys(m))
        || ACR_PULL_KEYS.iter().any(|k| t.labels.contains_key(*k))
}

fn check_target(ctx: &mut Ctx, t: &mut Target) {
    check_misplaced(ctx, t);
    check_labels(ctx, t);
    check_key_names(ctx, t);
    check_legacy(ctx, t);
    check_off_eci(ctx, t);
    let ids = check_instance_ids(ctx, t);
    check_arns(ctx, t);
    check_registry_lists(ctx, t);
    check_imc_ids(ctx, t);
    if t.shape == Shape::ImageCache {
        check_imagecache_spec(ctx, t);
    }
    let sites = std::mem::take(&mut t.images);
    let parsed = parse_images(ctx, t.shape, &sites);
    check_images(ctx, t, &parsed);
    let listed = check_instance_mutations(ctx, t, &parsed, ids);
    check_pull_secrets(ctx, t, &parsed, sites.len(), &listed);
}

fn annotations_of(o: &K8sObject) -> &StrMap {
    o.metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .unwrap_or(&EMPTY)
}

fn check_existing_pod(ctx: &mut Ctx, new: &K8sObject, old: Option<&K8sObject>) {
    let Some(old) = old else { return };
    let (new_ann, old_ann) = (annotations_of(new), annotations_of(old));
    for key in ACR_PULL_KEYS {
        let (before, after) = (old_ann.get(*key), new_ann.get(*key));
        let verb = match (before, after) {
            (None, Some(_)) => "adds",
            (Some(_), None) => "removes",
            (Some(a), Some(b)) if a != b => "changes",
            _ => continue,
        };
        ctx.report(
            RuleId::AnnotationOnExistingPod,
            ann_path("/metadata", key),
            format!("this update {verb} {key} on an existing pod, but ECI reads it only when the pod is created, so the running pod keeps pulling as before"),
            "set the annotation in the pod's controller template (spec.template.metadata.annotations) or delete and recreate the pod".to_owned(),
        );
    }
}

fn check_misplaced(ctx: &mut Ctx, t: &mut Target) {
    let ignored = t.ignored_meta.clone();
    for (meta_path, meta_dots, map) in ignored {
        for key in ACR_PULL_KEYS {
            let Some(value) = map.get(*key) else { continue };
            let path = ann_path(meta_path, key);
            let where_ = format!(
                "{key} is set on the {}'s {meta_dots}, where ECI never reads it",
                t.kind
            );
            match t.effective.get(*key) {
                Some(existing) if existing != value => {
                    ctx.report(
                        RuleId::AnnotationMisplaced,
                        path,
                        format!("{where_}, and the pod template has a different value ({existing:?} instead of {value:?})"),
                        format!("decide which value is right, keep it in {} and remove the other", t.meta_dots),
                    );
                }
                Some(_) => {
                    let fix = format!(
                        "remove it from {meta_dots}; the pod template already has the same value"
                    );
                    let msg = format!("{where_} (the pod template already has the same value)");
                    if ctx.can_mutate(RuleId::AnnotationMisplaced) {
                        t.removals.push(path.clone());
                        ctx.report_mutated(RuleId::AnnotationMisplaced, path, msg, fix);
                    } else {
                        ctx.report(RuleId::AnnotationMisplaced, path, msg, fix);
                    }
                }
                None => {
                    let msg = format!("{where_}: the pods it creates get no {key}");
                    let fix = format!("move {key}: {value:?} to {}", t.meta_dots);
                    if ctx.can_mutate(RuleId::AnnotationMisplaced) {
                        t.removals.push(path.clone());
                        t.effective.insert((*key).to_owned(), value.clone());
                        ctx.report_mutated(RuleId::AnnotationMisplaced, path, msg, fix);
                    } else {
                        ctx.report(RuleId::AnnotationMisplaced, path, msg, fix);
                    }
                }
            }
        }
    }
}

/// ACR pull keys written as labels: valid Kubernetes, silently ignored by ECI.
fn check_labels(ctx: &mut Ctx, t: &mut Target) {
    let labels_dots = t.meta_dots.replace("annotations", "labels");
    let labels = t.labels.clone();
    for key in ACR_PULL_KEYS {
        let Some(value) = labels.get(*key) else {
            continue;
        };
        let path = format!("{}/labels/{}", t.meta_path, grammar::pointer_escape(key));
        let where_ = format!(
            "{key} is set as a label in {labels_dots}, but ECI reads it only from annotations"
        );
        match t.effective.get(*key) {
            Some(existing) if existing != value => ctx.report(
                RuleId::AnnotationMisplaced,
                path,
                format!("{where_}, and the annotation of the same name has a different value ({existing:?})"),
                format!("remove the label and keep the right value in {}", t.meta_dots),
            ),
            existing => {
                let fix = format!("move {key}: {value:?} from {labels_dots} to {}", t.meta_dots);
                if ctx.can_mutate(RuleId::AnnotationMisplaced) {
                    t.removals.push(path.clone());
                    if existing.is_none() {
                        t.effective.insert((*key).to_owned(), value.clone());
                    }
                    ctx.report_mutated(RuleId::AnnotationMisplaced, path, where_, fix);
                } else {
                    ctx.report(RuleId::AnnotationMisplaced, path, where_, fix);
                }
            }
        }
    }
}

fn check_key_names(ctx: &mut Ctx, t: &Target) {
    let mut maps: Vec<(String, &StrMap)> = vec![(t.meta_path.clone(), &t.original)];
    for (p, _, m) in &t.ignored_meta {
        maps.push(((*p).to_owned(), m));
    }
    for (meta_path, map) in maps {
        for key in map.keys() {
            if let Some(want) = keys::near_miss(key) {
                ctx.report(
                    RuleId::AnnotationKeyUnknown,
                    ann_path(&meta_path, key),
                    format!("annotation {key:?} is not a key ECI reads, so it is ignored; did you mean {want:?}?"),
                    format!("rename the annotation to {want}"),
                );
            }
        }
    }
}

fn check_legacy(ctx: &mut Ctx, t: &mut Target) {
    let Some(value) = t.effective.get(INSTANCE_ID_LEGACY).cloned() else {
        return;
    };
    let path = ann_path(&t.meta_path, INSTANCE_ID_LEGACY);
    let base = format!(
        "{INSTANCE_ID_LEGACY} is the singular key from older ECI docs; current ECI reads {INSTANCE_IDS}"
    );
    match t.effective.get(INSTANCE_IDS).cloned() {
        Some(plural) if plural != value => ctx.report(
            RuleId::AnnotationKeyLegacy,
            path,
            format!("{base}, and both are set with different values ({value:?} and {plural:?})"),
            format!("remove {INSTANCE_ID_LEGACY} and keep the ids you need in {INSTANCE_IDS}"),
        ),
        plural => {
            let fix = format!("rename {INSTANCE_ID_LEGACY} to {INSTANCE_IDS}");
            if ctx.can_mutate(RuleId::AnnotationKeyLegacy) {
                t.effective.remove(INSTANCE_ID_LEGACY);
                if plural.is_none() {
                    t.effective.insert(INSTANCE_IDS.to_owned(), value);
                }
                ctx.report_mutated(RuleId::AnnotationKeyLegacy, path, base, fix);
            } else {
                ctx.report(RuleId::AnnotationKeyLegacy, path, base, fix);
            }
        }
    }
}

fn check_off_eci(ctx: &mut Ctx, t: &Target) {
    if t.on_eci {
        return;
    }
    let present: Vec<&str> = ACR_PULL_KEYS
        .iter()
        .copied()
        .filter(|k| t.original.contains_key(*k) || t.effective.contains_key(*k))
        .collect();
    if present.is_empty() {
        return;
    }
    ctx.report(
        RuleId::AnnotationsOffEci,
        format!("{}/annotations", t.meta_path),
        format!(
            "the {} carries {} but nothing sends its pods to ECI (no alibabacloud.com/eci label, virtual-kubelet nodeSelector, affinity or nodeName), and pods on ordinary nodes ignore these annotations",
            t.kind,
            present.join(", ")
        ),
        "schedule the pods onto ECI (label alibabacloud.com/eci: \"true\" or nodeSelector type: virtual-kubelet), list the namespace in eciScope.namespaces, or drop the annotations".to_owned(),
    );
}

/// The instance-id annotation in use: (key, parsed list).
struct InstanceIds {
    key: &'static str,
    list: grammar::InstanceIdList,
    /// Every token parsed and no separator problem: safe to rewrite.
    clean: bool,
}

impl InstanceIds {
    fn ids(&self) -> impl Iterator<Item = &grammar::InstanceToken> {
        self.list.tokens.iter().filter_map(|t| t.as_ref().ok())
    }
}

fn check_instance_ids(ctx: &mut Ctx, t: &Target) -> Option<InstanceIds> {
    let key = if t.effective.contains_key(INSTANCE_IDS) {
        INSTANCE_IDS
    } else if t.effective.contains_key(INSTANCE_ID_LEGACY) {
        INSTANCE_ID_LEGACY
    } else {
        return None;
    };
    let value = t.effective.get(key).cloned().unwrap_or_default();
    let path = value_path(t, key);
    let list = grammar::parse_instance_ids(&value);
    // A template expression or masked value is one finding, not one per fragment.
    let placeholder = grammar::looks_like_placeholder(&value);
    if placeholder {
        ctx.report_placeholder(key, &value, path.clone(), format!("replace it with your real instance id (ACR console, instance details: cri-...) in {}", t.meta_dots),
        );
    } else if value.trim().is_empty() {
        ctx.report(
            RuleId::InstanceIdInvalid,
            path.clone(),
            format!("{key} is empty"),
            format!("list the instance ids in {key}, or remove the annotation"),
        );
    }
    let fix_format = format!(
        "write {key} as comma-separated ids, each cri- plus 16 lower-case letters or digits, with a <region>: prefix for instances in another region (e.g. \"cn-beijing:cri-j36zhodptmyq1234\")"
    );
    if let Some(sep) = list.bad_separator.filter(|_| !placeholder) {
        ctx.report(
            RuleId::InstanceIdInvalid,
            path.clone(),
            format!(
                "{key} value {value:?} separates ids with {sep:?}; ECI splits the list on commas"
            ),
            fix_format.clone(),
        );
    }
    for token in list.tokens.iter().filter(|tok| !placeholder || tok.is_ok()) {
        match token {
            Ok(tok) => {
                if let Some(region) = tok.region.as_deref()
                    && !grammar::is_known_region(region) {
                        let hint = grammar::closest_region(region)
                            .map(|r| format!(" (did you mean {r}?)"))
                            .unwrap_or_default();
                        ctx.report(
                            RuleId::InstanceRegionUnknown,
                            path.clone(),
                            format!("{key} names region {region:?} for {}, which is not a known Alibaba Cloud region{hint}", tok.id),
                            format!("use the region id of the instance's region, e.g. cn-beijing:{}", tok.id),
                        );
                    }
            }
            Err((raw, TokenProblem::Empty)) => {
                let _ = raw;
                ctx.report(
                    RuleId::InstanceIdInvalid,
                    path.clone(),
                    if value.trim().is_empty() {
                        format!("{key} is empty")
                    } else {
                        format!("{key} value {value:?} has an empty entry (stray comma)")
                    },
                    fix_format.clone(),
                );
            }
            Err((raw, TokenProblem::Placeholder)) => ctx.report(
                RuleId::PlaceholderValue,
                path.clone(),
                format!("{key} contains {raw:?}, a masked or template value copied from the documentation"),
                format!("replace it with your real instance id (ACR console, instance details: cri-...) in {}", t.meta_dots),
            ),
            Err((raw, TokenProblem::BadRegion(region))) => ctx.report(
                RuleId::InstanceIdInvalid,
                path.clone(),
                format!("{key} entry {raw:?} has region prefix {region:?}, which is not a region id"),
                fix_format.clone(),
            ),
            Err((raw, TokenProblem::BadId(id))) => {
                let hint = if id.starts_with("crpi-") {
                    " (crpi- ids are Personal Edition instances, which need no acr-instance-ids)"
                } else if id.to_ascii_lowercase() != *id && grammar::is_cri_id(&id.to_ascii_lowercase()) {
                    " (instance ids are lower-case)"
                } else {
                    ""
                };
                ctx.report(
                    RuleId::InstanceIdInvalid,
                    path.clone(),
                    format!("{key} entry {raw:?} is not an ACR Enterprise Edition instance id{hint}"),
                    fix_format.clone(),
                );
            }
        }
    }
    for dup in list.duplicates.iter().filter(|_| !placeholder) {
        ctx.report(
            RuleId::InstanceIdInvalid,
            path.clone(),
            format!("{key} lists {dup} more than once"),
            format!("list each instance once in {key}"),
        );
    }
    let clean = !placeholder
        && !value.trim().is_empty()
        && list.bad_separator.is_none()
        && list.duplicates.is_empty()
        && list.tokens.iter().all(Result::is_ok);
    // Access control on the listed instances.
    if let Some(entry) = ctx.settings.access_for(access_namespace(t)) {
        for tok in list.tokens.iter().filter_map(|x| x.as_ref().ok()) {
            let allowed = entry.is_some_and(|e| {
                e.instance_ids
                    .iter()
                    .any(|p| grammar::glob_match(p, &tok.id))
            });
            if !allowed {
                ctx.report(
                    RuleId::InstanceNotAllowed,
                    path.clone(),
                    format!("{key} lists ACR instance {}, which {} may not use ({})", tok.id, subject(t), access_detail(entry.map(|e| &e.instance_ids))),
                    "remove the instance from the annotation, or ask the platform team to allow it in the policy's access settings".to_owned(),
                );
            }
        }
    }
    Some(InstanceIds { key, list, clean })
}

fn access_namespace<'a>(t: &'a Target) -> &'a str {
    if t.shape == Shape::ImageCache {
        "*"
    } else {
        &t.namespace
    }
}

fn subject(t: &Target) -> String {
    if t.shape == Shape::ImageCache {
        "cluster-scoped ImageCache objects (access entry \"*\")".to_owned()
    } else {
        format!("namespace {:?}", t.namespace)
    }
}

fn access_detail(allowed: Option<&Vec<String>>) -> String {
    match allowed {
        None => "no access entry matches, so it may use none".to_owned(),
        Some(list) if list.is_empty() => "its access entry allows none".to_owned(),
        Some(list) => format!("allowed: {}", list.join(", ")),
    }
}

fn check_arns(ctx: &mut Ctx, t: &Target) {
    let mut parsed: Vec<(&'static str, Option<grammar::RoleArn>)> = Vec::new();
    for key in [SERVICE_ARNS, USER_ARNS] {
        let Some(value) = t.effective.get(key) else {
            continue;
        };
        let path = value_path(t, key);
        let fix = format!(
            "set {key} to exactly one role ARN, acs:ram::<16-digit account id>:role/<role name>"
        );
        match grammar::parse_role_arn(value) {
            Ok((arn, underscore)) => {
                if underscore {
                    ctx.report_soft(
                        RuleId::RoleArnInvalid,
                        path.clone(),
                        format!("{key} role name {:?} contains '_', which RAM's CreateRole API does not accept (only letters, digits, '.' and '-')", arn.role),
                        "check that the role really exists under this name in the RAM console".to_owned(),
                    );
                }
                parsed.push((key, Some(arn)));
            }
            Err(problem) => {
                match problem {
                    ArnProblem::Empty => {
                        ctx.report(RuleId::RoleArnInvalid, path, format!("{key} is empty"), fix)
                    }
                    ArnProblem::Placeholder => ctx.report_placeholder(
                        key,
                        value,
                        path,
                        format!(
                            "replace it with the real role ARN (RAM console, role details) in {}",
                            t.meta_dots
                        ),
                    ),
                    ArnProblem::Multiple(n) => ctx.report(
                        RuleId::RoleArnInvalid,
                        path,
                        format!("{key} lists {n} ARNs; ECI takes exactly one role per key"),
                        fix,
                    ),
                    ArnProblem::Malformed(reason) => ctx.report(
                        RuleId::RoleArnInvalid,
                        path,
                        format!("{key} value {value:?} is not a RAM role ARN: {reason}"),
                        fix,
                    ),
                }
                parsed.push((key, None));
            }
        }
    }
    let get = |k: &str| {
        parsed
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, a)| a.as_ref())
    };
    let service = get(SERVICE_ARNS);
    let user = get(USER_ARNS);
    if user.is_some() && service.is_none() {
        ctx.report(
            RuleId::UserArnWithoutServiceArn,
            value_path(t, USER_ARNS),
            format!("{USER_ARNS} is set but {SERVICE_ARNS} is missing: a cross-account pull needs the role in the ECI account ({SERVICE_ARNS}) that assumes the role in the registry's account ({USER_ARNS})"),
            format!("add {SERVICE_ARNS}: \"acs:ram::<ECI account id>:role/<role name>\" to {}", t.meta_dots),
        );
    }
    if let (Some(Some(s)), Some(Some(u))) = (service, user)
        && s.account == u.account
    {
        ctx.report(
                RuleId::CrossAccountSameAccount,
                value_path(t, USER_ARNS),
                format!("{SERVICE_ARNS} and {USER_ARNS} are both in account {}; the user role is only for pulling from another account's registry", s.account),
                format!("for a same-account pull drop {USER_ARNS}; for a cross-account pull use the role in the registry owner's account"),
            );
    }
    if let (Some(Some(s)), Some(account)) = (service, ctx.settings.account_id.as_deref())
        && s.account != account
    {
        ctx.report(
                RuleId::ServiceArnWrongAccount,
                value_path(t, SERVICE_ARNS),
                format!("{SERVICE_ARNS} names a role in account {}, but ECI runs in account {account} and can only assume roles of its own account", s.account),
                format!("use a role of account {account} in {SERVICE_ARNS}; put the registry account's role in {USER_ARNS}"),
            );
    }
    // Access control on the roles.
    if let Some(entry) = ctx.settings.access_for(access_namespace(t)) {
        for (key, arn) in &parsed {
            let Some(arn) = arn else { continue };
            let text = format!("acs:ram::{}:role/{}", arn.account, arn.role);
            let list = entry.map(|e| {
                if *key == SERVICE_ARNS {
                    &e.service_role_arns
                } else {
                    &e.user_role_arns
                }
            });
            let allowed = list.is_some_and(|l| l.iter().any(|p| grammar::glob_match(p, &text)));
            if !allowed {
                ctx.report(
                    RuleId::RoleNotAllowed,
                    value_path(t, key),
                    format!("{key} names {text}, which {} may not assume ({})", subject(t), access_detail(list)),
                    "use a role allowed for this namespace, or ask the platform team to allow it in the policy's access settings".to_owned(),
                );
            }
        }
    }
}

fn check_registry_lists(ctx: &mut Ctx, t: &Target) {
    let domains = &ctx.settings.custom_domains;
    for key in [keys::PLAIN_HTTP_REGISTRY, keys::INSECURE_REGISTRY] {
        let Some(value) = t.effective.get(key) else {
            continue;
        };
        let path = value_path(t, key);
        if grammar::looks_like_placeholder(value) {
            ctx.report_placeholder(
                key,
                value,
                path,
                format!("list your registry addresses (host[:port]) in {key}"),
            );
            continue;
        }
        let (entries, problems) = grammar::parse_registry_list(value);
        for (item, reason) in problems {
            ctx.report(
                RuleId::RegistryListInvalid,
                path.clone(),
                format!("{key} entry {item:?} is not host[:port]: {reason}"),
                format!("write {key} as comma-separated host[:port] entries, e.g. \"harbor.example.com:5000,10.0.0.8\""),
            );
        }
        for entry in entries {
            let registry = match entry.port {
                Some(p) => format!("{}:{p}", entry.host),
                None => entry.host.clone(),
            };
            let host = acr::classify(&registry, domains);
            if host.is_acr() {
                ctx.report(
                    RuleId::AcrHostInsecureListed,
                    path.clone(),
                    format!("{key} lists {registry}, an {}; ACR serves valid TLS and listing it weakens every pull from it", host.describe()),
                    format!("remove {registry} from {key}"),
                );
            }
        }
    }
}

fn check_imc_ids(ctx: &mut Ctx, t: &Target) {
    if t.shape == Shape::ImageCache {
        return;
    }
    for key in [keys::IMC_ID, keys::IMAGE_SNAPSHOT_ID] {
        let Some(value) = t.effective.get(key) else {
            continue;
        };
        let path = value_path(t, key);
        if grammar::looks_like_placeholder(value) {
            ctx.report_placeholder(
                key,
                value,
                path,
                format!("put the id of a Ready image cache (kubectl get imagecache) in {key}"),
            );
            continue;
        }
        let ok = value.strip_prefix("imc-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !ok {
            ctx.report(
                RuleId::ImcIdInvalid,
                path,
                format!("{key} value {value:?} is not an image cache id (imc- followed by lower-case letters and digits); a pod pinned to a missing cache fails to start"),
                format!("put the status.imageCacheId of a Ready ImageCache (imc-...) in {key}, or remove it to let ECI match a cache automatically"),
            );
        }
    }
}

fn check_imagecache_spec(ctx: &mut Ctx, t: &Target) {
    let spec = t.spec;
    let images = spec.and_then(|s| s.images.as_ref());
    match images {
        None => ctx.report(
            RuleId::ImagecacheImagesInvalid,
            "/spec/images".into(),
            "the ImageCache has no spec.images; it needs at least one image to cache".into(),
            "list the images to cache in spec.images".into(),
        ),
        Some(list) if list.is_empty() => ctx.report(
            RuleId::ImagecacheImagesInvalid,
            "/spec/images".into(),
            "the ImageCache's spec.images is empty; it needs at least one image to cache".into(),
            "list the images to cache in spec.images".into(),
        ),
        Some(list) if list.len() > IMAGECACHE_MAX_IMAGES => ctx.report_soft(
            RuleId::ImagecacheImagesInvalid,
            "/spec/images".into(),
            format!("the ImageCache lists {} images; ECI creates caches of at most {IMAGECACHE_MAX_IMAGES}", list.len()),
            "split the images over several ImageCache objects".into(),
        ),
        Some(_) => {}
    }
    let range_check = |ctx: &mut Ctx,
                       rule: RuleId,
                       field: &str,
                       value: Option<&Scalar>,
                       lo: i128,
                       hi: i128,
                       unit: &str| {
        let Some(v) = value else { return };
        if v.as_int().is_some_and(|n| (lo..=hi).contains(&n)) {
            return;
        }
        ctx.report(
            rule,
            format!("/spec/{field}"),
            format!("the ImageCache's spec.{field} is {v}; it must be an integer from {lo} to {hi} ({unit})"),
            format!("set spec.{field} to an integer between {lo} and {hi}, or remove it for the default"),
        );
    };
    range_check(
        ctx,
        RuleId::ImagecacheSizeInvalid,
        "imageCacheSize",
        spec.and_then(|s| s.image_cache_size.as_ref()),
        20,
        32768,
        "GiB",
    );
    range_check(
        ctx,
        RuleId::ImagecacheRetentionInvalid,
        "retentionDays",
        spec.and_then(|s| s.retention_days.as_ref()),
        1,
        65536,
        "days",
    );
    for (i, secret) in spec
        .and_then(|s| s.image_pull_secrets.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("/spec/imagePullSecrets/{i}");
        let fix = "write each ImageCache pull secret as \"<namespace>:<secret name>\", e.g. \"default:harbor-pull\"".to_owned();
        match secret {
            SecretRef::Text(text) => {
                let ok = text
                    .split_once(':')
                    .is_some_and(|(ns, name)| grammar::is_dns1123_label(ns) && grammar::is_dns1123_subdomain(name));
                if !ok {
                    ctx.report(
                        RuleId::ImagecacheSecretRefInvalid,
                        path,
                        format!("ImageCache pull secret {text:?} is not \"<namespace>:<secret name>\""),
                        fix,
                    );
                }
            }
            SecretRef::Named(name) => ctx.report(
                RuleId::ImagecacheSecretRefInvalid,
                path,
                match name {
                    Some(name) => format!(
                        "ImageCache pull secret {{name: {name:?}}} uses the pod form; ImageCache takes \"<namespace>:<secret name>\" strings"
                    ),
                    None => "ImageCache pull secret is a mapping, not a \"<namespace>:<secret name>\" string (in YAML an unquoted namespace:name becomes a mapping; quote it)".to_owned(),
                },
                fix,
            ),
        }
    }
}

fn parse_images<'a>(ctx: &mut Ctx, shape: Shape, sites: &'a [ImageSite]) -> Vec<ParsedImage<'a>> {
    let domains = &ctx.settings.custom_domains;
    let invalid_rule = if shape == Shape::ImageCache {
        RuleId::ImagecacheImagesInvalid
    } else {
        RuleId::ImageInvalid
    };
    let mut out = Vec::new();
    for site in sites {
        let raw = site.image.as_deref().unwrap_or("");
        if raw.is_empty() {
            ctx.report(
                invalid_rule,
                site.path.clone(),
                format!("{} has no image", site.who),
                "set the image, e.g. registry.cn-hangzhou.aliyuncs.com/<namespace>/<repo>:<tag>"
                    .into(),
            );
            continue;
        }
        if grammar::looks_like_placeholder(raw) {
            ctx.report(
                RuleId::PlaceholderValue,
                site.path.clone(),
                format!(
                    "{} image {raw:?} is a masked or template value copied from the documentation",
                    site.who
                ),
                "replace it with the real image address (ACR console, repository details)".into(),
            );
            continue;
        }
        match ImageRef::parse(raw) {
            Ok(image) => {
                let host = acr::classify(&image.registry(), domains);
                out.push(ParsedImage { site, raw, image, host });
            }
            Err(e) => ctx.report(
                invalid_rule,
                site.path.clone(),
                format!("{} image {raw:?} is not a valid image reference: {}", site.who, e.reason),
                "write the image as [registry/]namespace/repository[:tag][@digest], with a lower-case repository path".into(),
            ),
        }
    }
    out
}

fn anonymous(settings: &Settings, img: &ParsedImage) -> bool {
    let name = img.image.name();
    let full = img.image.to_string();
    settings.anonymous_images.iter().any(|p| {
        let p = p.trim();
        grammar::glob_match(p, img.raw)
            || grammar::glob_match(p, &name)
            || grammar::glob_match(p, &full)
    })
}

fn pull_secret_names(t: &Target) -> Vec<String> {
    t.spec
        .and_then(|s| s.image_pull_secrets.as_ref())
        .into_iter()
        .flatten()
        .map(|s| s.as_str().to_owned())
        .collect()
}

fn check_images(ctx: &mut Ctx, t: &Target, parsed: &[ParsedImage]) {
    let secrets = pull_secret_names(t);
    let cluster_region = ctx.settings.cluster_region.clone();
    for img in parsed {
        match &img.host {
            AcrHost::NotAcr
                if secrets.is_empty() && !anonymous(ctx.settings, img) => {
                    ctx.report(
                        RuleId::ExternalImageWithoutSecret,
                        img.site.path.clone(),
                        format!(
                            "{} pulls {} from {}, which is not an ACR registry, and the {} has no imagePullSecrets: ECI's secret-free pull cannot authenticate there",
                            img.site.who,
                            img.raw,
                            img.image.registry(),
                            if t.shape == Shape::ImageCache { "ImageCache" } else { "pod" }
                        ),
                        format!(
                            "add imagePullSecrets for {}, or, if the image is public, list it in the policy's anonymousImages",
                            img.image.registry()
                        ),
                    );
                }
            AcrHost::PersonalNew { network: Network::Public, .. } => ctx.report(
                RuleId::PersonalPublicEndpoint,
                img.site.path.clone(),
                format!(
                    "{} pulls {} through the public endpoint of a new Personal Edition instance ({}), which cannot be used to pull images",
                    img.site.who,
                    img.raw,
                    img.image.host
                ),
                format!("use the instance's VPC endpoint ({}) instead", vpc_variant(&img.image.host)),
            ),
            _ => {}
        }
        if let (Some(cluster), Some(Network::Vpc), Some(region)) = (
            cluster_region.as_deref(),
            img.host.network(),
            img.host.region(),
        ) && region != cluster
        {
            ctx.report(
                    RuleId::VpcEndpointOtherRegion,
                    img.site.path.clone(),
                    format!(
                        "{} pulls {} through a VPC endpoint in {region}, but the cluster runs in {cluster}; VPC endpoints resolve only inside VPCs of their own region",
                        img.site.who, img.raw
                    ),
                    format!("use the registry's endpoint for {cluster}, its public endpoint (with Internet egress), or connect the VPCs (CEN) and its DNS"),
                );
        }
    }
}

fn vpc_variant(host: &str) -> String {
    match host.split_once('.') {
        Some((first, rest)) => format!("{first}-vpc.{rest}"),
        None => host.to_owned(),
    }
}

/// custom-domain-missing-instance and instance-region-prefix-missing, which share one repair:
/// rewriting the instance-id list.
fn check_instance_mutations(
    ctx: &mut Ctx,
    t: &mut Target,
    parsed: &[ParsedImage],
    ids: Option<InstanceIds>,
) -> Vec<String> {
    let cluster_region = ctx.settings.cluster_region.clone();
    let key = ids.as_ref().map_or(INSTANCE_IDS, |i| i.key);
    let clean = ids.as_ref().is_none_or(|i| i.clean);
    let mut tokens: Vec<grammar::InstanceToken> = ids
        .as_ref()
        .map(|i| i.ids().cloned().collect())
        .unwrap_or_default();
    let mut changed = false;

    // Region prefixes of listed instances whose region the settings know.
    if let Some(cluster) = cluster_region.as_deref() {
        let path = value_path(t, key);
        for tok in tokens.iter_mut() {
            let Some(region) = ctx
                .settings
                .custom_domains
                .iter()
                .find(|d| d.instance_id == tok.id)
                .and_then(|d| d.region.clone())
            else {
                continue;
            };
            let want = if region == cluster {
                None
            } else {
                Some(region.clone())
            };
            let problem = match (&tok.region, &want) {
                (None, Some(r)) => format!(
                    "{key} lists {} without a region prefix, but that instance is in {r} and the cluster in {cluster}; ECI then looks for it in {cluster} and the pull fails",
                    tok.id
                ),
                (Some(p), Some(r)) if p != r => {
                    format!("{key} lists {p}:{} but that instance is in {r}", tok.id)
                }
                (Some(p), None) if p != cluster => format!(
                    "{key} lists {p}:{} but that instance is in {cluster}, the cluster's region",
                    tok.id
                ),
                _ => continue,
            };
            let written = match &want {
                Some(r) => format!("{r}:{}", tok.id),
                None => tok.id.clone(),
            };
            let fix = format!("write it as {written:?} in {key}");
            if clean && ctx.can_mutate(RuleId::InstanceRegionPrefixMissing) {
                tok.region = want;
                changed = true;
                ctx.report_mutated(
                    RuleId::InstanceRegionPrefixMissing,
                    path.clone(),
                    problem,
                    fix,
                );
            } else {
                ctx.report(
                    RuleId::InstanceRegionPrefixMissing,
                    path.clone(),
                    problem,
                    fix,
                );
            }
        }
    }

    // Images on custom domains need their instance listed.
    let cross_account = t.effective.contains_key(USER_ARNS);
    for img in parsed {
        let AcrHost::CustomDomain {
            instance_id,
            region,
            ..
        } = &img.host
        else {
            continue;
        };
        if tokens.iter().any(|tok| &tok.id == instance_id) {
            continue;
        }
        let written = match (region.as_deref(), cluster_region.as_deref()) {
            (Some(r), Some(c)) if r != c => format!("{r}:{instance_id}"),
            _ => instance_id.clone(),
        };
        let mut msg = format!(
            "{} pulls {} from custom domain {} (ACR instance {instance_id}) but {INSTANCE_IDS} does not list {instance_id}, so ECI cannot pull it secret-free",
            img.site.who,
            img.raw,
            img.image.registry()
        );
        if cross_account {
            msg.push_str(
                "; a cross-account pull through a custom domain needs all three annotations",
            );
        }
        let fix = match t.effective.get(key) {
            Some(v) => format!("add {written:?} to {key} (now {v:?}) in {}", t.meta_dots),
            None => format!("add {INSTANCE_IDS}: {written:?} to {}", t.meta_dots),
        };
        let path = format!("{}/annotations", t.meta_path);
        let allowed = match ctx.settings.access_for(access_namespace(t)) {
            None => true,
            Some(entry) => entry.is_some_and(|e| {
                e.instance_ids
                    .iter()
                    .any(|p| grammar::glob_match(p, instance_id))
            }),
        };
        if clean && allowed && ctx.can_mutate(RuleId::CustomDomainMissingInstance) {
            tokens.push(grammar::InstanceToken {
                region: written.split_once(':').map(|(r, _)| r.to_owned()),
                id: instance_id.clone(),
            });
            changed = true;
            ctx.report_mutated(RuleId::CustomDomainMissingInstance, path, msg, fix);
        } else {
            ctx.report(RuleId::CustomDomainMissingInstance, path, msg, fix);
        }
    }
    if changed {
        let value = tokens
            .iter()
            .map(|tok| match &tok.region {
                Some(r) => format!("{r}:{}", tok.id),
                None => tok.id.clone(),
            })
            .collect::<Vec<_>>()
            .join(",");
        t.effective.insert(key.to_owned(), value);
    }
    tokens.into_iter().map(|tok| tok.id).collect()
}

/// `listed`: the instance ids the pod ends up listing (after any repair).
fn check_pull_secrets(
    ctx: &mut Ctx,
    t: &Target,
    parsed: &[ParsedImage],
    image_count: usize,
    listed: &[String],
) {
    let secrets: Vec<String> = pull_secret_names(t)
        .into_iter()
        .filter(|s| !s.starts_with("acr-credential-"))
        .collect();
    if secrets.is_empty() || parsed.is_empty() || parsed.len() != image_count {
        return;
    }
    let secret_free = |img: &ParsedImage| match &img.host {
        AcrHost::PersonalLegacy { .. } | AcrHost::EnterpriseDefault { .. } => true,
        AcrHost::PersonalNew { network, .. } => *network != Network::Public,
        AcrHost::CustomDomain { instance_id, .. } => listed.contains(instance_id),
        AcrHost::NotAcr => anonymous(ctx.settings, img),
    };
    if parsed.iter().all(secret_free) {
        ctx.report(
            RuleId::PullSecretRedundant,
            format!("{}/imagePullSecrets", t.spec_path),
            format!(
                "every image of the {} can be pulled secret-free (ACR through ECI's RAM role, or anonymous), yet imagePullSecrets lists {}; stored registry passwords are what secret-free pulling avoids",
                t.kind,
                secrets.join(", ")
            ),
            "remove imagePullSecrets (and the Secret, if nothing else uses it)".into(),
        );
    }
}

/// The RFC 6902 patch that turns the object into the repaired one.
fn build_patch(t: &Target) -> Vec<PatchOp> {
    let mut ops: Vec<PatchOp> = t
        .removals
        .iter()
        .map(|p| PatchOp {
            op: PatchKind::Remove,
            path: p.clone(),
            value: None,
        })
        .collect();
    for key in t.original.keys() {
        if !t.effective.contains_key(key) {
            ops.push(PatchOp {
                op: PatchKind::Remove,
                path: ann_path(&t.meta_path, key),
                value: None,
            });
        }
    }
    let adds: Vec<(&String, &String)> = t
        .effective
        .iter()
        .filter(|(k, v)| t.original.get(*k) != Some(*v))
        .collect();
    if adds.is_empty() {
        return ops;
    }
    let as_map = || {
        Value::Object(
            adds.iter()
                .map(|(k, v)| ((*k).clone(), Value::String((*v).clone())))
                .collect(),
        )
    };
    if !t.meta_exists {
        let mut meta = serde_json::Map::new();
        meta.insert("annotations".into(), as_map());
        ops.push(PatchOp {
            op: PatchKind::Add,
            path: t.meta_path.clone(),
            value: Some(Value::Object(meta)),
        });
    } else if !t.ann_exists {
        ops.push(PatchOp {
            op: PatchKind::Add,
            path: format!("{}/annotations", t.meta_path),
            value: Some(as_map()),
        });
    } else {
        for (k, v) in adds {
            ops.push(PatchOp {
                op: PatchKind::Add,
                path: ann_path(&t.meta_path, k),
                value: Some(Value::String(v.clone())),
            });
        }
    }
    ops
}
