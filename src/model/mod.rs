//! The slice of the Kubernetes API the policy reads, decoded straight from the request bytes.
//!
//! These types are deliberately partial: unknown fields are skipped without building a tree,
//! a repeated key keeps its last value (as the API server's decoder does), and `null` reads as
//! absent. Only strings the rules need are kept, and they borrow from the request text
//! ([`Str`]): only a string with an escape sequence is copied.

#![forbid(unsafe_code)]

use crate::grammar::text::Quoted;
use crate::json::reader::{self, Decode, Reader, Token};
use reference::{Field, Key, Read};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

pub use crate::strmap::{Str, StrMap};

mod reference;

impl<'de> Decode<'de> for StrMap<'de> {
    fn decode(r: &mut Reader<'de>) -> reader::Result<Self> {
        let mut out = Vec::new();
        r.object("a map", |r, key| {
            out.push((key, r.str("a string")?));
            Ok(())
        })?;
        Ok(StrMap::from_entries(out))
    }
}

/// Declares a struct whose fields are all `Option`s, decoded leniently: unknown keys are
/// skipped, a repeated key keeps the last value.
macro_rules! lenient {
    ($(#[$meta:meta])* pub struct $name:ident<'a> { $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty = $json:literal, )* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name<'a> { $( $(#[$fmeta])* pub $field: Option<$ty>, )* }

        impl<'a> Deserialize<'a> for $name<'a> {
            fn deserialize<D: Deserializer<'a>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(PhantomData<&'a ()>);
                impl<'a> Visitor<'a> for V<'a> {
                    type Value = $name<'a>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<$name<'a>, A::Error> {
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<Key<'a>>()? {
                            match key.0.as_ref() {
                                $( $json => out.$field = map.next_value::<Option<Read<$ty>>>()?.map(|r| r.0), )*
                                _ => { map.next_value::<IgnoredAny>()?; }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V(PhantomData))
            }
        }

        impl<'a> Field<'a> for $name<'a> {
            fn read<D: Deserializer<'a>>(d: D) -> Result<Self, D::Error> {
                Self::deserialize(d)
            }
        }

        impl<'a> Decode<'a> for $name<'a> {
            fn decode(r: &mut Reader<'a>) -> reader::Result<Self> {
                let mut out = $name::default();
                Self::fill(r, &mut out)?;
                Ok(out)
            }

            /// Field by field into `out`, which starts empty.
            fn fill(r: &mut Reader<'a>, out: &mut Self) -> reader::Result<()> {
                r.object("an object", |r, key| {
                    match &*key {
                        $( $json => r.option_into(&mut out.$field)?, )*
                        _ => r.skip()?,
                    }
                    Ok(())
                })
            }

            #[inline]
            fn decode_into(r: &mut Reader<'a>, slot: &mut Option<Self>) -> reader::Result<()> {
                Self::fill(r, slot.insert($name::default()))
            }

            #[inline]
            fn decode_push(r: &mut Reader<'a>, out: &mut Vec<Self>) -> reader::Result<()> {
                out.push($name::default());
                match out.last_mut() {
                    Some(item) => Self::fill(r, item),
                    None => Ok(()),
                }
            }
        }
    };
}

lenient! {
    /// `metadata` of any object or pod template.
    pub struct ObjectMeta<'a> {
        pub name: Str<'a> = "name",
        pub generate_name: Str<'a> = "generateName",
        pub namespace: Str<'a> = "namespace",
        pub labels: StrMap<'a> = "labels",
        pub annotations: StrMap<'a> = "annotations",
    }
}

lenient! {
    /// A container of any of the three lists.
    pub struct Container<'a> {
        pub name: Str<'a> = "name",
        pub image: Str<'a> = "image",
    }
}

lenient! {
    pub struct MatchExpression<'a> {
        pub key: Str<'a> = "key",
        pub operator: Str<'a> = "operator",
        pub values: Vec<Str<'a>> = "values",
    }
}

lenient! {
    pub struct NodeSelectorTerm<'a> {
        pub match_expressions: Vec<MatchExpression<'a>> = "matchExpressions",
    }
}

lenient! {
    pub struct NodeSelector<'a> {
        pub node_selector_terms: Vec<NodeSelectorTerm<'a>> = "nodeSelectorTerms",
    }
}

