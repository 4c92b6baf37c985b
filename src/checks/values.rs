//! Values and grammar: the instance-id list, role ARNs and the cross-account pair, registry
//! lists, image cache ids, and placeholders copied from the documentation. Reads the
//! annotations as the placement family left them (after planned moves and renames); findings
//! point at what the user wrote.

#![forbid(unsafe_code)]

use super::access;
use super::images::Parsed;
use super::{Report, Shown, lazy, listing};
use crate::acr;
use crate::grammar::regions::{closest_region, is_known_region};
use crate::grammar::text::{Quoted, QuotedChar};
use crate::grammar::values::{
    self, ArnProblem, CRI_ID_LEN, InstanceIdList, InstanceToken, MAX_LIST_ENTRIES, RoleArn,
    TokenProblem,
};
use crate::keys::{
    IMAGE_SNAPSHOT_ID, IMC_ID, INSECURE_REGISTRY, INSTANCE_ID_LEGACY, INSTANCE_IDS,
    PLAIN_HTTP_REGISTRY, SERVICE_ARNS, USER_ARNS,
};
use crate::repair::Moves;
use crate::rules::RuleId;
use crate::workload::{KeyPath, Shape, Workload};

/// The instance-id annotation in use and its parsed list.
#[derive(Debug)]
pub struct InstanceIds<'a> {
    pub key: &'static str,
    /// The value as written.
    pub text: &'a str,
    pub list: InstanceIdList<'a>,
    /// Every token parsed and no separator problem: safe to rewrite.
    pub clean: bool,
    /// The whole value is a placeholder copied from the documentation (`placeholder-value`
    /// says so; other rules about the list keep quiet).
    pub placeholder: bool,
}

impl<'a> InstanceIds<'a> {
    /// The tokens that parsed.
    pub fn ids(&self) -> impl Iterator<Item = &InstanceToken<'a>> {
        self.list.tokens.iter().filter_map(|t| t.as_ref().ok())
    }
}

/// What the values family parsed: the instance-id list in use (for the images family) and
/// the role ARNs by their text, so that the access gate, which judges the same values where
/// ECI reads them, parses each one once.
#[derive(Debug, Default)]
pub struct Known<'m> {
    pub ids: Option<InstanceIds<'m>>,
    /// `values::parse_role_arn(text)` for the first few texts parsed: the ARN, or `None`.
    arns: Vec<(&'m str, Option<RoleArn<'m>>)>,
}

/// How many role ARN texts [`Known`] keeps (lookups are linear; a workload names one or two).
const KNOWN_ARNS: usize = 4;

impl<'m> Known<'m> {
    /// The instance-id list of `text`, if it is the one parsed here.
    pub fn instance_ids(&self, text: &str) -> Option<&InstanceIdList<'m>> {
        self.ids
            .as_ref()
            .filter(|i| i.text == text)
            .map(|i| &i.list)
    }

    /// `parse_role_arn(text).ok()`, if `text` was parsed here.
    pub fn role_arn(&self, text: &str) -> Option<Option<&RoleArn<'m>>> {
        self.arns
            .iter()
            .find(|(t, _)| *t == text)
            .map(|(_, arn)| arn.as_ref())
    }
}

/// The values family. Returns what it parsed, for the images family and the access gate.
pub fn check<'m>(r: &mut Report, w: &Workload, moves: &'m Moves) -> Known<'m> {
    let mut known = Known {
        ids: instance_ids(r, w, moves),
        arns: Vec::new(),
    };
    role_arns(r, w, moves, &mut known);
    registry_lists(r, w, moves);
    imc_ids(r, w, moves);
    known
}

