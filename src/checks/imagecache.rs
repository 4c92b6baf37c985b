//! ImageCache fields: images, size, retention and pull-secret references
//! (`eci.alibabacloud.com/v1` ImageCache `spec`). Annotations and images of an ImageCache go
//! through the other families like a pod's.

#![forbid(unsafe_code)]

use super::{Report, Shown};
use crate::grammar::text::{is_dns1123_label, is_dns1123_subdomain};
use crate::model::{Scalar, SecretRef};
use crate::rules::RuleId;
use crate::workload::Workload;

/// The most images an ImageCache may hold (API and ROS limit).
const IMAGECACHE_MAX_IMAGES: usize = 20;

/// The ImageCache family.
pub fn check(r: &mut Report, w: &Workload) {
    let spec = w.spec;
    let images = spec.and_then(|s| s.images.as_ref());
    match images {
        None => r.report(
            RuleId::ImagecacheImagesInvalid,
            "/spec/images",
            "the ImageCache has no spec.images; it needs at least one image to cache",
            "list the images to cache in spec.images",
        ),
        Some(list) if list.is_empty() => r.report(
            RuleId::ImagecacheImagesInvalid,
            "/spec/images",
            "the ImageCache's spec.images is empty; it needs at least one image to cache",
            "list the images to cache in spec.images",
        ),
        Some(list) if list.len() > IMAGECACHE_MAX_IMAGES => r.report_soft(
            RuleId::ImagecacheImagesInvalid,
            "/spec/images",
            format!("the ImageCache lists {} images; the CreateImageCache API takes at most {IMAGECACHE_MAX_IMAGES}, and the documentation does not say whether the ImageCache resource has the same limit", list.len()),
            "split the images over several ImageCache objects",
        ),
        Some(_) => {}
    }
    let range_check = |r: &mut Report,
                       rule: RuleId,
                       field: &str,
                       value: Option<&Scalar>,
                       lo: i64,
                       hi: i64,
                       unit: &str| {
        let Some(v) = value else { return };
        if v.as_int()
            .is_some_and(|n| (i128::from(lo)..=i128::from(hi)).contains(&n))
        {
            return;
        }
        r.report(
            rule,
            format!("/spec/{field}"),
            format!("the ImageCache's spec.{field} is {v}; it must be an integer from {lo} to {hi} ({unit})"),
            format!("set spec.{field} to an integer between {lo} and {hi}, or remove it for the default"),
        );
    };
    range_check(
        r,
        RuleId::ImagecacheSizeInvalid,
        "imageCacheSize",
        spec.and_then(|s| s.image_cache_size.as_ref()),
        20,
        32768,
        "GiB",
    );
    range_check(
        r,
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
                    .is_some_and(|(ns, name)| is_dns1123_label(ns) && is_dns1123_subdomain(name));
                if !ok {
                    r.report(
                        RuleId::ImagecacheSecretRefInvalid,
                        path,
                        format!("ImageCache pull secret {text:?} is not \"<namespace>:<secret name>\"", text = Shown(text)),
                        fix,
                    );
                }
            }
            SecretRef::Named(name) => r.report(
                RuleId::ImagecacheSecretRefInvalid,
                path,
                match name {
                    Some(name) => format!(
                        "ImageCache pull secret {{name: {name:?}}} uses the pod form; ImageCache takes \"<namespace>:<secret name>\" strings",
                        name = Shown(name)
                    ),
                    None => "ImageCache pull secret is a mapping, not a \"<namespace>:<secret name>\" string (in YAML an unquoted namespace:name becomes a mapping; quote it)".to_owned(),
                },
                fix,
            ),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::checks::testing::{object, settings, summary, workload};
    use crate::workload::Shape;

    fn run(spec: &str) -> Vec<(&'static str, &'static str, String)> {
        let o = object(&format!(r#"{{"spec":{spec}}}"#));
        let w = workload(Shape::ImageCache, "", &o);
        let s = settings("{}");
        let mut r = Report::new(&s);
        check(&mut r, &w);
        summary(&r.finish())
    }

    #[test]
    fn fields() {
        assert!(run(r#"{"images":["nginx"],"imageCacheSize":20,"retentionDays":7,"imagePullSecrets":["default:pull"]}"#).is_empty());
        assert_eq!(
            run("{}"),
            [("imagecache-images-invalid", "deny", "/spec/images".into())]
        );
        let many = format!(r#"{{"images":[{}]}}"#, vec!["\"nginx\""; 21].join(","));
        assert_eq!(
            run(&many),
            [("imagecache-images-invalid", "warn", "/spec/images".into())]
        );
        assert_eq!(
            run(
                r#"{"images":["nginx"],"imageCacheSize":"20Gi","retentionDays":0,"imagePullSecrets":[{"name":"x"},"default/pull"]}"#
            ),
            [
                (
                    "imagecache-retention-invalid",
                    "deny",
                    "/spec/retentionDays".into()
                ),
                (
                    "imagecache-secret-ref-invalid",
                    "deny",
                    "/spec/imagePullSecrets/0".into()
                ),
                (
                    "imagecache-secret-ref-invalid",
                    "deny",
                    "/spec/imagePullSecrets/1".into()
                ),
                (
                    "imagecache-size-invalid",
                    "deny",
                    "/spec/imageCacheSize".into()
                ),
            ]
        );
    }
}
