//! Annotation and label keys the policy knows, and near-miss detection for misspelt ones.

#![forbid(unsafe_code)]

use crate::grammar::text;

pub const INSTANCE_IDS: &str = "k8s.aliyun.com/acr-instance-ids";
pub const INSTANCE_ID_LEGACY: &str = "k8s.aliyun.com/acr-instance-id";
pub const SERVICE_ARNS: &str = "k8s.aliyun.com/acr-service-arns";
pub const USER_ARNS: &str = "k8s.aliyun.com/acr-user-arns";
pub const PLAIN_HTTP_REGISTRY: &str = "k8s.aliyun.com/plain-http-registry";
pub const INSECURE_REGISTRY: &str = "k8s.aliyun.com/insecure-registry";
pub const IMC_ID: &str = "k8s.aliyun.com/eci-imc-id";
pub const IMAGE_SNAPSHOT_ID: &str = "k8s.aliyun.com/eci-image-snapshot-id";
/// The RAM role the ECI instance itself assumes (for code in the pod, not for pulls).
pub const RAM_ROLE_NAME: &str = "k8s.aliyun.com/eci-ram-role-name";

/// The keys that configure a secret-free pull (the three documented ones and the legacy singular).
pub const ACR_PULL_KEYS: &[&str] = &[INSTANCE_IDS, SERVICE_ARNS, USER_ARNS, INSTANCE_ID_LEGACY];

/// Keys whose misspellings the policy reports (`annotation-key-unknown`).
pub(crate) const NEAR_MISS_TARGETS: &[&str] = &[
    INSTANCE_IDS,
    SERVICE_ARNS,
    USER_ARNS,
    PLAIN_HTTP_REGISTRY,
    INSECURE_REGISTRY,
    IMC_ID,
    IMAGE_SNAPSHOT_ID,
];

/// Every `k8s.aliyun.com/` key that ECI documents; never reported as a near miss.
pub(crate) const KNOWN: &[&str] = &[
    INSTANCE_IDS,
    INSTANCE_ID_LEGACY,
    SERVICE_ARNS,
    USER_ARNS,
    PLAIN_HTTP_REGISTRY,
    INSECURE_REGISTRY,
    IMC_ID,
    IMAGE_SNAPSHOT_ID,
    "k8s.aliyun.com/eci-auto-imc",
    "k8s.aliyun.com/imc-perfect-match",
    "k8s.aliyun.com/imc-match-count-request",
    "k8s.aliyun.com/eci-image-cache",
    "k8s.aliyun.com/imc-enable-reuse",
    "k8s.aliyun.com/imc-enable-flash",
    "k8s.aliyun.com/imc-cpu-arch",
    "k8s.aliyun.com/imc-os-type",
    "k8s.aliyun.com/vswitch-ids",
    "k8s.aliyun.com/security-group-id",
    "k8s.aliyun.com/resource-group-id",
    RAM_ROLE_NAME,
    "k8s.aliyun.com/eci-instance-id",
    "k8s.aliyun.com/eci-matched-image-cache",
    "k8s.aliyun.com/eci-request-id",
    "k8s.aliyun.com/image-accelerate-mode",
    "k8s.aliyun.com/p2p-config",
];

/// Prefixes people write instead of `k8s.aliyun.com`.
pub(crate) const LOOKALIKE_PREFIXES: &[&str] = &[
    "",
    "k8s.alibabacloud.com",
    "alibabacloud.com",
    "aliyun.com",
    "eci.aliyun.com",
    "eci.alibabacloud.com",
    "k8s.aliyuncs.com",
    "aliyuncs.com",
    "acr.aliyun.com",
    "kubernetes.aliyun.com",
];

/// If `key` looks like a misspelling of a key ECI reads, the key it should be.
pub fn near_miss(key: &str) -> Option<&'static str> {
    if KNOWN.contains(&key) {
        return None;
    }
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    const PREFIX: &str = "k8s.aliyun.com";
    // Most keys of a real object are another project's: no edit distance for a prefix whose
    // length alone puts it more than two edits away.
    let chars = if prefix.is_ascii() {
        prefix.len()
    } else {
        prefix.chars().count()
    };
    let plausible_prefix = LOOKALIKE_PREFIXES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(prefix))
        || (chars.abs_diff(PREFIX.len()) <= 2
            && text::edit_distance(&prefix.to_ascii_lowercase(), PREFIX, 2).is_some());
    if !plausible_prefix {
        return None;
    }
    let name = name.to_ascii_lowercase().replace(['_', ' ', '.'], "-");
    NEAR_MISS_TARGETS
        .iter()
        .filter_map(|target| {
            let target_name = target.rsplit_once('/').map_or(*target, |(_, n)| n);
            // Singular/plural slips count as one edit ("registries" for "registry").
            let plural_slip = [
                format!("{target_name}s"),
                target_name
                    .strip_suffix('s')
                    .unwrap_or(target_name)
                    .to_owned(),
                target_name
                    .strip_suffix('y')
                    .map(|t| format!("{t}ies"))
                    .unwrap_or_default(),
            ]
            .contains(&name);
            let d = if plural_slip {
                Some(1)
            } else {
                text::edit_distance(&name, target_name, 2)
            };
            d.map(|d| (d, *target))
        })
        .min()
        .map(|(_, target)| target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_found() {
        let cases: &[(&str, Option<&str>)] = &[
            ("k8s.aliyun.com/acr-instance-ids", None),
            ("k8s.aliyun.com/acr-instance-id", None),
            ("k8s.aliyun.com/eci-use-specs", None),
            ("app.kubernetes.io/name", None),
            ("k8s.aliyun.com/ACR-Instance-IDs", Some(INSTANCE_IDS)),
            ("k8s.aliyun.com/acr_instance_ids", Some(INSTANCE_IDS)),
            ("k8s.alibabacloud.com/acr-instance-ids", Some(INSTANCE_IDS)),
            ("acr-instance-ids", Some(INSTANCE_IDS)),
            ("k8s.aliyun.com/acr-instances-ids", Some(INSTANCE_IDS)),
            ("k8s.aliyun.com/acr-service-arn", Some(SERVICE_ARNS)),
            ("k8s.aliyun.com/acr-user-arn", Some(USER_ARNS)),
            ("k8s.aliyun.con/acr-user-arns", Some(USER_ARNS)),
            (
                "k8s.aliyun.com/plain-http-registries",
                Some(PLAIN_HTTP_REGISTRY),
            ),
            ("k8s.aliyun.com/eci-imc-ids", Some(IMC_ID)),
            ("example.com/acr-instance-ids", None),
        ];
        for (key, want) in cases {
            assert_eq!(near_miss(key), *want, "{key}");
        }
    }
}