lenient! {
    pub struct PreferredTerm<'a> {
        pub preference: NodeSelectorTerm<'a> = "preference",
    }
}

lenient! {
    pub struct NodeAffinity<'a> {
        pub required: NodeSelector<'a> = "requiredDuringSchedulingIgnoredDuringExecution",
        pub preferred: Vec<PreferredTerm<'a>> = "preferredDuringSchedulingIgnoredDuringExecution",
    }
}

lenient! {
    pub struct Affinity<'a> {
        pub node_affinity: NodeAffinity<'a> = "nodeAffinity",
    }
}

lenient! {
    /// A pod's toleration of a node taint.
    pub struct Toleration<'a> {
        pub key: Str<'a> = "key",
        pub operator: Str<'a> = "operator",
        pub value: Str<'a> = "value",
        pub effect: Str<'a> = "effect",
    }
}

lenient! {
    /// The union of the `spec` fields the policy reads: pod specs, controller specs (template,
    /// jobTemplate) and ImageCache specs.
    pub struct Spec<'a> {
        pub containers: Vec<Container<'a>> = "containers",
        pub init_containers: Vec<Container<'a>> = "initContainers",
        pub ephemeral_containers: Vec<Container<'a>> = "ephemeralContainers",
        pub image_pull_secrets: Vec<SecretRef<'a>> = "imagePullSecrets",
        pub node_selector: StrMap<'a> = "nodeSelector",
        pub node_name: Str<'a> = "nodeName",
        pub affinity: Affinity<'a> = "affinity",
        pub tolerations: Vec<Toleration<'a>> = "tolerations",
        pub template: Box<Template<'a>> = "template",
        pub job_template: Box<Template<'a>> = "jobTemplate",
        pub images: Vec<Scalar<'a>> = "images",
        pub image_cache_size: Scalar<'a> = "imageCacheSize",
        pub retention_days: Scalar<'a> = "retentionDays",
    }
}

lenient! {
    /// A pod template (`spec.template`) or a CronJob `spec.jobTemplate`.
    pub struct Template<'a> {
        pub metadata: ObjectMeta<'a> = "metadata",
        pub spec: Box<Spec<'a>> = "spec",
    }
}

lenient! {
    /// Any Kubernetes object, read as far as the rules need.
    pub struct K8sObject<'a> {
        pub api_version: Str<'a> = "apiVersion",
        pub kind: Str<'a> = "kind",
        pub metadata: ObjectMeta<'a> = "metadata",
        pub spec: Box<Spec<'a>> = "spec",
    }
}

lenient! {
    /// `group`/`version`/`kind` of an AdmissionRequest.
    pub struct Gvk<'a> {
        pub group: Str<'a> = "group",
        pub version: Str<'a> = "version",
        pub kind: Str<'a> = "kind",
    }
}

lenient! {
    /// admission.k8s.io/v1 AdmissionRequest, the fields the policy reads.
    pub struct RequestFields<'a> {
        pub uid: Str<'a> = "uid",
        pub kind: Gvk<'a> = "kind",
        pub sub_resource: Str<'a> = "subResource",
        pub name: Str<'a> = "name",
        pub namespace: Str<'a> = "namespace",
        pub operation: Str<'a> = "operation",
        pub object: K8sObject<'a> = "object",
        pub old_object: K8sObject<'a> = "oldObject",
    }
}

lenient! {
    /// Whatever arrives at `evaluate_json`: an AdmissionReview, a bare AdmissionRequest or a
    /// bare object (treated as CREATE). One pass decodes all three shapes.
    pub struct Input<'a> {
        pub api_version: Str<'a> = "apiVersion",
        pub kind: KindField<'a> = "kind",
        pub request: RequestFields<'a> = "request",
        pub uid: Str<'a> = "uid",
        pub sub_resource: Str<'a> = "subResource",
        pub name: Str<'a> = "name",
        pub namespace: Str<'a> = "namespace",
        pub operation: Str<'a> = "operation",
        pub object: Box<K8sObject<'a>> = "object",
        pub old_object: Box<K8sObject<'a>> = "oldObject",
        pub metadata: Box<ObjectMeta<'a>> = "metadata",
        pub spec: Box<Spec<'a>> = "spec",
    }
}