fn instance_ids<'m>(r: &mut Report, w: &Workload, moves: &'m Moves) -> Option<InstanceIds<'m>> {
    let effective = &moves.effective;
    let key = [INSTANCE_IDS, INSTANCE_ID_LEGACY]
        .into_iter()
        .find(|k| effective.contains_key(k))?;
    let value = effective.get(key).map(|v| &**v).unwrap_or_default();
    let path = moves.value_path(w, key);
    let list = values::parse_instance_ids(value);
    // A template expression or masked value is one finding, not one per fragment.
    let placeholder = values::looks_like_placeholder(value);
    let meta_dots = w.meta_dots;
    let fix_real_id = lazy(move |f| {
        write!(
            f,
            "replace it with your real instance id (ACR console, instance details: cri-...) in {meta_dots}"
        )
    });
    if placeholder {
        r.report_placeholder(key, value, path, fix_real_id);
    } else if value.trim().is_empty() {
        r.report(
            RuleId::InstanceIdInvalid,
            path,
            format!("{key} is empty"),
            format!("list the instance ids in {key}, or remove the annotation"),
        );
    }
    let fix_format = lazy(move |f| {
        write!(
            f,
            "write {key} as comma-separated instance ids as the ACR console shows them (cri-...), with a <region>: prefix, region first, for instances in another region (e.g. \"cn-beijing:cri-j36zhodptmyq1234\")"
        )
    });
    if let Some(sep) = list.bad_separator.filter(|_| !placeholder) {
        // The separator is not documented: a warning unless the settings say otherwise.
        r.report_soft(
            RuleId::InstanceIdInvalid,
            path,
            format!(
                "{key} value {value:?} separates ids with {sep:?}; the documentation shows comma-separated ids and does not say whether ECI accepts another separator",
                value = Shown(value),
                sep = QuotedChar(sep)
            ),
            fix_format,
        );
    }
    for token in list.tokens.iter().filter(|tok| !placeholder || tok.is_ok()) {
        let (message, rule) = match token {
            Ok(tok) => {
                let Some(region) = tok.region.filter(|r| !is_known_region(r)) else {
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
                    path,
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
                    path,
                    format!(
                        "{key} contains {raw:?}, {}",
                        super::placeholder_text(raw),
                        raw = Shown(raw)
                    ),
                    fix_real_id,
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
            Err((raw, TokenProblem::Reversed(fixed))) => (
                format!(
                    "{key} entry {raw:?} puts the instance id first; the region goes first: {fixed:?}",
                    raw = Shown(raw),
                    fixed = Shown(fixed)
                ),
                RuleId::InstanceIdInvalid,
            ),
            Err((raw, TokenProblem::BadId(id))) if values::cri_id_odd_length(id).is_some() => {
                let n = values::cri_id_odd_length(id).unwrap_or_default();
                // The id length is only observed (16 in every example), not documented.
                r.report_soft(
                    RuleId::InstanceIdInvalid,
                    path,
                    format!(
                        "{key} entry {raw:?} has {n} characters after cri-; every instance id in the documentation has {CRI_ID_LEN}, and the documentation does not state the length",
                        raw = Shown(raw)
                    ),
                    "compare the id with the one the ACR console shows (instance details)".to_owned(),
                );
                continue;
            }
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
        r.report(rule, path, message, fix_format);
    }
    if list.too_long() {
        r.report(
            RuleId::InstanceIdInvalid,
            path,
            format!("{key} has more than {MAX_LIST_ENTRIES} entries; the policy reads at most {MAX_LIST_ENTRIES}"),
            format!("list only the instances the pod pulls from in {key}"),
        );
    }
    for dup in list.duplicates.iter().filter(|_| !placeholder) {
        // What ECI does with a repeated id is not documented: a warning.
        r.report_soft(
            RuleId::InstanceIdInvalid,
            path,
            format!("{key} lists {dup} more than once; the documentation does not say what ECI does with a repeated id"),
            format!("list each instance once in {key}"),
        );
    }
    // A list eci-profile injects is not the pod's to rewrite.
    let clean = !placeholder
        && !moves.is_injected(key)
        && !list.too_long()
        && !value.trim().is_empty()
        && list.bad_separator.is_none()
        && list.duplicates.is_empty()
        && list.tokens.iter().all(Result::is_ok);
    Some(InstanceIds {
        key,
        text: value,
        list,
        clean,
        placeholder,
    })
}

/// One role key as written: `None` when absent; else the ARNs that parse (empty when none
/// does; more than one only when the key lists several).
fn role_arn<'m>(
    r: &mut Report,
    w: &Workload,
    moves: &'m Moves,
    key: &str,
    known: &mut Known<'m>,
) -> Option<Vec<RoleArn<'m>>> {
    let value = moves.effective.get(key)?;
    let path = moves.value_path(w, key);
    let fix = lazy(move |f| {
        write!(
            f,
            "set {key} to one role ARN, acs:ram::<16-digit account id>:role/<role name>"
        )
    });
    let meta_dots = w.meta_dots;
    let mut arns = Vec::new();
    let mut judge = |r: &mut Report,
                     item: &'m str,
                     parsed: Result<(RoleArn<'m>, bool), ArnProblem>| {
        if known.arns.len() < KNOWN_ARNS {
            let arn = parsed.as_ref().ok().map(|(arn, _)| arn.clone());
            known.arns.push((item, arn));
        }
        match parsed {
            Ok((arn, underscore)) => {
                if underscore {
                    r.report_soft(
                    RuleId::RoleArnInvalid,
                    path,
                    format_args!("{key} role name {:?} contains '_', which RAM's CreateRole API does not accept (only letters, digits, '.' and '-')", Quoted(arn.role)),
                    "check that the role really exists under this name in the RAM console",
                );
                }
                arns.push(arn);
            }
            Err(ArnProblem::Empty) => r.report(
                RuleId::RoleArnInvalid,
                path,
                format_args!("{key} is empty"),
                fix,
            ),
            Err(ArnProblem::Placeholder) => r.report_placeholder(
                key,
                item,
                path,
                format_args!(
                    "replace it with the real role ARN (RAM console, role details) in {meta_dots}"
                ),
            ),
            Err(ArnProblem::Multiple(_)) => {}
            Err(ArnProblem::Malformed(reason)) => r.report(
                RuleId::RoleArnInvalid,
                path,
                format_args!(
                    "{key} value {item:?} is not a RAM role ARN: {reason}",
                    item = Shown(item)
                ),
                fix,
            ),
        }
    };
    match values::parse_role_arn(value) {
        Err(ArnProblem::Multiple(n)) => {
            // The documentation shows one ARN per key; whether ECI reads more is unknown.
            r.report_soft(
                RuleId::RoleArnInvalid,
                path,
                format_args!("{key} lists {n} ARNs; the documentation shows one ARN per key and does not say whether ECI reads more than one"),
                format_args!("unless you have confirmed that ECI uses every ARN listed, set {key} to the one role ARN the pull needs"),
            );
            for item in values::split_arns(value).take(MAX_LIST_ENTRIES) {
                judge(r, item, values::parse_role_arn(item));
            }
        }
        single => judge(r, value, single),
    }
    Some(arns)
}

