//! The access gate: the one place that decides whether a namespace may use a RAM role or an
//! ACR instance, against the `access` settings.
//!
//! Fail closed: every role and instance the workload names goes through [`gate`], in every key
//! that carries one (plural and legacy singular instance keys, misplaced copies on controller
//! metadata, keys written as labels) and in every form; the instance behind every pulled image
//! the settings can place (custom domains, catalogued default domains) goes through
//! [`gate_images`]. A value that does not parse is not in
//! any allowlist, so it is denied here whatever the grammar rules are set to.

#![forbid(unsafe_code)]

use super::images::Parsed;
use super::values::Known;
use super::{Report, Shown, quote};
use crate::grammar::text::glob_match;
use crate::grammar::values::{self, MAX_LIST_ENTRIES, TokenProblem};
use crate::keys::{INSTANCE_ID_LEGACY, INSTANCE_IDS, RAM_ROLE_NAME, SERVICE_ARNS, USER_ARNS};
use crate::model::StrMap;
use crate::rules::RuleId;
use crate::settings::{AccessEntry, Settings};
use crate::workload::{KeyPath, Shape, Workload};
use std::fmt;

/// What `access` says for one workload: `None` when access control is off; `Some(None)` when
/// it is on but no entry matches (nothing is allowed).
fn entry<'s>(settings: &'s Settings, w: &Workload) -> Option<Option<&'s AccessEntry>> {
    settings.access_for(access_namespace(w))
}

/// ImageCache objects are cluster-scoped: they answer to the entry that matches `*`.
fn access_namespace<'a>(w: &Workload<'a>) -> &'a str {
    if w.shape == Shape::ImageCache {
        "*"
    } else {
        w.namespace
    }
}

/// Whether the workload's namespace may use ACR instance `id` (a bare `cri-…` id). True when
/// access control is off. The images family asks this before it adds an instance.
pub fn allows_instance(settings: &Settings, w: &Workload, id: &str) -> bool {
    match entry(settings, w) {
        None => true,
        Some(e) => instance_allowed(e, id),
    }
}

fn instance_allowed(e: Option<&AccessEntry>, id: &str) -> bool {
    values::is_cri_id(id) && e.is_some_and(|e| e.instance_ids.iter().any(|p| glob_match(p, id)))
}

/// Every place a workload can name a role or an instance: (pointer of the map, map). ECI reads
/// only the first; the others are misplaced copies that mutation would move.
fn sites<'w, 'a>(
    w: &'w Workload<'a>,
) -> impl Iterator<Item = (&'static str, &'a StrMap<'a>, bool)> + use<'w, 'a> {
    std::iter::once((w.meta_path, w.original(), false))
        .chain(
            w.ignored_meta
                .iter()
                .map(|m| (m.path, m.annotations, false)),
        )
        .chain(std::iter::once((w.meta_path, w.labels, true)))
}

/// Room for most role ARNs as the allowlist patterns match them (one allocation).
const ARN_TEXT_LEN: usize = 96;

