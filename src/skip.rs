//! The per-object opt-out: `secretfree.io/skip: rule-a,rule-b` on the metadata the policy
//! judges (a Pod's or ImageCache's own, a controller's pod template) turns those rules off for
//! that object, as `rules: {rule-a: off}` would.
//!
//! A skip is never silent: every evaluation of the object reports it as a `rule-skipped`
//! finding (warn by default), so audits list every object that opted out. Ids that name no
//! rule, or a rule the settings do not let objects skip, are reported the same way and the
//! rule stays on. By default the access gate (`role-not-allowed`, `instance-not-allowed`,
//! `ram-role-not-allowed`) cannot be skipped: the annotation is written by whoever writes the
//! pod, and the gate exists to limit exactly them. `allowSkip` in the settings replaces the
//! default list of skippable rules (`allowSkip: []` turns the annotation off).

#![forbid(unsafe_code)]

use crate::checks::{Report, Shown};
use crate::rules::RuleId;
use crate::settings::{RuleSetting, Settings};
use crate::verdict::Finding;
use crate::workload::{Workload, ann_path};
use std::borrow::Cow;

/// The annotation key.
pub const SKIP_KEY: &str = "secretfree.io/skip";

/// The most ids of one skip annotation the policy reads (there are fewer rules).
pub(crate) const MAX_IDS: usize = 64;

/// What the object's skip annotation does: the settings to judge it with, and the findings
/// that report the skip.
#[derive(Debug)]
pub struct Skip<'s> {
    pub settings: Cow<'s, Settings>,
    pub findings: Vec<Finding>,
}