fn role_arns<'m>(r: &mut Report, w: &Workload, moves: &'m Moves, known: &mut Known<'m>) {
    let service = role_arn(r, w, moves, SERVICE_ARNS, known);
    let user = role_arn(r, w, moves, USER_ARNS, known);
    if user.is_some() && service.is_none() {
        r.report(
            RuleId::UserArnWithoutServiceArn,
            moves.value_path(w, USER_ARNS),
            format!("{USER_ARNS} is set but {SERVICE_ARNS} is missing: a cross-account pull needs the role in the ECI account ({SERVICE_ARNS}) that assumes the role in the registry's account ({USER_ARNS})"),
            format!("add {SERVICE_ARNS}: \"acs:ram::<ECI account id>:role/<role name>\" to {}", w.meta_dots),
        );
    }
    let service = service.unwrap_or_default();
    let user = user.unwrap_or_default();
    // Every ARN of both keys in one account.
    if let Some(first) = service.first()
        && !user.is_empty()
        && service
            .iter()
            .chain(&user)
            .all(|a| a.account == first.account)
    {
        r.report(
            RuleId::CrossAccountSameAccount,
            moves.value_path(w, USER_ARNS),
            format!("{SERVICE_ARNS} and {USER_ARNS} are both in account {}; the user role is only for pulling from another account's registry", first.account),
            format!("for a same-account pull drop {USER_ARNS}; for a cross-account pull use the role in the registry owner's account"),
        );
    }
    if let (Some(s), Some(account)) = (
        service
            .iter()
            .find(|s| Some(s.account) != r.settings.account_id.as_deref()),
        r.settings.account_id.as_deref(),
    ) {
        let account = account.to_owned();
        r.report(
            RuleId::ServiceArnWrongAccount,
            moves.value_path(w, SERVICE_ARNS),
            format!("{SERVICE_ARNS} names a role in account {}, but ECI runs in account {account} and can only assume roles of its own account", s.account),
            format!("use a role of account {account} in {SERVICE_ARNS}; put the registry account's role in {USER_ARNS}"),
        );
    }
}