/// Check every role and instance the workload names against `access`. With `before` (the
/// annotations of a bound pod before an update), only the annotations the update adds or
/// changes are judged: the rest was judged when the pod was created. `known`: what the values
/// family parsed (a value of the same text is not parsed again).
pub fn gate(r: &mut Report, w: &Workload, before: Option<&StrMap<'_>>, known: &Known<'_>) {
    let settings = r.settings;
    let Some(e) = entry(settings, w) else {
        return;
    };
    let unchanged =
        |key: &str, value: &str| before.is_some_and(|b| b.get(key).is_some_and(|v| v == value));
    let subject = subject(w);
    if !w
        .original()
        .get(RAM_ROLE_NAME)
        .is_some_and(|v| unchanged(RAM_ROLE_NAME, v))
    {
        ram_role(r, w, e, subject);
    }
    // A bound pod's update: only the annotations ECI reads.
    let sites = sites(w).take(if before.is_some() { 1 } else { usize::MAX });
    // The role ARN being judged, as the allowlist patterns match it.
    let mut text = String::new();
    for (meta_path, map, is_labels) in sites {
        let path = |key| KeyPath {
            meta: meta_path,
            label: is_labels,
            key,
        };
        // A copy on controller metadata with the template's value (annotation-duplicated) is
        // judged once, where ECI reads it.
        let duplicate = |key: &str, value: &str| {
            !is_labels
                && meta_path != w.meta_path
                && w.original().get(key).is_some_and(|v| v == value)
        };
        let judged = |key: &str| {
            map.get(key)
                .filter(|v| !unchanged(key, v) && !duplicate(key, v))
        };
        for key in [SERVICE_ARNS, USER_ARNS] {
            let Some(value) = judged(key) else {
                continue;
            };
            let list = e.map(|e| {
                if key == SERVICE_ARNS {
                    &e.service_role_arns
                } else {
                    &e.user_role_arns
                }
            });
            let items = values::split_arns(value);
            let count = items.clone().count();
            if count > MAX_LIST_ENTRIES {
                r.report(
                    RuleId::RoleNotAllowed,
                    path(key),
                    format!(
                        "{key} lists {count} entries, more than the {MAX_LIST_ENTRIES} the policy reads, so it cannot check that {subject} may assume them all"
                    ),
                    "name exactly one role ARN allowed for this namespace".to_owned(),
                );
            }
            for item in items.take(MAX_LIST_ENTRIES) {
                let parsed = match known.role_arn(item) {
                    Some(arn) => arn.cloned(),
                    None => values::parse_role_arn(item).ok().map(|(arn, _)| arn),
                };
                let (message, fix) = match parsed {
                    Some(arn) => {
                        text.clear();
                        text.reserve(ARN_TEXT_LEN);
                        text.push_str("acs:ram::");
                        text.push_str(arn.account);
                        text.push_str(":role/");
                        text.push_str(arn.role);
                        if list.is_some_and(|l| l.iter().any(|p| glob_match(p, &text))) {
                            continue;
                        }
                        (
                            format!(
                                "{key} names {text}, which {subject} may not assume ({})",
                                detail(list)
                            ),
                            "use a role allowed for this namespace, or ask the platform team to allow it in the policy's access settings",
                        )
                    }
                    None => (
                        format!(
                            "{key} names {}, which is not a well-formed RAM role ARN and so matches no allowed role: {subject} may not assume it ({})",
                            quote(item),
                            detail(list)
                        ),
                        "write exactly one ARN, acs:ram::<16-digit account id>:role/<name>, of a role allowed for this namespace",
                    ),
                };
                r.report(RuleId::RoleNotAllowed, path(key), message, fix.to_owned());
            }
        }
        for key in [INSTANCE_IDS, INSTANCE_ID_LEGACY] {
            let Some(value) = judged(key) else {
                continue;
            };
            let list = e.map(|e| &e.instance_ids);
            let parsed_here;
            let parsed = match known.instance_ids(value) {
                Some(list) => list,
                None => {
                    parsed_here = values::parse_instance_ids(value);
                    &parsed_here
                }
            };
            if parsed.too_long() {
                r.report(
                    RuleId::InstanceNotAllowed,
                    path(key),
                    format!(
                        "{key} lists more than the {MAX_LIST_ENTRIES} entries the policy reads, so it cannot check that {subject} may use them all"
                    ),
                    format!("list at most {MAX_LIST_ENTRIES} instances, each allowed for this namespace"),
                );
            }
            for token in &parsed.tokens {
                let (message, fix) = match token {
                    Ok(tok) if instance_allowed(e, tok.id) => continue,
                    Ok(tok) => (
                        format!(
                            "{key} lists ACR instance {}, which {subject} may not use ({})",
                            tok.id,
                            detail(list)
                        ),
                        "remove the instance from the annotation, or ask the platform team to allow it in the policy's access settings",
                    ),
                    Err((_, TokenProblem::Empty)) => continue,
                    Err((raw, _)) => (
                        format!(
                            "{key} lists {}, which is not a well-formed ACR instance id and so matches no allowed instance: {subject} may not use it ({})",
                            quote(raw),
                            detail(list)
                        ),
                        "write each id as [<region>:]cri-<16 lower-case letters or digits>, of an instance allowed for this namespace",
                    ),
                };
                r.report(
                    RuleId::InstanceNotAllowed,
                    path(key),
                    message,
                    fix.to_owned(),
                );
            }
        }
    }
}

/// The instances behind pulled images, where the settings know them (a configured custom
/// domain's `instanceId`, or a catalogued instance's default domain): pulling from a registry
/// is using its instance, listed or not.
pub fn gate_images(r: &mut Report, w: &Workload, pulled: &[Parsed]) {
    let settings = r.settings;
    let Some(e) = entry(settings, w) else {
        return;
    };
    let subject = subject(w);
    for img in pulled {
        let Some(known) = &img.known else {
            continue;
        };
        let instance_id = &known.instance_id;
        if instance_allowed(e, instance_id) {
            continue;
        }
        let domain = if known.custom_domain {
            "custom domain"
        } else {
            "default domain"
        };
        r.report(
            RuleId::InstanceNotAllowed,
            img.site.path,
            format_args!(
                "{} pulls from {}, the {domain} of ACR instance {instance_id}, which {subject} may not use ({})",
                img.site.who,
                img.image.registry(),
                detail(e.map(|e| &e.instance_ids))
            ),
            "pull from a registry allowed for this namespace, or ask the platform team to allow the instance in the policy's access settings".to_owned(),
        );
    }
}

