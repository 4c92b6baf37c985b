//! Context: what decides ECI scope outside the pod (DESIGN §11). Namespace labels and the
//! eci-profile selectors, read from the Kubernetes objects that hold them, and applied to one
//! workload: whether its pods run on ECI, and which annotations eci-profile injects into them.
//!
//! What each object means (sources: Alibaba Cloud's "Configure an eci-profile" and "Use
//! eci-profile to schedule pods to a VNode" pages, the open-source eci-profile component):
//!
//! - A Namespace labelled `alibabacloud.com/eci: "true"`: its pods run on ECI.
//! - The ConfigMap `kube-system/eci-profile` (ACK, ack-virtual-node): `data.selectors` is a JSON
//!   array, held in a string, of `{name, namespaceLabels, objectLabels, effect: {annotations,
//!   labels}}`; `""` or no `selectors` key means none. A pod a selector matches is scheduled to
//!   ECI and gets the selector's annotations and labels, except keys the pod already has (the
//!   ACK documentation: existing pod keys win). Assumption: when several selectors match, the
//!   first in the list applies (the documentation does not say).
//! - `Selector` resources (`eci.aliyun.com/v1` or `v1beta1`, cluster-scoped; the newer
//!   eci-profile component): the same fields under `spec`, plus `priority` (of the selectors
//!   that match, only the one with the highest priority applies, as in the component) and
//!   `policy`: `normalNodeOnly` keeps the pods on ordinary nodes and injects nothing; `fair`,
//!   `normalNodePrefer` and `virtualNodeOnly` (the default) let them run on ECI. The component's
//!   code overwrites pod keys with injected ones; the policy follows the ACK documentation
//!   (pod keys win) for both sources, so a pod's own value is what it judges.
//! - Label selectors: `matchLabels` and `matchExpressions` (`In`, `NotIn`, `Exists`,
//!   `DoesNotExist`), all ANDed; an absent selector matches every pod, an empty one too; one
//!   that does not parse matches none (the component fails on it).
//! - A pod labelled `alibabacloud.com/acs: "true"` runs on ACS, not ECI: context changes
//!   nothing for it.
//!
//! What is unknown stays unknown: a namespace the context does not list has no labels the
//! policy can see, and a selector with `namespaceLabels` matches no pod of such a namespace.
//! An empty [`Context`] changes no verdict.

#![forbid(unsafe_code)]

use crate::grammar::text::Quoted;
use crate::json::type_name;
use crate::model::StrMap;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The namespace label that sends every pod of the namespace to ECI.
pub const ECI_LABEL: &str = "alibabacloud.com/eci";
/// The pod label that sends a pod to ACS instead.
pub const ACS_LABEL: &str = "alibabacloud.com/acs";
/// Where ACK keeps the eci-profile.
pub const PROFILE_NAMESPACE: &str = "kube-system";
pub const PROFILE_NAME: &str = "eci-profile";
/// The API group of the newer component's `Selector` resources.
pub const SELECTOR_GROUP: &str = "eci.aliyun.com";

/// Whether `api_version` (`<group>/<version>`) is of the [`SELECTOR_GROUP`].
pub fn is_selector_group(api_version: &str) -> bool {
    api_version
        .strip_prefix(SELECTOR_GROUP)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// The most selectors one source may hold; more is refused (a real profile has a handful).
const MAX_SELECTORS: usize = 1024;

/// Namespace labels and eci-profile selectors: what the cluster says about where pods run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Labels by namespace name, sorted by name (see [`Named`]).
    namespaces: Named<StrMap<'static>>,
    /// The ConfigMap's selectors, in order (`None`: no eci-profile ConfigMap seen).
    profile: Option<Vec<EciSelector>>,
    /// `Selector` resources by name (`None`: none seen).
    resources: Option<Named<EciSelector>>,
}

