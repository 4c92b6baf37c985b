//! Values and grammar: the instance-id list, role ARNs and the cross-account pair, registry
//! lists, image cache ids, and placeholders copied from the documentation. Reads the
//! annotations as the placement family left them (after planned moves and renames); findings
//! point at what the user wrote.

#![forbid(unsafe_code)]

use super::{Report, Shown};
use crate::acr;
use crate::grammar::regions::{closest_region, is_known_region};
use crate::grammar::values::{
    self, ArnProblem, InstanceIdList, InstanceToken, MAX_LIST_ENTRIES, RoleArn, TokenProblem,
};
use crate::keys::{
    IMAGE_SNAPSHOT_ID, IMC_ID, INSECURE_REGISTRY, INSTANCE_ID_LEGACY, INSTANCE_IDS,
    PLAIN_HTTP_REGISTRY, SERVICE_ARNS, USER_ARNS,
};
use crate::repair::Moves;
use crate::rules::RuleId;
use crate::workload::{Shape, Workload};

/// The instance-id annotation in use and its parsed list.
#[derive(Debug)]
pub struct InstanceIds {
    pub key: &'static str,
    pub list: InstanceIdList,
    /// Every token parsed and no separator problem: safe to rewrite.
    pub clean: bool,
}

impl InstanceIds {
    /// The tokens that parsed.
    pub fn ids(&self) -> impl Iterator<Item = &InstanceToken> {
        self.list.tokens.iter().filter_map(|t| t.as_ref().ok())
    }
}

/// The values family. Returns the parsed instance-id list for the images family.
pub fn check(r: &mut Report, w: &Workload, moves: &Moves) -> Option<InstanceIds> {
    let ids = instance_ids(r, w, moves);
    role_arns(r, w, moves);
    registry_lists(r, w, moves);
    imc_ids(r, w, moves);
    ids
}

