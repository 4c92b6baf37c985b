//! The rule table: ids (stable API), default actions and one-line summaries.
//!
//! `policies/README.md` and `secretfree rules` are generated from [`RuleId::ALL`].

#![forbid(unsafe_code)]

use core::fmt;

/// What a finding does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// The request is rejected.
    Deny,
    /// The request is allowed; the finding is reported as a warning.
    Warn,
    /// The finding was repaired by the patch.
    Mutated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "deny",
            Action::Warn => "warn",
            Action::Mutated => "mutated",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The grouping used in the rule table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Placement,
    Values,
    Images,
    Access,
    ImageCache,
    Other,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::Placement => "Placement and lifecycle",
            Category::Values => "Values",
            Category::Images => "Images",
            Category::Access => "Access control (active only when `access` is configured)",
            Category::ImageCache => "ImageCache",
            Category::Other => "Other",
        }
    }
}

macro_rules! rules {
    ($( $variant:ident = $id:literal, $action:ident, $mutates:literal, $cat:ident, $summary:literal; )*) => {
        /// A rule id. The kebab-case string is API: stable across releases.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId { $( $variant, )* }

        impl RuleId {
            /// Every rule, in table order.
            pub const ALL: &'static [RuleId] = &[ $( RuleId::$variant, )* ];

            /// The stable kebab-case id.
            pub fn id(self) -> &'static str {
                match self { $( RuleId::$variant => $id, )* }
            }

            /// The action a finding gets unless settings override it.
            pub fn default_action(self) -> Action {
                match self { $( RuleId::$variant => Action::$action, )* }
            }

            /// Whether `mutate: true` can repair (some of) this rule's findings.
            pub fn mutates(self) -> bool {
                match self { $( RuleId::$variant => $mutates, )* }
            }

            pub fn category(self) -> Category {
                match self { $( RuleId::$variant => Category::$cat, )* }
            }

            /// One line for the rule table.
            pub fn summary(self) -> &'static str {
                match self { $( RuleId::$variant => $summary, )* }
            }

            /// Look a rule up by its id.
            pub fn from_id(id: &str) -> Option<RuleId> {
                // A search of the table, not a `match` on strings: that compiled to 2.6 KB of
                // wasm, and settings are the only caller.
                RuleId::ALL.iter().copied().find(|rule| rule.id() == id)
            }
        }
    };
}

