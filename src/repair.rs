//! Planned repairs and the RFC 6902 patch that applies them.
//!
//! The placement family plans moves and renames ([`Moves`]); the images family plans the
//! rewrite of the instance-id list ([`InstanceList`]). Later families only read them; the
//! patch is built once, at the end, from the annotations as sent and the planned ones.

#![forbid(unsafe_code)]

use crate::model::StrMap;
use crate::verdict::{PatchKind, PatchOp};
use crate::workload::{KeyPath, Workload, ann_path};
use serde_json::Value;
use std::borrow::Cow;

/// Moves of misplaced annotations and labels into the pod template, and key renames.
#[derive(Debug, Clone)]
pub struct Moves<'a> {
    /// The annotations ECI reads once the planned moves and renames are applied (and the
    /// ones eci-profile injects, see [`Moves::inject`]).
    pub effective: Cow<'a, StrMap<'a>>,
    /// Pointers of misplaced annotations and labels the patch removes.
    pub removals: Vec<String>,
    /// Keys of `effective` that eci-profile injects, each once: the pod does not carry them.
    pub injected: Vec<String>,
    /// The selector that injects them.
    pub injected_by: Option<String>,
}

impl<'a> Moves<'a> {
    /// No move planned: the annotations as sent.
    pub fn none(w: &Workload<'a>) -> Moves<'a> {
        Moves {
            effective: Cow::Borrowed(w.original()),
            removals: Vec::new(),
            injected: Vec::new(),
            injected_by: None,
        }
    }

    /// Add what eci-profile injects, after the moves and renames: a key the pod ends up
    /// carrying wins over the injected one.
    pub fn inject(&mut self, injected: &StrMap<'_>, by: Option<&str>) {
        for (key, value) in injected {
            if !self.effective.contains_key(key.as_ref()) {
                let (key, value) = (key.as_ref().to_owned(), value.as_ref().to_owned());
                // Not in `effective` before: not injected before.
                self.injected.push(key.clone());
                self.effective
                    .to_mut()
                    .insert(Cow::Owned(key), Cow::Owned(value));
            }
        }
        if !self.injected.is_empty() {
            self.injected_by = by.map(str::to_owned);
        }
    }

    /// Whether eci-profile injects `key` (the pod does not carry it).
    pub fn is_injected(&self, key: &str) -> bool {
        self.injected.iter().any(|k| k == key)
    }

    /// Where the value the rules judge for `key` sits: [`Workload::value_path`], or, for an
    /// injected key, its place in the pod template (the family mutes findings there: the
    /// value is the cluster's configuration, not the pod's).
    pub fn value_path<'k>(&self, w: &Workload, key: &'k str) -> KeyPath<'k> {
        if self.is_injected(key) {
            KeyPath::annotation(w.meta_path, key)
        } else {
            w.value_path(key)
        }
    }
}

/// The instance-id annotation rewritten (instances added, region prefixes fixed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceList {
    pub key: &'static str,
    pub value: String,
}

/// Every repair planned for one workload.
#[derive(Debug, Clone)]
pub struct Repairs<'a> {
    pub moves: Moves<'a>,
    pub instance_list: Option<InstanceList>,
}