fn instance_ids(r: &mut Report, w: &Workload, moves: &Moves) -> Option<InstanceIds> {
    let effective = &moves.effective;
    let key = [INSTANCE_IDS, INSTANCE_ID_LEGACY]
        .into_iter()
        .find(|k| effective.contains_key(*k))?;
    let value = effective.get(key).map(String::as_str).unwrap_or_default();
    let path = w.value_path(key);
    let list = values::parse_instance_ids(value);
    // A template expression or masked value is one finding, not one per fragment.
    let placeholder = values::looks_like_placeholder(value);
    let fix_real_id = || {
        format!(
            "replace it with your real instance id (ACR console, instance details: cri-...) in {}",
            w.meta_dots
        )
    };
    if placeholder {
        r.report_placeholder(key, value, path.clone(), fix_real_id());
    } else if value.trim().is_empty() {
        r.report(
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
        r.report(
            RuleId::InstanceIdInvalid,
            path.clone(),
            format!(
                "{key} value {value:?} separates ids with {sep:?}; ECI splits the list on commas",
                value = Shown(value)
            ),
            fix_format.clone(),
        );
    }
    for token in list.tokens.iter().filter(|tok| !placeholder || tok.is_ok()) {
        let (message, rule) = match token {
            Ok(tok) => {
                let Some(region) = tok.region.as_deref().filter(|r| !is_known_region(r)) else {
                    continue;
                };
                let guess = closest_region(region);
                let hint = guess
                    .map(|r| format!(" (did you mean {r}?)"))
                    .unwrap_or_default();
                let fix = match guess {
                    Some(g) => format!("write it as {g}:{} if {g} is the instance's region", tok.id),
                    None => "check the instance's region id in the ACR console (instance details); a region newer than the policy's list can be accepted with rules: {instance-region-unknown: \"off\"}".to_owned(),
                };
                r.report(
                    RuleId::InstanceRegionUnknown,
                    path.clone(),
                    format!("{key} names region {region:?} for {}, which is not in the policy's list of Alibaba Cloud regions{hint}", tok.id, region = Shown(region)),
                    fix,
                );
                continue;
            }
            Err((_, TokenProblem::Empty)) => (
                if value.trim().is_empty() {
                    format!("{key} is empty")
                } else {
                    format!(
                        "{key} value {value:?} has an empty entry (stray comma)",
                        value = Shown(value)
                    )
                },
                RuleId::InstanceIdInvalid,
            ),
            Err((raw, TokenProblem::Placeholder)) => {
                r.report(
                    RuleId::PlaceholderValue,
                    path.clone(),
                    format!(
                        "{key} contains {raw:?}, {}",
                        super::placeholder_text(raw),
                        raw = Shown(raw)
                    ),
                    fix_real_id(),
                );
                continue;
            }
            Err((raw, TokenProblem::BadRegion(region))) => (
                format!(
                    "{key} entry {raw:?} has region prefix {region:?}, which is not a region id",
                    raw = Shown(raw),
                    region = Shown(region)
                ),
                RuleId::InstanceIdInvalid,
            ),
            Err((raw, TokenProblem::BadId(id))) => {
                let hint = if id.starts_with("crpi-") {
                    " (crpi- ids are Personal Edition instances, which need no acr-instance-ids)"
                } else if id.to_ascii_lowercase() != *id
                    && values::is_cri_id(&id.to_ascii_lowercase())
                {
                    " (instance ids are lower-case)"
                } else {
                    ""
                };
                (
                    format!(
                        "{key} entry {raw:?} is not an ACR Enterprise Edition instance id{hint}",
                        raw = Shown(raw)
                    ),
                    RuleId::InstanceIdInvalid,
                )
            }
        };
        r.report(rule, path.clone(), message, fix_format.clone());
    }
    if list.too_long() {
        r.report(
            RuleId::InstanceIdInvalid,
            path.clone(),
            format!(
                "{key} has {} entries; the policy reads at most {MAX_LIST_ENTRIES}",
                list.entries
            ),
            format!("list only the instances the pod pulls from in {key}"),
        );
    }
    for dup in list.duplicates.iter().filter(|_| !placeholder) {
        r.report(
            RuleId::InstanceIdInvalid,
            path.clone(),
            format!("{key} lists {dup} more than once"),
            format!("list each instance once in {key}"),
        );
    }
    let clean = !placeholder
        && !list.too_long()
        && !value.trim().is_empty()
        && list.bad_separator.is_none()
        && list.duplicates.is_empty()
        && list.tokens.iter().all(Result::is_ok);
    Some(InstanceIds { key, list, clean })
}

/// One role key as written: `None` when absent, `Some(None)` when it does not parse.
fn role_arn(r: &mut Report, w: &Workload, moves: &Moves, key: &str) -> Option<Option<RoleArn>> {
    let value = moves.effective.get(key)?;
    let path = w.value_path(key);
    let fix = format!(
        "set {key} to exactly one role ARN, acs:ram::<16-digit account id>:role/<role name>"
    );
    match values::parse_role_arn(value) {
        Ok((arn, underscore)) => {
            if underscore {
                r.report_soft(
                    RuleId::RoleArnInvalid,
                    path,
                    format!("{key} role name {:?} contains '_', which RAM's CreateRole API does not accept (only letters, digits, '.' and '-')", arn.role),
                    "check that the role really exists under this name in the RAM console".to_owned(),
                );
            }
            Some(Some(arn))
        }
        Err(problem) => {
            match problem {
                ArnProblem::Empty => {
                    r.report(RuleId::RoleArnInvalid, path, format!("{key} is empty"), fix)
                }
                ArnProblem::Placeholder => r.report_placeholder(
                    key,
                    value,
                    path,
                    format!(
                        "replace it with the real role ARN (RAM console, role details) in {}",
                        w.meta_dots
                    ),
                ),
                ArnProblem::Multiple(n) => r.report(
                    RuleId::RoleArnInvalid,
                    path,
                    format!("{key} lists {n} ARNs; ECI takes exactly one role per key"),
                    fix,
                ),
                ArnProblem::Malformed(reason) => r.report(
                    RuleId::RoleArnInvalid,
                    path,
                    format!(
                        "{key} value {value:?} is not a RAM role ARN: {reason}",
                        value = Shown(value)
                    ),
                    fix,
                ),
            }
            Some(None)
        }
    }
}

fn role_arns(r: &mut Report, w: &Workload, moves: &Moves) {
    let service = role_arn(r, w, moves, SERVICE_ARNS);
    let user = role_arn(r, w, moves, USER_ARNS);
    if user.is_some() && service.is_none() {
        r.report(
            RuleId::UserArnWithoutServiceArn,
            w.value_path(USER_ARNS),
            format!("{USER_ARNS} is set but {SERVICE_ARNS} is missing: a cross-account pull needs the role in the ECI account ({SERVICE_ARNS}) that assumes the role in the registry's account ({USER_ARNS})"),
            format!("add {SERVICE_ARNS}: \"acs:ram::<ECI account id>:role/<role name>\" to {}", w.meta_dots),
        );
    }
    if let (Some(Some(s)), Some(Some(u))) = (&service, &user)
        && s.account == u.account
    {
        r.report(
            RuleId::CrossAccountSameAccount,
            w.value_path(USER_ARNS),
            format!("{SERVICE_ARNS} and {USER_ARNS} are both in account {}; the user role is only for pulling from another account's registry", s.account),
            format!("for a same-account pull drop {USER_ARNS}; for a cross-account pull use the role in the registry owner's account"),
        );
    }
    if let (Some(Some(s)), Some(account)) = (&service, r.settings.account_id.as_deref())
        && s.account != account
    {
        let account = account.to_owned();
        r.report(
            RuleId::ServiceArnWrongAccount,
            w.value_path(SERVICE_ARNS),
            format!("{SERVICE_ARNS} names a role in account {}, but ECI runs in account {account} and can only assume roles of its own account", s.account),
            format!("use a role of account {account} in {SERVICE_ARNS}; put the registry account's role in {USER_ARNS}"),
        );
    }
}

/// The value of `key` and where the user wrote it, unless it is absent or a placeholder
/// copied from the documentation (reported here, with `fix`).
fn unmasked<'m>(
    r: &mut Report,
    w: &Workload,
    moves: &'m Moves,
    key: &str,
    fix: impl FnOnce() -> String,
) -> Option<(&'m str, String)> {
    let value = moves.effective.get(key)?;
    let path = w.value_path(key);
    if values::looks_like_placeholder(value) {
        r.report_placeholder(key, value, path, fix());
        return None;
    }
    Some((value, path))
}

