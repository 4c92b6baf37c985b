//! The rule families, one module each, following the rule table's categories. [`run`] calls
//! them in a fixed order; each family reads the workload view and the repairs planned before
//! it, and none changes what an earlier family saw.

#![forbid(unsafe_code)]

pub mod access;
pub mod imagecache;
pub mod images;
pub mod placement;
pub mod values;

use crate::repair::Repairs;
use crate::rules::{Action, RuleId};
use crate::settings::{RuleSetting, Settings};
use crate::verdict::Finding;
use crate::workload::{Shape, Workload};

/// Collects findings and applies the per-rule overrides of the settings.
#[derive(Debug)]
pub struct Report<'s> {
    pub settings: &'s Settings,
    pub findings: Vec<Finding>,
}

impl<'s> Report<'s> {
    pub fn new(settings: &'s Settings) -> Report<'s> {
        Report {
            settings,
            findings: Vec::new(),
        }
    }

    fn action(&self, rule: RuleId, default: Action) -> Option<Action> {
        match self.settings.rules.get(&rule) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Deny) => Some(Action::Deny),
            Some(RuleSetting::Warn) => Some(Action::Warn),
            None => Some(default),
        }
    }

    /// Whether the policy may repair a finding of `rule` in this evaluation.
    pub fn can_mutate(&self, rule: RuleId) -> bool {
        self.settings.mutate && self.action(rule, rule.default_action()).is_some()
    }

    fn push(
        &mut self,
        rule: RuleId,
        action: Option<Action>,
        path: String,
        message: String,
        fix: String,
    ) {
        if let Some(action) = action {
            self.findings.push(Finding {
                rule,
                action,
                path,
                message,
                fix,
            });
        }
    }

    /// A finding with the rule's action (default or overridden).
    pub fn report(&mut self, rule: RuleId, path: String, message: String, fix: String) {
        let action = self.action(rule, rule.default_action());
        self.push(rule, action, path, message, fix);
    }

    /// A finding that only warns unless the settings say otherwise.
    pub fn report_soft(&mut self, rule: RuleId, path: String, message: String, fix: String) {
        let action = self.action(rule, Action::Warn);
        self.push(rule, action, path, message, fix);
    }

    /// A finding the patch repairs (dropped when the rule is off).
    pub fn report_mutated(&mut self, rule: RuleId, path: String, message: String, fix: String) {
        let action = self
            .action(rule, rule.default_action())
            .map(|_| Action::Mutated);
        self.push(rule, action, path, message, fix);
    }

    /// [`Report::report_mutated`] when `repaired`, else [`Report::report`].
    pub fn report_repair(
        &mut self,
        repaired: bool,
        rule: RuleId,
        path: String,
        message: String,
        fix: String,
    ) {
        if repaired {
            self.report_mutated(rule, path, message, fix);
        } else {
            self.report(rule, path, message, fix);
        }
    }

    /// A masked or template value copied from the documentation, in annotation `key`.
    pub fn report_placeholder(&mut self, key: &str, value: &str, path: String, fix: String) {
        self.report(
            RuleId::PlaceholderValue,
            path,
            format!(
                "{key} value {value:?} is a masked or template value copied from the documentation"
            ),
            fix,
        );
    }
}

/// Every rule family over one in-scope workload, in order: placement and keys (which plan the
/// moves and renames), values and grammar, the access gate, ImageCache fields, images and
/// registries (which plan the instance-list rewrite). Returns the findings and every planned
/// repair.
pub fn run<'a>(w: &Workload<'a>, on_eci: bool, settings: &Settings) -> (Vec<Finding>, Repairs<'a>) {
    let mut report = Report::new(settings);
    let moves = placement::check(&mut report, w, on_eci);
    let ids = values::check(&mut report, w, &moves);
    access::gate(&mut report, w);
    if w.shape == Shape::ImageCache {
        imagecache::check(&mut report, w);
    }
    let instance_list = images::check(&mut report, w, &moves, ids.as_ref());
    (
        report.findings,
        Repairs {
            moves,
            instance_list,
        },
    )
}

/// `text` quoted for a message, cut to at most `MAX_QUOTE` characters (then `…`), so that no
/// finding copies an unbounded value.
pub fn quote(text: &str) -> String {
    const MAX_QUOTE: usize = 64;
    match text.char_indices().nth(MAX_QUOTE) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}…", text.get(..cut).unwrap_or_default()),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the families' unit tests: a workload from JSON, settings from JSON, and
    //! the findings a family reports as (rule, action, path).
    #![allow(clippy::unwrap_used)]

    use crate::model::K8sObject;
    use crate::settings::Settings;
    use crate::verdict::Finding;
    use crate::workload::{Shape, Workload};

    pub fn object(json: &str) -> K8sObject {
        serde_json::from_str(json).unwrap()
    }

    pub fn settings(json: &str) -> Settings {
        Settings::from_json(json).unwrap()
    }

    pub fn workload<'a>(shape: Shape, namespace: &'a str, o: &'a K8sObject) -> Workload<'a> {
        let kind = match shape {
            Shape::Pod => "Pod",
            Shape::Template => "Deployment",
            Shape::CronJob => "CronJob",
            Shape::ImageCache => "ImageCache",
        };
        Workload::new(shape, kind, namespace, o).unwrap()
    }

    pub fn summary(findings: &[Finding]) -> Vec<(&'static str, &'static str, String)> {
        let mut v: Vec<_> = findings
            .iter()
            .map(|f| (f.rule.id(), f.action.as_str(), f.path.clone()))
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_are_bounded() {
        assert_eq!(quote("abc"), "\"abc\"");
        let long = ",".repeat(100_000);
        let q = quote(&long);
        assert!(q.chars().count() < 70, "{q}");
        assert!(q.ends_with('…'));
        assert_eq!(quote(&"é".repeat(64)), format!("{:?}", "é".repeat(64)));
    }
}