/// Read the skip annotation of `w` against `settings`.
pub fn plan<'s>(w: &Workload<'_>, settings: &'s Settings) -> Skip<'s> {
    let mut report = Report::new(settings);
    let mut skipped: Vec<RuleId> = Vec::new();
    let own = w.original().get(SKIP_KEY);
    if let Some(value) = own {
        let path = w.ann_path(SKIP_KEY);
        let mut seen: Vec<&str> = Vec::new();
        let mut tokens = value.split(',').map(str::trim).filter(|t| !t.is_empty());
        let read: Vec<&str> = tokens.by_ref().take(MAX_IDS).collect();
        if tokens.next().is_some() {
            report.report(
                RuleId::RuleSkipped,
                path.clone(),
                format!("{SKIP_KEY} lists more than {MAX_IDS} ids; the rest are not read"),
                format!("list each rule id once in {SKIP_KEY}"),
            );
        }
        for token in read {
            if seen.contains(&token) {
                continue;
            }
            seen.push(token);
            match RuleId::from_id(token) {
                None => report.report(
                    RuleId::RuleSkipped,
                    path.clone(),
                    format!(
                        "{SKIP_KEY} names {token:?}, which is no rule id{}, so it skips nothing",
                        crate::settings::rule_hint(token),
                        token = Shown(token)
                    ),
                    format!(
                        "write rule ids as `secretfree rules` lists them, comma-separated, in {}",
                        w.meta_dots
                    ),
                ),
                Some(rule) if !settings.may_skip(rule) => report.report(
                    RuleId::RuleSkipped,
                    path.clone(),
                    format!(
                        "{SKIP_KEY} asks to skip {rule}, which objects may not skip ({}), so the rule still applies",
                        if settings.allow_skip.is_some() {
                            "the settings' allowSkip does not list it"
                        } else {
                            "only the settings' allowSkip can open the access gate to skips"
                        }
                    ),
                    format!(
                        "remove {rule} from {SKIP_KEY}, or ask the policy's owner to list it in allowSkip"
                    ),
                ),
                Some(rule) => skipped.push(rule),
            }
        }
        if !skipped.is_empty() {
            crate::sort::sort_by(&mut skipped, RuleId::cmp);
            let names: Vec<&str> = skipped.iter().map(|r| r.id()).collect();
            report.report(
                RuleId::RuleSkipped,
                path,
                format!(
                    "{SKIP_KEY} turns off {} for this {}",
                    names.join(", "),
                    w.kind
                ),
                format!(
                    "fix what the rule{} would report and remove {SKIP_KEY} from {}",
                    if names.len() == 1 { "" } else { "s" },
                    w.meta_dots
                ),
            );
        }
    }
    // A controller's own metadata does not reach its pods: a skip there would let the
    // controller in and deny its pods, so it is not read (and said so).
    for meta in &w.ignored_meta {
        if let Some(value) = meta.annotations.get(SKIP_KEY)
            && own != Some(value)
        {
            report.report(
                RuleId::RuleSkipped,
                ann_path(meta.path, SKIP_KEY),
                format!(
                    "{SKIP_KEY} on {} has no effect: the policy reads it where the pods get it, {}",
                    meta.dots, w.meta_dots
                ),
                format!("move {SKIP_KEY} to {}", w.meta_dots),
            );
        }
    }
    let findings = report.finish();
    let settings = if skipped.is_empty() {
        Cow::Borrowed(settings)
    } else {
        let mut s = settings.clone();
        for rule in skipped {
            s.rules.insert(rule, RuleSetting::Off);
        }
        Cow::Owned(s)
    };
    Skip { settings, findings }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use crate::{Settings, evaluate_json};

    fn pod(skip: &str) -> String {
        format!(
            r#"{{"uid":"u","kind":{{"group":"","version":"v1","kind":"Pod"}},"operation":"CREATE","namespace":"team-a",
            "object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p","labels":{{"alibabacloud.com/eci":"true"}},
            "annotations":{{"secretfree.io/skip":"{skip}","k8s.aliyun.com/acr-instance-ids":"cri-xxxxxxxxxxxxxxxx",
            "k8s.aliyun.com/acr-service-arns":"acs:ram::1609982529000000:role/admin"}}}},
            "spec":{{"containers":[{{"name":"a","image":"nginx"}}]}}}}}}"#
        )
    }

    fn rules(skip: &str, settings: &str) -> (bool, Vec<&'static str>, Vec<String>) {
        let v = evaluate_json(
            pod(skip).as_bytes(),
            &Settings::from_json(settings).unwrap(),
        );
        let messages = v
            .findings
            .iter()
            .filter(|f| f.rule.id() == "rule-skipped")
            .map(|f| f.message.clone())
            .collect();
        (v.allowed, v.rule_ids(), messages)
    }

    const ACCESS: &str = r#"{"access":[{"namespaces":["team-a"],"serviceRoleArns":["acs:ram::1609982529000000:role/acr-team-a"],"instanceIds":["cri-j36zhodptmyq1234"]}]}"#;

    #[test]
    fn a_skip_turns_rules_off_and_is_reported() {
        let (allowed, ids, _) = rules("", "{}");
        assert!(!allowed);
        assert!(ids.contains(&"placeholder-value"), "{ids:?}");
        let (allowed, ids, messages) = rules("placeholder-value, placeholder-value", "{}");
        assert!(allowed, "{ids:?}");
        assert!(!ids.contains(&"placeholder-value"));
        assert_eq!(
            messages,
            ["secretfree.io/skip turns off placeholder-value for this Pod"]
        );
    }

    #[test]
    fn the_access_gate_is_not_skippable_unless_the_settings_say_so() {
        let (allowed, ids, messages) = rules(
            "placeholder-value,role-not-allowed,instance-not-allowed",
            ACCESS,
        );
        assert!(!allowed);
        assert!(ids.contains(&"role-not-allowed") && ids.contains(&"instance-not-allowed"));
        assert_eq!(messages.len(), 3, "{messages:?}");
        let allow = ACCESS.replacen(
            '{',
            r#"{"allowSkip":["placeholder-value","role-not-allowed","instance-not-allowed"],"#,
            1,
        );
        let (allowed, ids, _) = rules(
            "placeholder-value,role-not-allowed,instance-not-allowed",
            &allow,
        );
        assert!(allowed, "{ids:?}");
        // allowSkip replaces the default: a rule it does not list is not skippable.
        let (allowed, ids, _) = rules("placeholder-value", r#"{"allowSkip":[]}"#);
        assert!(!allowed && ids.contains(&"placeholder-value"));
    }

    #[test]
    fn a_huge_list_is_read_up_to_a_bound() {
        let many: Vec<String> = (0..200_000).map(|i| format!("r{i}")).collect();
        let (_, _, messages) = rules(&many.join(","), "{}");
        // The bound, then 9 of the unknown ids (10 per rule), then one summary of the rest.
        assert_eq!(messages.len(), 11, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("more than 64 ids")));
    }

    #[test]
    fn unknown_ids_are_reported_and_the_skip_can_be_made_to_deny() {
        let (_, _, messages) = rules("no-such-rule,,placeholder-value", "{}");
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains("\"no-such-rule\", which is no rule id"))
        );
        let (allowed, ids, _) = rules("placeholder-value", r#"{"rules":{"rule-skipped":"deny"}}"#);
        assert!(!allowed && ids.contains(&"rule-skipped"), "{ids:?}");
    }
}