fn registry_lists(r: &mut Report, w: &Workload, moves: &Moves) {
    for key in [PLAIN_HTTP_REGISTRY, INSECURE_REGISTRY] {
        let fix = || format!("list your registry addresses (host[:port]) in {key}");
        let Some((value, path)) = unmasked(r, w, moves, key, fix) else {
            continue;
        };
        let (entries, problems) = values::parse_registry_list(value);
        for (item, reason) in problems {
            r.report(
                RuleId::RegistryListInvalid,
                path.clone(),
                format!("{key} entry {item:?} is not host[:port]: {reason}", item = Shown(&item)),
                format!("write {key} as comma-separated host[:port] entries, e.g. \"harbor.example.com:5000,10.0.0.8\""),
            );
        }
        for entry in entries {
            let host = acr::classify_host(&entry.host, entry.port, &r.settings.custom_domains);
            if host.is_acr() {
                let registry = match entry.port {
                    Some(p) => format!("{}:{p}", entry.host),
                    None => entry.host.clone(),
                };
                r.report(
                    RuleId::AcrHostInsecureListed,
                    path.clone(),
                    format!("{key} lists {registry}, an {}; ACR serves valid TLS and listing it weakens every pull from it", host.describe()),
                    format!("remove {registry} from {key}"),
                );
            }
        }
    }
}