/// `k8s.aliyun.com/eci-ram-role-name`: the RAM role the ECI instance itself assumes. Checked
/// when the matching entry lists `ramRoleNames`, and closed when no entry matches.
fn ram_role(r: &mut Report, w: &Workload, e: Option<&AccessEntry>, subject: Subject) {
    let Some(name) = w.original().get(RAM_ROLE_NAME) else {
        return;
    };
    let list = match e {
        Some(entry) => match &entry.ram_role_names {
            None => return,
            Some(list) => Some(list),
        },
        None => None,
    };
    let allowed =
        values::is_role_name(name) && list.is_some_and(|l| l.iter().any(|p| glob_match(p, name)));
    if !allowed {
        r.report(
            RuleId::RamRoleNotAllowed,
            w.ann_path(RAM_ROLE_NAME),
            format!(
                "{RAM_ROLE_NAME} gives the ECI instance the RAM role {name:?}, which {subject} may not use ({})",
                detail(list),
                name = Shown(name)
            ),
            "use a RAM role allowed for this namespace (access[].ramRoleNames), or ask the platform team to allow it".to_owned(),
        );
    }
}

/// Who asks for access, for messages: `namespace "shop"`.
fn subject<'a>(w: &Workload<'a>) -> Subject<'a> {
    Subject(if w.shape == Shape::ImageCache {
        None
    } else {
        Some(w.namespace)
    })
}

/// See [`subject`]; `None`: cluster-scoped ImageCache objects.
#[derive(Debug, Clone, Copy)]
struct Subject<'a>(Option<&'a str>);

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("cluster-scoped ImageCache objects (access entry \"*\")"),
            Some(namespace) => write!(f, "namespace {:?}", Shown(namespace)),
        }
    }
}