/// Values by name, sorted by name, each name once: a map on a sorted list (a map type would
/// add its own code; lookups are binary searches all the same).
#[derive(Debug, Clone, PartialEq)]
struct Named<T>(Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| n.as_str().cmp(name))
    }

    fn get(&self, name: &str) -> Option<&T> {
        self.find(name)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Set `name`'s value, replacing an earlier one.
    fn insert(&mut self, name: &str, value: T) {
        match self.find(name) {
            Ok(i) => {
                if let Some(slot) = self.0.get_mut(i) {
                    slot.1 = value;
                }
            }
            Err(i) => self.0.insert(i, (name.to_owned(), value)),
        }
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values, in name order.
    fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|(_, v)| v)
    }
}

/// What [`Context::add_object`] did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A Namespace's labels.
    Namespace,
    /// The eci-profile ConfigMap's selectors.
    Profile,
    /// A `Selector` resource.
    Selector,
    /// A ConfigMap other than `kube-system/eci-profile`: nothing in it decides ECI scope.
    Ignored,
}

/// Why an object cannot be read as context: what, where and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError(pub String);

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ContextError {}

/// One eci-profile selector, from either source.
#[derive(Debug, Clone, PartialEq)]
struct EciSelector {
    name: String,
    priority: i64,
    namespace_labels: Option<LabelSelector>,
    object_labels: Option<LabelSelector>,
    annotations: StrMap<'static>,
    /// `false` for `policy: {normalNodeOnly: {}}`: the pods stay on ordinary nodes.
    sends_to_eci: bool,
}

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`, ANDed).
#[derive(Debug, Clone, PartialEq, Default)]
struct LabelSelector {
    match_labels: StrMap<'static>,
    expressions: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Operator,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelector {
    fn matches(&self, labels: &StrMap<'_>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k.as_ref()).map(AsRef::as_ref) == Some(v.as_ref()))
            && self.expressions.iter().all(|r| {
                let value = labels.get(r.key.as_str()).map(AsRef::<str>::as_ref);
                let listed = |v: &str| r.values.iter().any(|x| x == v);
                match r.op {
                    Operator::In => value.is_some_and(listed),
                    Operator::NotIn => value.is_none_or(|v| !listed(v)),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            })
    }
}

/// Why the pods of a workload run on ECI, from context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The namespace carries `alibabacloud.com/eci: "true"`.
    NamespaceLabel(String),
    /// An eci-profile selector (by name) matches the pods.
    Selector(String),
}

/// What the context says about one workload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Why the pods run on ECI (`None`: the context does not send them there).
    pub on_eci: Option<Route>,
    /// Annotations the matching selectors inject that the pod does not carry.
    pub injected: StrMap<'static>,
    /// The selector that injects them (for messages).
    pub injected_by: Option<String>,
    /// The context lists the namespace (its labels are known).
    pub namespace_known: bool,
    /// The context holds an eci-profile (ConfigMap or Selector resources).
    pub profile_known: bool,
}

impl Context {
    /// An empty context: evaluation is exactly as without one.
    pub fn new() -> Context {
        Context::default()
    }

    /// Whether the context holds nothing.
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && self.profile.is_none() && self.resources.is_none()
    }

    /// Whether the context lists namespace `name`.
    pub fn knows_namespace(&self, name: &str) -> bool {
        self.namespaces.contains_key(name)
    }

    /// Whether the context holds an eci-profile: the ConfigMap or `Selector` resources.
    pub fn has_profile(&self) -> bool {
        self.profile.is_some() || self.resources.is_some()
    }

    /// Whether any selector needs namespace labels to decide (`namespaceLabels`).
    pub fn selectors_read_namespace_labels(&self) -> bool {
        self.selectors().any(|s| s.namespace_labels.is_some())
    }

    /// Record a namespace's labels (replacing any earlier ones).
    pub fn add_namespace(&mut self, name: &str, labels: StrMap<'static>) {
        self.namespaces.insert(name, labels);
    }

    /// Read one Kubernetes object: a `Namespace`, the `kube-system/eci-profile` ConfigMap or
    /// an `eci.aliyun.com` `Selector`. Other ConfigMaps are ignored ([`Added::Ignored`]); any
    /// other kind is an error (it says nothing about scope, so the input is likely the wrong
    /// file). A later object replaces an earlier one of the same name.
    pub fn add_object(&mut self, object: &Value) -> Result<Added, ContextError> {
        let Some(map) = object.as_object() else {
            return Err(ContextError(format!(
                "expected a Kubernetes object (a mapping), found {}",
                type_name(object)
            )));
        };
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        match kind {
            "Namespace" | "ConfigMap" => self.add_scope_object(kind == "Namespace", map),
            "Selector" if is_selector_group(api_version) => {
                let name = object_name(map);
                if name.is_empty() {
                    return Err(ContextError(
                        "a Selector without metadata.name: give it its name".into(),
                    ));
                }
                let what = format!("Selector {name:?}", name = Quoted(name));
                let spec = match map.get("spec") {
                    None | Some(Value::Null) => &Map::new(),
                    Some(Value::Object(spec)) => spec,
                    Some(other) => {
                        return Err(ContextError(format!(
                            "{what} spec is {}, not a mapping",
                            type_name(other)
                        )));
                    }
                };
                let selector = selector_from(name, spec, &what)?;
                let resources = self.resources.get_or_insert_with(Named::default);
                if resources.len() >= MAX_SELECTORS && !resources.contains_key(name) {
                    return Err(ContextError(format!(
                        "more than {MAX_SELECTORS} Selector resources: no eci-profile needs that many"
                    )));
                }
                resources.insert(name, selector);
                Ok(Added::Selector)
            }
            "" => Err(ContextError(
                "an object without kind: context holds Namespaces (kubectl get namespaces -o yaml), the ConfigMap kube-system/eci-profile and eci.aliyun.com Selectors".into(),
            )),
            other => Err(ContextError(format!(
                "a {other} ({api_version}) is not context: context holds Namespaces (kubectl get namespaces -o yaml), the ConfigMap kube-system/eci-profile (kubectl get configmap eci-profile -n kube-system -o yaml) and eci.aliyun.com Selectors (kubectl get selectors -o yaml)"
            ))),
        }
    }

    /// A Namespace (`namespace`) or a ConfigMap, as [`Context::add_object`] reads it: what a
    /// Kubewarden host answers the lookups of a request with (no other kind, so the module
    /// carries no more of [`Context::add_object`] than this).
    pub(crate) fn add_scope_object(
        &mut self,
        namespace: bool,
        map: &Map<String, Value>,
    ) -> Result<Added, ContextError> {
        let meta = map.get("metadata");
        let name = object_name(map);
        if namespace {
            if name.is_empty() {
                return Err(ContextError(
                    "a Namespace without metadata.name: give it the namespace's name".into(),
                ));
            }
            let labels = string_map(
                meta.and_then(|m| m.get("labels")),
                &format!("Namespace {name:?} metadata.labels", name = Quoted(name)),
            )?;
            self.add_namespace(name, labels);
            return Ok(Added::Namespace);
        }
        let in_namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or(PROFILE_NAMESPACE);
        if name != PROFILE_NAME || in_namespace != PROFILE_NAMESPACE {
            return Ok(Added::Ignored);
        }
        let selectors = profile_selectors(map.get("data"))?;
        self.profile = Some(selectors);
        Ok(Added::Profile)
    }

    /// Every selector: the ConfigMap's, then the resources'.
    fn selectors(&self) -> impl Iterator<Item = &EciSelector> {
        self.profile
            .iter()
            .flatten()
            .chain(self.resources.iter().flat_map(|r| r.values()))
    }

    /// What the context says about pods with `labels` and `annotations` in `namespace`.
    pub fn apply(&self, namespace: &str, labels: &StrMap<'_>, annotations: &StrMap<'_>) -> Applied {
        let namespace_labels = self.namespaces.get(namespace);
        let mut applied = Applied {
            namespace_known: namespace_labels.is_some(),
            profile_known: self.has_profile(),
            ..Applied::default()
        };
        if labels.get(ACS_LABEL).is_some_and(|v| v == "true") {
            return applied;
        }
        if namespace_labels.is_some_and(|l| l.get(ECI_LABEL).is_some_and(|v| v == "true")) {
            applied.on_eci = Some(Route::NamespaceLabel(namespace.to_owned()));
        }
        let matches = |s: &&EciSelector| {
            s.object_labels
                .as_ref()
                .is_none_or(|sel| sel.matches(labels))
                && match &s.namespace_labels {
                    None => true,
                    // A namespace the context does not list: its labels are unknown.
                    Some(sel) => namespace_labels.is_some_and(|l| sel.matches(l)),
                }
        };
        // The ConfigMap: the first selector that matches. The resources: the one with the
        // highest priority (then the first by name).
        let from_profile = self.profile.iter().flatten().find(matches);
        let from_resources = self
            .resources
            .iter()
            .flat_map(|r| r.values())
            .filter(matches)
            .fold(None::<&EciSelector>, |best, s| match best {
                Some(b) if b.priority >= s.priority => Some(b),
                _ => Some(s),
            });
        for selector in [from_profile, from_resources].into_iter().flatten() {
            if !selector.sends_to_eci {
                continue;
            }
            if applied.on_eci.is_none() {
                applied.on_eci = Some(Route::Selector(selector.name.clone()));
            }
            for (key, value) in &selector.annotations {
                if !annotations.contains_key(key) && !applied.injected.contains_key(key) {
                    applied.injected.insert(key.clone(), value.clone());
                    applied
                        .injected_by
                        .get_or_insert_with(|| selector.name.clone());
                }
            }
        }
        applied
    }
}

/// An object's `metadata.name` (empty when it has none).
fn object_name(map: &Map<String, Value>) -> &str {
    map.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A map of strings (labels, annotations); absent or null is empty.
fn string_map(value: Option<&Value>, what: &str) -> Result<StrMap<'static>, ContextError> {
    match value {
        None | Some(Value::Null) => Ok(StrMap::new()),
        Some(Value::Object(map)) => {
            // Inserted one by one: collecting into a map would sort first (more code).
            let mut out = StrMap::new();
            for (k, v) in map {
                match v {
                    Value::String(s) => {
                        out.insert(Cow::Owned(k.clone()), Cow::Owned(s.clone()));
                    }
                    other => {
                        return Err(ContextError(format!(
                            "{what}: the value of {k:?} is {}; label and annotation values are strings (quote it)",
                            type_name(other),
                            k = Quoted(k)
                        )));
                    }
                }
            }
            Ok(out)
        }
        Some(other) => Err(ContextError(format!(
            "{what} is {}, not a mapping of strings",
            type_name(other)
        ))),
    }
}

fn label_selector(
    value: Option<&Value>,
    what: &str,
) -> Result<Option<LabelSelector>, ContextError> {
    let map = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(ContextError(format!(
                "{what} is {}, not a label selector ({{matchLabels: {{...}}, matchExpressions: [...]}})",
                type_name(other)
            )));
        }
    };
    let match_labels = string_map(map.get("matchLabels"), &format!("{what}.matchLabels"))?;
    let mut expressions = Vec::new();
    match map.get("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("{what}.matchExpressions[{i}]");
                let key = item.get("key").and_then(Value::as_str).ok_or_else(|| {
                    ContextError(format!("{at} has no key: name the label it tests"))
                })?;
                let op = match item.get("operator").and_then(Value::as_str) {
                    Some("In") => Operator::In,
                    Some("NotIn") => Operator::NotIn,
                    Some("Exists") => Operator::Exists,
                    Some("DoesNotExist") => Operator::DoesNotExist,
                    other => {
                        return Err(ContextError(format!(
                            "{at} has operator {}: use In, NotIn, Exists or DoesNotExist",
                            other.map_or("(none)".to_owned(), |o| format!("{o:?}", o = Quoted(o)))
                        )));
                    }
                };
                let values = match item.get("values") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(vs)) => vs
                        .iter()
                        .map(|v| {
                            v.as_str().map(str::to_owned).ok_or_else(|| {
                                ContextError(format!(
                                    "{at}.values holds {}; values are strings",
                                    type_name(v)
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    Some(other) => {
                        return Err(ContextError(format!(
                            "{at}.values is {}, not a list of strings",
                            type_name(other)
                        )));
                    }
                };
                let wants_values = matches!(op, Operator::In | Operator::NotIn);
                if wants_values == values.is_empty() {
                    return Err(ContextError(format!(
                        "{at}: In and NotIn need values, Exists and DoesNotExist take none"
                    )));
                }
                expressions.push(Requirement {
                    key: key.to_owned(),
                    op,
                    values,
                });
            }
        }
        Some(other) => {
            return Err(ContextError(format!(
                "{what}.matchExpressions is {}, not a list",
                type_name(other)
            )));
        }
    }
    Ok(Some(LabelSelector {
        match_labels,
        expressions,
    }))
}

/// One selector from its fields (a ConfigMap entry, or a resource's `spec`).
fn selector_from(
    name: &str,
    fields: &Map<String, Value>,
    what: &str,
) -> Result<EciSelector, ContextError> {
    let namespace_labels = label_selector(
        fields.get("namespaceLabels"),
        &format!("{what} namespaceLabels"),
    )?;
    let object_labels =
        label_selector(fields.get("objectLabels"), &format!("{what} objectLabels"))?;
    let effect = fields.get("effect");
    let annotations = string_map(
        effect.and_then(|e| e.get("annotations")),
        &format!("{what} effect.annotations"),
    )?;
    // Checked for shape only: injected labels decide nothing the policy judges.
    string_map(
        effect.and_then(|e| e.get("labels")),
        &format!("{what} effect.labels"),
    )?;
    let priority = match fields.get("priority") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().ok_or_else(|| {
            ContextError(format!(
                "{what} priority is {}, not an integer",
                type_name(v)
            ))
        })?,
    };
    let policy = fields.get("policy");
    // The component picks the first of fair, virtualNodeOnly, normalNodeOnly, normalNodePrefer
    // that is set; none set means virtualNodeOnly.
    let set = |k: &str| policy.and_then(|p| p.get(k)).is_some_and(|v| !v.is_null());
    let sends_to_eci = set("fair") || set("virtualNodeOnly") || !set("normalNodeOnly");
    Ok(EciSelector {
        name: name.to_owned(),
        priority,
        namespace_labels,
        object_labels,
        annotations,
        sends_to_eci,
    })
}

/// The selectors of the eci-profile ConfigMap's `data`.
fn profile_selectors(data: Option<&Value>) -> Result<Vec<EciSelector>, ContextError> {
    const WHAT: &str = "ConfigMap kube-system/eci-profile";
    let text = match data.and_then(|d| d.get("selectors")) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) => s.trim(),
        Some(other) => {
            return Err(ContextError(format!(
                "{WHAT} data.selectors is {}; ConfigMap data values are strings (the selectors are a JSON array in a string)",
                type_name(other)
            )));
        }
    };
    if text.is_empty() {
        return Ok(Vec::new());
    }
    if crate::json::nesting_exceeds(text.as_bytes(), crate::MAX_DEPTH).is_some() {
        return Err(ContextError(format!(
            "{WHAT} data.selectors nests deeper than {} levels; no selector needs that",
            crate::MAX_DEPTH
        )));
    }
    let items = match crate::json::tree::from_str(text) {
        Ok(Value::Array(items)) => items,
        Ok(other) => {
            return Err(ContextError(format!(
                "{WHAT} data.selectors is {}; it must be a JSON array of selectors ([{{\"name\": ..., \"objectLabels\": ..., \"effect\": ...}}])",
                type_name(&other)
            )));
        }
        Err(e) => {
            return Err(ContextError(format!(
                "{WHAT} data.selectors is not valid JSON ({e}); eci-profile ignores such a change, so fix the JSON array"
            )));
        }
    };
    if items.len() > MAX_SELECTORS {
        return Err(ContextError(format!(
            "{WHAT} data.selectors lists {} selectors, more than {MAX_SELECTORS}",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(fields) = item else {
                return Err(ContextError(format!(
                    "{WHAT} data.selectors[{i}] is {}, not a selector object",
                    type_name(item)
                )));
            };
            let name = fields
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{i}"), str::to_owned);
            selector_from(&name, fields, &format!("{WHAT} data.selectors[{i}]"))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_selector_group_is_the_api_version_before_its_slash() {
        assert!(is_selector_group("eci.aliyun.com/v1"));
        assert!(is_selector_group("eci.aliyun.com/v1alpha1"));
        for other in [
            "eci.aliyun.com",
            "eci.aliyun.comx/v1",
            "x.eci.aliyun.com/v1",
            "v1",
            "",
        ] {
            assert!(!is_selector_group(other), "{other}");
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> StrMap<'static> {
        pairs
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), Cow::Owned((*v).to_owned())))
            .collect()
    }

    fn profile(selectors: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "eci-profile", "namespace": "kube-system"},
               "data": {"vpcId": "vpc-x", "selectors": selectors}})
    }

    #[test]
    fn empty_context_sends_nothing_anywhere() {
        let ctx = Context::new();
        assert!(ctx.is_empty());
        let applied = ctx.apply("shop", &labels(&[("app", "web")]), &StrMap::new());
        assert_eq!(applied, Applied::default());
    }

    #[test]
    fn namespace_label_sends_pods_to_eci_but_not_acs_pods() {
        let mut ctx = Context::new();
        let ns = json!({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": "shop", "labels": {"alibabacloud.com/eci": "true"}}});
        assert_eq!(ctx.add_object(&ns).unwrap(), Added::Namespace);
        let applied = ctx.apply("shop", &StrMap::new(), &StrMap::new());
        assert_eq!(applied.on_eci, Some(Route::NamespaceLabel("shop".into())));
        assert!(applied.namespace_known && !applied.profile_known);
        let acs = ctx.apply("shop", &labels(&[(ACS_LABEL, "true")]), &StrMap::new());
        assert_eq!(acs.on_eci, None);
        assert_eq!(
            ctx.apply("other", &StrMap::new(), &StrMap::new()).on_eci,
            None
        );
    }

    #[test]
    fn profile_selectors_match_and_inject_without_overriding_pod_keys() {
        let mut ctx = Context::new();
        ctx.add_object(
            &json!({"kind": "Namespace", "metadata": {"name": "team-a", "labels": {"team": "a"}}}),
        )
        .unwrap();
        let selectors = r#"[
            {"name": "by-namespace", "namespaceLabels": {"matchLabels": {"team": "a"}},
             "effect": {"annotations": {"k8s.aliyun.com/acr-instance-ids": "cri-j36zhodptmyq1234", "k8s.aliyun.com/eci-use-specs": "ecs.c6.large"}}},
            {"name": "by-pod", "objectLabels": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
             "effect": {"annotations": {"k8s.aliyun.com/acr-service-arns": "x"}, "labels": {"eci": "yes"}}}
        ]"#;
        assert_eq!(ctx.add_object(&profile(selectors)).unwrap(), Added::Profile);
        assert!(ctx.selectors_read_namespace_labels());
        // The first selector that matches applies.
        let own = labels(&[("k8s.aliyun.com/eci-use-specs", "ecs.g6.large")]);
        let a = ctx.apply("team-a", &labels(&[("app", "web")]), &own);
        assert_eq!(a.on_eci, Some(Route::Selector("by-namespace".into())));
        assert_eq!(
            a.injected,
            labels(&[("k8s.aliyun.com/acr-instance-ids", "cri-j36zhodptmyq1234")])
        );
        assert_eq!(a.injected_by.as_deref(), Some("by-namespace"));
        let b = ctx.apply("team-b", &labels(&[("app", "web")]), &StrMap::new());
        assert_eq!(b.on_eci, Some(Route::Selector("by-pod".into())));
        assert_eq!(
            b.injected,
            labels(&[("k8s.aliyun.com/acr-service-arns", "x")])
        );
        // A namespace the context does not list matches no namespaceLabels selector.
        assert_eq!(
            ctx.apply("team-b", &StrMap::new(), &StrMap::new()).on_eci,
            None
        );
    }

    #[test]
    fn selector_resources_take_the_highest_priority_and_respect_normal_node_only() {
        let mut ctx = Context::new();
        let sel = |name: &str, priority: i64, policy: Value| {
            json!({"apiVersion": "eci.aliyun.com/v1", "kind": "Selector", "metadata": {"name": name},
                   "spec": {"objectLabels": {"matchLabels": {"app": "web"}}, "priority": priority, "policy": policy,
                            "effect": {"annotations": {"k8s.aliyun.com/acr-instance-ids": name}}}})
        };
        ctx.add_object(&sel("low", 1, json!({"fair": {}}))).unwrap();
        ctx.add_object(&sel("high", 5, json!({"virtualNodeOnly": {}})))
            .unwrap();
        let a = ctx.apply("ns", &labels(&[("app", "web")]), &StrMap::new());
        assert_eq!(a.on_eci, Some(Route::Selector("high".into())));
        assert_eq!(
            a.injected
                .get("k8s.aliyun.com/acr-instance-ids")
                .map(|v| &**v)
                .unwrap(),
            "high"
        );
        ctx.add_object(&sel("top", 9, json!({"normalNodeOnly": {}})))
            .unwrap();
        let b = ctx.apply("ns", &labels(&[("app", "web")]), &StrMap::new());
        assert_eq!(
            b,
            Applied {
                profile_known: true,
                ..Applied::default()
            }
        );
    }

    #[test]
    fn expressions() {
        let sel = label_selector(
            Some(&json!({"matchExpressions": [
                {"key": "tier", "operator": "NotIn", "values": ["db"]},
                {"key": "app", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"}]})),
            "s",
        )
        .unwrap()
        .unwrap();
        assert!(sel.matches(&labels(&[("app", "x")])));
        assert!(sel.matches(&labels(&[("app", "x"), ("tier", "web")])));
        assert!(!sel.matches(&labels(&[("app", "x"), ("tier", "db")])));
        assert!(!sel.matches(&labels(&[("app", "x"), ("legacy", "")])));
        assert!(!sel.matches(&StrMap::new()));
        assert!(LabelSelector::default().matches(&StrMap::new()));
    }

    #[test]
    fn bad_objects_say_what_and_where() {
        let mut ctx = Context::new();
        let err = |ctx: &mut Context, v: Value| ctx.add_object(&v).unwrap_err().0;
        let e = err(&mut ctx, json!({"kind": "Pod", "apiVersion": "v1"}));
        assert!(e.contains("a Pod (v1) is not context"), "{e}");
        let e = err(
            &mut ctx,
            profile("[{\"name\": \"x\", \"objectLabels\": {\"matchLabels\": {\"a\": 1}}}]"),
        );
        assert!(
            e.contains("data.selectors[0] objectLabels.matchLabels") && e.contains("quote it"),
            "{e}"
        );
        let e = err(&mut ctx, profile("{not json"));
        assert!(e.contains("not valid JSON"), "{e}");
        let e = err(&mut ctx, profile("{}"));
        assert!(e.contains("must be a JSON array"), "{e}");
        let e = err(
            &mut ctx,
            profile(
                "[{\"objectLabels\": {\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"Gt\", \"values\": [\"1\"]}]}}]",
            ),
        );
        assert!(e.contains("matchExpressions[0] has operator \"Gt\""), "{e}");
        let e = err(
            &mut ctx,
            json!({"kind": "Namespace", "metadata": {"labels": {}}}),
        );
        assert!(e.contains("without metadata.name"), "{e}");
        // Other ConfigMaps, and an empty profile, are fine.
        let other =
            json!({"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "kube-system"}});
        assert_eq!(ctx.add_object(&other).unwrap(), Added::Ignored);
        assert_eq!(ctx.add_object(&profile("")).unwrap(), Added::Profile);
        assert!(ctx.has_profile());
    }
}