fn imc_ids(r: &mut Report, w: &Workload, moves: &Moves) {
    if w.shape == Shape::ImageCache {
        return;
    }
    for key in [IMC_ID, IMAGE_SNAPSHOT_ID] {
        let fix = || format!("put the id of a Ready image cache (kubectl get imagecache) in {key}");
        let Some((value, path)) = unmasked(r, w, moves, key, fix) else {
            continue;
        };
        let ok = value.strip_prefix("imc-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !ok {
            r.report(
                RuleId::ImcIdInvalid,
                path,
                format!("{key} value {value:?} is not an image cache id (imc- followed by lower-case letters and digits); a pod pinned to a missing cache fails to start", value = Shown(value)),
                format!("put the status.imageCacheId of a Ready ImageCache (imc-...) in {key}, or remove it to let ECI match a cache automatically"),
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::checks::testing::{object, settings, summary, workload};

    fn run(annotations: &str, settings_json: &str) -> Vec<(&'static str, &'static str, String)> {
        let o = object(&format!(
            r#"{{"metadata":{{"annotations":{annotations}}}}}"#
        ));
        let w = workload(Shape::Pod, "ns", &o);
        let s = settings(settings_json);
        let mut r = Report::new(&s);
        check(&mut r, &w, &Moves::none(&w));
        summary(&r.finish())
    }

    const IDS: &str = "/metadata/annotations/k8s.aliyun.com~1acr-instance-ids";
    const SVC: &str = "/metadata/annotations/k8s.aliyun.com~1acr-service-arns";
    const USR: &str = "/metadata/annotations/k8s.aliyun.com~1acr-user-arns";

    #[test]
    fn instance_lists() {
        assert!(
            run(
                r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}"#,
                "{}"
            )
            .is_empty()
        );
        assert_eq!(
            run(
                r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234,,cri-j36zhodptmyq1234"}"#,
                "{}"
            ),
            [
                ("instance-id-invalid", "deny", IDS.into()),
                ("instance-id-invalid", "deny", IDS.into()),
            ]
        );
        assert_eq!(
            run(
                r#"{"k8s.aliyun.com/acr-instance-ids":"cn-hangzhu:cri-j36zhodptmyq1234"}"#,
                "{}"
            ),
            [("instance-region-unknown", "warn", IDS.into())]
        );
        assert_eq!(
            run(
                r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmy****"}"#,
                "{}"
            ),
            [("placeholder-value", "deny", IDS.into())]
        );
    }

    #[test]
    fn role_pairs() {
        let svc = "acs:ram::1609982529000000:role/acr-pull";
        let usr = "acs:ram::1609982529000000:role/acr-user";
        assert_eq!(
            run(
                &format!(r#"{{"k8s.aliyun.com/acr-user-arns":"{usr}"}}"#),
                "{}"
            ),
            [("user-arn-without-service-arn", "deny", USR.into())]
        );
        assert_eq!(
            run(
                &format!(
                    r#"{{"k8s.aliyun.com/acr-service-arns":"{svc}","k8s.aliyun.com/acr-user-arns":"{usr}"}}"#
                ),
                "{}"
            ),
            [("cross-account-same-account", "warn", USR.into())]
        );
        assert_eq!(
            run(
                &format!(r#"{{"k8s.aliyun.com/acr-service-arns":"{svc}"}}"#),
                r#"{"accountId":"1300000000000002"}"#
            ),
            [("service-arn-wrong-account", "deny", SVC.into())]
        );
        assert_eq!(
            run(
                r#"{"k8s.aliyun.com/acr-service-arns":"ACS:RAM::1609982529000000:role/x"}"#,
                "{}"
            ),
            [("role-arn-invalid", "deny", SVC.into())]
        );
    }

    #[test]
    fn registry_lists_and_imc() {
        assert_eq!(
            run(
                r#"{"k8s.aliyun.com/insecure-registry":"registry-vpc.cn-hangzhou.aliyuncs.com,http://x"}"#,
                "{}"
            ),
            [
                (
                    "acr-host-insecure-listed",
                    "warn",
                    "/metadata/annotations/k8s.aliyun.com~1insecure-registry".into()
                ),
                (
                    "registry-list-invalid",
                    "deny",
                    "/metadata/annotations/k8s.aliyun.com~1insecure-registry".into()
                ),
            ]
        );
        assert_eq!(
            run(r#"{"k8s.aliyun.com/eci-imc-id":"imc-Bad"}"#, "{}"),
            [(
                "imc-id-invalid",
                "warn",
                "/metadata/annotations/k8s.aliyun.com~1eci-imc-id".into()
            )]
        );
    }
}