fn detail(allowed: Option<&Vec<String>>) -> String {
    match allowed {
        None => "no access entry matches, so it may use none".to_owned(),
        Some(list) if list.is_empty() => "its access entry allows none".to_owned(),
        Some(list) => format!(
            "allowed: {}",
            list.iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::checks::testing::{object, settings, summary, workload};

    const SETTINGS: &str = r#"{"access":[{"namespaces":["team-a"],
        "serviceRoleArns":["acs:ram::1609982529000000:role/acr-team-a"],
        "userRoleArns":[],
        "instanceIds":["cri-j36zhodptmyq1234"]}]}"#;

    fn gate_on(
        json: &str,
        shape: Shape,
        namespace: &str,
        settings_json: &str,
    ) -> Vec<(&'static str, &'static str, String)> {
        let o = object(json);
        let w = workload(shape, namespace, &o);
        let s = settings(settings_json);
        let mut r = Report::new(&s);
        gate(&mut r, &w, None, &Known::default());
        summary(&r.finish())
    }

    fn pod(annotations: &str) -> String {
        format!(r#"{{"metadata":{{"annotations":{annotations}}}}}"#)
    }

    const SVC: &str = "/metadata/annotations/k8s.aliyun.com~1acr-service-arns";
    const IDS: &str = "/metadata/annotations/k8s.aliyun.com~1acr-instance-ids";
    const LEGACY: &str = "/metadata/annotations/k8s.aliyun.com~1acr-instance-id";

    #[test]
    fn allowed_values_pass() {
        let ok = pod(
            r#"{"k8s.aliyun.com/acr-service-arns":"acs:ram::1609982529000000:role/acr-team-a","k8s.aliyun.com/acr-instance-ids":"cn-beijing:cri-j36zhodptmyq1234"}"#,
        );
        assert!(gate_on(&ok, Shape::Pod, "team-a", SETTINGS).is_empty());
        // Access off: nothing is checked.
        assert!(
            gate_on(
                &pod(r#"{"k8s.aliyun.com/acr-service-arns":"garbage"}"#),
                Shape::Pod,
                "x",
                "{}"
            )
            .is_empty()
        );
    }

    #[test]
    fn every_form_of_a_role_is_gated() {
        let deny = |value: &str| {
            gate_on(
                &pod(&format!(
                    r#"{{"k8s.aliyun.com/acr-service-arns":{value:?}}}"#
                )),
                Shape::Pod,
                "team-a",
                SETTINGS,
            )
        };
        let one = vec![("role-not-allowed", "deny", SVC.to_owned())];
        // A second, forbidden ARN after a comma (whatever role-arn-invalid is set to).
        assert_eq!(
            deny("acs:ram::1609982529000000:role/acr-team-a,acs:ram::1609982529000000:role/admin"),
            one
        );
        assert_eq!(deny("ACS:RAM::1609982529000000:role/acr-team-a"), one);
        assert_eq!(deny("acs:ram::1609982529000000:role/acr-team-a/"), one);
        assert_eq!(deny("acs:ram::1609982529000000:role/acr-team-a*"), one);
        assert_eq!(deny("acs:ram::****:role/acr-team-a"), one);
        assert_eq!(deny("acs:ram::1609982529000000:role/admin"), one);
        // Another namespace matches no entry: closed.
        let o = pod(
            r#"{"k8s.aliyun.com/acr-service-arns":"acs:ram::1609982529000000:role/acr-team-a"}"#,
        );
        assert_eq!(gate_on(&o, Shape::Pod, "team-b", SETTINGS), one);
    }

    #[test]
    fn every_key_of_an_instance_is_gated() {
        // A forbidden id only in the legacy key, next to an allowed plural key.
        let o = pod(
            r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234","k8s.aliyun.com/acr-instance-id":"cri-aaaaaaaaaaaaaaaa"}"#,
        );
        assert_eq!(
            gate_on(&o, Shape::Pod, "team-a", SETTINGS),
            [("instance-not-allowed", "deny", LEGACY.into())]
        );
        // Odd forms: upper case, a masked id, a garbage region prefix.
        for value in [
            "CRI-J36ZHODPTMYQ1234",
            "cri-j36zhodptmy****",
            "evil/x:cri-j36zhodptmyq1234",
        ] {
            let o = pod(&format!(
                r#"{{"k8s.aliyun.com/acr-instance-ids":"{value}"}}"#
            ));
            assert_eq!(
                gate_on(&o, Shape::Pod, "team-a", SETTINGS),
                [("instance-not-allowed", "deny", IDS.into())],
                "{value}"
            );
        }
    }

    #[test]
    fn misplaced_copies_and_labels_are_gated() {
        let o = object(
            r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-user-arns":"acs:ram::1300000000000002:role/x"}},
                "spec":{"template":{"metadata":{"labels":{"k8s.aliyun.com/acr-instance-ids":"cri-aaaaaaaaaaaaaaaa"}},"spec":{}}}}"#,
        );
        let w = workload(Shape::Template, "team-a", &o);
        let s = settings(SETTINGS);
        let mut r = Report::new(&s);
        gate(&mut r, &w, None, &Known::default());
        assert_eq!(
            summary(&r.finish()),
            [
                (
                    "instance-not-allowed",
                    "deny",
                    "/spec/template/metadata/labels/k8s.aliyun.com~1acr-instance-ids".into()
                ),
                (
                    "role-not-allowed",
                    "deny",
                    "/metadata/annotations/k8s.aliyun.com~1acr-user-arns".into()
                ),
            ]
        );
    }

    #[test]
    fn ram_role_names() {
        let with_names = r#"{"access":[{"namespaces":["team-a"],"ramRoleNames":["team-a-*"]},{"namespaces":["team-b"]}]}"#;
        let o = |name: &str| {
            pod(&format!(
                r#"{{"k8s.aliyun.com/eci-ram-role-name":"{name}"}}"#
            ))
        };
        let denied = vec![(
            "ram-role-not-allowed",
            "deny",
            "/metadata/annotations/k8s.aliyun.com~1eci-ram-role-name".to_owned(),
        )];
        assert!(gate_on(&o("team-a-runtime"), Shape::Pod, "team-a", with_names).is_empty());
        assert_eq!(
            gate_on(
                &o("AliyunECSInstanceRole"),
                Shape::Pod,
                "team-a",
                with_names
            ),
            denied
        );
        assert_eq!(
            gate_on(&o("team-a-x/../admin"), Shape::Pod, "team-a", with_names),
            denied
        );
        // An entry without ramRoleNames does not check the key; no entry at all is closed.
        assert!(gate_on(&o("admin"), Shape::Pod, "team-b", with_names).is_empty());
        assert_eq!(
            gate_on(&o("admin"), Shape::Pod, "team-c", with_names),
            denied
        );
    }

    #[test]
    fn image_cache_answers_to_the_star_entry() {
        let star = r#"{"access":[{"namespaces":["*"],"instanceIds":["cri-j36zhodptmyq1234"]}]}"#;
        let o = pod(r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}"#);
        assert!(gate_on(&o, Shape::ImageCache, "", star).is_empty());
        assert_eq!(
            gate_on(&o, Shape::ImageCache, "", SETTINGS),
            [("instance-not-allowed", "deny", IDS.into())]
        );
    }

    #[test]
    fn long_values_are_quoted_bounded() {
        let value = ",".repeat(10_000) + &"x".repeat(10_000);
        let o = object(&pod(&format!(
            r#"{{"k8s.aliyun.com/acr-instance-ids":"{value}"}}"#
        )));
        let w = workload(Shape::Pod, "team-a", &o);
        let s = settings(SETTINGS);
        let mut r = Report::new(&s);
        gate(&mut r, &w, None, &Known::default());
        assert_eq!(r.findings.len(), 1);
        assert!(
            r.findings[0].message.len() < 400,
            "{}",
            r.findings[0].message
        );
    }
}