impl Repairs<'_> {
    /// The RFC 6902 patch that turns the object into the repaired one.
    pub fn patch(&self, w: &Workload) -> Vec<PatchOp> {
        let original = w.original();
        let mut effective = self.moves.effective.clone();
        if let Some(list) = &self.instance_list {
            effective
                .to_mut()
                .insert(Cow::Borrowed(list.key), Cow::Owned(list.value.clone()));
        }
        let mut ops: Vec<PatchOp> = self
            .moves
            .removals
            .iter()
            .map(|p| PatchOp {
                op: PatchKind::Remove,
                path: p.clone(),
                value: None,
            })
            .collect();
        for key in original.keys() {
            if !effective.contains_key(key) {
                ops.push(PatchOp {
                    op: PatchKind::Remove,
                    path: w.ann_path(key),
                    value: None,
                });
            }
        }
        // Injected keys stay out of the object unless a repair rewrote them (then the pod's own
        // key, which wins over the injected one, carries the repaired value).
        let adds: Vec<(&Cow<'_, str>, &Cow<'_, str>)> = effective
            .iter()
            .filter(|(k, v)| {
                let sent = original.get(k.as_ref()).is_some_and(|o| o == *v);
                let injected_as_is = self.moves.is_injected(k)
                    && (self.moves.effective.get(k.as_ref())).is_some_and(|e| e == *v);
                !(sent || injected_as_is)
            })
            .collect();
        if adds.is_empty() {
            return ops;
        }
        // Inserted one by one: collecting into a map would sort first (more code).
        let as_map = || {
            let mut map = serde_json::Map::new();
            for (k, v) in &adds {
                map.insert(k.to_string(), Value::String(v.to_string()));
            }
            Value::Object(map)
        };
        if !w.meta_exists {
            let mut meta = serde_json::Map::new();
            meta.insert("annotations".into(), as_map());
            ops.push(PatchOp {
                op: PatchKind::Add,
                path: w.meta_path.to_owned(),
                value: Some(Value::Object(meta)),
            });
        } else if w.annotations.is_none() {
            ops.push(PatchOp {
                op: PatchKind::Add,
                path: format!("{}/annotations", w.meta_path),
                value: Some(as_map()),
            });
        } else {
            for (k, v) in adds {
                ops.push(PatchOp {
                    op: PatchKind::Add,
                    path: ann_path(w.meta_path, k),
                    value: Some(Value::String(v.to_string())),
                });
            }
        }
        ops
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::checks::testing::{object, workload};
    use crate::workload::Shape;

    fn ops(patch: &[PatchOp]) -> Vec<(&'static str, &str, Option<String>)> {
        patch
            .iter()
            .map(|o| {
                (
                    o.op.as_str(),
                    o.path.as_str(),
                    o.value.as_ref().map(|v| v.to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn patch_shapes() {
        // No metadata: one add of the whole metadata.
        let bare = object(r#"{"spec":{"template":{"spec":{}}}}"#);
        let w = workload(Shape::Template, "ns", &bare);
        let repairs = Repairs {
            moves: Moves::none(&w),
            instance_list: Some(InstanceList {
                key: "k8s.aliyun.com/acr-instance-ids",
                value: "cri-j36zhodptmyq1234".into(),
            }),
        };
        assert_eq!(
            ops(&repairs.patch(&w)),
            [(
                "add",
                "/spec/template/metadata",
                Some(
                    r#"{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}}"#
                        .into()
                )
            )]
        );
        // Annotations present: a removal of the moved copy and one add per key.
        let o = object(
            r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-service-arns":"x"}},"spec":{"template":{"metadata":{"annotations":{"a":"b"}}}}}"#,
        );
        let w = workload(Shape::Template, "ns", &o);
        let mut moves = Moves::none(&w);
        moves
            .effective
            .to_mut()
            .insert("k8s.aliyun.com/acr-service-arns".into(), "x".into());
        moves
            .removals
            .push("/metadata/annotations/k8s.aliyun.com~1acr-service-arns".into());
        let repairs = Repairs {
            moves,
            instance_list: None,
        };
        assert_eq!(
            ops(&repairs.patch(&w)),
            [
                (
                    "remove",
                    "/metadata/annotations/k8s.aliyun.com~1acr-service-arns",
                    None
                ),
                (
                    "add",
                    "/spec/template/metadata/annotations/k8s.aliyun.com~1acr-service-arns",
                    Some("\"x\"".into())
                ),
            ]
        );
    }

    #[test]
    fn renamed_key_is_removed() {
        let o = object(r#"{"metadata":{"annotations":{"old":"v"}}}"#);
        let w = workload(Shape::Pod, "ns", &o);
        let mut moves = Moves::none(&w);
        moves.effective.to_mut().remove("old");
        moves.effective.to_mut().insert("new".into(), "v".into());
        let repairs = Repairs {
            moves,
            instance_list: None,
        };
        assert_eq!(
            ops(&repairs.patch(&w)),
            [
                ("remove", "/metadata/annotations/old", None),
                ("add", "/metadata/annotations/new", Some("\"v\"".into())),
            ]
        );
    }
}