/// `kind` is a string in objects and AdmissionReviews but a GVK object in AdmissionRequests.
#[derive(Debug, Clone, PartialEq)]
pub enum KindField<'a> {
    Name(Str<'a>),
    Gvk(Gvk<'a>),
}

/// An `imagePullSecrets` item: `{name: ...}` in pods, `"<namespace>:<name>"` in ImageCache.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretRef<'a> {
    Named(Option<Str<'a>>),
    Text(Str<'a>),
}

impl SecretRef<'_> {
    /// The name as written, whatever the form.
    pub fn as_str(&self) -> &str {
        match self {
            SecretRef::Named(Some(n)) | SecretRef::Text(n) => n,
            SecretRef::Named(None) => "",
        }
    }
}

lenient! {
    pub struct NamedRef<'a> {
        pub name: Str<'a> = "name",
    }
}

/// A JSON scalar, kept as written so a rule can say "20 is not a string" instead of failing the
/// whole request.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Str<'a>),
}

impl Scalar<'_> {
    /// The integer value, if this is a JSON integer.
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Scalar::Int(i) => Some(i128::from(*i)),
            Scalar::UInt(u) => Some(i128::from(*u)),
            _ => None,
        }
    }
}

impl fmt::Display for Scalar<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::UInt(u) => write!(f, "{u}"),
            // As serde_json prints it (wasm builds then carry one float printer, not two).
            Scalar::Float(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => write!(f, "{n}"),
                None => f.write_str("a number"),
            },
            Scalar::Str(s) => write!(f, "{s:?}", s = Quoted(s)),
        }
    }
}

impl<'de> Decode<'de> for KindField<'de> {
    fn decode(r: &mut Reader<'de>) -> reader::Result<Self> {
        match r.token()? {
            (Token::Str(s), _) => Ok(KindField::Name(s)),
            (Token::Object, _) => Gvk::decode(r).map(KindField::Gvk),
            (other, start) => Err(r.unexpected(
                other,
                start,
                "a kind name or a {group, version, kind} object",
            )),
        }
    }
}

impl<'de> Decode<'de> for SecretRef<'de> {
    fn decode(r: &mut Reader<'de>) -> reader::Result<Self> {
        match r.token()? {
            (Token::Str(s), _) => Ok(SecretRef::Text(s)),
            (Token::Object, _) => NamedRef::decode(r).map(|n| SecretRef::Named(n.name)),
            (other, start) => Err(r.unexpected(
                other,
                start,
                "a {name: ...} object or a \"<namespace>:<name>\" string",
            )),
        }
    }
}

impl<'de> Decode<'de> for Scalar<'de> {
    fn decode(r: &mut Reader<'de>) -> reader::Result<Self> {
        use reader::Number;
        match r.token()? {
            (Token::Bool(b), _) => Ok(Scalar::Bool(b)),
            (Token::Number(Number::Unsigned(n)), _) => Ok(Scalar::UInt(n)),
            (Token::Number(Number::Signed(n)), _) => Ok(Scalar::Int(n)),
            (Token::Number(Number::Float(n)), _) => Ok(Scalar::Float(n)),
            (Token::Str(s), _) => Ok(Scalar::Str(s)),
            (other, start) => Err(r.unexpected(other, start, "a string, number or boolean")),
        }
    }
}

/// What `evaluate` judges: an admission request in the policy's own terms. Its strings borrow
/// from the request text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdmissionRequest<'a> {
    pub uid: Str<'a>,
    /// `request.kind` (falls back to the object's `apiVersion`/`kind`).
    pub kind: Gvk<'a>,
    pub sub_resource: Option<Str<'a>>,
    pub name: Option<Str<'a>>,
    pub namespace: Option<Str<'a>>,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: Str<'a>,
    pub object: Option<K8sObject<'a>>,
    pub old_object: Option<K8sObject<'a>>,
}

/// The object a request document carries (`request.object` of an AdmissionReview, or `object`
/// of a bare AdmissionRequest), mutable: to apply a verdict's patch to it.
#[cfg(feature = "cli")]
pub fn request_object_mut(doc: &mut serde_json::Value) -> Option<&mut serde_json::Value> {
    if doc.get("request").is_some() {
        doc.get_mut("request")?.get_mut("object")
    } else {
        doc.get_mut("object")
    }
}

/// The text of the object a request document's text carries (`request.object` of an
/// AdmissionReview, or `object` of a bare AdmissionRequest; of a repeated key, the last one).
pub fn request_object_text(doc: &str) -> Option<&str> {
    let text = member(doc, "request").unwrap_or(doc);
    member(text, "object")
}