rules! {
    AnnotationMisplaced = "annotation-misplaced", Deny, true, Placement,
        "ACR pull annotation on a controller's own metadata (or a CronJob's jobTemplate metadata) but not in the pod template (or there with another value), or written as a label, where ECI never sees it; mutation moves it";
    AnnotationDuplicated = "annotation-duplicated", Warn, false, Placement,
        "the same ACR pull annotation with the same value on a controller's own metadata (or a CronJob's jobTemplate metadata) and in its pod template (kustomize `commonAnnotations`, many Helm charts): the pods get the template's copy, the other has no effect; never mutated, so GitOps tools see no drift";
    AnnotationOnExistingPod = "annotation-on-existing-pod", Warn, false, Placement,
        "UPDATE of a bound pod (`spec.nodeName` set) that adds, changes or removes ACR pull annotations: ECI reads them only when it creates the instance (what the update adds still goes through the access gate; an unbound pod's UPDATE is judged like a create)";
    AnnotationKeyUnknown = "annotation-key-unknown", Deny, false, Placement,
        "near-miss of a known ECI annotation key (case, `_`, wrong prefix, singular/plural, edit distance <= 2); ECI ignores it";
    AnnotationKeyLegacy = "annotation-key-legacy", Warn, true, Placement,
        "singular `k8s.aliyun.com/acr-instance-id` (older docs); mutation renames it to `acr-instance-ids`";
    AnnotationsOffEci = "annotations-off-eci", Warn, false, Placement,
        "ACR pull annotations on a pod that shows no ECI signal (label, nodeSelector, affinity, toleration, nodeName, burst annotation): pods on ordinary nodes ignore them; a namespace label or eci-profile the policy cannot see may still send the pod to ECI (list such namespaces in `eciScope.namespaces`)";
    InstanceIdInvalid = "instance-id-invalid", Deny, false, Values,
        "`acr-instance-ids` token not `[<region>:]cri-[a-z0-9]{16}` (an id written before its region included), or an empty token; a separator other than a comma, a repeated id or an id of another length only warn (not documented)";
    InstanceRegionUnknown = "instance-region-unknown", Warn, false, Values,
        "region prefix in `acr-instance-ids` fits the grammar but is not in the policy's list of Alibaba Cloud regions (from Alibaba Cloud's endpoint tables); \"did you mean\" only for a one-character typo";
    RoleArnInvalid = "role-arn-invalid", Deny, false, Values,
        "`acr-service-arns` / `acr-user-arns` not `acs:ram::<16 digits>:role/<name>`; more than one ARN in a key or `_` in the name only warns (the documentation shows one ARN per key and does not say whether several are read)";
    PlaceholderValue = "placeholder-value", Deny, false, Values,
        "masked or template value instead of a real one: `*` runs (`****`), `<...>`, `${...}` / `{{...}}`, or an id or account made entirely of `x` (`cri-xxxxxxxxxxxxxxxx`); never a substring of a real name (`boxxxer` is fine)";
    UserArnWithoutServiceArn = "user-arn-without-service-arn", Deny, false, Values,
        "`acr-user-arns` without `acr-service-arns`: the cross-account chain needs both roles";
    CrossAccountSameAccount = "cross-account-same-account", Warn, false, Values,
        "service and user role ARNs are in the same account, so the cross-account chain is pointless";
    ServiceArnWrongAccount = "service-arn-wrong-account", Deny, false, Values,
        "service role is not in the ECI account (`accountId`); ECI can only assume roles of its own account";
    CrossAccountWithoutRoles = "cross-account-without-roles", Deny, false, Values,
        "image from a registry that the settings say another account owns (`customDomains[].accountId`, `instances[].accountId`, compared with `accountId`) while the pod lacks `acr-user-arns` (with `acr-service-arns`), or names a user role in yet another account";
    ImageInvalid = "image-invalid", Deny, false, Images,
        "image reference that does not parse (distribution reference grammar)";
    CustomDomainMissingInstance = "custom-domain-missing-instance", Deny, true, Images,
        "image on a configured custom domain whose instance id is not in `acr-instance-ids`; mutation adds it";
    InstanceRegionPrefixMissing = "instance-region-prefix-missing", Deny, true, Images,
        "instance in another region than `clusterRegion` listed without `<region>:` prefix, or with the wrong one; mutation fixes the prefix";
    ExternalImageWithoutSecret = "external-image-without-secret", Warn, false, Images,
        "non-ACR image, not matched by `anonymousImages`, and no `imagePullSecrets`: secret-free pulling cannot work for it";
    PullSecretRedundant = "pull-secret-redundant", Warn, false, Images,
        "every image can pull secret-free but `imagePullSecrets` are set";
    VpcEndpointOtherRegion = "vpc-endpoint-other-region", Warn, false, Images,
        "`-vpc` ACR endpoint in a region other than `clusterRegion`: VPC endpoints resolve only in their own region";
    PersonalPublicEndpoint = "personal-public-endpoint", Warn, false, Images,
        "new Personal Edition (`crpi-`) public endpoint, which cannot be used to pull; use its `-vpc` endpoint";
    ClassicNetworkEndpoint = "classic-network-endpoint", Warn, false, Images,
        "classic network endpoint `registry[-intl]-internal.<region>.aliyuncs.com` on a pod that may run on ECI: ECI runs in a VPC, which does not reach the classic network endpoint; use the `-vpc` endpoint";
    AcrHostInsecureListed = "acr-host-insecure-listed", Warn, false, Images,
        "an ACR host listed in `plain-http-registry` / `insecure-registry` (ACR always serves valid TLS)";
    RegistryListInvalid = "registry-list-invalid", Deny, false, Images,
        "`plain-http-registry` / `insecure-registry` not a comma-separated list of `host[:port]`";
    RoleNotAllowed = "role-not-allowed", Deny, false, Access,
        "a service or user role ARN that `access` does not allow for the namespace";
    InstanceNotAllowed = "instance-not-allowed", Deny, false, Access,
        "an id in `acr-instance-ids`, or the instance behind a pulled image (a configured custom domain, or a default domain of an instance in `instances`), that `access` does not allow for the namespace";
    RamRoleNotAllowed = "ram-role-not-allowed", Deny, false, Access,
        "`k8s.aliyun.com/eci-ram-role-name` (the RAM role the ECI instance assumes) not in the namespace's `access[].ramRoleNames` (checked when the entry lists them)";
    ImagecacheImagesInvalid = "imagecache-images-invalid", Deny, false, ImageCache,
        "ImageCache `spec.images` empty or unparseable (deny), or more than 20 images (warn)";
    ImagecacheSizeInvalid = "imagecache-size-invalid", Deny, false, ImageCache,
        "ImageCache `spec.imageCacheSize` not an integer in 20..=32768 (GiB)";
    ImagecacheRetentionInvalid = "imagecache-retention-invalid", Deny, false, ImageCache,
        "ImageCache `spec.retentionDays` not an integer in 1..=65536";
    ImagecacheSecretRefInvalid = "imagecache-secret-ref-invalid", Deny, false, ImageCache,
        "ImageCache `spec.imagePullSecrets` item not `<namespace>:<secret name>`";
    ImcIdInvalid = "imc-id-invalid", Warn, false, Other,
        "`k8s.aliyun.com/eci-imc-id` / `eci-image-snapshot-id` not an image cache id (`imc-...`)";
    RuleSkipped = "rule-skipped", Warn, false, Other,
        "`secretfree.io/skip: rule-a,rule-b` on the pod (template) or ImageCache metadata turned rules off for the object, or named an unknown rule or one the settings do not let objects skip (the access gate unless `allowSkip` lists it): every skip shows in audits";
    RequestInvalid = "request-invalid", Deny, false, Other,
        "malformed input (not JSON/YAML, wrong shapes, invalid UTF-8, absurd size or depth): fail closed";
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The rule table as Markdown (the body of `policies/README.md`).
pub fn markdown_table() -> String {
    let mut out = String::new();
    let mut current: Option<Category> = None;
    for rule in RuleId::ALL {
        if current != Some(rule.category()) {
            current = Some(rule.category());
            out.push_str(&format!(
                "\n### {}\n\n| rule | default | mutates | what it catches |\n|---|---|---|---|\n",
                rule.category().title()
            ));
        }
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.id(),
            rule.default_action(),
            if rule.mutates() { "yes" } else { "" },
            rule.summary()
        ));
    }
    out
}

/// The whole of `policies/README.md` (generated; a test keeps the file in sync).
pub fn policies_readme() -> String {
    format!(
        "# secretfree rules\n\n\
<!-- Generated from src/rules.rs by `secretfree rules --markdown`; do not edit by hand. -->\n\n\
Rule ids are API: stable, kebab-case, the same string in findings, settings (`rules:`), case folders\n\
(`policies/cases/<rule-id>/`) and snapshots. `default` is the action a finding gets unless the settings'\n\
`rules:` map says `deny`, `warn` or `off`; `mutates` marks rules whose findings `mutate: true` repairs\n\
(those findings then carry the action `mutated`).\n{}",
        markdown_table()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_kebab_case() {
        for rule in RuleId::ALL {
            assert_eq!(RuleId::from_id(rule.id()), Some(*rule));
            assert!(
                rule.id()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
        }
        assert_eq!(RuleId::from_id("no-such-rule"), None);
    }
}
