//! The workload view: how each kind the policy judges yields the pod metadata ECI reads, the
//! metadata it ignores, its pod spec and its images. Built once per request, read-only after.

#![forbid(unsafe_code)]

use crate::checks::Shown;
use crate::json::pointer;
use crate::keys::{INSTANCE_ID_LEGACY, INSTANCE_IDS};
use crate::model::{K8sObject, ObjectMeta, Scalar, Spec, StrMap};
use std::borrow::Cow;
use std::fmt;

/// Where a kind keeps its pod metadata and spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `metadata`, `spec`.
    Pod,
    /// Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job:
    /// `spec.template`.
    Template,
    /// `spec.jobTemplate.spec.template`.
    CronJob,
    /// `eci.alibabacloud.com/v1` ImageCache: annotations on `metadata`, images in `spec.images`.
    ImageCache,
}

impl Shape {
    /// Which shape an object of this group/kind has, if the policy judges it.
    pub fn of(group: &str, kind: &str) -> Option<Shape> {
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

    /// JSON pointer of the metadata ECI reads, the same dotted for humans (annotations), and
    /// the pointer of the pod spec.
    fn paths(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Shape::Pod | Shape::ImageCache => ("/metadata", "metadata.annotations", "/spec"),
            Shape::Template => (
                "/spec/template/metadata",
                "spec.template.metadata.annotations",
                "/spec/template/spec",
            ),
            Shape::CronJob => (
                "/spec/jobTemplate/spec/template/metadata",
                "spec.jobTemplate.spec.template.metadata.annotations",
                "/spec/jobTemplate/spec/template/spec",
            ),
        }
    }
}

/// Controller-level metadata that ECI never reads.
#[derive(Debug, Clone, Copy)]
pub struct IgnoredMeta<'a> {
    /// JSON pointer of the metadata, e.g. `/metadata`.
    pub path: &'static str,
    /// Its annotations, dotted for humans.
    pub dots: &'static str,
    pub annotations: &'a StrMap<'a>,
}

/// One image reference and where it sits. `who` and `path` are built only when a finding is
/// listed: a request may carry tens of thousands of containers.
#[derive(Debug, Clone)]
pub struct ImageSite<'a> {
    /// `container "app"`, `init container "setup"`, `ImageCache spec.images[2]`.
    pub who: Who<'a>,
    pub path: SitePath,
    /// The reference as written (`None`: no image field).
    pub image: Option<Cow<'a, str>>,
}

/// Who pulls an image, for messages (see [`ImageSite`]).
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// A container of a pod spec list (`label`: `container`, `init container`, ...).
    Container {
        label: &'static str,
        name: Option<&'a str>,
        index: usize,
    },
    /// An entry of an ImageCache's `spec.images`.
    CacheImage(usize),
}

impl fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Who::Container {
                label,
                name: Some(name),
                ..
            } if !name.is_empty() => write!(f, "{label} {:?}", Shown(name)),
            Who::Container { label, index, .. } => write!(f, "{label} #{index}"),
            Who::CacheImage(index) => write!(f, "ImageCache spec.images[{index}]"),
        }
    }
}

/// The JSON pointer of an image reference (see [`ImageSite`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitePath {
    /// The pod spec (or the ImageCache spec).
    spec: &'static str,
    /// `containers`, `initContainers`, `ephemeralContainers` or `images`.
    list: &'static str,
    index: usize,
}

impl fmt::Display for SitePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SitePath { spec, list, index } = *self;
        if list == "images" {
            write!(f, "{spec}/{list}/{index}")
        } else {
            write!(f, "{spec}/{list}/{index}/image")
        }
    }
}

/// The pod (template) or ImageCache being judged.
#[derive(Debug)]
pub struct Workload<'a> {
    pub shape: Shape,
    pub kind: &'a str,
    pub namespace: &'a str,
    /// JSON pointer of the metadata that ECI reads.
    pub meta_path: &'static str,
    /// Its annotations, dotted for humans.
    pub meta_dots: &'static str,
    pub meta_exists: bool,
    /// The annotations ECI reads, as sent (`None`: no annotations field).
    pub annotations: Option<&'a StrMap<'a>>,
    pub labels: &'a StrMap<'a>,
    pub spec: Option<&'a Spec<'a>>,
    pub spec_path: &'static str,
    pub images: Vec<ImageSite<'a>>,
    pub ignored_meta: Vec<IgnoredMeta<'a>>,
}

static EMPTY: StrMap<'static> = StrMap::new();

fn annotations_of<'a>(meta: Option<&'a ObjectMeta<'a>>) -> &'a StrMap<'a> {
    meta.and_then(|m| m.annotations.as_ref()).unwrap_or(&EMPTY)
}