/// The text of the member `name` of the object `text` (of a repeated key, the last one).
fn member<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let members = crate::json::reader::members(text, crate::MAX_DEPTH).ok()?;
    let (_, range) = members.into_iter().rev().find(|(k, _)| k == name)?;
    text.get(range)
}

/// Split `apiVersion` into group and version (`v1` -> ("", "v1")).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// A request whose `kind` disagrees with the `apiVersion`/`kind` of the object it carries: the
/// API server never sends one, so only a forged request does. `Err` says what disagrees.
fn check_kind(r: &RequestFields<'_>) -> Result<(), String> {
    let Some(kind) = r.kind.as_ref().filter(|k| k.kind.is_some()) else {
        return Ok(());
    };
    for (field, object) in [("object", &r.object), ("oldObject", &r.old_object)] {
        let Some(o) = object else { continue };
        let (Some(api_version), Some(object_kind)) = (o.api_version.as_deref(), o.kind.as_deref())
        else {
            continue;
        };
        if api_version.is_empty() || object_kind.is_empty() {
            continue;
        }
        let (group, version) = split_api_version(api_version);
        let same = kind.group.as_deref().unwrap_or("") == group
            && kind
                .version
                .as_deref()
                .is_none_or(|v| v.is_empty() || v == version)
            && kind.kind.as_deref() == Some(object_kind);
        if !same {
            let shown = |s: Option<&str>| {
                let s = s.unwrap_or("");
                let mut cut: String = s.chars().take(64).collect();
                if cut.len() < s.len() {
                    cut.push('…');
                }
                cut
            };
            let group = shown(kind.group.as_deref());
            let version = shown(kind.version.as_deref());
            let request_api_version = if group.is_empty() {
                version
            } else {
                format!("{group}/{version}")
            };
            return Err(format!(
                "the request's kind ({request_api_version} {}) does not match its {field} ({} {}); the API server never sends that, so the request is refused",
                shown(kind.kind.as_deref()),
                shown(Some(api_version)),
                shown(Some(object_kind)),
            ));
        }
    }
    Ok(())
}