/// Images from a registry of another account (as the settings say) need the cross-account
/// pair: `acr-service-arns` (a role of the ECI account) and `acr-user-arns` (a role of the
/// registry's account), plus `acr-instance-ids` for a custom domain.
pub fn cross_account(r: &mut Report, w: &Workload, moves: &Moves, pulled: &[Parsed]) {
    let Some(eci) = r.settings.account_id.as_deref() else {
        return;
    };
    // Only images from a registry of another account need the roles.
    if !pulled.iter().any(|img| {
        img.known
            .as_ref()
            .is_some_and(|k| k.account_id.is_some_and(|o| o != eci))
    }) {
        return;
    }
    let effective = &moves.effective;
    let service = effective.contains_key(SERVICE_ARNS);
    let user = effective.get(USER_ARNS);
    // The user role ARNs that parse (several only if the key lists several).
    let user_accounts: Vec<&str> = user
        .map(|v| {
            values::split_arns(v)
                .take(MAX_LIST_ENTRIES)
                .filter_map(|a| values::parse_role_arn(a).ok())
                .map(|(arn, _)| arn.account)
                .collect()
        })
        .unwrap_or_default();
    let listed: Vec<&str> = [INSTANCE_IDS, INSTANCE_ID_LEGACY]
        .iter()
        .filter_map(|k| effective.get(k))
        .flat_map(|v| values::parse_instance_ids(v).tokens.into_iter().flatten())
        .map(|t| t.id)
        .collect();
    for img in pulled {
        let Some(known) = &img.known else { continue };
        let Some(owner) = known.account_id.filter(|o| *o != eci) else {
            continue;
        };
        // An instance the namespace may not use is the access gate's finding alone.
        if !access::allows_instance(r.settings, w, known.instance_id) {
            continue;
        }
        let registry = img.image.registry();
        let id = &known.instance_id;
        let user_role = format!(
            "{USER_ARNS}: \"acs:ram::{owner}:role/<role of account {owner} that may pull from {id}>\""
        );
        let mut wanted = Vec::new();
        if !service {
            wanted.push(format!(
                "{SERVICE_ARNS}: \"acs:ram::{eci}:role/<role name>\""
            ));
        }
        wanted.push(user_role);
        if known.custom_domain && !listed.iter().any(|l| l == id) {
            wanted.push(format!("{INSTANCE_IDS}: \"{id}\""));
        }
        let wanted = wanted
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let (message, fix) = match user {
            // user-arn-without-service-arn reports a user role without its service role.
            Some(_) if !service => continue,
            // role-arn-invalid reports a user role that does not parse.
            Some(_) if user_accounts.is_empty() => continue,
            Some(_) if user_accounts.contains(&owner) => continue,
            Some(_) => (
                format!(
                    "{} pulls {} from {registry} (ACR instance {id}), which belongs to account {owner} per the policy's settings, but {USER_ARNS} names a role in account {}; the user role must be in the registry owner's account",
                    img.site.who,
                    img.raw,
                    listing(user_accounts.iter().copied())
                ),
                format!("set {wanted} in {}", w.meta_dots),
            ),
            None => {
                let lacking = if service {
                    format!("the {} has no {USER_ARNS}", w.pod_word())
                } else {
                    format!("the {} has neither", w.pod_word())
                };
                (
                    format!(
                        "{} pulls {} from {registry} (ACR instance {id}), which belongs to account {owner} per the policy's settings, while ECI runs in account {eci}; a pull from another account's registry needs {SERVICE_ARNS} and {USER_ARNS}, and {lacking}",
                        img.site.who, img.raw,
                    ),
                    format!("add {wanted} to {}", w.meta_dots),
                )
            }
        };
        r.report(
            RuleId::CrossAccountWithoutRoles,
            img.site.path,
            message,
            fix,
        );
    }
}