/// The annotations on an object's own metadata.
pub fn object_annotations<'a>(o: &'a K8sObject<'a>) -> &'a StrMap<'a> {
    annotations_of(o.metadata.as_ref())
}

/// `{meta_path}/annotations/{key}`, escaped.
pub fn ann_path(meta_path: &'static str, key: &str) -> String {
    KeyPath::annotation(meta_path, key).to_string()
}

/// The pointer of an annotation or label key on the metadata at `meta`, written only when
/// shown: the rules name a path for every value they judge, and most values are fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPath<'k> {
    pub meta: &'static str,
    pub label: bool,
    pub key: &'k str,
}

impl<'k> KeyPath<'k> {
    /// `{meta}/annotations/{key}`.
    pub fn annotation(meta: &'static str, key: &'k str) -> KeyPath<'k> {
        KeyPath {
            meta,
            label: false,
            key,
        }
    }
}

impl fmt::Display for KeyPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map = if self.label { "labels" } else { "annotations" };
        write!(f, "{}/{map}/{}", self.meta, pointer::Escaped(self.key))
    }
}

impl<'a> Workload<'a> {
    /// The view of `object`; `None` when a controller has no pod template (nothing to judge).
    pub fn new(
        shape: Shape,
        kind: &'a str,
        namespace: &'a str,
        object: &'a K8sObject<'a>,
    ) -> Option<Workload<'a>> {
        let top_meta = object.metadata.as_ref();
        let spec = object.spec.as_deref();
        let (meta_path, meta_dots, spec_path) = shape.paths();
        let job_template = || spec.and_then(|s| s.job_template.as_deref());
        let template = match shape {
            Shape::Pod | Shape::ImageCache => None,
            Shape::Template => Some(spec.and_then(|s| s.template.as_deref())?),
            Shape::CronJob => Some(
                job_template()
                    .and_then(|j| j.spec.as_deref())
                    .and_then(|s| s.template.as_deref())?,
            ),
        };
        let (meta, pod_spec) = match template {
            None => (top_meta, spec),
            Some(t) => (t.metadata.as_ref(), t.spec.as_deref()),
        };
        let mut ignored_meta = Vec::new();
        if matches!(shape, Shape::Template | Shape::CronJob) {
            ignored_meta.push(IgnoredMeta {
                path: "/metadata",
                dots: "metadata.annotations",
                annotations: annotations_of(top_meta),
            });
        }
        if shape == Shape::CronJob {
            ignored_meta.push(IgnoredMeta {
                path: "/spec/jobTemplate/metadata",
                dots: "spec.jobTemplate.metadata.annotations",
                annotations: annotations_of(job_template().and_then(|j| j.metadata.as_ref())),
            });
        }
        let images = match shape {
            Shape::ImageCache => image_cache_sites(pod_spec),
            _ => pod_spec
                .map(|s| container_sites(s, spec_path))
                .unwrap_or_default(),
        };
        Some(Workload {
            shape,
            kind,
            namespace,
            meta_path,
            meta_dots,
            meta_exists: meta.is_some(),
            annotations: meta.and_then(|m| m.annotations.as_ref()),
            labels: meta.and_then(|m| m.labels.as_ref()).unwrap_or(&EMPTY),
            spec: pod_spec,
            spec_path,
            images,
            ignored_meta,
        })
    }

    /// The annotations ECI reads, as sent.
    pub fn original(&self) -> &'a StrMap<'a> {
        self.annotations.unwrap_or(&EMPTY)
    }

    /// Pointer of annotation `key` on the metadata ECI reads.
    pub fn ann_path(&self, key: &str) -> String {
        ann_path(self.meta_path, key)
    }

    /// Pointer of label `key` on the metadata ECI reads.
    pub fn label_path(&self, key: &str) -> String {
        KeyPath {
            meta: self.meta_path,
            label: true,
            key,
        }
        .to_string()
    }

    /// Where the value the rules judge for `key` sits in the request object. Planned repairs
    /// may have renamed or moved it; findings point at what the user wrote.
    pub fn value_path<'k>(&self, key: &'k str) -> KeyPath<'k> {
        let original = self.original();
        let here = KeyPath::annotation(self.meta_path, key);
        if original.contains_key(key) {
            return here;
        }
        if key == INSTANCE_IDS && original.contains_key(INSTANCE_ID_LEGACY) {
            return KeyPath::annotation(self.meta_path, INSTANCE_ID_LEGACY);
        }
        if let Some(m) = self
            .ignored_meta
            .iter()
            .find(|m| m.annotations.contains_key(key))
        {
            return KeyPath::annotation(m.path, key);
        }
        if self.labels.contains_key(key) {
            return KeyPath {
                label: true,
                ..here
            };
        }
        here
    }

    /// `ImageCache` or `pod`, for messages.
    pub fn pod_word(&self) -> &'static str {
        if self.shape == Shape::ImageCache {
            "ImageCache"
        } else {
            "pod"
        }
    }

    /// The names in `imagePullSecrets`.
    pub fn pull_secret_names(&self) -> impl Iterator<Item = &'a str> {
        self.spec
            .and_then(|s| s.image_pull_secrets.as_ref())
            .into_iter()
            .flatten()
            .map(|s| s.as_str())
    }
}