impl<'a> AdmissionRequest<'a> {
    fn from_fields(r: RequestFields<'a>) -> AdmissionRequest<'a> {
        let object_gvk = r.object.as_ref().map(|o| {
            // Borrowed from the object's `apiVersion` where it is.
            let (group, version) = match &o.api_version {
                Some(Cow::Borrowed(api_version)) => {
                    let (g, v) = split_api_version(api_version);
                    (Cow::Borrowed(g), Cow::Borrowed(v))
                }
                other => {
                    let (g, v) = split_api_version(other.as_deref().unwrap_or(""));
                    (Cow::Owned(g.to_owned()), Cow::Owned(v.to_owned()))
                }
            };
            Gvk {
                group: Some(group),
                version: Some(version),
                kind: o.kind.clone(),
            }
        });
        let kind = match (r.kind, object_gvk) {
            (Some(k), _) if k.kind.is_some() => k,
            (_, Some(k)) => k,
            (k, None) => k.unwrap_or_default(),
        };
        AdmissionRequest {
            uid: r.uid.unwrap_or_default(),
            kind,
            sub_resource: r.sub_resource.filter(|s| !s.is_empty()),
            name: r.name,
            namespace: r.namespace,
            operation: r.operation.unwrap_or_default(),
            object: r.object,
            old_object: r.old_object,
        }
    }

    /// A manifest treated as a CREATE request in its own namespace (or `default`).
    pub fn from_object(object: K8sObject<'a>) -> AdmissionRequest<'a> {
        AdmissionRequest::from_fields(RequestFields {
            uid: Some(Cow::Borrowed("")),
            kind: None,
            sub_resource: None,
            name: object.metadata.as_ref().and_then(|m| m.name.clone()),
            namespace: Some(
                object
                    .metadata
                    .as_ref()
                    .and_then(|m| m.namespace.clone())
                    .unwrap_or(Cow::Borrowed("default")),
            ),
            operation: Some(Cow::Borrowed("CREATE")),
            object: Some(object),
            old_object: None,
        })
    }
}

impl<'a> Input<'a> {
    /// Interpret the decoded input. `Err` names what is missing.
    pub fn into_request(self) -> Result<AdmissionRequest<'a>, String> {
        if let Some(request) = self.request {
            check_kind(&request)?;
            return Ok(AdmissionRequest::from_fields(request));
        }
        if matches!(&self.kind, Some(KindField::Name(k)) if k == "AdmissionReview") {
            return Err("AdmissionReview has no request".to_owned());
        }
        let looks_like_request = self.operation.is_some()
            || self.object.is_some()
            || self.uid.is_some()
            || matches!(self.kind, Some(KindField::Gvk(_)));
        if looks_like_request {
            let kind = match self.kind {
                Some(KindField::Gvk(g)) => Some(g),
                _ => None,
            };
            let fields = RequestFields {
                uid: self.uid,
                kind,
                sub_resource: self.sub_resource,
                name: self.name,
                namespace: self.namespace,
                operation: self.operation,
                object: self.object.map(|o| *o),
                old_object: self.old_object.map(|o| *o),
            };
            check_kind(&fields)?;
            return Ok(AdmissionRequest::from_fields(fields));
        }
        match self.kind {
            Some(KindField::Name(kind)) => Ok(AdmissionRequest::from_object(K8sObject {
                api_version: self.api_version,
                kind: Some(kind),
                metadata: self.metadata.map(|m| *m),
                spec: self.spec,
            })),
            _ => Err("input is neither an AdmissionReview, an AdmissionRequest nor a Kubernetes object (no kind)".to_owned()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_object_text_of_a_request_document() {
        let bare = r#"{"uid":"u","object":{"a":1},"object" : {"kind":"Pod"} }"#;
        assert_eq!(request_object_text(bare), Some(r#"{"kind":"Pod"}"#));
        let review = r#"{"object":{"x":1},"request":{"object":[1]}}"#;
        assert_eq!(request_object_text(review), Some("[1]"));
        for none in [
            r#"{"request":null,"object":{}}"#,
            r#"{"uid":"u"}"#,
            "[]",
            "{",
            "",
        ] {
            assert_eq!(request_object_text(none), None, "{none}");
        }
    }

    #[test]
    fn last_duplicate_key_wins_and_unknown_fields_are_skipped() {
        let raw = r#"{"kind":"Pod","metadata":{"name":"a","name":"b","extra":{"deep":[1,2,{"x":null}]},
            "annotations":{"k":"1","k":"2"}},"spec":{"containers":[{"name":"c","image":"x"}]}}"#;
        let input: Input = serde_json::from_str(raw).unwrap();
        let req = input.into_request().unwrap();
        assert_eq!(req.operation, "CREATE");
        let meta = req.object.unwrap().metadata.unwrap();
        assert_eq!(meta.name.as_deref(), Some("b"));
        assert_eq!(meta.annotations.unwrap().get("k").map(|v| &**v), Some("2"));
    }

    #[test]
    fn reads_all_three_shapes() {
        let review = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"kind":"Pod"}}}"#;
        let req = serde_json::from_str::<Input>(review)
            .unwrap()
            .into_request()
            .unwrap();
        assert_eq!((&*req.uid, &*req.operation), ("u", "CREATE"));
        let request = r#"{"uid":"u","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"UPDATE","object":{}}"#;
        let req = serde_json::from_str::<Input>(request)
            .unwrap()
            .into_request()
            .unwrap();
        assert_eq!(req.operation, "UPDATE");
        assert_eq!(req.kind.kind.as_deref(), Some("Deployment"));
        assert!(
            serde_json::from_str::<Input>(r#"{"foo":1}"#)
                .unwrap()
                .into_request()
                .is_err()
        );
    }

    #[test]
    fn null_reads_as_absent_and_secret_refs_take_both_forms() {
        let raw = r#"{"kind":"Pod","metadata":null,"spec":{"imagePullSecrets":[{"name":"a"},"ns:b",{}],"containers":null}}"#;
        let req = serde_json::from_str::<Input>(raw)
            .unwrap()
            .into_request()
            .unwrap();
        let obj = req.object.unwrap();
        assert!(obj.metadata.is_none());
        let spec = obj.spec.unwrap();
        let names: Vec<&str> = spec
            .image_pull_secrets
            .as_deref()
            .unwrap()
            .iter()
            .map(SecretRef::as_str)
            .collect();
        assert_eq!(names, ["a", "ns:b", ""]);
    }
}