/// The value of `key` and where the user wrote it, unless it is absent or a placeholder
/// copied from the documentation (reported here, with `fix`).
fn unmasked<'m, 'k>(
    r: &mut Report,
    w: &Workload,
    moves: &'m Moves,
    key: &'k str,
    fix: impl FnOnce() -> String,
) -> Option<(&'m str, KeyPath<'k>)> {
    let value = moves.effective.get(key)?;
    let path = moves.value_path(w, key);
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
                path,
                format!("{key} entry {item:?} is not host[:port]: {reason}", item = Shown(&item)),
                format!("write {key} as comma-separated host[:port] entries, e.g. \"harbor.example.com:5000,10.0.0.8\""),
            );
        }
        for entry in entries {
            let host = acr::classify_host(
                std::borrow::Cow::Borrowed(&entry.host),
                entry.port,
                &r.settings.custom_domains,
            );
            if host.is_acr() {
                let registry = match entry.port {
                    Some(p) => format!("{}:{}", entry.host, usize::from(p)),
                    None => entry.host.clone(),
                };
                r.report(
                    RuleId::AcrHostInsecureListed,
                    path,
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
            // The empty entry denies; the repeated id only warns (undocumented).
            [
                ("instance-id-invalid", "deny", IDS.into()),
                ("instance-id-invalid", "warn", IDS.into()),
            ]
        );
        // Another separator and another id length are not documented either: warnings.
        assert_eq!(
            run(
                r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234;cri-j36zhodptmyq12345"}"#,
                "{}"
            ),
            [
                ("instance-id-invalid", "warn", IDS.into()),
                ("instance-id-invalid", "warn", IDS.into()),
            ]
        );
        assert_eq!(
            run(
                r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234:cn-beijing"}"#,
                "{}"
            ),
            [("instance-id-invalid", "deny", IDS.into())]
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
        // Several ARNs in one key are undocumented: a warning, and each is still checked.
        let two = format!(r#"{{"k8s.aliyun.com/acr-service-arns":"{svc},{svc}-2"}}"#);
        assert_eq!(run(&two, "{}"), [("role-arn-invalid", "warn", SVC.into())]);
        assert_eq!(
            run(&two, r#"{"rules":{"role-arn-invalid":"deny"}}"#),
            [("role-arn-invalid", "deny", SVC.into())]
        );
        let one_bad =
            format!(r#"{{"k8s.aliyun.com/acr-service-arns":"{svc}, acs:ram::1:role/x"}}"#);
        assert_eq!(
            run(&one_bad, "{}"),
            [
                ("role-arn-invalid", "deny", SVC.into()),
                ("role-arn-invalid", "warn", SVC.into()),
            ]
        );
        assert_eq!(
            run(
                &format!(
                    r#"{{"k8s.aliyun.com/acr-service-arns":"{svc},acs:ram::1300000000000002:role/x"}}"#
                ),
                r#"{"accountId":"1609982529000000"}"#
            ),
            [
                ("role-arn-invalid", "warn", SVC.into()),
                ("service-arn-wrong-account", "deny", SVC.into()),
            ]
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