fn container_sites<'a>(spec: &'a Spec, spec_path: &'static str) -> Vec<ImageSite<'a>> {
    let lists = [
        ("containers", "container", &spec.containers),
        ("initContainers", "init container", &spec.init_containers),
        (
            "ephemeralContainers",
            "ephemeral container",
            &spec.ephemeral_containers,
        ),
    ];
    let mut sites = Vec::new();
    for (field, label, list) in lists {
        for (index, c) in list.iter().flatten().enumerate() {
            sites.push(ImageSite {
                who: Who::Container {
                    label,
                    name: c.name.as_deref(),
                    index,
                },
                path: SitePath {
                    spec: spec_path,
                    list: field,
                    index,
                },
                image: c.image.as_deref().map(Cow::Borrowed),
            });
        }
    }
    sites
}

fn image_cache_sites<'a>(spec: Option<&'a Spec<'a>>) -> Vec<ImageSite<'a>> {
    let images = spec.and_then(|s| s.images.as_ref());
    images
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(index, img)| ImageSite {
            who: Who::CacheImage(index),
            path: SitePath {
                spec: "/spec",
                list: "images",
                index,
            },
            image: Some(match img {
                Scalar::Str(s) => Cow::Borrowed(s.as_ref()),
                other => Cow::Owned(other.to_string()),
            }),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn object(json: &str) -> K8sObject<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn shapes() {
        assert_eq!(Shape::of("", "Pod"), Some(Shape::Pod));
        assert_eq!(Shape::of("apps", "Deployment"), Some(Shape::Template));
        assert_eq!(Shape::of("extensions", "StatefulSet"), None);
        assert_eq!(Shape::of("batch", "CronJob"), Some(Shape::CronJob));
        assert_eq!(
            Shape::of("eci.alibabacloud.com", "ImageCache"),
            Some(Shape::ImageCache)
        );
        assert_eq!(Shape::of("", "ConfigMap"), None);
    }

    #[test]
    fn cronjob_view() {
        let o = object(
            r#"{"metadata":{"annotations":{"a":"1"}},"spec":{"jobTemplate":{"metadata":{"annotations":{"b":"2"}},
                "spec":{"template":{"metadata":{"labels":{"l":"v"}},"spec":{"initContainers":[{"image":"x"}],"containers":[{"name":"app","image":"y"}]}}}}}}"#,
        );
        let w = Workload::new(Shape::CronJob, "CronJob", "ns", &o).unwrap();
        assert_eq!(w.meta_path, "/spec/jobTemplate/spec/template/metadata");
        assert!(w.meta_exists && w.annotations.is_none());
        assert_eq!(w.labels.get("l").map(|v| &**v), Some("v"));
        let ignored: Vec<_> = w.ignored_meta.iter().map(|m| m.path).collect();
        assert_eq!(ignored, ["/metadata", "/spec/jobTemplate/metadata"]);
        let sites: Vec<_> = w
            .images
            .iter()
            .map(|s| (s.who.to_string(), s.path.to_string()))
            .collect();
        let sites: Vec<(&str, &str)> = sites
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            sites,
            [
                (
                    "container \"app\"",
                    "/spec/jobTemplate/spec/template/spec/containers/0/image"
                ),
                (
                    "init container #0",
                    "/spec/jobTemplate/spec/template/spec/initContainers/0/image"
                ),
            ]
        );
        assert_eq!(
            w.value_path("b").to_string(),
            "/spec/jobTemplate/metadata/annotations/b"
        );
        assert_eq!(
            w.value_path("k8s.aliyun.com/x").to_string(),
            "/spec/jobTemplate/spec/template/metadata/annotations/k8s.aliyun.com~1x"
        );
    }

    #[test]
    fn controller_without_template_is_not_judged() {
        let o = object(r#"{"spec":{"replicas":1}}"#);
        assert!(Workload::new(Shape::Template, "Deployment", "ns", &o).is_none());
    }

    #[test]
    fn image_cache_images_as_text() {
        let o = object(r#"{"spec":{"images":["nginx", 5]}}"#);
        let w = Workload::new(Shape::ImageCache, "ImageCache", "*", &o).unwrap();
        let images: Vec<_> = w.images.iter().map(|s| s.image.as_deref()).collect();
        assert_eq!(images, [Some("nginx"), Some("5")]);
    }
}
